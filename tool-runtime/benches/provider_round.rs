//! Client-side overhead of one provider round, against the local mock server answering at once.
//!
//! `cargo bench --bench provider_round` runs the agent on the seed prompt, over and over, against
//! the `support` crate's axum server: round one answers with a turn of 3 tool calls, round two with the
//! final text. The server measures how long its handler takes for every request; that time is
//! subtracted, so the figures are what the client spends per round: building and serializing the
//! request, HTTP over loopback (both ends' hyper included), reading and parsing the answer, and
//! for round one running the 3 tools concurrently.
//!
//! Printed for the three wires (Chat Completions, Anthropic Messages, Responses), as the best and the median of several batches:
//! - agent round: a whole `Agent::run` (2 rounds) ÷ 2, the answers whole, then streamed as the
//!   API streams them (text and arguments in pieces of 4 characters: ~40 events a round);
//! - `Model::complete` alone for each of the two answers (no tools run);
//! - the floor: a hand-written keep-alive HTTP/1.1 POST of the same body to the same server.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{
    MockServer, Recorded, Reply, anthropic, get_exchange_rate, get_weather, openai, responses,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tool_runtime::model::{Model, ModelRequest, RetryPolicy};
use tool_runtime::tool::ToolDefinition;
use tool_runtime::{Agent, Anthropic, OpenAi, Toolbox, tools};

const PROMPT: &str = "What's the weather in Tokyo and London, and what's the USD to JPY rate?";
const BATCHES: usize = 7;
/// The turn of 3 calls, as both OpenAI APIs carry them: `(call id, tool, arguments text)`.
const OPENAI_CALLS: [(&str, &str, &str); 3] = [
    ("call_1", "get_weather", r#"{"city": "Tokyo"}"#),
    ("call_2", "get_weather", r#"{"city": "London"}"#),
    (
        "call_3",
        "get_exchange_rate",
        r#"{"from_currency": "USD", "to_currency": "JPY"}"#,
    ),
];
const RUNS_PER_BATCH: usize = 200;

#[derive(Clone, Copy, PartialEq)]
enum Wire {
    OpenAi,
    Anthropic,
    Responses,
}

impl Wire {
    fn name(self) -> &'static str {
        match self {
            Wire::OpenAi => "openai",
            Wire::Anthropic => "anthropic",
            Wire::Responses => "openai responses",
        }
    }

    /// The two canned answers: 3 tool calls, then the final text.
    fn replies(self) -> (Value, Value) {
        match self {
            Wire::OpenAi => (
                openai::tool_calls(&OPENAI_CALLS, 259, 78),
                openai::text("Sunny in both; 1 USD = 151.25 JPY.", 377, 85),
            ),
            Wire::Anthropic => (
                anthropic::tool_calls(
                    Some("Let me check."),
                    &[
                        ("toolu_1", "get_weather", json!({"city": "Tokyo"})),
                        ("toolu_2", "get_weather", json!({"city": "London"})),
                        (
                            "toolu_3",
                            "get_exchange_rate",
                            json!({"from_currency": "USD", "to_currency": "JPY"}),
                        ),
                    ],
                    423,
                    202,
                ),
                anthropic::text("Sunny in both; 1 USD = 151.25 JPY.", 771, 77),
            ),
            Wire::Responses => (
                responses::tool_calls(&OPENAI_CALLS, 259, 78),
                responses::text("Sunny in both; 1 USD = 151.25 JPY.", 377, 85),
            ),
        }
    }

    /// The answer as the API streams it: text and arguments in pieces of 4 characters.
    fn stream(self, answer: &Value) -> Reply {
        Reply::sse(match self {
            Wire::OpenAi => openai::to_sse(answer, 4),
            Wire::Anthropic => anthropic::to_sse(answer, 4),
            Wire::Responses => responses::to_sse(answer, 4),
        })
    }

    fn provider(self, server: &MockServer) -> Box<dyn Model> {
        let retry = RetryPolicy::none();
        match self {
            Wire::OpenAi => Box::new(
                OpenAi::new("sk-bench")
                    .base_url(server.openai_url())
                    .retry_policy(retry),
            ),
            Wire::Anthropic => Box::new(
                Anthropic::new("sk-ant-bench")
                    .base_url(server.anthropic_url())
                    .retry_policy(retry),
            ),
            Wire::Responses => Box::new(
                OpenAi::new("sk-bench")
                    .base_url(server.openai_url())
                    .retry_policy(retry)
                    .responses(),
            ),
        }
    }
}

/// Whether a request carries tool results (so it is round two).
fn has_results(request: &Recorded) -> bool {
    let Some(last) = request.messages().last() else {
        return false;
    };
    last["role"] == "tool"
        || last["type"] == "function_call_output"
        || last["content"]
            .as_array()
            .is_some_and(|blocks| blocks.iter().any(|block| block["type"] == "tool_result"))
}

/// Per-item client time of each batch (wall time minus the server handler's time), sorted.
struct Timing {
    per_item: Vec<Duration>,
    handler: Duration,
}

impl Timing {
    fn best(&self) -> Duration {
        self.per_item[0]
    }

    fn median(&self) -> Duration {
        self.per_item[self.per_item.len() / 2]
    }
}

/// Runs `batch` (which makes `items` requests-or-rounds and `requests` requests) `BATCHES`
/// times, subtracting the server's handler time of each batch.
async fn measure(
    server: &MockServer,
    items: usize,
    requests: usize,
    mut batch: impl AsyncFnMut(),
) -> Timing {
    let mut per_item = Vec::with_capacity(BATCHES);
    let mut handler_total = Duration::ZERO;
    let mut handled_requests = 0;
    for _ in 0..BATCHES {
        server.clear();
        let start = Instant::now();
        batch().await;
        let wall = start.elapsed();
        let recorded = server.requests();
        assert_eq!(recorded.len(), requests, "every request reached the server");
        let handler: Duration = recorded.iter().map(|request| request.handled).sum();
        handler_total += handler;
        handled_requests += recorded.len();
        per_item.push(wall.saturating_sub(handler) / items as u32);
    }
    per_item.sort();
    Timing {
        per_item,
        handler: handler_total / handled_requests as u32,
    }
}

/// A minimal keep-alive HTTP/1.1 POST client: the floor of a loopback round trip.
async fn raw_post(stream: &mut TcpStream, buffer: &mut Vec<u8>, path: &str, body: &[u8]) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    buffer.clear();
    loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse().ok())
                .expect("content-length");
            while buffer.len() < end + 4 + length {
                stream.read_buf(buffer).await.expect("read");
            }
            black_box(&buffer[end + 4..]);
            return;
        }
        assert!(stream.read_buf(buffer).await.expect("read") > 0, "closed");
    }
}

async fn bench(wire: Wire) {
    let server = MockServer::start().await;
    let (calls, answer) = wire.replies();
    let (calls_whole, answer_whole) = (Reply::json(calls.clone()), Reply::json(answer.clone()));
    server.fallback(move |request| {
        if has_results(request) {
            answer_whole.clone()
        } else {
            calls_whole.clone()
        }
    });
    let streaming = MockServer::start().await;
    let (calls_streamed, answer_streamed) = (wire.stream(&calls), wire.stream(&answer));
    streaming.fallback(move |request| {
        if has_results(request) {
            answer_streamed.clone()
        } else {
            calls_streamed.clone()
        }
    });
    let toolbox: Toolbox = tools![get_weather, get_exchange_rate];
    let agent = Agent::new(wire.provider(&server), toolbox.clone());

    // Warm up: connections pooled, allocations sized.
    for _ in 0..50 {
        black_box(agent.run(PROMPT).await.expect("run"));
    }

    let agent_round = measure(
        &server,
        2 * RUNS_PER_BATCH,
        2 * RUNS_PER_BATCH,
        async || {
            for _ in 0..RUNS_PER_BATCH {
                black_box(agent.run(PROMPT).await.expect("run"));
            }
        },
    )
    .await;

    // The same answers streamed, as server-sent events.
    let streamed_agent = Agent::new(wire.provider(&streaming), toolbox.clone());
    for _ in 0..50 {
        black_box(streamed_agent.run(PROMPT).await.expect("run"));
    }
    let streamed_round = measure(
        &streaming,
        2 * RUNS_PER_BATCH,
        2 * RUNS_PER_BATCH,
        async || {
            for _ in 0..RUNS_PER_BATCH {
                black_box(streamed_agent.run(PROMPT).await.expect("run"));
            }
        },
    )
    .await;

    // The two requests of a run, sent through the provider alone.
    let first = agent.run(PROMPT).await.expect("run").messages;
    let model = wire.provider(&server);
    let definitions: Vec<&ToolDefinition> = toolbox.definitions().collect();
    let request = |messages| ModelRequest::new(messages).tools(&definitions);
    let (one, two) = (request(&first[..1]), request(&first[..3]));
    let complete_calls = measure(&server, RUNS_PER_BATCH, RUNS_PER_BATCH, async || {
        for _ in 0..RUNS_PER_BATCH {
            let response = model.complete(one).await.expect("complete");
            assert_eq!(response.message.tool_calls.len(), 3);
        }
    })
    .await;
    let complete_text = measure(&server, RUNS_PER_BATCH, RUNS_PER_BATCH, async || {
        for _ in 0..RUNS_PER_BATCH {
            black_box(model.complete(two).await.expect("complete"));
        }
    })
    .await;

    // The floor: the same round-one body, by hand, on one keep-alive connection.
    let body = server
        .requests()
        .last()
        .expect("a request")
        .raw_body
        .clone();
    let path = match wire {
        Wire::OpenAi => support::OPENAI_PATH,
        Wire::Anthropic => support::ANTHROPIC_PATH,
        Wire::Responses => support::RESPONSES_PATH,
    };
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut buffer = Vec::new();
    let floor = measure(&server, RUNS_PER_BATCH, RUNS_PER_BATCH, async || {
        for _ in 0..RUNS_PER_BATCH {
            raw_post(&mut stream, &mut buffer, path, &body).await;
        }
    })
    .await;

    println!("{}:", wire.name());
    let line = |what: &str, timing: &Timing| {
        println!(
            "  {what:<42} best {:>7.1} us  median {:>7.1} us  (server handler {:>5.1} us/request, subtracted)",
            timing.best().as_secs_f64() * 1e6,
            timing.median().as_secs_f64() * 1e6,
            timing.handler.as_secs_f64() * 1e6,
        );
    };
    line("agent round (avg of 3-call turn + final)", &agent_round);
    line("agent round, answers streamed (SSE)", &streamed_round);
    line("model.complete -> 3 tool calls", &complete_calls);
    line("model.complete -> final text", &complete_text);
    line("floor: raw keep-alive HTTP/1.1 POST", &floor);
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "client-side time per round, {BATCHES} batches x {RUNS_PER_BATCH} runs, local axum server answering at once:"
    );
    for wire in [Wire::OpenAi, Wire::Anthropic, Wire::Responses] {
        runtime.block_on(bench(wire));
    }
}
