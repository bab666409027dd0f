//! The steps of a run as a [journal](crate::journal) keeps them, and the replay that rebuilds
//! a run from them: the same transitions the run went through, fed what was recorded instead
//! of what the model and the tools give.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::answer::Refused;
use super::pause::Decisions;
use super::state::RunState;
use super::transition::Answered;
use crate::conversation::{AssistantMessage, StopReason, ToolCall, ToolResult, Usage};
use crate::journal::{Entry, JournalError};
use crate::model::ModelResponse;

/// The format of the steps this version writes; it reads every format up to this one.
pub(crate) const FORMAT: u32 = 1;

/// The outcome of a run that ended with its answer (an `ended` step's).
pub(crate) const ANSWERED: &str = "answered";

/// One step of a run. Borrowed when written, owned when read back.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Step<'a> {
    /// The run starts from this state (a new run, or a paused run resumed by value).
    Started {
        format: u32,
        state: Cow<'a, RunState>,
    },
    /// Decisions on the waiting calls of the pending turn.
    Decided { decisions: Cow<'a, Decisions> },
    /// A call is about to start, at this place of the turn's message.
    CallStarted {
        turn: usize,
        index: usize,
        call: Cow<'a, ToolCall>,
    },
    /// A call's result.
    CallFinished {
        turn: usize,
        index: usize,
        result: Cow<'a, ToolResult>,
    },
    /// The model's whole response to the turn's request.
    Answered {
        turn: usize,
        message: Cow<'a, AssistantMessage>,
        usage: Usage,
    },
    /// A typed answer was wrong and sent back (`in_text`: with the problem as a user message).
    Refused {
        problem: Cow<'a, str>,
        in_text: bool,
    },
    /// The run waits for decisions on these calls (their ids).
    Paused {
        #[serde(default)]
        waiting: Vec<String>,
    },
    /// The run is over: `outcome` is `answered`, or why it failed.
    Ended { outcome: Cow<'a, str> },
}

impl Step<'_> {
    /// The step as a store keeps it.
    pub(crate) fn entry(&self) -> Result<Entry, JournalError> {
        let json = serde_json::to_string(self).map_err(JournalError::store)?;
        Ok(Entry::new(self.kind(), json))
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Started { .. } => "started",
            Self::Decided { .. } => "decided",
            Self::CallStarted { .. } => "call_started",
            Self::CallFinished { .. } => "call_finished",
            Self::Answered { .. } => "answered",
            Self::Refused { .. } => "refused",
            Self::Paused { .. } => "paused",
            Self::Ended { .. } => "ended",
        }
    }
}

/// How a run takes up its pending turn again, after a pause or a crash.
#[derive(Debug, Default)]
pub(crate) struct Reentry {
    /// Decisions on the pending turn's calls, by call id.
    pub(crate) decisions: Decisions,
    /// By place of the pending message: the call started and has no result (it was running
    /// when its process stopped).
    pub(crate) interrupted: Vec<bool>,
    /// The model's answer in text, recorded and not yet taken (a typed answer is checked).
    pub(crate) answer: Option<String>,
    /// The last step recorded closed a turn: its calls were all answered (a typed answer given
    /// by the final tool and accepted is taken again).
    pub(crate) turn_closed: bool,
}

impl Reentry {
    /// Taking up a paused run with `decisions`: none of its calls was interrupted.
    pub(crate) fn decided(decisions: Decisions) -> Self {
        Self {
            decisions,
            ..Self::default()
        }
    }

    /// Whether the call at `place` started and has no result.
    pub(crate) fn was_interrupted(&self, place: usize) -> bool {
        self.interrupted.get(place).copied().unwrap_or(false)
    }
}

/// A run rebuilt from its steps.
#[derive(Debug)]
pub(crate) struct Replayed {
    pub(crate) state: RunState,
    pub(crate) reentry: Reentry,
    /// How the run ended, if it did: [`ANSWERED`], or why it failed.
    pub(crate) ended: Option<String>,
    /// The message of a turn cut short by the crash (its calls that started), at its turn: not
    /// in the journal yet, it is recorded before the run goes on.
    pub(crate) cut_short: Option<(usize, AssistantMessage)>,
}

/// The format a `started` step says its run is written in.
#[derive(Deserialize)]
struct Format {
    format: u32,
}

/// The calls of a turn that started before the model's response was whole, by place.
type Early = BTreeMap<usize, (ToolCall, Option<ToolResult>)>;

/// Rebuilds the run `run_id` from its entries: the state after the last step recorded, and how
/// to take up its pending turn.
pub(crate) fn replay(run_id: &str, entries: &[Entry]) -> Result<Replayed, JournalError> {
    let unreadable = |problem: String| JournalError::Unreadable {
        run_id: run_id.to_owned(),
        problem,
    };
    let mut replayed: Option<Replayed> = None;
    // Calls of the turn being asked (`early_turn`) that started before its response was whole.
    let mut early = Early::new();
    let mut early_turn = 0;
    for (seq, entry) in entries.iter().enumerate() {
        // A newer format is refused before it is read: its steps may mean something else.
        if entry.kind() == "started" {
            let format = serde_json::from_str::<Format>(entry.json()).map_or(0, |f| f.format);
            if format > FORMAT {
                return Err(unreadable(format!(
                    "it was written in format {format} by a newer version of this library \
                     (this one reads formats up to {FORMAT})"
                )));
            }
        }
        let step: Step<'static> = serde_json::from_str(entry.json())
            .map_err(|error| unreadable(format!("step {seq} (`{}`): {error}", entry.kind())))?;
        if let Step::Started { state, .. } = step {
            replayed = Some(Replayed {
                state: state.into_owned(),
                reentry: Reentry::default(),
                ended: None,
                cut_short: None,
            });
            early.clear();
            continue;
        }
        let Some(Replayed {
            state,
            reentry,
            ended,
            ..
        }) = &mut replayed
        else {
            return Err(unreadable(format!(
                "its first step is `{}`, not `started`",
                entry.kind()
            )));
        };
        let pending_turn = state.pending.is_some().then_some(state.turn);
        match step {
            Step::Started { .. } => unreachable!("handled above"),
            Step::Decided { decisions } => reentry.decisions.extend(decisions.into_owned()),
            Step::CallStarted { turn, index, call } => {
                if pending_turn == Some(turn) {
                    set(&mut reentry.interrupted, index, true);
                } else {
                    early_turn = turn;
                    early.insert(index, (call.into_owned(), None));
                }
            }
            Step::CallFinished {
                turn,
                index,
                result,
            } => {
                if pending_turn == Some(turn) {
                    record_result(state, reentry, index, result.into_owned());
                } else if let Some((_, slot)) = early.get_mut(&index) {
                    *slot = Some(result.into_owned());
                }
            }
            Step::Answered {
                turn,
                message,
                usage,
            } => {
                if state.pending.is_some() || turn <= state.turn {
                    return Err(unreadable(format!(
                        "step {seq} answers turn {turn}, but turn {} is {}",
                        state.turn,
                        if state.pending.is_some() {
                            "still open"
                        } else {
                            "the last one"
                        }
                    )));
                }
                reentry.turn_closed = false;
                state.turn = turn;
                let response = ModelResponse::new(message.into_owned(), StopReason::EndTurn, usage);
                match state.model_answered(response) {
                    Answered::Text(text) => reentry.answer = Some(text),
                    Answered::Calls => {
                        let early = std::mem::take(&mut early);
                        take_early(state, reentry, early_turn == turn, early);
                    }
                }
                early.clear();
            }
            Step::Refused { problem, in_text } => {
                let refused = Refused {
                    problem: problem.into_owned(),
                    answer: String::new(),
                };
                // Counted as it was when the run went on: the budget was not spent then.
                let _ = state.answer_refused(usize::MAX, refused, in_text);
                reentry.answer = None;
                reentry.turn_closed = false;
            }
            Step::Paused { .. } => {}
            Step::Ended { outcome } => *ended = Some(outcome.into_owned()),
        }
    }
    let mut replayed = replayed.ok_or_else(|| JournalError::UnknownRun(run_id.to_owned()))?;
    if !early.is_empty() && replayed.state.pending.is_none() {
        // The process stopped while the model was still answering, after some of its calls
        // started: the turn's message is those calls (what else it said is lost, and asked
        // for no more). Their results stand; the others were interrupted.
        let Replayed {
            state,
            reentry,
            cut_short,
            ..
        } = &mut replayed;
        state.turn = early_turn;
        let message = AssistantMessage::calls(early.values().map(|(call, _)| call.clone()));
        *cut_short = Some((early_turn, message.clone()));
        state.model_answered(ModelResponse::new(
            message,
            StopReason::ToolUse,
            Usage::default(),
        ));
        take_early(state, reentry, true, early);
    }
    Ok(replayed)
}

/// The calls of the pending message that started (and maybe finished) before its response was
/// whole, matched by id: their results stand, the others were interrupted.
fn take_early(state: &mut RunState, reentry: &mut Reentry, same_turn: bool, early: Early) {
    let Some(pending) = &mut state.pending else {
        return;
    };
    reentry.interrupted = vec![false; pending.results.len()];
    if !same_turn {
        return;
    }
    let mut taken = vec![false; pending.results.len()];
    for (call, result) in early.into_values() {
        let calls = &pending.assistant.tool_calls;
        let Some(place) =
            (0..calls.len()).find(|&place| !taken[place] && calls[place].id == call.id)
        else {
            continue;
        };
        taken[place] = true;
        match result {
            Some(result) => pending.results[place] = Some(result),
            None => reentry.interrupted[place] = true,
        }
    }
    close_if_answered(state, reentry);
}

/// A result of the pending turn: the turn closes once every call has one.
fn record_result(state: &mut RunState, reentry: &mut Reentry, place: usize, result: ToolResult) {
    let Some(pending) = &mut state.pending else {
        return;
    };
    let call = pending.assistant.tool_calls.get(place);
    if let (Some(slot), Some(call)) = (pending.results.get_mut(place), call)
        && call.id == result.call_id
    {
        *slot = Some(result);
        set(&mut reentry.interrupted, place, false);
    }
    close_if_answered(state, reentry);
}

/// Closes the pending turn when every call has its result: its decisions and interruptions go
/// with it (the next turn's call ids may repeat).
fn close_if_answered(state: &mut RunState, reentry: &mut Reentry) {
    let complete = state
        .pending
        .as_ref()
        .is_some_and(|pending| pending.results.iter().all(Option::is_some));
    if complete {
        state.calls_answered(Vec::new());
        reentry.decisions.clear();
        reentry.interrupted.clear();
        reentry.turn_closed = true;
    }
}

fn set(flags: &mut Vec<bool>, place: usize, value: bool) {
    if flags.len() <= place {
        flags.resize(place + 1, false);
    }
    flags[place] = value;
}
