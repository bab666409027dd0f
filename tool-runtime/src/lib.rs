//! Give an LLM tools.
//!
//! Write ordinary Rust functions, mark them `#[tool]`, and this crate gives each one a JSON-schema
//! definition for OpenAI and Anthropic (from the signature and the doc comments) plus a typed
//! argument decoder whose errors a model can act on. The function itself stays callable as
//! written.
//!
//! ```
//! use tool_runtime::{Arguments, CallContext, tool, tools};
//!
//! /// Get the current weather for a city.
//! #[tool]
//! async fn get_weather(
//!     /// City name, e.g. "Tokyo".
//!     city: String,
//! ) -> String {
//!     format!("Sunny in {city}")
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Still an ordinary async fn:
//! assert_eq!(get_weather("Oslo".into()).await, "Sunny in Oslo");
//!
//! // And a tool:
//! let toolbox = tools![get_weather];
//! let out = toolbox
//!     .call("get_weather", &Arguments::from(r#"{"city":"Tokyo"}"#), &CallContext::new("call_1"))
//!     .await
//!     .unwrap();
//! assert_eq!(out.as_str(), "Sunny in Tokyo");
//! # }
//! ```
//!
//! # The pieces
//!
//! - [`tool`] (the attribute) and [`tools!`]: definitions, schemas and decoders from functions;
//!   [`Tool`] for tools written by hand.
//! - [`Toolbox`]: the tools by name, the state they share, and the limits their calls run under.
//! - Tools with state: [`State<T>`] (a part of the toolbox's state, through [`FromRef`]),
//!   [`CallContext`] (call id, tool name, cancellation token), [`Run<T>`] (per-run data,
//!   [`RunData`]), extractors of your own ([`FromCall`]), and `&self` methods of a
//!   [`toolset`] ([`ToolSet`]).
//! - [`Turn`]: the calls of one model turn, each started the moment it is known, run
//!   concurrently, every call id answered (errors, panics and timeouts included);
//!   [`Toolbox::run`] for a turn whose calls are all known.
//! - [`Model`]: one request in, one response (or a stream of [`ModelEvent`]s) out.
//!   [`OpenAi`] (Chat Completions, and OpenAI-compatible servers; [`OpenAi::responses`] for the
//!   Responses API) and [`Anthropic`] are [`HttpModel`]s speaking a [`wire`] protocol;
//!   [`OfflineModel`] plays the model locally for first runs and tests.
//! - [`Agent`]: the loop — ask the model, run its calls, send the results, repeat until it answers;
//!   answers streamed by default, each call started the moment its arguments are complete;
//!   [`Agent::stream`] for the [`AgentEvent`]s of a run as they happen.
//! - Control of a run ([`RunRequest`]): per-run data, cancellation that keeps the transcript,
//!   typed final answers ([`RunRequest::output`], [`Answer`]), approvals that pause a run
//!   ([`PausedRun`], [`Agent::resume`], [`Decision`]) and hooks around every call
//!   ([`Agent::before_call`], [`Agent::after_call`], [`CallHooks`], [`Verdict`]).
//! - [`Message`] and friends: the provider-neutral transcript; [`repair_messages`] and each wire's
//!   `repair` make a saved transcript sendable again.
//! - [`Error`]: what went wrong talking to a model; [`RunError`]: a run that ended without an
//!   answer, with its transcript.
//! - [`strict`]: OpenAI's and Anthropic's strict schema flavours, for any schema.
//!
//! # Features
//!
//! - `validate` (default): a tool's arguments are checked against its whole JSON Schema (bounds,
//!   lengths, patterns, formats…) before it runs, every violation reported with its path; so is
//!   a typed final answer. Without it, serde's checks alone apply.
//! - `rustls` (default): HTTPS through rustls, verifying servers against the platform's trust
//!   store. Without it, only plain HTTP (a local OpenAI-compatible server) works.
//! - `mcp`: the `mcp` module, through rmcp — a toolbox served to MCP clients over stdio or
//!   Streamable HTTP (`mcp::McpServer`), and an MCP server's tools in a toolbox
//!   (`mcp::McpClient`).

#![forbid(unsafe_code)]

// Lets `#[tool]`'s generated `::tool_runtime::…` paths resolve inside this crate's own tests.
#[cfg(test)]
extern crate self as tool_runtime;

mod agent;
mod conversation;
mod decode;
mod endpoint;
mod error;
mod http;
mod json;
#[cfg(feature = "mcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "mcp")))]
pub mod mcp;
mod model;
mod offline;
mod schema;
mod tool;
mod toolbox;
mod turn;
pub mod wire;

#[doc(hidden)]
pub mod __private;

// The README's examples are doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// Tools.
pub use tool::{
    Approval, Arguments, CallContext, FieldIssue, InvalidArguments, Tool, ToolDefinition,
    ToolError, ToolFuture, ToolHints, ToolOutput, is_valid_tool_name,
};

// State and extractors.
/// The token that tells a tool its call is no longer wanted ([`CallContext::cancellation`]),
/// from `tokio-util`.
pub use tokio_util::sync::CancellationToken;
pub use tool::{FromCall, FromRef, PlaceGuard, Run, RunData, RunDataNeed, State, ToolFor, ToolSet};
pub use toolbox::{RegisterError, Toolbox};
pub use turn::{CallHooks, Outcome, Turn, Verdict, complete_turn};

// The conversation.
pub use conversation::{
    AssistantMessage, ContentBlock, Media, MediaSource, Message, RawMessage, StopReason, ToolCall,
    ToolResult, Usage, repair_messages,
};

// Models.
pub use endpoint::{Anthropic, HttpModel, OpenAi};
pub use http::RetryPolicy;
pub use model::{
    Finish, Model, ModelEvent, ModelFuture, ModelRequest, ModelResponse, ModelStream,
    ToolCallDelta, ToolChoice,
};
pub use offline::{OfflineModel, RecordedRequest};

// The loop.
pub use agent::{
    Agent, AgentEvent, Answer, Decision, PausedRun, RunError, RunFailure, RunOutput, RunRequest,
    RunStream, TypedRun,
};

// Errors.
pub use error::{Error, Result};

// Schemas.
pub use schema::strict;

/// Turns a function into a tool. See the crate docs of `tool-runtime-macros` for the full reference.
pub use tool_runtime_macros::tool;
/// Makes the `#[tool]` methods of an `impl` block tools of its type: a [`ToolSet`]. See the
/// crate docs of `tool-runtime-macros` for the full reference.
pub use tool_runtime_macros::toolset;

/// Builds a [`Toolbox`] from `#[tool]` functions, one token per tool, with an optional state
/// first.
///
/// Two tools with the same name are a compile-time error, and so is a tool taking
/// [`State<T>`] in a toolbox whose state has no `T`.
///
/// ```
/// use tool_runtime::{State, tool, tools};
///
/// /// Add two numbers.
/// #[tool]
/// fn add(a: i64, b: i64) -> i64 { a + b }
///
/// /// Multiply two numbers.
/// #[tool]
/// fn mul(a: i64, b: i64) -> i64 { a * b }
///
/// let toolbox = tools![add, mul];
/// assert_eq!(toolbox.len(), 2);
///
/// /// Add the configured offset.
/// #[tool]
/// fn shift(x: i64, offset: State<i64>) -> i64 { x + *offset }
///
/// // `state = …;` first: the state the tools share.
/// let toolbox = tools![state = 10_i64; add, shift];
/// assert_eq!(*toolbox.state(), 10);
/// ```
#[macro_export]
macro_rules! tools {
    (state = $state:expr; $($tool:path),* $(,)?) => {{
        const _: () = $crate::__private::assert_unique_names(&[
            $(<$tool as $crate::__private::MacroTool>::NAME),*
        ]);
        $crate::Toolbox::with_state($state)
            $(.with(<$tool as ::core::default::Default>::default()))*
    }};
    ($($tool:path),* $(,)?) => {{
        const _: () = $crate::__private::assert_unique_names(&[
            $(<$tool as $crate::__private::MacroTool>::NAME),*
        ]);
        $crate::Toolbox::new()
            $(.with(<$tool as ::core::default::Default>::default()))*
    }};
}
