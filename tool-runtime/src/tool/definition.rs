//! [`ToolDefinition`]: a tool's name, description, parameter schema and execution policy.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::Value;

use super::{Arguments, RunDataNeed};
use crate::schema::check::Checks;
use crate::schema::strict::{self, StrictError};

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
    anthropic_strict: OnceLock<Result<Value, StrictError>>,
    /// The checks of what the schema promises beyond types, made on first use.
    checks: OnceLock<Option<Checks>>,
    /// Whether the reason the schema cannot be strict was logged (OpenAI's flavour, Anthropic's).
    warned: AtomicBool,
    warned_anthropic: AtomicBool,
    timeout: Option<Duration>,
    sequential: bool,
    run_data_needs: Vec<RunDataNeed>,
    approval: Approval,
    title: Option<Cow<'static, str>>,
    hints: ToolHints,
    output_schema: Option<Value>,
}

/// What a tool does to the world, as MCP clients are told (`readOnlyHint`, `destructiveHint`,
/// `idempotentHint`, `openWorldHint`): hints, not guarantees; `None` is "not said". The LLM
/// APIs are not sent them.
///
/// ```
/// use tool_runtime::ToolHints;
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
    /// use tool_runtime::{Approval, Arguments};
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
            anthropic_strict: OnceLock::new(),
            checks: OnceLock::new(),
            warned: AtomicBool::new(false),
            warned_anthropic: AtomicBool::new(false),
            timeout: None,
            sequential: false,
            run_data_needs: Vec::new(),
            approval: Approval::Never,
            title: None,
            hints: ToolHints::default(),
            output_schema: None,
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

    /// Records that the tool needs per-run data of a type (a [`Run<T>`](crate::Run) parameter):
    /// an [`Agent`](crate::Agent) refuses to start a run without it. `None` is ignored, so that
    /// `#[tool]` can pass on what [`FromCall::run_data_needed`](crate::FromCall::run_data_needed)
    /// says.
    #[must_use]
    pub fn with_run_data_need(mut self, need: impl Into<Option<RunDataNeed>>) -> Self {
        if let Some(need) = need.into()
            && !self.run_data_needs.contains(&need)
        {
            self.run_data_needs.push(need);
        }
        self
    }

    /// Makes the tool's calls wait for a person's decision: always, or when a predicate on
    /// their arguments says so (`#[tool(needs_approval)]`, `#[tool(needs_approval = f)]`).
    #[must_use]
    pub fn with_approval(mut self, approval: Approval) -> Self {
        self.approval = approval;
        self
    }

    /// This definition with a human-readable title (sent to MCP clients; the LLM APIs are
    /// sent the name).
    #[must_use]
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// This definition with hints about what the tool does (sent to MCP clients).
    #[must_use]
    pub fn with_hints(mut self, hints: ToolHints) -> Self {
        self.hints = hints;
        self
    }

    /// This definition with the JSON Schema of its output, an object schema (MCP's
    /// `outputSchema`: the results then carry the output as `structuredContent` too). `None`,
    /// or a schema that is not of an object, declares none.
    #[must_use]
    pub fn with_output_schema(mut self, schema: Option<Value>) -> Self {
        self.output_schema = schema.filter(|schema| schema["type"] == "object");
        self
    }

    /// The human-readable title, if it has one.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The hints about what the tool does.
    pub fn hints(&self) -> ToolHints {
        self.hints
    }

    /// The JSON Schema of the tool's output, when it declares one (an object).
    pub fn output_schema(&self) -> Option<&Value> {
        self.output_schema.as_ref()
    }

    /// Whether a call with these arguments waits for a person's decision.
    pub fn needs_approval(&self, arguments: &Arguments) -> bool {
        self.approval.needed_for(arguments)
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

    /// The types of per-run data the tool needs.
    pub fn run_data_needs(&self) -> &[RunDataNeed] {
        &self.run_data_needs
    }

    /// The parameters in OpenAI's strict flavour, or why they cannot be made strict.
    ///
    /// Computed once, on first use, by [`to_strict`](crate::strict::to_strict).
    pub fn strict_parameters(&self) -> Result<&Value, &StrictError> {
        self.strict
            .get_or_init(|| strict::to_strict(&self.parameters))
            .as_ref()
    }

    /// What the schema promises beyond types (bounds, lengths, patterns, formats…), compiled on
    /// first use; `None` when serde checks all of it as it decodes.
    pub(crate) fn checks(&self) -> Option<&Checks> {
        self.checks
            .get_or_init(|| Checks::needed_for(&self.parameters))
            .as_ref()
    }

    /// The parameters in Anthropic's strict flavour, or why they cannot be made strict.
    ///
    /// Computed once, on first use, by
    /// [`to_anthropic_strict`](crate::strict::to_anthropic_strict).
    pub fn anthropic_strict_parameters(&self) -> Result<&Value, &StrictError> {
        self.anthropic_strict
            .get_or_init(|| strict::to_anthropic_strict(&self.parameters))
            .as_ref()
    }

    /// The strict flavour, when the schema allows it, for a request that asks for strict tools.
    /// Why a schema cannot be strict is logged once per definition, as a warning: the tool is
    /// then sent in its plain flavour.
    pub(crate) fn strict_for_request(&self) -> Option<&Value> {
        Self::or_warn(self.name(), self.strict_parameters(), &self.warned)
    }

    /// [`strict_for_request`](Self::strict_for_request), in Anthropic's flavour.
    pub(crate) fn anthropic_strict_for_request(&self) -> Option<&Value> {
        Self::or_warn(
            self.name(),
            self.anthropic_strict_parameters(),
            &self.warned_anthropic,
        )
    }

    fn or_warn<'a>(
        tool: &str,
        strict: Result<&'a Value, &StrictError>,
        warned: &AtomicBool,
    ) -> Option<&'a Value> {
        match strict {
            Ok(parameters) => Some(parameters),
            Err(reason) => {
                if !warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        tool,
                        %reason,
                        "schema is not strict-compatible; sending it without `strict`"
                    );
                }
                None
            }
        }
    }
}

impl Clone for ToolDefinition {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            description: self.description.clone(),
            parameters: self.parameters.clone(),
            strict: self.strict.clone(),
            anthropic_strict: self.anthropic_strict.clone(),
            checks: self.checks.clone(),
            warned: AtomicBool::new(self.warned.load(Ordering::Relaxed)),
            warned_anthropic: AtomicBool::new(self.warned_anthropic.load(Ordering::Relaxed)),
            timeout: self.timeout,
            sequential: self.sequential,
            run_data_needs: self.run_data_needs.clone(),
            approval: self.approval.clone(),
            title: self.title.clone(),
            hints: self.hints,
            output_schema: self.output_schema.clone(),
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
            .field("run_data_needs", &self.run_data_needs)
            .field("approval", &self.approval)
            .field("title", &self.title)
            .field("hints", &self.hints)
            .field("output_schema", &self.output_schema)
            .finish_non_exhaustive()
    }
}
