//! What a synchronous `#[tool] fn` costs, against the same tool written `async`, in the same run.
//!
//! `cargo bench --bench sync_tools` prints the time of a whole one-call turn for both (the turn
//! hands a sync body to tokio's blocking pool at once: one thread hop, as an async call's task
//! makes one), then of a turn of 1,000 calls (where the blocking pool must take them all), then
//! of one call awaited directly inside a worker task, where the async call runs
//! in place and the sync one still has to leave the worker.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tool_runtime::conversation::ToolCall;
use tool_runtime::tool::Arguments;
use tool_runtime::{CallContext, Toolbox, tool, tools};

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Add two numbers, synchronously.
#[tool]
fn add_sync(a: i64, b: i64) -> i64 {
    a + b
}

/// Add two numbers, synchronously, within a time limit.
#[tool(timeout = "10s")]
fn add_sync_limited(a: i64, b: i64) -> i64 {
    a + b
}

const ARGS: &str = r#"{"a": 40, "b": 2}"#;
const CALLS: u32 = 20_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// One call awaited inside a worker task: the best of 5 rounds, per call.
fn call_in_a_worker(
    runtime: &tokio::runtime::Runtime,
    toolbox: &Toolbox,
    name: &'static str,
) -> Duration {
    (0..5)
        .map(|_| {
            let toolbox = toolbox.clone();
            runtime
                .block_on(runtime.spawn(async move {
                    let arguments = Arguments::from(ARGS);
                    // As a turn makes it: with the tool's name.
                    let context = CallContext::new("call_1").with_tool(name);
                    let start = Instant::now();
                    for _ in 0..CALLS {
                        black_box(toolbox.call(name, &arguments, &context).await.expect("ok"));
                    }
                    start.elapsed() / CALLS
                }))
                .expect("task")
        })
        .min()
        .expect("rounds")
}

/// How many calls the wide turn has.
const WIDE: usize = 1_000;

/// A turn of [`WIDE`] calls, run from the runtime's own thread: the median of 21 rounds, per
/// call.
fn wide_turn(runtime: &tokio::runtime::Runtime, toolbox: &Toolbox, name: &str) -> Duration {
    let calls: Vec<ToolCall> = (0..WIDE)
        .map(|i| ToolCall::new(format!("call_{i}"), name, ARGS))
        .collect();
    let mut rounds: Vec<Duration> = (0..21)
        .map(|_| {
            let start = Instant::now();
            black_box(runtime.block_on(toolbox.run(&calls)));
            start.elapsed() / WIDE as u32
        })
        .collect();
    rounds.sort();
    rounds[rounds.len() / 2]
}

/// A turn of one call, run from the runtime's own thread: the best of 5 rounds, per turn.
fn one_call_turn(runtime: &tokio::runtime::Runtime, toolbox: &Toolbox, name: &str) -> Duration {
    let calls = [ToolCall::new("call_1", name, ARGS)];
    (0..5)
        .map(|_| {
            let start = Instant::now();
            runtime.block_on(async {
                for _ in 0..CALLS {
                    black_box(toolbox.run(&calls).await);
                }
            });
            start.elapsed() / CALLS
        })
        .min()
        .expect("rounds")
}

fn main() {
    let runtime = runtime();
    let asynchronous = tools![add];
    let synchronous = tools![add_sync];
    let limited = tools![add_sync_limited];
    let a = one_call_turn(&runtime, &asynchronous, "add");
    let s = one_call_turn(&runtime, &synchronous, "add_sync");
    let l = one_call_turn(&runtime, &limited, "add_sync_limited");
    println!("a turn of one call, run from the runtime's own thread (2 workers):");
    println!("  async tool              {a:>10.2?}  (baseline)");
    let ratio = |t: Duration| t.as_secs_f64() / a.as_secs_f64();
    println!("  sync tool               {s:>10.2?}  = {:.2} x", ratio(s));
    println!(
        "  sync tool, time limit   {l:>10.2?}  = {:.2} x (an async task watches the limit)",
        ratio(l)
    );
    let a = wide_turn(&runtime, &asynchronous, "add");
    let s = wide_turn(&runtime, &synchronous, "add_sync");
    println!("a turn of {WIDE} calls, per call (2 workers):");
    println!("  async tool              {a:>10.2?}  (baseline)");
    println!(
        "  sync tool               {s:>10.2?}  = {:.2} x",
        s.as_secs_f64() / a.as_secs_f64()
    );
    let a = call_in_a_worker(&runtime, &asynchronous, "add");
    let s = call_in_a_worker(&runtime, &synchronous, "add_sync");
    println!("one call awaited directly inside a worker task:");
    println!("  async tool              {a:>10.2?}  (baseline: runs in place)");
    println!("  sync tool               {s:>10.2?}  (one hop to the blocking pool and back)");
}
