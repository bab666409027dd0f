//! [`AgentEvent`]: what happens during a run, for progress displays.

use std::time::Duration;

use crate::conversation::{AssistantMessage, ToolCall, ToolResult, Usage};

/// What happened during a run, for progress displays.
#[derive(Debug)]
#[non_exhaustive]
pub enum AgentEvent<'a> {
    /// A request to the model is about to be sent (`turn` counts from 1).
    TurnStarted {
        /// Which turn.
        turn: usize,
    },
    /// A tool call was started: the model's arguments for it are complete. With several calls in
    /// one response, the first may start (and finish) before the model's response has ended.
    ToolCallStarted {
        /// The call.
        call: &'a ToolCall,
    },
    /// The model's response is complete.
    ModelResponded {
        /// Which turn.
        turn: usize,
        /// Its message.
        message: &'a AssistantMessage,
        /// The tokens this request used.
        usage: Usage,
    },
    /// A tool call has its result.
    ToolCallFinished {
        /// The call.
        call: &'a ToolCall,
        /// The result.
        result: &'a ToolResult,
        /// How long the call ran.
        duration: Duration,
    },
    /// The model gave its final answer.
    FinalText {
        /// The answer.
        text: &'a str,
    },
}
