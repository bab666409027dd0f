//! OpenAI's strict schema flavour, rule by rule.
//!
//! One table: every row is a rule, an input schema, and what `to_strict` must give for it — the
//! exact output (key order included) or an error at a path with a reason. The rows are checked
//! in one pass that reports every failing row at once.

use serde_json::{Map, Value, json};
use tool_runtime::schema::strict::to_strict;

// OpenAI's documented limits.
const MAX_NESTING_DEPTH: usize = 10;
const MAX_TOTAL_PROPERTIES: usize = 5000;
const MAX_TOTAL_ENUM_VALUES: usize = 1000;
const LARGE_ENUM_VALUES: usize = 250;
const MAX_TOTAL_STRING_LENGTH: usize = 120_000;

/// What `to_strict` must give for a row's input.
enum Expect {
    /// This output, key order included (`Value`'s own equality ignores the order of keys).
    Strict(Value),
    /// Any output: the schema converts.
    Converts,
    /// An error at this path whose reason mentions this text.
    Error { path: String, reason: String },
}

struct Row {
    rule: &'static str,
    input: Value,
    expect: Expect,
}

/// The rows, filled rule by rule.
#[derive(Default)]
struct Table {
    rule: &'static str,
    rows: Vec<Row>,
}

impl Table {
    fn push(&mut self, input: &Value, expect: Expect) {
        self.rows.push(Row {
            rule: self.rule,
            input: input.clone(),
            expect,
        });
    }

    fn strict(&mut self, input: &Value, expected: &Value) {
        self.push(input, Expect::Strict(expected.clone()));
    }

    fn converts(&mut self, input: &Value) {
        self.push(input, Expect::Converts);
    }

    fn error(&mut self, input: &Value, path: &str, reason: &str) {
        let expect = Expect::Error {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        self.push(input, expect);
    }
}

/// A value's JSON text, keys in their order: `Value`'s own equality ignores the order of keys,
/// and strict schemas must keep it.
fn ordered(value: &Value) -> String {
    serde_json::to_string(value).expect("a value serializes")
}

/// What is wrong with a row, if anything.
fn check(row: &Row) -> Option<String> {
    let got = to_strict(&row.input);
    match (&row.expect, &got) {
        (Expect::Strict(expected), Ok(out)) if ordered(out) == ordered(expected) => None,
        (Expect::Converts, Ok(_)) => None,
        (Expect::Error { path, reason }, Err(error))
            if error.path() == path && error.reason().contains(reason.as_str()) =>
        {
            None
        }
        (Expect::Strict(expected), _) => Some(format!("expected {expected}\ngot {got:?}")),
        (Expect::Converts, _) => Some(format!("expected a conversion, got {got:?}")),
        (Expect::Error { path, reason }, _) => Some(format!(
            "expected an error at {path:?} mentioning {reason:?}, got {got:?}"
        )),
    }
}

type Rule = fn(&mut Table);

const RULES: &[(&str, Rule)] = &[
    (
        "rule_1_objects_get_additional_properties_false_and_all_properties_required",
        rule_1_objects_get_additional_properties_false_and_all_properties_required,
    ),
    ("rule_1_maps_are_rejected", rule_1_maps_are_rejected),
    (
        "rule_1_free_form_objects_are_rejected",
        rule_1_free_form_objects_are_rejected,
    ),
    (
        "rule_1_pattern_properties_and_property_names_are_rejected",
        rule_1_pattern_properties_and_property_names_are_rejected,
    ),
    (
        "rule_2_optional_properties_become_nullable",
        rule_2_optional_properties_become_nullable,
    ),
    (
        "rule_2_a_ref_wrapped_for_null_keeps_its_description_on_the_union",
        rule_2_a_ref_wrapped_for_null_keeps_its_description_on_the_union,
    ),
    (
        "rule_2_optional_properties_with_a_default_become_nullable",
        rule_2_optional_properties_with_a_default_become_nullable,
    ),
    (
        "rule_2_a_default_outside_the_property_s_values_is_rejected",
        rule_2_a_default_outside_the_property_s_values_is_rejected,
    ),
    (
        "rule_3_default_is_moved_into_the_description",
        rule_3_default_is_moved_into_the_description,
    ),
    ("rule_4_one_of_becomes_any_of", rule_4_one_of_becomes_any_of),
    (
        "rule_4_single_all_of_is_merged_into_its_parent",
        rule_4_single_all_of_is_merged_into_its_parent,
    ),
    (
        "rule_4_multi_entry_all_of_is_rejected",
        rule_4_multi_entry_all_of_is_rejected,
    ),
    (
        "rule_5_ref_with_siblings_is_inlined_and_bare_ref_kept",
        rule_5_ref_with_siblings_is_inlined_and_bare_ref_kept,
    ),
    (
        "rule_5_unresolvable_refs_are_rejected",
        rule_5_unresolvable_refs_are_rejected,
    ),
    (
        "rule_5_recursive_refs_are_inlined_only_once",
        rule_5_recursive_refs_are_inlined_only_once,
    ),
    (
        "rule_6_the_root_must_be_a_plain_object",
        rule_6_the_root_must_be_a_plain_object,
    ),
    (
        "rule_7_arrays_need_typed_items",
        rule_7_arrays_need_typed_items,
    ),
    (
        "rule_8_any_value_schemas_are_rejected",
        rule_8_any_value_schemas_are_rejected,
    ),
    (
        "rule_9_unsupported_keywords_move_into_the_description",
        rule_9_unsupported_keywords_move_into_the_description,
    ),
    (
        "rule_9_patterns_with_lookaround_or_backreferences_move_into_the_description",
        rule_9_patterns_with_lookaround_or_backreferences_move_into_the_description,
    ),
    (
        "rule_9_structural_keywords_without_strict_equivalent_are_rejected",
        rule_9_structural_keywords_without_strict_equivalent_are_rejected,
    ),
    (
        "rule_10_schema_and_root_title_are_dropped",
        rule_10_schema_and_root_title_are_dropped,
    ),
    (
        "rule_11_nesting_depth_is_limited",
        rule_11_nesting_depth_is_limited,
    ),
    (
        "rule_11_size_limits_are_enforced",
        rule_11_size_limits_are_enforced,
    ),
    (
        "realistic_schemars_weather_args",
        realistic_schemars_weather_args,
    ),
    (
        "realistic_schemars_weather_args_with_ref_siblings",
        realistic_schemars_weather_args_with_ref_siblings,
    ),
    ("dead_definitions_are_dropped", dead_definitions_are_dropped),
    (
        "malformed_input_gives_errors_not_panics",
        malformed_input_gives_errors_not_panics,
    ),
];

#[test]
fn every_rule_holds() {
    let mut table = Table::default();
    for (name, rule) in RULES {
        table.rule = name;
        rule(&mut table);
    }
    assert!(table.rows.len() >= 60, "{} rows", table.rows.len());
    let failures: Vec<String> = table
        .rows
        .iter()
        .enumerate()
        .filter_map(|(index, row)| {
            check(row).map(|why| format!("row {index} ({}), input {}:\n{why}", row.rule, row.input))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// An object schema with the given properties, all required.
fn object_with(properties: Value) -> Value {
    let names: Vec<Value> = properties
        .as_object()
        .map(|p| p.keys().cloned().map(Value::String).collect())
        .unwrap_or_default();
    json!({ "type": "object", "properties": properties, "required": names })
}

fn rule_1_objects_get_additional_properties_false_and_all_properties_required(table: &mut Table) {
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
            "closed": { "type": "object", "properties": {}, "additionalProperties": false }
        },
        "required": ["closed", "untyped", "b", "a"]
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
            "closed": {
                "type": "object",
                "properties": {},
                "additionalProperties": false,
                "required": []
            }
        },
        "required": ["a", "b", "untyped", "closed"],
        "additionalProperties": false
    });
    table.strict(&input, &expected);
}

fn rule_1_free_form_objects_are_rejected(table: &mut Table) {
    // Closed, an object without properties would take only `{}`: the model could never send
    // what the author meant (real-world definitions: "a map of player name to cards").
    let reason = "free-form objects";
    let hands = object_with(json!({
        "hands": { "type": "object", "description": "A map of player name to cards." }
    }));
    table.error(&hands, "/properties/hands", reason);
    let metadata = object_with(json!({
        "metadata": { "type": "object", "properties": {}, "description": "Any metadata." }
    }));
    table.error(&metadata, "/properties/metadata", reason);
    // Optional, in an array, in a union, behind a `$ref`: the same.
    let optional = json!({
        "type": "object",
        "properties": { "options": { "type": "object" } }
    });
    table.error(&optional, "/properties/options", reason);
    let items = object_with(json!({
        "rows": { "type": "array", "items": { "type": "object" } }
    }));
    table.error(&items, "/properties/rows/items", reason);
    let union = object_with(json!({
        "filter": { "anyOf": [{ "type": "string" }, { "type": "object" }] }
    }));
    table.error(&union, "/properties/filter/anyOf/1", reason);
    let referenced = json!({
        "type": "object",
        "properties": { "extra": { "$ref": "#/$defs/Extra", "description": "Extra fields." } },
        "required": ["extra"],
        "$defs": { "Extra": { "type": "object" } }
    });
    table.error(&referenced, "/$defs/Extra", reason);
    // Open with a schema or `true`: a map, as before.
    let map = object_with(json!({
        "cards": { "type": "object", "additionalProperties": { "type": "integer" } }
    }));
    table.error(&map, "/properties/cards", "maps with arbitrary keys");

    // An object that says it is empty stays (it is), and so does the root without properties:
    // a tool that takes no arguments.
    let said_empty = object_with(json!({
        "none": { "type": "object", "additionalProperties": false },
        "nothing": { "type": "object", "unevaluatedProperties": false }
    }));
    table.strict(
        &said_empty,
        &json!({
            "type": "object",
            "properties": {
                "none": { "type": "object", "additionalProperties": false, "properties": {}, "required": [] },
                "nothing": { "type": "object", "properties": {}, "required": [], "additionalProperties": false }
            },
            "required": ["none", "nothing"],
            "additionalProperties": false
        }),
    );
    let no_arguments = json!({ "type": "object", "properties": {} });
    table.strict(
        &no_arguments,
        &json!({ "type": "object", "properties": {}, "required": [], "additionalProperties": false }),
    );
    table.strict(
        &json!({ "type": "object" }),
        &json!({ "type": "object", "properties": {}, "required": [], "additionalProperties": false }),
    );

    let error = to_strict(&hands).err().map(|error| error.to_string());
    assert_eq!(
        error.as_deref(),
        Some(
            "cannot be made strict at `/properties/hands`: free-form objects (an object schema \
             without `properties`, whose keys are left open) are not supported in strict mode, \
             which would accept only `{}` there; give it `properties`, or \
             `\"additionalProperties\": false` if only `{}` is meant"
        )
    );
}

fn rule_1_maps_are_rejected(table: &mut Table) {
    let map = |additional: Value| {
        object_with(json!({
            "meta": { "type": "object", "additionalProperties": additional }
        }))
    };
    let reason = "maps with arbitrary keys (additionalProperties)";
    table.error(&map(json!(true)), "/properties/meta", reason);
    table.error(
        &map(json!({ "type": "string" })),
        "/properties/meta",
        reason,
    );
    table.error(&map(json!({})), "/properties/meta", reason);

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

fn rule_1_pattern_properties_and_property_names_are_rejected(table: &mut Table) {
    let patterned = object_with(json!({
        "m": { "type": "object", "patternProperties": { "^x": { "type": "string" } } }
    }));
    table.error(
        &patterned,
        "/properties/m",
        "maps with arbitrary keys (patternProperties)",
    );
    let named = object_with(json!({
        "m": { "type": "object", "propertyNames": { "pattern": "^x" } }
    }));
    table.error(
        &named,
        "/properties/m",
        "maps with arbitrary keys (propertyNames)",
    );
    let unevaluated = object_with(json!({
        "m": { "type": "object", "unevaluatedProperties": { "type": "string" } }
    }));
    table.error(&unevaluated, "/properties/m", "(unevaluatedProperties)");
}

fn rule_2_optional_properties_become_nullable(table: &mut Table) {
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
    table.strict(&input, &expected);
}

fn rule_2_a_ref_wrapped_for_null_keeps_its_description_on_the_union(table: &mut Table) {
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
        // `Cfg` was inlined: its definition is referenced no more, and dropped.
        "required": ["cfg"],
        "additionalProperties": false
    });
    table.strict(&input, &expected);
}

fn rule_2_optional_properties_with_a_default_become_nullable(table: &mut Table) {
    // `#[serde(default)] count: u32`: the model may leave it out, so strict mode must let it
    // say "left out" — `null`, which the argument decoder reads as absent (the default).
    let input = json!({
        "type": "object",
        "properties": {
            "count": { "type": "integer", "default": 0 },
            "note": { "type": "string" },
            "maybe": { "type": ["string", "null"], "default": null },
            "unit": { "type": "string", "enum": ["c", "f"], "default": "c" },
            "mode": { "const": "fast", "default": "fast" },
            "ratio": { "type": "integer", "default": 2.0 },
            "tags": { "type": "array", "items": { "type": "string" }, "default": ["a"] },
            "where": {
                "type": "object",
                "properties": { "x": { "type": "integer" } },
                "required": ["x"],
                "default": { "x": 1 }
            },
            "pinned": { "type": "integer", "default": 7 }
        },
        "required": ["pinned"]
    });
    let expected = json!({
        "type": "object",
        "properties": {
            "count": { "type": ["integer", "null"], "description": "(default: 0)" },
            "note": { "type": ["string", "null"] },
            "maybe": { "type": ["string", "null"] },
            "unit": { "type": ["string", "null"], "enum": ["c", "f", null], "description": "(default: \"c\")" },
            "mode": {
                "anyOf": [{ "type": "string", "const": "fast" }, { "type": "null" }],
                "description": "(default: \"fast\")"
            },
            "ratio": { "type": ["integer", "null"], "description": "(default: 2.0)" },
            "tags": {
                "type": ["array", "null"],
                "items": { "type": "string" },
                "description": "(default: [\"a\"])"
            },
            "where": {
                "type": ["object", "null"],
                "properties": { "x": { "type": "integer" } },
                "required": ["x"],
                "additionalProperties": false,
                "description": "(default: {\"x\":1})"
            },
            // Required as written: the model gives a value, the default is only described.
            "pinned": { "type": "integer", "description": "(default: 7)" }
        },
        "required": ["count", "note", "maybe", "unit", "mode", "ratio", "tags", "where", "pinned"],
        "additionalProperties": false
    });
    table.strict(&input, &expected);
}

fn rule_2_a_default_outside_the_property_s_values_is_rejected(table: &mut Table) {
    // `null` would stand for the default, a value the property does not take: refused, rather
    // than a schema that lies (real-world definitions: `"default": "auto"` beside an enum
    // without it, `"default": "10"` on an integer).
    let reason = "is not one of its own values";
    let outside_enum = json!({
        "type": "object",
        "properties": {
            "size": { "type": "string", "enum": ["small", "large"], "default": "auto" }
        }
    });
    table.error(&outside_enum, "/properties/size", reason);
    let wrong_type = json!({
        "type": "object",
        "properties": { "limit": { "type": "integer", "default": "10" } }
    });
    table.error(&wrong_type, "/properties/limit", reason);
    let fraction = json!({
        "type": "object",
        "properties": { "limit": { "type": "integer", "default": 2.5 } }
    });
    table.error(&fraction, "/properties/limit", reason);
    let bad_element = json!({
        "type": "object",
        "properties": {
            "kinds": {
                "type": "array",
                "items": { "type": "string", "enum": ["a", "b"] },
                "default": ["a", "z"]
            }
        }
    });
    table.error(&bad_element, "/properties/kinds", reason);
    let through_ref = json!({
        "type": "object",
        "properties": {
            "unit": { "$ref": "#/$defs/Unit", "default": "kelvin" }
        },
        "$defs": { "Unit": { "type": "string", "enum": ["celsius", "fahrenheit"] } }
    });
    table.error(&through_ref, "/properties/unit", reason);
    let nested = object_with(json!({
        "options": {
            "type": "object",
            "properties": { "depth": { "type": "integer", "default": "deep" } }
        }
    }));
    table.error(&nested, "/properties/options/properties/depth", reason);
    // Required, it is only described: the model must give one of the values anyway.
    let required = object_with(json!({
        "size": { "type": "string", "enum": ["small", "large"], "default": "auto" }
    }));
    table.converts(&required);
}

fn rule_3_default_is_moved_into_the_description(table: &mut Table) {
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
    table.strict(&input, &expected);
}

fn rule_4_one_of_becomes_any_of(table: &mut Table) {
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
    table.strict(&input, &expected);
}

fn rule_4_single_all_of_is_merged_into_its_parent(table: &mut Table) {
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
    table.strict(&input, &expected);
}

fn rule_4_multi_entry_all_of_is_rejected(table: &mut Table) {
    let input = object_with(json!({
        "both": { "allOf": [{ "type": "string" }, { "pattern": "^a" }] }
    }));
    table.error(&input, "/properties/both", "`allOf` with 2 entries");
}

fn rule_5_ref_with_siblings_is_inlined_and_bare_ref_kept(table: &mut Table) {
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
        // `Point` was inlined: nothing references it any more.
        "additionalProperties": false
    });
    table.strict(&input, &expected);
}

fn rule_5_unresolvable_refs_are_rejected(table: &mut Table) {
    let with_ref = |reference: &str| {
        json!({
            "type": "object",
            "properties": { "a": { "$ref": reference } },
            "required": ["a"],
            "$defs": { "A": { "type": "object", "properties": { "b": { "type": "string" } } } }
        })
    };
    table.error(
        &with_ref("#/$defs/Missing"),
        "/properties/a",
        "no such definition",
    );
    table.error(
        &with_ref("https://example.com/a.json"),
        "/properties/a",
        "cannot resolve",
    );
    table.error(
        &with_ref("#/$defs/A/properties/b"),
        "/properties/a",
        "cannot resolve",
    );
    table.error(
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
    table.error(&broken, "/$defs/A", "maps with arbitrary keys");
}

fn rule_5_recursive_refs_are_inlined_only_once(table: &mut Table) {
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
    table.strict(&input, &expected);

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
        Some(json!({ "anyOf": [{ "$ref": "#" }, { "type": "null" }], "description": "myself" }))
    );
}

fn rule_6_the_root_must_be_a_plain_object(table: &mut Table) {
    let reason = "root schema must be a plain object";
    table.error(
        &json!({ "anyOf": [{ "type": "object" }, { "type": "null" }] }),
        "",
        reason,
    );
    table.error(&json!({ "oneOf": [{ "type": "object" }] }), "", reason);
    table.error(&json!({ "type": "string" }), "", reason);
    table.error(&json!({ "type": ["object", "null"] }), "", reason);
    table.error(&json!(true), "", reason);
    table.error(&json!([1, 2]), "", reason);
    table.error(
        &json!({ "$ref": "#/$defs/A", "$defs": { "A": { "type": "string" } } }),
        "",
        reason,
    );
    table.error(&json!({ "allOf": [{ "type": "string" }] }), "", reason);
    // A `$ref` root with `$defs` beside it is inlined into a plain object.
    let referenced = json!({
        "$ref": "#/$defs/Args",
        "$defs": { "Args": { "type": "object", "properties": { "q": { "type": "string" } } } }
    });
    let expected = json!({
        "type": "object",
        "properties": { "q": { "type": ["string", "null"] } },
        "required": ["q"],
        "additionalProperties": false
    });
    table.strict(&referenced, &expected);
}

fn rule_7_arrays_need_typed_items(table: &mut Table) {
    let with_tags = |tags: Value| object_with(json!({ "tags": tags }));
    table.error(
        &with_tags(json!({ "type": "array" })),
        "/properties/tags",
        "`items` schema",
    );
    table.error(
        &with_tags(json!({ "type": "array", "items": true })),
        "/properties/tags/items",
        "a value of any type",
    );
    table.error(
        &with_tags(json!({ "type": "array", "items": {} })),
        "/properties/tags/items",
        "a value of any type",
    );
    table.error(
        &with_tags(json!({ "type": "array", "prefixItems": [{ "type": "string" }] })),
        "/properties/tags",
        "tuples",
    );
    table.error(
        &with_tags(json!({ "type": "array", "items": [{ "type": "string" }] })),
        "/properties/tags",
        "tuples",
    );
    table.strict(
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

fn rule_8_any_value_schemas_are_rejected(table: &mut Table) {
    let reason = "a value of any type";
    table.error(&object_with(json!({ "x": {} })), "/properties/x", reason);
    table.error(&object_with(json!({ "x": true })), "/properties/x", reason);
    table.error(
        &object_with(json!({ "x": { "description": "anything" } })),
        "/properties/x",
        reason,
    );
    table.error(
        &object_with(json!({ "x": { "anyOf": [{ "type": "string" }, {}] } })),
        "/properties/x/anyOf/1",
        reason,
    );
    table.error(
        &object_with(json!({ "x": false })),
        "/properties/x",
        "`false` schema",
    );
}

fn rule_9_unsupported_keywords_move_into_the_description(table: &mut Table) {
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
    table.strict(&input, &expected);
}

fn rule_9_patterns_with_lookaround_or_backreferences_move_into_the_description(table: &mut Table) {
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
    table.strict(&input, &expected);
}

fn rule_9_structural_keywords_without_strict_equivalent_are_rejected(table: &mut Table) {
    for keyword in ["not", "if", "then", "else", "dependentSchemas"] {
        let mut property = json!({ "type": "string" });
        if let Some(map) = property.as_object_mut() {
            map.insert(keyword.to_owned(), json!({ "type": "string" }));
        }
        let input = object_with(json!({ "p": property }));
        table.error(
            &input,
            "/properties/p",
            &format!("`{keyword}` is not supported"),
        );
    }
}

fn rule_10_schema_and_root_title_are_dropped(table: &mut Table) {
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
    table.strict(&input, &expected);
}

/// An object nesting `levels` objects, each in the single property `a`.
fn nested(levels: usize) -> Value {
    let mut schema = json!({ "type": "string" });
    for _ in 0..levels {
        schema = object_with(json!({ "a": schema }));
    }
    schema
}

fn rule_11_nesting_depth_is_limited(table: &mut Table) {
    table.converts(&nested(MAX_NESTING_DEPTH));
    let too_deep_path = "/properties/a".repeat(MAX_NESTING_DEPTH + 1);
    table.error(
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
    table.error(
        &optional,
        &format!("{inner_path}/anyOf/0"),
        "at most 10 levels",
    );
}

fn rule_11_size_limits_are_enforced(table: &mut Table) {
    let many: Map<String, Value> = (0..=MAX_TOTAL_PROPERTIES)
        .map(|i| (format!("p{i}"), json!({ "type": "string" })))
        .collect();
    table.error(&object_with(Value::Object(many)), "", "at most 5000");

    let values: Vec<Value> = (0..=MAX_TOTAL_ENUM_VALUES)
        .map(|i| json!(format!("v{i}")))
        .collect();
    let big_enum = object_with(json!({ "e": { "type": "string", "enum": values } }));
    table.error(
        &big_enum,
        "",
        "1001 enum values in total; strict mode allows at most 1000",
    );

    let long_values: Vec<Value> = (0..=LARGE_ENUM_VALUES)
        .map(|i| json!(format!("{i:060}")))
        .collect();
    let long_enum = object_with(json!({ "e": { "type": "string", "enum": long_values } }));
    table.error(&long_enum, "/properties/e", "at most 15000 characters");

    let long_name = "n".repeat(MAX_TOTAL_STRING_LENGTH / 2 + 1);
    let long_names = object_with(json!({
        format!("a{long_name}"): { "type": "string" },
        format!("b{long_name}"): { "type": "string" }
    }));
    table.error(&long_names, "", "at most 120000");
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
            r#""zeta":{"type":["string","null"],"description":"(default: \"z\")"},"#,
            r#""alpha":{"type":["object","null"],"properties":{"y":{"type":["string","null"]},"b":{"type":["string","null"]}},"#,
            r#""description":"m","required":["y","b"],"additionalProperties":false},"#,
            r#""mid":{"type":["integer","null"],"description":"(format: int64)"}},"#,
            r#""required":["zeta","alpha","mid"],"additionalProperties":false}"#
        )
        .to_owned())
    );
}

fn realistic_schemars_weather_args(table: &mut Table) {
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
                "type": ["integer", "null"],
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
    table.strict(&input, &expected);
}

fn realistic_schemars_weather_args_with_ref_siblings(table: &mut Table) {
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
                "type": ["string", "null"],
                "enum": ["celsius", "fahrenheit", null],
                "description": "Temperature unit. (default: \"celsius\")"
            },
            "days": {
                "description": "Number of days to forecast. (format: uint8) (default: 3)",
                "type": ["integer", "null"],
                "minimum": 0
            }
        },
        "required": ["city", "unit", "days"],
        // `Unit` was inlined where `unit` uses it: its definition, unreferenced, is not sent.
        "additionalProperties": false
    });
    table.strict(&input, &expected);
}

fn dead_definitions_are_dropped(table: &mut Table) {
    // `Inlined` is used only with siblings (inlined); `Kept` through a bare `$ref`, and `Deep`
    // only from `Kept`; `Unused` by nothing.
    let input = json!({
        "type": "object",
        "properties": {
            "a": { "$ref": "#/$defs/Inlined", "description": "A" },
            "b": { "$ref": "#/$defs/Kept" }
        },
        "required": ["a", "b"],
        "$defs": {
            "Inlined": { "type": "string" },
            "Kept": { "type": "object", "properties": { "d": { "$ref": "#/$defs/Deep" } }, "required": ["d"] },
            "Deep": { "type": "integer" },
            "Unused": { "type": "boolean" }
        }
    });
    let expected = json!({
        "type": "object",
        "properties": {
            "a": { "type": "string", "description": "A" },
            "b": { "$ref": "#/$defs/Kept" }
        },
        "required": ["a", "b"],
        "$defs": {
            "Kept": {
                "type": "object",
                "properties": { "d": { "$ref": "#/$defs/Deep" } },
                "required": ["d"],
                "additionalProperties": false
            },
            "Deep": { "type": "integer" }
        },
        "additionalProperties": false
    });
    table.strict(&input, &expected);

    // A definition reached only from the other keyword's, or through a percent-encoded `$ref`,
    // stays.
    let input = json!({
        "type": "object",
        "properties": {
            "a": { "$ref": "#/definitions/A" },
            "c": { "$ref": "#/%24defs/C" }
        },
        "required": ["a", "c"],
        "definitions": {
            "A": { "type": "object", "properties": { "b": { "$ref": "#/$defs/B" } }, "required": ["b"] }
        },
        "$defs": {
            "B": { "type": "integer" },
            "C": { "type": "string" },
            "D": { "type": "boolean" }
        }
    });
    let expected = json!({
        "type": "object",
        "properties": {
            "a": { "$ref": "#/definitions/A" },
            "c": { "$ref": "#/%24defs/C" }
        },
        "required": ["a", "c"],
        "definitions": {
            "A": {
                "type": "object",
                "properties": { "b": { "$ref": "#/$defs/B" } },
                "required": ["b"],
                "additionalProperties": false
            }
        },
        "$defs": { "B": { "type": "integer" }, "C": { "type": "string" } },
        "additionalProperties": false
    });
    table.strict(&input, &expected);
}

fn malformed_input_gives_errors_not_panics(table: &mut Table) {
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
    // Checked here, not as a row: cloning a value this deep into the table would overflow.
    let error = to_strict(&deep_root).unwrap_err();
    assert_eq!(error.path(), "");
    assert!(error.reason().contains("nested more than 256"), "{error}");
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
    table.error(&exploding, &deepest, "at most 10 levels");

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
    table.error(&wide, "", "beyond 100000 subschemas");
}
