//! [`AgentEvent`]: what happens during a run, as it happens.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use super::RunOutput;
use crate::conversation::{AssistantMessage, ToolCall, ToolResult, Usage};
use crate::model::ToolCallDelta;

/// What happens during a run, as it happens: for progress displays and chat interfaces.
///
/// An [`Agent`](crate::Agent) hands every event to its [`on_event`](crate::Agent::on_event)
/// handler, and [`Agent::stream`](crate::Agent::stream) yields them as a stream. With a model
/// that streams, the text arrives in pieces and each tool call starts the moment its arguments
/// are complete, while the model is still writing; a call may even finish before the model's
/// response has ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AgentEvent {
    /// A request to the model is about to be sent (`turn` counts from 1).
    TurnStarted {
        /// Which turn.
        turn: usize,
    },
    /// The next piece of the model's text.
    TextDelta {
        /// Which turn.
        turn: usize,
        /// The piece.
        text: String,
    },
    /// A tool call being written: its name, and the next piece of its arguments.
    ToolCallDelta {
        /// Which turn.
        turn: usize,
        /// The piece.
        delta: ToolCallDelta,
    },
    /// A tool call was started: the model's arguments for it are complete.
    ToolCallStarted {
        /// Which turn.
        turn: usize,
        /// The call's position in the turn (0 for the first started).
        index: usize,
        /// The call.
        call: ToolCall,
    },
    /// A tool call has its result: every call of a turn gets one, once, whatever its result
    /// (a denial, a cancellation and a final answer's acknowledgement included). A call that
    /// waited for a person, or was cancelled before it started, had no `ToolCallStarted`.
    ToolCallFinished {
        /// Which turn.
        turn: usize,
        /// The call's position in the turn.
        index: usize,
        /// The result, with how long the call ran.
        result: ToolResult,
    },
    /// The model's response of this turn is complete: its message and the tokens it used.
    ModelResponded {
        /// Which turn.
        turn: usize,
        /// The message.
        message: AssistantMessage,
        /// The tokens this request used.
        usage: Usage,
    },
    /// The run is over: the model's answer, the whole conversation, the usage. (A run that
    /// fails ends with its [`RunError`](crate::RunError) instead.)
    Finished(RunOutput),
}

pub(super) type EventHandler = Arc<dyn Fn(&AgentEvent) + Send + Sync>;

/// The events a stream has not handed on yet.
pub(super) type Queue = Mutex<VecDeque<AgentEvent>>;

/// Where a run's events go: the agent's handler, and a stream's queue.
#[derive(Clone, Copy)]
pub(super) struct Events<'a> {
    pub(super) handler: Option<&'a EventHandler>,
    pub(super) queue: Option<&'a Queue>,
}

impl Events<'_> {
    /// Whether anyone listens: events are only made for listeners.
    pub(super) fn on(&self) -> bool {
        self.handler.is_some() || self.queue.is_some()
    }

    /// Hands on the event `make` makes, if anyone listens.
    pub(super) fn emit(&self, make: impl FnOnce() -> AgentEvent) {
        if !self.on() {
            return;
        }
        let event = make();
        if let Some(handler) = self.handler {
            handler(&event);
        }
        if let Some(queue) = self.queue {
            queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_back(event);
        }
    }

    /// Shows the handler the run's output (a stream yields it itself, as its last item).
    pub(super) fn finished(&self, output: RunOutput) -> RunOutput {
        let Some(handler) = self.handler else {
            return output;
        };
        let event = AgentEvent::Finished(output);
        handler(&event);
        match event {
            AgentEvent::Finished(output) => output,
            _ => unreachable!("the event made just above"),
        }
    }
}
