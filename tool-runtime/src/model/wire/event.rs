//! A server-sent event's data read as the event its `type` names: straight into that event's own
//! type, borrowing its text, with no `Value` built on the way and the events this library does
//! not know skipped unread.
//!
//! Serde's internally tagged enums buffer the whole object before they look at the tag, which
//! costs an allocation per node and rules out borrowed `RawValue`s. The APIs send `type` first:
//! it is read first, and the rest of the object goes to the event's type in the same pass. When
//! `type` comes later the data is read again once it is known. When the data has no `type` (or
//! one that is not a string), the SSE `event:` field names the event; data that is not an object
//! is an event without fields.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// An event whose fields are read according to its type.
pub(crate) trait Tagged<'de>: Sized {
    /// Reads an event of type `kind` from the other fields of its object (an unknown field is
    /// ignored). An unknown `kind` must read as an event that is ignored, so that events newer
    /// than this library do not break the stream.
    fn read<D: Deserializer<'de>>(kind: &str, fields: D) -> Result<Self, D::Error>;
}

/// Reads `data` as the event its `type` names, or `name` when it names none.
pub(crate) fn read<'de, E: Tagged<'de>>(data: &'de str, name: &str) -> serde_json::Result<E> {
    let mut first = serde_json::Deserializer::from_str(data);
    let read = (&mut first).deserialize_any(TypeFirst {
        name,
        event: PhantomData,
    })?;
    first.end()?;
    let (kind, object) = match read {
        First::Event(event) => return Ok(event),
        First::Later { kind, object } => (kind, object),
    };
    let kind = kind.as_deref().unwrap_or(name);
    // Read again: the object whole (its `type` is then a field like any other), or no fields.
    let mut again = serde_json::Deserializer::from_str(if object { data } else { "{}" });
    let event = E::read(kind, &mut again)?;
    again.end()?;
    Ok(event)
}

// The members an event is read by are read leniently, as indexing into a `Value` reads them: a
// member of another shape is as if it were absent (a provider's error `code` may be a number, a
// compatible server's `error` a bare string) rather than making the whole event unreadable, and
// a member whose type says which of its fields count (a delta, an item, a part) can be read in
// one pass, all its fields at once, whatever its type.

/// Deserializes an optional string, borrowed unless it has escapes (serde always copies a `Cow`
/// inside an `Option`).
pub(crate) fn string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    deserializer.deserialize_any(StringOrSkip)
}

/// Deserializes an optional unsigned integer.
pub(crate) fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    deserializer.deserialize_any(NumberOrSkip)
}

/// Deserializes an optional object.
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(ObjectOrSkip(PhantomData))
}

/// What an `error` event, or its `error` member, says; a member that is not a string is as if
/// it were absent, so that an error is reported whatever its shape.
#[derive(Deserialize, Default, Debug)]
pub(crate) struct Failure<'a> {
    #[serde(borrow, default, deserialize_with = "string")]
    pub(crate) message: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "string")]
    pub(crate) code: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow, default, deserialize_with = "string")]
    pub(crate) kind: Option<Cow<'a, str>>,
}

/// Visitor arms for the shapes a visitor does not read: each is skipped, giving `$value`.
macro_rules! skip_shapes {
    ($value:expr; $($shape:ident),*) => {
        $(skip_shapes!(@$shape $value);)*
    };
    (@seq $value:expr) => {
        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_seq(seq).map(|_| $value)
        }
    };
    (@map $value:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            IgnoredAny.visit_map(map).map(|_| $value)
        }
    };
    (@str $value:expr) => {
        fn visit_str<Er: de::Error>(self, _: &str) -> Result<Self::Value, Er> {
            Ok($value)
        }
    };
    (@u64 $value:expr) => {
        fn visit_u64<Er: de::Error>(self, _: u64) -> Result<Self::Value, Er> {
            Ok($value)
        }
    };
    (@i64 $value:expr) => {
        fn visit_i64<Er: de::Error>(self, _: i64) -> Result<Self::Value, Er> {
            Ok($value)
        }
    };
    (@f64 $value:expr) => {
        fn visit_f64<Er: de::Error>(self, _: f64) -> Result<Self::Value, Er> {
            Ok($value)
        }
    };
    (@bool $value:expr) => {
        fn visit_bool<Er: de::Error>(self, _: bool) -> Result<Self::Value, Er> {
            Ok($value)
        }
    };
    (@unit $value:expr) => {
        fn visit_unit<Er: de::Error>(self) -> Result<Self::Value, Er> {
            Ok($value)
        }
    };
}

/// What the first reading of an event's data gave.
enum First<'de, E> {
    /// `type` came first: the event, read in the same pass.
    Event(E),
    /// Its type as far as it was found, and whether the data is an object, to be read again.
    Later {
        kind: Option<Cow<'de, str>>,
        object: bool,
    },
}

struct TypeFirst<'n, E> {
    name: &'n str,
    event: PhantomData<E>,
}

impl<'de, E: Tagged<'de>> Visitor<'de> for TypeFirst<'_, E> {
    type Value = First<'de, E>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a server-sent event's data")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind = None;
        let mut first = true;
        while let Some(is_type) = map.next_key_seed(IsType)? {
            if !is_type {
                map.next_value::<IgnoredAny>()?;
            } else if first {
                let kind = map.next_value::<Kind<'de>>()?.0;
                let kind = kind.as_deref().unwrap_or(self.name);
                return E::read(kind, MapAccessDeserializer::new(map)).map(First::Event);
            } else {
                // The last one counts, as in a map.
                kind = map.next_value::<Kind<'de>>()?.0;
            }
            first = false;
        }
        Ok(First::Later { kind, object: true })
    }

    // Not an object: an event without fields.
    skip_shapes!(First::Later { kind: None, object: false }; seq, str, u64, i64, f64, bool, unit);
}

/// Whether a key is `type`, read without allocating.
struct IsType;

impl<'de> DeserializeSeed<'de> for IsType {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for IsType {
    type Value = bool;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a key")
    }

    fn visit_str<Er: de::Error>(self, key: &str) -> Result<bool, Er> {
        Ok(key == "type")
    }
}

/// The value of `type`: a string, or nothing.
struct Kind<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for Kind<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        string(deserializer).map(Kind)
    }
}

/// Reads a string, and skips anything else.
struct StringOrSkip;

impl<'de> Visitor<'de> for StringOrSkip {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_borrowed_str<Er: de::Error>(self, text: &'de str) -> Result<Self::Value, Er> {
        Ok(Some(Cow::Borrowed(text)))
    }

    fn visit_str<Er: de::Error>(self, text: &str) -> Result<Self::Value, Er> {
        Ok(Some(Cow::Owned(text.to_owned())))
    }

    skip_shapes!(None; seq, map, u64, i64, f64, bool, unit);
}

/// Reads an unsigned integer, and skips anything else.
struct NumberOrSkip;

impl<'de> Visitor<'de> for NumberOrSkip {
    type Value = Option<u64>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an unsigned integer")
    }

    fn visit_u64<Er: de::Error>(self, number: u64) -> Result<Self::Value, Er> {
        Ok(Some(number))
    }

    skip_shapes!(None; seq, map, str, i64, f64, bool, unit);
}

/// Reads an object as a `T`, and skips anything else.
struct ObjectOrSkip<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOrSkip<T> {
    type Value = Option<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }

    skip_shapes!(None; seq, str, u64, i64, f64, bool, unit);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of every event, and what named it.
    #[derive(Debug, PartialEq)]
    enum Event<'a> {
        Known {
            kind: String,
            text: Option<Cow<'a, str>>,
        },
        Other,
    }

    #[derive(Deserialize, Debug)]
    struct Fields<'a> {
        #[serde(borrow, default, deserialize_with = "string")]
        text: Option<Cow<'a, str>>,
    }

    impl<'de> Tagged<'de> for Event<'de> {
        fn read<D: Deserializer<'de>>(kind: &str, fields: D) -> Result<Self, D::Error> {
            if kind.starts_with("known") {
                let fields = Fields::deserialize(fields)?;
                Ok(Self::Known {
                    kind: kind.to_owned(),
                    text: fields.text,
                })
            } else {
                IgnoredAny::deserialize(fields)?;
                Ok(Self::Other)
            }
        }
    }

    fn known(kind: &str, text: Option<&str>) -> Event<'static> {
        Event::Known {
            kind: kind.to_owned(),
            text: text.map(|text| Cow::Owned(text.to_owned())),
        }
    }

    #[test]
    fn the_type_is_read_wherever_it_is_and_the_event_name_stands_in() {
        let cases = [
            (
                r#"{"type": "known.a", "text": "x", "n": [1, {}]}"#,
                "",
                known("known.a", Some("x")),
            ),
            (
                r#"{"n": {"type": "z"}, "text": "x", "type": "known.b"}"#,
                "",
                known("known.b", Some("x")),
            ),
            (r#"{"text": "x"}"#, "known.c", known("known.c", Some("x"))),
            (
                r#"{"type": 5, "text": "x"}"#,
                "known.d",
                known("known.d", Some("x")),
            ),
            (r#"{"type": null}"#, "known.e", known("known.e", None)),
            (r#"{"type": ["a"], "text": null}"#, "", Event::Other),
            (
                r#"{"t\u0079pe": "known.\u0066"}"#,
                "",
                known("known.f", None),
            ),
            // A member of another shape is as if it were absent.
            (
                r#"{"type": "known.j", "text": 5}"#,
                "",
                known("known.j", None),
            ),
            (
                r#"{"text": {"a": [1]}, "type": "known.k"}"#,
                "",
                known("known.k", None),
            ),
            // Events newer than this library, whatever their fields.
            (
                r#"{"type": "newer", "text": {"a": [1]}}"#,
                "known.g",
                Event::Other,
            ),
            (r#"{"text": 5, "type": "newer"}"#, "", Event::Other),
            // Data that is not an object: no fields.
            ("[1, 2]", "known.h", known("known.h", None)),
            ("\"text\"", "known.i", known("known.i", None)),
            ("null", "newer", Event::Other),
        ];
        for (data, name, expected) in cases {
            assert_eq!(read::<Event<'_>>(data, name).unwrap(), expected, "{data}");
        }
    }

    #[test]
    fn text_is_borrowed_unless_escaped() {
        let Event::Known { text, .. } = read(r#"{"type": "known", "text": "x"}"#, "").unwrap()
        else {
            panic!("not read")
        };
        assert!(matches!(text, Some(Cow::Borrowed("x"))));
        let Event::Known { text, .. } = read(r#"{"text": "\n", "type": "known"}"#, "").unwrap()
        else {
            panic!("not read")
        };
        assert!(matches!(text, Some(Cow::Owned(text)) if text == "\n"));
    }

    #[test]
    fn what_is_not_json_or_not_of_its_type_is_an_error() {
        for data in [
            r#"{"type": "known", "text": "x""#,
            r#"{"type": "known", "text": "x"} {}"#,
            r#"{"type": "newer", "text": }"#,
            r#"{"text": "x", "type": "known"]"#,
            "",
        ] {
            assert!(read::<Event<'_>>(data, "").is_err(), "{data}");
        }
    }

    #[test]
    fn members_of_another_shape_are_absent() {
        #[derive(Deserialize, Debug)]
        struct Fields<'a> {
            #[serde(borrow, default, deserialize_with = "object")]
            error: Option<Failure<'a>>,
            #[serde(default, deserialize_with = "number")]
            index: Option<u64>,
        }
        let fields: Fields<'_> = serde_json::from_str(r#"{"error": "no", "index": 3}"#).unwrap();
        assert!(fields.error.is_none());
        assert_eq!(fields.index, Some(3));
        let data = r#"{"error": {"message": "boom", "code": 500, "type": "x", "n": [1]}}"#;
        let fields: Fields<'_> = serde_json::from_str(data).unwrap();
        let error = fields.error.unwrap();
        assert_eq!(error.message.as_deref(), Some("boom"));
        assert_eq!(error.code, None);
        assert_eq!(error.kind.as_deref(), Some("x"));
        for index in ["-1", "1.5", "\"3\"", "[3]", "{}", "null", "true"] {
            let data = format!(r#"{{"index": {index}}}"#);
            let fields: Fields<'_> = serde_json::from_str(&data).unwrap();
            assert_eq!(fields.index, None, "{index}");
        }
    }
}
