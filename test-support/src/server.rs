//! The mock server: axum, or a raw HTTP/1.1 loop that can also hang up.

use std::collections::VecDeque;
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

use crate::Wire;
use crate::protocol::check_protocol_with;

/// The OpenAI Chat Completions path.
pub const OPENAI_PATH: &str = "/v1/chat/completions";
/// The Anthropic Messages path.
pub const ANTHROPIC_PATH: &str = "/v1/messages";
/// The OpenAI Responses path.
pub const RESPONSES_PATH: &str = "/v1/responses";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// When the request had fully arrived (server clock).
    pub at: Instant,
    /// `POST`, ….
    pub method: String,
    /// The path, e.g. `/v1/messages`.
    pub path: String,
    /// Every header, names lowercase, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as received.
    pub raw_body: Vec<u8>,
    /// The body parsed as JSON (`Value::Null` when it is not JSON).
    pub body: Value,
    /// How long the server took to pick and build its reply (excludes any scripted delay).
    pub handled: Duration,
}

impl Recorded {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The request's conversation: its `messages` array, or the `input` array of a Responses
    /// request (empty when there is none).
    pub fn messages(&self) -> &[Value] {
        self.body
            .get("messages")
            .or_else(|| self.body.get("input"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The request's `input` array (Responses; empty when there is none).
    pub fn input(&self) -> &[Value] {
        self.body["input"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Whether this is an OpenAI request.
    pub fn is_openai(&self) -> bool {
        self.path == OPENAI_PATH
    }
}

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An HTTP response.
    Http(HttpReply),
    /// A `200 text/event-stream` response written piece by piece (axum server only).
    Stream(StreamReply),
    /// Read the request, then close the connection without answering (raw server only; the
    /// axum server answers 418 instead, which fails the test visibly).
    Close,
    /// Write exactly these bytes, then close the connection (raw server only).
    Bytes(Vec<u8>),
}

/// A scripted HTTP response.
#[derive(Debug, Clone)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// Headers, sent in order.
    pub headers: Vec<(String, String)>,
    /// The body: any bytes.
    pub body: Vec<u8>,
    /// How long to wait before answering.
    pub delay: Duration,
}

/// A streamed response: its pieces, each after its delay, then how the stream ends.
#[derive(Debug, Clone)]
pub struct StreamReply {
    /// The pieces of the body, each written after its delay.
    pub pieces: Vec<(Duration, Vec<u8>)>,
    /// What happens after the last piece.
    pub end: StreamEnd,
    /// The `content-type` (default `text/event-stream`).
    pub content_type: &'static str,
}

/// How a streamed response ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The body ends as it should.
    Close,
    /// The connection breaks: the body is cut off.
    Cut,
    /// Nothing more comes, and the connection stays open.
    Stall,
}

impl Reply {
    /// A `200 text/event-stream` response whose body is `text`, in one piece.
    pub fn sse(text: impl Into<String>) -> Self {
        Self::sse_pieces([text.into().into_bytes()])
    }

    /// A `200 text/event-stream` response written in these pieces (bytes split anywhere).
    pub fn sse_pieces<P: Into<Vec<u8>>>(pieces: impl IntoIterator<Item = P>) -> Self {
        Self::Stream(StreamReply {
            pieces: pieces
                .into_iter()
                .map(|piece| (Duration::ZERO, piece.into()))
                .collect(),
            end: StreamEnd::Close,
            content_type: "text/event-stream",
        })
    }

    /// Sends a streamed response with this `content-type` (streamed replies only).
    pub fn content_type(mut self, content_type: &'static str) -> Self {
        if let Self::Stream(stream) = &mut self {
            stream.content_type = content_type;
        }
        self
    }

    /// A `200 text/event-stream` response writing each event of `text` as a piece of its own,
    /// `every` apart.
    pub fn sse_paced(text: &str, every: Duration) -> Self {
        let mut reply = Self::sse_pieces(sse_events(text));
        if let Self::Stream(stream) = &mut reply {
            for (delay, _) in stream.pieces.iter_mut().skip(1) {
                *delay = every;
            }
        }
        reply
    }

    /// Ends a streamed response this way (streamed replies only).
    pub fn ending(mut self, end: StreamEnd) -> Self {
        if let Self::Stream(stream) = &mut self {
            stream.end = end;
        }
        self
    }

    /// `200 OK` with a JSON body.
    pub fn json(body: Value) -> Self {
        Self::status_json(200, body)
    }

    /// A JSON body with this status.
    pub fn status_json(status: u16, body: Value) -> Self {
        Self::raw(status, body.to_string()).header("content-type", "application/json")
    }

    /// Any bytes with this status, and no `content-type` unless added with [`header`](Self::header).
    pub fn raw(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self::Http(HttpReply {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        })
    }

    /// Adds a header (HTTP replies only).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Http(reply) = &mut self {
            reply.headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Waits this long before answering (HTTP replies only).
    pub fn delay(mut self, delay: Duration) -> Self {
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
    /// Whether one call id may answer several calls (see [`MockServer::allow_repeated_ids`]).
    repeated_ids: std::sync::atomic::AtomicBool,
}

impl Script {
    /// Picks the reply for `request`, records it (with the handling time since `started`) and
    /// checks it against the protocol.
    fn answer(&self, mut request: Recorded, started: Instant) -> Reply {
        let repeated_ids = self.repeated_ids.load(std::sync::atomic::Ordering::Relaxed);
        if let Err(violation) = check_protocol_with(&request, repeated_ids) {
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
pub struct MockServer {
    addr: SocketAddr,
    script: Arc<Script>,
    task: JoinHandle<()>,
}

impl MockServer {
    /// The axum server on `127.0.0.1:<free port>`, on the current tokio runtime.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(Script::default());
        let app = Wire::ALL
            .into_iter()
            .fold(Router::new(), |app, wire| {
                app.route(wire.path, post(handle))
            })
            .fallback(handle)
            .with_state(script.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, script, task }
    }

    /// The same script served over a hand-written HTTP/1.1 loop, which can also hang up
    /// ([`Reply::Close`]) or write raw bytes ([`Reply::Bytes`]).
    pub async fn start_raw() -> Self {
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
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The Anthropic base URL: `http://127.0.0.1:PORT`.
    pub fn anthropic_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply.
    pub fn push(&self, reply: Reply) -> &Self {
        self.push_fn(move |_| reply)
    }

    /// Queues a reply computed from the request it answers.
    pub fn push_fn(&self, respond: impl FnOnce(&Recorded) -> Reply + Send + 'static) -> &Self {
        self.script
            .queue
            .lock()
            .unwrap()
            .push_back(Box::new(respond));
        self
    }

    /// Answers every request the queue has no reply for (default: `418`, script exhausted).
    pub fn fallback(&self, respond: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) {
        *self.script.fallback.lock().unwrap() = Some(Arc::new(respond));
    }

    /// Lets one call id stand for several calls in the requests (as a server that repeats or
    /// leaves empty the ids it issues is answered).
    pub fn allow_repeated_ids(&self) {
        self.script
            .repeated_ids
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.script.log.lock().unwrap().clone()
    }

    /// How many requests so far.
    pub fn request_count(&self) -> usize {
        self.script.log.lock().unwrap().len()
    }

    /// Forgets the requests recorded so far.
    pub fn clear(&self) {
        self.script.log.lock().unwrap().clear();
    }

    /// Panics if any recorded request broke the tool-call protocol.
    pub fn assert_protocol(&self) {
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

/// The events of a server-sent-events text, each with the blank line that ends it.
pub fn sse_events(text: &str) -> Vec<String> {
    let mut events = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find("\n\n").map_or(rest.len(), |end| end + 2);
        events.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    events
}

/// The gaps between consecutive arrivals.
pub fn gaps(requests: &[Recorded]) -> Vec<Duration> {
    requests
        .windows(2)
        .map(|pair| pair[1].at.duration_since(pair[0].at))
        .collect()
}

/// A base URL at which nothing listens: connecting is refused.
pub async fn refused_url() -> String {
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
    if Wire::serving(&request.path).is_none() {
        script.log.lock().unwrap().push(request);
        return json_response(
            404,
            json!({"error": {"message": "mock server: no such path"}}),
        );
    }
    let reply = match script.answer(request, started) {
        Reply::Http(reply) => reply,
        Reply::Stream(stream) => return stream_response(stream),
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

/// A streamed response: each piece after its delay, then the end.
fn stream_response(reply: StreamReply) -> Response {
    let content_type = HeaderValue::from_static(reply.content_type);
    let pieces = futures_util::stream::unfold(
        (reply.pieces.into_iter(), reply.end),
        |(mut pieces, end)| async move {
            match pieces.next() {
                Some((delay, piece)) => {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    Some((Ok(Bytes::from(piece)), (pieces, end)))
                }
                None => match end {
                    StreamEnd::Close => None,
                    StreamEnd::Cut => {
                        // Lets the client read what was written before the connection breaks
                        // (a reset can discard data the client has not read yet).
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Some((
                            Err(std::io::Error::other("mock server: cut off")),
                            (pieces, StreamEnd::Close),
                        ))
                    }
                    StreamEnd::Stall => {
                        std::future::pending::<()>().await;
                        None
                    }
                },
            }
        },
    );
    let mut response = Response::new(Body::from_stream(pieces));
    response
        .headers_mut()
        .insert(axum::http::header::CONTENT_TYPE, content_type);
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
            Reply::Close | Reply::Stream(_) => return,
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
