//! [`Schema`]: a JSON Schema and what is derived from it — OpenAI's and Anthropic's strict
//! flavours, the checks it promises — each made once, on first use, and shared by clones.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::check::Checks;
use super::strict::{self, StrictError};

/// A JSON Schema (of a tool's arguments, or of a typed answer), with its strict flavours and its
/// checks derived once, on first use. Cloning is cheap: clones share what was derived.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::schema::Schema;
///
/// let schema = Schema::new(json!({
///     "type": "object",
///     "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
///     "required": ["city"],
/// }));
/// // OpenAI's strict flavour: every property required, the optional one nullable.
/// let strict = schema.strict().unwrap();
/// assert_eq!(strict["required"], json!(["city", "unit"]));
/// // Anthropic's keeps `required` as written.
/// assert_eq!(schema.anthropic_strict().unwrap()["required"], json!(["city"]));
/// ```
#[derive(Clone)]
pub struct Schema(Arc<Derived>);

struct Derived {
    value: Value,
    strict: OnceLock<Result<Value, StrictError>>,
    anthropic_strict: OnceLock<Result<Value, StrictError>>,
    /// The checks of what the schema promises beyond types.
    checks: OnceLock<Option<Checks>>,
    /// Whether the reason it cannot be strict was logged (OpenAI's flavour, Anthropic's).
    warned: AtomicBool,
    warned_anthropic: AtomicBool,
}

impl Schema {
    /// The schema `value`; nothing is derived until asked for.
    pub fn new(value: Value) -> Self {
        Self(Arc::new(Derived {
            value,
            strict: OnceLock::new(),
            anthropic_strict: OnceLock::new(),
            checks: OnceLock::new(),
            warned: AtomicBool::new(false),
            warned_anthropic: AtomicBool::new(false),
        }))
    }

    /// The schema as written: the flavour sent to Anthropic and to OpenAI without `strict`.
    pub fn value(&self) -> &Value {
        &self.0.value
    }

    /// OpenAI's strict flavour ([`to_strict`](super::strict::to_strict)), or why there is none.
    pub fn strict(&self) -> Result<&Value, &StrictError> {
        self.0
            .strict
            .get_or_init(|| strict::to_strict(&self.0.value))
            .as_ref()
    }

    /// Anthropic's strict flavour ([`to_anthropic_strict`](super::strict::to_anthropic_strict)),
    /// or why there is none.
    pub fn anthropic_strict(&self) -> Result<&Value, &StrictError> {
        self.0
            .anthropic_strict
            .get_or_init(|| strict::to_anthropic_strict(&self.0.value))
            .as_ref()
    }

    /// What the schema promises beyond types (bounds, lengths, patterns, formats…), compiled on
    /// first use; `None` when serde checks all of it as it decodes.
    pub(crate) fn checks(&self) -> Option<&Checks> {
        self.0
            .checks
            .get_or_init(|| Checks::needed_for(&self.0.value))
            .as_ref()
    }

    /// OpenAI's strict flavour for a request that asks for strict tools, when there is one; why
    /// there is none is logged once, as a warning naming `owner`, and the schema is then sent as
    /// written.
    pub(crate) fn strict_or_warn(&self, owner: &str) -> Option<&Value> {
        or_warn(owner, self.strict(), &self.0.warned)
    }

    /// [`strict_or_warn`](Self::strict_or_warn), in Anthropic's flavour.
    pub(crate) fn anthropic_strict_or_warn(&self, owner: &str) -> Option<&Value> {
        or_warn(owner, self.anthropic_strict(), &self.0.warned_anthropic)
    }
}

fn or_warn<'a>(
    owner: &str,
    strict: Result<&'a Value, &StrictError>,
    warned: &AtomicBool,
) -> Option<&'a Value> {
    match strict {
        Ok(schema) => Some(schema),
        Err(reason) => {
            if !warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    tool = owner,
                    %reason,
                    "schema is not strict-compatible; sending it without `strict`"
                );
            }
            None
        }
    }
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.0.value == other.0.value
    }
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.value.fmt(f)
    }
}

impl From<Value> for Schema {
    fn from(value: Value) -> Self {
        Self::new(value)
    }
}
