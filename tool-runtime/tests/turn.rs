//! The fan-out: concurrency, order, isolation, timeouts, sequential tools, cancellation, and
//! exactly one result per call id. Deterministic: tokio's paused clock, channels and counters.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use support::CapturedLogs;
use tool_runtime::conversation::ToolCall;
use tool_runtime::tool::{
    Arguments, Tool, ToolDefinition, ToolError, ToolFuture, ToolOutput, ToolPolicy,
};
use tool_runtime::turn::complete_turn;
use tool_runtime::{CallContext, Toolbox, tool, tools};
use tracing_subscriber::fmt::format::FmtSpan;

/// Sleep for `ms` milliseconds, then answer with the number.
#[tool]
async fn sleepy(ms: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ms
}

/// Always panics.
#[tool]
async fn explode() -> String {
    panic!("kaboom: secret internals")
}

/// Always fails.
#[tool]
fn refuse(reason: String) -> Result<String, String> {
    Err(reason)
}

/// Never finishes in time.
#[tool(timeout = "1s")]
async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    "done"
}

/// Proves it runs on the blocking pool: `Handle::block_on` panics on an async worker thread.
#[tool]
fn blocking_probe() -> u8 {
    tokio::runtime::Handle::current().block_on(async { 7 })
}

/// A percentage whose `Deserialize` panics on bad input (a bug in user code).
#[derive(Debug, schemars::JsonSchema)]
struct Percent(u8);

impl<'de> serde::Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = u8::deserialize(deserializer)?;
        assert!(value <= 100, "percent out of range");
        Ok(Percent(value))
    }
}

/// Set the volume.
#[tool]
async fn set_volume(level: Percent) -> u8 {
    level.0
}

/// Write a record; slow, synchronous, with side effects that must stay in order.
#[tool(sequential, timeout = "50ms")]
fn write_record(tag: String) -> String {
    LOG.lock().unwrap().push(format!("start {tag}"));
    std::thread::sleep(Duration::from_millis(if tag == "first" { 300 } else { 1 }));
    LOG.lock().unwrap().push(format!("end {tag}"));
    tag
}

static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn call(id: &str, name: &str, args: &str) -> ToolCall {
    ToolCall::new(id, name, args)
}

/// A hand-written tool that records concurrency and order, for the cap and sequential tests.
struct Probe {
    definition: ToolDefinition,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Probe {
    fn new(name: &'static str, sequential: bool) -> Self {
        Self {
            definition: ToolDefinition::new(
                name,
                "Record the call.",
                serde_json::json!({"type": "object", "properties": {"tag": {"type": "string"}}}),
            )
            .with_policy(ToolPolicy::new().with_sequential(sequential)),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
            log: Arc::default(),
        }
    }

    fn sharing(name: &'static str, sequential: bool, other: &Probe) -> Self {
        let mut probe = Self::new(name, sequential);
        probe.in_flight = other.in_flight.clone();
        probe.max_in_flight = other.max_in_flight.clone();
        probe.log = other.log.clone();
        probe
    }
}

impl Tool for Probe {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    fn call(&self, args: &Arguments, _ctx: &CallContext) -> ToolFuture {
        let tag = args.to_value().unwrap()["tag"].as_str().unwrap().to_owned();
        let (in_flight, max, log) = (
            self.in_flight.clone(),
            self.max_in_flight.clone(),
            self.log.clone(),
        );
        ToolFuture::new(async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(now, Ordering::SeqCst);
            log.lock().unwrap().push(format!("start {tag}"));
            // Later tags finish sooner, so any reordering would show.
            let wait = 100
                - tag
                    .trim_start_matches(char::is_alphabetic)
                    .parse::<u64>()
                    .unwrap();
            tokio::time::sleep(Duration::from_millis(wait)).await;
            log.lock().unwrap().push(format!("end {tag}"));
            in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok(ToolOutput::text(tag))
        })
    }
}

#[tokio::test(start_paused = true)]
async fn reverse_latency_calls_come_back_in_call_order() {
    let toolbox = tools![sleepy];
    let calls: Vec<ToolCall> = (0..10)
        .map(|i| {
            call(
                &format!("c{i}"),
                "sleepy",
                &format!(r#"{{"ms": {}}}"#, (10 - i) * 100),
            )
        })
        .collect();
    let started = tokio::time::Instant::now();
    let results = toolbox.run(&calls).await;
    // Concurrent: the turn takes as long as the slowest call, not the sum.
    assert_eq!(started.elapsed(), Duration::from_millis(1000));
    let ids: Vec<&str> = results.iter().map(|r| r.call_id.as_str()).collect();
    assert_eq!(
        ids,
        ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]
    );
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result.content(), ((10 - i) * 100).to_string());
    }
}

#[tokio::test(start_paused = true)]
async fn the_concurrency_cap_is_never_exceeded() {
    let probe = Probe::new("probe", false);
    let max = probe.max_in_flight.clone();
    let toolbox = Toolbox::new().with(probe).with_max_concurrency(3);
    let calls: Vec<ToolCall> = (0..20)
        .map(|i| call(&format!("c{i}"), "probe", &format!(r#"{{"tag": "t{i}"}}"#)))
        .collect();
    let results = toolbox.run(&calls).await;
    assert_eq!(results.len(), 20);
    assert!(results.iter().all(|r| !r.is_error()));
    assert_eq!(max.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn without_a_cap_everything_runs_at_once() {
    let probe = Probe::new("probe", false);
    let max = probe.max_in_flight.clone();
    let toolbox = Toolbox::new().with(probe);
    let calls: Vec<ToolCall> = (0..50)
        .map(|i| call(&format!("c{i}"), "probe", &format!(r#"{{"tag": "t{i}"}}"#)))
        .collect();
    toolbox.run(&calls).await;
    assert_eq!(max.load(Ordering::SeqCst), 50);
}

#[tokio::test(start_paused = true)]
async fn every_failure_is_isolated_and_worded_for_the_model() {
    let toolbox = tools![sleepy, explode, refuse, slow];
    let calls = [
        call("ok", "sleepy", r#"{"ms": 5}"#),
        call("panic", "explode", "{}"),
        call("timeout", "slow", "{}"),
        call("decode", "sleepy", r#"{"ms": "soon"}"#),
        call("unknown", "teleport", "{}"),
        call("err", "refuse", r#"{"reason": "not today"}"#),
        call("ok2", "sleepy", r#"{"ms": 1}"#),
    ];
    let results = toolbox.run(&calls).await;
    let got: Vec<(&str, bool, String)> = results
        .iter()
        .map(|r| (r.call_id.as_str(), r.is_error(), r.content().into_owned()))
        .collect();
    assert_eq!(
        got,
        [
            ("ok", false, "5".to_owned()),
            (
                "panic",
                true,
                "The tool `explode` failed with an internal error.".to_owned()
            ),
            ("timeout", true, "Timed out after 1s".to_owned()),
            (
                "decode",
                true,
                "Invalid arguments for tool `sleepy`:\n- `ms`: invalid type: string \"soon\", \
                 expected u64\nFix the arguments and call the tool again."
                    .to_owned()
            ),
            (
                "unknown",
                true,
                "Unknown tool `teleport`. Available tools: sleepy, explode, refuse, slow."
                    .to_owned()
            ),
            ("err", true, "not today".to_owned()),
            ("ok2", false, "1".to_owned()),
        ]
    );
    // The panic payload is not shown to the model.
    assert!(!results[1].content().contains("kaboom"));
    assert!(matches!(results[2].outcome, Err(ToolError::TimedOut(_))));
}

#[tokio::test]
async fn a_panic_while_decoding_is_that_calls_error_only() {
    let toolbox = tools![set_volume];
    let results = toolbox
        .run(&[
            call("a", "set_volume", r#"{"level": 30}"#),
            call("b", "set_volume", r#"{"level": 200}"#),
            call("c", "set_volume", r#"{"level": 70}"#),
        ])
        .await;
    let got: Vec<String> = results.iter().map(|r| r.content().into_owned()).collect();
    assert_eq!(
        got,
        [
            "30",
            "The tool `set_volume` failed with an internal error.",
            "70"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_sync_call_keeps_its_place_in_the_sequential_chain() {
    let toolbox = tools![write_record];
    let results = toolbox
        .run(&[
            call("a", "write_record", r#"{"tag": "first"}"#),
            call("b", "write_record", r#"{"tag": "second"}"#),
        ])
        .await;
    assert_eq!(results[0].content(), "Timed out after 50ms");
    assert_eq!(results[1].content(), "second");
    // The first body ran to its end before the second began, timeout or not.
    assert_eq!(
        *LOG.lock().unwrap(),
        ["start first", "end first", "start second", "end second"]
    );
}

#[tokio::test(start_paused = true)]
async fn the_toolbox_default_timeout_applies_to_tools_without_their_own() {
    let toolbox = tools![sleepy, slow].with_default_timeout(Duration::from_millis(50));
    let results = toolbox
        .run(&[
            call("a", "sleepy", r#"{"ms": 10}"#),
            call("b", "sleepy", r#"{"ms": 60000}"#),
            call("c", "slow", "{}"),
        ])
        .await;
    assert_eq!(results[0].content(), "10");
    assert_eq!(results[1].content(), "Timed out after 50ms");
    // A tool's own timeout wins over the toolbox's.
    assert_eq!(results[2].content(), "Timed out after 1s");
}

#[tokio::test(start_paused = true)]
async fn sequential_tools_keep_their_order_and_never_overlap() {
    let parallel = Probe::new("parallel", false);
    let sequential = Probe::new("sequential", true);
    let seq_log = sequential.log.clone();
    let seq_max = sequential.max_in_flight.clone();
    let toolbox = Toolbox::new().with(parallel).with(sequential);
    let mut calls = Vec::new();
    for i in 0..6 {
        calls.push(call(
            &format!("s{i}"),
            "sequential",
            &format!(r#"{{"tag": "s{i}"}}"#),
        ));
        calls.push(call(
            &format!("p{i}"),
            "parallel",
            &format!(r#"{{"tag": "p{i}"}}"#),
        ));
    }
    let started = tokio::time::Instant::now();
    let results = toolbox.run(&calls).await;
    assert!(results.iter().all(|r| !r.is_error()));
    assert_eq!(
        seq_max.load(Ordering::SeqCst),
        1,
        "sequential calls overlapped"
    );
    let log = seq_log.lock().unwrap().clone();
    let expected: Vec<String> = (0..6)
        .flat_map(|i| [format!("start s{i}"), format!("end s{i}")])
        .collect();
    assert_eq!(log, expected);
    // The chain takes the sum of its calls (100+99+…+95 ms); the parallel calls ran beside it.
    assert_eq!(
        started.elapsed(),
        Duration::from_millis(100 + 99 + 98 + 97 + 96 + 95)
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_sequential_call_does_not_block_the_chain() {
    let first = Probe::new("first", true);
    let log = first.log.clone();
    let second = Probe::sharing("second", true, &first);
    let toolbox = Toolbox::new().with(first).with(second);
    let results = toolbox
        .run(&[
            call("a", "first", r#"{"tag": "a1"}"#),
            call("b", "second", r#"{"tag": "b2"}"#),
        ])
        .await;
    assert_eq!(results[1].content(), "b2");
    assert_eq!(
        *log.lock().unwrap(),
        ["start a1", "end a1", "start b2", "end b2"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_tools_run_off_the_async_workers() {
    let toolbox = tools![blocking_probe];
    let results = toolbox.run(&[call("a", "blocking_probe", "")]).await;
    assert_eq!(results[0].content(), "7");
    // Also when the call is awaited on the thread that drives the runtime, not a worker.
    let output = toolbox
        .call(
            "blocking_probe",
            &Arguments::from(""),
            &CallContext::new("b"),
        )
        .await;
    assert_eq!(output.unwrap().as_str(), "7");
}

/// A signal a sync tool blocks on, handed over by its test.
type Signal = Mutex<Option<std::sync::mpsc::Receiver<()>>>;

/// Blocks on the signal; whether it came within ten seconds.
fn wait_for(signal: &Signal) -> bool {
    let receiver = signal.lock().unwrap().take().expect("a signal");
    receiver.recv_timeout(Duration::from_secs(10)).is_ok()
}

/// What `await_tick` waits for: a sign from a task that shares its worker.
static TICKS: Signal = Mutex::new(None);

/// Blocks until another task has run.
#[tool]
fn await_tick() -> &'static str {
    if wait_for(&TICKS) {
        "ticked"
    } else {
        "stuck: the worker's other tasks could not run"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_sync_tool_leaves_its_worker_to_the_other_tasks() {
    let (tick, ticks) = std::sync::mpsc::channel();
    *TICKS.lock().unwrap() = Some(ticks);
    // On the one worker, beside the tool's task.
    let ticker = tokio::spawn(async move {
        tokio::task::yield_now().await;
        tick.send(()).unwrap();
    });
    let results = tools![await_tick].run(&[call("a", "await_tick", "")]).await;
    assert_eq!(results[0].content(), "ticked");
    ticker.await.unwrap();
}

/// What `hold_gate` waits for.
static GATE: Signal = Mutex::new(None);

/// Blocks until the test opens the gate.
#[tool(timeout = "50ms")]
fn hold_gate() -> &'static str {
    if wait_for(&GATE) {
        "released"
    } else {
        "never released"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_limit_fires_while_a_sync_body_still_runs() {
    let (open, gate) = std::sync::mpsc::channel();
    *GATE.lock().unwrap() = Some(gate);
    let results = tools![hold_gate].run(&[call("a", "hold_gate", "")]).await;
    // The result is in while the body is still blocked at the gate.
    assert_eq!(results[0].content(), "Timed out after 50ms");
    open.send(()).unwrap();
}

/// Counts how many of its futures were dropped, finished or not.
struct DropCounter {
    definition: ToolDefinition,
    started: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
    finished: Arc<AtomicUsize>,
}

struct OnDrop(Arc<AtomicUsize>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Tool for DropCounter {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    fn call(&self, _args: &Arguments, _ctx: &CallContext) -> ToolFuture {
        let (started, dropped, finished) = (
            self.started.clone(),
            self.dropped.clone(),
            self.finished.clone(),
        );
        ToolFuture::new(async move {
            let _guard = OnDrop(dropped);
            started.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(10)).await;
            finished.fetch_add(1, Ordering::SeqCst);
            Ok(ToolOutput::text("finished"))
        })
    }
}

#[tokio::test(start_paused = true)]
async fn dropping_the_turn_aborts_every_running_call() {
    let counter = DropCounter {
        definition: ToolDefinition::new(
            "wait",
            "Wait ten seconds.",
            serde_json::json!({"type": "object"}),
        ),
        started: Arc::default(),
        dropped: Arc::default(),
        finished: Arc::default(),
    };
    let (started, dropped, finished) = (
        counter.started.clone(),
        counter.dropped.clone(),
        counter.finished.clone(),
    );
    let toolbox = Toolbox::new().with(counter);
    let calls: Vec<ToolCall> = (0..5)
        .map(|i| call(&format!("c{i}"), "wait", "{}"))
        .collect();

    // Interrupt the turn after one second, keeping what arrived before.
    let mut turn = toolbox.turn();
    for call in &calls {
        turn.start(call);
    }
    let mut arrived = Vec::new();
    let interrupted = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some((index, result)) = turn.next().await {
            arrived.push((index, result.clone()));
        }
    })
    .await;
    assert!(interrupted.is_err());
    assert_eq!(started.load(Ordering::SeqCst), 5);
    drop(turn);

    // Let the runtime process the aborts, then let far more than ten seconds pass.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        5,
        "every call future was dropped"
    );
    assert_eq!(finished.load(Ordering::SeqCst), 0, "no call kept running");

    // The interrupted turn is completed with `Cancelled` answers, one per call id.
    let results = complete_turn(&calls, arrived);
    assert_eq!(results.len(), 5);
    assert!(
        results
            .iter()
            .all(|r| r.content() == "Cancelled" && r.is_error())
    );
    let ids: Vec<&str> = results.iter().map(|r| r.call_id.as_str()).collect();
    assert_eq!(ids, ["c0", "c1", "c2", "c3", "c4"]);
}

#[tokio::test(start_paused = true)]
async fn complete_turn_keeps_the_results_that_arrived() {
    let toolbox = tools![sleepy];
    let calls = [
        call("fast", "sleepy", r#"{"ms": 1}"#),
        call("slow", "sleepy", r#"{"ms": 100000}"#),
    ];
    let mut turn = toolbox.turn();
    for call in &calls {
        turn.start(call);
    }
    let mut arrived = Vec::new();
    let _ = tokio::time::timeout(Duration::from_millis(10), async {
        while let Some((index, result)) = turn.next().await {
            arrived.push((index, result.clone()));
        }
    })
    .await;
    drop(turn);
    let results = complete_turn(&calls, arrived);
    assert_eq!(results[0].content(), "1");
    assert_eq!(results[1].content(), "Cancelled");
}

#[tokio::test(start_paused = true)]
async fn the_same_call_id_twice_is_answered_twice() {
    let toolbox = tools![sleepy];
    let results = toolbox
        .run(&[
            call("dup", "sleepy", r#"{"ms": 2}"#),
            call("dup", "sleepy", r#"{"ms": 1}"#),
        ])
        .await;
    let got: Vec<(String, String)> = results
        .iter()
        .map(|r| (r.call_id.clone(), r.content().into_owned()))
        .collect();
    assert_eq!(
        got,
        [("dup".into(), "2".into()), ("dup".into(), "1".into())]
    );
}

#[tokio::test]
async fn an_empty_turn_has_no_results() {
    assert!(tools![sleepy].run(&[]).await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn ten_thousand_calls_in_one_turn() {
    let toolbox = tools![sleepy].with_max_concurrency(1000);
    let calls: Vec<ToolCall> = (0..10_000)
        .map(|i| {
            call(
                &format!("c{i}"),
                "sleepy",
                &format!(r#"{{"ms": {}}}"#, i % 7),
            )
        })
        .collect();
    let results = toolbox.run(&calls).await;
    assert_eq!(results.len(), 10_000);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result.call_id, format!("c{i}"));
        assert_eq!(result.content(), (i % 7).to_string());
    }
}

#[tokio::test(start_paused = true)]
async fn events_report_every_start_and_finish() {
    let toolbox = tools![sleepy];
    let calls = [
        call("a", "sleepy", r#"{"ms": 20}"#),
        call("b", "nope", "{}"),
        call("c", "sleepy", r#"{"ms": 10}"#),
    ];
    let mut events = Vec::new();
    let mut turn = toolbox.turn();
    for call in &calls {
        let index = turn.start(call);
        events.push(format!("start {index}"));
        // What finished at once is reported before the next call starts.
        while let Some((index, result)) = turn.try_next() {
            events.push(format!("finish {index} after {:?}", result.duration));
        }
    }
    while let Some((index, result)) = turn.next().await {
        events.push(format!("finish {index} after {:?}", result.duration));
    }
    assert_eq!(
        events,
        [
            "start 0",
            "start 1",
            "finish 1 after 0ns",
            "start 2",
            "finish 2 after 10ms",
            "finish 0 after 20ms",
        ]
    );
}

#[derive(Debug, Clone)]
enum Kind {
    Good(u64),
    BadArgs(String),
    Unknown,
    Fails,
    Panics,
    TimesOut,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        (0u64..50).prop_map(Kind::Good),
        any::<String>().prop_map(Kind::BadArgs),
        Just(Kind::Unknown),
        Just(Kind::Fails),
        Just(Kind::Panics),
        Just(Kind::TimesOut),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_id_in_gets_exactly_one_result_out(kinds in proptest::collection::vec(kind(), 0..40), cap in 1usize..8) {
        let toolbox = tools![sleepy, explode, refuse, slow].with_max_concurrency(cap);
        let calls: Vec<ToolCall> = kinds
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                let id = format!("id{i}");
                match kind {
                    Kind::Good(ms) => call(&id, "sleepy", &format!(r#"{{"ms": {ms}}}"#)),
                    Kind::BadArgs(text) => call(&id, "sleepy", text),
                    Kind::Unknown => call(&id, "nope", "{}"),
                    Kind::Fails => call(&id, "refuse", r#"{"reason": "no"}"#),
                    Kind::Panics => call(&id, "explode", ""),
                    Kind::TimesOut => call(&id, "slow", ""),
                }
            })
            .collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let results = runtime.block_on(toolbox.run(&calls));
        prop_assert_eq!(results.len(), calls.len());
        for ((result, call), kind) in results.iter().zip(&calls).zip(&kinds) {
            prop_assert_eq!(&result.call_id, &call.id);
            match kind {
                Kind::Good(ms) => prop_assert_eq!(result.content(), ms.to_string()),
                Kind::BadArgs(_) => prop_assert!(result.is_error() || result.content().parse::<u64>().is_ok()),
                _ => prop_assert!(result.is_error()),
            }
        }
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn every_call_has_a_tracing_span_with_its_outcome() {
    let captured = CapturedLogs::start(tracing::Level::DEBUG, FmtSpan::CLOSE);

    let toolbox = tools![sleepy, refuse];
    toolbox
        .run(&[
            call("c1", "sleepy", r#"{"ms": 7}"#),
            call("c2", "refuse", r#"{"reason": "no"}"#),
        ])
        .await;
    let logs = captured.text();
    let closed: Vec<&str> = logs.lines().filter(|line| line.contains("close")).collect();
    assert_eq!(closed.len(), 2, "{logs}");
    let sleepy = closed
        .iter()
        .find(|line| line.contains("call_id=c1"))
        .unwrap();
    assert!(
        sleepy.contains("tool_call{tool=sleepy call_id=c1 duration_us=7000 outcome=\"ok\"}"),
        "{sleepy}"
    );
    let refuse = closed
        .iter()
        .find(|line| line.contains("call_id=c2"))
        .unwrap();
    assert!(
        refuse.contains("tool=refuse") && refuse.contains("outcome=\"failed\""),
        "{refuse}"
    );
}

#[tokio::test(start_paused = true)]
async fn cancelling_a_turn_keeps_what_arrived_and_answers_the_rest() {
    let toolbox = tools![sleepy];
    let mut turn = toolbox.turn();
    turn.start(&call("fast", "sleepy", r#"{"ms": 1}"#));
    turn.start(&call("slow", "sleepy", r#"{"ms": 100000}"#));
    turn.start(&call("unknown", "nope", "{}"));
    turn.start(&call("done", "sleepy", r#"{"ms": 2}"#));
    assert_eq!(turn.len(), 4);
    // The unknown tool is answered at once; the fast call is seen; the third finishes unseen.
    assert_eq!(turn.next().await.map(|(index, _)| index), Some(2));
    assert_eq!(turn.next().await.map(|(index, _)| index), Some(0));
    tokio::time::sleep(Duration::from_millis(10)).await;
    let results = turn.cancel();
    let got: Vec<(String, String)> = results
        .iter()
        .map(|r| (r.call_id.clone(), r.content().into_owned()))
        .collect();
    assert_eq!(
        got,
        [
            ("fast".into(), "1".into()),
            ("slow".into(), "Cancelled".into()),
            (
                "unknown".into(),
                "Unknown tool `nope`. Available tools: sleepy.".into()
            ),
            ("done".into(), "2".into()),
        ]
    );
}
