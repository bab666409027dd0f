//! Whether a (converted) schema takes a value, as far as its types, `enum`s, `const`s and
//! unions say: for an optional property's `default`, which strict mode's `null` stands for.

use serde_json::Value;

/// Whether `schema` takes `value`, by its `type`, `enum`, `const` and `anyOf`, and those of its
/// `items` and `properties` for the elements and fields of `value`. What it cannot tell here (a
/// `$ref`, a keyword it does not read) it takes for yes: only a default that is surely not one
/// of the schema's values is refused.
pub(super) fn admits(schema: &Value, value: &Value) -> bool {
    let Value::Object(map) = schema else {
        return schema != &Value::Bool(false);
    };
    if map.contains_key("$ref") {
        return true;
    }
    if let Some(Value::Array(values)) = map.get("enum")
        && !values.iter().any(|allowed| same(allowed, value))
    {
        return false;
    }
    if let Some(constant) = map.get("const")
        && !same(constant, value)
    {
        return false;
    }
    if let Some(Value::Array(branches)) = map.get("anyOf")
        && !branches.iter().any(|branch| admits(branch, value))
    {
        return false;
    }
    if let Some(ty) = map.get("type")
        && !of_type(ty, value)
    {
        return false;
    }
    match value {
        Value::Array(elements) => match map.get("items") {
            Some(items @ Value::Object(_)) => elements.iter().all(|element| admits(items, element)),
            _ => true,
        },
        Value::Object(fields) => match map.get("properties") {
            Some(Value::Object(properties)) => fields.iter().all(|(name, field)| {
                properties
                    .get(name)
                    .is_none_or(|property| admits(property, field))
            }),
            _ => true,
        },
        _ => true,
    }
}

/// Whether `value` is of the type `ty` names (a name or an array of names); an unknown name
/// takes anything.
fn of_type(ty: &Value, value: &Value) -> bool {
    let named = |name: &str| match name {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64()
                || value.is_u64()
                || value
                    .as_f64()
                    .is_some_and(|number| number.is_finite() && number.fract() == 0.0)
        }
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => true,
    };
    match ty {
        Value::String(name) => named(name),
        Value::Array(names) => names.iter().any(|name| name.as_str().is_none_or(named)),
        _ => true,
    }
}

/// JSON equality, numbers by value (`1` and `1.0` are the same number).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            _ if x == y => true,
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| same(x, y)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn types_enums_consts_and_unions_are_read() {
        let unit = json!({"type": "string", "enum": ["c", "f"]});
        assert!(admits(&unit, &json!("c")));
        assert!(!admits(&unit, &json!("kelvin")));
        assert!(!admits(&unit, &json!(1)));
        let count = json!({"type": "integer"});
        assert!(admits(&count, &json!(3)));
        assert!(admits(&count, &json!(3.0)));
        assert!(!admits(&count, &json!(3.5)));
        assert!(!admits(&count, &json!("3")));
        assert!(admits(&json!({"enum": [1, 2]}), &json!(2.0)));
        assert!(admits(&json!({"const": "x"}), &json!("x")));
        assert!(!admits(&json!({"const": "x"}), &json!("y")));
        let union = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert!(admits(&union, &json!(1)));
        assert!(!admits(&union, &json!(true)));
        assert!(admits(&json!({"type": ["string", "null"]}), &json!(null)));
    }

    #[test]
    fn elements_and_fields_are_read_and_what_cannot_be_told_is_taken() {
        let tags = json!({"type": "array", "items": {"type": "string", "enum": ["a", "b"]}});
        assert!(admits(&tags, &json!(["a", "b"])));
        assert!(!admits(&tags, &json!(["a", "z"])));
        let point = json!({"type": "object", "properties": {"x": {"type": "integer"}}});
        assert!(admits(&point, &json!({"x": 1, "other": "kept"})));
        assert!(!admits(&point, &json!({"x": "one"})));
        assert!(admits(
            &json!({"$ref": "#/$defs/A", "type": "string"}),
            &json!(1)
        ));
        assert!(admits(&json!({"type": "sparkle"}), &json!(1)));
        assert!(admits(&json!({"description": "anything"}), &json!([1])));
        assert!(!admits(&json!(false), &json!(1)));
    }
}
