//! The conversion itself: definitions, `$ref`s and every keyword of every subschema.

use serde_json::{Map, Value, json};

use super::error::{
    StrictError, any_value_error, describe_value, map_error, nesting_error, tuple_error,
};
use super::flavor::Flavor;
use super::keywords::{infer_type, is_supported_pattern, parse_required, parse_types};
use super::limits::MAX_NESTING_DEPTH;
use super::merge::{flatten_all_of, merge_over, without_key};
use super::nullable::make_nullable;
use super::pointer::{child, percent_decode};

/// Guard against runaway inlining: at most this many nested `$ref` expansions.
pub(super) const MAX_INLINE_CHAIN: usize = 64;
/// Guard against exponential inlining: at most this many schema nodes are
/// produced in total.
pub(super) const MAX_SCHEMA_NODES: usize = 100_000;

pub(super) const STRING_TYPES: &[&str] = &["string"];
pub(super) const NUMERIC_TYPES: &[&str] = &["number", "integer"];
pub(super) const ARRAY_TYPES: &[&str] = &["array"];

/// The keywords that give a schema a concrete type; a schema with none of
/// them accepts any value.
pub(super) const TYPE_BEARING_KEYWORDS: &[&str] =
    &["type", "enum", "const", "anyOf", "oneOf", "properties"];

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
        let is_root = path.is_empty();
        let flavor = self.flavor;
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
        let applies =
            |kinds: &[&str]| types.is_empty() || types.iter().any(|t| kinds.contains(&t.as_str()));

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
        let mut notes = Vec::new();

        for (key, value) in map {
            let key_path = child(path, key);
            match key.as_str() {
                "$schema" | "$id" | "$comment" | "$anchor" => {}
                "title" => {
                    if !is_root {
                        out.insert(key.clone(), value.clone());
                    }
                }
                "description" => {
                    if !value.is_string() {
                        return Err(StrictError::new(path, "`description` must be a string"));
                    }
                    out.insert(key.clone(), value.clone());
                }
                "default" => {
                    if !value.is_null() {
                        notes.push(format!("default: {value}"));
                    }
                }
                "type" => {
                    out.insert(key.clone(), value.clone());
                }
                "const" if flavor.const_as_enum => {
                    out.insert("enum".to_owned(), Value::Array(vec![value.clone()]));
                }
                "const" => {
                    out.insert(key.clone(), value.clone());
                }
                "enum" => {
                    if value.as_array().is_none_or(Vec::is_empty) {
                        return Err(StrictError::new(path, "`enum` must be a non-empty array"));
                    }
                    out.insert(key.clone(), value.clone());
                }
                "anyOf" | "oneOf" => {
                    let branches = value
                        .as_array()
                        .filter(|branches| !branches.is_empty())
                        .ok_or_else(|| {
                            StrictError::new(
                                path,
                                format!("`{key}` must be a non-empty array of schemas"),
                            )
                        })?;
                    let mut converted = Vec::with_capacity(branches.len());
                    for (index, branch) in branches.iter().enumerate() {
                        converted.push(self.schema(
                            branch,
                            &child(&key_path, &index.to_string()),
                            depth + 1,
                        )?);
                    }
                    out.insert("anyOf".to_owned(), Value::Array(converted));
                }
                "properties" if is_object => {
                    let Value::Object(properties) = value else {
                        return Err(StrictError::new(path, "`properties` must be an object"));
                    };
                    let mut converted = Map::new();
                    for (name, schema) in properties {
                        let mut property =
                            self.schema(schema, &child(&key_path, name), depth + 1)?;
                        // An optional property becomes required and nullable: strict mode sends
                        // `null` for "absent". Not so one with a default (serde's
                        // `#[serde(default)]` accepts absence but refuses `null`): it becomes
                        // required as it is, its default stated in the description.
                        let has_default = schema
                            .get("default")
                            .is_some_and(|default| !default.is_null());
                        if flavor.every_property_required
                            && !required.contains(&name.as_str())
                            && !has_default
                        {
                            property = make_nullable(property);
                        }
                        converted.insert(name.clone(), property);
                    }
                    out.insert(key.clone(), Value::Object(converted));
                }
                "required" if is_object && flavor.every_property_required => {
                    out.insert(key.clone(), Value::Array(property_names.clone()));
                }
                "required" if is_object => {
                    out.insert(key.clone(), value.clone());
                }
                "additionalProperties" | "unevaluatedProperties" => {
                    if value != &Value::Bool(false) {
                        return Err(map_error(path, key));
                    }
                    if is_object && key == "additionalProperties" {
                        out.insert(key.clone(), Value::Bool(false));
                    }
                }
                "patternProperties" | "propertyNames" => return Err(map_error(path, key)),
                "items" if applies(ARRAY_TYPES) => {
                    if value.is_array() {
                        return Err(tuple_error(path));
                    }
                    let items = self.schema(value, &key_path, depth + 1)?;
                    out.insert(key.clone(), items);
                }
                "prefixItems" | "additionalItems" => return Err(tuple_error(path)),
                "minItems" if applies(ARRAY_TYPES) && flavor.min_items.keeps(value) => {
                    out.insert(key.clone(), value.clone());
                }
                "maxItems" if applies(ARRAY_TYPES) && flavor.max_items.keeps(value) => {
                    out.insert(key.clone(), value.clone());
                }
                "pattern"
                    if flavor.patterns
                        && applies(STRING_TYPES)
                        && value.as_str().is_some_and(is_supported_pattern) =>
                {
                    out.insert(key.clone(), value.clone());
                }
                "format"
                    if applies(STRING_TYPES)
                        && value.as_str().is_some_and(|f| flavor.formats.contains(&f)) =>
                {
                    out.insert(key.clone(), value.clone());
                }
                // schemars marks every float `double` or `float`: it says nothing `number` does
                // not, so it is dropped rather than moved into the description as noise.
                "format"
                    if value
                        .as_str()
                        .is_some_and(|f| f == "double" || f == "float") => {}
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf"
                    if flavor.number_bounds && applies(NUMERIC_TYPES) && value.is_number() =>
                {
                    out.insert(key.clone(), value.clone());
                }
                "$defs" | "definitions" => {
                    if !is_root {
                        return Err(StrictError::new(
                            path,
                            format!("`{key}` is only supported at the root of the schema"),
                        ));
                    }
                    let converted = if key == "$defs" {
                        std::mem::take(&mut self.converted_defs)
                    } else {
                        std::mem::take(&mut self.converted_definitions)
                    };
                    out.insert(key.clone(), Value::Object(converted));
                }
                "allOf" => {
                    // `flatten_all_of` has removed every `allOf` it accepts.
                    return Err(StrictError::new(
                        path,
                        "`allOf` is not supported in strict mode",
                    ));
                }
                "not" | "if" | "then" | "else" | "dependentSchemas" => {
                    return Err(StrictError::new(
                        path,
                        format!("`{key}` is not supported in strict mode"),
                    ));
                }
                "$dynamicRef" | "$recursiveRef" => {
                    return Err(StrictError::new(
                        path,
                        format!("`{key}` is not supported; use `$ref` to `#/$defs/<name>`"),
                    ));
                }
                _ => notes.push(format!("{key}: {}", render_note_value(value))),
            }
        }

        if is_object {
            if !out.contains_key("properties") {
                out.insert("properties".to_owned(), Value::Object(Map::new()));
            }
            if flavor.every_property_required && !out.contains_key("required") {
                out.insert("required".to_owned(), Value::Array(property_names));
            }
            if !out.contains_key("additionalProperties") {
                out.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
        }
        if types.iter().any(|t| t == "array") && !out.contains_key("items") {
            return Err(StrictError::new(
                path,
                "arrays must declare the type of their elements with an `items` schema in strict mode",
            ));
        }
        if !notes.is_empty() {
            let mut description = out
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            for note in notes {
                if !description.is_empty() {
                    description.push(' ');
                }
                description.push('(');
                description.push_str(&note);
                description.push(')');
            }
            out.insert("description".to_owned(), Value::String(description));
        }
        Ok(Value::Object(out))
    }
}

/// How an unsupported keyword's value is shown in a description: strings
/// bare, anything else as JSON.
pub(super) fn render_note_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
