//! What starting each tool call the moment its arguments are complete saves, against a local
//! server that streams the model's answer at a realistic pace.
//!
//! `cargo bench --bench streaming` runs the agent against the `support` crate's axum server. Turn
//! one streams three tool calls as Chat Completions chunks, one event every 8 ms (a call's
//! fragments take ~100 ms, about what a model writing 60 tokens a second takes for a short call),
//! then the finish and usage; turn two streams the final text. Each tool sleeps as long as its
//! arguments say. The same streams are run with calls started as they complete (the agent) and
//! with every event held until the whole message is in (what a loop without eager starts does),
//! in the same process, alternately; the medians and their ratio are printed for:
//!
//! - equal tools: three calls of 300 ms;
//! - slow first: 500, 200 and 100 ms (the first call written is the longest to run).

use std::time::{Duration, Instant};

use serde_json::json;
use support::{MockServer, Reply, WholeMessage, openai};
use tool_runtime::model::Model;
use tool_runtime::{Agent, OpenAi, tool, tools};

const EVENT_EVERY: Duration = Duration::from_millis(8);
const RUNS: usize = 7;

/// Waits `ms` milliseconds, like a call to a slow service.
#[tool]
async fn wait(ms: u64, note: String) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("waited {ms} ms for {note}")
}

/// The first answer: a call of `wait` per duration, arguments in pieces of 3 characters.
fn calls_stream(durations: &[u64]) -> String {
    let calls: Vec<(String, String)> = durations
        .iter()
        .enumerate()
        .map(|(i, ms)| {
            let arguments = json!({"ms": ms, "note": "a few more words of arguments"});
            (format!("call_{i}"), arguments.to_string())
        })
        .collect();
    let calls: Vec<(&str, &str, &str)> = calls
        .iter()
        .map(|(id, arguments)| (id.as_str(), "wait", arguments.as_str()))
        .collect();
    openai::to_sse(&openai::tool_calls(&calls, 100, 60), 3)
}

/// One run against streams paced as described above; its wall time.
async fn run(durations: &[u64], eager: bool) -> Duration {
    let server = MockServer::start().await;
    server.push(Reply::sse_paced(&calls_stream(durations), EVENT_EVERY));
    server.push(Reply::sse_paced(
        &openai::to_sse(&openai::text("All done.", 200, 5), 4),
        EVENT_EVERY,
    ));
    let model = OpenAi::new("bench").base_url(server.openai_url());
    let model: Box<dyn Model> = if eager {
        Box::new(model)
    } else {
        Box::new(WholeMessage(model))
    };
    let agent = Agent::new(model, tools![wait]);
    let started = Instant::now();
    let output = agent.run("Wait for me.").await.expect("the run");
    let elapsed = started.elapsed();
    assert_eq!(output.text, "All done.");
    let results = format!("{:?}", output.messages[2]);
    assert_eq!(results.matches("waited").count(), 3, "{results}");
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!("a run of two streamed turns, three tool calls in the first (median of {RUNS}):");
    for (label, durations) in [
        ("equal tools, 300/300/300 ms", [300, 300, 300]),
        ("slow first, 500/200/100 ms ", [500, 200, 100]),
    ] {
        let (mut eager, mut whole) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            eager.push(runtime.block_on(run(&durations, true)));
            whole.push(runtime.block_on(run(&durations, false)));
        }
        let (eager, whole) = (median(eager), median(whole));
        println!(
            "  {label}: eager {eager:>7.1?}, after the whole message {whole:>7.1?} (baseline): \
             {:.2} x, {:.0?} sooner",
            eager.as_secs_f64() / whole.as_secs_f64(),
            whole.saturating_sub(eager),
        );
    }
}
