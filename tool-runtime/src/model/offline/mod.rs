//! [`OfflineModel`]: a model that runs locally, for first runs, demos and tests.

mod automatic;
mod log;
mod numbers;
#[cfg(feature = "validate")]
mod pattern;
mod rng;
mod sample;
mod stream;
mod strings;
mod words;

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use log::RecordedRequest;

use serde_json::{Value, json};

use crate::conversation::{AssistantMessage, StopReason, Usage};
use crate::error::Error;
use crate::model::{Model, ModelFuture, ModelRequest, ModelResponse, ModelStream, OutputFormat};

/// A model that plays its part locally, with no network and no API key.
///
/// It goes through the same [`Agent`](crate::Agent) loop, toolbox and message history as the real
/// models, so what works offline works online. Three modes:
///
/// - **Automatic** ([`OfflineModel::new`]): on the first turn after the user speaks it calls
///   every tool in one parallel batch (one tool per turn when parallel calls are off), with
///   arguments generated from each tool's JSON Schema that pass the tool's own validation (see
///   below). It leaves alone the tools a real model should not be let loose on in a demo or a
///   test: those that [need approval](crate::tool::ToolPolicy::needs_approval) (for a tool that
///   needs it only for some arguments, it draws arguments that do not), and those
///   [marked destructive](crate::tool::ToolHints::destructive) (and not read-only), unless built
///   with [`call_every_tool(true)`](Self::call_every_tool); its answer then names them. On the
///   next turn it answers with a text that quotes every result it received, or, asked for a typed
///   answer ([`RunRequest::output`](crate::agent::RunRequest::output)), with a value of the
///   answer's schema. Deterministic for a given seed.
/// - **Scripted** ([`OfflineModel::scripted`]): it returns exactly the turns you give it, for
///   tests of your own code. For a typed run, the last turn is the answer's JSON as text (see
///   [`scripted`](Self::scripted)).
/// - **Responder** ([`OfflineModel::responder`]): a function of yours computes each turn from
///   the request, for conversations whose next step depends on earlier results.
///
/// The automatic model's arguments follow the schema: `$ref`, `allOf`, `anyOf`/`oneOf`, `const`
/// and `enum`; numbers within their bounds (exclusive ones too) and a multiple of their
/// `multipleOf`; strings within `minLength`/`maxLength`, of their `format` (date-time, date,
/// time, duration, email, hostname, ipv4, ipv6, uri/url, uri-reference, uri-template, uuid,
/// json-pointer, regex) and matching their `pattern`; arrays within `minItems`/`maxItems`,
/// unique when `uniqueItems` asks; objects with every `required` property, within
/// `minProperties`/`maxProperties` and with their `dependentRequired`; optional properties are
/// sometimes left out. Strings come, in this order of preference, from the capitalized words of
/// the prompt (ALL-CAPS words for parameters named like codes or currencies), from a value the
/// schema gives (its `examples`, or its description's `e.g. "Tokyo"`) that the prompt mentions,
/// from the schema's examples, from a value of its format, from a string generated from its
/// pattern; an `enum` gives a value the prompt mentions when it has one. So demos read
/// naturally.
///
/// With the `validate` feature (on by default) every candidate string is checked against its
/// pattern and format, and every value against the whole schema as the tool will check it, and
/// drawn again, smaller, when it fails. That also covers what is not followed while drawing
/// (`not`, `if`/`then`/`else`, `patternProperties`) and patterns with look-arounds or
/// back-references, which cannot be generated from: there a value the schema or the prompt gives
/// must match. Without the feature patterns are not followed, as the tools do not check them
/// either. When no valid value turns up in a few draws, the last one is sent, and the tool's own
/// check says what is wrong.
///
/// In every mode it records the requests it receives ([`requests`](Self::requests)), and counts
/// tokens as a quarter of the characters read and written. It streams like a real model: the
/// text in word-sized pieces, each tool call's arguments in fragments
/// ([`ModelEvent::ToolCallDelta`](crate::model::ModelEvent::ToolCallDelta)) followed by the call, with
/// [`pacing`](Self::pacing) between pieces, so that eager tool starts and event streams can be
/// seen and tested offline.
///
/// ```
/// use tool_runtime::{Agent, OfflineModel, tool, tools};
///
/// /// Get the current weather for a city.
/// #[tool]
/// async fn get_weather(city: String) -> String {
///     format!("Sunny in {city}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let agent = Agent::new(OfflineModel::new(), tools![get_weather]);
/// let output = agent.run("What's the weather in Tokyo?").await.unwrap();
/// assert_eq!(output.turns, 2);
/// assert!(output.text.contains("Sunny in Tokyo"));
/// # }
/// ```
#[derive(Clone)]
pub struct OfflineModel {
    mode: Mode,
    seed: u64,
    call_every_tool: bool,
    pacing: Duration,
    log: Arc<Mutex<log::Log>>,
}

type Responder = Arc<dyn Fn(&ModelRequest<'_>) -> AssistantMessage + Send + Sync>;

#[derive(Clone)]
enum Mode {
    Automatic,
    Scripted(Arc<Mutex<VecDeque<AssistantMessage>>>),
    Responder(Responder),
}

impl Default for OfflineModel {
    fn default() -> Self {
        Self::new()
    }
}

impl OfflineModel {
    fn with_mode(mode: Mode) -> Self {
        Self {
            mode,
            seed: 0,
            call_every_tool: false,
            pacing: Duration::ZERO,
            log: Arc::default(),
        }
    }

    /// The automatic model, with seed 0.
    pub fn new() -> Self {
        Self::with_mode(Mode::Automatic)
    }

    /// The automatic model with another seed (other argument values, the same shape).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether the automatic model also calls the tools it leaves alone by default (default:
    /// `false`): those that [need approval](crate::tool::ToolPolicy::needs_approval), whose calls
    /// then pause the run as a real model's would (see [`Agent::resume`](crate::Agent::resume)),
    /// and those [marked destructive](crate::tool::ToolHints::destructive). With `false`, a tool
    /// that needs approval only for some arguments
    /// ([`Approval::When`](crate::tool::Approval::When)) is called with arguments that do not.
    /// Scripted and responder models answer what they are given, whatever this says.
    ///
    /// ```
    /// use tool_runtime::{Agent, OfflineModel, tool, tools};
    ///
    /// /// Delete a file.
    /// #[tool(needs_approval)]
    /// fn delete_file(path: String) -> String {
    ///     format!("deleted {path}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// // By default the tool is left alone, and the answer says so.
    /// let agent = Agent::new(OfflineModel::new(), tools![delete_file]);
    /// let output = agent.run("Clean up.").await.unwrap();
    /// assert_eq!(output.turns, 1);
    /// assert!(output.text.contains("`delete_file` (needs approval)"));
    ///
    /// // Asked to, it calls the tool, and the run waits for a person's decision.
    /// let model = OfflineModel::new().call_every_tool(true);
    /// let outcome = Agent::new(model, tools![delete_file]).run("Clean up.").await;
    /// let paused = outcome.unwrap_err().into_paused().expect("waits for approval");
    /// assert_eq!(paused.pending().next().unwrap().name, "delete_file");
    /// # }
    /// ```
    #[must_use]
    pub fn call_every_tool(mut self, call_every_tool: bool) -> Self {
        self.call_every_tool = call_every_tool;
        self
    }

    /// The time between the pieces of a streamed answer (default: none): each piece of text,
    /// each tool call (its argument fragments, then the call), and the end. The first piece
    /// comes at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tool_runtime::OfflineModel;
    ///
    /// // Writes like a quick typist: a word every 20 ms.
    /// let model = OfflineModel::new().pacing(Duration::from_millis(20));
    /// ```
    #[must_use]
    pub fn pacing(mut self, pacing: Duration) -> Self {
        self.pacing = pacing;
        self
    }

    /// A model that answers with these turns, in order; one request past the end is an error.
    ///
    /// ```
    /// use serde_json::json;
    /// use tool_runtime::conversation::{AssistantMessage, ToolCall};
    /// use tool_runtime::{Agent, OfflineModel, tool, tools};
    ///
    /// /// Add two numbers.
    /// #[tool]
    /// fn add(a: i64, b: i64) -> i64 {
    ///     a + b
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let model = OfflineModel::scripted([
    ///     AssistantMessage::calls([ToolCall::new("call_1", "add", json!({"a": 2, "b": 3}))]),
    ///     AssistantMessage::text("2 + 3 = 5"),
    /// ]);
    /// let output = Agent::new(model.clone(), tools![add]).run("2+3?").await.unwrap();
    /// assert_eq!(output.text, "2 + 3 = 5");
    /// // What the model was sent on its second turn: the result of `add`.
    /// let second = &model.requests()[1];
    /// assert_eq!(second.messages.len(), 3);
    /// # }
    /// ```
    ///
    /// A typed run ([`RunRequest::output`](crate::agent::RunRequest::output)) takes its answer
    /// from the last turn's text, the answer's JSON; a turn gives it as the value itself, whatever
    /// its type (an object, `5`, `["a", "b"]`, or plain text for a `String`): the model hands it
    /// over in the shape the run asks for. A wrong answer goes back to the model with what is
    /// wrong, as it would to a real one, and the next scripted turn answers it.
    ///
    /// ```
    /// use schemars::JsonSchema;
    /// use serde::Deserialize;
    /// use serde_json::json;
    /// use tool_runtime::conversation::AssistantMessage;
    /// use tool_runtime::{Agent, OfflineModel, tools};
    ///
    /// #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    /// struct Report {
    ///     city: String,
    ///     celsius: f64,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let model = OfflineModel::scripted([AssistantMessage::text(
    ///     json!({"city": "Oslo", "celsius": 4.5}).to_string(),
    /// )]);
    /// let agent = Agent::new(model, tools![]);
    /// let report = agent.run("Oslo?").output::<Report>().await.unwrap();
    /// assert_eq!(report.value, Report { city: "Oslo".into(), celsius: 4.5 });
    ///
    /// // Not an object: the value itself.
    /// let model = OfflineModel::scripted([AssistantMessage::text("[3, 1]")]);
    /// let agent = Agent::new(model, tools![]);
    /// let days = agent.run("Which days?").output::<Vec<u8>>().await.unwrap();
    /// assert_eq!(days.value, [3, 1]);
    /// # }
    /// ```
    pub fn scripted(turns: impl IntoIterator<Item = AssistantMessage>) -> Self {
        Self::with_mode(Mode::Scripted(Arc::new(Mutex::new(
            turns.into_iter().collect(),
        ))))
    }

    /// A model whose every answer is computed by `respond` from the request.
    ///
    /// ```
    /// use tool_runtime::conversation::AssistantMessage;
    /// use tool_runtime::OfflineModel;
    ///
    /// let echo = OfflineModel::responder(|request| {
    ///     let said = request.messages.len();
    ///     AssistantMessage::text(format!("{said} message(s) so far"))
    /// });
    /// ```
    pub fn responder(
        respond: impl Fn(&ModelRequest<'_>) -> AssistantMessage + Send + Sync + 'static,
    ) -> Self {
        Self::with_mode(Mode::Responder(Arc::new(respond)))
    }

    /// Every request received so far, oldest first (clones share the log).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .requests()
    }

    fn respond(&self, request: &ModelRequest<'_>) -> Result<AssistantMessage, Error> {
        match &self.mode {
            Mode::Automatic => Ok(automatic::respond(
                request,
                automatic::Settings {
                    seed: self.seed,
                    call_every_tool: self.call_every_tool,
                },
            )),
            Mode::Scripted(turns) => turns
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front()
                .map(|turn| shaped(turn, request.output))
                .ok_or_else(Error::script_exhausted),
            Mode::Responder(respond) => Ok(shaped(respond(request), request.output)),
        }
    }
}

/// A final answer written by a script or a responder for a typed run, in the shape the run asks
/// for: the value of a type that is not an object travels wrapped, `{"answer": …}`, so a script
/// writes `5` (or `Oslo`, for a string) and the run receives `{"answer": 5}`. Anything else is
/// left as written: an object, an answer already wrapped, tool calls, a run without a type.
fn shaped(mut message: AssistantMessage, output: Option<&OutputFormat>) -> AssistantMessage {
    let inner = output.and_then(OutputFormat::wrapped);
    let (Some(inner), true, Some(text)) = (inner, message.tool_calls.is_empty(), &message.text)
    else {
        return message;
    };
    let value = match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(object)) if object.contains_key(OutputFormat::WRAPPER) => return message,
        Ok(value) => value,
        // Plain text, for an answer that is a string.
        Err(_) if inner.get("type") == Some(&json!("string")) => json!(text),
        Err(_) => return message,
    };
    message.text = Some(json!({ OutputFormat::WRAPPER: value }).to_string());
    message
}

impl Model for OfflineModel {
    fn name(&self) -> String {
        match self.mode {
            Mode::Automatic => "offline".to_owned(),
            Mode::Scripted(_) => "offline/scripted".to_owned(),
            Mode::Responder(_) => "offline/responder".to_owned(),
        }
    }

    fn complete<'a>(&'a self, request: ModelRequest<'a>) -> ModelFuture<'a> {
        let read = self
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(&request);
        let response = self.respond(&request).map(|message| {
            let stop_reason = if message.tool_calls.is_empty() {
                StopReason::EndTurn
            } else {
                StopReason::ToolUse
            };
            let usage = Usage {
                input_tokens: read as u64,
                output_tokens: log::assistant_tokens(&message) as u64,
                ..Usage::default()
            };
            ModelResponse::new(message, stop_reason, usage)
        });
        Box::pin(async move { response })
    }

    fn stream<'a>(&'a self, request: ModelRequest<'a>) -> ModelStream<'a> {
        stream::paced(self.complete(request), self.pacing)
    }

    /// Always: the automatic model answers with a value of the schema; scripted and responder
    /// models answer what they are given.
    fn native_output(&self, _output: &crate::model::OutputFormat) -> bool {
        true
    }
}

impl fmt::Debug for OfflineModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.mode {
            Mode::Automatic => "automatic".to_owned(),
            Mode::Scripted(turns) => format!(
                "scripted ({} turns left)",
                turns.lock().unwrap_or_else(PoisonError::into_inner).len()
            ),
            Mode::Responder(_) => "responder".to_owned(),
        };
        f.debug_struct("OfflineModel")
            .field("mode", &mode)
            .field("seed", &self.seed)
            .field("call_every_tool", &self.call_every_tool)
            .field("pacing", &self.pacing)
            .finish_non_exhaustive()
    }
}
