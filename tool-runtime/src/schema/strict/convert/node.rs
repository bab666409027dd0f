//! One schema object being converted: what its keywords are read against, the keywords that
//! describe it or state its values, and the notes moved into its description.

use serde_json::{Map, Value, json};

use crate::schema::strict::error::{StrictError, any_value_error};
use crate::schema::strict::flavor::Flavor;
use crate::schema::strict::keywords::{infer_type, parse_required, parse_types};

/// The keywords that give a schema a concrete type; a schema with none of
/// them accepts any value.
const TYPE_BEARING_KEYWORDS: &[&str] = &["type", "enum", "const", "anyOf", "oneOf", "properties"];

/// One schema object (without `$ref` and `allOf`) being converted.
pub(super) struct Node<'m> {
    pub(super) flavor: &'static Flavor,
    /// Where the schema is: errors name it, children's paths start from it.
    pub(super) path: &'m str,
    pub(super) depth: usize,
    /// The names in its `type` (empty when it has none).
    pub(super) types: Vec<String>,
    /// Whether it is an object's schema: by its `type`, or by its `properties` without one.
    pub(super) is_object: bool,
    /// The names in an object's `required`.
    pub(super) required: Vec<&'m str>,
    /// The names of its `properties`, in order.
    pub(super) property_names: Vec<Value>,
    /// Whether it said that it takes no keys but its properties (`"additionalProperties":
    /// false`, or `unevaluatedProperties`).
    pub(super) closed: bool,
    /// The converted schema.
    pub(super) out: Map<String, Value>,
    /// What goes into the description, one ` (…)` each.
    notes: Vec<String>,
}

impl<'m> Node<'m> {
    /// Reads what every keyword is converted against, refusing schemas that accept any value or
    /// have both `anyOf` and `oneOf`.
    pub(super) fn new(
        flavor: &'static Flavor,
        map: &'m Map<String, Value>,
        path: &'m str,
        depth: usize,
    ) -> Result<Self, StrictError> {
        let types = parse_types(map.get("type"), path)?;
        if !TYPE_BEARING_KEYWORDS.iter().any(|k| map.contains_key(*k)) {
            return Err(any_value_error(path));
        }
        if map.contains_key("anyOf") && map.contains_key("oneOf") {
            return Err(StrictError::new(
                path,
                "a schema with both `anyOf` and `oneOf` is not supported in strict mode",
            ));
        }
        let is_object = types.iter().any(|t| t == "object")
            || (types.is_empty() && map.contains_key("properties"));

        let mut out = Map::new();
        if types.is_empty() && !map.contains_key("anyOf") && !map.contains_key("oneOf") {
            // `{"enum": [...]}` or `{"properties": {...}}` without `type`:
            // state the type, as OpenAI's validators expect one.
            let inferred = if is_object {
                Some(json!("object"))
            } else {
                infer_type(map)
            };
            if let Some(inferred) = inferred {
                out.insert("type".to_owned(), inferred);
            }
        }
        let required = if is_object {
            parse_required(map, path)?
        } else {
            Vec::new()
        };
        let property_names: Vec<Value> = map
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| properties.keys().cloned().map(Value::String).collect())
            .unwrap_or_default();
        Ok(Self {
            flavor,
            path,
            depth,
            types,
            is_object,
            required,
            property_names,
            closed: false,
            out,
            notes: Vec::new(),
        })
    }

    pub(super) fn is_root(&self) -> bool {
        self.path.is_empty()
    }

    /// Whether keywords for values of these `kinds` apply: the schema has one of those types, or
    /// no `type` at all.
    pub(super) fn applies(&self, kinds: &[&str]) -> bool {
        self.types.is_empty() || self.types.iter().any(|t| kinds.contains(&t.as_str()))
    }

    /// Keeps a keyword as it is.
    pub(super) fn keep(&mut self, key: &str, value: &Value) {
        self.out.insert(key.to_owned(), value.clone());
    }

    /// Moves a keyword into the description, as ` (keyword: value)`, so the model still sees it.
    pub(super) fn note(&mut self, key: &str, value: &Value) {
        self.notes
            .push(format!("{key}: {}", render_note_value(value)));
    }

    /// `title` (dropped at the root), `description`, `default` (into the description).
    pub(super) fn annotation(&mut self, key: &str, value: &Value) -> Result<(), StrictError> {
        match key {
            "title" => {
                if !self.is_root() {
                    self.keep(key, value);
                }
            }
            "description" => {
                if !value.is_string() {
                    return Err(StrictError::new(
                        self.path,
                        "`description` must be a string",
                    ));
                }
                self.keep(key, value);
            }
            // Shown as JSON; a `null` one says nothing an optional value does not.
            "default" => {
                if !value.is_null() {
                    self.notes.push(format!("default: {value}"));
                }
            }
            _ => self.note(key, value),
        }
        Ok(())
    }

    /// `type`, `const` and `enum`: the values the schema accepts.
    pub(super) fn values(&mut self, key: &str, value: &Value) -> Result<(), StrictError> {
        match key {
            "const" if self.flavor.const_as_enum => {
                self.out
                    .insert("enum".to_owned(), Value::Array(vec![value.clone()]));
            }
            "enum" => {
                if value.as_array().is_none_or(Vec::is_empty) {
                    return Err(StrictError::new(
                        self.path,
                        "`enum` must be a non-empty array",
                    ));
                }
                self.keep(key, value);
            }
            "type" | "const" => self.keep(key, value),
            _ => self.note(key, value),
        }
        Ok(())
    }

    /// The converted schema: an object's missing keywords added, arrays' `items` checked, the
    /// notes appended to the description.
    pub(super) fn finish(mut self) -> Result<Value, StrictError> {
        if self.is_object {
            self.close_object()?;
        }
        self.check_items()?;
        self.notes_into_description();
        Ok(Value::Object(self.out))
    }

    fn notes_into_description(&mut self) {
        if self.notes.is_empty() {
            return;
        }
        let mut description = self
            .out
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for note in &self.notes {
            if !description.is_empty() {
                description.push(' ');
            }
            description.push('(');
            description.push_str(note);
            description.push(')');
        }
        self.out
            .insert("description".to_owned(), Value::String(description));
    }
}

/// How an unsupported keyword's value is shown in a description: strings
/// bare, anything else as JSON.
fn render_note_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
