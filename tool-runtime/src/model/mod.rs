//! The [`Model`] trait: one request in, one response (or a stream of events) out.
//!
//! HTTP models ([`OpenAi`], [`Anthropic`]) and the [`OfflineModel`] implement it; the
//! [`Agent`](crate::Agent) drives any of them through the same loop; [`from_env`] picks the one
//! the environment asks for.

mod assemble;
mod choose;
mod endpoint;
mod event;
mod offline;
pub mod wire;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_core::Stream;

use crate::conversation::{AssistantMessage, Message, StopReason, Usage};
use crate::error::Error;
use crate::schema::Schema;
use crate::tool::ToolDefinition;

pub(crate) use assemble::Assembler;
pub use choose::{OPENAI_API_VAR, PROVIDER_VAR, from_env, from_env_or};
pub use endpoint::{Anthropic, HttpModel, OpenAi};
pub use event::{ModelEvent, ResponseEnd, ToolCallDelta};
pub use offline::{OfflineModel, RecordedRequest};

pub use crate::http::RetryPolicy;
use event::{ResponseEvents, StreamOf};

/// The future [`Model::complete`] returns.
pub type ModelFuture<'a> = Pin<Box<dyn Future<Output = Result<ModelResponse, Error>> + Send + 'a>>;

/// The stream [`Model::stream`] returns: events, then the end of the stream. An `Err` item ends
/// it.
pub type ModelStream<'a> = Pin<Box<dyn Stream<Item = Result<ModelEvent, Error>> + Send + 'a>>;

/// A model behind an API: OpenAI Chat Completions, Anthropic Messages, any OpenAI-compatible
/// server, or the offline model.
///
/// Object safe, so a program can choose one at run time (`Box<dyn Model>`). Implement
/// [`complete`](Self::complete); [`stream`](Self::stream) has a default built on it, which
/// emits the whole response as events once it has arrived.
///
/// ```
/// use tool_runtime::conversation::{AssistantMessage, StopReason, Usage};
/// use tool_runtime::model::{Model, ModelFuture, ModelRequest, ModelResponse};
///
/// /// Always answers "pong".
/// struct Pong;
///
/// impl Model for Pong {
///     fn name(&self) -> String {
///         "pong".into()
///     }
///
///     fn complete<'a>(&'a self, _request: ModelRequest<'a>) -> ModelFuture<'a> {
///         let message = AssistantMessage::text("pong");
///         Box::pin(async move { Ok(ModelResponse::new(message, StopReason::EndTurn, Usage::default())) })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let agent = tool_runtime::Agent::new(Pong, tool_runtime::Toolbox::new());
/// assert_eq!(agent.run("ping").await.unwrap().text, "pong");
/// # }
/// ```
pub trait Model: Send + Sync {
    /// A short name for logs and progress lines, e.g. `openai/gpt-4o`.
    fn name(&self) -> String;

    /// Sends one request and returns the model's whole answer.
    fn complete<'a>(&'a self, request: ModelRequest<'a>) -> ModelFuture<'a>;

    /// Sends one request and returns the answer as it arrives: text deltas, each tool call as
    /// soon as its arguments are complete, then [`ModelEvent::End`].
    ///
    /// The default waits for [`complete`](Self::complete) and replays its response as events;
    /// the events always assemble into the same response.
    fn stream<'a>(&'a self, request: ModelRequest<'a>) -> ModelStream<'a> {
        Box::pin(StreamOf::new(self.complete(request)))
    }

    /// Whether this model can be asked for a final answer in the shape of `output` natively
    /// ([`ModelRequest::output`]: OpenAI's `response_format`, Anthropic's
    /// `output_config.format`), its text then being that JSON.
    ///
    /// The default is `false`: a typed run then offers the model a final tool with `output`'s
    /// schema as its parameters instead, which every model with tools can call.
    fn native_output(&self, output: &OutputFormat) -> bool {
        let _ = output;
        false
    }
}

/// A model behind a pointer is the model it points to.
macro_rules! forward_model {
    ($($pointer:ident),*) => {$(
        impl<M: Model + ?Sized> Model for $pointer<M> {
            fn name(&self) -> String {
                (**self).name()
            }

            fn complete<'a>(&'a self, request: ModelRequest<'a>) -> ModelFuture<'a> {
                (**self).complete(request)
            }

            fn stream<'a>(&'a self, request: ModelRequest<'a>) -> ModelStream<'a> {
                (**self).stream(request)
            }

            fn native_output(&self, output: &OutputFormat) -> bool {
                (**self).native_output(output)
            }
        }
    )*};
}

forward_model!(Box, Arc);

/// A whole response, as the events a stream of it would carry.
pub(crate) fn buffered(response: ModelFuture<'_>) -> ModelStream<'_> {
    Box::pin(StreamOf::new(response))
}

/// Whether and which tools the model must call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ToolChoice {
    /// The model decides (the default).
    #[default]
    Auto,
    /// The model must call at least one tool.
    Required,
    /// The model must call this tool.
    Tool(String),
    /// The model must not call tools.
    None,
}

static AUTO: ToolChoice = ToolChoice::Auto;

/// Everything a [`Model`] needs for one request, borrowed from the caller.
///
/// ```
/// use tool_runtime::model::{ModelRequest, ToolChoice};
/// use tool_runtime::{Message, tool, tools};
///
/// /// Add two numbers.
/// #[tool]
/// fn add(a: i64, b: i64) -> i64 { a + b }
///
/// let toolbox = tools![add];
/// let tools: Vec<_> = toolbox.definitions().collect();
/// let messages = [Message::user("2 + 3?")];
/// let request = ModelRequest::new(&messages)
///     .system("Be brief.")
///     .tools(&tools)
///     .tool_choice(&ToolChoice::Required);
/// assert_eq!(request.tools[0].name(), "add");
/// assert!(request.parallel_tool_calls);
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ModelRequest<'a> {
    /// The system prompt.
    pub system: Option<&'a str>,
    /// The conversation so far.
    pub messages: &'a [Message],
    /// The tools the model may call.
    pub tools: &'a [&'a ToolDefinition],
    /// Whether and which tools it must call.
    pub tool_choice: &'a ToolChoice,
    /// Whether it may ask for several calls in one response.
    pub parallel_tool_calls: bool,
    /// The shape the final answer must have, when the model answers in JSON natively (see
    /// [`Model::native_output`]).
    pub output: Option<&'a OutputFormat>,
}

impl<'a> ModelRequest<'a> {
    /// A request for this conversation: no system prompt, no tools, parallel calls allowed.
    pub fn new(messages: &'a [Message]) -> Self {
        Self {
            system: None,
            messages,
            tools: &[],
            tool_choice: &AUTO,
            parallel_tool_calls: true,
            output: None,
        }
    }

    /// The system prompt.
    #[must_use]
    pub fn system(mut self, system: &'a str) -> Self {
        self.system = Some(system);
        self
    }

    /// The tools the model may call.
    #[must_use]
    pub fn tools(mut self, tools: &'a [&'a ToolDefinition]) -> Self {
        self.tools = tools;
        self
    }

    /// Whether and which tools the model must call.
    #[must_use]
    pub fn tool_choice(mut self, tool_choice: &'a ToolChoice) -> Self {
        self.tool_choice = tool_choice;
        self
    }

    /// Whether the model may ask for several calls in one response.
    #[must_use]
    pub fn parallel_tool_calls(mut self, parallel: bool) -> Self {
        self.parallel_tool_calls = parallel;
        self
    }

    /// The shape the final answer must have (see [`Model::native_output`]).
    #[must_use]
    pub fn output(mut self, output: &'a OutputFormat) -> Self {
        self.output = Some(output);
        self
    }
}

/// The shape a final answer must have, for a model held to it natively (see
/// [`Model::native_output`]): a name, a description and the JSON Schema of an object, which
/// the answer's text must be.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::model::OutputFormat;
///
/// let format = OutputFormat::new(
///     "weather",
///     "A city's weather.",
///     json!({"type": "object", "properties": {"celsius": {"type": "number"}}, "required": ["celsius"]}),
/// );
/// assert_eq!(format.name(), "weather");
/// assert!(format.schema().strict().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFormat {
    name: String,
    description: String,
    schema: Schema,
}

impl OutputFormat {
    /// A format from its name, its description and its schema.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        schema: impl Into<Schema>,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            schema: schema.into(),
        }
    }

    /// The format's name (OpenAI's `json_schema.name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the answer is, for the model.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The answer's schema, with its strict flavours.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The one property of the object a typed answer that is not an object is wrapped in
    /// (`{"answer": …}`): the APIs take only object schemas for answers and tools.
    pub(crate) const WRAPPER: &'static str = "answer";

    /// The schema of the answer inside, when this format is that wrapper.
    pub(crate) fn wrapped(&self) -> Option<&serde_json::Value> {
        let schema = self.schema.value();
        let properties = schema.get("properties")?.as_object()?;
        let only = properties.len() == 1
            && schema.get("required") == Some(&serde_json::json!([Self::WRAPPER]))
            && schema.get("additionalProperties") == Some(&serde_json::Value::Bool(false));
        only.then(|| properties.get(Self::WRAPPER)).flatten()
    }
}

/// One answer from a model.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ModelResponse {
    /// The assistant message.
    pub message: AssistantMessage,
    /// Why it stopped.
    pub stop_reason: StopReason,
    /// Tokens used by this request.
    pub usage: Usage,
}

impl ModelResponse {
    /// A response from its parts.
    pub fn new(message: AssistantMessage, stop_reason: StopReason, usage: Usage) -> Self {
        Self {
            message,
            stop_reason,
            usage,
        }
    }

    /// The response as the events a stream of it would carry: the text, each tool call, then
    /// [`ModelEvent::End`]. They assemble back into this same response.
    pub fn into_events(self) -> impl Iterator<Item = ModelEvent> + Send {
        ResponseEvents::new(self)
    }
}
