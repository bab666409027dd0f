//! [`ToolPolicy`]: how a tool's calls run — their time limit, whether they run one at a time,
//! whether a person approves them first, what they do to the world, and the per-run data they
//! take. Nothing of it is sent to the model.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Arguments, RunDataNeed};

/// How a tool's calls run: read by the turn that runs them, never sent to a model.
///
/// `#[tool]` fills it from its keys (`timeout = "5s"`, `sequential`, `needs_approval`,
/// `read_only`…, and the [`PerRun<T>`](super::PerRun) parameters); a hand-written tool gives
/// one to [`ToolDefinition::with_policy`](super::ToolDefinition::with_policy).
///
/// ```
/// use std::time::Duration;
/// use tool_runtime::tool::{Approval, ToolHints, ToolPolicy};
///
/// let policy = ToolPolicy::new()
///     .with_timeout(Duration::from_secs(5))
///     .with_sequential(true)
///     .with_approval(Approval::Always)
///     .with_hints(ToolHints::new().idempotent(true));
/// assert_eq!(policy.timeout(), Some(Duration::from_secs(5)));
/// assert!(policy.is_sequential());
/// ```
#[derive(Clone, Default, Debug)]
#[non_exhaustive]
pub struct ToolPolicy {
    timeout: Option<Duration>,
    sequential: bool,
    approval: Approval,
    hints: ToolHints,
    run_data_needs: Vec<RunDataNeed>,
}

impl ToolPolicy {
    /// Calls run concurrently, without a time limit of their own, without approval.
    pub fn new() -> Self {
        Self::default()
    }

    /// A time limit for each call, overriding the toolbox's default.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether calls run one at a time, in the order the model made them.
    #[must_use]
    pub fn with_sequential(mut self, sequential: bool) -> Self {
        self.sequential = sequential;
        self
    }

    /// Whether calls wait for a person's decision: always, or when a predicate on their
    /// arguments says so.
    #[must_use]
    pub fn with_approval(mut self, approval: Approval) -> Self {
        self.approval = approval;
        self
    }

    /// What the tool does to the world (MCP's hints).
    #[must_use]
    pub fn with_hints(mut self, hints: ToolHints) -> Self {
        self.hints = hints;
        self
    }

    /// Records that the tool takes per-run data of a type (a [`PerRun<T>`](super::PerRun)
    /// parameter): an [`Agent`](crate::Agent) refuses to start a run without it. `None` is
    /// ignored, so that `#[tool]` can pass on what
    /// [`FromCall::run_data_needed`](super::FromCall::run_data_needed) says.
    #[must_use]
    pub fn with_run_data_need(mut self, need: impl Into<Option<RunDataNeed>>) -> Self {
        if let Some(need) = need.into()
            && !self.run_data_needs.contains(&need)
        {
            self.run_data_needs.push(need);
        }
        self
    }

    /// The tool's own time limit, if it has one.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether calls run one at a time, in order.
    pub fn is_sequential(&self) -> bool {
        self.sequential
    }

    /// Which calls wait for a person's decision.
    pub fn approval(&self) -> &Approval {
        &self.approval
    }

    /// Whether a call with these arguments waits for a person's decision.
    pub fn needs_approval(&self, arguments: &Arguments) -> bool {
        self.approval.needed_for(arguments)
    }

    /// What the tool does to the world.
    pub fn hints(&self) -> ToolHints {
        self.hints
    }

    /// The types of per-run data the tool takes.
    pub fn run_data_needs(&self) -> &[RunDataNeed] {
        &self.run_data_needs
    }
}

/// What a tool does to the world, as MCP clients are told (`readOnlyHint`, `destructiveHint`,
/// `idempotentHint`, `openWorldHint`): hints, not guarantees; `None` is "not said". The LLM
/// APIs are not sent them.
///
/// ```
/// use tool_runtime::tool::ToolHints;
///
/// let hints = ToolHints::new().read_only(true).open_world(false);
/// assert_eq!(hints.read_only, Some(true));
/// assert_eq!(hints.destructive, None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolHints {
    /// It changes nothing.
    pub read_only: Option<bool>,
    /// What it changes, it may destroy (meaningful when not read-only).
    pub destructive: Option<bool>,
    /// Calling it again with the same arguments changes nothing more.
    pub idempotent: Option<bool>,
    /// It reaches outside (the web, other systems), not only a closed domain.
    pub open_world: Option<bool>,
}

impl ToolHints {
    /// No hints.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether it changes nothing.
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = Some(read_only);
        self
    }

    /// Whether what it changes, it may destroy.
    #[must_use]
    pub fn destructive(mut self, destructive: bool) -> Self {
        self.destructive = Some(destructive);
        self
    }

    /// Whether calling it again with the same arguments changes nothing more.
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Whether it reaches outside a closed domain.
    #[must_use]
    pub fn open_world(mut self, open_world: bool) -> Self {
        self.open_world = Some(open_world);
        self
    }
}

/// Whether a tool's calls wait for a person's decision before they run (see
/// [`Agent::resume`](crate::Agent::resume)).
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Approval {
    /// They run (the default).
    #[default]
    Never,
    /// Every call waits.
    Always,
    /// A call waits when this says so of its arguments ("above 100 EUR").
    When(Arc<dyn Fn(&Arguments) -> bool + Send + Sync>),
}

impl Approval {
    /// Calls wait when `needs` says so of their arguments.
    ///
    /// ```
    /// use tool_runtime::tool::Approval;
    ///
    /// let large = Approval::when(|args| args.get::<f64>("amount").is_none_or(|a| a > 100.0));
    /// # let _ = large;
    /// ```
    pub fn when(needs: impl Fn(&Arguments) -> bool + Send + Sync + 'static) -> Self {
        Self::When(Arc::new(needs))
    }

    /// Whether a call with these arguments waits. A predicate that panics says yes (the panic is
    /// logged): a call is never run because its check failed.
    pub fn needed_for(&self, arguments: &Arguments) -> bool {
        match self {
            Self::Never => false,
            Self::Always => true,
            Self::When(needs) => {
                let asked =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| needs(arguments)));
                asked.unwrap_or_else(|payload| {
                    let message = super::error::panic_message(payload.as_ref());
                    tracing::error!(%message, "an approval predicate panicked; the call waits");
                    true
                })
            }
        }
    }
}

impl fmt::Debug for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Never => "Never",
            Self::Always => "Always",
            Self::When(_) => "When(…)",
        })
    }
}
