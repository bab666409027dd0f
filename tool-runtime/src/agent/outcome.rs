//! How a run ends: [`RunOutput`] with the answer, or [`RunError`] with what went wrong, each with
//! the transcript and the usage so far.

use std::fmt;

use crate::conversation::{Message, Usage};
use crate::error::Error;

/// A finished run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RunOutput {
    /// The model's final answer.
    pub text: String,
    /// The whole conversation, input included: push a user message and pass it to
    /// [`Agent::run_conversation`](crate::Agent::run_conversation) to go on.
    pub messages: Vec<Message>,
    /// Tokens used, summed over every turn.
    pub usage: Usage,
    /// How many requests were sent to the model.
    pub turns: usize,
}

/// A run that ended without a final answer. It still hands back the conversation so far
/// (repaired: every tool call has a result), the usage and the turn count.
#[derive(Debug)]
#[non_exhaustive]
pub struct RunError {
    /// Why the run ended.
    pub failure: RunFailure,
    /// The conversation up to the failure.
    pub messages: Vec<Message>,
    /// Tokens used before the failure.
    pub usage: Usage,
    /// Requests sent, counting the one that failed (or, for [`RunFailure::MaxTurns`], the
    /// limit; none for [`RunFailure::MissingRunData`]).
    pub turns: usize,
}

/// Why a run ended without a final answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunFailure {
    /// The model could not be asked, or its answer could not be read.
    Model(Error),
    /// The model did not answer within the turn limit.
    MaxTurns {
        /// The limit.
        limit: usize,
    },
    /// A tool takes per-run data ([`Run<T>`](crate::Run)) the run was not given: found before
    /// the model was asked anything. Give it with
    /// [`Agent::run_with`](crate::Agent::run_with).
    MissingRunData {
        /// The tool.
        tool: String,
        /// The type of the data it takes.
        type_name: &'static str,
    },
}

impl RunError {
    pub(crate) fn new(
        failure: RunFailure,
        messages: Vec<Message>,
        usage: Usage,
        turns: usize,
    ) -> Self {
        Self {
            failure,
            messages,
            usage,
            turns,
        }
    }

    /// The model's error, when that is why the run ended.
    pub fn model_error(&self) -> Option<&Error> {
        match &self.failure {
            RunFailure::Model(error) => Some(error),
            RunFailure::MaxTurns { .. } | RunFailure::MissingRunData { .. } => None,
        }
    }

    /// Whether the run ran out of turns.
    pub fn is_max_turns(&self) -> bool {
        matches!(self.failure, RunFailure::MaxTurns { .. })
    }
}

impl fmt::Display for RunFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Model(error) => error.fmt(f),
            Self::MaxTurns { limit } => {
                write!(f, "the model did not answer within {limit} turns")
            }
            Self::MissingRunData { tool, type_name } => write!(
                f,
                "the tool `{tool}` takes per-run data of type `{type_name}`, which this run was not given"
            ),
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failure {
            RunFailure::MaxTurns { .. } | RunFailure::MissingRunData { .. } => self.failure.fmt(f),
            RunFailure::Model(_) => write!(f, "{} (after {} turns)", self.failure, self.turns),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.model_error()
            .map(|error| error as &(dyn std::error::Error + 'static))
    }
}
