//! Schemas: a tool's JSON Schema with its strict flavours derived once ([`Schema`]), and the
//! strict flavours of OpenAI and Anthropic for any schema ([`strict`]).

pub(crate) mod build;
pub(crate) mod check;
mod derived;
pub mod strict;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

pub use derived::Schema;

/// The JSON Schema (2020-12) of `T`: what it deserializes from, or what it `serializes` to
/// (skipped fields, `into`, renames). The root's `$schema` and `title` are left out: the schema
/// describes a tool's output or a typed answer, not the type.
pub(crate) fn of_type<T: JsonSchema + ?Sized>(serializes: bool) -> Value {
    let settings = SchemaSettings::draft2020_12();
    let settings = if serializes {
        settings.for_serialize()
    } else {
        settings
    };
    let mut schema = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Some(root) = schema.as_object_mut() {
        root.remove("$schema");
        root.remove("title");
    }
    schema
}
