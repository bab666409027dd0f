//! Words for string arguments: the prompt's capitalized words, so that demos read naturally.

use serde_json::Value;

/// Capitalized words of the prompt, handed out in turn: `Tokyo`, `London`; `USD`, `JPY`.
pub(super) struct PromptWords {
    names: Vec<String>,
    codes: Vec<String>,
    next_name: usize,
    next_code: usize,
}

impl PromptWords {
    pub(super) fn new(prompt: &str) -> Self {
        let mut names = Vec::new();
        let mut codes = Vec::new();
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
        }
    }

    /// How many prompt names a tool with this schema can use: the number of names when one of
    /// its top-level string parameters takes a name (not a code), else zero.
    pub(super) fn names_for(&self, schema: &Value) -> usize {
        let takes_name = schema["properties"].as_object().is_some_and(|properties| {
            properties
                .iter()
                .any(|(name, property)| property["type"] == "string" && !wants_code(name))
        });
        if takes_name { self.names.len() } else { 0 }
    }

    pub(super) fn pick(&mut self, property: &str) -> Option<String> {
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
            if !pool.is_empty() {
                let word = pool[*next % pool.len()].clone();
                *next += 1;
                return Some(word);
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
        assert_eq!(words.pick("city").as_deref(), Some("Tokyo"));
        assert_eq!(words.pick("from_currency").as_deref(), Some("USD"));
        assert_eq!(words.pick("to_currency").as_deref(), Some("JPY"));
        assert_eq!(words.pick("city").as_deref(), Some("London"));
    }
}
