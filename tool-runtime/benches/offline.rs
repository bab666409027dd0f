//! The offline model over long runs: time per turn and memory kept, for 100 and for 300 turns of
//! one tool call each. Linear in the run's length means the same time per turn (ratio 1.0) and
//! memory that grows three times, not nine.
//!
//! `cargo bench --bench offline`. The memory figure is the growth of the resident heap (anonymous
//! pages, not the code paged in) of a fresh process doing one run (the bench runs itself as that
//! process).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::json;
use tool_runtime::conversation::{AssistantMessage, ToolCall};
use tool_runtime::{Agent, OfflineModel, tool, tools};

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Resident heap memory in bytes: anonymous pages only, so that code paged in on first use does
/// not count (Linux; 0 elsewhere).
fn resident() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("RssAnon:"))?;
            line.split_whitespace().nth(1)?.parse::<usize>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// One scripted run of `turns` turns: its time, and the resident memory it added while the model
/// (and its request log) is alive.
fn run(turns: usize) -> (Duration, usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut script: Vec<AssistantMessage> = (0..turns)
        .map(|i| {
            AssistantMessage::calls([ToolCall::new(
                format!("call_{i}"),
                "add",
                json!({"a": i, "b": 1}),
            )])
        })
        .collect();
    script.push(AssistantMessage::text("done"));
    let model = OfflineModel::scripted(script);
    let agent = Agent::new(model.clone(), tools![add]).max_turns(turns + 1);
    let before = resident();
    let start = Instant::now();
    let output = runtime
        .block_on(agent.run("go").into_future())
        .expect("run");
    let elapsed = start.elapsed();
    drop(black_box(output));
    let kept = resident().saturating_sub(before);
    drop(model);
    (elapsed, kept)
}

fn main() {
    if let Some(turns) = std::env::args().skip_while(|arg| arg != "--one-run").nth(1) {
        let (_, kept) = run(turns.parse().expect("a number of turns"));
        println!("{kept}");
        return;
    }
    println!("offline model, a scripted run of N turns with one call each:");
    let mut per_turn = Vec::new();
    for turns in [100, 300] {
        let time = (0..5).map(|_| run(turns).0).min().expect("rounds");
        let child = std::process::Command::new(std::env::current_exe().expect("the bench"))
            .args(["--one-run", &turns.to_string()])
            .output()
            .expect("one run");
        let kept: usize = String::from_utf8_lossy(&child.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        let micros = time.as_secs_f64() * 1e6 / turns as f64;
        println!(
            "  {turns} turns: {micros:.1} us per turn, {:.2} MiB resident growth",
            kept as f64 / 1_048_576.0
        );
        per_turn.push(micros);
    }
    println!(
        "  time per turn, 300 turns against 100: {:.2} (1.0 is linear)",
        per_turn[1] / per_turn[0]
    );
}
