//! [`ToolDefinition`]: what a model reads of a tool — its name, description and schemas — and
//! the policy its calls run under.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use serde_json::Value;

use super::RunDataNeed;
use super::policy::{Approval, ToolHints, ToolPolicy};
use crate::schema::Schema;
use crate::schema::strict::StrictError;

/// Everything the runtime knows about a tool except how to run it: what the model reads (the
/// name, the description, the parameters' [`Schema`], for MCP clients a title and an output
/// schema), and the [`ToolPolicy`] its calls run under.
///
/// `#[tool]` builds one per tool and caches it for the life of the program; the schema's strict
/// flavours are derived from it once, on first use.
///
/// ```
/// use std::time::Duration;
/// use serde_json::json;
/// use tool_runtime::tool::{ToolDefinition, ToolPolicy};
///
/// let definition = ToolDefinition::new(
///     "get_weather",
///     "Get the current weather for a city.",
///     json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
/// )
/// .with_policy(ToolPolicy::new().with_timeout(Duration::from_secs(5)));
/// assert_eq!(definition.name(), "get_weather");
/// assert_eq!(definition.policy().timeout(), Some(Duration::from_secs(5)));
/// assert!(definition.schema().strict().is_ok());
/// ```
#[derive(Clone)]
pub struct ToolDefinition {
    name: Cow<'static, str>,
    description: Cow<'static, str>,
    title: Option<Cow<'static, str>>,
    parameters: Schema,
    output_schema: Option<Value>,
    policy: ToolPolicy,
}

impl ToolDefinition {
    /// A definition from a name, a description and a JSON Schema for the arguments object, with
    /// the default policy.
    ///
    /// The name should match `^[a-zA-Z0-9_-]{1,64}$` (what OpenAI and Anthropic accept); a
    /// [`Toolbox`](crate::Toolbox) refuses one that does not.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        description: impl Into<Cow<'static, str>>,
        parameters: impl Into<Schema>,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            title: None,
            parameters: parameters.into(),
            output_schema: None,
            policy: ToolPolicy::new(),
        }
    }

    /// This definition, its calls run under `policy`.
    #[must_use]
    pub fn with_policy(mut self, policy: ToolPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// This definition with a human-readable title (sent to MCP clients; the LLM APIs are
    /// sent the name).
    #[must_use]
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.title = Some(title.into());
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

    /// The tool's name, as the model calls it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the tool does, as the model reads it.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The human-readable title, if it has one.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// The JSON Schema of the arguments object, as written (the plain flavour).
    pub fn parameters(&self) -> &Value {
        self.parameters.value()
    }

    /// The arguments' schema with its strict flavours ([`Schema::strict`],
    /// [`Schema::anthropic_strict`]).
    pub fn schema(&self) -> &Schema {
        &self.parameters
    }

    /// The JSON Schema of the tool's output, when it declares one (an object).
    pub fn output_schema(&self) -> Option<&Value> {
        self.output_schema.as_ref()
    }

    /// How the tool's calls run.
    pub fn policy(&self) -> &ToolPolicy {
        &self.policy
    }

    /// Sets a time limit for each call of this tool.
    #[deprecated(note = "use `with_policy(ToolPolicy::new().with_timeout(…))`")]
    #[doc(hidden)]
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.policy = self.policy.with_timeout(timeout);
        self
    }

    /// Marks the tool sequential.
    #[deprecated(note = "use `with_policy(ToolPolicy::new().with_sequential(…))`")]
    #[doc(hidden)]
    #[must_use]
    pub fn with_sequential(mut self, sequential: bool) -> Self {
        self.policy = self.policy.with_sequential(sequential);
        self
    }

    /// Records that the tool takes per-run data of a type.
    #[deprecated(note = "use `with_policy(ToolPolicy::new().with_run_data_need(…))`")]
    #[doc(hidden)]
    #[must_use]
    pub fn with_run_data_need(mut self, need: impl Into<Option<RunDataNeed>>) -> Self {
        self.policy = self.policy.with_run_data_need(need);
        self
    }

    /// Makes the tool's calls wait for a person's decision.
    #[deprecated(note = "use `with_policy(ToolPolicy::new().with_approval(…))`")]
    #[doc(hidden)]
    #[must_use]
    pub fn with_approval(mut self, approval: Approval) -> Self {
        self.policy = self.policy.with_approval(approval);
        self
    }

    /// This definition with hints about what the tool does.
    #[deprecated(note = "use `with_policy(ToolPolicy::new().with_hints(…))`")]
    #[doc(hidden)]
    #[must_use]
    pub fn with_hints(mut self, hints: ToolHints) -> Self {
        self.policy = self.policy.with_hints(hints);
        self
    }

    /// The parameters in OpenAI's strict flavour, or why they cannot be made strict.
    #[deprecated(note = "use `schema().strict()`")]
    #[doc(hidden)]
    pub fn strict_parameters(&self) -> Result<&Value, &StrictError> {
        self.parameters.strict()
    }

    /// The parameters in Anthropic's strict flavour, or why they cannot be made strict.
    #[deprecated(note = "use `schema().anthropic_strict()`")]
    #[doc(hidden)]
    pub fn anthropic_strict_parameters(&self) -> Result<&Value, &StrictError> {
        self.parameters.anthropic_strict()
    }
}

impl fmt::Debug for ToolDefinition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolDefinition")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("title", &self.title)
            .field("parameters", &self.parameters)
            .field("output_schema", &self.output_schema)
            .field("policy", &self.policy)
            .finish()
    }
}
