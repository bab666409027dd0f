//! Object keywords: `properties`, `required`, and the map keywords strict mode refuses.

use serde_json::{Map, Value};

use super::{Converter, Node};
use crate::schema::strict::admits::admits;
use crate::schema::strict::error::{StrictError, default_error, free_form_error, map_error};
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
            let path = child(&key_path, name);
            let mut property = self.schema(schema, &path, node.depth + 1)?;
            // An optional property becomes required and nullable: strict mode sends `null`
            // for "absent", and the argument decoder reads it so (a defaulted parameter gets
            // its default). A default that is not one of the property's own values cannot be
            // stood for by `null`: the schema is refused rather than made to lie.
            if node.flavor.every_property_required && !node.required.contains(&name.as_str()) {
                if let Some(default) = schema.get("default").filter(|d| !d.is_null())
                    && !admits(&property, default)
                {
                    return Err(default_error(&path, default));
                }
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
                self.closed = true;
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
    /// requires every property, and `"additionalProperties": false`. An object below the root
    /// with no properties is refused unless it said it was closed: it is a map or a free-form
    /// object, and closing it would leave it only `{}`. (At the root, it is a tool without
    /// arguments.)
    pub(super) fn close_object(&mut self) -> Result<(), StrictError> {
        let no_properties = self
            .out
            .get("properties")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty);
        if no_properties && !self.closed && !self.is_root() {
            return Err(free_form_error(self.path));
        }
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
        Ok(())
    }
}
