//! Building a tool's parameter schema one property at a time: what `#[tool]` generates calls
//! to (through `__private`). Not public API.

use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde::Serialize;
use serde_json::{Map, Value};

/// Assembles the JSON Schema of a tool's arguments object. Used by `#[tool]`; not public API.
pub struct SchemaBuilder {
    generator: SchemaGenerator,
    properties: Map<String, Value>,
}

impl Default for SchemaBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SchemaBuilder {
    /// An empty builder with JSON Schema 2020-12 settings.
    pub fn new() -> Self {
        Self {
            generator: SchemaSettings::draft2020_12().into_generator(),
            properties: Map::new(),
        }
    }

    /// Adds one parameter. `schema` is `param_schema::<T>`, so the `JsonSchema` bound is checked
    /// (and reported) exactly once, at the parameter's type.
    pub fn param(
        &mut self,
        name: &str,
        description: Option<&str>,
        schema: fn(&mut SchemaGenerator) -> schemars::Schema,
        default: Option<Value>,
    ) {
        let mut schema = schema(&mut self.generator).to_value();
        if let Value::Object(object) = &mut schema {
            if let Some(description) = description {
                object.insert("description".into(), description.into());
            }
            if let Some(default) = default {
                object.insert("default".into(), default);
            }
        }
        self.properties.insert(name.to_owned(), schema);
    }

    /// The finished schema, with these parameters required.
    pub fn finish(mut self, required: Vec<&str>) -> Value {
        let mut root = Map::new();
        root.insert("type".into(), "object".into());
        root.insert("properties".into(), Value::Object(self.properties));
        if !required.is_empty() {
            root.insert("required".into(), required.into());
        }
        root.insert("additionalProperties".into(), false.into());
        let definitions = self.generator.take_definitions(true);
        if !definitions.is_empty() {
            root.insert("$defs".into(), Value::Object(definitions));
        }
        Value::Object(root)
    }
}

/// The schema of one parameter type.
pub fn param_schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<T>()
}

/// A parameter's default value, as JSON for the schema's `default` keyword.
pub fn default_json<T: Serialize>(default: impl FnOnce() -> T) -> Option<Value> {
    serde_json::to_value(default()).ok()
}
