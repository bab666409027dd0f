//! Give an LLM tools.
//!
//! Write ordinary Rust functions, mark them `#[tool]`, and this crate gives each one a JSON-schema
//! definition for OpenAI and Anthropic (from the signature and the doc comments) plus a typed
//! argument decoder whose errors a model can act on. The function itself stays callable as
//! written. An [`Agent`] runs the loop: it asks the model, runs every call it makes —
//! concurrently, each call answered whatever happens — sends the results back, and repeats
//! until the model answers.
//!
//! ```
//! use tool_runtime::{Agent, OfflineModel, tool, tools};
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
//! # async fn main() -> Result<(), tool_runtime::RunError> {
//! // Still an ordinary async fn:
//! assert_eq!(get_weather("Oslo".into()).await, "Sunny in Oslo");
//!
//! // And a tool, in the loop with a model (`tool_runtime::model::from_env()` picks a real one
//! // when an API key is set).
//! let agent = Agent::new(OfflineModel::new(), tools![get_weather]);
//! let output = agent.run("Weather in Tokyo?").await?;
//! assert!(output.text.contains("Sunny in Tokyo"));
//! # Ok(()) }
//! ```
//!
//! # The pieces, by module
//!
//! The names a first program uses are at the root: the [`tool`](macro@tool) and
//! [`toolset`] attributes, [`tools!`], [`Agent`], [`Toolbox`], the extractors [`State`],
//! [`CallContext`] and [`PerRun`] with [`RunData`], the models [`OpenAi`], [`Anthropic`] and
//! [`OfflineModel`], [`Message`], and the errors [`Error`] and [`RunError`]. Everything else
//! lives under its noun:
//!
//! - [`mod@tool`]: what a tool is — the [`Tool`](tool::Tool) trait for tools written by hand
//!   (or [`FnTool`](tool::FnTool) for one known only at run time), its
//!   [`ToolDefinition`](tool::ToolDefinition) (what the model reads) and
//!   [`ToolPolicy`](tool::ToolPolicy) (how its calls run), arguments, outputs, errors and
//!   extractors.
//! - [`turn`]: the calls of one model message, each started the moment it is known, run
//!   concurrently, every call answered ([`Turn`](turn::Turn)), and hooks around every call.
//! - [`agent`]: the loop and a run's control — per-run data, cancellation that keeps the
//!   transcript, typed final answers, approvals that pause a run
//!   ([`PausedRun`](agent::PausedRun)), the events of a run as they happen.
//! - [`journal`]: runs that survive their process — every step written before the run moves
//!   on, [`Agent::recover`] after a crash, paused runs [resumed by id](Agent::resume_run); a
//!   SQLite store behind the `sqlite` feature.
//! - [`model`]: one request in, one response (or a stream of events) out; the HTTP models,
//!   the offline one, and [`model::from_env`] to pick one from the environment.
//! - [`conversation`]: the provider-neutral transcript, content blocks, usage, and the repair
//!   that makes a saved transcript sendable again.
//! - [`schema`]: a tool's schema with its strict flavours, for OpenAI and Anthropic.
//! - [`wire`]: the wire protocols — OpenAI Chat Completions, OpenAI Responses, Anthropic
//!   Messages.
//! - `mcp` (feature): tools served to MCP clients, and an MCP server's tools in a toolbox.
//!
//! # Features
//!
//! - `validate` (default): a tool's arguments are checked against its whole JSON Schema (bounds,
//!   lengths, patterns, formats…) before it runs, every violation reported with its path; so is
//!   a typed final answer. Without it, serde's checks alone apply.
//! - `rustls` (default): HTTPS through rustls with its default crypto provider (aws-lc-rs),
//!   verifying servers against the platform's trust store — reqwest's own default TLS, so any
//!   other reqwest client in the program works as it would without this crate. Without it,
//!   only plain HTTP (a local OpenAI-compatible server) works.
//! - `mcp`: the `mcp` module, through rmcp — a toolbox served to MCP clients over stdio or
//!   Streamable HTTP (`mcp::McpServer`), and an MCP server's tools in a toolbox
//!   (`mcp::McpClient`).
//! - `sqlite`: `journal::SqliteJournal`, runs journaled in a SQLite file (WAL, a transaction
//!   per write) that survives the process and reads in the `sqlite3` shell. SQLite is compiled
//!   in (rusqlite's `bundled`): a C compiler is needed, no system library.

#![forbid(unsafe_code)]

// Lets `#[tool]`'s generated `::tool_runtime::…` paths resolve inside this crate's own tests.
#[cfg(test)]
extern crate self as tool_runtime;

pub mod agent;
mod content;
pub mod conversation;
mod error;
mod http;
pub mod journal;
mod json;
#[cfg(feature = "mcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "mcp")))]
pub mod mcp;
pub mod model;
mod run;
pub mod schema;
pub mod tool;
pub mod turn;

#[doc(hidden)]
pub mod __private;

// The README's examples are doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use agent::Agent;
pub use conversation::Message;
pub use error::{Error, Result};
pub use model::{Anthropic, OfflineModel, OpenAi, wire};
pub use run::RunError;
pub use tool::{CallContext, PerRun, RunData, State, Toolbox};

/// The schemars this crate builds JSON Schemas with (1.x): a `#[derive(JsonSchema)]` on your
/// argument types must come from this major version. Depend on `schemars = "1"`, or derive
/// through this re-export:
///
/// ```
/// use tool_runtime::schemars::JsonSchema;
///
/// #[derive(serde::Deserialize, JsonSchema)]
/// #[schemars(crate = "tool_runtime::schemars")]
/// struct Order {
///     sku: String,
///     quantity: u32,
/// }
/// ```
pub use schemars;

/// Turns a function into a tool. See the crate docs of `tool-runtime-macros` for the full reference.
pub use tool_runtime_macros::tool;
/// Makes the `#[tool]` methods of an `impl` block tools of its type: a
/// [`ToolSet`](tool::ToolSet). See the crate docs of `tool-runtime-macros` for the full
/// reference.
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
