//! [`FnTool`]: a tool known only at run time — a name, a description, a JSON Schema and an
//! async closure — without a trait to implement.

use std::fmt;
use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::decode::checked_value;
use super::{Arguments, CallContext, Tool, ToolDefinition, ToolFuture, ToolOutput};
use crate::schema::check::Checks;

type Call = Arc<dyn Fn(Value, CallContext) -> ToolFuture + Send + Sync>;

/// A tool made at run time from a name, a description, the JSON Schema of its arguments and an
/// async closure: for tools loaded from a configuration, a plugin, or another service.
///
/// The arguments are checked against the schema before the closure runs, as a `#[tool]`'s are:
/// text that is not JSON, a value that is not an object, and every violation of the schema
/// (types, required and unknown properties, bounds, patterns, enums…, with the `validate`
/// feature) come back to the model as one error it can act on. An optional property sent as
/// `null` (as OpenAI's strict mode sends one that is left out, a defaulted one included)
/// reaches the closure absent: at the top level always, deeper when its schema does not take
/// `null`.
///
/// The closure returns `Result<T, E>`: `T` serializable (a string goes to the model as it is,
/// anything else as JSON, a [`ContentBlock`](crate::conversation::ContentBlock) or
/// [`ToolOutput`](super::ToolOutput) as content), `E` displayable (the error result's text).
///
/// ```
/// use serde_json::{Value, json};
/// use tool_runtime::conversation::ToolCall;
/// use tool_runtime::tool::FnTool;
/// use tool_runtime::Toolbox;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let lookup = FnTool::new(
///     "lookup",
///     "Look up a word in the glossary.",
///     json!({
///         "type": "object",
///         "properties": {"word": {"type": "string", "minLength": 1}},
///         "required": ["word"],
///     }),
///     |arguments: Value, _ctx| async move {
///         let word = arguments["word"].as_str().unwrap_or_default().to_owned();
///         match word.as_str() {
///             "tool" => Ok(format!("{word}: something a model can call")),
///             _ => Err(format!("no entry for {word:?}")),
///         }
///     },
/// );
///
/// let toolbox = Toolbox::new().with(lookup);
/// let results = toolbox
///     .run(&[
///         ToolCall::new("a", "lookup", r#"{"word": "tool"}"#),
///         ToolCall::new("b", "lookup", r#"{"word": 7}"#),
///     ])
///     .await;
/// assert_eq!(results[0].content(), "tool: something a model can call");
/// assert!(results[1].is_error());
/// assert!(results[1].content().contains("`word`"));
/// # }
/// ```
#[derive(Clone)]
pub struct FnTool {
    definition: ToolDefinition,
    /// The whole schema's checks (nothing decodes the arguments after them).
    checks: Option<Checks>,
    /// The schema's top-level properties, for "expected one of".
    fields: Vec<String>,
    call: Call,
}

impl FnTool {
    /// A tool named `name`, described for the model by `description`, taking arguments that
    /// match `parameters` (the JSON Schema of an object), run by `call`.
    pub fn new<F, Fut, T, E>(
        name: impl Into<std::borrow::Cow<'static, str>>,
        description: impl Into<std::borrow::Cow<'static, str>>,
        parameters: Value,
        call: F,
    ) -> Self
    where
        F: Fn(Value, CallContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize + 'static,
        E: Display,
    {
        Self::from_definition(ToolDefinition::new(name, description, parameters), call)
    }

    /// A tool with this definition (a title, an output schema, a
    /// [policy](super::ToolPolicy): a timeout, approval…), run by `call`.
    pub fn from_definition<F, Fut, T, E>(definition: ToolDefinition, call: F) -> Self
    where
        F: Fn(Value, CallContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize + 'static,
        E: Display,
    {
        let checks = Checks::compile(definition.parameters());
        let fields = definition.parameters()["properties"]
            .as_object()
            .map(|properties| properties.keys().cloned().collect())
            .unwrap_or_default();
        let name: Arc<str> = definition.name().into();
        let structured = definition.output_schema().is_some();
        let call: Call = Arc::new(move |arguments, ctx: CallContext| {
            let (name, running) = (name.clone(), call(arguments, ctx));
            ToolFuture::new(async move { ToolOutput::of_result(&name, structured, running.await) })
        });
        Self {
            definition,
            checks,
            fields,
            call,
        }
    }

    /// The arguments as the closure takes them, or what is wrong with them.
    fn arguments(&self, arguments: &Arguments) -> Result<Value, super::InvalidArguments> {
        let definition = &self.definition;
        let fields: Vec<&str> = self.fields.iter().map(String::as_str).collect();
        let value = checked_value(
            definition.name(),
            definition.parameters(),
            self.checks.as_ref(),
            &fields,
            arguments,
        )?;
        Ok(value.into_owned())
    }
}

impl Tool for FnTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    fn call(&self, arguments: &Arguments, ctx: &CallContext) -> ToolFuture {
        match self.arguments(arguments) {
            Ok(value) => (self.call)(value, ctx.clone()),
            Err(invalid) => ToolFuture::ready(Err(invalid.into())),
        }
    }
}

impl fmt::Debug for FnTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnTool")
            .field("definition", &self.definition)
            .finish_non_exhaustive()
    }
}
