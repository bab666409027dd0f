//! Fan-out benchmarks, printed as ratios against baselines measured in the same run.
//!
//! `cargo bench --bench fanout` first prints the three headline ratios, then divan's table for the
//! micro-benchmarks behind them.
//!
//! - fan-out efficiency: 100 calls that each sleep 100 ms; wall time ÷ 100 ms (1.0 is the
//!   physical limit), beside the sequential baseline (each call awaited in turn).
//! - per-call overhead: 10,000 no-op calls in one turn; time per call.
//! - dispatch overhead: one small call decoded, run and turned into the text the model reads,
//!   through the toolbox with a fresh `CallContext` (every real call has one of its own), against
//!   `serde_json::from_str::<Args>` plus a direct call plus `serde_json::to_string` of its
//!   result; and the same with one context made once and lent to every call, with extractor
//!   parameters (`State`, `CallContext`), and with bounds the schema states (validated first).
//! - toolbox clones: cloning a toolbox of 100 tools against one of 1 (clones share the tools).

use std::hint::black_box;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tool_runtime::conversation::ToolCall;
use tool_runtime::tool::{Arguments, FnTool};
use tool_runtime::{CallContext, State, Toolbox, tool, tools};

/// Sleep 100 ms, like a network call.
#[tool]
async fn fetch(id: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(100)).await;
    id
}

/// Do nothing.
#[tool]
async fn noop() {}

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// A number within bounds only the schema states: validated before the tool runs.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
struct Bounded(#[schemars(range(min = -1_000_000, max = 1_000_000))] i64);

/// Add two numbers within bounds.
#[tool]
async fn add_bounded(a: Bounded, b: Bounded) -> i64 {
    a.0 + b.0
}

/// Add two numbers, then the toolbox's offset; the call id is read.
#[tool]
async fn add_with_state(a: i64, b: i64, offset: State<i64>, ctx: CallContext) -> i64 {
    black_box(ctx.call_id());
    a + b + *offset
}

#[derive(Deserialize)]
struct AddArgs {
    a: i64,
    b: i64,
}

const ADD_ARGS: &str = r#"{"a": 40, "b": 2}"#;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn fetch_calls(n: u32) -> Vec<ToolCall> {
    (0..n)
        .map(|i| ToolCall::new(format!("call_{i}"), "fetch", format!(r#"{{"id": {i}}}"#)))
        .collect()
}

fn noop_calls(n: usize) -> Vec<ToolCall> {
    (0..n)
        .map(|i| ToolCall::new(format!("call_{i}"), "noop", ""))
        .collect()
}

/// Polls a future that completes without waiting (every call here does) once, without a runtime.
fn poll_ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future was expected to be ready at once"),
    }
}

/// Decode, call and output text through the toolbox, the call with a context of its own, as every
/// real call has (a turn makes one per call).
fn dispatch_with_a_fresh_context<S>(toolbox: &Toolbox<S>, tool: &str, args: &Arguments) -> String {
    let context = CallContext::new("call_1");
    let future = toolbox.call(tool, args, &context);
    poll_ready(future).expect("ok").into_string()
}

/// Decode, call and output text through the toolbox, `context` lent to the call.
fn dispatch_through_toolbox<S>(
    toolbox: &Toolbox<S>,
    tool: &str,
    args: &Arguments,
    context: &CallContext,
) -> String {
    let future = toolbox.call(tool, args, context);
    poll_ready(future).expect("ok").into_string()
}

/// The floor: derived `Deserialize`, a direct call, and the result as JSON text.
fn dispatch_by_hand(args: &str) -> String {
    let parsed: AddArgs = serde_json::from_str(args).expect("valid");
    serde_json::to_string(&poll_ready(add(parsed.a, parsed.b))).expect("serializes")
}

/// The best of `rounds` timings of `f`, each over `iterations` runs, per run.
fn best_per_run(rounds: usize, iterations: u32, mut f: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed() / iterations
        })
        .min()
        .expect("at least one round")
}

fn report_ratios() {
    let rt = runtime();

    // Fan-out efficiency.
    let toolbox = tools![fetch];
    let calls = fetch_calls(100);
    let concurrent = (0..3)
        .map(|_| {
            let start = Instant::now();
            let results = rt.block_on(toolbox.run(&calls));
            assert!(results.iter().all(|r| !r.is_error()));
            start.elapsed()
        })
        .min()
        .expect("rounds");
    let start = Instant::now();
    rt.block_on(async {
        for i in 0..100 {
            black_box(fetch(i).await);
        }
    });
    let sequential = start.elapsed();
    let latency = Duration::from_millis(100);
    println!("fan-out efficiency (100 calls x 100 ms):");
    println!(
        "  concurrent turn  {concurrent:>10.1?}  = {:.3} x 100 ms (target <= 1.05)",
        concurrent.as_secs_f64() / latency.as_secs_f64()
    );
    println!(
        "  sequential       {sequential:>10.1?}  = {:.1} x 100 ms (baseline); speed-up {:.1}x",
        sequential.as_secs_f64() / latency.as_secs_f64(),
        sequential.as_secs_f64() / concurrent.as_secs_f64()
    );

    // Per-call overhead.
    let toolbox = tools![noop];
    let calls = noop_calls(10_000);
    let per_call = best_per_run(5, 1, || {
        black_box(rt.block_on(toolbox.run(&calls)));
    }) / 10_000;
    println!("per-call overhead (10,000 no-op calls in one turn, 2 workers):");
    println!("  {per_call:.2?} per call (target <= 5 us)");

    // Dispatch overhead.
    let toolbox = tools![add];
    let args = Arguments::from(ADD_ARGS);
    let fresh = best_per_run(7, 200_000, || {
        black_box(dispatch_with_a_fresh_context(
            &toolbox,
            "add",
            black_box(&args),
        ));
    });
    // As a turn makes it: with the tool's name.
    let context = CallContext::new("call_1").with_tool("add");
    let ours = best_per_run(7, 200_000, || {
        black_box(dispatch_through_toolbox(
            &toolbox,
            "add",
            black_box(&args),
            &context,
        ));
    });
    let bounded = tools![add_bounded];
    let bounded_context = CallContext::new("call_1").with_tool("add_bounded");
    let checked = best_per_run(7, 200_000, || {
        black_box(dispatch_through_toolbox(
            &bounded,
            "add_bounded",
            black_box(&args),
            &bounded_context,
        ));
    });
    let with_state = tools![state = 0_i64; add_with_state];
    let with_state_context = CallContext::new("call_1").with_tool("add_with_state");
    let extracting = best_per_run(7, 200_000, || {
        black_box(dispatch_through_toolbox(
            &with_state,
            "add_with_state",
            black_box(&args),
            &with_state_context,
        ));
    });
    let by_hand = best_per_run(7, 200_000, || {
        black_box(dispatch_by_hand(black_box(ADD_ARGS)));
    });
    println!("dispatch overhead (decode + call `add` + output text):");
    println!("  through the toolbox, a fresh context  {fresh:.1?}");
    println!("  by hand (baseline)                    {by_hand:.1?}");
    println!(
        "  ratio {:.2} (target <= 1.3)",
        fresh.as_secs_f64() / by_hand.as_secs_f64()
    );
    println!(
        "  one context lent to every call        {ours:.1?}: ratio {:.2}",
        ours.as_secs_f64() / by_hand.as_secs_f64()
    );
    println!(
        "  with `State<i64>` and `CallContext` parameters  {extracting:.1?}: ratio {:.2}",
        extracting.as_secs_f64() / by_hand.as_secs_f64()
    );
    println!(
        "  with bounds in the schema (validated)           {checked:.1?}: ratio {:.2}",
        checked.as_secs_f64() / by_hand.as_secs_f64()
    );

    // Toolbox clones.
    let one = toolbox_of(1);
    let hundred = toolbox_of(100);
    let clone_one = best_per_run(7, 200_000, || {
        black_box(black_box(&one).clone());
    });
    let clone_hundred = best_per_run(7, 200_000, || {
        black_box(black_box(&hundred).clone());
    });
    println!("toolbox clones:");
    println!("  of 1 tool (baseline)  {clone_one:.1?}");
    println!(
        "  of 100 tools          {clone_hundred:.1?}: ratio {:.2} (target: 1, O(1))",
        clone_hundred.as_secs_f64() / clone_one.as_secs_f64()
    );
    println!();
}

/// A toolbox of `n` tools made at run time.
fn toolbox_of(n: usize) -> Toolbox {
    let schema = serde_json::json!({"type": "object", "properties": {}});
    (0..n).fold(Toolbox::new(), |toolbox, i| {
        toolbox.with(FnTool::new(
            format!("tool_{i}"),
            "Do nothing.",
            schema.clone(),
            |_, _| async { Ok::<_, String>("done") },
        ))
    })
}

fn main() {
    report_ratios();
    divan::main();
}

#[divan::bench]
fn turn_of_10_000_noop_calls(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let toolbox = tools![noop];
    let calls = noop_calls(10_000);
    bencher.bench_local(|| rt.block_on(toolbox.run(&calls)));
}

#[divan::bench]
fn dispatch_with_a_fresh_context_per_call(bencher: divan::Bencher<'_, '_>) {
    let toolbox = tools![add];
    let args = Arguments::from(ADD_ARGS);
    bencher.bench_local(|| dispatch_with_a_fresh_context(&toolbox, "add", black_box(&args)));
}

#[divan::bench(args = [1, 100])]
fn clone_a_toolbox(bencher: divan::Bencher<'_, '_>, tools: usize) {
    let toolbox = toolbox_of(tools);
    bencher.bench_local(|| black_box(&toolbox).clone());
}

#[divan::bench]
fn dispatch_through_the_toolbox(bencher: divan::Bencher<'_, '_>) {
    let toolbox = tools![add];
    let args = Arguments::from(ADD_ARGS);
    // As a turn makes it: with the tool's name.
    let context = CallContext::new("call_1").with_tool("add");
    bencher.bench_local(|| dispatch_through_toolbox(&toolbox, "add", black_box(&args), &context));
}

#[divan::bench]
fn dispatch_by_hand_baseline() -> String {
    dispatch_by_hand(black_box(ADD_ARGS))
}
