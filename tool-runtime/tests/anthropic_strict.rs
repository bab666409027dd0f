//! Anthropic's strict schema flavour, one test per rule (DESIGN section 2; the rules of the
//! Anthropic SDK's `transform_schema`).

use serde_json::{Value, json};
use tool_runtime::schema::strict::to_anthropic_strict;

fn strict(schema: Value) -> Value {
    to_anthropic_strict(&schema).unwrap_or_else(|error| panic!("{schema}: {error}"))
}

fn object(properties: Value) -> Value {
    json!({"type": "object", "properties": properties})
}

#[test]
fn every_object_gets_additional_properties_false() {
    let out = strict(json!({
        "type": "object",
        "properties": {"inner": {"type": "object", "properties": {"x": {"type": "string"}}}},
        "$defs": {"Other": {"type": "object", "properties": {"y": {"type": "string"}}}}
    }));
    assert_eq!(out["additionalProperties"], false);
    assert_eq!(out["properties"]["inner"]["additionalProperties"], false);
    // (`Other` is referenced by nothing: dropped.)
    assert!(out.get("$defs").is_none());
}

#[test]
fn required_is_kept_as_written_and_optional_stays_optional() {
    let out = strict(json!({
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"]
    }));
    assert_eq!(out["required"], json!(["city"]));
    assert_eq!(out["properties"]["days"], json!({"type": "integer"}));
    // No `required` at all stays so.
    assert!(
        strict(object(json!({"a": {"type": "string"}})))
            .get("required")
            .is_none()
    );
}

#[test]
fn one_of_becomes_any_of() {
    let out = strict(object(
        json!({"shape": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}),
    ));
    assert_eq!(
        out["properties"]["shape"],
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
    );
}

#[test]
fn supported_string_formats_are_kept_and_others_described() {
    for format in [
        "date-time",
        "time",
        "date",
        "duration",
        "email",
        "hostname",
        "uri",
        "ipv4",
        "ipv6",
        "uuid",
    ] {
        let out = strict(object(json!({"s": {"type": "string", "format": format}})));
        assert_eq!(
            out["properties"]["s"],
            json!({"type": "string", "format": format})
        );
    }
    let out = strict(object(json!({"s": {"type": "string", "format": "regex"}})));
    assert_eq!(
        out["properties"]["s"],
        json!({"type": "string", "description": "(format: regex)"})
    );
}

#[test]
fn min_items_zero_or_one_is_kept_and_other_array_bounds_described() {
    let items = json!({"type": "string"});
    for kept in [0, 1] {
        let out = strict(object(
            json!({"a": {"type": "array", "items": items, "minItems": kept}}),
        ));
        assert_eq!(out["properties"]["a"]["minItems"], kept);
    }
    let out = strict(object(
        json!({"a": {"type": "array", "items": items, "minItems": 2, "maxItems": 5, "uniqueItems": true}}),
    ));
    assert_eq!(
        out["properties"]["a"],
        json!({"type": "array", "items": {"type": "string"},
               "description": "(minItems: 2) (maxItems: 5) (uniqueItems: true)"})
    );
}

#[test]
fn bounds_lengths_patterns_and_defaults_are_described() {
    let out = strict(object(json!({
        "n": {"type": "integer", "description": "How many.", "minimum": 1, "maximum": 9, "default": 3},
        "s": {"type": "string", "minLength": 2, "pattern": "^[A-Z]+$"}
    })));
    assert_eq!(
        out["properties"]["n"],
        json!({"type": "integer", "description": "How many. (minimum: 1) (maximum: 9) (default: 3)"})
    );
    assert_eq!(
        out["properties"]["s"],
        json!({"type": "string", "description": "(minLength: 2) (pattern: ^[A-Z]+$)"})
    );
}

/// A defaulted property stays optional: the model leaves it out to get the default, so even a
/// default that is not one of the property's values (which OpenAI's flavour refuses: its `null`
/// would stand for that value) leaves the schema satisfiable, and it is only described.
#[test]
fn defaulted_properties_stay_optional_whatever_their_default() {
    let out = strict(json!({
        "type": "object",
        "properties": {
            "size": {"type": "string", "enum": ["small", "large"], "default": "auto"},
            "limit": {"type": "integer", "default": 10},
            "city": {"type": "string"}
        },
        "required": ["city"]
    }));
    assert_eq!(out["required"], json!(["city"]));
    assert_eq!(
        out["properties"]["size"],
        json!({"type": "string", "enum": ["small", "large"], "description": "(default: \"auto\")"})
    );
    assert_eq!(
        out["properties"]["limit"],
        json!({"type": "integer", "description": "(default: 10)"})
    );
}

/// A free-form object ("a map of player name to cards") would be closed to take only `{}`:
/// refused, in Anthropic's flavour as in OpenAI's; one that says it is empty, and the root of a
/// tool without arguments, are kept.
#[test]
fn free_form_objects_are_refused_and_empty_ones_kept() {
    for open in [
        json!({"type": "object", "description": "A map of player name to cards."}),
        json!({"type": "object", "properties": {}}),
        json!({"type": "object", "additionalProperties": true}),
        json!({"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}),
    ] {
        let schema = object(json!({"hands": open}));
        let error = to_anthropic_strict(&schema).unwrap_err();
        assert_eq!(error.path(), "/properties/hands", "{schema}");
        let reason = error.reason();
        assert!(
            reason.contains("free-form objects") || reason.contains("maps with arbitrary keys"),
            "{schema}: {reason}"
        );
    }
    let out = strict(object(
        json!({"none": {"type": "object", "additionalProperties": false}}),
    ));
    assert_eq!(
        out["properties"]["none"],
        json!({"type": "object", "additionalProperties": false, "properties": {}})
    );
    assert_eq!(
        strict(json!({"type": "object"})),
        json!({"type": "object", "properties": {}, "additionalProperties": false})
    );
}

#[test]
fn const_becomes_a_one_value_enum() {
    let out = strict(object(
        json!({"kind": {"type": "string", "const": "circle"}}),
    ));
    assert_eq!(
        out["properties"]["kind"],
        json!({"type": "string", "enum": ["circle"]})
    );
}

#[test]
fn references_with_siblings_are_inlined_and_bare_ones_kept() {
    let out = strict(json!({
        "type": "object",
        "properties": {
            "unit": {"$ref": "#/$defs/Unit", "description": "The unit."},
            "again": {"$ref": "#/$defs/Unit"}
        },
        "$defs": {"Unit": {"type": "string", "enum": ["c", "f"]}}
    }));
    assert_eq!(
        out["properties"]["unit"],
        json!({"type": "string", "enum": ["c", "f"], "description": "The unit."})
    );
    assert_eq!(out["properties"]["again"], json!({"$ref": "#/$defs/Unit"}));
    assert_eq!(
        out["$defs"]["Unit"],
        json!({"type": "string", "enum": ["c", "f"]})
    );
}

#[test]
fn what_cannot_be_expressed_says_why() {
    let cases = [
        (
            json!({"type": "string"}),
            "root schema must be a plain object",
        ),
        (
            object(json!({"m": {"type": "object", "additionalProperties": {"type": "integer"}}})),
            "additionalProperties",
        ),
        (
            object(json!({"t": {"type": "array", "prefixItems": [{"type": "string"}]}})),
            "tuple",
        ),
        (object(json!({"any": {}})), "a value of any type"),
        (
            object(json!({"x": {"type": "string", "not": {"const": "a"}}})),
            "`not`",
        ),
    ];
    for (schema, reason) in cases {
        let error = to_anthropic_strict(&schema).unwrap_err();
        assert!(
            error.to_string().contains(reason),
            "{schema}: {error} does not mention {reason:?}"
        );
    }
}

#[test]
fn openai_size_limits_do_not_apply() {
    let properties: serde_json::Map<String, Value> = (0..6000)
        .map(|i| (format!("p{i}"), json!({"type": "string"})))
        .collect();
    let schema = json!({"type": "object", "properties": properties});
    assert!(tool_runtime::schema::strict::to_strict(&schema).is_err());
    assert!(to_anthropic_strict(&schema).is_ok());
}

#[test]
fn recursive_schemas_are_refused_with_the_definition_named() {
    // A tree: `Node` holds `Node`s. OpenAI's strict mode takes it; Anthropic's does not.
    let tree = json!({
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "required": ["root"],
        "$defs": {"Node": {"type": "object", "properties": {
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
        }, "required": ["children"]}}
    });
    assert!(tool_runtime::schema::strict::to_strict(&tree).is_ok());
    let error = to_anthropic_strict(&tree).unwrap_err();
    assert_eq!(error.path(), "/$defs/Node");
    assert!(error.to_string().contains("recursive"), "{error}");

    // Through another definition, and to the root.
    let mutual = json!({
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A"}},
        "$defs": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
            "B": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}}
        }
    });
    assert!(to_anthropic_strict(&mutual).is_err());
    let to_root = object(json!({"next": {"$ref": "#"}}));
    assert!(to_anthropic_strict(&to_root).is_err());

    // A definition used twice is not a recursion.
    let shared = json!({
        "type": "object",
        "properties": {"from": {"$ref": "#/$defs/Place"}, "to": {"$ref": "#/$defs/Place"}},
        "$defs": {"Place": {"type": "object", "properties": {"city": {"type": "string"}}}}
    });
    assert!(to_anthropic_strict(&shared).is_ok());
}
