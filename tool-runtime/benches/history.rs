//! The cost of a long history: client time per request against the number of prior messages,
//! against the local mock server answering at once (its own time subtracted).
//!
//! `cargo bench --bench history` prints, for every wire of the tests' table, the client time of one request with 1,
//! 401 and 1001 messages, the cost per prior message, and as the baseline measured in the same
//! run the cost per message of `serde_json::to_vec` of the neutral transcript (serde's derive,
//! no wire translation at all): requests are serialized straight from the borrowed transcript,
//! so the wire's cost per message should stay a small multiple of it.

use std::hint::black_box;
use std::time::{Duration, Instant};

use support::{MockServer, Reply, Wire, get_exchange_rate, get_weather};
use tool_runtime::conversation::{AssistantMessage, ToolCall, ToolResult};
use tool_runtime::model::{Model, ModelRequest, RetryPolicy};
use tool_runtime::tool::{ToolDefinition, ToolOutput};
use tool_runtime::{Message, Toolbox, tools};

/// A realistic history: `exchanges` × (user, assistant with 2 calls, 2 results, assistant text),
/// then the new question.
fn history(exchanges: usize) -> Vec<Message> {
    let mut messages = Vec::new();
    for i in 0..exchanges {
        messages.push(Message::user(format!(
            "What's the weather in city number {i}, and the rate from USD to JPY today?"
        )));
        messages.push(Message::Assistant(AssistantMessage::calls([
            ToolCall::new(
                format!("call_{i}a"),
                "get_weather",
                format!(r#"{{"city": "City {i}"}}"#),
            ),
            ToolCall::new(
                format!("call_{i}b"),
                "get_exchange_rate",
                r#"{"from_currency": "USD", "to_currency": "JPY"}"#,
            ),
        ])));
        messages.push(Message::ToolResults {
            results: vec![
                ToolResult::new(
                    format!("call_{i}a"),
                    "get_weather",
                    Ok(ToolOutput::text(format!("Sunny, 22°C in City {i}"))),
                ),
                ToolResult::new(
                    format!("call_{i}b"),
                    "get_exchange_rate",
                    Ok(ToolOutput::text("151.25")),
                ),
            ],
        });
        messages.push(Message::Assistant(AssistantMessage::text(format!(
            "City {i} is sunny at 22°C, and one US dollar buys 151.25 yen today."
        ))));
    }
    messages.push(Message::user("And tomorrow?"));
    messages
}

/// The best of 7 batches of 50 requests: client time per request.
async fn per_request(
    server: &MockServer,
    model: &dyn Model,
    request: ModelRequest<'_>,
) -> Duration {
    for _ in 0..20 {
        model.complete(request).await.expect("complete");
    }
    let mut best = Duration::MAX;
    for _ in 0..7 {
        server.clear();
        let start = Instant::now();
        for _ in 0..50 {
            black_box(model.complete(request).await.expect("complete"));
        }
        let wall = start.elapsed();
        let handled: Duration = server.requests().iter().map(|r| r.handled).sum();
        best = best.min(wall.saturating_sub(handled) / 50);
    }
    best
}

async fn wire_cost(wire: Wire, baseline_per_message: f64) {
    let server = MockServer::start().await;
    let reply = Reply::json(wire.text("ok", 1, 1));
    server.fallback(move |_| reply.clone());
    let toolbox: Toolbox = tools![get_weather, get_exchange_rate];
    let definitions: Vec<&ToolDefinition> = toolbox.definitions().collect();
    let model = wire
        .model(wire.url(&server))
        .retry_policy(RetryPolicy::none())
        .build();
    let wire = wire.name;
    let mut points = Vec::new();
    for exchanges in [0, 100, 250] {
        let messages = history(exchanges);
        let request = ModelRequest::new(&messages)
            .system("You are terse.")
            .tools(&definitions);
        let time = per_request(&server, model.as_ref(), request).await;
        println!(
            "  {wire:<9} {:>5} messages: {:>8.1} us per request",
            messages.len(),
            time.as_secs_f64() * 1e6
        );
        points.push((messages.len(), time));
    }
    let (n0, t0) = points[0];
    let (n2, t2) = points[2];
    let per_message = (t2.as_secs_f64() - t0.as_secs_f64()) * 1e6 / (n2 - n0) as f64;
    println!(
        "  {wire:<9} {per_message:.3} us per prior message = {:.1} x the baseline",
        per_message / baseline_per_message
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let messages = history(250);
    let derived = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..50 {
                black_box(serde_json::to_vec(black_box(&messages)).expect("serializes"));
            }
            start.elapsed() / 50
        })
        .min()
        .expect("rounds");
    let baseline = derived.as_secs_f64() * 1e6 / messages.len() as f64;
    println!("client time per request against prior messages (local server answering at once):");
    println!("  baseline: serde_json::to_vec(&messages), {baseline:.3} us per message");
    for wire in Wire::ALL {
        runtime.block_on(wire_cost(wire, baseline));
    }
}
