//! The object-safe [`Tool`] trait and the values that flow through it.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ToolError;
use crate::strict::{self, StrictError};

/// The future a [`Tool`] returns: `'static` and `Send`, so the runtime can spawn it.
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<ToolOutput, ToolError>> + Send + 'static>>;

/// Something a model can call.
///
/// `#[tool]` implements this for you; implement it by hand for tools whose schema or name is only
/// known at run time (a tool loaded from a config file, a proxy to a remote service…). The trait is
/// object safe: a [`Toolbox`](crate::Toolbox) stores tools as `Arc<dyn Tool>`.
///
/// `call` decodes the arguments *before* it returns, so the future it hands back owns everything it
/// needs and can run on any task.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::{Arguments, CallContext, Tool, ToolDefinition, ToolFuture, ToolOutput};
///
/// /// Echoes its `text` argument.
/// struct Echo(ToolDefinition);
///
/// impl Tool for Echo {
///     fn definition(&self) -> &ToolDefinition {
///         &self.0
///     }
///
///     fn call(&self, args: &Arguments, _ctx: CallContext) -> ToolFuture {
///         let text = args.to_value().ok().and_then(|v| v["text"].as_str().map(str::to_owned));
///         Box::pin(async move { Ok(ToolOutput::text(text.unwrap_or_default())) })
///     }
/// }
///
/// let echo = Echo(ToolDefinition::new(
///     "echo",
///     "Repeat the text back.",
///     json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
/// ));
/// assert_eq!(echo.definition().name(), "echo");
/// ```
pub trait Tool: Send + Sync + 'static {
    /// The tool's name, description, parameter schema and execution policy.
    fn definition(&self) -> &ToolDefinition;

    /// Decodes `args` and starts the call.
    ///
    /// Invalid arguments make the returned future resolve to
    /// [`ToolError::InvalidArguments`] at once, without running the tool.
    fn call(&self, args: &Arguments, ctx: CallContext) -> ToolFuture;
}

impl<T: Tool + ?Sized> Tool for Arc<T> {
    fn definition(&self) -> &ToolDefinition {
        (**self).definition()
    }

    fn call(&self, args: &Arguments, ctx: CallContext) -> ToolFuture {
        (**self).call(args, ctx)
    }
}

impl<T: Tool + ?Sized> Tool for Box<T> {
    fn definition(&self) -> &ToolDefinition {
        (**self).definition()
    }

    fn call(&self, args: &Arguments, ctx: CallContext) -> ToolFuture {
        (**self).call(args, ctx)
    }
}

/// Everything the runtime knows about a tool except how to run it.
///
/// Holds the name, the description and the parameters' JSON Schema (the plain flavour, sent to
/// Anthropic and to OpenAI without `strict`), and derives the other flavours from it once, on first
/// use. `#[tool]` builds one per tool and caches it for the life of the program.
pub struct ToolDefinition {
    name: Cow<'static, str>,
    description: Cow<'static, str>,
    parameters: Value,
    strict: OnceLock<Result<Value, StrictError>>,
    timeout: Option<Duration>,
    sequential: bool,
}

impl ToolDefinition {
    /// A definition from a name, a description and a JSON Schema for the arguments object.
    ///
    /// The name should match `^[a-zA-Z0-9_-]{1,64}$` (what OpenAI and Anthropic accept); a
    /// [`Toolbox`](crate::Toolbox) refuses one that does not.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        description: impl Into<Cow<'static, str>>,
        parameters: Value,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            parameters,
            strict: OnceLock::new(),
            timeout: None,
            sequential: false,
        }
    }

    /// Sets a time limit for each call of this tool, overriding the toolbox's default.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Marks the tool sequential: its calls run one at a time, in the order the model made them.
    #[must_use]
    pub fn with_sequential(mut self, sequential: bool) -> Self {
        self.sequential = sequential;
        self
    }

    /// The tool's name, as the model calls it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the tool does, as the model reads it.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The JSON Schema of the arguments object (the plain flavour).
    pub fn parameters(&self) -> &Value {
        &self.parameters
    }

    /// This tool's own time limit, if it has one.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether the tool's calls must run one at a time, in order.
    pub fn is_sequential(&self) -> bool {
        self.sequential
    }

    /// The parameters in OpenAI's strict flavour, or why they cannot be made strict.
    ///
    /// Computed once, on first use, by [`to_strict`](crate::strict::to_strict).
    pub fn strict_parameters(&self) -> Result<&Value, &StrictError> {
        self.strict
            .get_or_init(|| strict::to_strict(&self.parameters))
            .as_ref()
    }

    /// The entry for Anthropic's `tools` array: `{"name", "description", "input_schema"}`.
    pub fn to_anthropic(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "input_schema": self.parameters,
        })
    }

    /// The entry for OpenAI's `tools` array.
    ///
    /// With `strict` true the parameters are sent in the strict flavour with `"strict": true`,
    /// unless they cannot be made strict: then the plain flavour is sent without it, and
    /// [`strict_parameters`](Self::strict_parameters) tells why.
    pub fn to_openai(&self, strict: bool) -> Value {
        let strict_parameters = if strict {
            self.strict_parameters().ok()
        } else {
            None
        };
        let function = match strict_parameters {
            Some(parameters) => json!({
                "name": self.name,
                "description": self.description,
                "parameters": parameters,
                "strict": true,
            }),
            None => json!({
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            }),
        };
        json!({"type": "function", "function": function})
    }
}

impl Clone for ToolDefinition {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            description: self.description.clone(),
            parameters: self.parameters.clone(),
            strict: self.strict.clone(),
            timeout: self.timeout,
            sequential: self.sequential,
        }
    }
}

impl fmt::Debug for ToolDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolDefinition")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("parameters", &self.parameters)
            .field("timeout", &self.timeout)
            .field("sequential", &self.sequential)
            .finish_non_exhaustive()
    }
}

/// The raw arguments of one call, as the provider sent them.
///
/// OpenAI sends a JSON *string* (possibly empty, meaning no arguments); Anthropic sends a JSON
/// object. Both are kept as received, so the conversation history can echo them back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arguments {
    /// JSON text, as in OpenAI's `function.arguments`.
    Text(String),
    /// A JSON value, as in Anthropic's `tool_use.input`.
    Json(Value),
}

impl Arguments {
    /// The arguments as a JSON value; empty text counts as `{}`.
    ///
    /// ```
    /// use tool_runtime::Arguments;
    /// assert_eq!(Arguments::from("").to_value().unwrap(), serde_json::json!({}));
    /// assert!(Arguments::from("{oops").to_value().is_err());
    /// ```
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        match self {
            Self::Text(text) if text.trim().is_empty() => Ok(Value::Object(Default::default())),
            Self::Text(text) => serde_json::from_str(text),
            Self::Json(value) => Ok(value.clone()),
        }
    }

    /// The arguments as JSON text, as OpenAI expects them in history (empty text becomes `{}`,
    /// which every chat template can parse).
    pub fn to_json_string(&self) -> String {
        match self {
            Self::Text(text) if text.trim().is_empty() => "{}".to_owned(),
            Self::Text(text) => text.clone(),
            Self::Json(value) => value.to_string(),
        }
    }
}

impl From<&str> for Arguments {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Arguments {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<Value> for Arguments {
    fn from(value: Value) -> Self {
        Self::Json(value)
    }
}

/// What a tool knows about the call it is serving.
///
/// A tool that keeps working after its future is gone (a synchronous tool on the blocking pool,
/// which a timeout cannot stop) keeps a clone of its context until it is done: the runtime holds
/// the call's place in the sequential chain and its concurrency permit until every clone is
/// dropped, so a timed-out call never overlaps the next one.
#[derive(Debug, Clone)]
pub struct CallContext {
    call_id: Arc<str>,
    // Never read: held only for what dropping the last clone releases.
    #[allow(dead_code)]
    hold: Option<Arc<Hold>>,
}

/// Things released when the last holder of a call's context lets go.
#[derive(Default)]
pub(crate) struct Hold(Mutex<Vec<Box<dyn Any + Send>>>);

impl Hold {
    pub(crate) fn keep(&self, thing: impl Any + Send) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(thing));
    }
}

impl fmt::Debug for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hold")
    }
}

impl CallContext {
    /// A context for the call with this id.
    pub fn new(call_id: impl Into<Arc<str>>) -> Self {
        Self {
            call_id: call_id.into(),
            hold: None,
        }
    }

    pub(crate) fn holding(call_id: impl Into<Arc<str>>, hold: Arc<Hold>) -> Self {
        Self {
            call_id: call_id.into(),
            hold: Some(hold),
        }
    }

    /// The provider's id for this call (`call_…` on OpenAI, `toolu_…` on Anthropic).
    pub fn call_id(&self) -> &str {
        &self.call_id
    }
}

/// The successful output of a tool call: the text sent back to the model.
///
/// A tool's return value becomes text this way: a string (or anything that serializes to a JSON
/// string) is sent as it is, without quotes; any other value is sent as compact JSON.
///
/// ```
/// use tool_runtime::ToolOutput;
/// # fn main() -> Result<(), tool_runtime::ToolError> {
/// assert_eq!(ToolOutput::from_serialize(&"sunny")?.as_str(), "sunny");
/// assert_eq!(ToolOutput::from_serialize(&serde_json::json!({"temp": 21}))?.as_str(), r#"{"temp":21}"#);
/// assert_eq!(ToolOutput::from_serialize(&())?.as_str(), "null");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ToolOutput {
    text: String,
}

impl ToolOutput {
    /// Output made of this text.
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    /// Output from any serializable value: strings as plain text, the rest as compact JSON.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, ToolError> {
        let json = serde_json::to_string(value).map_err(|e| ToolError::Output {
            tool: String::new(),
            message: e.to_string(),
        })?;
        if json.starts_with('"')
            && let Ok(text) = serde_json::from_str::<String>(&json)
        {
            return Ok(Self { text });
        }
        Ok(Self { text: json })
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl fmt::Display for ToolOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
