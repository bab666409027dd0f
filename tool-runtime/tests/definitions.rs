//! `#[tool]` definitions: exact JSON for every provider flavour, and schemas that are valid
//! JSON Schema 2020-12 which the tools' own sample arguments satisfy.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::{
    anthropic_weather_tools, exchange_rate_parameters, get_exchange_rate, get_weather,
    openai_weather_tools, weather_parameters,
};
use tool_runtime::tool::Tool;
use tool_runtime::{tool, tools, wire};

#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Unit {
    Celsius,
    Fahrenheit,
}

/// Where to deliver.
#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
struct Address {
    /// Street and number.
    street: String,
    /// Coordinates, if known.
    geo: Option<Geo>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
struct Geo {
    lat: f64,
    lon: f64,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Payment {
    Card { last4: String },
    Cash,
}

/// Plan a delivery.
#[tool]
fn plan_delivery(
    /// Where to.
    address: Address,
    /// How the customer pays.
    payment: Payment,
    /// Temperature unit for the forecast.
    unit: Option<Unit>,
    /// Days to look ahead.
    #[arg(default = 3)]
    days: u8,
    /// Item names with quantities.
    #[arg(rename = "items")]
    item_counts: Vec<ItemCount>,
) -> String {
    format!(
        "{address:?} {payment:?} {unit:?} {days} {}",
        item_counts.len()
    )
}

#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
struct ItemCount {
    name: String,
    count: u32,
}

/// Tag things; maps cannot be strict.
#[tool]
fn tag(labels: HashMap<String, String>) -> usize {
    labels.len()
}

#[test]
fn seed_tools_in_the_anthropic_flavour() {
    let toolbox = tools![get_weather, get_exchange_rate];
    assert_eq!(
        Value::Array(wire::anthropic::tools(toolbox.definitions(), false)),
        json!([
            {
                "name": "get_weather",
                "description": "Get the current weather for a city.",
                "input_schema": weather_parameters()
            },
            {
                "name": "get_exchange_rate",
                "description": "Get the exchange rate between two currencies.",
                "input_schema": exchange_rate_parameters()
            }
        ])
    );
    // Strict: the seed's schemas are already what Anthropic's strict mode takes.
    assert_eq!(
        Value::Array(wire::anthropic::tools(toolbox.definitions(), true)),
        anthropic_weather_tools()
    );
}

#[test]
fn seed_tools_in_the_openai_flavour() {
    let toolbox = tools![get_weather, get_exchange_rate];
    assert_eq!(
        Value::Array(wire::openai_chat::tools(toolbox.definitions(), false)),
        json!([
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get the current weather for a city.",
                    "parameters": weather_parameters()
                }
            },
            {
                "type": "function",
                "function": {
                    "name": "get_exchange_rate",
                    "description": "Get the exchange rate between two currencies.",
                    "parameters": exchange_rate_parameters()
                }
            }
        ])
    );
}

#[test]
fn seed_tools_in_the_openai_strict_flavour() {
    let toolbox = tools![get_weather, get_exchange_rate];
    // Every parameter is required and no property is open-ended: strict is the plain schema.
    assert_eq!(
        Value::Array(wire::openai_chat::tools(toolbox.definitions(), true)),
        openai_weather_tools()
    );
}

fn delivery_parameters() -> Value {
    json!({
        "type": "object",
        "properties": {
            "address": {"$ref": "#/$defs/Address", "description": "Where to."},
            "payment": {"$ref": "#/$defs/Payment", "description": "How the customer pays."},
            "unit": {
                "anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}],
                "description": "Temperature unit for the forecast."
            },
            "days": {
                "type": "integer",
                "format": "uint8",
                "minimum": 0,
                "maximum": 255,
                "description": "Days to look ahead.",
                "default": 3
            },
            "items": {
                "type": "array",
                "items": {"$ref": "#/$defs/ItemCount"},
                "description": "Item names with quantities."
            }
        },
        "required": ["address", "payment", "items"],
        "additionalProperties": false,
        "$defs": {
            "Address": {
                "description": "Where to deliver.",
                "type": "object",
                "properties": {
                    "street": {"description": "Street and number.", "type": "string"},
                    "geo": {
                        "description": "Coordinates, if known.",
                        "anyOf": [{"$ref": "#/$defs/Geo"}, {"type": "null"}]
                    }
                },
                "required": ["street"]
            },
            "Geo": {
                "type": "object",
                "properties": {
                    "lat": {"type": "number", "format": "double"},
                    "lon": {"type": "number", "format": "double"}
                },
                "required": ["lat", "lon"]
            },
            "Payment": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string", "const": "card"},
                            "last4": {"type": "string"}
                        },
                        "required": ["kind", "last4"]
                    },
                    {
                        "type": "object",
                        "properties": {"kind": {"type": "string", "const": "cash"}},
                        "required": ["kind"]
                    }
                ]
            },
            "Unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "ItemCount": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "count": {"type": "integer", "format": "uint32", "minimum": 0}
                },
                "required": ["name", "count"]
            }
        }
    })
}

#[test]
fn enums_nested_structs_options_defaults_and_renames() {
    let toolbox = tools![plan_delivery];
    let definition = toolbox.get("plan_delivery").unwrap().definition();
    assert_eq!(definition.description(), "Plan a delivery.");
    assert_eq!(definition.parameters(), &delivery_parameters());
}

#[test]
fn property_order_follows_declaration_order() {
    let definition = tools![plan_delivery]
        .get("plan_delivery")
        .unwrap()
        .definition()
        .clone();
    let keys: Vec<&String> = definition.parameters()["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["address", "payment", "unit", "days", "items"]);
}

#[test]
fn schemas_are_computed_once() {
    let first = plan_delivery {}.definition() as *const _;
    let second = plan_delivery {}.definition() as *const _;
    assert_eq!(first, second);
}

#[test]
fn a_schema_that_cannot_be_strict_falls_back_with_a_reason() {
    let toolbox = tools![tag];
    let definition = toolbox.get("tag").unwrap().definition();
    let reason = definition.schema().strict().unwrap_err();
    assert!(reason.to_string().contains("labels"), "{reason}");
    let sent = &wire::openai_chat::tools(toolbox.definitions(), true)[0]["function"];
    assert_eq!(sent.get("strict"), None);
    assert_eq!(sent["parameters"], *definition.parameters());
}

#[test]
fn every_schema_is_valid_json_schema_2020_12() {
    let toolbox = tools![get_weather, get_exchange_rate, plan_delivery, tag];
    for tool in toolbox.iter() {
        let definition = tool.definition();
        let mut flavours = vec![definition.parameters().clone()];
        if let Ok(strict) = definition.schema().strict() {
            flavours.push(strict.clone());
        }
        for schema in flavours {
            assert!(
                jsonschema::meta::is_valid(&schema),
                "{} is not valid JSON Schema 2020-12: {schema:#}",
                definition.name()
            );
        }
    }
}

#[test]
fn sample_arguments_validate_against_the_tools_own_schemas() {
    let samples = [
        ("get_weather", json!({"city": "Tokyo"})),
        (
            "get_exchange_rate",
            json!({"from_currency": "USD", "to_currency": "JPY"}),
        ),
        (
            "plan_delivery",
            json!({
                "address": {"street": "1 Main St", "geo": {"lat": 35.6, "lon": 139.7}},
                "payment": {"kind": "card", "last4": "4242"},
                "unit": "celsius",
                "days": 2,
                "items": [{"name": "tea", "count": 2}]
            }),
        ),
        ("tag", json!({"labels": {"a": "b"}})),
    ];
    let toolbox = tools![get_weather, get_exchange_rate, plan_delivery, tag];
    for (name, sample) in samples {
        let definition = toolbox.get(name).unwrap().definition();
        let validator = jsonschema::validator_for(definition.parameters()).unwrap();
        assert!(validator.is_valid(&sample), "{name}: {sample}");
        // A strict model fills every optional field with null; that must validate too.
        if let Ok(strict) = definition.schema().strict() {
            let strict_validator = jsonschema::validator_for(strict).unwrap();
            let mut filled = sample.clone();
            for key in strict["properties"].as_object().unwrap().keys() {
                filled
                    .as_object_mut()
                    .unwrap()
                    .entry(key.clone())
                    .or_insert(Value::Null);
            }
            assert!(
                strict_validator.is_valid(&filled),
                "{name} (strict): {filled}"
            );
        }
    }
    // And something wrong does not validate.
    let weather = jsonschema::validator_for(
        toolbox
            .get("get_weather")
            .unwrap()
            .definition()
            .parameters(),
    )
    .unwrap();
    assert!(!weather.is_valid(&json!({"city": 5})));
    assert!(!weather.is_valid(&json!({"town": "Tokyo"})));
}

#[test]
fn enums_nested_structs_options_defaults_and_renames_in_the_strict_flavour() {
    let toolbox = tools![plan_delivery];
    let strict = toolbox
        .get("plan_delivery")
        .unwrap()
        .definition()
        .schema()
        .strict()
        .unwrap()
        .clone();
    let address = json!({
        "type": "object",
        "properties": {
            "street": {"type": "string", "description": "Street and number."},
            "geo": {
                "anyOf": [{"$ref": "#/$defs/Geo"}, {"type": "null"}],
                "description": "Coordinates, if known."
            }
        },
        "required": ["street", "geo"],
        "additionalProperties": false
    });
    let payment = json!([
        {
            "type": "object",
            "properties": {"kind": {"type": "string", "const": "card"}, "last4": {"type": "string"}},
            "required": ["kind", "last4"],
            "additionalProperties": false
        },
        {
            "type": "object",
            "properties": {"kind": {"type": "string", "const": "cash"}},
            "required": ["kind"],
            "additionalProperties": false
        }
    ]);
    let mut address_inlined = address;
    address_inlined["description"] = json!("Where to.");
    assert_eq!(
        strict,
        json!({
            "type": "object",
            "properties": {
                // A `$ref` with a sibling description is resolved in place.
                "address": address_inlined,
                "payment": {"anyOf": payment, "description": "How the customer pays."},
                // Optional: nullable and required.
                "unit": {
                    "anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}],
                    "description": "Temperature unit for the forecast."
                },
                // Defaulted: required and nullable (`null` is "left out": the default), the
                // default and the unsupported format in words.
                "days": {
                    "type": ["integer", "null"],
                    "minimum": 0,
                    "maximum": 255,
                    "description": "Days to look ahead. (format: uint8) (default: 3)"
                },
                "items": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/ItemCount"},
                    "description": "Item names with quantities."
                }
            },
            "required": ["address", "payment", "unit", "days", "items"],
            "additionalProperties": false,
            // `Address` and `Payment` were inlined where they are used: their definitions,
            // referenced no more, are not sent.
            "$defs": {
                "Geo": {
                    "type": "object",
                    "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                    "required": ["lat", "lon"],
                    "additionalProperties": false
                },
                "Unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "ItemCount": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "count": {"type": "integer", "minimum": 0, "description": "(format: uint32)"}
                    },
                    "required": ["name", "count"],
                    "additionalProperties": false
                }
            }
        })
    );
}

/// A forecast.
#[derive(Serialize, JsonSchema)]
struct Forecast {
    /// °C.
    high: f64,
    low: f64,
}

/// The forecast for a city.
#[tool(title = "Weather forecast", read_only, open_world = false)]
fn forecast(city: String) -> Result<Forecast, String> {
    let _ = city;
    Ok(Forecast {
        high: 21.0,
        low: 9.0,
    })
}

/// Delete a file.
#[tool(destructive, idempotent = true)]
fn delete_file(path: String) -> String {
    path
}

/// The title, the hints, and the output schema of a struct return type (none for a string).
#[test]
fn titles_hints_and_output_schemas() {
    let toolbox = tools![forecast, delete_file];
    let forecast = toolbox.get("forecast").unwrap().definition().clone();
    assert_eq!(forecast.title(), Some("Weather forecast"));
    let hints = forecast.policy().hints();
    assert_eq!(
        (
            hints.read_only,
            hints.destructive,
            hints.idempotent,
            hints.open_world
        ),
        (Some(true), None, None, Some(false))
    );
    let schema = forecast.output_schema().unwrap();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"]["high"]["description"], "°C.");
    assert_eq!(schema["required"], json!(["high", "low"]));

    let delete = toolbox.get("delete_file").unwrap().definition().clone();
    assert_eq!(delete.title(), None);
    assert_eq!(delete.policy().hints().destructive, Some(true));
    assert_eq!(delete.policy().hints().idempotent, Some(true));
    // A string is no object: no output schema.
    assert!(delete.output_schema().is_none());
    // The LLM wires are not sent any of it.
    let entry = &wire::openai_chat::tools([&forecast], true)[0];
    assert!(entry["function"].get("title").is_none());
}
