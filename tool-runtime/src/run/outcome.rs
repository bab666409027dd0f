//! How a run ends: [`RunOutput`] with the answer, or [`RunError`] with what went wrong, each with
//! the transcript and the usage so far.

use std::fmt;

use super::pause::PausedRun;
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
    /// A tool takes per-run data ([`PerRun<T>`](crate::PerRun)) the run was not given: found before
    /// the model was asked anything. Give it with
    /// [`RunRequest::with_run_data`](crate::agent::RunRequest::with_run_data).
    MissingRunData {
        /// The tool.
        tool: String,
        /// The type of the data it takes.
        type_name: &'static str,
    },
    /// The run's cancellation token fired ([`RunRequest::with_cancellation`](crate::agent::RunRequest::with_cancellation)).
    Cancelled,
    /// Tool calls wait for a person's decision: resume the run with
    /// [`Agent::resume`](crate::Agent::resume).
    Paused(Box<PausedRun>),
    /// A paused run could not be resumed, and nothing was run: a decision names a call that
    /// does not wait, the state does not hold together, or the run lacks per-run data a tool
    /// takes. The paused run is handed back unchanged.
    NotResumed {
        /// What is wrong.
        problem: String,
        /// The paused run, as it was given.
        paused: Box<PausedRun>,
    },
    /// The model's typed final answer was still wrong when the retries ran out.
    InvalidAnswer {
        /// What is wrong with it, as the model was told.
        problem: String,
        /// The answer, as the model wrote it.
        answer: String,
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

    /// A typed run's answer that was not decoded (never made: a typed run's answer is decoded
    /// when it is checked).
    pub(crate) fn undecoded(output: RunOutput) -> Self {
        let failure = RunFailure::InvalidAnswer {
            problem: "the answer was not decoded".to_owned(),
            answer: output.text,
        };
        Self::new(failure, output.messages, output.usage, output.turns)
    }

    /// The model's error, when that is why the run ended.
    pub fn model_error(&self) -> Option<&Error> {
        match &self.failure {
            RunFailure::Model(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.failure, RunFailure::Cancelled)
    }

    /// The paused run, when calls wait for decisions (see [`Agent::resume`](crate::Agent::resume)).
    pub fn paused(&self) -> Option<&PausedRun> {
        match &self.failure {
            RunFailure::Paused(paused) => Some(paused),
            _ => None,
        }
    }

    /// The paused run, or this error when the run did not pause.
    ///
    /// ```no_run
    /// # async fn f(agent: tool_runtime::Agent) -> Result<(), tool_runtime::RunError> {
    /// match agent.run("Pay the invoice.").await {
    ///     Ok(output) => println!("{}", output.text),
    ///     Err(error) => {
    ///         let paused = error.into_paused()?;
    ///         for call in paused.pending() {
    ///             println!("waiting: {}({})", call.name, call.arguments.to_json_string());
    ///         }
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn into_paused(self) -> Result<PausedRun, RunError> {
        match self.failure {
            RunFailure::Paused(paused) => Ok(*paused),
            failure => Err(Self { failure, ..self }),
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
            Self::Cancelled => f.write_str("the run was cancelled"),
            Self::Paused(paused) => {
                let waiting = paused.pending().count();
                let calls = if waiting == 1 {
                    "call waits"
                } else {
                    "calls wait"
                };
                write!(f, "the run paused: {waiting} tool {calls} for approval")
            }
            Self::NotResumed { problem, .. } => {
                write!(f, "the paused run was not resumed: {problem}")
            }
            Self::InvalidAnswer { problem, .. } => {
                write!(f, "the model's final answer is still invalid: {problem}")
            }
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failure {
            RunFailure::Model(_) => write!(f, "{} (after {} turns)", self.failure, self.turns),
            _ => self.failure.fmt(f),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.model_error()
            .map(|error| error as &(dyn std::error::Error + 'static))
    }
}
