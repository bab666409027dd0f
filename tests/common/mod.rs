//! A real HTTP mock of the OpenAI and Anthropic APIs, for end-to-end tests and benchmarks.
//!
//! [`MockServer::start`] binds an axum app to `127.0.0.1:0` on the caller's tokio runtime. It
//! answers `POST /v1/chat/completions` (OpenAI: base URL [`MockServer::openai_url`]) and
//! `POST /v1/messages` (Anthropic: base URL [`MockServer::anthropic_url`]) from a scripted queue
//! of [`Reply`]s, or from closures that compute the reply from the request, and records every
//! request ([`Recorded`]: arrival time, path, headers, raw and parsed body, handling time).
//!
//! [`MockServer::start_raw`] serves the same script over a hand-written HTTP/1.1 loop on a raw
//! `TcpListener`, for what axum cannot do: [`Reply::Close`] (read the request, then hang up
//! without answering) and [`Reply::Bytes`] (write these exact bytes, e.g. a body shorter than its
//! `content-length`, then hang up).
//!
//! Every recorded request is checked against the tool-call protocol of its provider
//! ([`check_protocol`]); a violation fails the test when the server is dropped, or at once through
//! [`MockServer::assert_protocol`].
//!
//! [`openai`] and [`anthropic`] build canned responses in the exact shapes of the recorded real
//! traffic in `tests/fixtures/`.

// Each test binary (and the benchmark) uses a different part of this module.
#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use tool_runtime::tool;

// The seed's two tools, shared by the provider tests and the round benchmark.

/// Get the current weather for a city.
#[tool]
pub(crate) async fn get_weather(
    /// City name, e.g. "Tokyo".
    city: String,
) -> String {
    format!("Sunny, 22°C in {city}")
}

/// Get the exchange rate between two currencies.
#[tool]
pub(crate) fn get_exchange_rate(
    /// ISO 4217 code of the currency to convert from, e.g. "USD".
    from_currency: String,
    /// ISO 4217 code of the currency to convert to, e.g. "JPY".
    to_currency: String,
) -> Result<f64, String> {
    match (from_currency.as_str(), to_currency.as_str()) {
        ("USD", "JPY") => Ok(151.25),
        _ => Err(format!("No rate for {from_currency} to {to_currency}.")),
    }
}

/// The OpenAI Chat Completions path.
pub(crate) const OPENAI_PATH: &str = "/v1/chat/completions";
/// The Anthropic Messages path.
pub(crate) const ANTHROPIC_PATH: &str = "/v1/messages";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    /// When the request had fully arrived (server clock).
    pub(crate) at: Instant,
    /// `POST`, ….
    pub(crate) method: String,
    /// The path, e.g. `/v1/messages`.
    pub(crate) path: String,
    /// Every header, names lowercase, in arrival order.
    pub(crate) headers: Vec<(String, String)>,
    /// The body as received.
    pub(crate) raw_body: Vec<u8>,
    /// The body parsed as JSON (`Value::Null` when it is not JSON).
    pub(crate) body: Value,
    /// How long the server took to pick and build its reply (excludes any scripted delay).
    pub(crate) handled: Duration,
}

impl Recorded {
    /// The first value of a header (name case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a header.
    pub(crate) fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The request's `messages` array (empty when there is none).
    pub(crate) fn messages(&self) -> &[Value] {
        self.body["messages"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Whether this is an OpenAI request.
    pub(crate) fn is_openai(&self) -> bool {
        self.path == OPENAI_PATH
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// An HTTP response.
    Http(HttpReply),
    /// Read the request, then close the connection without answering (raw server only; the
    /// axum server answers 418 instead, which fails the test visibly).
    Close,
    /// Write exactly these bytes, then close the connection (raw server only).
    Bytes(Vec<u8>),
}

/// A scripted HTTP response.
#[derive(Debug, Clone)]
pub(crate) struct HttpReply {
    /// The status code.
    pub(crate) status: u16,
    /// Headers, sent in order.
    pub(crate) headers: Vec<(String, String)>,
    /// The body: any bytes.
    pub(crate) body: Vec<u8>,
    /// How long to wait before answering.
    pub(crate) delay: Duration,
}

impl Reply {
    /// `200 OK` with a JSON body.
    pub(crate) fn json(body: Value) -> Self {
        Self::status_json(200, body)
    }

    /// A JSON body with this status.
    pub(crate) fn status_json(status: u16, body: Value) -> Self {
        Self::raw(status, body.to_string()).header("content-type", "application/json")
    }

    /// Any bytes with this status, and no `content-type` unless added with [`header`](Self::header).
    pub(crate) fn raw(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Http(HttpReply {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        })
    }

    /// Adds a header (HTTP replies only).
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Http(reply) = &mut self {
            reply.headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Waits this long before answering (HTTP replies only).
    pub(crate) fn delay(mut self, delay: Duration) -> Self {
        if let Self::Http(reply) = &mut self {
            reply.delay = delay;
        }
        self
    }
}

type Once = Box<dyn FnOnce(&Recorded) -> Reply + Send>;
type Always = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// The script and the log, shared by the server's tasks.
#[derive(Default)]
struct Script {
    queue: Mutex<VecDeque<Once>>,
    fallback: Mutex<Option<Always>>,
    log: Mutex<Vec<Recorded>>,
    violations: Mutex<Vec<String>>,
}

impl Script {
    /// Picks the reply for `request`, records it (with the handling time since `started`) and
    /// checks it against the protocol.
    fn answer(&self, mut request: Recorded, started: Instant) -> Reply {
        if let Err(violation) = check_protocol(&request) {
            self.violations.lock().unwrap().push(format!(
                "request #{}: {violation}",
                self.log.lock().unwrap().len()
            ));
        }
        let step = self.queue.lock().unwrap().pop_front();
        let reply = match step {
            Some(step) => step(&request),
            None => {
                let fallback = self.fallback.lock().unwrap().clone();
                match fallback {
                    Some(fallback) => fallback(&request),
                    None => Reply::status_json(
                        418,
                        json!({"error": {"message": "mock server: the script is exhausted"}}),
                    ),
                }
            }
        };
        request.handled = started.elapsed();
        self.log.lock().unwrap().push(request);
        reply
    }
}

/// The mock server. Dropping it stops accepting connections and fails the test if any recorded
/// request broke the tool-call protocol.
pub(crate) struct MockServer {
    addr: SocketAddr,
    script: Arc<Script>,
    task: JoinHandle<()>,
}

impl MockServer {
    /// The axum server on `127.0.0.1:<free port>`, on the current tokio runtime.
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(Script::default());
        let app = Router::new()
            .route(OPENAI_PATH, post(handle))
            .route(ANTHROPIC_PATH, post(handle))
            .fallback(handle)
            .with_state(script.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, script, task }
    }

    /// The same script served over a hand-written HTTP/1.1 loop, which can also hang up
    /// ([`Reply::Close`]) or write raw bytes ([`Reply::Bytes`]).
    pub(crate) async fn start_raw() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(Script::default());
        let shared = script.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_raw(stream, shared.clone()));
            }
        });
        Self { addr, script, task }
    }

    /// The OpenAI base URL: `http://127.0.0.1:PORT/v1`.
    pub(crate) fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The Anthropic base URL: `http://127.0.0.1:PORT`.
    pub(crate) fn anthropic_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply.
    pub(crate) fn push(&self, reply: Reply) -> &Self {
        self.push_fn(move |_| reply)
    }

    /// Queues a reply computed from the request it answers.
    pub(crate) fn push_fn(
        &self,
        respond: impl FnOnce(&Recorded) -> Reply + Send + 'static,
    ) -> &Self {
        self.script
            .queue
            .lock()
            .unwrap()
            .push_back(Box::new(respond));
        self
    }

    /// Answers every request the queue has no reply for (default: `418`, script exhausted).
    pub(crate) fn fallback(&self, respond: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) {
        *self.script.fallback.lock().unwrap() = Some(Arc::new(respond));
    }

    /// Every request so far, in arrival order.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.script.log.lock().unwrap().clone()
    }

    /// How many requests so far.
    pub(crate) fn request_count(&self) -> usize {
        self.script.log.lock().unwrap().len()
    }

    /// Forgets the requests recorded so far.
    pub(crate) fn clear(&self) {
        self.script.log.lock().unwrap().clear();
    }

    /// Panics if any recorded request broke the tool-call protocol.
    pub(crate) fn assert_protocol(&self) {
        let violations = self.script.violations.lock().unwrap();
        assert!(
            violations.is_empty(),
            "tool-call protocol violations:\n{}",
            violations.join("\n")
        );
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
        if !std::thread::panicking() {
            self.assert_protocol();
        }
    }
}

/// The gaps between consecutive arrivals.
pub(crate) fn gaps(requests: &[Recorded]) -> Vec<Duration> {
    requests
        .windows(2)
        .map(|pair| pair[1].at.duration_since(pair[0].at))
        .collect()
}

/// A base URL at which nothing listens: connecting is refused.
pub(crate) async fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

async fn handle(
    State(script): State<Arc<Script>>,
    uri: Uri,
    method: axum::http::Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let request = Recorded {
        at: started,
        method: method.to_string(),
        path: uri.path().to_owned(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        raw_body: body.to_vec(),
        handled: Duration::ZERO,
    };
    if request.path != OPENAI_PATH && request.path != ANTHROPIC_PATH {
        script.log.lock().unwrap().push(request);
        return json_response(
            404,
            json!({"error": {"message": "mock server: no such path"}}),
        );
    }
    let reply = match script.answer(request, started) {
        Reply::Http(reply) => reply,
        Reply::Close | Reply::Bytes(_) => {
            return json_response(
                418,
                json!({"error": {"message": "mock server: use MockServer::start_raw to hang up"}}),
            );
        }
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in &reply.headers {
        response.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    response
}

fn json_response(status: u16, body: Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// One keep-alive connection of the raw server.
async fn serve_raw(mut stream: TcpStream, script: Arc<Script>) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer).await {
        let started = request.at;
        match script.answer(request, started) {
            Reply::Close => return,
            Reply::Bytes(bytes) => {
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                return;
            }
            Reply::Http(reply) => {
                if !reply.delay.is_zero() {
                    tokio::time::sleep(reply.delay).await;
                }
                let reason = StatusCode::from_u16(reply.status)
                    .ok()
                    .and_then(|status| status.canonical_reason())
                    .unwrap_or("Unknown");
                let mut head = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
                for (name, value) in &reply.headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                if !reply
                    .headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                {
                    head.push_str(&format!("content-length: {}\r\n", reply.body.len()));
                }
                head.push_str("\r\n");
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(&reply.body);
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Reads one HTTP/1.1 request (content-length framed). `None` at end of stream.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Recorded> {
    loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let mut request_line = lines.next()?.split(' ');
            let method = request_line.next()?.to_owned();
            let path = request_line.next()?.to_owned();
            let headers: Vec<(String, String)> = lines
                .filter_map(|line| line.split_once(':'))
                .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
                .collect();
            let length: usize = headers
                .iter()
                .find(|(name, _)| name == "content-length")
                .and_then(|(_, value)| value.parse().ok())
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                if stream.read_buf(buffer).await.ok()? == 0 {
                    return None;
                }
            }
            let raw_body = buffer[end + 4..end + 4 + length].to_vec();
            buffer.drain(..end + 4 + length);
            return Some(Recorded {
                at: Instant::now(),
                method,
                path,
                headers,
                body: serde_json::from_slice(&raw_body).unwrap_or(Value::Null),
                raw_body,
                handled: Duration::ZERO,
            });
        }
        if stream.read_buf(buffer).await.ok()? == 0 {
            return None;
        }
    }
}

/// Checks one request against its provider's tool-call protocol (chosen by path).
///
/// - OpenAI: each assistant message with `tool_calls` is immediately followed by exactly one
///   `tool` message per call id (no more, no less), and no `tool` message stands anywhere else.
/// - Anthropic: each assistant message with `tool_use` blocks is followed by ONE user message
///   whose content starts with `tool_result` blocks answering every id exactly once (and nothing
///   else); no `tool_result` stands anywhere else; roles alternate, starting with the user.
pub(crate) fn check_protocol(request: &Recorded) -> Result<(), String> {
    match request.path.as_str() {
        OPENAI_PATH => check_openai(request.messages()),
        ANTHROPIC_PATH => check_anthropic(request.messages()),
        _ => Ok(()),
    }
}

fn check_openai(messages: &[Value]) -> Result<(), String> {
    let mut index = 0;
    while index < messages.len() {
        let message = &messages[index];
        index += 1;
        if message["role"] == "tool" {
            return Err(format!(
                "messages[{}]: a tool message that follows no assistant tool_calls",
                index - 1
            ));
        }
        let Some(calls) = message["tool_calls"]
            .as_array()
            .filter(|calls| !calls.is_empty())
        else {
            continue;
        };
        if message["role"] != "assistant" {
            return Err(format!(
                "messages[{}]: tool_calls on a non-assistant",
                index - 1
            ));
        }
        let ids: Vec<&str> = calls
            .iter()
            .map(|call| call["id"].as_str().unwrap_or(""))
            .collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        if unique.len() != ids.len() {
            return Err(format!(
                "messages[{}]: duplicate tool call ids {ids:?}",
                index - 1
            ));
        }
        let mut answered = Vec::new();
        while index < messages.len() && messages[index]["role"] == "tool" {
            answered.push(messages[index]["tool_call_id"].as_str().unwrap_or(""));
            index += 1;
        }
        let mut sorted_ids = ids.clone();
        let mut sorted_answered = answered.clone();
        sorted_ids.sort_unstable();
        sorted_answered.sort_unstable();
        if sorted_ids != sorted_answered {
            return Err(format!(
                "assistant tool_calls {ids:?} are answered by tool messages {answered:?}"
            ));
        }
    }
    Ok(())
}

fn check_anthropic(messages: &[Value]) -> Result<(), String> {
    let mut pending: Option<Vec<&str>> = None;
    for (index, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or("");
        let expected_role = if index % 2 == 0 { "user" } else { "assistant" };
        if role != expected_role {
            return Err(format!(
                "messages[{index}]: role {role:?}, expected {expected_role:?}"
            ));
        }
        let blocks: &[Value] = message["content"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let results: Vec<&str> = blocks
            .iter()
            .take_while(|block| block["type"] == "tool_result")
            .map(|block| block["tool_use_id"].as_str().unwrap_or(""))
            .collect();
        let stray = blocks
            .iter()
            .skip(results.len())
            .any(|block| block["type"] == "tool_result");
        if stray {
            return Err(format!(
                "messages[{index}]: a tool_result after other blocks"
            ));
        }
        match pending.take() {
            Some(ids) => {
                let mut sorted_ids = ids.clone();
                let mut sorted_results = results.clone();
                sorted_ids.sort_unstable();
                sorted_results.sort_unstable();
                if sorted_ids != sorted_results {
                    return Err(format!(
                        "messages[{index}]: tool_use ids {ids:?} answered by tool_result {results:?}"
                    ));
                }
            }
            None if !results.is_empty() => {
                return Err(format!(
                    "messages[{index}]: tool_result blocks that answer no tool_use"
                ));
            }
            None => {}
        }
        if role == "assistant" {
            let ids: Vec<&str> = blocks
                .iter()
                .filter(|block| block["type"] == "tool_use")
                .map(|block| block["id"].as_str().unwrap_or(""))
                .collect();
            let unique: HashSet<&str> = ids.iter().copied().collect();
            if unique.len() != ids.len() {
                return Err(format!("messages[{index}]: duplicate tool_use ids {ids:?}"));
            }
            if !ids.is_empty() {
                pending = Some(ids);
            }
        }
    }
    match pending {
        Some(ids) => Err(format!(
            "the last message's tool_use ids {ids:?} have no results"
        )),
        None => Ok(()),
    }
}

/// Canned OpenAI Chat Completions responses, in the shape of the recorded real traffic.
pub(crate) mod openai {
    use serde_json::{Value, json};

    /// One `tool_calls` entry; `arguments` is sent as the JSON text it is (valid or not).
    pub(crate) fn call(id: &str, name: &str, arguments: &str) -> Value {
        json!({
            "id": id,
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        })
    }

    fn usage(prompt: u64, completion: u64) -> Value {
        json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0
            }
        })
    }

    fn completion(message: Value, finish_reason: &str, prompt: u64, completion: u64) -> Value {
        json!({
            "id": "chatcmpl-mock0000000000000000000000",
            "object": "chat.completion",
            "created": 1771458769,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{
                "index": 0,
                "message": message,
                "logprobs": null,
                "finish_reason": finish_reason
            }],
            "usage": usage(prompt, completion),
            "service_tier": "default",
            "system_fingerprint": "fp_414ba99a04"
        })
    }

    /// A response asking for these calls (`(id, name, arguments text)`).
    pub(crate) fn tool_calls(calls: &[(&str, &str, &str)], prompt: u64, completion: u64) -> Value {
        let calls: Vec<Value> = calls
            .iter()
            .map(|(id, name, arguments)| call(id, name, arguments))
            .collect();
        tool_call_values(calls, prompt, completion)
    }

    /// A response asking for these calls (each built with [`call`]).
    pub(crate) fn tool_call_values(calls: Vec<Value>, prompt: u64, completion: u64) -> Value {
        let message = json!({
            "role": "assistant",
            "content": null,
            "tool_calls": calls,
            "refusal": null,
            "annotations": []
        });
        self::completion(message, "tool_calls", prompt, completion)
    }

    /// A final answer.
    pub(crate) fn text(text: &str, prompt: u64, completion: u64) -> Value {
        let message = json!({
            "role": "assistant",
            "content": text,
            "refusal": null,
            "annotations": []
        });
        self::completion(message, "stop", prompt, completion)
    }

    /// An error body: `{"error": {"message", "type", "param", "code"}}`.
    pub(crate) fn error(message: &str, kind: &str) -> Value {
        json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
    }
}

/// Canned Anthropic Messages responses, in the shape of the recorded real traffic.
pub(crate) mod anthropic {
    use serde_json::{Value, json};

    /// One `tool_use` block.
    pub(crate) fn tool_use(id: &str, name: &str, input: Value) -> Value {
        json!({"type": "tool_use", "id": id, "name": name, "input": input})
    }

    fn usage(input: u64, output: u64) -> Value {
        json!({
            "input_tokens": input,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": output,
            "service_tier": "standard"
        })
    }

    /// A message with these content blocks.
    pub(crate) fn message(
        content: Vec<Value>,
        stop_reason: &str,
        input: u64,
        output: u64,
    ) -> Value {
        json!({
            "model": "claude-sonnet-4-5-20250929",
            "id": "msg_01MockMockMockMockMockMock",
            "type": "message",
            "role": "assistant",
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": null,
            "usage": usage(input, output)
        })
    }

    /// A response asking for these calls (`(id, name, input)`), after an optional text block.
    pub(crate) fn tool_calls(
        text: Option<&str>,
        calls: &[(&str, &str, Value)],
        input: u64,
        output: u64,
    ) -> Value {
        let mut content: Vec<Value> = text
            .map(|text| json!({"type": "text", "text": text}))
            .into_iter()
            .collect();
        content.extend(
            calls
                .iter()
                .map(|(id, name, arguments)| tool_use(id, name, arguments.clone())),
        );
        message(content, "tool_use", input, output)
    }

    /// A final answer.
    pub(crate) fn text(text: &str, input: u64, output: u64) -> Value {
        message(
            vec![json!({"type": "text", "text": text})],
            "end_turn",
            input,
            output,
        )
    }

    /// An error body: `{"type": "error", "error": {"type", "message"}}`.
    pub(crate) fn error(kind: &str, message: &str) -> Value {
        json!({"type": "error", "error": {"type": kind, "message": message}})
    }
}
