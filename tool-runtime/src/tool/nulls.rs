//! The `null`s that stand for absence: OpenAI's strict flavour makes every optional property
//! required and nullable, so a model that leaves one out sends `null` for it. Left out again
//! before decoding, the property gets what absence gives it: `None`, or its default — for a
//! `#[serde(default)]` field as for a `#[tool]` parameter with `#[arg(default)]`.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{Map, Value};

/// How many `$ref`s and `allOf` entries are followed from one schema.
const MAX_HOPS: usize = 32;
/// How deep values are walked: serde_json's own limit when it parses text.
const MAX_DEPTH: usize = 128;

/// `value` without the `null`s that stand for absence, if it has any: at any depth, an optional
/// property (not in `required`) given as `null` whose schema does not take `null`; and with
/// `every_top_level`, any top-level property not in `required` given as `null` (the tool's own
/// parameters, whose decoders read absence and `null` alike).
///
/// A property whose schema takes `null` keeps it below the top level: there `null` may mean
/// something absence does not (`None` where the default is `Some`).
pub(crate) fn without_absent_nulls(
    schema: &Value,
    value: &Value,
    every_top_level: bool,
) -> Option<Value> {
    if !has_null(value, 0) {
        return None;
    }
    let mut value = value.clone();
    let walk = Walk {
        root: schema,
        takes_null: RefCell::default(),
    };
    walk.value(schema, &mut value, every_top_level, 0)
        .then_some(value)
}

/// Whether a `null` is anywhere in `value` (as far as `MAX_DEPTH`).
fn has_null(value: &Value, depth: usize) -> bool {
    match value {
        Value::Null => true,
        _ if depth >= MAX_DEPTH => false,
        Value::Array(items) => items.iter().any(|item| has_null(item, depth + 1)),
        Value::Object(fields) => fields.values().any(|field| has_null(field, depth + 1)),
        _ => false,
    }
}

/// A walk of a value alongside its schema.
struct Walk<'s> {
    root: &'s Value,
    /// Whether a schema (by its address) takes `null`, once known; `true` while it is being
    /// found out, so that a schema that refers back to itself ends the search.
    takes_null: RefCell<HashMap<*const Value, bool>>,
}

impl<'s> Walk<'s> {
    /// Leaves out the `null`s of `value` that stand for absence; whether any was.
    fn value(&self, schema: &'s Value, value: &mut Value, every: bool, depth: usize) -> bool {
        if depth >= MAX_DEPTH {
            return false;
        }
        let mut views = Vec::new();
        self.views(schema, &mut views, 0);
        match value {
            Value::Object(fields) => self.object(&views, fields, every, depth),
            Value::Array(items) => {
                let Some(schema) = views.iter().find_map(|view| view.get("items")) else {
                    return false;
                };
                let mut changed = false;
                for item in items {
                    changed |= self.value(schema, item, false, depth + 1);
                }
                changed
            }
            _ => false,
        }
    }

    fn object(
        &self,
        views: &[&'s Map<String, Value>],
        fields: &mut Map<String, Value>,
        every: bool,
        depth: usize,
    ) -> bool {
        let properties: Vec<&'s Map<String, Value>> = views
            .iter()
            .filter_map(|view| view.get("properties").and_then(Value::as_object))
            .collect();
        if properties.is_empty() {
            // An optional object (`anyOf: [{$ref}, {type: null}]`): its one object branch.
            let mut branches = views
                .iter()
                .filter_map(|view| view.get("anyOf").or_else(|| view.get("oneOf")))
                .filter_map(Value::as_array)
                .flatten()
                .filter(|branch| self.has_properties(branch));
            if let (Some(branch), None) = (branches.next(), branches.next()) {
                let mut object = Value::Object(std::mem::take(fields));
                let changed = self.value(branch, &mut object, every, depth);
                if let Value::Object(object) = object {
                    *fields = object;
                }
                return changed;
            }
            if !every {
                return false;
            }
        }
        let required: Vec<&str> = views
            .iter()
            .filter_map(|view| view.get("required").and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let property = |name: &str| properties.iter().find_map(|p| p.get(name));
        let before = fields.len();
        fields.retain(|name, field| {
            let absent = field.is_null()
                && !required.contains(&name.as_str())
                && (every || property(name).is_some_and(|schema| !self.takes_null(schema, 0)));
            !absent
        });
        let mut changed = fields.len() != before;
        for (name, field) in fields.iter_mut() {
            if let Some(schema) = property(name) {
                changed |= self.value(schema, field, false, depth + 1);
            }
        }
        changed
    }

    /// The schema objects that all describe a value of `schema`: itself, what its `$ref`
    /// reaches, and its `allOf` entries.
    fn views(&self, schema: &'s Value, views: &mut Vec<&'s Map<String, Value>>, hops: usize) {
        let Value::Object(map) = schema else {
            return;
        };
        // (Each schema object once: an `allOf` that refers back to itself ends here.)
        if hops > MAX_HOPS || views.iter().any(|view| std::ptr::eq(*view, map)) {
            return;
        }
        views.push(map);
        if let Some(Value::String(reference)) = map.get("$ref")
            && let Some(target) = self.resolve(reference)
        {
            self.views(target, views, hops + 1);
        }
        if let Some(Value::Array(all)) = map.get("allOf") {
            for entry in all {
                self.views(entry, views, hops + 1);
            }
        }
    }

    /// What a `$ref` to this schema's root points at (`#`, `#/$defs/…`).
    fn resolve(&self, reference: &str) -> Option<&'s Value> {
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }

    /// Whether `schema` states properties (itself, or what it reaches).
    fn has_properties(&self, schema: &'s Value) -> bool {
        let mut views = Vec::new();
        self.views(schema, &mut views, 0);
        views.iter().any(|view| view.contains_key("properties"))
    }

    /// Whether `schema` takes `null`: each of its views does (one with no `type`, `enum`,
    /// `const` or union takes anything).
    fn takes_null(&self, schema: &'s Value, depth: usize) -> bool {
        // Past the depth the schema's unions are not followed: the `null` is kept (and the
        // checks say whether it is right).
        if depth >= MAX_DEPTH {
            return true;
        }
        let key: *const Value = schema;
        if let Some(&known) = self.takes_null.borrow().get(&key) {
            return known;
        }
        self.takes_null.borrow_mut().insert(key, true);
        let takes = self.find_takes_null(schema, depth);
        self.takes_null.borrow_mut().insert(key, takes);
        takes
    }

    fn find_takes_null(&self, schema: &'s Value, depth: usize) -> bool {
        let mut views = Vec::new();
        self.views(schema, &mut views, 0);
        views.iter().all(|view| {
            let typed = view.get("type").is_none_or(|ty| match ty {
                Value::String(name) => name == "null",
                Value::Array(names) => names.iter().any(|name| name == "null"),
                _ => true,
            });
            let listed = view
                .get("enum")
                .and_then(Value::as_array)
                .is_none_or(|values| values.contains(&Value::Null));
            let constant = view.get("const").is_none_or(Value::is_null);
            let unions = ["anyOf", "oneOf"].iter().all(|key| {
                view.get(*key)
                    .and_then(Value::as_array)
                    .is_none_or(|branches| {
                        branches
                            .iter()
                            .any(|branch| self.takes_null(branch, depth + 1))
                    })
            });
            typed && listed && constant && unions
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::without_absent_nulls;

    /// A chain of unions far deeper than the stack would allow is followed only so far: the
    /// `null` is kept, and nothing overflows.
    #[test]
    fn a_deep_chain_of_unions_keeps_its_null() {
        let mut defs = Map::new();
        for i in 0..100_000 {
            let next = format!("#/$defs/a{}", i + 1);
            defs.insert(format!("a{i}"), json!({"anyOf": [{"$ref": next}]}));
        }
        defs.insert("a100000".to_owned(), json!({"type": "string"}));
        let schema = json!({
            "type": "object",
            "properties": {"o": {"type": "object", "properties": {"x": {"$ref": "#/$defs/a0"}}}},
            "$defs": Value::Object(defs),
        });
        let value = json!({"o": {"x": null}});
        assert_eq!(without_absent_nulls(&schema, &value, false), None);
    }
}
