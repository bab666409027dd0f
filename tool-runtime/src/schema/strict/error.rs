//! [`StrictError`]: why a schema cannot be made strict, and the errors the rules give.

use std::fmt;

use serde_json::Value;

use super::limits::MAX_NESTING_DEPTH;

/// Why a schema cannot be made strict.
///
/// [`path`](Self::path) is a JSON pointer to the offending (sub)schema, `""`
/// for the root, e.g. `/properties/tags/items`; [`reason`](Self::reason) says
/// what strict mode does not support there. Errors about a keyword point at
/// the schema holding it. Nesting-depth errors point into the *converted*
/// schema, which differs from the input where an optional property was
/// wrapped in `anyOf` or a `$ref` was inlined; errors about totals over the
/// whole schema point at the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictError {
    path: String,
    reason: String,
}

impl StrictError {
    pub(super) fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// The JSON pointer of the offending (sub)schema; empty for the root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What strict mode does not support at [`path`](Self::path).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for StrictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(
                f,
                "cannot be made strict at the schema root: {}",
                self.reason
            )
        } else {
            write!(
                f,
                "cannot be made strict at `{}`: {}",
                self.path, self.reason
            )
        }
    }
}

impl std::error::Error for StrictError {}

pub(super) fn describe_value(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(true) => "`true` (a schema accepting any value)",
        Value::Bool(false) => "`false`",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn root_error(found: &str) -> StrictError {
    StrictError::new(
        "",
        format!("the root schema must be a plain object (`\"type\": \"object\"`), {found}"),
    )
}

pub(super) fn any_value_error(path: &str) -> StrictError {
    StrictError::new(
        path,
        "a value of any type (an empty schema or `true`) is not supported in strict mode; give it a concrete type",
    )
}

pub(super) fn map_error(path: &str, keyword: &str) -> StrictError {
    StrictError::new(
        path,
        format!("maps with arbitrary keys ({keyword}) are not supported in strict mode"),
    )
}

/// An object schema without properties that does not say it is empty: a map or a free-form
/// object, which the strict flavours would close to accept only `{}`.
pub(super) fn free_form_error(path: &str) -> StrictError {
    StrictError::new(
        path,
        "free-form objects (an object schema without `properties`, whose keys are left open) \
         are not supported in strict mode, which would accept only `{}` there; give it \
         `properties`, or `\"additionalProperties\": false` if only `{}` is meant",
    )
}

/// An optional property whose `default` is not one of its own values: strict mode would send
/// `null` for "the default", and the default is not a value the property takes.
pub(super) fn default_error(path: &str, default: &Value) -> StrictError {
    let mut shown = default.to_string();
    if shown.len() > 80 {
        let mut end = 77;
        while !shown.is_char_boundary(end) {
            end -= 1;
        }
        shown.truncate(end);
        shown.push_str("...");
    }
    StrictError::new(
        path,
        format!(
            "the `default` of this optional property ({shown}) is not one of its own values \
             (outside its `enum`, or of another type): strict mode sends `null` for the \
             default, which would then stand for a value the property does not take"
        ),
    )
}

pub(super) fn tuple_error(path: &str) -> StrictError {
    StrictError::new(
        path,
        "tuples (`prefixItems`, or `items` given as an array) are not supported in strict mode",
    )
}

pub(super) fn nesting_error(path: &str) -> StrictError {
    StrictError::new(
        path,
        format!(
            "the schema is nested too deeply; strict mode allows at most {MAX_NESTING_DEPTH} levels of nesting"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_accessors_and_display() {
        let error = StrictError::new("/properties/tags/items", "why");
        assert_eq!(error.path(), "/properties/tags/items");
        assert_eq!(error.reason(), "why");
        assert_eq!(
            error.to_string(),
            "cannot be made strict at `/properties/tags/items`: why"
        );
        assert_eq!(
            StrictError::new("", "why").to_string(),
            "cannot be made strict at the schema root: why"
        );
        let boxed: Box<dyn std::error::Error> = Box::new(error);
        assert!(boxed.source().is_none());
    }
}
