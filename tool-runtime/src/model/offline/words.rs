//! Words for string arguments: the prompt's capitalized words, so that demos read naturally.

use serde_json::Value;

/// Capitalized words of the prompt, handed out in turn: `Tokyo`, `London`; `USD`, `JPY`. And
/// every word of the prompt, for values it mentions (`"celsius"`, `"tool"`).
#[derive(Clone)]
pub(super) struct PromptWords {
    names: Vec<String>,
    codes: Vec<String>,
    next_name: usize,
    next_code: usize,
    /// Every word of the prompt, lowercased.
    all: Vec<String>,
}

impl PromptWords {
    pub(super) fn new(prompt: &str) -> Self {
        let mut names = Vec::new();
        let mut codes = Vec::new();
        let all = prompt
            .split(|c: char| !(c.is_alphanumeric() || "@.-_+:/".contains(c)))
            .map(|word| word.trim_end_matches(['.', ':', '-']).to_lowercase())
            .filter(|word| !word.is_empty())
            .collect();
        // The first word is capitalized because it starts the sentence, not because it is a name.
        for word in prompt.split_whitespace().skip(1) {
            let word: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
            let mut chars = word.chars();
            let Some(first) = chars.next() else { continue };
            if !first.is_uppercase() {
                continue;
            }
            let all_caps =
                word.len() > 1 && word.chars().all(|c| c.is_uppercase() || c.is_ascii_digit());
            let pool = if all_caps { &mut codes } else { &mut names };
            if !pool.contains(&word) {
                pool.push(word);
            }
        }
        Self {
            names,
            codes,
            next_name: 0,
            next_code: 0,
            all,
        }
    }

    /// Whether the prompt mentions `value` as a word of its own, whatever its case.
    pub(super) fn mentions(&self, value: &str) -> bool {
        let value = value.to_lowercase();
        !value.is_empty() && self.all.contains(&value)
    }

    /// How many prompt names a tool with this schema can use: the number of names when one of
    /// its top-level string parameters takes a name (not a code, nor a string of a format, a
    /// pattern or a list of values), else zero.
    pub(super) fn names_for(&self, schema: &Value) -> usize {
        let takes_name = schema["properties"].as_object().is_some_and(|properties| {
            properties.iter().any(|(name, property)| {
                property["type"] == "string"
                    && !wants_code(name)
                    && ["format", "pattern", "enum", "const"]
                        .iter()
                        .all(|key| property.get(key).is_none())
            })
        });
        if takes_name { self.names.len() } else { 0 }
    }

    /// The next prompt word for `property` that `fits`: codes first for a parameter named like
    /// one (`currency`, `code`…), names first for the others. Words that do not fit are passed
    /// over, not used up.
    pub(super) fn pick_if(
        &mut self,
        property: &str,
        fits: &mut dyn FnMut(&str) -> bool,
    ) -> Option<String> {
        let wants_code = wants_code(property);
        let (first, first_next, second, second_next) = if wants_code {
            (
                &self.codes,
                &mut self.next_code,
                &self.names,
                &mut self.next_name,
            )
        } else {
            (
                &self.names,
                &mut self.next_name,
                &self.codes,
                &mut self.next_code,
            )
        };
        for (pool, next) in [(first, first_next), (second, second_next)] {
            for step in 0..pool.len() {
                let word = &pool[(*next + step) % pool.len()];
                if fits(word) {
                    *next += step + 1;
                    return Some(word.clone());
                }
            }
        }
        None
    }
}

fn wants_code(property: &str) -> bool {
    ["currency", "code", "symbol", "ticker", "iso"]
        .iter()
        .any(|hint| property.to_lowercase().contains(hint))
}

pub(super) const WORDS: &[&str] = &[
    "alpha", "bravo", "delta", "echo", "kilo", "lima", "oscar", "tango",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_words_feed_string_arguments() {
        let mut words =
            PromptWords::new("What's the weather in Tokyo and London, and the USD to JPY rate?");
        let any = &mut |_: &str| true;
        assert_eq!(words.pick_if("city", any).as_deref(), Some("Tokyo"));
        assert_eq!(words.pick_if("from_currency", any).as_deref(), Some("USD"));
        assert_eq!(words.pick_if("to_currency", any).as_deref(), Some("JPY"));
        assert_eq!(words.pick_if("city", any).as_deref(), Some("London"));
    }

    #[test]
    fn words_that_do_not_fit_are_passed_over_not_used_up() {
        let mut words = PromptWords::new("Compare Tokyo with Oslo and Lima.");
        let short = &mut |word: &str| word.len() == 4;
        assert_eq!(words.pick_if("city", short).as_deref(), Some("Oslo"));
        assert_eq!(words.pick_if("city", short).as_deref(), Some("Lima"));
        assert_eq!(
            words.pick_if("city", &mut |_| true).as_deref(),
            Some("Tokyo")
        );
        assert_eq!(words.pick_if("city", &mut |_| false), None);
    }

    #[test]
    fn the_prompt_mentions_its_words_whatever_their_case() {
        let words =
            PromptWords::new("What does the word tool mean, in Fahrenheit? Ask ada@example.com.");
        assert!(words.mentions("tool"));
        assert!(words.mentions("fahrenheit"));
        assert!(words.mentions("ada@example.com"));
        assert!(!words.mentions("celsius"));
        assert!(!words.mentions(""));
    }
}
