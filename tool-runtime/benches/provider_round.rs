//! Client-side overhead of one provider round, against the local mock server answering at once.
//!
//! `cargo bench --bench provider_round` runs the agent on the seed prompt, over and over, against
//! the `support` crate's axum server: round one answers with a turn of 3 tool calls, round two with the
//! final text. The server measures how long its handler takes for every request; that time is
//! subtracted, so the figures are what the client spends per round: building and serializing the
//! request, HTTP over loopback (both ends' hyper included), reading and parsing the answer, and
//! for round one running the 3 tools concurrently.
//!
//! Printed for every wire of the tests' table (`support::Wire::ALL`: Chat Completions, Anthropic
//! Messages, Responses), as the best and the median of several batches:
//! - agent round: a whole `Agent::run` (2 rounds) ÷ 2, the answers whole, then streamed as the
//!   API streams them (text and arguments in pieces of 4 characters: ~40 events a round);
//! - `Model::complete` alone for each of the two answers (no tools run);
//! - the floor: a hand-written keep-alive HTTP/1.1 POST of the same body to the same server.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{MockServer, PROMPT, Recorded, Reply, Wire, get_exchange_rate, get_weather};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tool_runtime::model::{Model, ModelRequest, RetryPolicy};
use tool_runtime::tool::ToolDefinition;
use tool_runtime::{Agent, Toolbox, tools};

const BATCHES: usize = 7;
const RUNS_PER_BATCH: usize = 200;
const ANSWER: &str = "Sunny in both; 1 USD = 151.25 JPY.";

/// The two canned answers of a wire: 3 tool calls, then the final text.
fn replies(wire: Wire) -> (Value, Value) {
    let ids: Vec<String> = (1..=3).map(|n| wire.id(n)).collect();
    let calls = wire.calls(
        &[
            (&ids[0], "get_weather", json!({"city": "Tokyo"})),
            (&ids[1], "get_weather", json!({"city": "London"})),
            (
                &ids[2],
                "get_exchange_rate",
                json!({"from_currency": "USD", "to_currency": "JPY"}),
            ),
        ],
        259,
        78,
    );
    (calls, wire.text(ANSWER, 377, 85))
}

/// The answer as the API streams it: text and arguments in pieces of 4 characters.
fn stream(wire: Wire, answer: &Value) -> Reply {
    Reply::sse(wire.sse(answer, 4))
}

/// The wire's model against `server`, never retrying.
fn provider(wire: Wire, server: &MockServer) -> Box<dyn Model> {
    wire.model(wire.url(server))
        .retry_policy(RetryPolicy::none())
        .build()
}

/// Whether a request carries tool results (so it is round two).
fn has_results(wire: Wire, request: &Recorded) -> bool {
    !wire.results(request).is_empty()
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
    let (calls, answer) = replies(wire);
    let (calls_whole, answer_whole) = (Reply::json(calls.clone()), Reply::json(answer.clone()));
    server.fallback(move |request| {
        if has_results(wire, request) {
            answer_whole.clone()
        } else {
            calls_whole.clone()
        }
    });
    let streaming = MockServer::start().await;
    let (calls_streamed, answer_streamed) = (stream(wire, &calls), stream(wire, &answer));
    streaming.fallback(move |request| {
        if has_results(wire, request) {
            answer_streamed.clone()
        } else {
            calls_streamed.clone()
        }
    });
    let toolbox: Toolbox = tools![get_weather, get_exchange_rate];
    let agent = Agent::new(provider(wire, &server), toolbox.clone());

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
    let streamed_agent = Agent::new(provider(wire, &streaming), toolbox.clone());
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
    let model = provider(wire, &server);
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
    let path = wire.path;
    let mut stream = TcpStream::connect(server.addr()).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut buffer = Vec::new();
    let floor = measure(&server, RUNS_PER_BATCH, RUNS_PER_BATCH, async || {
        for _ in 0..RUNS_PER_BATCH {
            raw_post(&mut stream, &mut buffer, path, &body).await;
        }
    })
    .await;

    println!("{}:", wire.name);
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
    for wire in Wire::ALL {
        runtime.block_on(bench(wire));
    }
}
