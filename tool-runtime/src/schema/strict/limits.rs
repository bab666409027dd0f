//! OpenAI's documented size limits, checked on the converted schema, and the guards that keep
//! the conversion itself bounded.

use serde_json::Value;

use super::error::{StrictError, nesting_error, root_error};
use super::pointer::child;

/// At most this many levels of nesting (OpenAI: "up to 10 levels of nesting").
///
/// Measured like OpenAI's Java SDK validator: the root schema is level 0, and
/// every property schema, `items` schema, `anyOf` branch and `$defs` entry is
/// one level deeper than the schema containing it. `$ref`s are not followed.
pub(super) const MAX_NESTING_DEPTH: usize = 10;
/// At most this many object properties in the whole schema.
pub(super) const MAX_TOTAL_PROPERTIES: usize = 5000;
/// At most this many enum values across all enums in the schema.
pub(super) const MAX_TOTAL_ENUM_VALUES: usize = 1000;
/// At most this many characters over all property names, definition names,
/// enum values and const values.
pub(super) const MAX_TOTAL_STRING_LENGTH: usize = 120_000;
/// A single string enum with more than this many values …
pub(super) const LARGE_ENUM_VALUES: usize = 250;
/// … may have at most this many characters over all its values.
pub(super) const MAX_LARGE_ENUM_STRING_LENGTH: usize = 15_000;

/// Guard against stack exhaustion: inputs nested deeper than this (counting
/// every JSON array and object, not only schemas) are refused up front.
pub(super) const MAX_VALUE_DEPTH: usize = 256;

/// Checks that the converted root is a plain object.
pub(super) fn check_root(out: &Value) -> Result<(), StrictError> {
    let found = if out.get("anyOf").is_some() {
        "found a union (`anyOf`/`oneOf`)".to_owned()
    } else if let Some(reference) = out.get("$ref") {
        format!("found a bare `$ref` to {reference}")
    } else {
        match out.get("type") {
            Some(Value::String(ty)) if ty == "object" => return Ok(()),
            Some(ty) => format!("found `\"type\": {ty}`"),
            None => "found a schema without `type`".to_owned(),
        }
    };
    Err(root_error(&found))
}

/// Totals over the whole converted schema, for OpenAI's size limits.
#[derive(Default)]
pub(super) struct Totals {
    properties: usize,
    enum_values: usize,
    string_length: usize,
}

/// Checks OpenAI's documented limits on the converted schema.
pub(super) fn check_limits(out: &Value) -> Result<(), StrictError> {
    let mut totals = Totals::default();
    tally(out, "", 0, &mut totals)?;
    // (total, limit, the words before and after the total)
    let checks = [
        (
            totals.properties,
            MAX_TOTAL_PROPERTIES,
            "the schema has ",
            " object properties in total",
        ),
        (
            totals.enum_values,
            MAX_TOTAL_ENUM_VALUES,
            "the schema has ",
            " enum values in total",
        ),
        (
            totals.string_length,
            MAX_TOTAL_STRING_LENGTH,
            "property names, definition names, enum values and const values total ",
            " characters",
        ),
    ];
    for (total, limit, before, after) in checks {
        if total > limit {
            return Err(StrictError::new(
                "",
                format!("{before}{total}{after}; strict mode allows at most {limit}"),
            ));
        }
    }
    Ok(())
}

/// Walks a converted schema, checking the nesting depth and adding up totals.
pub(super) fn tally(
    schema: &Value,
    path: &str,
    depth: usize,
    totals: &mut Totals,
) -> Result<(), StrictError> {
    if depth > MAX_NESTING_DEPTH {
        return Err(nesting_error(path));
    }
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if let Some(Value::Array(values)) = map.get("enum") {
        totals.enum_values += values.len();
        totals.string_length += values.iter().map(value_length).sum::<usize>();
        let string_length: usize = values
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.chars().count())
            .sum();
        if values.len() > LARGE_ENUM_VALUES && string_length > MAX_LARGE_ENUM_STRING_LENGTH {
            return Err(StrictError::new(
                path,
                format!(
                    "an enum with more than {LARGE_ENUM_VALUES} values may total at most \
                     {MAX_LARGE_ENUM_STRING_LENGTH} characters in strict mode, this one has {} values \
                     totalling {string_length}",
                    values.len()
                ),
            ));
        }
    }
    if let Some(value) = map.get("const") {
        totals.string_length += value_length(value);
    }
    if let Some(Value::Object(properties)) = map.get("properties") {
        let properties_path = child(path, "properties");
        for (name, property) in properties {
            totals.properties += 1;
            totals.string_length += name.chars().count();
            tally(property, &child(&properties_path, name), depth + 1, totals)?;
        }
    }
    if let Some(items) = map.get("items") {
        tally(items, &child(path, "items"), depth + 1, totals)?;
    }
    if let Some(Value::Array(branches)) = map.get("anyOf") {
        let any_of_path = child(path, "anyOf");
        for (index, branch) in branches.iter().enumerate() {
            tally(
                branch,
                &child(&any_of_path, &index.to_string()),
                depth + 1,
                totals,
            )?;
        }
    }
    for keyword in ["$defs", "definitions"] {
        if let Some(Value::Object(definitions)) = map.get(keyword) {
            let definitions_path = child(path, keyword);
            for (name, definition) in definitions {
                totals.string_length += name.chars().count();
                tally(
                    definition,
                    &child(&definitions_path, name),
                    depth + 1,
                    totals,
                )?;
            }
        }
    }
    Ok(())
}

/// The length an enum or const value counts for: characters of a string, or
/// of the JSON text of anything else.
pub(super) fn value_length(value: &Value) -> usize {
    match value {
        Value::String(s) => s.chars().count(),
        other => other.to_string().chars().count(),
    }
}
