//! Arguments generated from a tool's JSON Schema: valid for it, small, and deterministic.

use serde_json::{Map, Value, json};

use super::rng::Rng;
use super::words::{PromptWords, WORDS};

/// Makes values valid for the schemas of one tool (or one answer): its root, which `$ref`s point
/// into, and where its randomness and its words come from.
struct Sampler<'a> {
    root: &'a Value,
    rng: &'a mut Rng,
    words: &'a mut PromptWords,
}

/// A value valid for `schema`, its `$ref`s resolved against itself.
pub(super) fn sample(schema: &Value, rng: &mut Rng, words: &mut PromptWords) -> Value {
    let mut sampler = Sampler {
        root: schema,
        rng,
        words,
    };
    sampler.value(schema, "", 0)
}

impl Sampler<'_> {
    /// A value valid for `schema`, the value of `property` (its words may come from the prompt).
    fn value(&mut self, schema: &Value, property: &str, depth: usize) -> Value {
        let Some(object) = schema.as_object() else {
            return Value::Null; // `true` or `{}`: anything goes.
        };
        if depth > 8 {
            return Value::Null;
        }
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            let target = reference
                .strip_prefix('#')
                .and_then(|pointer| self.root.pointer(pointer));
            if let Some(target) = target {
                return self.value(target, property, depth + 1);
            }
        }
        if let Some(value) = object.get("const") {
            return value.clone();
        }
        if let Some(options) = object.get("enum").and_then(Value::as_array)
            && !options.is_empty()
        {
            let non_null: Vec<&Value> = options.iter().filter(|v| !v.is_null()).collect();
            let pool = if non_null.is_empty() {
                options.iter().collect()
            } else {
                non_null
            };
            return pool[self.rng.below(pool.len() as u64) as usize].clone();
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(options) = object.get(key).and_then(Value::as_array)
                && !options.is_empty()
            {
                // Prefer a non-null branch, so optional values show up when they are present.
                let non_null: Vec<&Value> = options
                    .iter()
                    .filter(|option| option.get("type") != Some(&json!("null")))
                    .collect();
                let pool = if non_null.is_empty() {
                    options.iter().collect()
                } else {
                    non_null
                };
                let choice = pool[self.rng.below(pool.len() as u64) as usize];
                return self.value(choice, property, depth + 1);
            }
        }
        if let Some(all) = object.get("allOf").and_then(Value::as_array)
            && let Some(first) = all.first()
        {
            return self.value(first, property, depth + 1);
        }
        let ty = match object.get("type") {
            Some(Value::String(ty)) => ty.as_str(),
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(Value::as_str)
                .find(|ty| *ty != "null")
                .unwrap_or("null"),
            _ if object.contains_key("properties") => "object",
            _ => "null",
        };
        match ty {
            "object" => self.object(object, depth),
            "array" => self.array(object, property, depth),
            "integer" => json!(sample_integer(object, self.rng)),
            "number" => {
                let value = sample_integer(object, self.rng) as f64 + 0.5;
                let upper = object.get("maximum").and_then(Value::as_f64);
                json!(match upper {
                    Some(max) if value > max => max,
                    _ => value,
                })
            }
            "boolean" => json!(self.rng.chance()),
            "string" => json!(sample_string(object, self.rng, self.words, property)),
            _ => Value::Null,
        }
    }

    fn array(&mut self, object: &Map<String, Value>, property: &str, depth: usize) -> Value {
        // A tuple (`prefixItems`, as schemars writes `(A, B)`): one value per position.
        if let Some(positions) = object.get("prefixItems").and_then(Value::as_array) {
            return positions
                .iter()
                .map(|position| self.value(position, property, depth + 1))
                .collect();
        }
        let min = object
            .get("minItems")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .min(MAX_ITEMS);
        let max = object
            .get("maxItems")
            .and_then(Value::as_u64)
            .unwrap_or(min.max(2))
            .clamp(min, MAX_ITEMS);
        let count = min + self.rng.below(max - min + 1);
        let items = object.get("items").cloned().unwrap_or(Value::Bool(true));
        (0..count)
            .map(|_| self.value(&items, property, depth + 1))
            .collect()
    }

    fn object(&mut self, object: &Map<String, Value>, depth: usize) -> Value {
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        if let Some(properties) = object.get("properties").and_then(Value::as_object) {
            for (name, schema) in properties {
                // Optional fields are sometimes left out, as a model would.
                if !required.contains(&name.as_str()) && self.rng.chance() {
                    continue;
                }
                out.insert(name.clone(), self.value(schema, name, depth + 1));
            }
        }
        Value::Object(out)
    }
}

/// Arrays and strings stay small, whatever their schema allows.
const MAX_ITEMS: u64 = 8;
const MAX_STRING: usize = 64;

fn sample_integer(object: &Map<String, Value>, rng: &mut Rng) -> i64 {
    let read = |key: &str| object.get(key).and_then(Value::as_f64);
    let lower = match (read("minimum"), read("exclusiveMinimum")) {
        (Some(min), Some(exclusive)) => Some(min.max(exclusive + 1.0)),
        (Some(min), None) => Some(min),
        (None, Some(exclusive)) => Some(exclusive + 1.0),
        (None, None) => None,
    };
    let upper = match (read("maximum"), read("exclusiveMaximum")) {
        (Some(max), Some(exclusive)) => Some(max.min(exclusive - 1.0)),
        (Some(max), None) => Some(max),
        (None, Some(exclusive)) => Some(exclusive - 1.0),
        (None, None) => None,
    };
    // With one bound, a window of 100 next to it; with none, 0 to 100.
    let (low, high) = match (lower, upper) {
        (Some(low), Some(high)) => (low, high),
        (Some(low), None) => (low, low + 100.0),
        (None, Some(high)) => (high.min(100.0) - 100.0, high.min(100.0)),
        (None, None) => (0.0, 100.0),
    };
    let (low, high) = (low.clamp(-1e15, 1e15), high.clamp(-1e15, 1e15));
    let (low, high) = (low.ceil() as i64, high.floor() as i64);
    if high <= low {
        return low;
    }
    low + rng.below((high - low) as u64 + 1) as i64
}

fn sample_string(
    object: &Map<String, Value>,
    rng: &mut Rng,
    words: &mut PromptWords,
    property: &str,
) -> String {
    match object.get("format").and_then(Value::as_str) {
        Some("date-time") => return "2026-01-15T09:30:00Z".to_owned(),
        Some("date") => return "2026-01-15".to_owned(),
        Some("time") => return "09:30:00".to_owned(),
        Some("email") => return "ada@example.com".to_owned(),
        Some("uuid") => return "3f2b9c1e-8d4a-4c7e-9b1a-2e5f6a7b8c9d".to_owned(),
        Some("uri") => return "https://example.com/".to_owned(),
        Some("ipv4") => return "192.0.2.1".to_owned(),
        _ => {}
    }
    let min = object
        .get("minLength")
        .and_then(Value::as_u64)
        .map_or(0, |min| (min as usize).min(MAX_STRING));
    let max = object
        .get("maxLength")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |max| max as usize);
    let mut text = words
        .pick(property)
        .unwrap_or_else(|| WORDS[rng.below(WORDS.len() as u64) as usize].to_owned());
    while text.chars().count() < min {
        text.push('x');
    }
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_respect_enums_bounds_and_required_fields() {
        let schema = json!({
            "type": "object",
            "properties": {
                "unit": {"anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}]},
                "days": {"type": "integer", "minimum": 1, "maximum": 3},
                "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
                "code": {"type": "string", "minLength": 5, "maxLength": 6}
            },
            "required": ["days", "tags", "code", "ratio"],
            "$defs": {"Unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}
        });
        let mut saw_unit = false;
        for seed in 0..50 {
            let mut rng = Rng::new(seed);
            let mut words = PromptWords::new("");
            let value = sample(&schema, &mut rng, &mut words);
            let days = value["days"].as_i64().unwrap();
            assert!((1..=3).contains(&days), "{value}");
            let ratio = value["ratio"].as_f64().unwrap();
            assert!(ratio > 0.0 && ratio <= 1.0, "{value}");
            assert_eq!(value["tags"].as_array().unwrap().len(), 2);
            let code = value["code"].as_str().unwrap().len();
            assert!((5..=6).contains(&code), "{value}");
            if let Some(unit) = value.get("unit") {
                saw_unit = true;
                assert!(unit == "celsius" || unit == "fahrenheit", "{value}");
            }
        }
        assert!(saw_unit, "optional fields are sometimes present");
    }

    #[test]
    fn the_same_seed_gives_the_same_values() {
        let schema =
            json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]});
        let run = |seed| {
            let mut rng = Rng::new(seed);
            sample(&schema, &mut rng, &mut PromptWords::new(""))
        };
        assert_eq!(run(7), run(7));
    }
}
