//! Strings for a schema's `string`: what its `format` asks for, its `examples` and the examples
//! its description gives (`e.g. "Tokyo"`), the prompt's words, or a string its `pattern`
//! matches; always within `minLength` and `maxLength`.

use serde_json::{Map, Value};

use super::rng::Rng;
use super::words::WORDS;

/// The longest `minLength` followed: beyond it a value is not worth writing.
pub(super) const LONGEST: usize = 10_000;

/// Strings of known formats, a few of each (JSON Schema's formats, and `url`, which MCP servers
/// write for `uri`).
pub(super) fn formatted(format: &str) -> &'static [&'static str] {
    match format {
        "date-time" => &["2026-01-15T09:30:00Z", "2026-03-02T18:05:00+01:00"],
        "date" => &["2026-01-15", "2026-03-02"],
        "time" => &["09:30:00Z", "18:05:00+01:00"],
        "duration" => &["P3D", "PT1H30M"],
        "email" | "idn-email" => &["ada@example.com", "grace@example.org"],
        "hostname" | "idn-hostname" => &["example.com", "api.example.org"],
        "ipv4" => &["192.0.2.1", "198.51.100.7"],
        "ipv6" => &["2001:db8::1", "2001:db8:85a3::8a2e:370:7334"],
        "uri" | "url" | "iri" | "uri-reference" | "iri-reference" => {
            &["https://example.com/", "https://example.org/docs"]
        }
        "uri-template" => &["https://example.com/items/{id}"],
        "uuid" => &[
            "3f2b9c1e-8d4a-4c7e-9b1a-2e5f6a7b8c9d",
            "9b1d6c2a-4e7f-4a3b-8c5d-1f2e3a4b5c6d",
        ],
        "json-pointer" => &["/items/0"],
        "relative-json-pointer" => &["0/name"],
        "regex" => &["^[a-z]+$"],
        _ => &[],
    }
}

/// The values a description gives as examples: the quoted words after `e.g.`, `for example`,
/// `such as` or `like` (`City name, e.g. "Tokyo".` → `Tokyo`; `e.g. "tool" or "hammer"` →
/// both), up to the end of the line.
pub(super) fn described_examples(description: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in description.lines() {
        let lower = line.to_lowercase();
        let Some(at) = ["e.g.", "for example", "such as", "like "]
            .iter()
            .filter_map(|marker| lower.find(marker))
            .min()
        else {
            continue;
        };
        // `lower` may differ from `line` in length (some characters lowercase to several).
        let Some(rest) = line.get(at..) else { continue };
        // Every other piece between quotes is quoted.
        for example in rest.split(['"', '“', '”', '`']).skip(1).step_by(2) {
            if !example.is_empty() && !found.iter().any(|seen| seen == example) {
                found.push(example.to_owned());
            }
        }
    }
    found
}

/// The schema's `examples` that are strings.
pub(super) fn listed_examples(object: &Map<String, Value>) -> Vec<String> {
    object
        .get("examples")
        .and_then(Value::as_array)
        .map(|examples| {
            examples
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The length limits of a string schema, in characters: `minLength` (followed up to
/// [`LONGEST`]) and `maxLength`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lengths {
    pub(super) min: usize,
    pub(super) max: usize,
}

impl Lengths {
    pub(super) fn of(object: &Map<String, Value>) -> Self {
        let read = |key: &str| {
            object
                .get(key)
                .and_then(Value::as_u64)
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        };
        Self {
            min: read("minLength").unwrap_or(0),
            max: read("maxLength").unwrap_or(usize::MAX),
        }
    }

    pub(super) fn fit(&self, text: &str) -> bool {
        let length = text.chars().count();
        self.min <= length && length <= self.max
    }

    /// `text` made to fit: cut to `maxLength`, padded with `x` to `minLength`.
    pub(super) fn adjust(&self, text: &str) -> String {
        let mut text: String = text.chars().take(self.max).collect();
        let length = text.chars().count();
        let wanted = self.min.min(LONGEST).min(self.max);
        text.extend(std::iter::repeat_n('x', wanted.saturating_sub(length)));
        text
    }
}

/// A word of the offline model's own.
pub(super) fn any_word(rng: &mut Rng) -> &'static str {
    WORDS[rng.below(WORDS.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn descriptions_give_their_examples() {
        assert_eq!(described_examples(r#"City name, e.g. "Tokyo"."#), ["Tokyo"]);
        assert_eq!(
            described_examples(r#"The word to look up, e.g. "tool" or "hammer"."#),
            ["tool", "hammer"]
        );
        assert_eq!(described_examples("An ISO code such as `EUR`."), ["EUR"]);
        assert!(described_examples(r#"Say "hello" to someone."#).is_empty());
        assert!(described_examples("e.g. nothing quoted").is_empty());
        // Lowercasing that changes lengths does not panic.
        let _ = described_examples("İİİİ e.g. \"x\"");
    }

    #[test]
    fn lengths_cut_and_pad() {
        let lengths = Lengths::of(json!({"minLength": 5, "maxLength": 6}).as_object().unwrap());
        assert_eq!(lengths.adjust("ab"), "abxxx");
        assert_eq!(lengths.adjust("abcdefgh"), "abcdef");
        assert!(lengths.fit("abcde") && !lengths.fit("abcd"));
        let absurd = Lengths::of(json!({"minLength": u64::MAX}).as_object().unwrap());
        assert_eq!(absurd.adjust("a").len(), LONGEST);
    }

    #[test]
    fn every_format_given_is_valid_for_the_validator() {
        for format in [
            "date-time",
            "date",
            "time",
            "duration",
            "email",
            "idn-email",
            "hostname",
            "idn-hostname",
            "ipv4",
            "ipv6",
            "uri",
            "iri",
            "uri-reference",
            "iri-reference",
            "uri-template",
            "uuid",
            "json-pointer",
            "relative-json-pointer",
            "regex",
        ] {
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&json!({"type": "string", "format": format}))
                .unwrap();
            assert!(!formatted(format).is_empty(), "{format}");
            for value in formatted(format) {
                assert!(validator.is_valid(&json!(value)), "{format}: {value}");
            }
        }
    }
}
