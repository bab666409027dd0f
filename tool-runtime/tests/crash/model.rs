//! The model, as the mock server plays it: every answer computed from the request (the run is
//! named in the prompt; the turn is one more than the turns whose calls the request carries
//! back), streamed slowly enough that kills land mid-stream; and every request checked against
//! the journal as it arrives: the model must never be asked again for a turn whose answer the
//! journal holds.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Recorded, Reply, Wire};
use tool_runtime::journal::{Journal, SqliteJournal};

use super::{PROMPT_MARKER, Rng, Tool, run_index, tag, tag_turn, tags_in, wire_of};

/// One turn of a run's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Turn {
    /// The model calls these tools, in this order (several: a fan-out).
    Calls(Vec<Planned>),
    /// The model answers in text: the run's last turn.
    Answer,
}

/// One call of a turn: the tool, and how long it takes after its effect, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Planned {
    /// The tool called.
    pub(crate) tool: Tool,
    /// How long the call sleeps between its effect and its return.
    pub(crate) ms: u64,
}

/// The plan of the run numbered `index`: a fan-out of 5 to 10 calls, most often a turn with a
/// call that needs approval, often another fan-out, then the answer.
pub(crate) fn plan(seed: u64, index: usize) -> Vec<Turn> {
    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let mut turns = vec![fan_out(&mut rng, 5, 10)];
    let approval = rng.chance(3, 4);
    if approval {
        let mut calls: Vec<Planned> = (0..rng.range(0, 2))
            .map(|_| planned(&mut rng, None))
            .collect();
        let at = rng.range(0, calls.len() as u64) as usize;
        calls.insert(at, planned(&mut rng, Some(Tool::Pay)));
        turns.push(Turn::Calls(calls));
    }
    if !approval || rng.chance(1, 2) {
        turns.push(fan_out(&mut rng, 2, 8));
    }
    turns.push(Turn::Answer);
    turns
}

/// A turn of `low` to `high` calls of the tools that need no approval.
fn fan_out(rng: &mut Rng, low: u64, high: u64) -> Turn {
    let n = rng.range(low, high);
    Turn::Calls((0..n).map(|_| planned(rng, None)).collect())
}

/// A call of `tool` (or of a tool that needs no approval, at random).
fn planned(rng: &mut Rng, tool: Option<Tool>) -> Planned {
    let any = [Tool::Charge, Tool::Reserve, Tool::Price];
    let tool = tool.unwrap_or_else(|| any[rng.range(0, 2) as usize]);
    // Mostly quick; one in four slow enough to be killed while the others finish.
    let ms = if rng.chance(1, 4) {
        rng.range(15, 40)
    } else {
        rng.range(1, 5)
    };
    Planned { tool, ms }
}

/// The answer of the run `run`'s last turn, from response `serial`.
pub(crate) fn final_text(run: &str, serial: u64) -> String {
    format!("All done for {run} (response {serial}): charged, reserved, priced and paid as asked.")
}

/// What the model saw: requests by run and turn, and anything wrong with them.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Every request.
    pub(crate) requests: usize,
    /// Requests by (run, turn).
    pub(crate) per_turn: HashMap<(String, usize), usize>,
    /// The turn each run asked for last, and when the request arrived.
    pub(crate) last_turn: HashMap<String, (usize, Instant)>,
    /// Requests for a turn whose answer the journal already held when they arrived (must stay
    /// empty).
    pub(crate) journaled_repeats: Vec<String>,
    /// Requests the script could not place (must stay empty).
    pub(crate) problems: Vec<String>,
}

impl Seen {
    /// Requests asked again for a turn whose answer was not journaled yet (allowed: the
    /// process died while the model answered).
    pub(crate) fn unjournaled_repeats(&self) -> usize {
        self.per_turn.values().map(|n| n - 1).sum()
    }
}

/// The model: the runs' plans, the serial of the next response, and the journal it checks
/// requests against.
pub(crate) struct ScriptedModel {
    seed: u64,
    /// The time between two events of a streamed response.
    pace: Duration,
    serial: AtomicU64,
    journal: SqliteJournal,
    seen: Mutex<Seen>,
}

/// The size of the pieces a response's text and arguments are streamed in.
const PIECE: usize = 12;

impl ScriptedModel {
    /// The model of the runs planned with `seed`, reading the journal `journal`.
    pub(crate) fn new(seed: u64, pace: Duration, journal: SqliteJournal) -> Self {
        Self {
            seed,
            pace,
            serial: AtomicU64::new(1),
            journal,
            seen: Mutex::default(),
        }
    }

    /// What it saw so far.
    pub(crate) fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap()
    }

    /// The reply to `request`: the next turn of its run's plan, streamed.
    pub(crate) fn answer(&self, request: &Recorded) -> Reply {
        match self.place(request) {
            Ok((run, index, turn, wire)) => self.respond(&run, index, turn, wire),
            Err(problem) => {
                self.seen().problems.push(problem.clone());
                Reply::status_json(400, json!({"error": {"message": problem}}))
            }
        }
    }

    /// The run, its number, the turn and the wire of `request`; a request for a turn whose
    /// answer is in the journal is counted as a violation.
    fn place(&self, request: &Recorded) -> Result<(String, usize, usize, Wire), String> {
        let body = String::from_utf8_lossy(&request.raw_body);
        let run: String = body
            .split(PROMPT_MARKER)
            .nth(1)
            .map(|after| {
                after
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect()
            })
            .ok_or_else(|| format!("a request names no run: {}", request.path))?;
        let index = run_index(&run).ok_or_else(|| format!("not a run id: {run:?}"))?;
        let wire = Wire::serving(&request.path).ok_or("an unknown path")?;
        if wire != wire_of(index) {
            return Err(format!(
                "{run} asked over {wire:?}, not {:?}",
                wire_of(index)
            ));
        }
        // The turns whose calls the conversation carries back: each turn but the last has one
        // call at least (a turn cut short by a crash keeps the calls that started).
        let done: BTreeSet<usize> = tags_in(&body, &run)
            .into_iter()
            .filter_map(tag_turn)
            .collect();
        let turn = done.len() + 1;
        if done.iter().copied().ne(1..turn) || turn > plan(self.seed, index).len() {
            return Err(format!("{run}: the request carries turns {done:?}"));
        }
        let journaled = self.journaled_turns(&run)?;
        let mut seen = self.seen();
        seen.requests += 1;
        *seen.per_turn.entry((run.clone(), turn)).or_default() += 1;
        seen.last_turn.insert(run.clone(), (turn, request.at));
        if journaled.contains(&turn) {
            let asked = seen.per_turn[&(run.clone(), turn)];
            seen.journaled_repeats.push(format!(
                "{run} asked for turn {turn} (request {asked} for it) when the journal held its \
                 answer (journaled turns {journaled:?})"
            ));
        }
        Ok((run, index, turn, wire))
    }

    /// The turns of `run` whose answer the journal holds now (read on a thread of its own: the
    /// server's handler is synchronous).
    fn journaled_turns(&self, run: &str) -> Result<BTreeSet<usize>, String> {
        let entries = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .map_err(|error| error.to_string())?;
                    runtime
                        .block_on(self.journal.entries(run))
                        .map_err(|error| error.to_string())
                })
                .join()
                .map_err(|_| "the journal reader panicked".to_owned())?
        })?;
        Ok(entries
            .iter()
            .filter(|entry| entry.kind() == "answered")
            .filter_map(|entry| serde_json::from_str::<Value>(entry.json()).ok())
            .filter_map(|step| step["turn"].as_u64())
            .map(|turn| turn as usize)
            .collect())
    }

    /// The response to turn `turn` of run `run` (numbered `index`), over `wire`, streamed: the
    /// calls have ids unique to this response; the answer names the response.
    fn respond(&self, run: &str, index: usize, turn: usize, wire: Wire) -> Reply {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let plan = plan(self.seed, index);
        let response = match plan.get(turn - 1) {
            Some(Turn::Calls(calls)) => {
                let calls: Vec<(String, &str, Value)> = calls
                    .iter()
                    .enumerate()
                    .map(|(k, planned)| {
                        (
                            wire.id(format!("{serial}x{k}")),
                            planned.tool.name(),
                            json!({"tag": tag(run, turn, k), "ms": planned.ms}),
                        )
                    })
                    .collect();
                let calls: Vec<(&str, &str, Value)> = calls
                    .iter()
                    .map(|(id, name, arguments)| (id.as_str(), *name, arguments.clone()))
                    .collect();
                wire.calls(&calls, 50, 20)
            }
            Some(Turn::Answer) | None => wire.text(&final_text(run, serial), 50, 20),
        };
        Reply::sse_paced(&wire.sse(&response, PIECE), self.pace)
    }
}
