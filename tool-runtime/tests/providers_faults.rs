//! Faults and retries as the server sees them: statuses, `retry-after`, bodies that are not JSON or
//! are cut off, connections refused, closed or too slow.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{
    MockServer, Reply, Wire, each_wire, fast_retries, min_wait, model_error, weather_tools,
};
use tool_runtime::conversation::Usage;
use tool_runtime::{Agent, Message};

// ---------------------------------------------------------------------------------------------
// Faults and retries, as the server sees them.
// ---------------------------------------------------------------------------------------------

/// 429, 500, 502, 503, 504 and 529 are retried after a backoff, then the run succeeds.
async fn retryable_statuses_are_retried(wire: Wire) {
    for status in [429, 500, 502, 503, 504, 529] {
        let server = MockServer::start().await;
        server.push(Reply::status_json(status, wire.error("try again")));
        server.push(Reply::json(wire.text("ok", 1, 1)));
        let output = wire
            .agent_with_retries(&server, 2)
            .run("hi")
            .await
            .unwrap_or_else(|error| panic!("{status}: {error}"));
        assert_eq!(output.text, "ok");
        assert_eq!(output.turns, 1);
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "{status}");
        assert_eq!(requests[0].body, requests[1].body, "{status}: same request");
        let gap = support::gaps(&requests)[0];
        assert!(gap >= min_wait(0), "{status}: retried after {gap:?}");
    }
}

/// After `max_retries` the error carries the status, the provider's message and the raw body, and
/// the server saw growing waits between the attempts.
async fn retries_exhausted(wire: Wire) {
    let server = MockServer::start().await;
    let (status, body) = wire.overloaded();
    let message = body["error"]["message"].as_str().unwrap().to_owned();
    server.fallback(move |_| Reply::status_json(status, body.clone()));

    let error = wire
        .agent_with_retries(&server, 3)
        .run("hi")
        .await
        .unwrap_err();
    assert_eq!(error.turns, 1);
    assert_eq!(error.messages, [Message::user("hi")]);
    assert_eq!(error.usage, Usage::default());
    let error = model_error(error);
    assert!(error.is_status());
    assert_eq!(error.status(), Some(status));
    assert_eq!(error.message(), message);
    assert_eq!(error.attempts(), 4);
    assert_eq!(error.provider(), wire.provider);
    let raw: Value = serde_json::from_str(error.raw_body().unwrap()).unwrap();
    assert_eq!(raw["error"]["message"], message);
    assert_eq!(
        error.to_string(),
        format!(
            "{}: HTTP {status}: {message} (after 4 attempts)",
            error.provider()
        )
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for (retry, gap) in support::gaps(&requests).into_iter().enumerate() {
        assert!(
            gap >= min_wait(retry as u32),
            "wait {retry} was {gap:?}, below {:?}",
            min_wait(retry as u32)
        );
    }
}

/// `retry-after: 1` makes the client wait a whole second, however short its own backoff.
async fn retry_after_seconds(wire: Wire) {
    let server = MockServer::start().await;
    server
        .push(Reply::status_json(429, wire.error("Rate limit reached")).header("retry-after", "1"));
    server.push(Reply::json(wire.text("ok", 1, 1)));
    let output = wire.agent_with_retries(&server, 2).run("hi").await.unwrap();
    assert_eq!(output.text, "ok");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let gap = support::gaps(&requests)[0];
    assert!(gap >= Duration::from_millis(990), "waited {gap:?}");
    assert!(gap < Duration::from_secs(5), "waited {gap:?}");
}

/// `retry-after-ms` wins over `retry-after`, and may exceed the policy's own maximum.
async fn retry_after_ms(wire: Wire) {
    let server = MockServer::start().await;
    server.push(
        Reply::status_json(503, wire.error("busy"))
            .header("retry-after-ms", "350")
            .header("retry-after", "30"),
    );
    server.push(Reply::json(wire.text("ok", 1, 1)));
    wire.agent_with_retries(&server, 2).run("hi").await.unwrap();
    let gap = support::gaps(&server.requests())[0];
    assert!(gap >= Duration::from_millis(345), "waited {gap:?}");
    assert!(gap < Duration::from_secs(5), "waited {gap:?}");
}

/// Client errors are not retried: one request, the status and the provider's message.
async fn client_errors_are_not_retried(wire: Wire) {
    for status in [400, 401, 403, 404, 413, 422] {
        let server = MockServer::start().await;
        let message =
            format!("mock {status}: messages.1: `tool_use` ids were found without results");
        let body = wire.invalid_request(&message);
        server.push(Reply::status_json(status, body.clone()));
        // A retry would succeed: it must not happen.
        server.fallback(move |_| Reply::json(wire.text("should not be asked", 1, 1)));
        let error = model_error(
            wire.agent_with_retries(&server, 3)
                .run("hi")
                .await
                .unwrap_err(),
        );
        assert_eq!(server.request_count(), 1, "{status} was retried");
        assert!(error.is_status());
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.message(), message);
        assert_eq!(error.attempts(), 1);
        assert_eq!(error.raw_body(), Some(body.to_string().as_str()));
        assert!(!error.to_string().contains("attempts"), "{error}");
    }
}

/// An error status whose body is not the provider's JSON (a proxy's HTML page).
async fn error_status_with_html_body(wire: Wire) {
    let server = MockServer::start().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    server.fallback(move |_| Reply::raw(502, html).header("content-type", "text/html"));
    let error = model_error(
        wire.agent_with_retries(&server, 1)
            .run("hi")
            .await
            .unwrap_err(),
    );
    assert_eq!(server.request_count(), 2);
    assert!(error.is_status());
    assert_eq!(error.status(), Some(502));
    assert_eq!(error.message(), "Bad Gateway");
    assert_eq!(error.raw_body(), Some(html));
}

/// 200 with a body that is not JSON, JSON cut short, or JSON of the wrong shape: a `Decode`
/// error that keeps the raw text, never a panic, never a retry.
async fn malformed_bodies_are_decode_errors(wire: Wire) {
    let complete = wire.text("hello there", 1, 1).to_string();
    let truncated = complete[..complete.len() / 2].to_owned();
    let wrong_shape = wire.wrong_shape().to_string();
    let cases = [
        ("<html>not json</html>".to_owned(), "text/html"),
        (truncated, "application/json"),
        (String::new(), "application/json"),
        (wrong_shape, "application/json"),
        (
            json!({"type": "error", "error": {"message": "200 but an error"}}).to_string(),
            "application/json",
        ),
    ];
    for (body, content_type) in cases {
        let server = MockServer::start().await;
        let sent = body.clone();
        server.push(Reply::raw(200, sent).header("content-type", content_type));
        server.fallback(move |_| Reply::json(wire.text("should not be asked", 1, 1)));
        let run = wire.agent_with_retries(&server, 2).run("hi").await;
        let error = model_error(run.unwrap_err());
        assert_eq!(server.request_count(), 1, "{body:?} was retried");
        assert!(error.is_decode(), "{body:?}: {error}");
        assert_eq!(error.attempts(), 1);
        let raw = error
            .raw_body()
            .unwrap_or_else(|| panic!("{body:?}: no raw body"));
        if serde_json::from_str::<Value>(&body).is_ok() {
            // Parsed but of the wrong shape: the raw body is the JSON, re-serialized.
            assert_eq!(
                serde_json::from_str::<Value>(raw).unwrap(),
                serde_json::from_str::<Value>(&body).unwrap()
            );
        } else {
            assert_eq!(raw, body);
        }
    }
}

/// Bodies that are not UTF-8 at all, with a success and an error status: errors, never panics.
async fn binary_bodies(wire: Wire) {
    let garbage: &[u8] = &[0xff, 0xfe, 0x00, b'{', 0xc3, 0x28, b'}', 0x80];
    let server = MockServer::start().await;
    server.push(Reply::raw(200, garbage).header("content-type", "application/octet-stream"));
    server.push(Reply::raw(400, garbage));
    let agent = wire.agent_with_retries(&server, 0);
    let decode = model_error(agent.run("hi").await.unwrap_err());
    assert!(decode.is_decode(), "{decode}");
    assert_eq!(
        decode.raw_body(),
        Some(String::from_utf8_lossy(garbage).as_ref())
    );
    let status = model_error(agent.run("hi").await.unwrap_err());
    assert!(status.is_status());
    assert_eq!(status.status(), Some(400));
    assert_eq!(status.message(), "Bad Request");
    assert_eq!(server.request_count(), 2);
}

/// The start of a body whose connection drops before the rest.
const PARTIAL: &str = r#"{"id":"chatcmpl-1","choices":[{"index":0,"mess"#;

/// Runs once against a server that sends [`PARTIAL`] of the 500 bytes its `content-length`
/// promises, then hangs up; the model's error, and how many requests the server saw.
async fn run_on_a_cut_body(wire: Wire) -> (tool_runtime::Error, usize) {
    let server = MockServer::start_raw().await;
    server.push(Reply::Bytes(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{PARTIAL}"
        )
        .into_bytes(),
    ));
    let error = model_error(
        wire.agent_with_retries(&server, 0)
            .run("hi")
            .await
            .unwrap_err(),
    );
    (error, server.request_count())
}

/// A body shorter than its `content-length` (the connection drops mid-body): a `Decode` error,
/// not a panic.
async fn body_cut_by_the_connection(wire: Wire) {
    let (error, requests) = run_on_a_cut_body(wire).await;
    assert_eq!(requests, 1);
    assert!(error.is_decode(), "{error}");
    assert_eq!(error.status(), Some(200));
    assert!(error.message().contains("could not be read"), "{error}");
}

/// The raw text of a body cut by the connection is kept too, as `raw_body()` promises for
/// responses that could not be parsed.
async fn body_cut_by_the_connection_keeps_raw_text(wire: Wire) {
    let (error, _) = run_on_a_cut_body(wire).await;
    assert_eq!(error.raw_body(), Some(PARTIAL));
}

/// A body cut off by the connection is a transport failure: retried, and the retry can succeed.
async fn body_cut_is_retried(wire: Wire) {
    let server = MockServer::start_raw().await;
    server.push(Reply::Bytes(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"id\""
            .to_vec(),
    ));
    server.push(Reply::json(wire.text("recovered", 1, 1)));
    let output = wire.agent_with_retries(&server, 1).run("hi").await.unwrap();
    assert_eq!(output.text, "recovered");
    assert_eq!(server.request_count(), 2);
}

/// Nothing listens: each attempt is refused, retried with backoff, then a `Connect` error.
async fn connection_refused(wire: Wire) {
    let url = support::refused_url().await;
    let url = format!("{url}{}", wire.base_path);
    let started = Instant::now();
    let run = Agent::new(wire.provider(url, fast_retries(2)), weather_tools())
        .run("hi")
        .await;
    let elapsed = started.elapsed();
    let error = run.unwrap_err();
    assert_eq!(error.turns, 1);
    let error = model_error(error);
    assert!(error.is_connect(), "{error}");
    assert_eq!(error.attempts(), 3);
    assert_eq!(error.status(), None);
    assert!(error.message().starts_with("request failed"), "{error}");
    assert!(std::error::Error::source(&error).is_some());
    assert!(elapsed >= min_wait(0) + min_wait(1), "{elapsed:?}");
}

/// The server reads the request and hangs up twice: retried, then the third attempt succeeds.
async fn connection_closed_then_recovers(wire: Wire) {
    let server = MockServer::start_raw().await;
    server.push(Reply::Close);
    server.push(Reply::Close);
    server.push(Reply::json(wire.text("ok", 1, 1)));
    let output = wire.agent_with_retries(&server, 2).run("hi").await.unwrap();
    assert_eq!(output.text, "ok");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|request| request.path == wire.path));
    let gaps = support::gaps(&requests);
    assert!(gaps[0] >= min_wait(0), "{gaps:?}");
    assert!(gaps[1] >= min_wait(1), "{gaps:?}");
}

/// The server always hangs up: `Connect` error after every retry, each seen by the server.
async fn connection_closed_every_time(wire: Wire) {
    let server = MockServer::start_raw().await;
    server.fallback(|_| Reply::Close);
    let error = model_error(
        wire.agent_with_retries(&server, 2)
            .run("hi")
            .await
            .unwrap_err(),
    );
    assert!(error.is_connect(), "{error}");
    assert_eq!(error.attempts(), 3);
    assert_eq!(server.request_count(), 3);
}

/// A server slower than the request timeout: retried, then a `Timeout` error.
async fn request_timeout(wire: Wire) {
    let server = MockServer::start().await;
    server.fallback(move |_| Reply::json(wire.text("late", 1, 1)).delay(Duration::from_secs(3)));
    let agent = Agent::new(
        wire.provider_with_timeout(
            wire.url(&server),
            fast_retries(1),
            Duration::from_millis(150),
        ),
        weather_tools(),
    );
    let started = Instant::now();
    let error = model_error(agent.run("hi").await.unwrap_err());
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(error.is_timeout(), "{error}");
    assert!(error.is_timeout());
    assert_eq!(error.attempts(), 2);
    assert_eq!(server.request_count(), 2);
}

/// A response that says "tool use" but holds no usable call is an error that keeps the body, not
/// an empty final answer; nor is a damaged call dropped in silence.
async fn tool_use_without_a_usable_call_is_an_error(wire: Wire) {
    for (body, message) in wire.unusable_calls() {
        let server = MockServer::start().await;
        server.push(Reply::json(body.clone()));
        let error = model_error(
            wire.agent_with_retries(&server, 2)
                .run("hi")
                .await
                .unwrap_err(),
        );
        assert!(error.is_decode(), "{error}");
        assert_eq!(error.message(), message);
        assert_eq!(error.status(), Some(200));
        let raw: Value = serde_json::from_str(error.raw_body().unwrap()).unwrap();
        assert_eq!(raw, body);
        assert_eq!(server.request_count(), 1, "not retried");
    }
}

/// A body over the size limit is an error, read no further and not retried.
async fn bodies_over_the_size_limit_are_refused(wire: Wire) {
    let server = MockServer::start().await;
    let long = "x".repeat(4096);
    server.push(Reply::json(wire.text(&long, 1, 1)));
    server.fallback(move |_| Reply::json(wire.text("small", 1, 1)));
    let limited = wire
        .model(wire.url(&server))
        .retry_policy(fast_retries(2))
        .max_response_bytes(1024)
        .build();
    let agent = Agent::new(limited, weather_tools());
    let error = model_error(agent.run("hi").await.unwrap_err());
    assert!(error.is_decode(), "{error}");
    assert_eq!(
        error.message(),
        "the response body is larger than the limit of 1024 bytes"
    );
    assert_eq!(server.request_count(), 1, "not retried");
    // Under the limit, the same model reads the answer.
    let output = agent.run("hi").await.unwrap();
    assert_eq!(output.text, "small");
}

each_wire!(
    tool_use_without_a_usable_call_is_an_error,
    bodies_over_the_size_limit_are_refused,
    retryable_statuses_are_retried,
    retries_exhausted,
    retry_after_seconds,
    retry_after_ms,
    client_errors_are_not_retried,
    error_status_with_html_body,
    malformed_bodies_are_decode_errors,
    binary_bodies,
    body_cut_by_the_connection,
    body_cut_by_the_connection_keeps_raw_text,
    body_cut_is_retried,
    connection_refused,
    connection_closed_then_recovers,
    connection_closed_every_time,
    request_timeout,
);
