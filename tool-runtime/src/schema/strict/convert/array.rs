//! Array keywords: `items`, the tuple keywords strict mode refuses, and item counts.

use serde_json::Value;

use super::{Converter, Node};
use crate::schema::strict::error::{StrictError, tuple_error};
use crate::schema::strict::flavor::Counts;
use crate::schema::strict::pointer::child;

const ARRAY_TYPES: &[&str] = &["array"];

impl Converter<'_> {
    /// `items`, converted: one schema for every element (an array of them is a tuple).
    pub(super) fn items(&mut self, node: &mut Node<'_>, value: &Value) -> Result<(), StrictError> {
        if !node.applies(ARRAY_TYPES) {
            node.note("items", value);
            return Ok(());
        }
        if value.is_array() {
            return Err(tuple_error(node.path));
        }
        let items = self.schema(value, &child(node.path, "items"), node.depth + 1)?;
        node.out.insert("items".to_owned(), items);
        Ok(())
    }
}

impl Node<'_> {
    /// `prefixItems` and `additionalItems` (tuples: refused), `minItems` and `maxItems` (kept as
    /// far as the flavour takes them, otherwise moved into the description).
    pub(super) fn array_keyword(&mut self, key: &str, value: &Value) -> Result<(), StrictError> {
        let counts = match key {
            "prefixItems" | "additionalItems" => return Err(tuple_error(self.path)),
            "minItems" => self.flavor.min_items,
            "maxItems" => self.flavor.max_items,
            _ => Counts::Never,
        };
        if self.applies(ARRAY_TYPES) && counts.keeps(value) {
            self.keep(key, value);
        } else {
            self.note(key, value);
        }
        Ok(())
    }

    /// An array's schema must say what its elements are.
    pub(super) fn check_items(&self) -> Result<(), StrictError> {
        if self.types.iter().any(|t| t == "array") && !self.out.contains_key("items") {
            return Err(StrictError::new(
                self.path,
                "arrays must declare the type of their elements with an `items` schema in strict mode",
            ));
        }
        Ok(())
    }
}
