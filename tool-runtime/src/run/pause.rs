//! Approvals: the gate a call passes as it arrives (run it, hold it for a person, or deny it),
//! the [`Decision`]s a person gives, and [`PausedRun`], a run waiting for them.
//!
//! A tool says which of its calls need approval ([`Approval`](crate::tool::Approval), on its
//! [policy](crate::tool::ToolPolicy)); the gate asks it once per call, before the call starts.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::state::{Pending, RunState};
use crate::conversation::{AssistantMessage, Message, ToolCall, ToolResult, Usage};
use crate::tool::{ToolError, ToolPolicy};

/// What becomes of a call whose tool wants a person's approval, decided once, as it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// It is answered "not approved": a turn on its own has no one to ask.
    Deny,
    /// It waits for a decision: the run pauses.
    Hold,
}

/// What the gate lets a call do.
pub(crate) enum Admission {
    Run,
    Hold,
    Deny(ToolError),
}

impl Gate {
    /// Whether `call` may run now: asked once per call (a person may have `approved` it).
    pub(crate) fn admit(self, policy: &ToolPolicy, call: &ToolCall, approved: bool) -> Admission {
        if approved || !policy.needs_approval(&call.arguments) {
            return Admission::Run;
        }
        match self {
            Gate::Deny => Admission::Deny(not_approved()),
            Gate::Hold => Admission::Hold,
        }
    }
}

/// The error result of a call that needs a person's approval and was not given it.
pub(crate) fn not_approved() -> ToolError {
    ToolError::Denied(
        "Not run: this call needs a person's approval, and none was given.".to_owned(),
    )
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

/// A run that stopped for approval: the conversation so far, the turn whose calls wait, the
/// results of the calls of that turn that ran, and the usage.
///
/// It is the run's state at the pause. It serializes with serde, so a program can save it, ask
/// a person — minutes or days later, in another process — and resume it with
/// [`Agent::resume`](crate::Agent::resume) (on an agent with the same tools).
///
/// ```
/// # use tool_runtime::agent::{Decision, PausedRun};
/// # use tool_runtime::conversation::{AssistantMessage, ToolCall};
/// # use tool_runtime::{Agent, OfflineModel, tool, tools};
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
/// let paused: PausedRun = serde_json::from_str(&saved)?;
/// let output = agent.resume(paused, [("c1", Decision::Approve)]).await?;
/// assert_eq!(output.text, "Paid.");
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq)]
pub struct PausedRun {
    pub(crate) state: RunState,
}

/// Short, as a [`RunError`](crate::RunError)'s: the run, its turn, the calls that wait (names and
/// ids) and how many messages the transcript holds.
impl fmt::Debug for PausedRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waiting: Vec<_> = self
            .pending()
            .map(|call| format!("{}#{}", call.name, call.id))
            .collect();
        f.debug_struct("PausedRun")
            .field("run_id", &self.state.id)
            .field("turn", &self.state.turn)
            .field("waiting", &waiting)
            .field("messages", &Count(self.state.messages.len(), "message"))
            .finish()
    }
}

/// `[n things]` in a `Debug`, for a list too long to print.
pub(crate) struct Count(pub(crate) usize, pub(crate) &'static str);

impl fmt::Debug for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(n, what) = *self;
        let plural = if n == 1 { "" } else { "s" };
        write!(f, "[{n} {what}{plural}]")
    }
}

impl PausedRun {
    /// The state of a run that waits: it has a pending turn.
    pub(crate) fn pending_turn(&self) -> &Pending {
        self.state
            .pending
            .as_ref()
            .expect("a paused run has a turn that waits")
    }

    /// The calls that wait for a decision, in the model's order.
    pub fn pending(&self) -> impl Iterator<Item = &ToolCall> {
        self.pending_turn().waiting()
    }

    /// Why this run cannot be resumed with `decisions`, if it cannot: a state that does not
    /// hold together (edited, or from another version), or a decision on a call that does not
    /// wait.
    pub(crate) fn problem(&self, decisions: &Decisions) -> Option<String> {
        let waiting: Vec<&str> = self.pending().map(|call| call.id.as_str()).collect();
        self.problem_among(decisions, &waiting)
    }

    /// As [`problem`](Self::problem), the calls that wait for a decision being `waiting` (a
    /// recovered run's calls that were running when its process stopped do not).
    pub(crate) fn problem_among(&self, decisions: &Decisions, waiting: &[&str]) -> Option<String> {
        let pending = self.pending_turn();
        let calls = &pending.assistant.tool_calls;
        if self.state.turn == 0 {
            return Some("the paused run's turn is 0 (turns count from 1)".to_owned());
        }
        if calls.is_empty() {
            return Some("the paused run's message has no tool calls".to_owned());
        }
        if pending.results.len() != calls.len() {
            return Some(format!(
                "the paused run has {} result slots for {} tool calls",
                pending.results.len(),
                calls.len()
            ));
        }
        for (call, result) in calls.iter().zip(&pending.results) {
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
            .filter(|id| !waiting.contains(&id.as_str()))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            return Some(format!(
                "decisions on calls that do not wait: `{}` (waiting: `{}`)",
                unknown.join("`, `"),
                waiting.join("`, `")
            ));
        }
        None
    }

    /// The run's id: the same before the pause and after it is resumed.
    pub fn run_id(&self) -> &str {
        &self.state.id
    }

    /// The conversation before the turn that waits.
    pub fn messages(&self) -> &[Message] {
        &self.state.messages
    }

    /// The model's message whose calls wait.
    pub fn assistant(&self) -> &AssistantMessage {
        &self.pending_turn().assistant
    }

    /// The tokens used so far.
    pub fn usage(&self) -> Usage {
        self.state.usage
    }

    /// The turn that waits (counting from 1).
    pub fn turn(&self) -> usize {
        self.state.turn
    }
}

/// How a paused run is saved: the conversation, the message whose calls wait, one slot per
/// call (its result, or `null` while it waits), the usage, the turn and the run's id.
#[derive(Serialize)]
struct Saved<'a> {
    run_id: &'a str,
    messages: &'a [Message],
    assistant: &'a AssistantMessage,
    results: &'a [Option<ToolResult>],
    usage: Usage,
    turn: usize,
}

#[derive(Deserialize)]
struct Loaded {
    #[serde(default)]
    run_id: Option<String>,
    messages: Vec<Message>,
    assistant: AssistantMessage,
    results: Vec<Option<ToolResult>>,
    usage: Usage,
    turn: usize,
}

impl Serialize for PausedRun {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let pending = self.pending_turn();
        Saved {
            run_id: &self.state.id,
            messages: &self.state.messages,
            assistant: &pending.assistant,
            results: &pending.results,
            usage: self.state.usage,
            turn: self.state.turn,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PausedRun {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let loaded = Loaded::deserialize(deserializer)?;
        let mut state = RunState::new(loaded.run_id, loaded.messages);
        state.usage = loaded.usage;
        state.turn = loaded.turn;
        // A paused run waits on calls the model made.
        state.tools_called = true;
        state.pending = Some(Pending {
            assistant: loaded.assistant,
            results: loaded.results,
        });
        Ok(Self { state })
    }
}
