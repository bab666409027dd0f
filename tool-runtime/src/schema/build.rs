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

    /// Adds one parameter. `schema` is the type's `ToolArgumentSchema::argument_schema`, so its
    /// bound is checked (and reported) exactly once, at the parameter's type.
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

/// The schema of one parameter's type: its `JsonSchema` bound, named once, spanned at the
/// parameter's type. Not public API. A type without it gives one error there, in the words below,
/// rather than `JsonSchema`'s list of implementors and a note about the generated code.
#[diagnostic::on_unimplemented(
    message = "a tool argument's type must implement `schemars::JsonSchema`; `{Self}` does not",
    label = "the model is sent this argument's JSON Schema",
    note = "derive it for a type of yours: `#[derive(schemars::JsonSchema)]`; schemars has features for some other crates' types"
)]
pub trait ToolArgumentSchema {
    /// The type's schema, its definitions kept in `generator`.
    fn argument_schema(generator: &mut SchemaGenerator) -> schemars::Schema;
}

// Reported as `ToolArgumentSchema` (its message above), not as the `JsonSchema` it needs.
#[diagnostic::do_not_recommend]
impl<T: JsonSchema> ToolArgumentSchema for T {
    fn argument_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T>()
    }
}

/// `#[arg(default)]`'s value: the type's `Default`, the bound named at the parameter's type. Not
/// public API. The generated code calls it by the same path wherever it needs the value, so a
/// type without it gives one error (rustc reports the same error once), in the words below.
#[diagnostic::on_unimplemented(
    message = "`#[arg(default)]` needs a type that implements `Default`; `{Self}` does not",
    label = "the argument's value when the model leaves it out",
    note = "derive it for a type of yours: `#[derive(Default)]`; or give the value: `#[arg(default = …)]`"
)]
pub trait ToolArgumentDefault {
    /// `Default::default()`.
    fn default_argument() -> Self;
}

// Reported as `ToolArgumentDefault` (its message above), not as the `Default` it needs.
#[diagnostic::do_not_recommend]
impl<T: Default> ToolArgumentDefault for T {
    fn default_argument() -> Self {
        T::default()
    }
}

/// A parameter's default as JSON, for the schema's `default` keyword: its `Serialize` bound,
/// named once, at the parameter's type. Not public API.
#[diagnostic::on_unimplemented(
    message = "an argument with a default must implement `serde::Serialize`; `{Self}` does not",
    label = "its default is written in the JSON Schema the model reads",
    note = "derive it for a type of yours: `#[derive(serde::Serialize)]`; another crate's may have a `serde` feature"
)]
pub trait ToolArgumentDefaultJson: Sized {
    /// The value as JSON (`None` if it does not serialize).
    fn default_json(value: Self) -> Option<Value>;
}

// Reported as `ToolArgumentDefaultJson` (its message above), not as the `Serialize` it needs.
#[diagnostic::do_not_recommend]
impl<T: Serialize> ToolArgumentDefaultJson for T {
    fn default_json(value: Self) -> Option<Value> {
        serde_json::to_value(value).ok()
    }
}
