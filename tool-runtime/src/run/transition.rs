//! The transitions of a run: each takes what happened (the model answered, the calls were
//! answered, the run was cancelled, a limit was reached, it finished) and changes the
//! [`RunState`] accordingly. No I/O happens here.

use super::answer::Refused;
use super::outcome::{RunError, RunFailure, RunOutput};
use super::pause::PausedRun;
use super::state::{Pending, RunState};
use crate::conversation::{AssistantMessage, Message, ToolResult, answer_every_call};
use crate::model::ModelResponse;

/// Why a run stopped before its answer: a failure, or calls waiting for decisions.
#[derive(Debug)]
pub(crate) enum Halt {
    Failed(RunFailure),
    Paused,
}

impl From<RunFailure> for Halt {
    fn from(failure: RunFailure) -> Self {
        Self::Failed(failure)
    }
}

/// What the model's response asks for.
pub(crate) enum Answered {
    /// An answer in text: the run may end.
    Text(String),
    /// Tool calls, now pending.
    Calls,
}

/// Where the pending calls stand once those that ran have their results.
pub(crate) enum Settled {
    /// Every call has its result: the turn is in the conversation.
    Answered,
    /// Some calls wait for a person's decision.
    Waiting,
}

impl RunState {
    /// The next request is about to be sent: its turn, unless the limit is reached.
    pub(crate) fn next_turn(&mut self, max_turns: usize) -> Result<usize, RunFailure> {
        if self.turn >= max_turns {
            return Err(RunFailure::MaxTurns { limit: max_turns });
        }
        self.turn += 1;
        Ok(self.turn)
    }

    /// The model answered: its text ends the turn, its calls are pending.
    pub(crate) fn model_answered(&mut self, response: ModelResponse) -> Answered {
        self.usage += response.usage;
        let message = response.message;
        if message.tool_calls.is_empty() {
            let text = message.text.clone().unwrap_or_default();
            self.messages.push(Message::Assistant(message));
            return Answered::Text(text);
        }
        self.pending = Some(Pending::new(message));
        self.tools_called = true;
        Answered::Calls
    }

    /// The pending calls that ran have their results, by place (`None` for a call that waits).
    /// A result given before (a paused run's) stands.
    pub(crate) fn calls_answered(&mut self, slots: Vec<Option<ToolResult>>) -> Settled {
        let Some(pending) = &mut self.pending else {
            return Settled::Answered;
        };
        pending.fill(slots);
        if pending.results.iter().any(Option::is_none) {
            return Settled::Waiting;
        }
        self.close_turn();
        Settled::Answered
    }

    /// The run stops mid-turn (cancelled, or its model failed): the message so far — the
    /// pending one, or what arrived of a response cut short — goes into the conversation with
    /// every call answered (`Cancelled` where it has no result), and the run ends with
    /// `failure`.
    pub(crate) fn interrupted(
        &mut self,
        failure: RunFailure,
        partial: Option<AssistantMessage>,
        slots: Vec<Option<ToolResult>>,
    ) -> Halt {
        if let Some(partial) = partial.filter(|message| !message.tool_calls.is_empty()) {
            self.pending = Some(Pending::new(partial));
        }
        if let Some(pending) = &mut self.pending {
            pending.fill(slots);
            self.close_turn();
        }
        Halt::Failed(failure)
    }

    /// A typed answer was refused: `Ok` while retries are left (one more is used; an answer
    /// given `in_text` is followed by what is wrong with it, for the model to read).
    pub(crate) fn answer_refused(
        &mut self,
        budget: usize,
        refused: Refused,
        in_text: bool,
    ) -> Result<(), RunFailure> {
        let Refused { problem, answer } = refused;
        if self.retries >= budget {
            return Err(RunFailure::InvalidAnswer { problem, answer });
        }
        self.retries += 1;
        if in_text {
            self.messages.push(Message::user(problem));
        }
        Ok(())
    }

    /// The run is over: the model's answer, the conversation, the usage.
    pub(crate) fn finished(self, text: String) -> RunOutput {
        RunOutput {
            text,
            messages: self.messages,
            usage: self.usage,
            turns: self.turn,
            run_id: self.id,
        }
    }

    /// The run stopped before its answer.
    pub(crate) fn halted(self, halt: Halt) -> RunError {
        match halt {
            Halt::Failed(failure) => self.failed(failure),
            Halt::Paused => {
                let paused = PausedRun {
                    state: self.clone(),
                };
                self.failed(RunFailure::Paused(Box::new(paused)))
            }
        }
    }

    /// The run ended without an answer, handing back the conversation as it stands (a turn
    /// still pending is not in it).
    pub(crate) fn failed(self, failure: RunFailure) -> RunError {
        let turns = match &failure {
            RunFailure::MaxTurns { limit } => *limit,
            RunFailure::NotResumed { .. } => 0,
            _ => self.turn,
        };
        RunError::new(failure, self.messages, self.usage, turns)
    }

    /// Moves the pending message and its results into the conversation.
    fn close_turn(&mut self) {
        if let Some(Pending { assistant, results }) = self.pending.take() {
            let results = answer_every_call(&assistant.tool_calls, results);
            self.messages.push(Message::Assistant(assistant));
            self.messages.push(Message::ToolResults { results });
        }
    }
}

impl Pending {
    /// A message whose calls have no results yet.
    fn new(assistant: AssistantMessage) -> Self {
        let results = vec![None; assistant.tool_calls.len()];
        Self { assistant, results }
    }

    /// Takes the results of `slots` where there is none yet.
    fn fill(&mut self, slots: Vec<Option<ToolResult>>) {
        for (result, slot) in self.results.iter_mut().zip(slots) {
            if result.is_none() {
                *result = slot;
            }
        }
    }
}
