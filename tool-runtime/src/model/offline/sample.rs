//! Values generated from a JSON Schema — a tool's arguments, a typed answer — valid for it,
//! small, and deterministic for a seed.
//!
//! Followed as the value is built: `$ref`, `allOf` (merged), `anyOf`/`oneOf` (a branch, merged
//! with what is beside it), `const`, `enum`, `type`, numeric bounds and `multipleOf`
//! ([`numbers`](super::numbers)), string lengths, formats, examples and patterns
//! ([`strings`](super::strings), [`pattern`](super::pattern)), `minItems`/`maxItems`,
//! `uniqueItems`, `prefixItems`, `contains`, `required`, `minProperties`/`maxProperties`,
//! `dependentRequired`. What is not followed (`not`, `if`/`then`/`else`, `patternProperties`,
//! a `pattern` with look-arounds…) is caught afterwards: with the `validate` feature each value
//! is checked against the whole schema, as the tool will check it, and another is drawn when it
//! fails, a few times.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::numbers;
#[cfg(feature = "validate")]
use super::pattern::Pattern;
use super::rng::Rng;
use super::strings::{self, Lengths};
use super::words::PromptWords;
use crate::schema::check::Checks;

/// How many values are drawn before giving up on a valid (and accepted) one.
const ATTEMPTS: usize = 12;

/// Arrays stay small unless their schema asks for more (up to [`LONGEST_ARRAY`]).
const MAX_ITEMS: u64 = 8;
const LONGEST_ARRAY: u64 = 1_000;

/// How deep values nest; past half of it, only what is required is written.
const DEEPEST: usize = 12;

/// How many schemas one value may take to make (a schema that asks for a thousand arrays of a
/// thousand arrays gets what this allows).
const WORK: usize = 50_000;

/// The first of a few values drawn for `schema` that `checks` finds valid (when there are
/// checks) and that `accept` takes. When none was valid, the last one `accept` took (the
/// tool's own check will say what is wrong); `None` when `accept` took none.
pub(super) fn sample_valid(
    schema: &Value,
    checks: Option<&Checks>,
    accept: &mut dyn FnMut(&Value) -> bool,
    rng: &mut Rng,
    words: &mut PromptWords,
) -> Option<Value> {
    let mut sampler = Sampler {
        root: schema,
        rng,
        words,
        work: WORK,
        shrink: 0,
        avoid: Vec::new(),
        string_checks: HashMap::new(),
        #[cfg(feature = "validate")]
        patterns: HashMap::new(),
    };
    let mut fallback = None;
    for attempt in 0..ATTEMPTS {
        // Each value drawn again is drawn smaller: numbers nearer their lower bound, arrays
        // shorter (as a property test shrinks what fails).
        sampler.shrink = attempt as u32;
        // A value that fails should not use up the prompt's words.
        let words = sampler.words.clone();
        sampler.work = WORK;
        let value = sampler.value(schema, "", 0);
        let valid = checks.is_none_or(|checks| checks.is_valid(&value));
        if accept(&value) {
            if valid {
                return Some(value);
            }
            fallback = Some(value);
        }
        *sampler.words = words;
        if checks.is_none() && fallback.is_some() {
            // Nothing to check: another value would not be any better.
            break;
        }
    }
    if fallback.is_some() {
        tracing::debug!("the offline model found no value valid for a schema; it sends its best");
    }
    fallback
}

/// Makes values valid for the schemas of one tool (or one answer): its root, which `$ref`s point
/// into, where its randomness and its words come from, and what it compiled for strings.
struct Sampler<'a> {
    root: &'a Value,
    rng: &'a mut Rng,
    words: &'a mut PromptWords,
    /// What is left of [`WORK`] for the value being made.
    work: usize,
    /// How many times the value was drawn before: numbers and arrays are drawn smaller.
    shrink: u32,
    /// Values an `enum` should not give (the items an array with `uniqueItems` already has).
    avoid: Vec<Value>,
    /// The check of each (pattern, format) met, for candidate strings.
    string_checks: HashMap<(Option<String>, Option<String>), Option<Checks>>,
    /// Each pattern met, parsed.
    #[cfg(feature = "validate")]
    patterns: HashMap<String, Option<Pattern>>,
}

impl Sampler<'_> {
    /// A value valid for `schema`, the value of `property` (its words may come from the prompt).
    fn value(&mut self, schema: &Value, property: &str, depth: usize) -> Value {
        let Some(object) = schema.as_object() else {
            return Value::Null; // `true` or `{}`: anything goes.
        };
        if depth > DEEPEST || !self.spend() {
            return Value::Null;
        }
        let object = self.resolve(object, depth);
        if let Some(value) = object.get("const") {
            return value.clone();
        }
        if let Some(options) = object.get("enum").and_then(Value::as_array)
            && !options.is_empty()
        {
            return self.option(options).clone();
        }
        match type_of(&object) {
            "object" => self.object(&object, depth),
            "array" => self.array(&object, property, depth),
            "integer" => numbers::integer(&object, self.rng, self.shrink),
            "number" => numbers::number(&object, self.rng, self.shrink),
            "boolean" => json!(self.rng.chance()),
            "string" => json!(self.string(&object, property)),
            _ => Value::Null,
        }
    }

    /// `object` with its `$ref`, `allOf`, `anyOf` and `oneOf` worked out: the target or the
    /// branches merged in, so that what is left is one plain schema.
    fn resolve(&mut self, object: &Map<String, Value>, depth: usize) -> Map<String, Value> {
        let mut current = object.clone();
        for _ in 0..DEEPEST {
            if depth > DEEPEST || !self.spend() {
                break;
            }
            if let Some(reference) = current.remove("$ref") {
                let target = reference
                    .as_str()
                    .and_then(|reference| reference.strip_prefix('#'))
                    .and_then(|pointer| self.root.pointer(pointer))
                    .and_then(Value::as_object);
                if let Some(target) = target {
                    // What is beside the `$ref` narrows what it points to.
                    let beside = std::mem::replace(&mut current, target.clone());
                    merge(&mut current, &beside);
                }
                continue;
            }
            if let Some(Value::Array(all)) = current.remove("allOf") {
                for part in all.iter().filter_map(Value::as_object) {
                    let part = self.resolve(part, depth + 1);
                    merge(&mut current, &part);
                }
                continue;
            }
            let branches =
                ["anyOf", "oneOf"]
                    .into_iter()
                    .find_map(|key| match current.remove(key) {
                        Some(Value::Array(branches)) if !branches.is_empty() => Some(branches),
                        _ => None,
                    });
            if let Some(branches) = branches {
                // Prefer a branch that is not null, so optional values show up when present.
                let non_null: Vec<&Value> = branches
                    .iter()
                    .filter(|branch| branch.get("type") != Some(&json!("null")))
                    .collect();
                let pool = if non_null.is_empty() {
                    branches.iter().collect()
                } else {
                    non_null
                };
                let branch = pool[self.rng.below(pool.len() as u64) as usize];
                if let Some(branch) = branch.as_object() {
                    let branch = self.resolve(branch, depth + 1);
                    merge(&mut current, &branch);
                }
                continue;
            }
            break;
        }
        current
    }

    /// Takes one unit of [`WORK`]; `false` when none is left.
    fn spend(&mut self) -> bool {
        self.work = self.work.saturating_sub(1);
        self.work > 0
    }

    /// One of `options`: one the prompt mentions if any, else a random one that is not null
    /// (when there is one).
    fn option<'v>(&mut self, options: &'v [Value]) -> &'v Value {
        let fresh: Vec<&Value> = options
            .iter()
            .filter(|option| !self.avoid.contains(option))
            .collect();
        let options = if fresh.is_empty() {
            options.iter().collect()
        } else {
            fresh
        };
        if let Some(mentioned) = options.iter().find(|option| {
            option
                .as_str()
                .is_some_and(|text| self.words.mentions(text))
        }) {
            return mentioned;
        }
        let non_null: Vec<&Value> = options.iter().copied().filter(|v| !v.is_null()).collect();
        let pool = if non_null.is_empty() {
            options
        } else {
            non_null
        };
        pool[self.rng.below(pool.len() as u64) as usize]
    }

    fn array(&mut self, object: &Map<String, Value>, property: &str, depth: usize) -> Value {
        let read = |key: &str| object.get(key).and_then(Value::as_u64);
        let positions = object
            .get("prefixItems")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        // One item at least, unless there is no room for one, or deep down.
        let least = if depth > DEEPEST / 2 || !positions.is_empty() {
            0
        } else {
            read("maxItems").unwrap_or(1).min(1)
        };
        let min = read("minItems").unwrap_or(least).min(LONGEST_ARRAY);
        let count = if !positions.is_empty() || depth > DEEPEST / 2 || self.shrink > 0 {
            let max = read("maxItems").unwrap_or(u64::MAX);
            min.max(positions.len() as u64).min(max)
        } else {
            // Two at most, or what `maxItems` allows up to eight, but never below `minItems`.
            let upper = read("maxItems")
                .map_or(min.max(2), |max| max.min(MAX_ITEMS))
                .max(min);
            min + self.rng.below(upper - min + 1)
        };
        let items = object.get("items").cloned().unwrap_or(Value::Bool(true));
        let unique = object.get("uniqueItems") == Some(&Value::Bool(true));
        let contains = object.get("contains").filter(|_| {
            // `minContains: 0` asks for nothing.
            object.get("minContains").and_then(Value::as_u64) != Some(0)
        });
        let mut out: Vec<Value> = Vec::new();
        for index in 0..count as usize {
            let schema = match (positions.get(index), contains) {
                (Some(position), _) => position,
                (None, Some(contains)) if index == positions.len() => contains,
                (None, _) if items == Value::Bool(false) => break,
                (None, _) => &items,
            };
            let value = if unique {
                // The items so far are what to avoid (moved there, not copied: an array of many
                // large items costs nothing more), then the outer array's are again.
                let outer = std::mem::replace(&mut self.avoid, out);
                let mut value = self.value(schema, property, depth + 1);
                for _ in 0..8 {
                    if !self.avoid.contains(&value) {
                        break;
                    }
                    value = self.value(schema, property, depth + 1);
                }
                out = std::mem::replace(&mut self.avoid, outer);
                value
            } else {
                self.value(schema, property, depth + 1)
            };
            out.push(value);
        }
        Value::Array(out)
    }

    fn object(&mut self, object: &Map<String, Value>, depth: usize) -> Value {
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let read = |key: &str| object.get(key).and_then(Value::as_u64);
        let min = read("minProperties").unwrap_or(0) as usize;
        let max = read("maxProperties").map_or(usize::MAX, |max| max as usize);
        let empty = Map::new();
        let properties = object
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let additional = object.get("additionalProperties");
        // A field and those that must come with it (`dependentRequired`).
        let group = |name: &'_ str, wanted: &[&str]| -> Vec<String> {
            let also = object
                .get("dependentRequired")
                .and_then(|dependents| dependents.get(name))
                .and_then(Value::as_array)
                .map(|also| also.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .unwrap_or_default();
            let mut group: Vec<String> = Vec::new();
            for member in std::iter::once(name).chain(also) {
                if !wanted.contains(&member) && !group.iter().any(|taken| taken == member) {
                    group.push(member.to_owned());
                }
            }
            group
        };
        // Required fields, in the order of `properties` first, with what they bring.
        let mut names: Vec<String> = Vec::new();
        let ordered = properties
            .keys()
            .map(String::as_str)
            .filter(|name| required.contains(name))
            .chain(required.iter().copied());
        for name in ordered {
            let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
            let more = group(name, &wanted);
            names.extend(more);
        }
        // Optional fields are sometimes left out, as a model would; deep down, always. As many
        // as `minProperties` asks for, no more than `maxProperties` allows.
        let shallow = depth <= DEEPEST / 2;
        let mut left_out = Vec::new();
        for name in properties.keys().map(String::as_str) {
            if names.iter().any(|taken| taken == name) {
                continue;
            }
            if shallow && !self.rng.chance() {
                let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
                let more = group(name, &wanted);
                if names.len() + more.len() <= max {
                    names.extend(more);
                }
            } else {
                left_out.push(name);
            }
        }
        for name in left_out {
            if names.len() >= min {
                break;
            }
            let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
            let more = group(name, &wanted);
            if names.len() + more.len() <= max {
                names.extend(more);
            }
        }
        let mut out = Map::new();
        for name in names {
            let schema = match properties.get(&name) {
                Some(schema) => schema,
                None if additional == Some(&Value::Bool(false)) => continue,
                None => additional.unwrap_or(&Value::Bool(true)),
            };
            let value = self.value(schema, &name, depth + 1);
            out.insert(name, value);
        }
        Value::Object(out)
    }

    /// A string for `property`, valid for `object`'s `minLength`, `maxLength`, `format` and
    /// `pattern`, in this order of preference: a capitalized word of the prompt, an example the
    /// prompt mentions, an example, a value of the format, a string the pattern matches, a word
    /// of the model's own.
    fn string(&mut self, object: &Map<String, Value>, property: &str) -> String {
        let lengths = Lengths::of(object);
        let pattern = object.get("pattern").and_then(Value::as_str);
        let format = object.get("format").and_then(Value::as_str);
        let checks = self.string_checks(pattern, format);
        // Without a check of its format, a prompt word is not taken for an address or a date
        // (a format has values of its own). Without a check of its pattern, the tool does not
        // check it either.
        let trust_words = checks.is_some() || format.is_none();
        let fits = |text: &str| {
            lengths.fit(text)
                && checks
                    .as_ref()
                    .is_none_or(|checks| checks.is_valid(&json!(text)))
        };

        let mut examples = strings::listed_examples(object);
        if let Some(description) = object.get("description").and_then(Value::as_str) {
            examples.extend(strings::described_examples(description));
        }
        examples.retain(|example| fits(example));
        if trust_words && let Some(word) = self.words.pick_if(property, &mut |word| fits(word)) {
            return word;
        }
        if let Some(mentioned) = examples.iter().find(|example| self.words.mentions(example)) {
            return mentioned.clone();
        }
        if !examples.is_empty() {
            return examples.swap_remove(self.rng.below(examples.len() as u64) as usize);
        }
        if let Some(format) = format {
            let values: Vec<&str> = strings::formatted(format)
                .iter()
                .copied()
                .filter(|value| fits(value))
                .collect();
            if !values.is_empty() {
                return values[self.rng.below(values.len() as u64) as usize].to_owned();
            }
        }
        #[cfg(feature = "validate")]
        if let Some(pattern) = pattern
            && let Some(matched) = self.matching(pattern, &lengths, &fits)
        {
            return matched;
        }
        let word = lengths.adjust(strings::any_word(self.rng));
        if fits(&word) {
            return word;
        }
        // A word of the model's own that fits, if one does.
        super::words::WORDS
            .iter()
            .map(|word| lengths.adjust(word))
            .find(|word| fits(word))
            .unwrap_or(word)
    }

    /// A string `pattern` matches that `fits`, if one can be made: short ones first, longer
    /// ones for a `minLength`; padded when the pattern does not anchor its end.
    #[cfg(feature = "validate")]
    fn matching(
        &mut self,
        pattern: &str,
        lengths: &Lengths,
        fits: &dyn Fn(&str) -> bool,
    ) -> Option<String> {
        let parsed = self
            .patterns
            .entry(pattern.to_owned())
            .or_insert_with(|| Pattern::parse(pattern));
        let parsed = parsed.as_ref()?;
        for extra in [0, 1, 2, 3, 5, 8, 13, 21, 40, 80, 160, 320] {
            let Some(text) = parsed.generate(self.rng, extra) else {
                continue;
            };
            if fits(&text) {
                return Some(text);
            }
            let padded = lengths.adjust(&text);
            if fits(&padded) {
                return Some(padded);
            }
        }
        None
    }

    /// The check of a string's `pattern` and `format`, compiled once; `None` when it has
    /// neither, or without the `validate` feature.
    fn string_checks(&mut self, pattern: Option<&str>, format: Option<&str>) -> Option<Checks> {
        if pattern.is_none() && format.is_none() {
            return None;
        }
        let key = (pattern.map(str::to_owned), format.map(str::to_owned));
        self.string_checks
            .entry(key)
            .or_insert_with(|| {
                let mut schema = json!({"type": "string"});
                if let Some(pattern) = pattern {
                    schema["pattern"] = json!(pattern);
                }
                if let Some(format) = format {
                    schema["format"] = json!(format);
                }
                Checks::compile_quietly(&schema)
            })
            .clone()
    }
}

/// The type a value of `object` takes: its `type` (the first that is not null), else what its
/// keywords are about.
fn type_of(object: &Map<String, Value>) -> &str {
    match object.get("type") {
        Some(Value::String(ty)) => return ty,
        Some(Value::Array(types)) => {
            return types
                .iter()
                .filter_map(Value::as_str)
                .find(|ty| *ty != "null")
                .unwrap_or("null");
        }
        _ => {}
    }
    let about = |keys: &[&str]| keys.iter().any(|key| object.contains_key(*key));
    if about(&[
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
    ]) {
        "object"
    } else if about(&["items", "prefixItems", "minItems", "maxItems", "contains"]) {
        "array"
    } else if about(&["minLength", "maxLength", "pattern", "format"]) {
        "string"
    } else if about(&["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) {
        "number"
    } else if about(&["multipleOf"]) {
        "integer"
    } else {
        "null"
    }
}

/// Narrows `into` by `extra` (both must hold): properties and `required` joined, bounds
/// tightened, `type` and `enum` intersected; for any other keyword, `into`'s stays.
fn merge(into: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (key, value) in extra {
        let Some(existing) = into.get_mut(key) else {
            into.insert(key.clone(), value.clone());
            continue;
        };
        match key.as_str() {
            "properties" => {
                if let (Value::Object(mine), Value::Object(theirs)) = (existing, value) {
                    for (name, schema) in theirs {
                        match mine.get_mut(name) {
                            Some(both) => *both = json!({"allOf": [both.take(), schema]}),
                            None => {
                                mine.insert(name.clone(), schema.clone());
                            }
                        }
                    }
                }
            }
            "required" => {
                if let (Value::Array(mine), Value::Array(theirs)) = (existing, value) {
                    for name in theirs {
                        if !mine.contains(name) {
                            mine.push(name.clone());
                        }
                    }
                }
            }
            "minimum" | "exclusiveMinimum" | "minLength" | "minItems" | "minProperties"
            | "minContains" => {
                if let (Some(mine), Some(theirs)) = (existing.as_f64(), value.as_f64())
                    && theirs > mine
                {
                    *existing = value.clone();
                }
            }
            "maximum" | "exclusiveMaximum" | "maxLength" | "maxItems" | "maxProperties"
            | "maxContains" => {
                if let (Some(mine), Some(theirs)) = (existing.as_f64(), value.as_f64())
                    && theirs < mine
                {
                    *existing = value.clone();
                }
            }
            "enum" => {
                if let (Value::Array(mine), Value::Array(theirs)) = (&*existing, value) {
                    let both: Vec<Value> = mine
                        .iter()
                        .filter(|v| theirs.contains(v))
                        .cloned()
                        .collect();
                    if !both.is_empty() {
                        *existing = Value::Array(both);
                    }
                }
            }
            "type" => {
                let list = |types: &Value| -> Vec<Value> {
                    match types {
                        Value::Array(types) => types.clone(),
                        other => vec![other.clone()],
                    }
                };
                let theirs = list(value);
                let both: Vec<Value> = list(existing)
                    .into_iter()
                    .filter(|ty| {
                        theirs.contains(ty)
                            || (ty == "number" && theirs.contains(&json!("integer")))
                    })
                    .map(|ty| {
                        // number ∩ integer = integer.
                        if ty == "number" && !theirs.contains(&json!("number")) {
                            json!("integer")
                        } else {
                            ty
                        }
                    })
                    .collect();
                match both.len() {
                    0 => {}
                    1 => *existing = both[0].clone(),
                    _ => *existing = Value::Array(both),
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(schema: &Value, seed: u64, prompt: &str) -> Value {
        let mut rng = Rng::new(seed);
        let mut words = PromptWords::new(prompt);
        sample_valid(schema, None, &mut |_| true, &mut rng, &mut words).unwrap()
    }

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
            let value = one(&schema, seed, "");
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
        assert_eq!(one(&schema, 7, ""), one(&schema, 7, ""));
    }

    #[test]
    fn values_the_prompt_mentions_are_preferred() {
        let schema = json!({
            "type": "object",
            "properties": {
                "unit": {"enum": ["celsius", "fahrenheit", "kelvin"]},
                "word": {"type": "string", "description": "The word, e.g. \"hammer\" or \"tool\"."},
                "city": {"type": "string", "description": "City name, e.g. \"Tokyo\"."}
            },
            "required": ["unit", "word", "city"]
        });
        for seed in 0..20 {
            let value = one(&schema, seed, "What does tool mean, in fahrenheit?");
            assert_eq!(value["unit"], "fahrenheit", "{value}");
            assert_eq!(value["word"], "tool", "{value}");
            // No name in the prompt: the description's example.
            assert_eq!(value["city"], "Tokyo", "{value}");
        }
        // A name in the prompt comes before the description's example.
        let value = one(&schema, 0, "Is it cold in Oslo?");
        assert_eq!(value["city"], "Oslo");
    }

    #[test]
    fn all_of_is_merged_and_branches_keep_what_is_beside_them() {
        let schema = json!({
            "type": "object",
            "allOf": [
                {"properties": {"a": {"type": "integer", "minimum": 10}}, "required": ["a"]},
                {"properties": {"a": {"maximum": 12}, "b": {"type": "boolean"}}, "required": ["b"]}
            ],
            "oneOf": [{"required": ["c"]}],
            "properties": {"c": {"const": 3}}
        });
        for seed in 0..20 {
            let value = one(&schema, seed, "");
            let a = value["a"].as_i64().unwrap();
            assert!((10..=12).contains(&a), "{value}");
            assert!(value["b"].is_boolean(), "{value}");
            assert_eq!(value["c"], 3, "{value}");
        }
    }

    #[test]
    fn objects_and_arrays_keep_their_counts() {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"},
                "d": {"type": "integer"},
                "many": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 20},
                         "minItems": 12, "uniqueItems": true},
                "none": {"type": "array", "maxItems": 0}
            },
            "required": ["many", "none"],
            "minProperties": 4,
            "maxProperties": 5,
            "dependentRequired": {"a": ["b"]}
        });
        for seed in 0..30 {
            let value = one(&schema, seed, "");
            let object = value.as_object().unwrap();
            assert!((4..=5).contains(&object.len()), "{value}");
            if object.contains_key("a") {
                assert!(object.contains_key("b"), "{value}");
            }
            let many = value["many"].as_array().unwrap();
            assert_eq!(many.len(), 12, "{value}");
            let mut sorted = many.clone();
            sorted.sort_by_key(|v| v.as_i64());
            sorted.dedup();
            assert_eq!(sorted.len(), 12, "unique: {value}");
            assert_eq!(value["none"], json!([]));
        }
    }

    #[test]
    fn recursive_and_hostile_schemas_end() {
        let schema = json!({
            "$ref": "#/$defs/Node",
            "$defs": {"Node": {"type": "object", "properties": {
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
            }, "required": ["children"]}}
        });
        let value = one(&schema, 0, "");
        assert!(value["children"].is_array());
        for hostile in [
            json!({"$ref": "#"}),
            json!({"$ref": "#/nowhere"}),
            json!({"allOf": [{"$ref": "#"}]}),
            json!({"anyOf": []}),
            json!({"type": "array", "minItems": u64::MAX}),
            json!({"type": "string", "minLength": u64::MAX}),
            json!({"type": "object", "required": ["x"], "additionalProperties": false}),
            json!(false),
        ] {
            let _ = one(&hostile, 0, "");
        }
    }
}
