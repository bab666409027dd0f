//! Tools for a toolbox with state: [`ToolFor<S>`], the values whose methods are tools
//! ([`ToolSet<S>`]), and the binding of both to a toolbox's state, which makes them plain
//! [`Tool`]s.

use std::sync::Arc;

use super::{Arguments, CallContext, Tool, ToolDefinition, ToolFuture};

/// A tool for a toolbox whose state is `S`.
///
/// Every [`Tool`] is one, for every state. A `#[tool]` function that takes
/// [`State<T>`](super::State) is one for the states `S` with `T:`
/// [`FromRef<S>`](super::FromRef): adding it to a toolbox without such a state does not compile.
///
/// Implement it by hand for a tool that reads the toolbox's state without `#[tool]`:
///
/// ```
/// use serde_json::json;
/// use tool_runtime::tool::{Arguments, ToolDefinition, ToolFor, ToolFuture, ToolOutput};
/// use tool_runtime::{CallContext, Toolbox};
///
/// struct Greeting(String);
///
/// struct Greet(ToolDefinition);
///
/// impl ToolFor<Greeting> for Greet {
///     fn describe(&self) -> &ToolDefinition {
///         &self.0
///     }
///
///     fn call_with(&self, _: &Arguments, _: &CallContext, state: &Greeting) -> ToolFuture {
///         let text = state.0.clone();
///         ToolFuture::new(async move { Ok(ToolOutput::text(text)) })
///     }
/// }
///
/// let greet = Greet(ToolDefinition::new("greet", "Say hello.", json!({"type": "object"})));
/// let toolbox = Toolbox::with_state(Greeting("Hello!".into())).with(greet);
/// assert_eq!(toolbox.len(), 1);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tool for a toolbox whose state is `{S}`",
    label = "not a tool for this toolbox",
    note = "a `#[tool]` that takes `State<T>` is a tool only for toolboxes whose state gives a `T` (`T: FromRef<{S}>`): build the toolbox with `Toolbox::with_state(…)` or `tools![state = …; …]`"
)]
pub trait ToolFor<S>: Send + Sync + 'static {
    /// The tool's name, description, parameter schema and execution policy: what
    /// [`Tool::definition`] gives, named apart so that `definition()` stays unambiguous with
    /// both traits in scope.
    fn describe(&self) -> &ToolDefinition;

    /// Decodes `args`, takes what the tool needs from `state` and the call, and starts the call.
    fn call_with(&self, args: &Arguments, ctx: &CallContext, state: &S) -> ToolFuture;

    /// This tool bound to a toolbox's state: a plain [`Tool`]. The default keeps the tool and
    /// a share of the state together; plain tools need no state and are kept as they are.
    fn bind(self, state: &Arc<S>) -> Arc<dyn Tool>
    where
        Self: Sized,
        S: Send + Sync + 'static,
    {
        Arc::new(Bound {
            tool: self,
            state: state.clone(),
        })
    }
}

impl<T: Tool, S> ToolFor<S> for T {
    fn describe(&self) -> &ToolDefinition {
        Tool::definition(self)
    }

    fn call_with(&self, args: &Arguments, ctx: &CallContext, _state: &S) -> ToolFuture {
        self.call(args, ctx)
    }

    fn bind(self, _state: &Arc<S>) -> Arc<dyn Tool>
    where
        S: Send + Sync + 'static,
    {
        Arc::new(self)
    }
}

/// A value whose methods are tools, for a toolbox whose state is `S`: what `#[toolset]`
/// implements for the type of an `impl` block with `#[tool]` methods.
/// [`Toolbox::with_all`](crate::Toolbox::with_all) adds them all,
/// [`Toolbox::with_method`](crate::Toolbox::with_method) one of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no tools for a toolbox whose state is `{S}`",
    label = "not a set of tools for this toolbox",
    note = "put `#[toolset]` on the `impl` block of `{Self}` that holds its `#[tool]` methods; a method taking `State<T>` needs a toolbox whose state gives a `T`"
)]
pub trait ToolSet<S>: Send + Sync + 'static {
    /// The value's tools, each holding a share of the value, bound to `state`.
    fn tools(self: Arc<Self>, state: &Arc<S>) -> Vec<Arc<dyn Tool>>;
}

/// A tool bound to the state of its toolbox.
struct Bound<T, S> {
    tool: T,
    state: Arc<S>,
}

impl<T: ToolFor<S>, S: Send + Sync + 'static> Tool for Bound<T, S> {
    fn definition(&self) -> &ToolDefinition {
        self.tool.describe()
    }

    fn call(&self, args: &Arguments, ctx: &CallContext) -> ToolFuture {
        self.tool.call_with(args, ctx, &self.state)
    }
}
