//! A real HTTP mock of the OpenAI and Anthropic APIs, for end-to-end tests and benchmarks, and the
//! table of wire protocols the per-wire tests run over.
//!
//! [`MockServer::start`] binds an axum app to `127.0.0.1:0` on the caller's tokio runtime. It
//! answers each wire's endpoint (`POST /v1/chat/completions`, `POST /v1/messages`, `POST
//! /v1/responses`; base URL [`Wire::url`]) from a scripted queue of [`Reply`]s, or from closures
//! that compute the reply from the request, and records every request ([`Recorded`]: arrival
//! time, path, headers, raw and parsed body, handling time).
//!
//! [`MockServer::start_raw`] serves the same script over a hand-written HTTP/1.1 loop on a raw
//! `TcpListener`, for what axum cannot do: [`Reply::Close`] (read the request, then hang up
//! without answering) and [`Reply::Bytes`] (write these exact bytes, e.g. a body shorter than its
//! `content-length`, then hang up).
//!
//! Every recorded request is checked against the tool-call protocol of its wire
//! ([`check_protocol`]); a violation fails the test when the server is dropped, or at once through
//! [`MockServer::assert_protocol`].
//!
//! [`Wire`] is one row per wire protocol: what its server answers, how its requests are read,
//! and how it differs from the others; [`each_wire!`] runs a test once per row. [`openai`],
//! [`responses`] and [`anthropic`] hold the rows and build canned responses in the exact shapes
//! of the recorded real traffic in `tests/fixtures/` ([`fixture`]). [`CapturedLogs`] reads what a
//! test's runs write to `tracing`.

pub mod anthropic;
mod fixtures;
mod logs;
pub mod mcp;
mod model;
pub mod openai;
mod protocol;
pub mod responses;
mod run;
mod seed;
mod server;
mod wire;

pub use anthropic::ANTHROPIC_KEY;
pub use fixtures::{fixture, fixture_text};
pub use logs::CapturedLogs;
pub use model::WholeMessage;
pub use openai::OPENAI_KEY;
pub use protocol::{check_protocol, check_protocol_with};
pub use run::{fast_retries, min_wait, model_error, reply, usage};
pub use seed::{
    PROMPT, SEED_ANSWER, anthropic_weather_tools, exchange_rate_parameters, get_exchange_rate,
    get_weather, openai_weather_tools, weather_parameters, weather_tools,
};
pub use server::{
    ANTHROPIC_PATH, HttpReply, MockServer, OPENAI_PATH, RESPONSES_PATH, Recorded, Reply, StreamEnd,
    StreamReply, gaps, refused_url, sse_events,
};
pub use wire::{ModelBuilder, Seen, Wire};
