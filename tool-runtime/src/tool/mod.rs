//! Tools: the object-safe [`Tool`] trait, what a model reads of a tool
//! ([`ToolDefinition`]) and how its calls run ([`ToolPolicy`]), the values that flow through a
//! call, the extractors a tool takes its state from, and the [`Toolbox`] that holds tools.

mod arguments;
mod bind;
mod context;
pub(crate) mod decode;
mod definition;
mod error;
mod extract;
mod function;
mod future;
mod name;
pub(crate) mod nulls;
mod output;
mod policy;
mod toolbox;

use std::sync::Arc;

pub use arguments::Arguments;
pub use bind::{ToolFor, ToolSet};
pub(crate) use context::Hold;
pub use context::{CallContext, PlaceGuard, RunData};
pub use definition::ToolDefinition;
pub(crate) use error::DisplayDuration;
pub use error::{FieldIssue, InvalidArguments, ToolError};
pub use extract::{FromCall, FromRef, PerRun, RunDataNeed, State};
pub use function::FnTool;
pub(crate) use future::Body;
pub use future::ToolFuture;
pub(crate) use name::{check_parameter_name, check_tool_name};
pub use output::ToolOutput;
// Not public API: what `#[tool]`'s generated code decodes arguments and converts return values
// through (`__private` names them for it). Re-exported here, hidden, only so that rustc calls
// them by their short names in the errors their `on_unimplemented` messages head (a path through
// a hidden module is printed whole: `tool_runtime::__private::…`).
#[doc(hidden)]
pub use crate::schema::build::{ToolArgumentDefault, ToolArgumentDefaultJson, ToolArgumentSchema};
#[doc(hidden)]
pub use decode::ToolArgument;
#[doc(hidden)]
pub use output::{ToolErrorMessage, ToolReturn};
pub use policy::{Approval, ToolHints, ToolPolicy};
/// The token that tells a tool its call is no longer wanted ([`CallContext::cancellation`]),
/// from `tokio-util`.
pub use tokio_util::sync::CancellationToken;

pub(crate) use toolbox::Registry;
pub use toolbox::{RegisterError, Toolbox};

/// Something a model can call.
///
/// `#[tool]` implements this for you; implement it by hand for tools whose schema or name is only
/// known at run time (a tool loaded from a config file, a proxy to a remote service…). The trait is
/// object safe: a [`Toolbox`] stores tools as `Arc<dyn Tool>`.
///
/// `call` decodes the arguments *before* it returns, so the future it hands back owns everything it
/// needs and can run on any task.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::tool::{Arguments, Tool, ToolDefinition, ToolFuture, ToolOutput};
/// use tool_runtime::CallContext;
///
/// /// Echoes its `text` argument.
/// struct Echo(ToolDefinition);
///
/// impl Tool for Echo {
///     fn definition(&self) -> &ToolDefinition {
///         &self.0
///     }
///
///     fn call(&self, args: &Arguments, _ctx: &CallContext) -> ToolFuture {
///         let text = args.to_value().ok().and_then(|v| v["text"].as_str().map(str::to_owned));
///         ToolFuture::new(async move { Ok(ToolOutput::text(text.unwrap_or_default())) })
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
    /// [`ToolError::InvalidArguments`] at once, without running the tool. The context is lent:
    /// a tool that needs it in its future, or past it (a body on another thread), keeps a clone.
    fn call(&self, args: &Arguments, ctx: &CallContext) -> ToolFuture;
}

impl<T: Tool + ?Sized> Tool for Arc<T> {
    fn definition(&self) -> &ToolDefinition {
        (**self).definition()
    }

    fn call(&self, args: &Arguments, ctx: &CallContext) -> ToolFuture {
        (**self).call(args, ctx)
    }
}

impl<T: Tool + ?Sized> Tool for Box<T> {
    fn definition(&self) -> &ToolDefinition {
        (**self).definition()
    }

    fn call(&self, args: &Arguments, ctx: &CallContext) -> ToolFuture {
        (**self).call(args, ctx)
    }
}

/// Whether `name` is a tool name OpenAI and Anthropic accept: `^[a-zA-Z0-9_-]{1,64}$`.
///
/// ```
/// assert!(tool_runtime::tool::is_valid_tool_name("get_weather"));
/// assert!(!tool_runtime::tool::is_valid_tool_name("get weather"));
/// ```
pub fn is_valid_tool_name(name: &str) -> bool {
    check_tool_name(name).is_ok()
}
