//! [`RunState`]: a run as plain data — the conversation, the model message being answered with
//! one slot per call, the usage, the turn and the run's id.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::conversation::{AssistantMessage, Message, ToolCall, ToolResult, Usage};
use crate::model::ToolChoice;

/// Where a run stands between two steps. The [transitions](super::transition) change it; the
/// [`Agent`](crate::Agent) performs the I/O each step asks for. A paused run is this state at
/// its pause ([`PausedRun`](super::PausedRun)). It serializes whole, so that a store can keep
/// it between any two steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunState {
    /// The run's id: given, or made when the run starts, and kept across pauses.
    pub(crate) id: String,
    /// The conversation, up to the last message whose calls were all answered.
    pub(crate) messages: Vec<Message>,
    /// Tokens used so far.
    pub(crate) usage: Usage,
    /// Requests sent so far: the turn being played, counting from 1.
    pub(crate) turn: usize,
    /// The model message being answered, while its calls are not all answered.
    pub(crate) pending: Option<Pending>,
    /// How many bad typed answers were sent back to the model.
    pub(crate) retries: usize,
    /// Whether the model has called tools in this run: a tool choice that forces a call
    /// applies until it has.
    #[serde(default)]
    pub(crate) tools_called: bool,
}

/// A model message whose calls are being answered: one slot per call, in the model's order.
/// (Whether a call without a result runs or waits for a decision, the turn running it knows.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub(crate) assistant: AssistantMessage,
    /// Each call's result; `None` while the call runs or waits for a decision.
    pub(crate) results: Vec<Option<ToolResult>>,
}

impl RunState {
    /// A run of `messages`, with the id given or a new one.
    pub(crate) fn new(id: Option<String>, messages: Vec<Message>) -> Self {
        Self {
            id: id.unwrap_or_else(new_run_id),
            messages,
            usage: Usage::default(),
            turn: 0,
            pending: None,
            retries: 0,
            tools_called: false,
        }
    }
}

impl RunState {
    /// The tool choice of the next request: one that forces a call (`Required`, a named tool)
    /// only until the model has called tools, or the run could never end.
    pub(crate) fn tool_choice(&self, configured: &ToolChoice) -> ToolChoice {
        match configured {
            ToolChoice::Required | ToolChoice::Tool(_) if self.tools_called => ToolChoice::Auto,
            choice => choice.clone(),
        }
    }
}

impl Pending {
    /// The calls without a result, in the model's order.
    pub(crate) fn waiting(&self) -> impl Iterator<Item = &ToolCall> {
        self.assistant
            .tool_calls
            .iter()
            .enumerate()
            .filter(|(place, _)| self.results.get(*place).is_none_or(Option::is_none))
            .map(|(_, call)| call)
    }
}

/// A fresh run id: `run_` and 32 hex digits, unique within the process and unlikely to repeat
/// across processes (the clock and the process's random hash keys both go into it).
pub(crate) fn new_run_id() -> String {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let keys = RandomState::new();
    let high = keys.hash_one((nanos, count, std::process::id()));
    let low = keys.hash_one((count, nanos));
    format!("run_{high:016x}{low:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_survives_serde() {
        let mut state = RunState::new(None, vec![Message::user("Pay Ada.")]);
        state.turn = 2;
        state.pending = Some(Pending {
            assistant: AssistantMessage::calls([ToolCall::new("c1", "pay", "{}")]),
            results: vec![None],
        });
        let saved = serde_json::to_string(&state).unwrap();
        let loaded: RunState = serde_json::from_str(&saved).unwrap();
        assert_eq!(loaded, state);
    }

    #[test]
    fn run_ids_differ() {
        let a = new_run_id();
        let b = new_run_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert!(a.starts_with("run_"));
    }
}
