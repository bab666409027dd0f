//! How a run ends: [`RunOutput`] with the answer, or [`RunError`] with what went wrong, each with
//! the transcript and the usage so far.

use std::fmt;

use super::pause::{Count, PausedRun};
use crate::conversation::{Message, Usage};
use crate::error::Error;
use crate::journal::JournalError;

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
    /// The run's id: given ([`RunRequest::with_run_id`](crate::agent::RunRequest::with_run_id)),
    /// or made when it started; the one its tools saw.
    pub run_id: String,
}

/// A run that ended without a final answer. It still hands back the conversation so far
/// (repaired: every tool call has a result), the usage and the turn count.
///
/// Its `Debug` is short, as `main`'s `Result` prints it: the failure, the turns, the usage and
/// how many messages there are, never the transcript itself (read [`messages`](Self::messages)).
///
/// ```
/// use tool_runtime::{Agent, OfflineModel, Toolbox};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let agent = Agent::new(OfflineModel::scripted([]), Toolbox::new());
/// let error = agent.run("Hello").await.unwrap_err();
/// let debug = format!("{error:?}");
/// assert!(debug.starts_with("RunError { failure: Model(Error {"), "{debug}");
/// assert!(debug.contains("messages: [1 message]"), "{debug}");
/// # }
/// ```
// Kept within 128 bytes, so that a `Result<T, RunError>` of the user's passes clippy's
// `result_large_err` (a paused run is boxed; the run's id is in it, or was given).
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
///
/// Its `Debug` shortens what could be long: a paused run shows its calls that wait, not its
/// transcript; an invalid answer shows its first 200 characters.
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
    /// takes (a paused run does not keep its per-run data: give it again to the resumed run).
    /// The paused run is handed back unchanged.
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
    /// The run's [journal](crate::journal) could not write a step (the run stops rather than
    /// go on unrecorded), or a run to recover could not be read from it.
    Journal(JournalError),
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

impl fmt::Debug for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunError")
            .field("failure", &self.failure)
            .field("turns", &self.turns)
            .field("usage", &self.usage)
            .field("messages", &Count(self.messages.len(), "message"))
            .finish()
    }
}

impl fmt::Debug for RunFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Model(error) => f.debug_tuple("Model").field(error).finish(),
            Self::MaxTurns { limit } => f.debug_struct("MaxTurns").field("limit", limit).finish(),
            Self::MissingRunData { tool, type_name } => f
                .debug_struct("MissingRunData")
                .field("tool", tool)
                .field("type_name", type_name)
                .finish(),
            Self::Cancelled => f.write_str("Cancelled"),
            Self::Paused(paused) => f.debug_tuple("Paused").field(paused).finish(),
            Self::NotResumed { problem, paused } => f
                .debug_struct("NotResumed")
                .field("problem", problem)
                .field("paused", paused)
                .finish(),
            Self::InvalidAnswer { problem, answer } => f
                .debug_struct("InvalidAnswer")
                .field("problem", problem)
                .field("answer", &Shortened(answer))
                .finish(),
            Self::Journal(error) => f.debug_tuple("Journal").field(error).finish(),
        }
    }
}

/// A text's first [`Shortened::KEEP`] characters in a `Debug`, and how long it was.
struct Shortened<'a>(&'a str);

impl Shortened<'_> {
    const KEEP: usize = 200;
}

impl fmt::Debug for Shortened<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(Self::KEEP) {
            None => fmt::Debug::fmt(self.0, f),
            Some((end, _)) => {
                let total = self.0.chars().count();
                write!(f, "{:?}… ({total} characters)", &self.0[..end])
            }
        }
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
            Self::Journal(error) => write!(f, "the run's journal failed: {error}"),
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
        match &self.failure {
            RunFailure::Model(error) => Some(error),
            RunFailure::Journal(error) => Some(error),
            _ => None,
        }
    }
}

impl From<JournalError> for RunFailure {
    fn from(error: JournalError) -> Self {
        Self::Journal(error)
    }
}
