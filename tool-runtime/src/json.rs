//! Small things done to JSON the same way everywhere: bounding how deep a value goes, and clipping
//! text quoted back to a model.

use std::borrow::Cow;

use serde_json::Value;

/// What kind of value `value` is, as a sentence says it: `a string`, `null`.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether `value` has arrays or objects nested more than `limit` levels deep (the value itself
/// is level 0). The walk never goes deeper than `limit`, so any input is safe to check.
pub(crate) fn nested_deeper_than(value: &Value, limit: usize) -> bool {
    match value {
        Value::Array(items) => children_deeper_than(items.iter(), limit),
        Value::Object(map) => children_deeper_than(map.values(), limit),
        _ => false,
    }
}

fn children_deeper_than<'a>(mut children: impl Iterator<Item = &'a Value>, limit: usize) -> bool {
    match limit.checked_sub(1) {
        None => children.next().is_some(),
        Some(below) => children.any(|child| nested_deeper_than(child, below)),
    }
}

/// `text` with its middle cut out when it is longer than `head + tail` characters: the first
/// `head` and the last `tail` characters joined by `…`. Errors quote what the model sent, and the
/// model reads the whole error back; the start and the end say what it needs.
pub(crate) fn clip(text: &str, head: usize, tail: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= head + tail + 1 {
        return Cow::Borrowed(text);
    }
    let start = text
        .char_indices()
        .nth(head)
        .map_or(text.len(), |(at, _)| at);
    let end = text
        .char_indices()
        .nth(count - tail)
        .map_or(text.len(), |(at, _)| at);
    Cow::Owned(format!("{}…{}", &text[..start], &text[end..]))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn depth_is_counted_from_the_value_itself() {
        assert!(!nested_deeper_than(&json!(1), 0));
        assert!(!nested_deeper_than(&json!([]), 0));
        assert!(nested_deeper_than(&json!([1]), 0));
        assert!(!nested_deeper_than(&json!({"a": [1]}), 2));
        assert!(nested_deeper_than(&json!({"a": [[1]]}), 2));
    }

    #[test]
    fn clipping_keeps_the_ends_on_char_boundaries() {
        assert_eq!(clip("short", 2, 2), "short");
        assert_eq!(clip("abcdefghij", 3, 2), "abc…ij");
        assert_eq!(clip(&"é".repeat(20), 2, 1), "éé…é");
    }
}
