//! Strings a `pattern` matches, generated from the regular expression itself (parsed by
//! `regex-syntax`, already in the tree through the `validate` feature's `jsonschema`).
//!
//! Literals, classes (`[A-Z]`, `\d`, `[^@\s]`), repetitions, groups and alternations are
//! followed; anchors and word boundaries add nothing. Look-arounds and back-references cannot be
//! parsed (JSON Schema's patterns are ECMA 262, a superset): such a pattern generates nothing,
//! and the sampler falls back to other candidates, each checked against the pattern by the
//! validator. Characters are taken readable first: lowercase, uppercase, digits, punctuation.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::rng::Rng;

/// The longest string generated: longer patterns give up.
const LONGEST: usize = 10_000;

/// How many nodes of the pattern one string may visit: a repetition of something that writes
/// nothing (`(?:(?:a*){1000}){1000}`) or alternations that keep failing give up here.
const STEPS: u32 = 100_000;

/// A parsed pattern.
pub(super) struct Pattern(Hir);

impl Pattern {
    /// The pattern, if `regex-syntax` can parse it.
    pub(super) fn parse(pattern: &str) -> Option<Self> {
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(pattern)
            .ok()
            .map(Self)
    }

    /// A string the pattern matches, its repetitions at most `extra` beyond their minimum
    /// (unbounded ones included); `None` past [`LONGEST`] characters or where a class has no
    /// character.
    pub(super) fn generate(&self, rng: &mut Rng, extra: u32) -> Option<String> {
        let mut out = String::new();
        let mut steps = STEPS;
        write(&self.0, rng, extra, &mut out, &mut steps).then_some(out)
    }
}

fn write(hir: &Hir, rng: &mut Rng, extra: u32, out: &mut String, steps: &mut u32) -> bool {
    if out.len() > LONGEST || *steps == 0 {
        return false;
    }
    *steps -= 1;
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(literal) => match std::str::from_utf8(&literal.0) {
            Ok(text) => {
                out.push_str(text);
                true
            }
            Err(_) => false,
        },
        HirKind::Class(class) => match pick(class, rng) {
            Some(character) => {
                out.push(character);
                true
            }
            None => false,
        },
        HirKind::Repetition(repetition) => {
            let most = repetition
                .max
                .unwrap_or(u32::MAX)
                .min(repetition.min.saturating_add(extra));
            let count = repetition.min + rng.below(u64::from(most - repetition.min) + 1) as u32;
            (0..count).all(|_| write(&repetition.sub, rng, extra, out, steps))
        }
        HirKind::Capture(capture) => write(&capture.sub, rng, extra, out, steps),
        HirKind::Concat(parts) => parts.iter().all(|part| write(part, rng, extra, out, steps)),
        HirKind::Alternation(branches) => {
            let start = out.len();
            // A random branch first, then the others in turn.
            let first = rng.below(branches.len() as u64) as usize;
            (0..branches.len()).any(|step| {
                out.truncate(start);
                let branch = &branches[(first + step) % branches.len()];
                write(branch, rng, extra, out, steps)
            })
        }
    }
}

/// Readable characters first, in this order of preference.
const READABLE: &[(char, char)] = &[('a', 'z'), ('A', 'Z'), ('0', '9'), ('!', '~'), (' ', ' ')];

/// A character of `class`: a random one of its most readable part.
fn pick(class: &Class, rng: &mut Rng) -> Option<char> {
    let ranges: Vec<(char, char)> = match class {
        Class::Unicode(class) => class
            .ranges()
            .iter()
            .map(|range| (range.start(), range.end()))
            .collect(),
        Class::Bytes(class) => class
            .ranges()
            .iter()
            .filter(|range| range.start().is_ascii())
            .map(|range| (char::from(range.start()), char::from(range.end().min(0x7f))))
            .collect(),
    };
    for &(low, high) in READABLE {
        let overlap: Vec<(u32, u32)> = ranges
            .iter()
            .filter_map(|&(start, end)| {
                let (start, end) = (u32::from(start.max(low)), u32::from(end.min(high)));
                (start <= end).then_some((start, end))
            })
            .collect();
        let size: u32 = overlap.iter().map(|(start, end)| end - start + 1).sum();
        if size == 0 {
            continue;
        }
        let mut index = rng.below(u64::from(size)) as u32;
        for (start, end) in overlap {
            let width = end - start + 1;
            if index < width {
                return char::from_u32(start + index);
            }
            index -= width;
        }
    }
    ranges.first().map(|&(start, _)| start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        let validator =
            jsonschema::validator_for(&serde_json::json!({"pattern": pattern})).unwrap();
        validator.is_valid(&serde_json::json!(text))
    }

    #[test]
    fn generated_strings_match_their_patterns() {
        let patterns = [
            r"^[A-Z]{3}$",
            r"^\d{3}-\d{4}$",
            r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$",
            r"^(?i)sku-[0-9a-f]{8}$",
            r"^(red|green|blue)(-[a-z]+)?$",
            r"^[^@\s]+$",
            r"^\+?[1-9]\d{1,14}$",
            r"^[A-Za-z_][A-Za-z0-9_]*$",
            r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$",
            r"^\w+(\s\w+)*$",
            r"^\S+$",
            r"abc",
            r"^\p{Lu}\p{Ll}+$",
            r"^[\u0041-\u005A]{2}$",
        ];
        for pattern in patterns {
            let parsed = Pattern::parse(pattern).unwrap_or_else(|| panic!("{pattern}"));
            for seed in 0..30 {
                let text = parsed.generate(&mut Rng::new(seed), 3).unwrap();
                assert!(matches(pattern, &text), "{pattern}: {text:?}");
            }
        }
    }

    #[test]
    fn what_cannot_be_parsed_generates_nothing() {
        for pattern in [r"^(?=.*\d)\w+$", r"^(a)\1$", r"[", r"(?<!x)y"] {
            assert!(Pattern::parse(pattern).is_none(), "{pattern}");
        }
        // A class with nothing in it.
        let empty = Pattern::parse(r"[^\x00-\x{10FFFF}]").unwrap();
        assert_eq!(empty.generate(&mut Rng::new(0), 0), None);
    }

    #[test]
    fn huge_repetitions_give_up_instead_of_growing() {
        let huge = Pattern::parse(r"^(a{1000}){1000}$").unwrap();
        assert_eq!(huge.generate(&mut Rng::new(0), 0), None);
    }

    #[test]
    fn repetitions_of_nothing_give_up_within_their_steps() {
        // 10⁹ empty repetitions unbudgeted (`a*` repeated 0 times writes nothing).
        let empty = Pattern::parse(r"^(?:(?:(?:a*){1000}){1000}){1000}$").unwrap();
        assert_eq!(empty.generate(&mut Rng::new(0), 0), None);
    }
}
