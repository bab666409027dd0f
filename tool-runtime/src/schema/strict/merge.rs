//! `allOf` with one entry merged into its parent, and `$ref` siblings merged over their target.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::error::{StrictError, describe_value};
use super::pointer::child;

/// Merges a single-entry `allOf` into its parent (repeatedly, for nested
/// ones): the entry's keywords, with the parent's other keywords over them.
pub(super) fn flatten_all_of<'m>(
    map: &'m Map<String, Value>,
    path: &str,
) -> Result<Cow<'m, Map<String, Value>>, StrictError> {
    let mut current = Cow::Borrowed(map);
    while let Some(all_of) = current.get("allOf") {
        let all_of_path = child(path, "allOf");
        let Value::Array(entries) = all_of else {
            return Err(StrictError::new(
                path,
                "`allOf` must be an array of schemas",
            ));
        };
        let next = match entries.as_slice() {
            [] | [Value::Bool(true)] => without_key(&current, "allOf"),
            [Value::Object(entry)] => merge_over(entry, &without_key(&current, "allOf")),
            [other] => {
                return Err(StrictError::new(
                    child(&all_of_path, "0"),
                    format!("expected a schema object, found {}", describe_value(other)),
                ));
            }
            entries => {
                return Err(StrictError::new(
                    path,
                    format!(
                        "`allOf` with {} entries (an intersection) is not supported in strict mode",
                        entries.len()
                    ),
                ));
            }
        };
        current = Cow::Owned(next);
    }
    Ok(current)
}

/// `base` with every keyword of `over` put over it, except that a `type` of
/// `base` is kept.
pub(super) fn merge_over(
    base: &Map<String, Value>,
    over: &Map<String, Value>,
) -> Map<String, Value> {
    let mut merged = base.clone();
    for (key, value) in over {
        if key == "type" && merged.contains_key("type") {
            continue;
        }
        merged.insert(key.clone(), value.clone());
    }
    merged
}

/// A copy of `map` without `key`, keeping the order of the other keys.
pub(super) fn without_key(map: &Map<String, Value>, key: &str) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| k.as_str() != key)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
