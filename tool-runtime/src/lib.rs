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
//!     .call("get_weather", &Arguments::from(r#"{"city":"Tokyo"}"#), CallContext::new("call_1"))
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
//! - [`Toolbox`]: tools by name, the `tools` array for each provider, and
//!   [`run`](Toolbox::run) for one model turn: every call concurrently, results in call order,
//!   every call id answered (errors, panics and timeouts included).
//! - [`Agent`]: the loop — ask the model, run its calls, send the results, repeat until it answers.
//! - Providers: [`OpenAi`] (and OpenAI-compatible servers), [`Anthropic`], and [`OfflineModel`],
//!   which plays the model locally for first runs and tests.
//! - [`Message`] and friends: the provider-neutral transcript; [`repair_messages`] and the wire
//!   repairs make a saved transcript sendable again.
//! - [`strict`]: OpenAI's strict schema flavour, for any schema.

#![forbid(unsafe_code)]

// Lets `#[tool]`'s generated `::tool_runtime::…` paths resolve inside this crate's own tests.
#[cfg(test)]
extern crate self as tool_runtime;

mod agent;
mod chat;
mod decode;
mod error;
mod offline;
pub mod provider;
mod repair;
mod run;
mod schema;
pub mod strict;
mod tool;
mod toolbox;

#[doc(hidden)]
pub mod __private;

// The README's examples are doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

pub use agent::{Agent, AgentEvent, RunError, RunOutput};
pub use chat::{
    AssistantMessage, ChatRequest, Message, ModelResponse, Provider, ProviderFuture, RawMessage,
    StopReason, ToolChoice, ToolReply, Usage,
};
pub use error::{FieldIssue, InvalidArguments, ToolError};
pub use offline::{OfflineModel, RecordedRequest};
pub use provider::{Anthropic, Error, ErrorKind, OpenAi, RetryPolicy};
pub use repair::{repair_anthropic_messages, repair_messages, repair_openai_messages};
pub use run::{CallEvent, ToolCall, ToolResult, complete_turn};
pub use tool::{Arguments, CallContext, Tool, ToolDefinition, ToolFuture, ToolOutput};
pub use toolbox::{RegisterError, Toolbox, is_valid_tool_name};

/// Turns a function into a tool. See the crate docs of `tool-macros` for the full reference.
pub use tool_runtime_macros::tool;

/// Builds a [`Toolbox`] from `#[tool]` functions, one token per tool.
///
/// Two tools with the same name are a compile-time error.
///
/// ```
/// use tool_runtime::{tool, tools};
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
/// ```
#[macro_export]
macro_rules! tools {
    ($($tool:path),* $(,)?) => {{
        const _: () = $crate::__private::assert_unique_names(&[
            $(<$tool as $crate::__private::MacroTool>::NAME),*
        ]);
        $crate::Toolbox::new()
            $(.with(<$tool as ::core::default::Default>::default()))*
    }};
}
