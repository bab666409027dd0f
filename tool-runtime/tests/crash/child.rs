//! A child process: it opens the journal, takes up every run the last child left (recovers it;
//! resumes a paused one after the person decided), starts the runs not started yet, and writes
//! each run's outcome when it ends — until the parent kills it, or every run has ended.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::{Wire, fast_retries};
use tool_runtime::agent::{Decision, RunFailure, RunOutput};
use tool_runtime::journal::{Journal, JournalError, SqliteJournal};
use tool_runtime::{Agent, CallContext, RunError, State, tool, tools};

use super::{
    CHILD_ENV, ChildConfig, DENIED, READY, Tool, approves, prompt, run_id, run_index, wire_of,
};

/// An append-only file outside the process, written with one `write` per line: the ledger of
/// side effects, the outcomes. A line starts with a newline too, so that a line cut short by a
/// kill stands alone.
#[derive(Clone)]
pub(crate) struct AppendOnly(Arc<File>);

impl AppendOnly {
    /// Opens `path` for appending (`O_APPEND`), creating it if needed.
    pub(crate) fn open(path: &std::path::Path) -> Self {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()));
        Self(Arc::new(file))
    }

    /// Appends `line`.
    fn append(&self, line: &str) {
        (&*self.0)
            .write_all(format!("\n{line}\n").as_bytes())
            .expect("an append-only file cannot be written");
    }

    /// Records the effect of the call `ctx` of `tool`, tagged `tag`: `tool run key tag`.
    fn effect(&self, tool: Tool, ctx: &CallContext, tag: &str) {
        let run = ctx.run_id().unwrap_or("-");
        let key = ctx.idempotency_key();
        self.append(&format!("{} {run} {key} {tag}", tool.name()));
    }
}

/// The effect of a call, recorded before the call sleeps: a kill during the sleep lands
/// between the effect and the journal's record of the call's result.
async fn effect(ledger: &AppendOnly, tool: Tool, ctx: &CallContext, tag: &str, ms: u64) -> String {
    ledger.effect(tool, ctx, tag);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    tool.result().to_owned()
}

/// Charge a card (not idempotent: must take effect at most once).
#[tool]
async fn charge(
    State(ledger): State<AppendOnly>,
    ctx: CallContext,
    /// The call's tag.
    tag: String,
    /// How long the charge takes, in milliseconds.
    ms: u64,
) -> String {
    effect(&ledger, Tool::Charge, &ctx, &tag, ms).await
}

/// Reserve a seat (idempotent: the same key reserves it once).
#[tool(idempotent)]
async fn reserve(
    State(ledger): State<AppendOnly>,
    ctx: CallContext,
    /// The call's tag.
    tag: String,
    /// How long the reservation takes, in milliseconds.
    ms: u64,
) -> String {
    effect(&ledger, Tool::Reserve, &ctx, &tag, ms).await
}

/// Look up a price (read-only).
#[tool(read_only)]
async fn price(
    State(ledger): State<AppendOnly>,
    ctx: CallContext,
    /// The call's tag.
    tag: String,
    /// How long the lookup takes, in milliseconds.
    ms: u64,
) -> String {
    effect(&ledger, Tool::Price, &ctx, &tag, ms).await
}

/// Send money (waits for a person's approval; not idempotent).
#[tool(needs_approval)]
async fn pay(
    State(ledger): State<AppendOnly>,
    ctx: CallContext,
    /// The call's tag.
    tag: String,
    /// How long the payment takes, in milliseconds.
    ms: u64,
) -> String {
    effect(&ledger, Tool::Pay, &ctx, &tag, ms).await
}

/// The `child` test's body: a child when the parent set [`CHILD_ENV`], nothing otherwise.
pub(crate) fn main_if_child() {
    let Ok(config) = std::env::var(CHILD_ENV) else {
        return;
    };
    let config: ChildConfig = serde_json::from_str(&config).expect("the child's config");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(child(config));
}

/// How a run is taken up.
#[derive(Debug, Clone, Copy)]
enum Start {
    /// Never started: run its prompt.
    New,
    /// In the journal, not ended: recover it.
    Recover,
}

/// Finishes every run of `config`.
async fn child(config: ChildConfig) {
    let journal = SqliteJournal::open(&config.journal).expect("the journal opens");
    let ledger = AppendOnly::open(&config.ledger);
    let outcomes = AppendOnly::open(&config.outcomes);
    // One agent per wire, all on the one journal.
    let agents: Vec<Agent<AppendOnly>> = Wire::ALL
        .into_iter()
        .map(|wire| {
            let url = format!("http://{}{}", config.server, wire.base_path);
            let toolbox = tools![state = ledger.clone(); charge, reserve, price, pay];
            Agent::new(wire.provider(url, fast_retries(0)), toolbox).journal(journal.clone())
        })
        .collect();
    println!("{READY}");
    std::io::stdout().flush().unwrap();

    let mut todo: Vec<(String, Start)> = journal
        .unfinished()
        .await
        .expect("the unfinished runs")
        .into_iter()
        .map(|id| (id, Start::Recover))
        .collect();
    for index in 0..config.runs {
        let id = run_id(index);
        if journal
            .entries(&id)
            .await
            .expect("a run's entries")
            .is_empty()
        {
            todo.push((id, Start::New));
        }
    }
    let pause = Duration::from_millis(config.pause_ms);
    let mut runs = tokio::task::JoinSet::new();
    for (id, start) in todo {
        let index = run_index(&id).expect("a run id");
        let agent = agents[Wire::ALL.iter().position(|w| *w == wire_of(index)).unwrap()].clone();
        let outcomes = outcomes.clone();
        runs.spawn(async move { finish(&agent, &id, start, pause, &outcomes).await });
    }
    while let Some(finished) = runs.join_next().await {
        if let Err(error) = finished {
            std::panic::resume_unwind(error.into_panic());
        }
    }
}

/// Takes the run `id` to its end: recovers or starts it, resumes it each time it pauses (after
/// the person took `pause` to decide), and appends its outcome.
async fn finish(
    agent: &Agent<AppendOnly>,
    id: &str,
    start: Start,
    pause: Duration,
    outcomes: &AppendOnly,
) {
    let mut result: Result<RunOutput, RunError> = match start {
        Start::New => agent.run(prompt(id)).with_run_id(id).await,
        Start::Recover => agent.recover(id).await,
    };
    loop {
        let error = match result {
            Ok(output) => {
                let line = json!({
                    "kind": "output",
                    "run": id,
                    "text": output.text,
                    "messages": output.messages,
                });
                outcomes.append(&line.to_string());
                return;
            }
            Err(error) => error,
        };
        if let Some(paused) = error.paused() {
            let decisions: Vec<(String, Decision)> = paused
                .pending()
                .map(|call| {
                    let tag: String = call.arguments.get("tag").unwrap_or_default();
                    let decision = if approves(&tag) {
                        Decision::Approve
                    } else {
                        Decision::Deny(DENIED.into())
                    };
                    (call.id.clone(), decision)
                })
                .collect();
            tokio::time::sleep(pause).await;
            result = agent.resume_run(id, decisions).await;
            continue;
        }
        if let RunFailure::Journal(JournalError::Ended(_)) = &error.failure {
            // Listed as unfinished, yet its journal says it ended: the parent's checks say so.
            let line = json!({"kind": "ended_but_unfinished", "run": id});
            outcomes.append(&line.to_string());
            return;
        }
        panic!("the run {id} failed: {error} ({:?})", error.failure);
    }
}
