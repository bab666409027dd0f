//! [`McpServer`]: a toolbox served to MCP clients.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock as McpContent,
    Implementation, JsonObject, ListToolsResult, PaginatedRequestParams, ResourceContents,
    ServerCapabilities, ServerConfig, Tool as McpTool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::Value;

use crate::conversation::{ContentBlock, MediaSource, ToolCall};
use crate::tool::Toolbox;
use crate::tool::{Arguments, RunData, ToolDefinition, ToolOutput};
use crate::turn::Sequence;

/// How long a cancelled call has to end on its own before it is stopped.
const CANCEL_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// A [`Toolbox`] served to MCP clients (Claude, ChatGPT, Cursor, the MCP Inspector, any agent
/// framework): `tools/list` from the tools' definitions, `tools/call` run as a turn of one call.
///
/// - `tools/list`: each tool's name, title, description, `inputSchema`, hints
///   (`readOnlyHint`…), and an `outputSchema` when it returns a struct (its results then carry
///   `structuredContent` too).
/// - `tools/call`: the output as content blocks (text, images, documents as embedded
///   resources); bad arguments, a tool's `Err`, a panic or a timeout as an error result
///   (`isError: true`) with the text a model would read; an unknown tool as the protocol's
///   error. A client's cancellation fires the call's token (a tool that does not end within a
///   second of it is stopped). Sequential tools run one at a time across all requests; a tool
///   that needs approval is not run.
///
/// ```no_run
/// use tool_runtime::mcp::McpServer;
/// use tool_runtime::{tool, tools};
///
/// /// Get the current weather for a city.
/// #[tool(read_only)]
/// async fn get_weather(city: String) -> String {
///     format!("Sunny in {city}")
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     // Logs must go to stderr: stdout carries the protocol.
///     McpServer::new(tools![get_weather]).serve_stdio().await?;
///     Ok(())
/// }
/// ```
pub struct McpServer<S = ()> {
    inner: Arc<Inner<S>>,
}

struct Inner<S> {
    toolbox: Toolbox<S>,
    run_data: RunData,
    info: Implementation,
    /// Where sequential tools wait their turn: one at a time, across requests.
    sequence: Sequence,
}

impl<S> Clone for McpServer<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S: Send + Sync + 'static> McpServer<S> {
    /// A server for `toolbox`, named after this library (see [`named`](Self::named)).
    pub fn new(toolbox: Toolbox<S>) -> Self {
        Self {
            inner: Arc::new(Inner {
                toolbox,
                run_data: RunData::new(),
                info: Implementation::new("tool-runtime", env!("CARGO_PKG_VERSION")),
                sequence: Sequence::default(),
            }),
        }
    }

    /// The name and version the server gives clients.
    #[must_use]
    pub fn named(self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.rebuild(|inner| inner.info = Implementation::new(name, version))
    }

    /// The per-run data ([`PerRun<T>`](crate::PerRun)) every call gets.
    #[must_use]
    pub fn with_run_data(self, run_data: RunData) -> Self {
        self.rebuild(|inner| inner.run_data = run_data)
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner<S>)) -> Self {
        let inner = match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                change(&mut inner);
                inner
            }
            Err(shared) => {
                let mut inner = Inner {
                    toolbox: shared.toolbox.clone(),
                    run_data: shared.run_data.clone(),
                    info: shared.info.clone(),
                    sequence: Sequence::default(),
                };
                change(&mut inner);
                inner
            }
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Serves one client over stdin and stdout until it closes them.
    ///
    /// # Errors
    ///
    /// The client never completed the protocol's opening, or the connection failed.
    pub async fn serve_stdio(self) -> Result<(), std::io::Error> {
        let running = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(std::io::Error::other)?;
        running.waiting().await.map_err(std::io::Error::other)?;
        Ok(())
    }

    /// The Streamable HTTP endpoint, as a tower service to mount where the program serves HTTP
    /// (e.g. `axum::Router::new().nest_service("/mcp", server.http_service())`). Each client
    /// session is served by this server.
    ///
    /// rmcp's defaults apply: requests whose `Host` is not a loopback name are refused (DNS
    /// rebinding protection). A server reached by another name says which hosts it answers to
    /// with [`http_service_with`](Self::http_service_with).
    pub fn http_service(self) -> StreamableHttpService<Self, LocalSessionManager> {
        self.http_service_with(StreamableHttpServerConfig::default())
    }

    /// [`http_service`](Self::http_service) with rmcp's settings: allowed hosts, stateless mode,
    /// keep-alives, a cancellation token that ends every session.
    pub fn http_service_with(
        self,
        config: StreamableHttpServerConfig,
    ) -> StreamableHttpService<Self, LocalSessionManager> {
        StreamableHttpService::new(
            move || Ok(self.clone()),
            Arc::new(LocalSessionManager::default()),
            config,
        )
    }

    /// Runs one call to the end, or until the client cancels it.
    async fn call(
        &self,
        request: CallToolRequestParams,
        call_id: String,
        ct: tokio_util::sync::CancellationToken,
    ) -> Result<CallToolResult, McpError> {
        let inner = &*self.inner;
        let Some(tool) = inner.toolbox.get(&request.name) else {
            return Err(McpError::invalid_params(
                format!("Unknown tool: {}", request.name),
                None,
            ));
        };
        let definition = tool.definition();
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        // The request's id is the call's: what a tool logs names the request it answers.
        let call = ToolCall::new(call_id, request.name, Arguments::Json(arguments));
        let mut turn = inner
            .toolbox
            .turn()
            .with_run_data(inner.run_data.clone())
            .with_sequence(&inner.sequence)
            .with_cancellation(&ct);
        turn.start(&call);
        let done = tokio::select! {
            _ = turn.next() => true,
            () = ct.cancelled() => false,
        };
        // Cancelled: the tool's token has fired; a tool that heeds it ends on its own, within
        // a moment, and one that does not is stopped.
        let done = done
            || tokio::time::timeout(CANCEL_GRACE, turn.next())
                .await
                .is_ok();
        let mut results = if done {
            turn.join_all().await
        } else {
            turn.cancel()
        };
        let Some(result) = results.pop() else {
            return Err(McpError::internal_error("the call gave no result", None));
        };
        Ok(match result.outcome {
            Ok(output) => success(definition, output),
            Err(error) => CallToolResult::error(vec![McpContent::text(error.to_string())]),
        })
    }
}

/// A successful call's result: its content, and its structured form when the tool declares an
/// output schema.
fn success(definition: &ToolDefinition, output: ToolOutput) -> CallToolResult {
    let mut result = CallToolResult::success(content(&output));
    if definition.output_schema().is_some() {
        // A `#[tool]`'s output keeps its value; a hand-written tool's text is read.
        let value = match output.into_structured() {
            Ok(value) => Some(value),
            Err(text) => serde_json::from_str::<Value>(&text).ok(),
        };
        match value {
            Some(value @ Value::Object(_)) => result.structured_content = Some(value),
            _ => {
                // Clients refuse a result without it once a schema is declared.
                return CallToolResult::error(vec![McpContent::text(format!(
                    "The tool `{}` declares an output schema, but its output is not a JSON object.",
                    definition.name()
                ))]);
            }
        }
    }
    result
}

/// The output as MCP content blocks: text, images, documents as embedded resources, URLs
/// named in text.
fn content(output: &ToolOutput) -> Vec<McpContent> {
    if !output.has_media() {
        return vec![McpContent::text(output.as_str())];
    }
    output
        .blocks()
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text { text } if text.is_empty() => None,
            ContentBlock::Text { text } => Some(McpContent::text(text.as_str())),
            ContentBlock::Image(media) => Some(match &media.source {
                MediaSource::Base64 { media_type, data } => {
                    McpContent::image(data.as_str(), media_type.as_str())
                }
                _ => McpContent::text(format!("An image: {}", media.to_url())),
            }),
            ContentBlock::Document(media) => Some(match &media.source {
                MediaSource::Base64 { media_type, data } => {
                    let name = media.name.as_deref().unwrap_or("document");
                    McpContent::resource(
                        ResourceContents::blob(data.as_str(), format!("attachment:///{name}"))
                            .with_mime_type(media_type.as_str()),
                    )
                }
                _ => McpContent::text(format!("A document: {}", media.to_url())),
            }),
        })
        .collect()
}

/// A tool as MCP lists it.
fn listed(definition: &ToolDefinition) -> McpTool {
    let input: JsonObject = definition
        .parameters()
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut tool = McpTool::new(
        definition.name().to_owned(),
        definition.description().to_owned(),
        Arc::new(input),
    );
    if let Some(title) = definition.title() {
        tool = tool.with_title(title);
    }
    if let Some(Value::Object(schema)) = definition.output_schema() {
        tool = tool.with_raw_output_schema(Arc::new(schema.clone()));
    }
    let hints = definition.policy().hints();
    let mut annotations = ToolAnnotations::new();
    annotations.read_only_hint = hints.read_only;
    annotations.destructive_hint = hints.destructive;
    annotations.idempotent_hint = hints.idempotent;
    annotations.open_world_hint = hints.open_world;
    if annotations != ToolAnnotations::new() {
        tool = tool.with_annotations(annotations);
    }
    tool
}

impl<S: Send + Sync + 'static> ServerHandler for McpServer<S> {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(self.inner.info.clone())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let tools = self.inner.toolbox.definitions().map(listed).collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let call_id = format!("mcp-{}", context.id);
        self.call(request, call_id, context.ct)
            .await
            .map(CallToolResponse::from)
    }
}
