//! What a schema promises beyond types, checked: bounds, lengths, patterns, formats, unique
//! items… A value is validated against the whole schema (the `jsonschema` crate), and every
//! violation is reported at once, each with its path.
//!
//! A schema that promises nothing serde does not already check as it decodes (types, required
//! fields, enum variants, integer ranges, tuple lengths) needs no validator: its tool pays
//! nothing.

use serde_json::{Map, Value};

/// One violation: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// The path, as the model reads it: `trip.stops[1].minutes` (empty for the value itself).
    pub(crate) path: String,
    pub(crate) kind: ViolationKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "validate"), allow(dead_code))]
pub(crate) enum ViolationKind {
    /// A required field is absent (the path names it).
    Missing,
    /// A field no property allows (the path names it).
    Unknown,
    /// Anything else, in the validator's words (`0 is less than the minimum of 1`).
    Other(String),
}

/// A compiled check of one schema.
#[cfg(feature = "validate")]
#[derive(Debug, Clone)]
pub(crate) struct Checks(std::sync::Arc<jsonschema::Validator>);

/// Without the `validate` feature, nothing is checked beyond what serde checks.
#[cfg(not(feature = "validate"))]
#[derive(Debug, Clone)]
pub(crate) struct Checks(std::convert::Infallible);

impl Checks {
    /// The checks `schema` needs, if it promises anything serde does not check: `None` when it
    /// does not (or when it cannot be compiled, which is logged).
    pub(crate) fn needed_for(schema: &Value) -> Option<Self> {
        if !needs_checks(schema) {
            return None;
        }
        Self::compile(schema)
    }

    /// The checks of the whole schema, whatever it promises (`None` when it cannot be
    /// compiled).
    #[cfg(feature = "validate")]
    pub(crate) fn compile(schema: &Value) -> Option<Self> {
        match Self::build(schema) {
            Ok(checks) => Some(checks),
            Err(error) => {
                tracing::warn!(%error, "a schema could not be compiled; its values are not validated");
                None
            }
        }
    }

    /// Without the `validate` feature: never.
    #[cfg(not(feature = "validate"))]
    pub(crate) fn compile(_schema: &Value) -> Option<Self> {
        None
    }

    /// [`compile`](Self::compile), saying nothing when the schema cannot be compiled: for
    /// checks of the runtime's own (whether a generated value fits a pattern).
    #[cfg(feature = "validate")]
    pub(crate) fn compile_quietly(schema: &Value) -> Option<Self> {
        Self::build(schema).ok()
    }

    /// Without the `validate` feature: never.
    #[cfg(not(feature = "validate"))]
    pub(crate) fn compile_quietly(_schema: &Value) -> Option<Self> {
        None
    }

    #[cfg(feature = "validate")]
    fn build(schema: &Value) -> Result<Self, jsonschema::ValidationError<'static>> {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(schema)
            .map(|validator| Self(std::sync::Arc::new(validator)))
    }

    /// Whether `value` is valid.
    #[cfg(feature = "validate")]
    pub(crate) fn is_valid(&self, value: &Value) -> bool {
        self.0.is_valid(value)
    }

    /// Without the `validate` feature: there are no checks to ask.
    #[cfg(not(feature = "validate"))]
    pub(crate) fn is_valid(&self, _value: &Value) -> bool {
        match self.0 {}
    }

    /// Every violation of the schema by `value`; empty when it is valid.
    #[cfg(feature = "validate")]
    pub(crate) fn violations(&self, value: &Value) -> Vec<Violation> {
        if self.0.is_valid(value) {
            return Vec::new();
        }
        let mut violations = Vec::new();
        for error in self.0.iter_errors(value) {
            let path = path_of(error.instance_path());
            match error.kind() {
                jsonschema::error::ValidationErrorKind::Required { property } => {
                    let name = property
                        .as_str()
                        .map_or_else(|| property.to_string(), str::to_owned);
                    violations.push(Violation {
                        path: join(&path, &name),
                        kind: ViolationKind::Missing,
                    });
                }
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    violations.extend(unexpected.iter().map(|name| Violation {
                        path: join(&path, name),
                        kind: ViolationKind::Unknown,
                    }));
                }
                // jsonschema says `"nope" is not a "email"`.
                jsonschema::error::ValidationErrorKind::Format { format } => {
                    violations.push(Violation {
                        path,
                        kind: ViolationKind::Other(format!(
                            "{} is not a valid {format}",
                            error.instance()
                        )),
                    });
                }
                _ => violations.push(Violation {
                    path,
                    kind: ViolationKind::Other(error.to_string()),
                }),
            }
        }
        violations
    }

    /// Without the `validate` feature: none.
    #[cfg(not(feature = "validate"))]
    pub(crate) fn violations(&self, _value: &Value) -> Vec<Violation> {
        match self.0 {}
    }
}

/// `a.b[1].c`, from the validator's JSON pointer.
#[cfg(feature = "validate")]
fn path_of(location: &jsonschema::paths::Location) -> String {
    let mut path = String::new();
    for segment in location {
        match segment {
            jsonschema::paths::LocationSegment::Index(index) => {
                path.push_str(&format!("[{index}]"));
            }
            jsonschema::paths::LocationSegment::Property(name) => {
                path = join(&path, &name);
            }
        }
    }
    path
}

#[cfg_attr(not(feature = "validate"), allow(dead_code))]
fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Keywords that promise something serde does not check as it decodes.
const PROMISES: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "minProperties",
    "maxProperties",
    "patternProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "not",
    "if",
];

/// Whether `schema`, anywhere (definitions included), promises something serde does not check.
pub(crate) fn needs_checks(schema: &Value) -> bool {
    match schema {
        Value::Object(node) => {
            node.iter()
                .any(|(key, value)| PROMISES.contains(&key.as_str()) && !implied(node, key, value))
                || node.values().any(needs_checks)
        }
        Value::Array(items) => items.iter().any(needs_checks),
        _ => false,
    }
}

/// Whether `node[key] = value` is what serde checks anyway: the range of a Rust integer type
/// (`"format": "uint8"` with `0` and `255`), the length of a `char`, the length of a tuple, or a
/// number format.
fn implied(node: &Map<String, Value>, key: &str, value: &Value) -> bool {
    let format = node.get("format").and_then(Value::as_str);
    let range = format.and_then(integer_range);
    match key {
        "format" => {
            matches!(format, Some(f) if integer_range(f).is_some() || f == "float" || f == "double")
        }
        "minimum" => range.is_some_and(|(min, _)| value.as_f64() == Some(min)),
        "maximum" => range.is_some_and(|(_, max)| value.as_f64() == Some(max)),
        "minLength" | "maxLength" => {
            // `char`: exactly one character.
            node.get("minLength") == Some(&Value::from(1))
                && node.get("maxLength") == Some(&Value::from(1))
                && format.is_none()
                && !node.contains_key("pattern")
        }
        "minItems" | "maxItems" => node
            .get("prefixItems")
            .and_then(Value::as_array)
            .is_some_and(|items| value.as_u64() == Some(items.len() as u64)),
        _ => false,
    }
}

/// The range of the integer type a schemars `format` names.
fn integer_range(format: &str) -> Option<(f64, f64)> {
    Some(match format {
        "uint8" => (0.0, f64::from(u8::MAX)),
        "uint16" => (0.0, f64::from(u16::MAX)),
        "uint32" | "uint64" | "uint" | "uint128" => (0.0, f64::MAX),
        "int8" => (f64::from(i8::MIN), f64::from(i8::MAX)),
        "int16" => (f64::from(i16::MIN), f64::from(i16::MAX)),
        "int32" | "int64" | "int" | "int128" => (f64::MIN, f64::MAX),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn what_serde_checks_needs_no_validator() {
        let schema = json!({"type": "object", "properties": {
            "a": {"format": "uint8", "maximum": 255, "minimum": 0, "type": "integer"},
            "b": {"format": "uint32", "minimum": 0, "type": "integer"},
            "c": {"format": "int8", "maximum": 127, "minimum": -128, "type": "integer"},
            "d": {"format": "double", "type": "number"},
            "e": {"maxLength": 1, "minLength": 1, "type": "string"},
            "f": {"type": "array", "maxItems": 2, "minItems": 2,
                  "prefixItems": [{"type": "string"}, {"type": "string"}]},
            "g": {"enum": ["x", "y"]},
        }, "required": ["a"], "additionalProperties": false});
        assert!(!needs_checks(&schema), "{schema}");
        assert!(Checks::needed_for(&schema).is_none());
    }

    #[test]
    fn promises_beyond_types_need_one() {
        for promise in [
            json!({"type": "integer", "format": "uint32", "minimum": 1}),
            json!({"type": "integer", "maximum": 10}),
            json!({"type": "string", "pattern": "^[A-Z]{3}$"}),
            json!({"type": "string", "format": "email"}),
            json!({"type": "array", "items": {"type": "string"}, "maxItems": 3}),
            json!({"type": "array", "uniqueItems": true}),
        ] {
            let schema = json!({"type": "object", "$defs": {"Deep": promise}});
            assert!(needs_checks(&schema), "{schema}");
        }
    }

    #[cfg(feature = "validate")]
    #[test]
    fn every_violation_is_reported_with_its_path() {
        let schema = json!({
            "type": "object",
            "properties": {
                "trip": {"$ref": "#/$defs/Trip"},
                "code": {"type": "string", "pattern": "^[A-Z]{3}$"}
            },
            "required": ["trip", "code"],
            "additionalProperties": false,
            "$defs": {"Trip": {"type": "object", "properties": {
                "travelers": {"type": "integer", "minimum": 1},
                "stops": {"type": "array", "items": {"type": "object", "properties": {
                    "minutes": {"type": "integer", "format": "uint32", "minimum": 0}
                }, "required": ["minutes"]}}
            }, "required": ["travelers", "stops"]}}
        });
        let checks = Checks::needed_for(&schema).unwrap();
        let value = json!({
            "trip": {"travelers": 0, "stops": [{"minutes": 5}, {"minutes": "ten"}, {}]},
            "code": "abc",
            "extra": 1
        });
        let violations = checks.violations(&value);
        let found: Vec<(&str, String)> = violations
            .iter()
            .map(|v| {
                let what = match &v.kind {
                    ViolationKind::Missing => "missing".to_owned(),
                    ViolationKind::Unknown => "unknown".to_owned(),
                    ViolationKind::Other(message) => message.clone(),
                };
                (v.path.as_str(), what)
            })
            .collect();
        for expected in [
            ("trip.travelers", "0 is less than the minimum of 1"),
            (
                "trip.stops[1].minutes",
                "\"ten\" is not of type \"integer\"",
            ),
            ("trip.stops[2].minutes", "missing"),
            ("code", "\"abc\" does not match \"^[A-Z]{3}$\""),
            ("extra", "unknown"),
        ] {
            assert!(
                found
                    .iter()
                    .any(|(path, what)| *path == expected.0 && what == expected.1),
                "{expected:?} not in {found:#?}"
            );
        }
        assert!(
            checks
                .violations(&json!({"trip": {"travelers": 2, "stops": []}, "code": "ABC"}))
                .is_empty()
        );
    }
}
