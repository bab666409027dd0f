//! MCP, the Model Context Protocol, through [rmcp](https://docs.rs/rmcp) (the official Rust SDK):
//! serve a [`Toolbox`](crate::Toolbox) to any MCP client ([`McpServer`]), over stdio or
//! Streamable HTTP, and give the loop any MCP server's tools ([`McpClient`]). Behind the `mcp`
//! cargo feature.
//!
//! The same `#[tool]` functions serve OpenAI, Anthropic and MCP clients alike: their schemas,
//! descriptions, titles and hints (`#[tool(title = "…", read_only)]`), typed arguments with
//! every problem reported at once, state and per-run data through the same extractors.

mod client;
mod serve;

pub use client::{McpClient, McpClientError, McpTool};
pub use rmcp;
pub use serve::McpServer;
