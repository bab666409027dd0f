//! Conversion of JSON Schemas into OpenAI's *strict* function-calling flavour.
//!
//! OpenAI's Structured Outputs (`"strict": true` on a function tool or a
//! `json_schema` response format) accept only a subset of JSON Schema. This
//! module rewrites a schema as produced by `schemars` 1.x (draft 2020-12, with
//! `$defs` and `"$ref": "#/$defs/Name"`) into that subset, or explains with a
//! [`StrictError`] why it cannot be done.
//!
//! The rules follow OpenAI's "Structured Outputs → Supported schemas" guide:
//!
//! * supported types: string, number, integer, boolean, object, array, enum
//!   (and `const`), `anyOf`; `null` only as a member of a union;
//! * supported string keywords: `pattern`, and `format` with one of `date-time`,
//!   `time`, `date`, `duration`, `email`, `hostname`, `ipv4`, `ipv6`, `uuid`;
//! * supported number keywords: `multipleOf`, `maximum`, `exclusiveMaximum`,
//!   `minimum`, `exclusiveMinimum`;
//! * supported array keywords: `minItems`, `maxItems`;
//! * not supported: `allOf`, `not`, `dependentRequired`, `dependentSchemas`,
//!   `if`/`then`/`else`, and for objects `patternProperties`; the guide does
//!   not list `minLength`/`maxLength` among the supported string keywords;
//! * the root must be an object (not `anyOf`); every object must set
//!   `"additionalProperties": false` and list every property in `required`;
//!   optional values are expressed as a union with `null`;
//! * limits: at most 5000 object properties in total, 10 levels of nesting,
//!   1000 enum values in total, 120,000 characters over all property names,
//!   definition names, enum values and const values, and 15,000 characters
//!   over the values of one string enum that has more than 250 values.
//!
//! The transformation follows the same approach as OpenAI's own helpers (the
//! Python SDK's `to_strict_json_schema`, the Agents SDK's
//! `ensure_strict_json_schema`) and pydantic-ai's OpenAI schema transformer,
//! with these conventions of its own:
//!
//! * Keywords that strict mode does not support but that only *narrow* the
//!   accepted values (`minLength`, `format: "uint8"`, a `default`, …) are
//!   removed and appended to the description as ` (keyword: value)`, so the
//!   model still sees them. A `default` is rendered as JSON
//!   (`(default: "celsius")`); other string values are shown bare
//!   (`(format: uint8)`). A `null` default is dropped silently, since every
//!   optional property already defaults to `null`.
//! * Keywords that *widen* the accepted values (maps, tuples, any-value
//!   schemas, intersections, conditionals) cannot be expressed and give an
//!   error.
//! * A `$ref` with sibling keywords is replaced by the referenced definition
//!   with the siblings merged over it; a bare `$ref` is kept. A recursive
//!   `$ref` with siblings is kept as `{"anyOf": [{"$ref": …}], …siblings}`
//!   instead, so that inlining always terminates.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value, json};

/// At most this many levels of nesting (OpenAI: "up to 10 levels of nesting").
///
/// Measured like OpenAI's Java SDK validator: the root schema is level 0, and
/// every property schema, `items` schema, `anyOf` branch and `$defs` entry is
/// one level deeper than the schema containing it. `$ref`s are not followed.
const MAX_NESTING_DEPTH: usize = 10;
/// At most this many object properties in the whole schema.
const MAX_TOTAL_PROPERTIES: usize = 5000;
/// At most this many enum values across all enums in the schema.
const MAX_TOTAL_ENUM_VALUES: usize = 1000;
/// At most this many characters over all property names, definition names,
/// enum values and const values.
const MAX_TOTAL_STRING_LENGTH: usize = 120_000;
/// A single string enum with more than this many values …
const LARGE_ENUM_VALUES: usize = 250;
/// … may have at most this many characters over all its values.
const MAX_LARGE_ENUM_STRING_LENGTH: usize = 15_000;

/// Guard against stack exhaustion: inputs nested deeper than this (counting
/// every JSON array and object, not only schemas) are refused up front.
const MAX_VALUE_DEPTH: usize = 256;
/// Guard against runaway inlining: at most this many nested `$ref` expansions.
const MAX_INLINE_CHAIN: usize = 64;
/// Guard against exponential inlining: at most this many schema nodes are
/// produced in total.
const MAX_SCHEMA_NODES: usize = 100_000;

/// The string formats OpenAI strict mode supports.
const SUPPORTED_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// The type names JSON Schema defines.
const TYPE_NAMES: &[&str] = &[
    "string", "number", "integer", "boolean", "object", "array", "null",
];

const STRING_TYPES: &[&str] = &["string"];
const NUMERIC_TYPES: &[&str] = &["number", "integer"];
const ARRAY_TYPES: &[&str] = &["array"];

/// The keywords that give a schema a concrete type; a schema with none of
/// them accepts any value.
const TYPE_BEARING_KEYWORDS: &[&str] = &["type", "enum", "const", "anyOf", "oneOf", "properties"];

/// Rewrites `schema` into OpenAI's strict flavour.
///
/// The input is not modified, and the order of keys (in particular of
/// `properties`) is kept. Every object gets `"additionalProperties": false` and
/// lists all of its properties in `required`; properties that were optional
/// become nullable instead. `oneOf` becomes `anyOf`, a single-entry `allOf` is
/// merged into its parent, `$ref`s with sibling keywords are inlined, and
/// keywords strict mode does not support are moved into the `description`.
/// `$schema`, the root `title` and every `default` are removed.
///
/// # Errors
///
/// Returns a [`StrictError`] naming the offending location when the schema
/// cannot be expressed in strict mode: a root that is not a plain object, maps
/// (`additionalProperties` other than `false`, `patternProperties`,
/// `propertyNames`), tuples, arrays without typed `items`, any-value schemas
/// (`{}` or `true`), multi-entry `allOf`, `not`/`if`/`then`/`else`, `$ref`s
/// that do not point at a `#/$defs/...` entry, malformed keywords, or a schema
/// beyond OpenAI's documented size limits.
pub fn to_strict(schema: &Value) -> Result<Value, StrictError> {
    if nested_deeper_than(schema, MAX_VALUE_DEPTH) {
        return Err(StrictError::new(
            "",
            format!("the schema is nested more than {MAX_VALUE_DEPTH} JSON levels deep"),
        ));
    }
    let Value::Object(root) = schema else {
        return Err(root_error(&format!("found {}", describe_value(schema))));
    };
    // Reject a root union before looking inside it, so that the error is
    // about the root rather than about one of its branches.
    if root.contains_key("anyOf") || root.contains_key("oneOf") {
        return Err(root_error("found a union (`anyOf`/`oneOf`)"));
    }
    if let Some(ty) = root.get("type")
        && ty.as_str() != Some("object")
    {
        return Err(root_error(&format!("found `\"type\": {ty}`")));
    }

    let mut converter = Converter::new(schema, root);
    converter.convert_definitions()?;
    let out = converter.schema(schema, "", 0)?;
    check_root(&out)?;
    check_limits(&out)?;
    Ok(out)
}

/// Why a schema cannot be made strict.
///
/// [`path`](Self::path) is a JSON pointer to the offending (sub)schema, `""`
/// for the root, e.g. `/properties/tags/items`; [`reason`](Self::reason) says
/// what strict mode does not support there. Errors about a keyword point at
/// the schema holding it. Nesting-depth errors point into the *converted*
/// schema, which differs from the input where an optional property was
/// wrapped in `anyOf` or a `$ref` was inlined; errors about totals over the
/// whole schema point at the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrictError {
    path: String,
    reason: String,
}

impl StrictError {
    fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// The JSON pointer of the offending (sub)schema; empty for the root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What strict mode does not support at [`path`](Self::path).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for StrictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(
                f,
                "cannot be made strict at the schema root: {}",
                self.reason
            )
        } else {
            write!(
                f,
                "cannot be made strict at `{}`: {}",
                self.path, self.reason
            )
        }
    }
}

impl std::error::Error for StrictError {}

/// Where a `$ref` points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// `#`, the whole schema.
    Root,
    /// `#/$defs/<name>` (or `#/definitions/<name>`).
    Definition { keyword: &'static str, name: String },
}

/// The state of one conversion.
struct Converter<'a> {
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
    fn new(root: &'a Value, root_map: &'a Map<String, Value>) -> Self {
        Self {
            root,
            root_map,
            converted_defs: Map::new(),
            converted_definitions: Map::new(),
            expanding: vec![Target::Root],
            nodes: 0,
        }
    }

    /// Converts every entry of the root `$defs` and `definitions`.
    fn convert_definitions(&mut self) -> Result<(), StrictError> {
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
    fn schema(&mut self, schema: &Value, path: &str, depth: usize) -> Result<Value, StrictError> {
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
                "type" | "const" => {
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
                        if !required.contains(&name.as_str()) && !has_default {
                            property = make_nullable(property);
                        }
                        converted.insert(name.clone(), property);
                    }
                    out.insert(key.clone(), Value::Object(converted));
                }
                "required" if is_object => {
                    out.insert(key.clone(), Value::Array(property_names.clone()));
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
                "minItems" | "maxItems" if applies(ARRAY_TYPES) && value.is_u64() => {
                    out.insert(key.clone(), value.clone());
                }
                "pattern"
                    if applies(STRING_TYPES)
                        && value.as_str().is_some_and(is_supported_pattern) =>
                {
                    out.insert(key.clone(), value.clone());
                }
                "format"
                    if applies(STRING_TYPES)
                        && value
                            .as_str()
                            .is_some_and(|f| SUPPORTED_FORMATS.contains(&f)) =>
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
                    if applies(NUMERIC_TYPES) && value.is_number() =>
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
            if !out.contains_key("required") {
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

/// Merges a single-entry `allOf` into its parent (repeatedly, for nested
/// ones): the entry's keywords, with the parent's other keywords over them.
fn flatten_all_of<'m>(
    map: &'m Map<String, Value>,
    path: &str,
) -> Result<Cow<'m, Map<String, Value>>, StrictError> {
    let mut current = Cow::Borrowed(map);
    while let Some(all_of) = current.get("allOf") {
        let all_of_path = child(path, "allOf");
        let Value::Array(entries) = all_of else {
            return Err(StrictError::new(
                path,
                "`allOf` must be an array of schemas",
            ));
        };
        let next = match entries.as_slice() {
            [] | [Value::Bool(true)] => without_key(&current, "allOf"),
            [Value::Object(entry)] => merge_over(entry, &without_key(&current, "allOf")),
            [other] => {
                return Err(StrictError::new(
                    child(&all_of_path, "0"),
                    format!("expected a schema object, found {}", describe_value(other)),
                ));
            }
            entries => {
                return Err(StrictError::new(
                    path,
                    format!(
                        "`allOf` with {} entries (an intersection) is not supported in strict mode",
                        entries.len()
                    ),
                ));
            }
        };
        current = Cow::Owned(next);
    }
    Ok(current)
}

/// `base` with every keyword of `over` put over it, except that a `type` of
/// `base` is kept.
fn merge_over(base: &Map<String, Value>, over: &Map<String, Value>) -> Map<String, Value> {
    let mut merged = base.clone();
    for (key, value) in over {
        if key == "type" && merged.contains_key("type") {
            continue;
        }
        merged.insert(key.clone(), value.clone());
    }
    merged
}

/// A copy of `map` without `key`, keeping the order of the other keys.
fn without_key(map: &Map<String, Value>, key: &str) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| k.as_str() != key)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Makes a (converted) property schema accept `null` as well.
fn make_nullable(schema: Value) -> Value {
    let Value::Object(mut map) = schema else {
        return schema;
    };
    if is_nullable(&map) {
        return Value::Object(map);
    }
    if map.contains_key("$ref") || map.contains_key("const") {
        return wrap_nullable(&map);
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.push(Value::Null);
        if let Some(ty) = map.get_mut("type") {
            add_null_type(ty);
        }
        return Value::Object(map);
    }
    if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
        branches.push(json!({ "type": "null" }));
        return Value::Object(map);
    }
    match map.get_mut("type") {
        Some(ty) if ty.is_string() || ty.is_array() => {
            add_null_type(ty);
            Value::Object(map)
        }
        _ => wrap_nullable(&map),
    }
}

/// Turns `"T"` into `["T", "null"]`, or adds `"null"` to a type array.
fn add_null_type(ty: &mut Value) {
    match ty {
        Value::String(name) if name != "null" => {
            *ty = json!([std::mem::take(name), "null"]);
        }
        Value::Array(names) if !names.iter().any(|n| n == "null") => {
            names.push(json!("null"));
        }
        _ => {}
    }
}

/// `{"anyOf": [schema, {"type": "null"}]}`, with the description moved from
/// the schema to the union.
fn wrap_nullable(map: &Map<String, Value>) -> Value {
    let description = map.get("description").cloned();
    let inner = without_key(map, "description");
    let mut wrapper = Map::new();
    wrapper.insert(
        "anyOf".to_owned(),
        json!([Value::Object(inner), { "type": "null" }]),
    );
    if let Some(description) = description {
        wrapper.insert("description".to_owned(), description);
    }
    Value::Object(wrapper)
}

/// Whether a (converted) schema already accepts `null`.
fn is_nullable(map: &Map<String, Value>) -> bool {
    if let Some(values) = map.get("enum") {
        return values
            .as_array()
            .is_some_and(|values| values.iter().any(Value::is_null));
    }
    if let Some(value) = map.get("const") {
        return value.is_null();
    }
    let union_accepts_null = map
        .get("anyOf")
        .and_then(Value::as_array)
        .is_some_and(|branches| {
            branches
                .iter()
                .any(|branch| branch.as_object().is_some_and(is_nullable))
        });
    union_accepts_null
        || match map.get("type") {
            Some(Value::String(name)) => name == "null",
            Some(Value::Array(names)) => names.iter().any(|n| n == "null"),
            _ => false,
        }
}

/// The names in a schema's `type` (empty when it has none).
fn parse_types(ty: Option<&Value>, path: &str) -> Result<Vec<String>, StrictError> {
    let invalid = || {
        StrictError::new(
            path,
            format!(
                "`type` must be one of {} or a non-empty array of them",
                TYPE_NAMES.join(", ")
            ),
        )
    };
    let names: Vec<&Value> = match ty {
        None => return Ok(Vec::new()),
        Some(Value::Array(names)) if !names.is_empty() => names.iter().collect(),
        Some(single) => vec![single],
    };
    names
        .into_iter()
        .map(|name| match name {
            Value::String(name) if TYPE_NAMES.contains(&name.as_str()) => Ok(name.clone()),
            _ => Err(invalid()),
        })
        .collect()
}

/// The names in an object schema's `required` (empty when it has none).
fn parse_required<'m>(
    map: &'m Map<String, Value>,
    path: &str,
) -> Result<Vec<&'m str>, StrictError> {
    let invalid = || StrictError::new(path, "`required` must be an array of property names");
    match map.get("required") {
        None => Ok(Vec::new()),
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| name.as_str().ok_or_else(invalid))
            .collect(),
        Some(_) => Err(invalid()),
    }
}

/// The type of an `enum` or `const` without `type`, when all values are
/// scalars: `"string"`, `"integer"`, … or an array of those.
fn infer_type(map: &Map<String, Value>) -> Option<Value> {
    let values: Vec<&Value> = match (map.get("enum"), map.get("const")) {
        (Some(Value::Array(values)), _) => values.iter().collect(),
        (None, Some(value)) => vec![value],
        _ => return None,
    };
    let mut names: Vec<&str> = Vec::new();
    for value in values {
        let name = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) | Value::Object(_) => return None,
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.contains(&"number") {
        names.retain(|name| *name != "integer");
    }
    match names.as_slice() {
        [] => None,
        [single] => Some(json!(single)),
        many => Some(json!(many)),
    }
}

/// Whether OpenAI accepts a `pattern`: no lookaround and no backreferences.
fn is_supported_pattern(pattern: &str) -> bool {
    const LOOKAROUNDS: [&[u8]; 4] = [b"(?=", b"(?!", b"(?<=", b"(?<!"];
    let bytes = pattern.as_bytes();
    let mut index = 0;
    while let Some(rest) = bytes.get(index..) {
        match rest {
            [] => break,
            // `\1`…`\9` and `\k<name>` are backreferences.
            [b'\\', b'1'..=b'9', ..] | [b'\\', b'k', b'<', ..] => return false,
            // Any other escape stands for itself: skip the escaped byte.
            [b'\\', ..] => index += 2,
            _ if LOOKAROUNDS.iter().any(|token| rest.starts_with(token)) => return false,
            _ => index += 1,
        }
    }
    true
}

/// Checks that the converted root is a plain object.
fn check_root(out: &Value) -> Result<(), StrictError> {
    let found = if out.get("anyOf").is_some() {
        "found a union (`anyOf`/`oneOf`)".to_owned()
    } else if let Some(reference) = out.get("$ref") {
        format!("found a bare `$ref` to {reference}")
    } else {
        match out.get("type") {
            Some(Value::String(ty)) if ty == "object" => return Ok(()),
            Some(ty) => format!("found `\"type\": {ty}`"),
            None => "found a schema without `type`".to_owned(),
        }
    };
    Err(root_error(&found))
}

/// Totals over the whole converted schema, for OpenAI's size limits.
#[derive(Default)]
struct Totals {
    properties: usize,
    enum_values: usize,
    string_length: usize,
}

/// Checks OpenAI's documented limits on the converted schema.
fn check_limits(out: &Value) -> Result<(), StrictError> {
    let mut totals = Totals::default();
    tally(out, "", 0, &mut totals)?;
    // (total, limit, the words before and after the total)
    let checks = [
        (
            totals.properties,
            MAX_TOTAL_PROPERTIES,
            "the schema has ",
            " object properties in total",
        ),
        (
            totals.enum_values,
            MAX_TOTAL_ENUM_VALUES,
            "the schema has ",
            " enum values in total",
        ),
        (
            totals.string_length,
            MAX_TOTAL_STRING_LENGTH,
            "property names, definition names, enum values and const values total ",
            " characters",
        ),
    ];
    for (total, limit, before, after) in checks {
        if total > limit {
            return Err(StrictError::new(
                "",
                format!("{before}{total}{after}; strict mode allows at most {limit}"),
            ));
        }
    }
    Ok(())
}

/// Walks a converted schema, checking the nesting depth and adding up totals.
fn tally(schema: &Value, path: &str, depth: usize, totals: &mut Totals) -> Result<(), StrictError> {
    if depth > MAX_NESTING_DEPTH {
        return Err(nesting_error(path));
    }
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if let Some(Value::Array(values)) = map.get("enum") {
        totals.enum_values += values.len();
        totals.string_length += values.iter().map(value_length).sum::<usize>();
        let string_length: usize = values
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.chars().count())
            .sum();
        if values.len() > LARGE_ENUM_VALUES && string_length > MAX_LARGE_ENUM_STRING_LENGTH {
            return Err(StrictError::new(
                path,
                format!(
                    "an enum with more than {LARGE_ENUM_VALUES} values may total at most \
                     {MAX_LARGE_ENUM_STRING_LENGTH} characters in strict mode, this one has {} values \
                     totalling {string_length}",
                    values.len()
                ),
            ));
        }
    }
    if let Some(value) = map.get("const") {
        totals.string_length += value_length(value);
    }
    if let Some(Value::Object(properties)) = map.get("properties") {
        let properties_path = child(path, "properties");
        for (name, property) in properties {
            totals.properties += 1;
            totals.string_length += name.chars().count();
            tally(property, &child(&properties_path, name), depth + 1, totals)?;
        }
    }
    if let Some(items) = map.get("items") {
        tally(items, &child(path, "items"), depth + 1, totals)?;
    }
    if let Some(Value::Array(branches)) = map.get("anyOf") {
        let any_of_path = child(path, "anyOf");
        for (index, branch) in branches.iter().enumerate() {
            tally(
                branch,
                &child(&any_of_path, &index.to_string()),
                depth + 1,
                totals,
            )?;
        }
    }
    for keyword in ["$defs", "definitions"] {
        if let Some(Value::Object(definitions)) = map.get(keyword) {
            let definitions_path = child(path, keyword);
            for (name, definition) in definitions {
                totals.string_length += name.chars().count();
                tally(
                    definition,
                    &child(&definitions_path, name),
                    depth + 1,
                    totals,
                )?;
            }
        }
    }
    Ok(())
}

/// The length an enum or const value counts for: characters of a string, or
/// of the JSON text of anything else.
fn value_length(value: &Value) -> usize {
    match value {
        Value::String(s) => s.chars().count(),
        other => other.to_string().chars().count(),
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

/// `path` extended by one JSON pointer segment.
fn child(path: &str, segment: &str) -> String {
    format!("{path}/{}", segment.replace('~', "~0").replace('/', "~1"))
}

/// Decodes `%XX` escapes in a URI fragment; `None` if the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    fn hex(byte: Option<&u8>) -> Option<u8> {
        let digit = char::from(*byte?).to_digit(16)?;
        u8::try_from(digit).ok()
    }
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%'
            && let (Some(high), Some(low)) = (hex(bytes.get(index + 1)), hex(bytes.get(index + 2)))
        {
            decoded.push(high * 16 + low);
            index += 3;
            continue;
        }
        decoded.push(byte);
        index += 1;
    }
    String::from_utf8(decoded).ok()
}

/// Whether `value` has arrays/objects nested more than `limit` levels deep
/// (checked without recursion, so it is safe on any input).
fn nested_deeper_than(value: &Value, limit: usize) -> bool {
    let mut pending = vec![(value, 0_usize)];
    while let Some((value, depth)) = pending.pop() {
        if depth > limit {
            return true;
        }
        match value {
            Value::Array(items) => pending.extend(items.iter().map(|item| (item, depth + 1))),
            Value::Object(map) => pending.extend(map.values().map(|item| (item, depth + 1))),
            _ => {}
        }
    }
    false
}

fn describe_value(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(true) => "`true` (a schema accepting any value)",
        Value::Bool(false) => "`false`",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn root_error(found: &str) -> StrictError {
    StrictError::new(
        "",
        format!("the root schema must be a plain object (`\"type\": \"object\"`), {found}"),
    )
}

fn any_value_error(path: &str) -> StrictError {
    StrictError::new(
        path,
        "a value of any type (an empty schema or `true`) is not supported in strict mode; give it a concrete type",
    )
}

fn map_error(path: &str, keyword: &str) -> StrictError {
    StrictError::new(
        path,
        format!("maps with arbitrary keys ({keyword}) are not supported in strict mode"),
    )
}

fn tuple_error(path: &str) -> StrictError {
    StrictError::new(
        path,
        "tuples (`prefixItems`, or `items` given as an array) are not supported in strict mode",
    )
}

fn nesting_error(path: &str) -> StrictError {
    StrictError::new(
        path,
        format!(
            "the schema is nested too deeply; strict mode allows at most {MAX_NESTING_DEPTH} levels of nesting"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts the conversion result, key order included (`Value`'s own
    /// equality ignores the order of object keys).
    fn assert_strict(input: &Value, expected: &Value) {
        assert_eq!(
            to_strict(input).map(|out| out.to_string()),
            Ok(expected.to_string())
        );
    }

    /// Asserts that the conversion fails at `path` with a reason mentioning
    /// `reason_part`.
    fn assert_error(input: &Value, path: &str, reason_part: &str) {
        let error = to_strict(input).err();
        assert_eq!(
            error.as_ref().map(StrictError::path),
            Some(path),
            "{error:?}"
        );
        assert!(
            error
                .as_ref()
                .is_some_and(|e| e.reason().contains(reason_part)),
            "expected a reason mentioning {reason_part:?}, got {error:?}"
        );
    }

    /// An object schema with the given properties, all required.
    fn object_with(properties: Value) -> Value {
        let names: Vec<Value> = properties
            .as_object()
            .map(|p| p.keys().cloned().map(Value::String).collect())
            .unwrap_or_default();
        json!({ "type": "object", "properties": properties, "required": names })
    }

    #[test]
    fn rule_1_objects_get_additional_properties_false_and_all_properties_required() {
        let input = json!({
            "type": "object",
            "properties": {
                "a": { "type": "string" },
                "b": {
                    "type": "object",
                    "properties": { "c": { "type": "integer" } },
                    "required": ["c"]
                },
                "untyped": {
                    "properties": { "x": { "type": "boolean" } },
                    "required": ["x"]
                },
                "empty": { "type": "object" },
                "closed": { "type": "object", "properties": {}, "additionalProperties": false }
            },
            "required": ["empty", "closed", "untyped", "b", "a"]
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "a": { "type": "string" },
                "b": {
                    "type": "object",
                    "properties": { "c": { "type": "integer" } },
                    "required": ["c"],
                    "additionalProperties": false
                },
                "untyped": {
                    "type": "object",
                    "properties": { "x": { "type": "boolean" } },
                    "required": ["x"],
                    "additionalProperties": false
                },
                "empty": {
                    "type": "object",
                    "properties": {},
                    "required": [],
                    "additionalProperties": false
                },
                "closed": {
                    "type": "object",
                    "properties": {},
                    "additionalProperties": false,
                    "required": []
                }
            },
            "required": ["a", "b", "untyped", "empty", "closed"],
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_1_maps_are_rejected() {
        let map = |additional: Value| {
            object_with(json!({
                "meta": { "type": "object", "additionalProperties": additional }
            }))
        };
        let reason = "maps with arbitrary keys (additionalProperties)";
        assert_error(&map(json!(true)), "/properties/meta", reason);
        assert_error(
            &map(json!({ "type": "string" })),
            "/properties/meta",
            reason,
        );
        assert_error(&map(json!({})), "/properties/meta", reason);

        let error = to_strict(&map(json!(true))).err();
        assert_eq!(
            error.map(|e| e.to_string()),
            Some(
                "cannot be made strict at `/properties/meta`: maps with arbitrary keys \
                 (additionalProperties) are not supported in strict mode"
                    .to_owned()
            )
        );
    }

    #[test]
    fn rule_1_pattern_properties_and_property_names_are_rejected() {
        let patterned = object_with(json!({
            "m": { "type": "object", "patternProperties": { "^x": { "type": "string" } } }
        }));
        assert_error(
            &patterned,
            "/properties/m",
            "maps with arbitrary keys (patternProperties)",
        );
        let named = object_with(json!({
            "m": { "type": "object", "propertyNames": { "pattern": "^x" } }
        }));
        assert_error(
            &named,
            "/properties/m",
            "maps with arbitrary keys (propertyNames)",
        );
        let unevaluated = object_with(json!({
            "m": { "type": "object", "unevaluatedProperties": { "type": "string" } }
        }));
        assert_error(&unevaluated, "/properties/m", "(unevaluatedProperties)");
    }

    #[test]
    fn rule_2_optional_properties_become_nullable() {
        let input = json!({
            "type": "object",
            "properties": {
                "req": { "type": "string" },
                "plain": { "type": "string", "description": "Plain" },
                "multi": { "type": ["integer", "string"] },
                "choice": { "type": "string", "enum": ["a", "b"] },
                "reference": { "$ref": "#/$defs/Unit" },
                "constant": { "description": "C", "const": "x" },
                "union": { "anyOf": [{ "type": "string" }, { "type": "integer" }] },
                "object": {
                    "type": "object",
                    "properties": { "x": { "type": "string" } },
                    "required": ["x"]
                },
                "nullable_type": { "type": ["string", "null"] },
                "nullable_union": { "anyOf": [{ "type": "string" }, { "type": "null" }] },
                "nullable_enum": { "type": ["string", "null"], "enum": ["a", null] }
            },
            "required": ["req"],
            "$defs": { "Unit": { "type": "string", "enum": ["c", "f"] } }
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "req": { "type": "string" },
                "plain": { "type": ["string", "null"], "description": "Plain" },
                "multi": { "type": ["integer", "string", "null"] },
                "choice": { "type": ["string", "null"], "enum": ["a", "b", null] },
                "reference": { "anyOf": [{ "$ref": "#/$defs/Unit" }, { "type": "null" }] },
                "constant": {
                    "anyOf": [{ "type": "string", "const": "x" }, { "type": "null" }],
                    "description": "C"
                },
                "union": {
                    "anyOf": [{ "type": "string" }, { "type": "integer" }, { "type": "null" }]
                },
                "object": {
                    "type": ["object", "null"],
                    "properties": { "x": { "type": "string" } },
                    "required": ["x"],
                    "additionalProperties": false
                },
                "nullable_type": { "type": ["string", "null"] },
                "nullable_union": { "anyOf": [{ "type": "string" }, { "type": "null" }] },
                "nullable_enum": { "type": ["string", "null"], "enum": ["a", null] }
            },
            "required": [
                "req", "plain", "multi", "choice", "reference", "constant", "union",
                "object", "nullable_type", "nullable_union", "nullable_enum"
            ],
            "$defs": { "Unit": { "type": "string", "enum": ["c", "f"] } },
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_2_a_ref_wrapped_for_null_keeps_its_description_on_the_union() {
        // A `$ref` with a description is inlined (rule 5), then made nullable;
        // a bare `$ref` with only `null` default is wrapped.
        let input = json!({
            "type": "object",
            "properties": {
                "cfg": { "$ref": "#/$defs/Cfg", "default": null }
            },
            "$defs": { "Cfg": { "const": 1 } }
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "cfg": { "anyOf": [{ "type": "integer", "const": 1 }, { "type": "null" }] }
            },
            "$defs": { "Cfg": { "type": "integer", "const": 1 } },
            "required": ["cfg"],
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_2_optional_properties_with_a_default_become_required_but_not_nullable() {
        // `#[serde(default)] count: u32` accepts absence but refuses `null`: strict mode must not
        // invite the model to send `null` for it.
        let input = json!({
            "type": "object",
            "properties": {
                "count": { "type": "integer", "default": 0 },
                "note": { "type": "string" },
                "maybe": { "type": ["string", "null"], "default": null }
            }
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "count": { "type": "integer", "description": "(default: 0)" },
                "note": { "type": ["string", "null"] },
                "maybe": { "type": ["string", "null"] }
            },
            "required": ["count", "note", "maybe"],
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_3_default_is_moved_into_the_description() {
        let input = json!({
            "type": "object",
            "properties": {
                "days": { "type": "integer", "default": 3, "description": "Days" },
                "name": { "type": "string", "default": "bob" },
                "opt": { "type": ["string", "null"], "default": null },
                "tags": { "type": "array", "items": { "type": "string" }, "default": ["a"] }
            },
            "required": ["days", "name", "opt", "tags"]
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "days": { "type": "integer", "description": "Days (default: 3)" },
                "name": { "type": "string", "description": "(default: \"bob\")" },
                "opt": { "type": ["string", "null"] },
                "tags": {
                    "type": "array",
                    "items": { "type": "string" },
                    "description": "(default: [\"a\"])"
                }
            },
            "required": ["days", "name", "opt", "tags"],
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_4_one_of_becomes_any_of() {
        let input = object_with(json!({
            "shape": {
                "oneOf": [
                    { "type": "object", "properties": { "r": { "type": "number" } }, "required": ["r"] },
                    { "type": "string", "const": "none" }
                ]
            }
        }));
        let expected = json!({
            "type": "object",
            "properties": {
                "shape": {
                    "anyOf": [
                        {
                            "type": "object",
                            "properties": { "r": { "type": "number" } },
                            "required": ["r"],
                            "additionalProperties": false
                        },
                        { "type": "string", "const": "none" }
                    ]
                }
            },
            "required": ["shape"],
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_4_single_all_of_is_merged_into_its_parent() {
        let input = json!({
            "type": "object",
            "properties": {
                "name": { "allOf": [{ "type": "string", "description": "inner" }], "description": "outer" },
                "cfg": { "description": "Config", "allOf": [{ "$ref": "#/$defs/Cfg" }] },
                "alias": { "allOf": [{ "$ref": "#/$defs/Cfg" }] }
            },
            "required": ["name", "cfg", "alias"],
            "$defs": {
                "Cfg": { "type": "object", "properties": { "x": { "type": "boolean" } }, "required": ["x"] }
            }
        });
        let cfg = json!({
            "type": "object",
            "properties": { "x": { "type": "boolean" } },
            "required": ["x"],
            "additionalProperties": false
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "description": "outer" },
                "cfg": {
                    "type": "object",
                    "properties": { "x": { "type": "boolean" } },
                    "required": ["x"],
                    "description": "Config",
                    "additionalProperties": false
                },
                "alias": { "$ref": "#/$defs/Cfg" }
            },
            "required": ["name", "cfg", "alias"],
            "$defs": { "Cfg": cfg },
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_4_multi_entry_all_of_is_rejected() {
        let input = object_with(json!({
            "both": { "allOf": [{ "type": "string" }, { "pattern": "^a" }] }
        }));
        assert_error(&input, "/properties/both", "`allOf` with 2 entries");
    }

    #[test]
    fn rule_5_ref_with_siblings_is_inlined_and_bare_ref_kept() {
        let input = json!({
            "type": "object",
            "properties": {
                "unit": { "$ref": "#/$defs/Unit", "description": "Unit", "title": "U", "type": "integer" },
                "bare": { "$ref": "#/$defs/Unit" },
                "old_style": { "$ref": "#/definitions/Point", "description": "Where" }
            },
            "required": ["unit", "bare", "old_style"],
            "$defs": {
                "Unit": { "title": "Unit", "type": "string", "enum": ["c", "f"], "default": "c" }
            },
            "definitions": {
                "Point": { "type": "object", "properties": { "x": { "type": "number", "format": "double" } } }
            }
        });
        let point = json!({
            "type": "object",
            "properties": {
                "x": { "type": ["number", "null"] }
            },
            "required": ["x"],
            "additionalProperties": false
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "unit": {
                    "title": "U",
                    "type": "string",
                    "enum": ["c", "f"],
                    "description": "Unit (default: \"c\")"
                },
                "bare": { "$ref": "#/$defs/Unit" },
                "old_style": {
                    "type": "object",
                    "properties": {
                        "x": { "type": ["number", "null"] }
                    },
                    "description": "Where",
                    "required": ["x"],
                    "additionalProperties": false
                }
            },
            "required": ["unit", "bare", "old_style"],
            "$defs": {
                "Unit": { "title": "Unit", "type": "string", "enum": ["c", "f"], "description": "(default: \"c\")" }
            },
            "definitions": { "Point": point },
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_5_unresolvable_refs_are_rejected() {
        let with_ref = |reference: &str| {
            json!({
                "type": "object",
                "properties": { "a": { "$ref": reference } },
                "required": ["a"],
                "$defs": { "A": { "type": "object", "properties": { "b": { "type": "string" } } } }
            })
        };
        assert_error(
            &with_ref("#/$defs/Missing"),
            "/properties/a",
            "no such definition",
        );
        assert_error(
            &with_ref("https://example.com/a.json"),
            "/properties/a",
            "cannot resolve",
        );
        assert_error(
            &with_ref("#/$defs/A/properties/b"),
            "/properties/a",
            "cannot resolve",
        );
        assert_error(
            &with_ref("#/properties/a"),
            "/properties/a",
            "cannot resolve",
        );
        // Escaped names resolve.
        let escaped = json!({
            "type": "object",
            "properties": { "a": { "$ref": "#/$defs/a~1b%20c" } },
            "required": ["a"],
            "$defs": { "a/b c": { "type": "string" } }
        });
        assert!(to_strict(&escaped).is_ok());
        // An error inside a definition is reported there.
        let broken = json!({
            "type": "object",
            "properties": { "a": { "$ref": "#/$defs/A" } },
            "required": ["a"],
            "$defs": { "A": { "type": "object", "additionalProperties": true } }
        });
        assert_error(&broken, "/$defs/A", "maps with arbitrary keys");
    }

    #[test]
    fn rule_5_recursive_refs_are_inlined_only_once() {
        let input = json!({
            "type": "object",
            "properties": { "head": { "$ref": "#/$defs/Node", "description": "First node" } },
            "required": ["head"],
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "value": { "type": "integer" },
                        "next": { "anyOf": [{ "$ref": "#/$defs/Node" }, { "type": "null" }] },
                        "parent": { "$ref": "#/$defs/Node", "description": "The parent" }
                    },
                    "required": ["value", "next", "parent"]
                }
            }
        });
        let node = json!({
            "type": "object",
            "properties": {
                "value": { "type": "integer" },
                "next": { "anyOf": [{ "$ref": "#/$defs/Node" }, { "type": "null" }] },
                "parent": { "description": "The parent", "anyOf": [{ "$ref": "#/$defs/Node" }] }
            },
            "required": ["value", "next", "parent"],
            "additionalProperties": false
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "head": {
                    "type": "object",
                    "properties": {
                        "value": { "type": "integer" },
                        "next": { "anyOf": [{ "$ref": "#/$defs/Node" }, { "type": "null" }] },
                        "parent": { "description": "The parent", "anyOf": [{ "$ref": "#/$defs/Node" }] }
                    },
                    "required": ["value", "next", "parent"],
                    "description": "First node",
                    "additionalProperties": false
                }
            },
            "required": ["head"],
            "$defs": { "Node": node },
            "additionalProperties": false
        });
        assert_strict(&input, &expected);

        // Mutual recursion and recursion through the root terminate too.
        let mutual = json!({
            "type": "object",
            "properties": {
                "a": { "$ref": "#/$defs/A", "description": "a" },
                "me": { "$ref": "#", "description": "myself" },
                "children": { "type": "array", "items": { "$ref": "#" } }
            },
            "$defs": {
                "A": { "type": "object", "properties": { "b": { "$ref": "#/$defs/B", "description": "b" } } },
                "B": { "type": "object", "properties": { "a": { "$ref": "#/$defs/A", "description": "a" } } }
            }
        });
        let out = to_strict(&mutual);
        assert!(out.is_ok(), "{out:?}");
        assert_eq!(
            out.ok().and_then(|v| v.pointer("/properties/me").cloned()),
            Some(
                json!({ "anyOf": [{ "$ref": "#" }, { "type": "null" }], "description": "myself" })
            )
        );
    }

    #[test]
    fn rule_6_the_root_must_be_a_plain_object() {
        let reason = "root schema must be a plain object";
        assert_error(
            &json!({ "anyOf": [{ "type": "object" }, { "type": "null" }] }),
            "",
            reason,
        );
        assert_error(&json!({ "oneOf": [{ "type": "object" }] }), "", reason);
        assert_error(&json!({ "type": "string" }), "", reason);
        assert_error(&json!({ "type": ["object", "null"] }), "", reason);
        assert_error(&json!(true), "", reason);
        assert_error(&json!([1, 2]), "", reason);
        assert_error(
            &json!({ "$ref": "#/$defs/A", "$defs": { "A": { "type": "string" } } }),
            "",
            reason,
        );
        assert_error(&json!({ "allOf": [{ "type": "string" }] }), "", reason);
        // A `$ref` root with `$defs` beside it is inlined into a plain object.
        let referenced = json!({
            "$ref": "#/$defs/Args",
            "$defs": { "Args": { "type": "object", "properties": { "q": { "type": "string" } } } }
        });
        let expected = json!({
            "type": "object",
            "properties": { "q": { "type": ["string", "null"] } },
            "$defs": {
                "Args": {
                    "type": "object",
                    "properties": { "q": { "type": ["string", "null"] } },
                    "required": ["q"],
                    "additionalProperties": false
                }
            },
            "required": ["q"],
            "additionalProperties": false
        });
        assert_strict(&referenced, &expected);
    }

    #[test]
    fn rule_7_arrays_need_typed_items() {
        let with_tags = |tags: Value| object_with(json!({ "tags": tags }));
        assert_error(
            &with_tags(json!({ "type": "array" })),
            "/properties/tags",
            "`items` schema",
        );
        assert_error(
            &with_tags(json!({ "type": "array", "items": true })),
            "/properties/tags/items",
            "a value of any type",
        );
        assert_error(
            &with_tags(json!({ "type": "array", "items": {} })),
            "/properties/tags/items",
            "a value of any type",
        );
        assert_error(
            &with_tags(json!({ "type": "array", "prefixItems": [{ "type": "string" }] })),
            "/properties/tags",
            "tuples",
        );
        assert_error(
            &with_tags(json!({ "type": "array", "items": [{ "type": "string" }] })),
            "/properties/tags",
            "tuples",
        );
        assert_strict(
            &with_tags(
                json!({ "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 3 }),
            ),
            &json!({
                "type": "object",
                "properties": {
                    "tags": { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 3 }
                },
                "required": ["tags"],
                "additionalProperties": false
            }),
        );
    }

    #[test]
    fn rule_8_any_value_schemas_are_rejected() {
        let reason = "a value of any type";
        assert_error(&object_with(json!({ "x": {} })), "/properties/x", reason);
        assert_error(&object_with(json!({ "x": true })), "/properties/x", reason);
        assert_error(
            &object_with(json!({ "x": { "description": "anything" } })),
            "/properties/x",
            reason,
        );
        assert_error(
            &object_with(json!({ "x": { "anyOf": [{ "type": "string" }, {}] } })),
            "/properties/x/anyOf/1",
            reason,
        );
        assert_error(
            &object_with(json!({ "x": false })),
            "/properties/x",
            "`false` schema",
        );
    }

    #[test]
    fn rule_9_unsupported_keywords_move_into_the_description() {
        let input = object_with(json!({
            "name": { "type": "string", "minLength": 3, "maxLength": 10, "description": "Name" },
            "email": { "type": "string", "format": "email" },
            "id": { "type": "integer", "format": "uint32", "minimum": 0, "maximum": 4_294_967_295_u64 },
            "ratio": { "type": "number", "format": "double", "exclusiveMinimum": 0, "multipleOf": 0.5 },
            "tags": { "type": "array", "items": { "type": "string" }, "uniqueItems": true, "minItems": 1 },
            "misplaced": { "type": "string", "minimum": 1 },
            "sample": { "type": "string", "examples": ["a", "b"], "deprecated": true }
        }));
        let expected = json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "description": "Name (minLength: 3) (maxLength: 10)" },
                "email": { "type": "string", "format": "email" },
                "id": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 4_294_967_295_u64,
                    "description": "(format: uint32)"
                },
                "ratio": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "multipleOf": 0.5
                },
                "tags": {
                    "type": "array",
                    "items": { "type": "string" },
                    "minItems": 1,
                    "description": "(uniqueItems: true)"
                },
                "misplaced": { "type": "string", "description": "(minimum: 1)" },
                "sample": { "type": "string", "description": "(examples: [\"a\",\"b\"]) (deprecated: true)" }
            },
            "required": ["name", "email", "id", "ratio", "tags", "misplaced", "sample"],
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_9_patterns_with_lookaround_or_backreferences_move_into_the_description() {
        let input = object_with(json!({
            "code": { "type": "string", "pattern": "^[A-Z]{3}$" },
            "escaped": { "type": "string", "pattern": "^\\(\\?=x\\\\$" },
            "named_group": { "type": "string", "pattern": "^(?<year>\\d{4})$" },
            "ahead": { "type": "string", "pattern": "^(?=.*\\d).+$" },
            "behind": { "type": "string", "pattern": "(?<!x)y" },
            "backref": { "type": "string", "pattern": "^(a)\\1$" },
            "named_backref": { "type": "string", "pattern": "^(?<q>')x\\k<q>$" }
        }));
        let expected = json!({
            "type": "object",
            "properties": {
                "code": { "type": "string", "pattern": "^[A-Z]{3}$" },
                "escaped": { "type": "string", "pattern": "^\\(\\?=x\\\\$" },
                "named_group": { "type": "string", "pattern": "^(?<year>\\d{4})$" },
                "ahead": { "type": "string", "description": "(pattern: ^(?=.*\\d).+$)" },
                "behind": { "type": "string", "description": "(pattern: (?<!x)y)" },
                "backref": { "type": "string", "description": "(pattern: ^(a)\\1$)" },
                "named_backref": { "type": "string", "description": "(pattern: ^(?<q>')x\\k<q>$)" }
            },
            "required": ["code", "escaped", "named_group", "ahead", "behind", "backref", "named_backref"],
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn rule_9_structural_keywords_without_strict_equivalent_are_rejected() {
        for keyword in ["not", "if", "then", "else", "dependentSchemas"] {
            let mut property = json!({ "type": "string" });
            if let Some(map) = property.as_object_mut() {
                map.insert(keyword.to_owned(), json!({ "type": "string" }));
            }
            let input = object_with(json!({ "p": property }));
            assert_error(
                &input,
                "/properties/p",
                &format!("`{keyword}` is not supported"),
            );
        }
    }

    #[test]
    fn rule_10_schema_and_root_title_are_dropped() {
        let input = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Args",
            "type": "object",
            "properties": { "a": { "title": "A", "type": "string", "$comment": "internal" } },
            "required": ["a"]
        });
        let expected = json!({
            "type": "object",
            "properties": { "a": { "title": "A", "type": "string" } },
            "required": ["a"],
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    /// An object nesting `levels` objects, each in the single property `a`.
    fn nested(levels: usize) -> Value {
        let mut schema = json!({ "type": "string" });
        for _ in 0..levels {
            schema = object_with(json!({ "a": schema }));
        }
        schema
    }

    #[test]
    fn rule_11_nesting_depth_is_limited() {
        assert!(to_strict(&nested(MAX_NESTING_DEPTH)).is_ok());
        let too_deep_path = "/properties/a".repeat(MAX_NESTING_DEPTH + 1);
        assert_error(
            &nested(MAX_NESTING_DEPTH + 1),
            &too_deep_path,
            "at most 10 levels",
        );
        // The `anyOf` added for an optional property counts as a level.
        let mut optional = json!({ "type": "object", "properties": { "a": { "const": "x" } } });
        for _ in 1..MAX_NESTING_DEPTH {
            optional = object_with(json!({ "a": optional }));
        }
        let inner_path = "/properties/a".repeat(MAX_NESTING_DEPTH);
        assert_error(
            &optional,
            &format!("{inner_path}/anyOf/0"),
            "at most 10 levels",
        );
    }

    #[test]
    fn rule_11_size_limits_are_enforced() {
        let many: Map<String, Value> = (0..=MAX_TOTAL_PROPERTIES)
            .map(|i| (format!("p{i}"), json!({ "type": "string" })))
            .collect();
        assert_error(&object_with(Value::Object(many)), "", "at most 5000");

        let values: Vec<Value> = (0..=MAX_TOTAL_ENUM_VALUES)
            .map(|i| json!(format!("v{i}")))
            .collect();
        let big_enum = object_with(json!({ "e": { "type": "string", "enum": values } }));
        assert_error(
            &big_enum,
            "",
            "1001 enum values in total; strict mode allows at most 1000",
        );

        let long_values: Vec<Value> = (0..=LARGE_ENUM_VALUES)
            .map(|i| json!(format!("{i:060}")))
            .collect();
        let long_enum = object_with(json!({ "e": { "type": "string", "enum": long_values } }));
        assert_error(&long_enum, "/properties/e", "at most 15000 characters");

        let long_name = "n".repeat(MAX_TOTAL_STRING_LENGTH / 2 + 1);
        let long_names = object_with(json!({
            format!("a{long_name}"): { "type": "string" },
            format!("b{long_name}"): { "type": "string" }
        }));
        assert_error(&long_names, "", "at most 120000");
    }

    #[test]
    fn rule_12_input_is_not_modified_and_key_order_is_kept() {
        let input = json!({
            "type": "object",
            "properties": {
                "zeta": { "type": "string", "default": "z" },
                "alpha": { "$ref": "#/$defs/M", "description": "m" },
                "mid": { "type": "integer", "format": "int64" }
            },
            "$defs": { "M": { "type": "object", "properties": { "y": { "type": "string" }, "b": { "type": "string" } } } }
        });
        let before = input.to_string();
        let out = to_strict(&input).map(|out| out.to_string());
        assert_eq!(input.to_string(), before);
        assert_eq!(
            out,
            Ok(concat!(
                r#"{"type":"object","properties":{"#,
                r#""zeta":{"type":"string","description":"(default: \"z\")"},"#,
                r#""alpha":{"type":["object","null"],"properties":{"y":{"type":["string","null"]},"b":{"type":["string","null"]}},"#,
                r#""description":"m","required":["y","b"],"additionalProperties":false},"#,
                r#""mid":{"type":["integer","null"],"description":"(format: int64)"}},"#,
                r#""$defs":{"M":{"type":"object","properties":{"y":{"type":["string","null"]},"b":{"type":["string","null"]}},"#,
                r#""required":["y","b"],"additionalProperties":false}},"#,
                r#""required":["zeta","alpha","mid"],"additionalProperties":false}"#
            )
            .to_owned())
        );
    }

    #[test]
    fn realistic_schemars_weather_args() {
        // What schemars 1.x emits for
        // `struct WeatherArgs { city: String, unit: Option<Unit>, #[serde(default = "three")] days: u8 }`.
        let input = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "WeatherArgs",
            "description": "Arguments of get_weather.",
            "type": "object",
            "properties": {
                "city": { "description": "City name.", "type": "string" },
                "unit": {
                    "description": "Temperature unit.",
                    "anyOf": [{ "$ref": "#/$defs/Unit" }, { "type": "null" }]
                },
                "days": {
                    "description": "Number of days to forecast.",
                    "type": "integer",
                    "format": "uint8",
                    "minimum": 0,
                    "default": 3
                }
            },
            "required": ["city"],
            "$defs": {
                "Unit": {
                    "description": "A temperature unit.",
                    "type": "string",
                    "enum": ["celsius", "fahrenheit"]
                }
            }
        });
        let expected = json!({
            "description": "Arguments of get_weather.",
            "type": "object",
            "properties": {
                "city": { "description": "City name.", "type": "string" },
                "unit": {
                    "description": "Temperature unit.",
                    "anyOf": [{ "$ref": "#/$defs/Unit" }, { "type": "null" }]
                },
                "days": {
                    "description": "Number of days to forecast. (format: uint8) (default: 3)",
                    "type": "integer",
                    "minimum": 0
                }
            },
            "required": ["city", "unit", "days"],
            "$defs": {
                "Unit": {
                    "description": "A temperature unit.",
                    "type": "string",
                    "enum": ["celsius", "fahrenheit"]
                }
            },
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn realistic_schemars_weather_args_with_ref_siblings() {
        // The same arguments with `unit: Unit` defaulted, which schemars 1.x
        // emits as a `$ref` with sibling keywords.
        let input = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "WeatherArgs",
            "type": "object",
            "properties": {
                "city": { "description": "City name.", "type": "string" },
                "unit": {
                    "$ref": "#/$defs/Unit",
                    "description": "Temperature unit.",
                    "default": "celsius"
                },
                "days": {
                    "description": "Number of days to forecast.",
                    "type": "integer",
                    "format": "uint8",
                    "minimum": 0,
                    "default": 3
                }
            },
            "required": ["city"],
            "$defs": {
                "Unit": { "type": "string", "enum": ["celsius", "fahrenheit"] }
            }
        });
        let expected = json!({
            "type": "object",
            "properties": {
                "city": { "description": "City name.", "type": "string" },
                "unit": {
                    "type": "string",
                    "enum": ["celsius", "fahrenheit"],
                    "description": "Temperature unit. (default: \"celsius\")"
                },
                "days": {
                    "description": "Number of days to forecast. (format: uint8) (default: 3)",
                    "type": "integer",
                    "minimum": 0
                }
            },
            "required": ["city", "unit", "days"],
            "$defs": {
                "Unit": { "type": "string", "enum": ["celsius", "fahrenheit"] }
            },
            "additionalProperties": false
        });
        assert_strict(&input, &expected);
    }

    #[test]
    fn error_accessors_and_display() {
        let error = StrictError::new("/properties/tags/items", "why");
        assert_eq!(error.path(), "/properties/tags/items");
        assert_eq!(error.reason(), "why");
        assert_eq!(
            error.to_string(),
            "cannot be made strict at `/properties/tags/items`: why"
        );
        assert_eq!(
            StrictError::new("", "why").to_string(),
            "cannot be made strict at the schema root: why"
        );
        let boxed: Box<dyn std::error::Error> = Box::new(error);
        assert!(boxed.source().is_none());
    }

    #[test]
    fn malformed_input_gives_errors_not_panics() {
        let inputs = [
            json!(null),
            json!(1),
            json!("object"),
            json!({}),
            json!({ "type": "object", "properties": [] }),
            json!({ "type": "object", "properties": { "a": 1 } }),
            json!({ "type": "object", "required": "a", "properties": {} }),
            json!({ "type": "object", "required": [1], "properties": {} }),
            json!({ "type": 5 }),
            json!({ "type": "object", "properties": { "a": { "type": [] } } }),
            json!({ "type": "object", "properties": { "a": { "type": "date" } } }),
            json!({ "type": "object", "properties": { "a": { "enum": [] } } }),
            json!({ "type": "object", "properties": { "a": { "anyOf": [] } } }),
            json!({ "type": "object", "properties": { "a": { "$ref": 7 } } }),
            json!({ "type": "object", "properties": { "a": { "$ref": "#/$defs/%FF" } } }),
            json!({ "type": "object", "properties": { "a": { "allOf": {} } } }),
            json!({ "type": "object", "properties": { "a": { "allOf": [1] } } }),
            json!({ "type": "object", "properties": { "a": { "type": "string", "description": 3 } } }),
            json!({ "type": "object", "$defs": [] }),
            json!({ "type": "object", "properties": { "a": { "type": "object", "$defs": {} } } }),
            json!({ "type": "object", "properties": { "a": { "$dynamicRef": "#x" } } }),
            json!({ "type": "object", "properties": { "a": { "oneOf": [{ "type": "string" }], "anyOf": [{ "type": "string" }] } } }),
        ];
        for input in &inputs {
            assert!(to_strict(input).is_err(), "{input}");
        }

        // Deeply nested values are refused without overflowing the stack.
        // (Built by hand: `json!` would serialize the interpolated value
        // recursively.)
        let mut deep = json!({ "type": "string" });
        for _ in 0..100_000 {
            deep = Value::Object(Map::from_iter([(
                "allOf".to_owned(),
                Value::Array(vec![deep]),
            )]));
        }
        let deep_root = Value::Object(Map::from_iter([
            ("type".to_owned(), json!("object")),
            (
                "properties".to_owned(),
                Value::Object(Map::from_iter([("a".to_owned(), deep)])),
            ),
        ]));
        assert_error(&deep_root, "", "nested more than 256");
        // Dropping a value this deep would itself overflow the stack.
        std::mem::forget(deep_root);

        // Exponential `$ref` expansion stops.
        let mut defs = Map::new();
        for level in 0..30 {
            let next = format!("#/$defs/D{}", level + 1);
            defs.insert(
                format!("D{level}"),
                json!({ "anyOf": [
                    { "$ref": next, "description": "x" },
                    { "$ref": next, "description": "y" }
                ] }),
            );
        }
        defs.insert("D30".to_owned(), json!({ "type": "string" }));
        let exploding = json!({
            "type": "object",
            "properties": { "a": { "$ref": "#/$defs/D0", "description": "start" } },
            "required": ["a"],
            "$defs": defs
        });
        let deepest = format!("/$defs/D0{}", "/anyOf/0".repeat(MAX_NESTING_DEPTH));
        assert_error(&exploding, &deepest, "at most 10 levels");

        let mut defs = Map::new();
        for level in 0..5 {
            let next = format!("#/$defs/W{}", level + 1);
            let branches: Vec<Value> = (0..40)
                .map(|i| json!({ "$ref": next, "description": format!("{i}") }))
                .collect();
            defs.insert(format!("W{level}"), json!({ "anyOf": branches }));
        }
        defs.insert("W5".to_owned(), json!({ "type": "string" }));
        let wide = json!({
            "type": "object",
            "properties": { "a": { "$ref": "#/$defs/W0", "description": "start" } },
            "required": ["a"],
            "$defs": defs
        });
        assert_error(&wide, "", "beyond 100000 subschemas");
    }
}
