//! The conversion itself: definitions, `$ref`s and every keyword of every subschema.
//!
//! A schema's keywords are converted family by family: `node` holds one schema object's state,
//! its annotations and the notes moved into its description; `object`, `array`, `scalar`
//! (string and number constraints) and `composition` the keywords of each family. Where the
//! flavours differ, each reads its row of `flavor`.

mod array;
mod composition;
mod node;
mod object;
mod scalar;

use serde_json::{Map, Value, json};

use super::error::{StrictError, any_value_error, describe_value, nesting_error};
use super::flavor::Flavor;
use super::limits::MAX_NESTING_DEPTH;
use super::merge::{flatten_all_of, merge_over, without_key};
use super::pointer::{child, percent_decode};
use node::Node;

/// Guard against runaway inlining: at most this many nested `$ref` expansions.
pub(super) const MAX_INLINE_CHAIN: usize = 64;
/// Guard against exponential inlining: at most this many schema nodes are
/// produced in total.
pub(super) const MAX_SCHEMA_NODES: usize = 100_000;

/// Where a `$ref` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// `#`, the whole schema.
    Root,
    /// `#/$defs/<name>` (or `#/definitions/<name>`).
    Definition { keyword: &'static str, name: String },
}

/// The state of one conversion.
pub(super) struct Converter<'a> {
    flavor: &'static Flavor,
    root: &'a Value,
    root_map: &'a Map<String, Value>,
    /// The converted `$defs` and `definitions`, moved into the output root.
    converted_defs: Map<String, Value>,
    converted_definitions: Map<String, Value>,
    /// The `$ref` targets being inlined (or converted) right now; the root is
    /// always among them. A `$ref` to one of these is never inlined again.
    expanding: Vec<Target>,
    /// How many schema nodes have been produced so far.
    nodes: usize,
}

impl<'a> Converter<'a> {
    pub(super) fn new(
        flavor: &'static Flavor,
        root: &'a Value,
        root_map: &'a Map<String, Value>,
    ) -> Self {
        Self {
            flavor,
            root,
            root_map,
            converted_defs: Map::new(),
            converted_definitions: Map::new(),
            expanding: vec![Target::Root],
            nodes: 0,
        }
    }

    /// Converts every entry of the root `$defs` and `definitions`.
    pub(super) fn convert_definitions(&mut self) -> Result<(), StrictError> {
        let root_map = self.root_map;
        for keyword in ["$defs", "definitions"] {
            let Some(defs) = root_map.get(keyword) else {
                continue;
            };
            let path = format!("/{keyword}");
            let Value::Object(defs) = defs else {
                return Err(StrictError::new(
                    "",
                    format!("`{keyword}` must be an object mapping names to schemas"),
                ));
            };
            let mut converted = Map::new();
            for (name, schema) in defs {
                let target = Target::Definition {
                    keyword,
                    name: name.clone(),
                };
                self.expanding.push(target);
                let result = self.schema(schema, &child(&path, name), 1);
                self.expanding.pop();
                converted.insert(name.clone(), result?);
            }
            if keyword == "$defs" {
                self.converted_defs = converted;
            } else {
                self.converted_definitions = converted;
            }
        }
        Ok(())
    }

    /// Converts one schema found at `path`, `depth` levels below the root.
    pub(super) fn schema(
        &mut self,
        schema: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Value, StrictError> {
        self.nodes += 1;
        if self.nodes > MAX_SCHEMA_NODES {
            return Err(StrictError::new(
                "",
                format!(
                    "the schema grows beyond {MAX_SCHEMA_NODES} subschemas once `$ref`s are inlined"
                ),
            ));
        }
        if depth > MAX_NESTING_DEPTH {
            return Err(nesting_error(path));
        }
        let map = match schema {
            Value::Object(map) => map,
            Value::Bool(true) => return Err(any_value_error(path)),
            Value::Bool(false) => {
                return Err(StrictError::new(
                    path,
                    "the `false` schema (which accepts no value) is not supported in strict mode",
                ));
            }
            other => {
                return Err(StrictError::new(
                    path,
                    format!("expected a schema object, found {}", describe_value(other)),
                ));
            }
        };
        let map = flatten_all_of(map, path)?;
        match map.get("$ref") {
            Some(reference) => self.reference(&map, reference, path, depth),
            None => self.keywords(&map, path, depth),
        }
    }

    /// Converts a schema that has a `$ref` (and possibly sibling keywords).
    fn reference(
        &mut self,
        map: &Map<String, Value>,
        reference: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Value, StrictError> {
        let Value::String(reference) = reference else {
            return Err(StrictError::new(path, "`$ref` must be a string"));
        };
        let target = self.resolve(reference, path)?;
        if map.len() == 1 {
            // A bare `$ref` is supported as is, recursive ones included.
            return Ok(json!({ "$ref": reference }));
        }
        let siblings = without_key(map, "$ref");

        if self.expanding.contains(&target) || self.expanding.len() >= MAX_INLINE_CHAIN {
            // Inlining a recursive definition into itself would never end:
            // keep the `$ref` and hang the siblings on a one-branch union.
            let mut wrapper = siblings;
            wrapper.insert("anyOf".to_owned(), json!([{ "$ref": reference }]));
            return self.keywords(&wrapper, path, depth);
        }

        let definition = match &target {
            // Unreachable in practice: the root is always being expanded.
            Target::Root => Some(self.root),
            Target::Definition { keyword, name } => self.raw_definition(keyword, name),
        };
        let merged = match definition {
            Some(Value::Object(definition)) => merge_over(definition, &siblings),
            Some(Value::Bool(true)) => return Err(any_value_error(path)),
            _ => {
                return Err(StrictError::new(
                    path,
                    format!("`{reference}` does not point at a schema object"),
                ));
            }
        };
        self.expanding.push(target);
        let result = self.schema(&Value::Object(merged), path, depth);
        self.expanding.pop();
        result
    }

    /// Finds what a `$ref` points at; only `#` and `#/$defs/<name>` (or
    /// `#/definitions/<name>`) of the root schema are supported.
    fn resolve(&self, reference: &str, path: &str) -> Result<Target, StrictError> {
        if reference == "#" {
            return Ok(Target::Root);
        }
        let unsupported = || {
            StrictError::new(
                path,
                format!(
                    "cannot resolve `$ref` `{reference}`: only `#` and references to \
                     `#/$defs/<name>` (or `#/definitions/<name>`) are supported"
                ),
            )
        };
        let decoded = percent_decode(reference).ok_or_else(unsupported)?;
        for keyword in ["$defs", "definitions"] {
            let Some(encoded_name) = decoded
                .strip_prefix("#/")
                .and_then(|rest| rest.strip_prefix(keyword))
                .and_then(|rest| rest.strip_prefix('/'))
            else {
                continue;
            };
            if encoded_name.contains('/') {
                return Err(unsupported());
            }
            let name = encoded_name.replace("~1", "/").replace("~0", "~");
            if self.raw_definition(keyword, &name).is_none() {
                return Err(StrictError::new(
                    path,
                    format!("cannot resolve `$ref` `{reference}`: there is no such definition"),
                ));
            }
            return Ok(Target::Definition { keyword, name });
        }
        Err(unsupported())
    }

    fn raw_definition(&self, keyword: &str, name: &str) -> Option<&'a Value> {
        self.root_map.get(keyword)?.as_object()?.get(name)
    }

    /// Converts a schema without `$ref` and `allOf`, keyword by keyword.
    fn keywords(
        &mut self,
        map: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<Value, StrictError> {
        let mut node = Node::new(self.flavor, map, path, depth)?;
        for (key, value) in map {
            self.keyword(&mut node, key, value)?;
        }
        node.finish()
    }

    /// Converts one keyword, by the family it belongs to; what no family takes is moved into the
    /// description.
    fn keyword(
        &mut self,
        node: &mut Node<'_>,
        key: &str,
        value: &Value,
    ) -> Result<(), StrictError> {
        match key {
            "$schema" | "$id" | "$comment" | "$anchor" => {}
            "title" | "description" | "default" => node.annotation(key, value)?,
            "type" | "const" | "enum" => node.values(key, value)?,
            "anyOf" | "oneOf" => self.union(node, key, value)?,
            "allOf" | "not" | "if" | "then" | "else" | "dependentSchemas" | "$dynamicRef"
            | "$recursiveRef" => return Err(composition::refused(node.path, key)),
            "properties" => self.properties(node, value)?,
            "required"
            | "additionalProperties"
            | "unevaluatedProperties"
            | "patternProperties"
            | "propertyNames" => node.object_keyword(key, value)?,
            "items" => self.items(node, value)?,
            "prefixItems" | "additionalItems" | "minItems" | "maxItems" => {
                node.array_keyword(key, value)?;
            }
            "pattern" | "format" | "minimum" | "maximum" | "exclusiveMinimum"
            | "exclusiveMaximum" | "multipleOf" => node.constraint(key, value),
            "$defs" | "definitions" => self.definitions(node, key)?,
            _ => node.note(key, value),
        }
        Ok(())
    }

    /// `$defs` or `definitions`, at the root only: the entries `convert_definitions` converted.
    fn definitions(&mut self, node: &mut Node<'_>, key: &str) -> Result<(), StrictError> {
        if !node.is_root() {
            return Err(StrictError::new(
                node.path,
                format!("`{key}` is only supported at the root of the schema"),
            ));
        }
        let converted = if key == "$defs" {
            std::mem::take(&mut self.converted_defs)
        } else {
            std::mem::take(&mut self.converted_definitions)
        };
        node.out.insert(key.to_owned(), Value::Object(converted));
        Ok(())
    }
}
