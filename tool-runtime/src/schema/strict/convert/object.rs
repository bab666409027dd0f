//! Object keywords: `properties`, `required`, and the map keywords strict mode refuses.

use serde_json::{Map, Value};

use super::{Converter, Node};
use crate::schema::strict::error::{StrictError, map_error};
use crate::schema::strict::nullable::make_nullable;
use crate::schema::strict::pointer::child;

impl Converter<'_> {
    /// `properties`, each converted; where the flavour requires every property, the optional
    /// ones made nullable.
    pub(super) fn properties(
        &mut self,
        node: &mut Node<'_>,
        value: &Value,
    ) -> Result<(), StrictError> {
        if !node.is_object {
            node.note("properties", value);
            return Ok(());
        }
        let Value::Object(properties) = value else {
            return Err(StrictError::new(
                node.path,
                "`properties` must be an object",
            ));
        };
        let key_path = child(node.path, "properties");
        let mut converted = Map::new();
        for (name, schema) in properties {
            let mut property = self.schema(schema, &child(&key_path, name), node.depth + 1)?;
            // An optional property becomes required and nullable: strict mode sends
            // `null` for "absent". Not so one with a default (serde's
            // `#[serde(default)]` accepts absence but refuses `null`): it becomes
            // required as it is, its default stated in the description.
            let has_default = schema
                .get("default")
                .is_some_and(|default| !default.is_null());
            if node.flavor.every_property_required
                && !node.required.contains(&name.as_str())
                && !has_default
            {
                property = make_nullable(property);
            }
            converted.insert(name.clone(), property);
        }
        node.out
            .insert("properties".to_owned(), Value::Object(converted));
        Ok(())
    }
}

impl Node<'_> {
    /// `required`, and the keywords of maps with arbitrary keys: only
    /// `"additionalProperties": false` (or `unevaluatedProperties`) is taken.
    pub(super) fn object_keyword(&mut self, key: &str, value: &Value) -> Result<(), StrictError> {
        match key {
            "required" if self.is_object => {
                let required = if self.flavor.every_property_required {
                    Value::Array(self.property_names.clone())
                } else {
                    value.clone()
                };
                self.out.insert(key.to_owned(), required);
            }
            "additionalProperties" | "unevaluatedProperties" => {
                if value != &Value::Bool(false) {
                    return Err(map_error(self.path, key));
                }
                if self.is_object && key == "additionalProperties" {
                    self.out.insert(key.to_owned(), Value::Bool(false));
                }
            }
            "patternProperties" | "propertyNames" => return Err(map_error(self.path, key)),
            // `required` outside an object's schema.
            _ => self.note(key, value),
        }
        Ok(())
    }

    /// What every object states in strict mode: its `properties`, `required` where the flavour
    /// requires every property, and `"additionalProperties": false`.
    pub(super) fn close_object(&mut self) {
        if !self.out.contains_key("properties") {
            self.out
                .insert("properties".to_owned(), Value::Object(Map::new()));
        }
        if self.flavor.every_property_required && !self.out.contains_key("required") {
            let names = std::mem::take(&mut self.property_names);
            self.out.insert("required".to_owned(), Value::Array(names));
        }
        if !self.out.contains_key("additionalProperties") {
            self.out
                .insert("additionalProperties".to_owned(), Value::Bool(false));
        }
    }
}
