//! Composition keywords: unions are converted branch by branch; intersections, negation,
//! conditionals and dynamic references are refused.

use serde_json::Value;

use super::{Converter, Node};
use crate::schema::strict::error::StrictError;
use crate::schema::strict::pointer::child;

impl Converter<'_> {
    /// `anyOf`, or `oneOf` made `anyOf`: every branch converted.
    pub(super) fn union(
        &mut self,
        node: &mut Node<'_>,
        key: &str,
        value: &Value,
    ) -> Result<(), StrictError> {
        let branches = value
            .as_array()
            .filter(|branches| !branches.is_empty())
            .ok_or_else(|| {
                StrictError::new(
                    node.path,
                    format!("`{key}` must be a non-empty array of schemas"),
                )
            })?;
        let key_path = child(node.path, key);
        let mut converted = Vec::with_capacity(branches.len());
        for (index, branch) in branches.iter().enumerate() {
            converted.push(self.schema(
                branch,
                &child(&key_path, &index.to_string()),
                node.depth + 1,
            )?);
        }
        node.out.insert("anyOf".to_owned(), Value::Array(converted));
        Ok(())
    }
}

/// The error for a keyword strict mode cannot express: `allOf` (`flatten_all_of` has removed
/// every one it accepts), `not`, `if`/`then`/`else`, `dependentSchemas`, `$dynamicRef`,
/// `$recursiveRef`.
pub(super) fn refused(path: &str, key: &str) -> StrictError {
    match key {
        "$dynamicRef" | "$recursiveRef" => StrictError::new(
            path,
            format!("`{key}` is not supported; use `$ref` to `#/$defs/<name>`"),
        ),
        _ => StrictError::new(path, format!("`{key}` is not supported in strict mode")),
    }
}
