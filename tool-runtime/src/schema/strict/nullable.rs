//! Optional properties made nullable: strict mode sends `null` for "absent".

use serde_json::{Map, Value, json};

use super::merge::without_key;

/// Makes a (converted) property schema accept `null` as well.
pub(super) fn make_nullable(schema: Value) -> Value {
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
pub(super) fn add_null_type(ty: &mut Value) {
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
pub(super) fn wrap_nullable(map: &Map<String, Value>) -> Value {
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
pub(super) fn is_nullable(map: &Map<String, Value>) -> bool {
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
