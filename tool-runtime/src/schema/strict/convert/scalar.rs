//! String and number constraints: `pattern`, `format`, bounds. Kept where the flavour takes them,
//! otherwise moved into the description.

use serde_json::Value;

use super::Node;
use crate::schema::strict::keywords::is_supported_pattern;

const STRING_TYPES: &[&str] = &["string"];
const NUMERIC_TYPES: &[&str] = &["number", "integer"];

impl Node<'_> {
    /// `pattern`, `format`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` or
    /// `multipleOf`.
    pub(super) fn constraint(&mut self, key: &str, value: &Value) {
        let flavor = self.flavor;
        let kept = match key {
            "pattern" => {
                flavor.patterns
                    && self.applies(STRING_TYPES)
                    && value.as_str().is_some_and(is_supported_pattern)
            }
            "format" => {
                // schemars marks every float `double` or `float`: it says nothing `number` does
                // not, so it is dropped rather than moved into the description as noise.
                if value
                    .as_str()
                    .is_some_and(|f| f == "double" || f == "float")
                {
                    return;
                }
                self.applies(STRING_TYPES)
                    && value.as_str().is_some_and(|f| flavor.formats.contains(&f))
            }
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => {
                flavor.number_bounds && self.applies(NUMERIC_TYPES) && value.is_number()
            }
            _ => false,
        };
        if kept {
            self.keep(key, value);
        } else {
            self.note(key, value);
        }
    }
}
