//! placeholder until the strict module lands
use serde_json::Value;
/// Why a schema cannot be made strict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictError { path: String, reason: String }
impl std::fmt::Display for StrictError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{} {}", self.path, self.reason) } }
impl std::error::Error for StrictError {}
/// Rewrites `schema` into OpenAI's strict flavour.
pub fn to_strict(schema: &Value) -> Result<Value, StrictError> { Ok(schema.clone()) }
