//! Decoding a call's raw arguments into a tool's typed parameters.
//!
//! `#[tool]` generates two map visitors for each tool. The fast one goes straight into the
//! parameters, as a derived `Deserialize` would, and gives up at the first doubt (a bad, missing
//! or unknown field). Only then does the thorough one run, from a parsed JSON value: one
//! [`Captured`] slot per parameter, and a visitor that never fails on a bad field but records the
//! problem and goes on, so one pass finds *every* bad, missing and unknown field, each with its
//! path. Both reach a parameter's type through the same function, the one place generated code
//! names it with a `Deserialize` bound.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{Arguments, FieldIssue, InvalidArguments, ToolDefinition};
use crate::schema::check::{Checks, Violation, ViolationKind};

/// Implemented by the hidden argument struct `#[tool]` generates. Not public API.
pub trait ArgsStruct: Sized {
    /// The decoded parameters, as a tuple in declaration order.
    type Output;
    /// The wire names of the parameters, in declaration order.
    const FIELDS: &'static [&'static str];

    /// The fast path: the parameters, or an error that only says something is wrong.
    fn fast<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self::Output, D::Error>;

    /// Reads the arguments object; with `paths`, a bad field's message carries its inner path
    /// (the thorough path wants it; the fast path only needs to know that something is wrong).
    fn deserialize_with<'de, D: Deserializer<'de>>(
        deserializer: D,
        paths: bool,
    ) -> Result<Self, D::Error>;

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

/// One parameter of a tool: how its slot decodes. `#[tool]` implements it once per parameter,
/// the one place generated code names the parameter's type with a `Deserialize` bound (so a
/// type that is not `Deserialize` gives exactly one compile error, on that parameter).
pub trait Param {
    /// What the slot holds: the parameter's type, or `Option` of it when a default stands in
    /// for absence.
    type Slot;

    /// Decodes the slot.
    fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self::Slot, D::Error>;
}

/// A parameter's type decoded: its `Deserialize` bound, named once, in [`Param::deserialize`],
/// spanned at the parameter's type. Not public API. A type without it gives one error there, in
/// the words below, rather than `Deserialize`'s list of implementors and a note about the
/// generated code.
#[diagnostic::on_unimplemented(
    message = "a tool argument's type must implement `serde::Deserialize`; `{Self}` does not",
    label = "decoded from the model's JSON",
    note = "derive it for a type of yours: `#[derive(serde::Deserialize)]`; another crate's may have a `serde` feature",
    note = "a parameter is an argument the model sends, or a value the runtime gives: `State<T>` (a value of yours, from the toolbox's state), `CallContext`, `PerRun<T>` or an `#[extract]` type"
)]
pub trait ToolArgument: Sized {
    /// Decodes the parameter.
    fn deserialize_argument<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;

    /// Decodes the parameter of a default: `null` is `None`.
    fn deserialize_optional<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Self>, D::Error>;
}

// Reported as `ToolArgument` (its message above), not as the `Deserialize` it needs.
#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> ToolArgument for T {
    fn deserialize_argument<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer)
    }

    fn deserialize_optional<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Self>, D::Error> {
        Option::<T>::deserialize(deserializer)
    }
}

/// The fast path's value of a field: the map's next value, straight into the slot.
pub fn fast_value<'de, P: Param, A: MapAccess<'de>>(map: &mut A) -> Result<P::Slot, A::Error> {
    map.next_value_seed(Slot::<P>(PhantomData))
}

/// The fast path's value of an absent field: what the type makes of absence (`None`), or a
/// doubt when it is required.
pub fn fast_absent<P: Param, E: de::Error>() -> Result<P::Slot, E> {
    P::deserialize(de::value::UnitDeserializer::<de::value::Error>::new()).map_err(|_| doubt())
}

/// A parameter's slot as a seed for the map's next value.
struct Slot<P>(PhantomData<fn() -> P>);

impl<'de, P: Param> DeserializeSeed<'de> for Slot<P> {
    type Value = P::Slot;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<P::Slot, D::Error> {
        P::deserialize(deserializer)
    }
}

/// Decodes one field from `source`, capturing a bad value instead of failing.
pub fn capture<'de, P, A>(
    name: &'static str,
    paths: bool,
    source: Source<'_, A>,
) -> Result<Captured<P::Slot>, A::Error>
where
    P: Param,
    A: MapAccess<'de>,
{
    match source {
        Source::Map(map) => map.next_value_seed(CaptureSeed::<P> {
            name,
            paths,
            marker: PhantomData,
        }),
        Source::Absent => {
            let unit = de::value::UnitDeserializer::<de::value::Error>::new();
            Ok(match P::deserialize(unit) {
                Ok(value) => Captured::Value(value),
                Err(_) => Captured::Missing,
            })
        }
    }
}

struct CaptureSeed<P> {
    name: &'static str,
    paths: bool,
    marker: PhantomData<fn() -> P>,
}

impl<'de, P: Param> DeserializeSeed<'de> for CaptureSeed<P> {
    type Value = Captured<P::Slot>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        if !self.paths {
            return Ok(match P::deserialize(deserializer) {
                Ok(value) => Captured::Value(value),
                Err(error) => {
                    Captured::Invalid(Box::new(FieldIssue::new(self.name, error.to_string())))
                }
            });
        }
        let mut track = serde_path_to_error::Track::new();
        let tracked = serde_path_to_error::Deserializer::new(deserializer, &mut track);
        Ok(match P::deserialize(tracked) {
            Ok(value) => Captured::Value(value),
            Err(error) => {
                let path = join_path(self.name, &track.path().to_string());
                Captured::Invalid(Box::new(FieldIssue::new(path, error.to_string())))
            }
        })
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

/// How deep arguments may nest: serde_json's own limit when it parses text.
const MAX_DEPTH: usize = 128;

/// The fast path's way of giving up: the thorough path will say what is wrong.
pub fn doubt<E: de::Error>() -> E {
    E::custom("the arguments need the thorough pass")
}

/// Decodes `args` for the tool `definition` describes, through its generated argument struct
/// `A`: checked against what its schema promises beyond types first, when it promises anything.
pub fn decode<A: ArgsStruct>(
    definition: &ToolDefinition,
    args: &Arguments,
) -> Result<A::Output, InvalidArguments> {
    let tool = definition.name();
    if let Some(checks) = definition.schema().checks() {
        return decode_checked::<A>(definition, checks, args);
    }
    let text = match args {
        Arguments::Json(value) => {
            // Built by a program, not parsed from text: nothing has bounded its depth yet.
            if crate::json::nested_deeper_than(value, MAX_DEPTH) {
                return Err(InvalidArguments::too_deep(tool, MAX_DEPTH));
            }
            if let Ok(output) = A::fast(value) {
                return Ok(output);
            }
            return decode_without_absent_nulls::<A>(definition, value);
        }
        Arguments::Text(text) => text.as_str(),
    };
    // No arguments at all means an empty object.
    let blank = text
        .as_bytes()
        .first()
        .is_none_or(|byte| byte.is_ascii_whitespace() && text.trim_start().is_empty());
    let text = if blank { "{}" } else { text };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    if let Ok(output) = A::fast(&mut deserializer)
        && deserializer.end().is_ok()
    {
        return Ok(output);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => decode_without_absent_nulls::<A>(definition, &value),
        Err(error) => Err(InvalidArguments::syntax(tool, &error, text)),
    }
}

/// After the fast path gave up: the arguments without the `null`s that stand for absence (a
/// `#[serde(default)]` field sent as `null` by OpenAI's strict mode gets its default), fast
/// again if there were any, else thorough.
fn decode_without_absent_nulls<A: ArgsStruct>(
    definition: &ToolDefinition,
    value: &Value,
) -> Result<A::Output, InvalidArguments> {
    let tool = definition.name();
    match without_null_options(definition.parameters(), value) {
        Some(value) => match A::fast(&value) {
            Ok(output) => Ok(output),
            Err(_) => decode_value::<A>(tool, &value),
        },
        None => decode_value::<A>(tool, value),
    }
}

/// Validates the arguments against the whole schema, reporting every violation at once; then
/// decodes them.
fn decode_checked<A: ArgsStruct>(
    definition: &ToolDefinition,
    checks: &Checks,
    args: &Arguments,
) -> Result<A::Output, InvalidArguments> {
    let tool = definition.name();
    let value = checked_value(tool, definition.parameters(), Some(checks), A::FIELDS, args)?;
    if let Ok(output) = A::fast(&*value) {
        return Ok(output);
    }
    decode_value::<A>(tool, &value)
}

/// The arguments as a JSON object that passed every one of the schema's `checks` (`fields` are
/// its top-level properties, for "expected one of"), without the `null`s that stand for absence
/// ([`without_null_options`]), or every violation at once.
pub(crate) fn checked_value<'a>(
    tool: &str,
    schema: &Value,
    checks: Option<&Checks>,
    fields: &[&str],
    args: &'a Arguments,
) -> Result<Cow<'a, Value>, InvalidArguments> {
    let value = match args {
        Arguments::Json(value) => {
            // Built by a program, not parsed from text: nothing has bounded its depth yet.
            if crate::json::nested_deeper_than(value, MAX_DEPTH) {
                return Err(InvalidArguments::too_deep(tool, MAX_DEPTH));
            }
            Cow::Borrowed(value)
        }
        Arguments::Text(text) => {
            let text = if text.trim().is_empty() {
                "{}"
            } else {
                text.as_str()
            };
            let parsed = serde_json::from_str::<Value>(text)
                .map_err(|error| InvalidArguments::syntax(tool, &error, text))?;
            Cow::Owned(parsed)
        }
    };
    if !value.is_object() {
        return Err(InvalidArguments::not_an_object(tool, &value));
    }
    let value = match without_null_options(schema, &value) {
        Some(value) => Cow::Owned(value),
        None => value,
    };
    let Some(checks) = checks else {
        return Ok(value);
    };
    let violations = checks.violations(&value);
    if !violations.is_empty() {
        let issues = schema_issues(violations, fields);
        return Err(InvalidArguments::fields(tool, issues));
    }
    Ok(value)
}

/// The arguments without the `null`s that stand for absence, if there are any: an optional
/// top-level property given as `null` (the decoder reads it as absent: the default, or `None`),
/// and, deeper, an optional property given as `null` whose schema does not take `null` (a
/// `#[serde(default)]` field, which OpenAI's strict flavour makes nullable). See
/// [`nulls`](super::nulls).
pub(crate) fn without_null_options(schema: &Value, value: &Value) -> Option<Value> {
    super::nulls::without_absent_nulls(schema, value, true)
}

/// The schema's violations as field issues, said as serde's pass says them: wrong values first,
/// then missing fields, then unknown ones (at the top level with the `fields` expected).
pub(crate) fn schema_issues(violations: Vec<Violation>, fields: &[&str]) -> Vec<FieldIssue> {
    let mut issues = Issues::default();
    let mut unknown = Vec::new();
    for violation in violations {
        match violation.kind {
            ViolationKind::Missing => issues
                .missing
                .push(FieldIssue::new(violation.path, "missing required field")),
            ViolationKind::Unknown if !violation.path.contains(['.', '[']) => {
                unknown.push(violation.path);
            }
            ViolationKind::Unknown => issues
                .unknown
                .push(FieldIssue::new(violation.path, "unknown field")),
            ViolationKind::Other(message) => issues
                .invalid
                .push(FieldIssue::new(violation.path, message)),
        }
    }
    issues.unknown(unknown, fields);
    issues.into_vec()
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
pub fn required_fields<A: ArgsStruct>() -> Vec<&'static str> {
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
