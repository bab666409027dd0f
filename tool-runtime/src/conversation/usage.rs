//! [`Usage`] and [`StopReason`]: what a model response cost, and why it ended.

use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

/// Tokens used, summed over a run's turns with `+`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Tokens the model read.
    pub input_tokens: u64,
    /// Tokens the model wrote.
    pub output_tokens: u64,
    /// Input tokens read from the provider's prompt cache. OpenAI counts them in `input_tokens`
    /// too; Anthropic does not (there, the prompt's size is `input_tokens` plus both cache
    /// counts), so `total_tokens` is not comparable across the two.
    pub cache_read_tokens: u64,
    /// Input tokens written to the provider's prompt cache (Anthropic).
    pub cache_creation_tokens: u64,
}

impl Usage {
    /// Input plus output tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

impl Add for Usage {
    type Output = Usage;

    fn add(self, other: Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            cache_read_tokens: self
                .cache_read_tokens
                .saturating_add(other.cache_read_tokens),
            cache_creation_tokens: self
                .cache_creation_tokens
                .saturating_add(other.cache_creation_tokens),
        }
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        *self = *self + other;
    }
}

/// Why the model stopped writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopReason {
    /// It finished its answer (`stop`, `end_turn`).
    EndTurn,
    /// It wants tool results (`tool_calls`, `tool_use`).
    ToolUse,
    /// It ran out of tokens (`length`, `max_tokens`).
    MaxTokens,
    /// Anything else, as the provider said it.
    Other(String),
}
