//! What strict mode accepts of single keywords: types, `required` and patterns (the formats
//! each flavour takes are in `flavor`).

use serde_json::{Map, Value, json};

use super::error::StrictError;

/// The type names JSON Schema defines.
pub(super) const TYPE_NAMES: &[&str] = &[
    "string", "number", "integer", "boolean", "object", "array", "null",
];

/// The names in a schema's `type` (empty when it has none).
pub(super) fn parse_types(ty: Option<&Value>, path: &str) -> Result<Vec<String>, StrictError> {
    let invalid = || {
        StrictError::new(
            path,
            format!(
                "`type` must be one of {} or a non-empty array of them",
                TYPE_NAMES.join(", ")
            ),
        )
    };
    let names: Vec<&Value> = match ty {
        None => return Ok(Vec::new()),
        Some(Value::Array(names)) if !names.is_empty() => names.iter().collect(),
        Some(single) => vec![single],
    };
    names
        .into_iter()
        .map(|name| match name {
            Value::String(name) if TYPE_NAMES.contains(&name.as_str()) => Ok(name.clone()),
            _ => Err(invalid()),
        })
        .collect()
}

/// The names in an object schema's `required` (empty when it has none).
pub(super) fn parse_required<'m>(
    map: &'m Map<String, Value>,
    path: &str,
) -> Result<Vec<&'m str>, StrictError> {
    let invalid = || StrictError::new(path, "`required` must be an array of property names");
    match map.get("required") {
        None => Ok(Vec::new()),
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| name.as_str().ok_or_else(invalid))
            .collect(),
        Some(_) => Err(invalid()),
    }
}

/// The type of an `enum` or `const` without `type`, when all values are
/// scalars: `"string"`, `"integer"`, … or an array of those.
pub(super) fn infer_type(map: &Map<String, Value>) -> Option<Value> {
    let values: Vec<&Value> = match (map.get("enum"), map.get("const")) {
        (Some(Value::Array(values)), _) => values.iter().collect(),
        (None, Some(value)) => vec![value],
        _ => return None,
    };
    let mut names: Vec<&str> = Vec::new();
    for value in values {
        let name = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) | Value::Object(_) => return None,
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.contains(&"number") {
        names.retain(|name| *name != "integer");
    }
    match names.as_slice() {
        [] => None,
        [single] => Some(json!(single)),
        many => Some(json!(many)),
    }
}

/// Whether OpenAI accepts a `pattern`: no lookaround and no backreferences.
pub(super) fn is_supported_pattern(pattern: &str) -> bool {
    const LOOKAROUNDS: [&[u8]; 4] = [b"(?=", b"(?!", b"(?<=", b"(?<!"];
    let bytes = pattern.as_bytes();
    let mut index = 0;
    while let Some(rest) = bytes.get(index..) {
        match rest {
            [] => break,
            // `\1`…`\9` and `\k<name>` are backreferences.
            [b'\\', b'1'..=b'9', ..] | [b'\\', b'k', b'<', ..] => return false,
            // Any other escape stands for itself: skip the escaped byte.
            [b'\\', ..] => index += 2,
            _ if LOOKAROUNDS.iter().any(|token| rest.starts_with(token)) => return false,
            _ => index += 1,
        }
    }
    true
}
