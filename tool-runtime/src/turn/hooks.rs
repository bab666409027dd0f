//! [`CallHooks`]: code of yours around each call — before it (run it, deny it, or run it with
//! other arguments) and after it (inspect or replace its outcome).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::conversation::ToolCall;
use crate::run::pause::not_approved;
use crate::tool::{Arguments, CallContext, Tool, ToolError, ToolFuture, ToolOutput};

/// What a hook before a call decides.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Verdict {
    /// Run the call as the model made it.
    Run,
    /// Do not run it: the reason is sent to the model as the call's error result.
    Deny(String),
    /// Run it with these arguments instead.
    Replace(Arguments),
}

/// A call's outcome: its output, or the error the model reads.
pub type Outcome = Result<ToolOutput, ToolError>;

type HookFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Before = Arc<dyn Fn(&ToolCall, &CallContext) -> HookFuture<Verdict> + Send + Sync>;
type After = Arc<dyn Fn(&ToolCall, &CallContext, Outcome) -> HookFuture<Outcome> + Send + Sync>;

/// Hooks around every call of a turn: [`before`](Self::before) it runs, and
/// [`after`](Self::after) it ends. Both are async and see the call and its context; they run on
/// the call's task, under its time limit, so a slow hook delays only its own call.
///
/// Set them on an [`Agent`](crate::Agent) ([`before_call`](crate::Agent::before_call),
/// [`after_call`](crate::Agent::after_call)) or on a [`Turn`](crate::turn::Turn)
/// ([`with_hooks`](crate::turn::Turn::with_hooks)). Cloning is cheap.
///
/// ```
/// use tool_runtime::conversation::ToolCall;
/// use tool_runtime::tool::{Arguments, ToolError};
/// use tool_runtime::turn::{CallHooks, Verdict};
/// use tool_runtime::{tool, tools};
///
/// /// Delete a file.
/// #[tool]
/// fn delete(path: String) -> String {
///     format!("deleted {path}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let hooks = CallHooks::new()
///     .before(|call, _ctx| {
///         // Nothing outside /tmp.
///         let path: Option<String> = call.arguments.get("path");
///         let verdict = match path {
///             Some(path) if path.starts_with("/tmp/") => Verdict::Run,
///             _ => Verdict::Deny("Only files under /tmp may be deleted.".into()),
///         };
///         async move { verdict }
///     })
///     .after(|_call, _ctx, outcome| async move {
///         outcome.map(|output| tool_runtime::tool::ToolOutput::text(format!("{} (logged)", output.as_str())))
///     });
/// let toolbox = tools![delete];
/// let mut turn = toolbox.turn().with_hooks(&hooks);
/// turn.start(&ToolCall::new("a", "delete", r#"{"path": "/tmp/x"}"#));
/// turn.start(&ToolCall::new("b", "delete", r#"{"path": "/etc/passwd"}"#));
/// let results = turn.join_all().await;
/// assert_eq!(results[0].content(), "deleted /tmp/x (logged)");
/// assert_eq!(results[1].content(), "Only files under /tmp may be deleted.");
/// assert!(results[1].is_error());
/// # }
/// ```
#[derive(Clone, Default)]
pub struct CallHooks {
    before: Option<Before>,
    after: Option<After>,
}

impl CallHooks {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `hook` before each call: it decides whether the call runs, and with what arguments.
    #[must_use]
    pub fn before<F>(
        mut self,
        hook: impl Fn(&ToolCall, &CallContext) -> F + Send + Sync + 'static,
    ) -> Self
    where
        F: Future<Output = Verdict> + Send + 'static,
    {
        self.before = Some(Arc::new(move |call, ctx| Box::pin(hook(call, ctx))));
        self
    }

    /// Runs `hook` after each call that ran (or that the before hook denied): it sees the
    /// outcome and returns the one the model reads.
    ///
    /// It runs on the call's task, inside its time limit: a call that timed out or panicked
    /// gets its error result without it, as do calls that never ran (an unknown tool, a call
    /// denied for want of approval). Arguments that do not decode are the tool's own error: it
    /// sees those. To see every result, listen to
    /// [`AgentEvent::ToolCallFinished`](crate::agent::AgentEvent::ToolCallFinished).
    #[must_use]
    pub fn after<F>(
        mut self,
        hook: impl Fn(&ToolCall, &CallContext, Outcome) -> F + Send + Sync + 'static,
    ) -> Self
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        self.after = Some(Arc::new(move |call, ctx, outcome| {
            Box::pin(hook(call, ctx, outcome))
        }));
        self
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.before.is_none() && self.after.is_none()
    }

    /// The call, with the hooks around it.
    ///
    /// Arguments a before hook gives are asked the tool's approval predicate again, unless a
    /// person `approved` the call: a hook cannot turn a call into one that needs approval and
    /// have it run without.
    pub(crate) fn around(
        &self,
        tool: Arc<dyn Tool>,
        call: &ToolCall,
        context: &CallContext,
        approved: bool,
    ) -> ToolFuture {
        let (before, after) = (self.before.clone(), self.after.clone());
        let (call, context) = (call.clone(), context.clone());
        ToolFuture::new(async move {
            let verdict = match &before {
                Some(before) => before(&call, &context).await,
                None => Verdict::Run,
            };
            let outcome = match verdict {
                Verdict::Run => tool.call(&call.arguments, &context).await,
                Verdict::Replace(arguments)
                    if !approved && tool.definition().policy().needs_approval(&arguments) =>
                {
                    Err(not_approved())
                }
                Verdict::Replace(arguments) => tool.call(&arguments, &context).await,
                Verdict::Deny(reason) => Err(ToolError::Denied(reason)),
            };
            match &after {
                Some(after) => after(&call, &context, outcome).await,
                None => outcome,
            }
        })
    }
}

impl fmt::Debug for CallHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallHooks")
            .field("before", &self.before.is_some())
            .field("after", &self.after.is_some())
            .finish()
    }
}
