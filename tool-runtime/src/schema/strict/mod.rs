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
//! * An optional property — one with a `default` included — becomes required
//!   and nullable, `null` standing for "left out": the argument decoder reads a
//!   `null` there as absence, so a defaulted parameter gets its default (both a
//!   `#[tool]` parameter with `#[arg(default)]` and a `#[serde(default)]` field
//!   of a struct; a property whose schema already takes `null` keeps its own
//!   meaning of it). An optional property whose `default` is not one of its
//!   own values (outside its `enum`, of another type) gives an error: its
//!   `null` would stand for a value the property does not take.
//! * Keywords that *widen* the accepted values (maps, tuples, any-value
//!   schemas, intersections, conditionals) cannot be expressed and give an
//!   error; so does an object below the root without `properties` that does
//!   not say `"additionalProperties": false` (a free-form object: closing it
//!   would leave it only `{}`; schemars describes a struct without fields so,
//!   unless it has `#[serde(deny_unknown_fields)]`). The root without
//!   properties is a tool that takes no arguments, and is closed.
//! * A `$ref` with sibling keywords is replaced by the referenced definition
//!   with the siblings merged over it; a bare `$ref` is kept. A recursive
//!   `$ref` with siblings is kept as `{"anyOf": [{"$ref": …}], …siblings}`
//!   instead, so that inlining always terminates.

mod admits;
mod convert;
mod error;
mod flavor;
mod keywords;
mod limits;
mod merge;
mod nullable;
mod pointer;

use serde_json::Value;

pub use error::StrictError;

use crate::json::nested_deeper_than;
use convert::Converter;
use error::{describe_value, root_error};
use flavor::{ANTHROPIC, Flavor, OPENAI};
use limits::{MAX_VALUE_DEPTH, check_limits, check_root};

/// Rewrites `schema` into OpenAI's strict flavour.
///
/// The input is not modified, and the order of keys (in particular of
/// `properties`) is kept. Every object gets `"additionalProperties": false` and
/// lists all of its properties in `required`; properties that were optional —
/// those with a `default` too — become nullable instead, `null` meaning "left
/// out" (the argument decoder gives a defaulted parameter its default for it).
/// `oneOf` becomes `anyOf`, a single-entry `allOf` is merged into its parent,
/// `$ref`s with sibling keywords are inlined, and keywords strict mode does not
/// support are moved into the `description`. `$schema`, the root `title` and
/// every `default` are removed (a default is stated in the description).
///
/// ```
/// use serde_json::json;
/// use tool_runtime::schema::strict::to_strict;
///
/// let schema = json!({
///     "type": "object",
///     "properties": {
///         "city": {"type": "string"},
///         "days": {"type": "integer", "default": 3}
///     },
///     "required": ["city"]
/// });
/// let strict = to_strict(&schema).unwrap();
/// assert_eq!(strict["required"], json!(["city", "days"]));
/// assert_eq!(
///     strict["properties"]["days"],
///     json!({"type": ["integer", "null"], "description": "(default: 3)"})
/// );
///
/// // A free-form object would be closed to `{}`: refused, with the reason.
/// let scores = json!({
///     "type": "object",
///     "properties": {"scores": {"type": "object", "description": "Player name to score."}}
/// });
/// let error = to_strict(&scores).unwrap_err();
/// assert_eq!(error.path(), "/properties/scores");
/// ```
///
/// # Errors
///
/// Returns a [`StrictError`] naming the offending location when the schema
/// cannot be expressed in strict mode: a root that is not a plain object, maps
/// (`additionalProperties` other than `false`, `patternProperties`,
/// `propertyNames`) and free-form objects (an object below the root without
/// `properties` that does not say `"additionalProperties": false`), tuples,
/// arrays without typed `items`, any-value schemas (`{}` or `true`), an
/// optional property whose `default` is not one of its own values (outside its
/// `enum`, or of another type), multi-entry `allOf`, `not`/`if`/`then`/`else`,
/// `$ref`s that do not point at a `#/$defs/...` entry, malformed keywords, or a
/// schema beyond OpenAI's documented size limits.
pub fn to_strict(schema: &Value) -> Result<Value, StrictError> {
    convert(&OPENAI, schema)
}

/// Rewrites `schema` into Anthropic's strict flavour (`"strict": true` on a tool).
///
/// Every object gets `"additionalProperties": false`; `required` stays as written (optional
/// properties stay optional); `oneOf` becomes `anyOf`; `const` becomes a one-value `enum`.
/// String `format`s other than `date-time`, `time`, `date`, `duration`, `email`, `hostname`,
/// `uri`, `ipv4`, `ipv6` and `uuid`, `minItems` other than 0 or 1, and every other narrowing
/// keyword (bounds, lengths, patterns, `maxItems`, defaults…) are moved into the description,
/// as ` (keyword: value)`: the model still reads them, and the runtime still checks them.
/// `$defs` that nothing references are dropped.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::schema::strict::to_anthropic_strict;
///
/// let schema = json!({
///     "type": "object",
///     "properties": {
///         "city": {"type": "string", "minLength": 2},
///         "days": {"type": "integer", "minimum": 1}
///     },
///     "required": ["city"]
/// });
/// let strict = to_anthropic_strict(&schema).unwrap();
/// assert_eq!(strict["additionalProperties"], false);
/// assert_eq!(strict["required"], json!(["city"]));
/// assert_eq!(strict["properties"]["days"], json!({"type": "integer", "description": "(minimum: 1)"}));
/// ```
///
/// A default is only described: an optional property stays optional, so the model leaves it
/// out to get its default, and a default that is not one of the property's values is no reason
/// to refuse the schema here.
///
/// # Errors
///
/// As [`to_strict`] does, for what cannot be expressed: a root that is not a plain object,
/// maps and free-form objects (an object below the root without `properties` that does not
/// say `"additionalProperties": false`: closed, it would take only `{}`), tuples, any-value
/// schemas, intersections, conditionals, recursive schemas; OpenAI's size limits do not apply.
pub fn to_anthropic_strict(schema: &Value) -> Result<Value, StrictError> {
    convert(&ANTHROPIC, schema)
}

fn convert(flavor: &'static Flavor, schema: &Value) -> Result<Value, StrictError> {
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

    let mut converter = Converter::new(flavor, schema, root);
    converter.convert_definitions()?;
    let mut out = converter.schema(schema, "", 0)?;
    check_root(&out)?;
    drop_unreferenced_definitions(&mut out);
    if flavor.refuses_recursion
        && let Some(path) = recursion(&out)
    {
        return Err(StrictError::new(
            &path,
            "a recursive schema (a definition that refers to itself, or to the root): \
             Anthropic's strict mode does not take one",
        ));
    }
    if flavor.size_limits {
        check_limits(&out)?;
    }
    Ok(out)
}

/// Where `schema` refers back to itself, if it does: a `$ref` to the root (`#`), or a
/// definition that reaches itself through other `$ref`s. Given as the definition's path.
fn recursion(schema: &Value) -> Option<String> {
    const KEYWORDS: [&str; 2] = ["$defs", "definitions"];
    /// The `$ref`s inside `node`.
    fn references<'v>(node: &'v Value, found: &mut Vec<&'v str>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    found.push(reference);
                }
                map.values().for_each(|value| references(value, found));
            }
            Value::Array(items) => items.iter().for_each(|item| references(item, found)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    references(schema, &mut all);
    if all.contains(&"#") {
        return Some(String::new());
    }
    // Depth-first from each definition, following references, looking for the start again.
    for keyword in KEYWORDS {
        let Some(Value::Object(definitions)) = schema.get(keyword) else {
            continue;
        };
        for name in definitions.keys() {
            let start = (keyword, name.clone());
            let mut seen: Vec<(&str, String)> = Vec::new();
            let mut todo = vec![start.clone()];
            while let Some((k, n)) = todo.pop() {
                let Some(definition) = schema.get(k).and_then(|defs| defs.get(&n)) else {
                    continue;
                };
                let mut inside = Vec::new();
                references(definition, &mut inside);
                for reference in inside {
                    let Some(next) = definition_named(reference, &KEYWORDS) else {
                        continue;
                    };
                    if next == start {
                        return Some(format!("/{keyword}/{name}"));
                    }
                    if !seen.contains(&next) {
                        seen.push(next.clone());
                        todo.push(next);
                    }
                }
            }
        }
    }
    None
}

/// Drops the `$defs` (and `definitions`) entries that no `$ref` reaches from the schema any
/// more: inlining leaves them behind, and every byte is sent with every request.
fn drop_unreferenced_definitions(schema: &mut Value) {
    const KEYWORDS: [&str; 2] = ["$defs", "definitions"];
    let Value::Object(root) = schema else {
        return;
    };
    // The definitions reached from everything but the definitions, then from what they reach
    // (under either keyword: one may refer to the other's).
    let mut reached: Vec<(&str, String)> = Vec::new();
    let mut todo: Vec<&Value> = root
        .iter()
        .filter(|(key, _)| !KEYWORDS.contains(&key.as_str()))
        .map(|(_, value)| value)
        .collect();
    while let Some(node) = todo.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref")
                    && let Some((keyword, name)) = definition_named(reference, &KEYWORDS)
                    && !reached.iter().any(|(k, n)| *k == keyword && *n == name)
                {
                    if let Some(definition) = root.get(keyword).and_then(|defs| defs.get(&name)) {
                        todo.push(definition);
                    }
                    reached.push((keyword, name));
                }
                todo.extend(map.values());
            }
            Value::Array(items) => todo.extend(items),
            _ => {}
        }
    }
    for keyword in KEYWORDS {
        if let Some(Value::Object(definitions)) = root.get_mut(keyword) {
            definitions.retain(|name, _| reached.iter().any(|(k, n)| *k == keyword && n == name));
            if definitions.is_empty() {
                // (`shift_remove`: the other keys keep their order.)
                root.shift_remove(keyword);
            }
        }
    }
}

/// The definition `reference` names, as (keyword, name): `#/$defs/A`, `#/%24defs/A`.
fn definition_named<'k>(reference: &str, keywords: &[&'k str]) -> Option<(&'k str, String)> {
    let decoded = pointer::percent_decode(reference)?;
    let rest = decoded.strip_prefix("#/")?;
    keywords.iter().find_map(|keyword| {
        let name = rest.strip_prefix(keyword)?.strip_prefix('/')?;
        Some((*keyword, name.replace("~1", "/").replace("~0", "~")))
    })
}
