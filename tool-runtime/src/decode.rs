//! Decoding a call's raw arguments into a tool's typed parameters.
//!
//! `#[tool]` generates, for each tool, a hidden struct with one [`Captured`] slot per parameter and
//! a `Deserialize` impl whose map visitor never fails on a bad field: it records the problem and
//! goes on, so one pass over the arguments finds *every* bad, missing and unknown field. The same
//! visitor serves the fast path (straight from OpenAI's arguments text) and the thorough path (from
//! a parsed JSON value, where one bad field cannot disturb the others).

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::tool::Arguments;
use crate::tool::{FieldIssue, InvalidArguments};

/// Implemented by the hidden argument struct `#[tool]` generates. Not public API.
pub trait ArgsStruct: Sized {
    /// The decoded parameters, as a tuple in declaration order.
    type Output;
    /// The wire names of the parameters, in declaration order.
    const FIELDS: &'static [&'static str];

    /// Reads the arguments object; with `paths`, a bad field's message carries its inner path
    /// (the thorough path wants it; the fast path only needs to know that something is wrong).
    fn deserialize_with<'de, D: Deserializer<'de>>(
        deserializer: D,
        paths: bool,
    ) -> Result<Self, D::Error>;

    /// Whether any present field failed to decode.
    fn has_invalid(&self) -> bool;

    /// Which fields were absent and have no value to stand in for them.
    fn missing(&self) -> Vec<bool>;

    /// Moves the decoded values out, reporting every problem to `issues`.
    fn finish(self, issues: &mut Issues) -> Option<Self::Output>;
}

/// One parameter's slot after the visitor has seen the arguments.
#[derive(Debug)]
pub enum Captured<T> {
    /// Decoded.
    Value(T),
    /// Absent, and the type cannot stand for absence (not an `Option`).
    Missing,
    /// Present but not decodable.
    Invalid(Box<FieldIssue>),
}

impl<T> Captured<T> {
    /// Whether the field was present but invalid.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }

    /// Whether the field was absent and required.
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Missing)
    }
}

/// Where a field's value comes from: the next map value, or nowhere (the key was absent).
pub enum Source<'a, A> {
    /// The visitor is positioned on this field's value.
    Map(&'a mut A),
    /// The key was not in the arguments.
    Absent,
}

/// Decodes one field from `source`, capturing a bad value instead of failing.
///
/// This is the single place generated code names a parameter's type with a `Deserialize` bound, so
/// a type that is not `Deserialize` gives exactly one compile error, on that parameter.
pub fn capture<'de, T, A>(
    name: &'static str,
    paths: bool,
    source: Source<'_, A>,
) -> Result<Captured<T>, A::Error>
where
    T: DeserializeOwned,
    A: MapAccess<'de>,
{
    match source {
        Source::Map(map) => map.next_value_seed(CaptureSeed::<T> {
            name,
            paths,
            marker: PhantomData,
        }),
        Source::Absent => {
            let unit = de::value::UnitDeserializer::<de::value::Error>::new();
            Ok(match T::deserialize(unit) {
                Ok(value) => Captured::Value(value),
                Err(_) => Captured::Missing,
            })
        }
    }
}

struct CaptureSeed<T> {
    name: &'static str,
    paths: bool,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for CaptureSeed<T> {
    type Value = Captured<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        if !self.paths {
            return Ok(match T::deserialize(deserializer) {
                Ok(value) => Captured::Value(value),
                Err(error) => {
                    Captured::Invalid(Box::new(FieldIssue::new(self.name, error.to_string())))
                }
            });
        }
        Ok(
            match serde_path_to_error::deserialize::<_, T>(deserializer) {
                Ok(value) => Captured::Value(value),
                Err(error) => {
                    let path = join_path(self.name, &error.path().to_string());
                    Captured::Invalid(Box::new(FieldIssue::new(
                        path,
                        error.into_inner().to_string(),
                    )))
                }
            },
        )
    }
}

/// `city` + `.` → `city`; `stops` + `[2].name` → `stops[2].name`; `a` + `b.c` → `a.b.c`.
fn join_path(field: &str, inner: &str) -> String {
    match inner {
        "" | "." | "?" => field.to_owned(),
        _ if inner.starts_with('[') => format!("{field}{inner}"),
        _ => format!("{field}.{inner}"),
    }
}

/// An object key, borrowed from the input when it can be.
pub struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key, owned.
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Collects the problems found while finishing an [`ArgsStruct`].
#[derive(Debug, Default)]
pub struct Issues {
    invalid: Vec<FieldIssue>,
    missing: Vec<FieldIssue>,
    unknown: Vec<FieldIssue>,
}

impl Issues {
    /// Takes the value out of a slot, or records why there is none.
    pub fn take<T>(&mut self, name: &'static str, captured: Captured<T>) -> Option<T> {
        match captured {
            Captured::Value(value) => Some(value),
            Captured::Missing => {
                self.missing
                    .push(FieldIssue::new(name, "missing required field"));
                None
            }
            Captured::Invalid(issue) => {
                self.invalid.push(*issue);
                None
            }
        }
    }

    /// Records the keys that match no parameter.
    pub fn unknown(&mut self, keys: Vec<String>, expected: &[&str]) {
        for key in keys {
            let message = if expected.is_empty() {
                "unknown field; this tool takes no arguments".to_owned()
            } else {
                let names: Vec<String> = expected.iter().map(|n| format!("`{n}`")).collect();
                format!("unknown field; expected one of {}", names.join(", "))
            };
            self.unknown.push(FieldIssue::new(key, message));
        }
    }

    fn is_empty(&self) -> bool {
        self.invalid.is_empty() && self.missing.is_empty() && self.unknown.is_empty()
    }

    fn into_vec(self) -> Vec<FieldIssue> {
        let mut all = self.invalid;
        all.extend(self.missing);
        all.extend(self.unknown);
        all
    }
}

/// Decodes `args` for `tool` through its generated argument struct `A`.
pub fn decode<A: ArgsStruct>(tool: &str, args: &Arguments) -> Result<A::Output, InvalidArguments> {
    let text = match args {
        Arguments::Json(value) => return decode_value::<A>(tool, value),
        Arguments::Text(text) => text.as_str(),
    };
    let text = if text.trim_start().is_empty() {
        "{}"
    } else {
        text
    };
    // Fast path: straight from the text. Any doubt falls through to the thorough path, whose
    // messages are exact and which no bad field can throw off.
    let mut deserializer = serde_json::Deserializer::from_str(text);
    if let Ok(parsed) = A::deserialize_with(&mut deserializer, false)
        && deserializer.end().is_ok()
        && !parsed.has_invalid()
    {
        return finish::<A>(tool, parsed);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => decode_value::<A>(tool, &value),
        Err(error) => Err(InvalidArguments::syntax(tool, &error, text)),
    }
}

fn decode_value<A: ArgsStruct>(tool: &str, value: &Value) -> Result<A::Output, InvalidArguments> {
    if !value.is_object() {
        return Err(InvalidArguments::not_an_object(tool, value));
    }
    match A::deserialize_with(value, true) {
        Ok(parsed) => finish::<A>(tool, parsed),
        // The visitor captures every field error, so only a broken map gets here.
        Err(error) => Err(InvalidArguments::fields(
            tool,
            vec![FieldIssue::new("(arguments)", error.to_string())],
        )),
    }
}

fn finish<A: ArgsStruct>(tool: &str, parsed: A) -> Result<A::Output, InvalidArguments> {
    let mut issues = Issues::default();
    let output = parsed.finish(&mut issues);
    match output {
        Some(output) if issues.is_empty() => Ok(output),
        _ => Err(InvalidArguments::fields(tool, issues.into_vec())),
    }
}

/// Which parameters are required: those whose slot stays missing when the arguments are `{}`.
pub(crate) fn required_fields<A: ArgsStruct>() -> Vec<&'static str> {
    let empty = Value::Object(serde_json::Map::new());
    match A::deserialize_with(&empty, false) {
        Ok(parsed) => A::FIELDS
            .iter()
            .zip(parsed.missing())
            .filter_map(|(name, missing)| missing.then_some(*name))
            .collect(),
        Err(_) => A::FIELDS.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_like_a_person_writes_them() {
        assert_eq!(join_path("city", "."), "city");
        assert_eq!(join_path("stops", "[2].name"), "stops[2].name");
        assert_eq!(join_path("to", "currency"), "to.currency");
    }
}
