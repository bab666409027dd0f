//! What a journal costs a run, printed as ratios against baselines measured in the same run.
//!
//! `cargo bench -p tool-runtime --features sqlite --bench journal` prints divan's table (its
//! median is the p50), then a summary measured again with the stores interleaved round by round,
//! so that a busy machine slows them alike:
//!
//! - a turn: a run whose model asks for 10 parallel calls of a cheap async tool, then answers
//!   in text once their results are in (a whole run: `started`, 10 `call_started`, 10
//!   `call_finished`, two `answered`, `ended`: 24 steps, and the end), without a journal (the
//!   baseline), with a `MemoryJournal`, and with a `SqliteJournal` in `Durability::Process` and
//!   in `Durability::PowerLoss` (each on a temp file); p50 per turn, the overhead in ms and as a
//!   ratio. Then a run of 10 such turns, per turn: what a turn adds once the run is going.
//!   Every run has its own id, and stays in its file: the SQLite files grow over the bench (the
//!   summary compares the first and the last third of its rounds). The overhead is also given
//!   per step (a one-turn run has 24; the steps that happen together are written at once: the
//!   calls that arrived before the model's stream paused, the results that came in together);
//!   what one write costs alone, and the hop to the blocking threads in it, is the
//!   `journal_store` bench's;
//! - the journal's size: the bytes of a run's entries (`Entry::json`), per turn, and the growth
//!   of the SQLite file per run after a checkpoint (closing the file folds its write-ahead log
//!   in), with the write-ahead log written per step;
//! - recovery: a run of 100 turns of 10 calls whose model was never heard from again (the run's
//!   future dropped while it waits for the 101st answer, as a crash leaves it: every result
//!   recorded, no answer, not ended), recovered by a fresh agent whose model answers at once,
//!   against the baseline of the same agent running one answer from scratch; and the run's
//!   entries read alone. Each recovery works on a copy of the crashed journal, made (and, for
//!   SQLite, opened) untimed: a fresh connection, as a new process has.
//!
//! The model is hand-written: canned messages returned at once, in process (no request log or
//! token count, as `OfflineModel` keeps). Streaming is off (`.streaming(false)`); for a model
//! without a stream of its own the path is the same either way: the message is replayed as
//! events, each call starting as its event is read (with a journal, the message's calls start
//! together, after one write of their starts).

use std::future::IntoFuture;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::sync::Notify;
use tool_runtime::conversation::{AssistantMessage, StopReason, ToolCall, Usage};
use tool_runtime::journal::{Durability, Entry, Journal, MemoryJournal, SqliteJournal};
use tool_runtime::model::{Model, ModelFuture, ModelRequest, ModelResponse};
use tool_runtime::{Agent, Message, tool, tools};

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// The calls in a turn.
const CALLS: usize = 10;
/// The turns of the crashed run that is recovered.
const CRASHED_TURNS: usize = 100;
/// The crashed run's id.
const CRASHED: &str = "crashed";
const PROMPT: &str = "Add them all up.";

/// A model that answers at once: `turns` messages of [`CALLS`] calls of `add`, then the answer
/// in text. With `asked`, it never answers after its calls: it says it was asked, and waits.
struct Canned {
    turns: usize,
    asked: Option<Arc<Notify>>,
}

impl Canned {
    fn new(turns: usize) -> Self {
        Self { turns, asked: None }
    }
}

impl Model for Canned {
    fn name(&self) -> String {
        "canned".to_owned()
    }

    fn complete<'a>(&'a self, request: ModelRequest<'a>) -> ModelFuture<'a> {
        let turn = request
            .messages
            .iter()
            .filter(|message| matches!(message, Message::Assistant(_)))
            .count();
        let response = if turn < self.turns {
            let calls = (0..CALLS).map(|i| {
                ToolCall::new(
                    format!("call_{turn}_{i}"),
                    "add",
                    format!(r#"{{"a": {i}, "b": {turn}}}"#),
                )
            });
            let message = AssistantMessage::calls(calls);
            ModelResponse::new(message, StopReason::ToolUse, Usage::default())
        } else if let Some(asked) = &self.asked {
            asked.notify_one();
            return Box::pin(std::future::pending());
        } else {
            let message = AssistantMessage::text("The sums are in.");
            ModelResponse::new(message, StopReason::EndTurn, Usage::default())
        };
        Box::pin(std::future::ready(Ok(response)))
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A run id never used before in this process.
fn next_run_id() -> String {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    format!("run-{}", RUNS.fetch_add(1, Ordering::Relaxed))
}

/// A SQLite file in the temp directory, removed with its `-wal` and `-shm` when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(what: &str) -> Self {
        static FILES: AtomicUsize = AtomicUsize::new(0);
        let n = FILES.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "tool-runtime-bench-journal-{}-{what}-{n}.db",
            std::process::id()
        );
        let path = std::env::temp_dir().join(name);
        let db = Self(path);
        db.remove();
        db
    }

    fn side(&self, suffix: &str) -> PathBuf {
        PathBuf::from(format!("{}{suffix}", self.0.display()))
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(self.side(suffix));
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |metadata| metadata.len())
}

/// Where a run's steps go.
#[derive(Clone, Copy, PartialEq)]
enum Store {
    None,
    Memory,
    Process,
    PowerLoss,
}

impl Store {
    const ALL: [Self; 4] = [Self::None, Self::Memory, Self::Process, Self::PowerLoss];

    fn label(self) -> &'static str {
        match self {
            Self::None => "no journal",
            Self::Memory => "MemoryJournal",
            Self::Process => "SQLite, Process",
            Self::PowerLoss => "SQLite, PowerLoss",
        }
    }

    fn is_sqlite(self) -> bool {
        matches!(self, Self::Process | Self::PowerLoss)
    }
}

/// A `SqliteJournal` on `path` for `store` (`Process` or `PowerLoss`).
fn open_sqlite(path: &Path, store: Store) -> SqliteJournal {
    let journal = SqliteJournal::open(path).expect("open");
    match store {
        Store::PowerLoss => journal.with_durability(Durability::PowerLoss),
        _ => journal,
    }
}

/// An agent, and the file its journal is in, if any (removed after the agent is dropped).
struct Setup {
    agent: Agent,
    file: Option<TempDb>,
}

/// An agent whose model plays `turns` turns of calls then answers, journaled in `store`.
fn setup(store: Store, turns: usize) -> Setup {
    let agent = Agent::new(Canned::new(turns), tools![add])
        .max_turns(turns + 1)
        .streaming(false);
    match store {
        Store::None => Setup { agent, file: None },
        Store::Memory => Setup {
            agent: agent.journal(MemoryJournal::new()),
            file: None,
        },
        _ => {
            let file = TempDb::new("turns");
            let journal = open_sqlite(&file.0, store);
            Setup {
                agent: agent.journal(journal),
                file: Some(file),
            }
        }
    }
}

/// One run of the agent under a new id, to its answer.
fn run_once(runtime: &Runtime, agent: &Agent) -> tool_runtime::agent::RunOutput {
    let run = agent.run(PROMPT).with_run_id(next_run_id());
    runtime
        .block_on(run.into_future())
        .expect("the run answers")
}

/// Runs `turns` turns of calls on an agent journaled in `journal`, and drops the run when its
/// model is asked for the answer: the journal then holds the run `CRASHED` as a crash leaves
/// it (every call's result recorded, no answer, not ended).
fn crash(runtime: &Runtime, journal: impl Journal + 'static, turns: usize) {
    let asked = Arc::new(Notify::new());
    let model = Canned {
        turns,
        asked: Some(Arc::clone(&asked)),
    };
    let agent = Agent::new(model, tools![add])
        .max_turns(turns + 1)
        .streaming(false)
        .journal(journal);
    runtime.block_on(async {
        let run = agent.run(PROMPT).with_run_id(CRASHED).into_future();
        tokio::select! {
            _ = run => panic!("the run was to wait for its model"),
            () = asked.notified() => {}
        }
    });
}

/// The crashed run of [`CRASHED_TURNS`] turns, kept to make copies of.
struct Crashed {
    /// Its entries, for a `MemoryJournal`.
    entries: Vec<Entry>,
    /// A SQLite file holding it (closed: its write-ahead log folded in).
    file: TempDb,
}

impl Crashed {
    fn new(runtime: &Runtime) -> Self {
        let memory = MemoryJournal::new();
        crash(runtime, memory.clone(), CRASHED_TURNS);
        let entries = runtime.block_on(memory.entries(CRASHED)).expect("entries");
        assert_eq!(entries.len(), 1 + CRASHED_TURNS * (2 * CALLS + 1));
        let file = TempDb::new("crashed");
        let journal = SqliteJournal::open(&file.0).expect("open");
        crash(runtime, journal.clone(), CRASHED_TURNS);
        let unfinished = runtime.block_on(journal.unfinished()).expect("unfinished");
        assert_eq!(unfinished, [CRASHED]);
        drop(journal);
        Self { entries, file }
    }

    /// A fresh copy of the crashed run in `store` (memory or SQLite in Process mode), with an
    /// agent whose model answers at once.
    fn copy(&self, runtime: &Runtime, store: Store) -> Setup {
        let agent = Agent::new(Canned::new(0), tools![add])
            .max_turns(CRASHED_TURNS + 1)
            .streaming(false);
        match store {
            Store::Memory => {
                let journal = MemoryJournal::new();
                runtime.block_on(async {
                    for entry in &self.entries {
                        journal
                            .append(CRASHED, std::slice::from_ref(entry))
                            .await
                            .expect("append");
                    }
                });
                Setup {
                    agent: agent.journal(journal),
                    file: None,
                }
            }
            _ => {
                let file = TempDb::new("copy");
                std::fs::copy(&self.file.0, &file.0).expect("copy the crashed journal");
                let journal = open_sqlite(&file.0, store);
                Setup {
                    agent: agent.journal(journal),
                    file: Some(file),
                }
            }
        }
    }
}

/// What is timed on a copy of the crashed run.
#[derive(Clone, Copy, PartialEq)]
enum Recovery {
    /// `agent.recover(CRASHED)`, to its answer.
    Recover,
    /// The baseline: a new run on the same agent, answered at once.
    FromScratch,
    /// `journal.entries(CRASHED)` alone.
    Read,
}

/// Times `what` on `copy` (the journal is read through `reader`, a handle on the same store).
fn time_recovery(
    runtime: &Runtime,
    copy: &Setup,
    reader: Option<&dyn Journal>,
    what: Recovery,
) -> Duration {
    let start = Instant::now();
    match what {
        Recovery::Recover => {
            let output = runtime
                .block_on(copy.agent.recover(CRASHED).into_future())
                .expect("recovered");
            let elapsed = start.elapsed();
            assert_eq!(output.turns, CRASHED_TURNS + 1);
            elapsed
        }
        Recovery::FromScratch => {
            black_box(run_once(runtime, &copy.agent));
            start.elapsed()
        }
        Recovery::Read => {
            let reader = reader.expect("a reader");
            let entries = runtime.block_on(reader.entries(CRASHED)).expect("entries");
            let elapsed = start.elapsed();
            assert_eq!(entries.len(), 1 + CRASHED_TURNS * (2 * CALLS + 1));
            elapsed
        }
    }
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// The journal's steps per turn in a run of `turns` turns of [`CALLS`] calls and the answer:
/// per turn, a `call_started` and a `call_finished` per call and the model's `answered`; per
/// run, `started`, the last `answered` and `ended`.
fn steps_per_turn(turns: usize) -> f64 {
    (turns * (2 * CALLS + 1) + 3) as f64 / turns as f64
}

/// A run of one turn of [`CALLS`] calls (and the answer), then of 10 such turns, in every
/// store: p50 per turn, interleaved round by round.
fn report_turns(runtime: &Runtime) {
    println!("a turn of {CALLS} parallel calls and the answer (p50 of 150 runs, 2 workers):");
    let mut baseline = Duration::ZERO;
    for (turns, rounds) in [(1, 150), (10, 40)] {
        let setups: Vec<Setup> = Store::ALL
            .into_iter()
            .map(|store| setup(store, turns))
            .collect();
        for setup in &setups {
            for _ in 0..5 {
                black_box(run_once(runtime, &setup.agent));
            }
        }
        let mut samples = vec![Vec::with_capacity(rounds); setups.len()];
        for _ in 0..rounds {
            for (setup, samples) in setups.iter().zip(&mut samples) {
                let start = Instant::now();
                black_box(run_once(runtime, &setup.agent));
                samples.push(start.elapsed() / turns as u32);
            }
        }
        if turns > 1 {
            println!("a run of {turns} such turns, per turn (p50 of {rounds} runs):");
        }
        for (store, samples) in Store::ALL.into_iter().zip(&mut samples) {
            let third = rounds / 3;
            let mut first: Vec<Duration> = samples[..third].to_vec();
            let mut last: Vec<Duration> = samples[rounds - third..].to_vec();
            let (first, last) = (median(&mut first), median(&mut last));
            let p50 = median(samples);
            let p90 = samples[samples.len() * 9 / 10];
            if store == Store::None {
                baseline = p50;
                println!(
                    "  {:<18} {:>8.3} ms p50 (p90 {:.3} ms)  (baseline)",
                    store.label(),
                    ms(p50),
                    ms(p90)
                );
                continue;
            }
            let growth = if store.is_sqlite() {
                format!(
                    "; first third of the rounds {:.3} ms, last {:.3} ms",
                    ms(first),
                    ms(last)
                )
            } else {
                String::new()
            };
            println!(
                "  {:<18} {:>8.3} ms p50 (p90 {:.3} ms) = {:.2} x, {:+.3} ms per turn \
                 ({:+.1} us per step){growth}",
                store.label(),
                ms(p50),
                ms(p90),
                p50.as_secs_f64() / baseline.as_secs_f64(),
                ms(p50) - ms(baseline),
                (ms(p50) - ms(baseline)) * 1e3 / steps_per_turn(turns),
            );
        }
    }
    println!("  (target: SQLite in Process mode within 1 ms of the baseline per turn)");
}

/// The bytes of a run's entries per turn, and the SQLite file's growth per run.
fn report_sizes(runtime: &Runtime) {
    println!("journal size:");
    let memory = MemoryJournal::new();
    let mut bytes = Vec::new();
    for turns in [1, 10] {
        let agent = Agent::new(Canned::new(turns), tools![add])
            .max_turns(turns + 1)
            .streaming(false)
            .journal(memory.clone());
        let output = run_once(runtime, &agent);
        let entries = runtime
            .block_on(memory.entries(&output.run_id))
            .expect("entries");
        let total: usize = entries.iter().map(|entry| entry.json().len()).sum();
        if turns == 1 {
            let of = |kind: &str| {
                let kinds: Vec<&Entry> = entries.iter().filter(|e| e.kind() == kind).collect();
                let sum: usize = kinds.iter().map(|e| e.json().len()).sum();
                format!("{kind} {}", sum / kinds.len().max(1))
            };
            println!(
                "  a run of one turn: {} entries, {total} bytes of JSON ({}, {}, {}, {}, {} bytes each)",
                entries.len(),
                of("started"),
                of("call_started"),
                of("call_finished"),
                of("answered"),
                of("ended"),
            );
        }
        bytes.push((turns, entries.len(), total));
    }
    let (t1, n1, b1) = bytes[0];
    let (t10, n10, b10) = bytes[1];
    println!(
        "  each further turn: {} entries, {} bytes of JSON",
        (n10 - n1) / (t10 - t1),
        (b10 - b1) / (t10 - t1)
    );

    const RUNS: usize = 100;
    let file = TempDb::new("size");
    let journal = SqliteJournal::open(&file.0).expect("open");
    let wal_empty = file_size(&file.side("-wal"));
    let agent = Agent::new(Canned::new(1), tools![add])
        .streaming(false)
        .journal(journal);
    black_box(run_once(runtime, &agent));
    let wal_one_run = file_size(&file.side("-wal")) - wal_empty;
    drop(agent);
    let empty = {
        let file = TempDb::new("empty");
        drop(SqliteJournal::open(&file.0).expect("open"));
        file_size(&file.0)
    };
    let journal = SqliteJournal::open(&file.0).expect("open");
    let agent = Agent::new(Canned::new(1), tools![add])
        .streaming(false)
        .journal(journal);
    for _ in 1..RUNS {
        black_box(run_once(runtime, &agent));
    }
    drop(agent);
    let grown = file_size(&file.0) - empty;
    println!(
        "  SQLite file, closed (checkpointed): {} bytes per one-turn run over {RUNS} runs \
         ({:.2} x its JSON); the write-ahead log takes {} bytes per step written ({} for a run)",
        grown / RUNS as u64,
        grown as f64 / RUNS as f64 / b1 as f64,
        wal_one_run / steps_per_turn(1) as u64,
        wal_one_run
    );
}

/// The crashed 100-turn run recovered, against one answer from scratch on the same agent, and
/// its entries read alone.
fn report_recovery(runtime: &Runtime) {
    const ROUNDS: usize = 30;
    let crashed = Crashed::new(runtime);
    println!(
        "recovery of a run of {CRASHED_TURNS} turns of {CALLS} calls, {} entries, {} bytes of \
         JSON, {} bytes of SQLite file (p50 of {ROUNDS}, each on a fresh copy):",
        crashed.entries.len(),
        crashed
            .entries
            .iter()
            .map(|entry| entry.json().len())
            .sum::<usize>(),
        file_size(&crashed.file.0)
    );
    for store in [Store::Memory, Store::Process] {
        let whats = [Recovery::FromScratch, Recovery::Recover, Recovery::Read];
        let mut samples = vec![Vec::with_capacity(ROUNDS); whats.len()];
        for round in 0..ROUNDS + 3 {
            for (what, samples) in whats.iter().zip(&mut samples) {
                let copy = crashed.copy(runtime, store);
                let reader: Option<Box<dyn Journal>> = match (what, &copy.file) {
                    (Recovery::Read, Some(file)) => {
                        Some(Box::new(SqliteJournal::open(&file.0).expect("open")))
                    }
                    (Recovery::Read, None) => {
                        let journal = MemoryJournal::new();
                        runtime.block_on(async {
                            for entry in &crashed.entries {
                                journal
                                    .append(CRASHED, std::slice::from_ref(entry))
                                    .await
                                    .expect("append");
                            }
                        });
                        Some(Box::new(journal))
                    }
                    _ => None,
                };
                let time = time_recovery(runtime, &copy, reader.as_deref(), *what);
                if round >= 3 {
                    samples.push(time);
                }
                drop(reader);
                drop(copy);
            }
        }
        let scratch = median(&mut samples[0]);
        let recover = median(&mut samples[1]);
        let read = median(&mut samples[2]);
        println!(
            "  {:<16} recover {:>8.3} ms = {:.1} x one answer from scratch ({:.3} ms); \
             reading the entries {:.3} ms, the rest (replay) ~{:.3} ms",
            store.label(),
            ms(recover),
            recover.as_secs_f64() / scratch.as_secs_f64(),
            ms(scratch),
            ms(read),
            ms(recover.saturating_sub(scratch).saturating_sub(read)),
        );
    }
}

fn main() {
    divan::main();
    let runtime = runtime();
    println!();
    println!("summary (measured again, the stores interleaved round by round):");
    report_turns(&runtime);
    report_sizes(&runtime);
    report_recovery(&runtime);
}

/// A run of one turn of [`CALLS`] calls and the answer, in each store.
mod turn_of_10_calls {
    use super::{Store, run_once, runtime, setup};

    fn bench(bencher: divan::Bencher<'_, '_>, store: Store) {
        let runtime = runtime();
        let setup = setup(store, 1);
        bencher.bench_local(|| run_once(&runtime, &setup.agent));
    }

    #[divan::bench]
    fn no_journal_baseline(bencher: divan::Bencher<'_, '_>) {
        bench(bencher, Store::None);
    }

    #[divan::bench]
    fn memory(bencher: divan::Bencher<'_, '_>) {
        bench(bencher, Store::Memory);
    }

    #[divan::bench]
    fn sqlite_process(bencher: divan::Bencher<'_, '_>) {
        bench(bencher, Store::Process);
    }

    #[divan::bench(sample_count = 50)]
    fn sqlite_power_loss(bencher: divan::Bencher<'_, '_>) {
        bench(bencher, Store::PowerLoss);
    }
}

/// The crashed run of 100 turns recovered, each time on a fresh copy; the baseline is one
/// answer from scratch on the same agent, on a fresh copy too.
mod recover_100_turns {
    use std::future::IntoFuture;

    use super::{Crashed, Store, runtime};

    fn bench(bencher: divan::Bencher<'_, '_>, store: Store, recover: bool) {
        let runtime = runtime();
        let crashed = Crashed::new(&runtime);
        bencher
            .with_inputs(|| crashed.copy(&runtime, store))
            .bench_local_values(|copy| {
                let output = if recover {
                    runtime.block_on(copy.agent.recover(super::CRASHED).into_future())
                } else {
                    runtime.block_on(copy.agent.run(super::PROMPT).into_future())
                };
                (output.expect("answers"), copy)
            });
    }

    #[divan::bench(sample_count = 50, sample_size = 1)]
    fn memory_from_scratch_baseline(bencher: divan::Bencher<'_, '_>) {
        bench(bencher, Store::Memory, false);
    }

    #[divan::bench(sample_count = 50, sample_size = 1)]
    fn memory(bencher: divan::Bencher<'_, '_>) {
        bench(bencher, Store::Memory, true);
    }

    #[divan::bench(sample_count = 50, sample_size = 1)]
    fn sqlite_process_from_scratch_baseline(bencher: divan::Bencher<'_, '_>) {
        bench(bencher, Store::Process, false);
    }

    #[divan::bench(sample_count = 50, sample_size = 1)]
    fn sqlite_process(bencher: divan::Bencher<'_, '_>) {
        bench(bencher, Store::Process, true);
    }
}
