//! [`PausedRun`]: a run waiting for a person's decisions on calls that need approval, kept as
//! data so that it can be saved, and resumed later, elsewhere.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::conversation::{AssistantMessage, Message, ToolCall, ToolResult, Usage};

/// A run that stopped for approval: the conversation so far, the turn whose calls wait, the
/// results of the calls of that turn that ran, and the usage.
///
/// It serializes with serde, so a program can save it, ask a person — minutes or days later,
/// in another process — and resume it with [`Agent::resume`](crate::Agent::resume) (on an agent
/// with the same tools).
///
/// ```
/// # use tool_runtime::{Agent, AssistantMessage, Decision, OfflineModel, RunFailure, ToolCall, tool, tools};
/// /// Send money.
/// #[tool(needs_approval)]
/// fn pay(to: String, amount: f64) -> String {
///     format!("paid {amount} to {to}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let model = OfflineModel::scripted([
///     AssistantMessage::calls([ToolCall::new("c1", "pay", r#"{"to": "ACME", "amount": 250}"#)]),
///     AssistantMessage::text("Paid."),
/// ]);
/// let agent = Agent::new(model, tools![pay]);
/// let paused = match agent.run("Pay ACME 250.").await {
///     Err(error) => error.into_paused().expect("a pause"),
///     Ok(_) => unreachable!(),
/// };
/// assert_eq!(paused.pending().next().unwrap().name, "pay");
///
/// // Saved, and back, later.
/// let saved = serde_json::to_string(&paused)?;
/// let paused: tool_runtime::PausedRun = serde_json::from_str(&saved)?;
/// let output = agent.resume(paused, [("c1", Decision::Approve)]).await?;
/// assert_eq!(output.text, "Paid.");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PausedRun {
    /// The conversation before the turn that waits.
    pub(crate) messages: Vec<Message>,
    /// The model's message whose calls wait (some may have run).
    pub(crate) assistant: AssistantMessage,
    /// One slot per call of that message: the result of a call that ran, `None` for one that
    /// waits.
    pub(crate) results: Vec<Option<ToolResult>>,
    pub(crate) usage: Usage,
    /// The turn that waits (counting from 1).
    pub(crate) turn: usize,
}

impl PausedRun {
    /// The calls that wait for a decision, in the model's order.
    pub fn pending(&self) -> impl Iterator<Item = &ToolCall> {
        self.assistant
            .tool_calls
            .iter()
            .enumerate()
            .filter(|(place, _)| self.results.get(*place).is_none_or(Option::is_none))
            .map(|(_, call)| call)
    }

    /// Why this run cannot be resumed with `decisions`, if it cannot: a state that does not
    /// hold together (edited, or from another version), or a decision on a call that does not
    /// wait.
    pub(crate) fn problem(&self, decisions: &Decisions) -> Option<String> {
        let calls = &self.assistant.tool_calls;
        if self.turn == 0 {
            return Some("the paused run's turn is 0 (turns count from 1)".to_owned());
        }
        if calls.is_empty() {
            return Some("the paused run's message has no tool calls".to_owned());
        }
        if self.results.len() != calls.len() {
            return Some(format!(
                "the paused run has {} result slots for {} tool calls",
                self.results.len(),
                calls.len()
            ));
        }
        for (call, result) in calls.iter().zip(&self.results) {
            if let Some(result) = result
                && result.call_id != call.id
            {
                return Some(format!(
                    "the paused run holds a result for `{}` in the place of the call `{}`",
                    result.call_id, call.id
                ));
            }
        }
        let mut unknown: Vec<&str> = decisions
            .keys()
            .filter(|id| !self.pending().any(|call| call.id == **id))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            let waiting: Vec<&str> = self.pending().map(|call| call.id.as_str()).collect();
            return Some(format!(
                "decisions on calls that do not wait: `{}` (waiting: `{}`)",
                unknown.join("`, `"),
                waiting.join("`, `")
            ));
        }
        None
    }

    /// The conversation before the turn that waits.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The model's message whose calls wait.
    pub fn assistant(&self) -> &AssistantMessage {
        &self.assistant
    }

    /// The tokens used so far.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// The turn that waits (counting from 1).
    pub fn turn(&self) -> usize {
        self.turn
    }
}

/// A person's decision on a call that needs approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Decision {
    /// Run it.
    Approve,
    /// Do not run it; the reason is sent to the model as the call's error result.
    Deny(String),
}

/// Decisions by call id.
pub(crate) type Decisions = HashMap<String, Decision>;
