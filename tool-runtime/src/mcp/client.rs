//! [`McpClient`]: an MCP server's tools, as tools of a [`Toolbox`] the loop calls like any other.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock as McpContent, ResourceContents,
};
use rmcp::service::{NotificationContext, Peer, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::Value;

use crate::conversation::{ContentBlock, Media, MediaSource};
use crate::tool::{
    Arguments, CallContext, InvalidArguments, Tool, ToolDefinition, ToolError, ToolFuture,
    ToolHints, ToolOutput, ToolPolicy, Toolbox, is_valid_tool_name,
};

/// Why an MCP server could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpClientError {
    /// The server's process could not be started.
    #[error("the MCP server could not be started: {0}")]
    Spawn(#[source] std::io::Error),
    /// The connection failed before the protocol's opening was done.
    #[error("the MCP server did not open a session: {0}")]
    Open(String),
    /// The server did not list its tools.
    #[error("the MCP server did not list its tools: {0}")]
    List(#[source] ServiceError),
}

/// A connection to an MCP server (a child process over stdio, or a URL over Streamable HTTP),
/// whose tools join a [`Toolbox`].
///
/// Each MCP tool becomes a [`Tool`]: its name made acceptable to the LLM APIs when it is not
/// (`^[a-zA-Z0-9_-]{1,64}$`; the server is still called by its own name), its `inputSchema` as
/// the parameters (sent strict when the strict transforms allow, plain with the reason logged
/// when not), its title, hints and `outputSchema` kept. A result's text and images are the
/// output (a result with only `structuredContent` gives its JSON); `isError` gives an error
/// result; a server that is gone gives an error result too, never a lost call. A server whose
/// tools change says so: [`tools_changed`](Self::tools_changed) tells, and
/// [`add_tools`](Self::add_tools) again gives the next run the new list.
///
/// ```no_run
/// use tool_runtime::mcp::McpClient;
/// use tool_runtime::{Agent, OfflineModel, Toolbox};
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut command = tokio::process::Command::new("npx");
/// command.args(["-y", "@modelcontextprotocol/server-everything", "stdio"]);
/// let everything = McpClient::spawn(command).await?;
/// let toolbox = everything.add_tools(Toolbox::new()).await?;
/// let agent = Agent::new(OfflineModel::new(), toolbox);
/// # let _ = agent;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct McpClient {
    connection: Arc<Connection>,
}

struct Connection {
    service: RunningService<RoleClient, Watcher>,
    /// The server's name, for the messages the model reads.
    server: String,
    /// Set when the server says its tools changed.
    changed: Arc<AtomicBool>,
}

/// The client's side of the session: it notes when the server's tool list changes.
#[derive(Clone, Default)]
struct Watcher {
    changed: Arc<AtomicBool>,
}

impl ClientHandler for Watcher {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.changed.store(true, Ordering::SeqCst);
    }
}

impl McpClient {
    /// Starts `command` and speaks MCP over its stdin and stdout.
    ///
    /// # Errors
    ///
    /// The process could not start, or the session could not open.
    pub async fn spawn(command: tokio::process::Command) -> Result<Self, McpClientError> {
        let transport = TokioChildProcess::new(command).map_err(McpClientError::Spawn)?;
        let service = Watcher::default()
            .serve(transport)
            .await
            .map_err(|error| McpClientError::Open(error.to_string()))?;
        Ok(Self::from_service(service))
    }

    /// Connects to the Streamable HTTP endpoint at `url` (e.g. `http://127.0.0.1:8000/mcp`).
    ///
    /// # Errors
    ///
    /// The session could not open.
    pub async fn connect(url: impl Into<String>) -> Result<Self, McpClientError> {
        let url: String = url.into();
        // This crate's client: its TLS set up as for the model APIs.
        let client = crate::http::reqwest_client().map_err(McpClientError::Open)?;
        let config = StreamableHttpClientTransportConfig::with_uri(url);
        let transport = StreamableHttpClientTransport::with_client(client, config);
        let service = Watcher::default()
            .serve(transport)
            .await
            .map_err(|error| McpClientError::Open(error.to_string()))?;
        Ok(Self::from_service(service))
    }

    fn from_service(service: RunningService<RoleClient, Watcher>) -> Self {
        let server = service
            .peer_info()
            .and_then(|info| info.server_info.as_ref().map(|server| server.name.clone()))
            .unwrap_or_else(|| "mcp".to_owned());
        let changed = Arc::clone(&service.service().changed);
        Self {
            connection: Arc::new(Connection {
                service,
                server,
                changed,
            }),
        }
    }

    /// Whether the server said its tools changed (`notifications/tools/list_changed`) since
    /// they were last listed: a program that builds each run's toolbox with
    /// [`add_tools`](Self::add_tools) asks before the run, and lists them again.
    pub fn tools_changed(&self) -> bool {
        self.connection.changed.load(Ordering::SeqCst)
    }

    /// The server's name, as it gave it.
    pub fn server_name(&self) -> &str {
        &self.connection.server
    }

    /// The server's tools, as tools. A name the LLM APIs would refuse is made acceptable; one
    /// `taken` says is in use gets a number.
    ///
    /// # Errors
    ///
    /// The server did not list its tools.
    pub async fn tools(
        &self,
        taken: impl Fn(&str) -> bool,
    ) -> Result<Vec<McpTool>, McpClientError> {
        let peer = self.connection.service.peer().clone();
        // Listed now: what changed before is in this list.
        self.connection.changed.store(false, Ordering::SeqCst);
        let listed = peer.list_all_tools().await.map_err(McpClientError::List)?;
        let mut names: Vec<String> = Vec::new();
        let tools = listed
            .into_iter()
            .map(|tool| {
                let name = alias(&tool.name, |name| {
                    taken(name) || names.iter().any(|n| n == name)
                });
                names.push(name.clone());
                McpTool {
                    definition: definition(name, &tool),
                    remote: tool.name.to_string(),
                    peer: peer.clone(),
                    connection: Arc::clone(&self.connection),
                }
            })
            .collect();
        Ok(tools)
    }

    /// `toolbox` with every tool of the server added (see [`tools`](Self::tools)); a tool whose
    /// parameter names the LLM APIs refuse is left out, with a warning logged.
    ///
    /// # Errors
    ///
    /// The server did not list its tools.
    pub async fn add_tools<S: Send + Sync + 'static>(
        &self,
        mut toolbox: Toolbox<S>,
    ) -> Result<Toolbox<S>, McpClientError> {
        let tools = self.tools(|name| toolbox.get(name).is_some()).await?;
        for tool in tools {
            // Names are made valid and unique above; a parameter name the providers refuse
            // (`$filter`) still keeps a tool out: said, and the others added.
            if let Err(error) = toolbox.try_add(tool) {
                tracing::warn!(%error, "an MCP tool was not added");
            }
        }
        Ok(toolbox)
    }
}

/// One tool of an MCP server.
pub struct McpTool {
    definition: ToolDefinition,
    /// The name the server knows it by.
    remote: String,
    peer: Peer<RoleClient>,
    /// Keeps the connection open while the tool lives.
    connection: Arc<Connection>,
}

impl McpTool {
    /// The name the server knows it by (its [`definition`](Tool::definition)'s name may be an
    /// alias).
    pub fn remote_name(&self) -> &str {
        &self.remote
    }
}

impl Tool for McpTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    fn call(&self, args: &Arguments, ctx: &CallContext) -> ToolFuture {
        let name = self.definition.name();
        let arguments = match args.to_value() {
            Ok(Value::Object(arguments)) => arguments,
            Ok(Value::Null) => serde_json::Map::new(),
            Ok(other) => {
                let error = InvalidArguments::not_an_object(name, &other);
                return ToolFuture::ready(Err(ToolError::InvalidArguments(error)));
            }
            Err(error) => {
                let error = InvalidArguments::syntax(name, &error, &args.to_json_string());
                return ToolFuture::ready(Err(ToolError::InvalidArguments(error)));
            }
        };
        let request = CallToolRequestParams::new(self.remote.clone()).with_arguments(arguments);
        let peer = self.peer.clone();
        let server = self.connection.server.clone();
        let token = ctx.cancellation().clone();
        ToolFuture::new(async move {
            let answer = tokio::select! {
                answer = peer.call_tool(request) => answer,
                () = token.cancelled() => return Err(ToolError::Cancelled),
            };
            match answer {
                Ok(result) => output(result),
                Err(error) => Err(ToolError::Failed(format!(
                    "The MCP server `{server}` did not answer: {error}"
                ))),
            }
        })
    }
}

/// A result's content as the tool's output: text, images, documents; `isError` as an error
/// result.
fn output(result: CallToolResult) -> Result<ToolOutput, ToolError> {
    let mut blocks: Vec<ContentBlock> = result.content.into_iter().map(block).collect();
    if blocks.is_empty()
        && let Some(structured) = result.structured_content
    {
        blocks.push(ContentBlock::text(structured.to_string()));
    }
    let output = ToolOutput::content(blocks);
    if result.is_error == Some(true) {
        let text = output.as_str();
        return Err(ToolError::Failed(if text.is_empty() {
            "The tool failed without an error message.".to_owned()
        } else {
            text.to_owned()
        }));
    }
    Ok(output)
}

/// The image types every LLM API takes.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Bytes as what the LLM APIs take for their type: an image, a PDF, text; anything else as a
/// line saying what was left out (one unsupported part would fail the whole request).
fn media(media_type: String, data: String, name: Option<String>) -> ContentBlock {
    let base64 = |media_type: String| Media {
        source: MediaSource::Base64 {
            media_type,
            data: data.clone(),
        },
        name: name.clone(),
    };
    if IMAGE_TYPES.contains(&media_type.as_str()) {
        ContentBlock::Image(base64(media_type))
    } else if media_type == "application/pdf" {
        ContentBlock::Document(base64(media_type))
    } else if media_type.starts_with("text/") {
        let bytes = base64(media_type).decode().unwrap_or_default();
        ContentBlock::text(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        let what = name.map_or_else(String::new, |name| format!(" `{name}`"));
        ContentBlock::text(format!("(A file{what} of type {media_type}, not shown.)"))
    }
}

fn block(content: McpContent) -> ContentBlock {
    match content {
        McpContent::Text(text) => ContentBlock::text(text.text),
        McpContent::Image(image) => media(image.mime_type, image.data, None),
        McpContent::Resource(resource) => match resource.resource {
            ResourceContents::TextResourceContents { text, .. } => ContentBlock::text(text),
            ResourceContents::BlobResourceContents {
                uri,
                mime_type,
                blob,
                ..
            } => {
                let media_type = mime_type.unwrap_or_else(|| "application/octet-stream".into());
                media(media_type, blob, uri.rsplit('/').next().map(str::to_owned))
            }
            _ => ContentBlock::text("(A resource of a kind this client does not show.)"),
        },
        McpContent::ResourceLink(link) => ContentBlock::text(format!("Resource: {}", link.uri)),
        McpContent::Audio(audio) => {
            ContentBlock::text(format!("(An audio clip, {}, not shown.)", audio.mime_type))
        }
        _ => ContentBlock::text("(Content of a kind this client does not show.)"),
    }
}

/// A tool's definition from its MCP listing.
fn definition(name: String, tool: &rmcp::model::Tool) -> ToolDefinition {
    let description = tool
        .description
        .as_deref()
        .filter(|text| !text.trim().is_empty())
        .map_or_else(|| format!("The MCP tool `{}`.", tool.name), str::to_owned);
    // An object schema, as the LLM APIs require, whatever a lax server sent.
    let mut parameters = (*tool.input_schema).clone();
    parameters.insert("type".to_owned(), Value::from("object"));
    parameters
        .entry("properties")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    // (Its output schema is not kept: the output is the content's text, which a server need not
    // make the structured value, so this tool served again could not keep the promise.)
    let mut definition = ToolDefinition::new(name, description, Value::Object(parameters));
    if let Some(title) = &tool.title {
        definition = definition.with_title(title.clone());
    }
    if let Some(annotations) = &tool.annotations {
        let mut hints = ToolHints::new();
        hints.read_only = annotations.read_only_hint;
        hints.destructive = annotations.destructive_hint;
        hints.idempotent = annotations.idempotent_hint;
        hints.open_world = annotations.open_world_hint;
        definition = definition.with_policy(ToolPolicy::new().with_hints(hints));
    }
    definition
}

/// A name the LLM APIs accept (`^[a-zA-Z0-9_-]{1,64}$`) for the MCP tool `name`, that `taken`
/// says is free: the name itself when it can be, else one made from it.
pub(crate) fn alias(name: &str, taken: impl Fn(&str) -> bool) -> String {
    const MAX: usize = 64;
    let mut base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if base.is_empty() {
        base = "tool".to_owned();
    }
    if base.len() > MAX {
        // Long names keep their start and a hash of the whole, so that two stay apart.
        let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        base = format!("{}_{:08x}", &base[..MAX - 9], hash as u32);
    }
    if is_valid_tool_name(&base) && !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| {
            let suffix = format!("_{n}");
            let keep = base.len().min(MAX - suffix.len());
            format!("{}{suffix}", &base[..keep])
        })
        .find(|candidate| !taken(candidate))
        .expect("some number is free")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::{alias, definition};

    /// Real MCP schemas: a `uri` format, a `oneOf`, no arguments at all, no `type`.
    #[test]
    fn mcp_schemas_become_definitions_the_llm_apis_take() {
        let tool = |schema: serde_json::Value| {
            let object = Arc::new(schema.as_object().unwrap().clone());
            rmcp::model::Tool::new("t", "A tool.", object)
        };
        let fetch = definition(
            "fetch".into(),
            &tool(json!({"type": "object", "properties": {
                "url": {"type": "string", "format": "uri"},
                "mode": {"oneOf": [{"const": "text"}, {"const": "raw"}]}
            }, "required": ["url", "mode"]})),
        );
        let strict = fetch.schema().strict().unwrap();
        // OpenAI's strict mode has no `uri` format: it moves into the description.
        assert!(
            strict["properties"]["url"].get("format").is_none(),
            "{strict}"
        );
        assert!(
            strict["properties"]["mode"].get("anyOf").is_some(),
            "{strict}"
        );
        let anthropic = fetch.schema().anthropic_strict().unwrap();
        assert_eq!(anthropic["properties"]["url"]["format"], "uri");

        let bare = definition("now".into(), &tool(json!({})));
        assert_eq!(
            bare.parameters(),
            &json!({"type": "object", "properties": {}})
        );
        assert!(bare.schema().strict().is_ok());

        // A schema strict mode cannot take is sent plain, and says why.
        let open = definition(
            "map".into(),
            &tool(json!({"type": "object", "properties": {
                "tags": {"type": "object", "additionalProperties": {"type": "string"}}
            }})),
        );
        assert!(
            open.schema()
                .strict()
                .unwrap_err()
                .to_string()
                .contains("additionalProperties")
        );
    }

    #[test]
    fn names_the_llm_apis_refuse_are_aliased() {
        let free = |_: &str| false;
        assert_eq!(alias("get-sum", free), "get-sum");
        assert_eq!(alias("files.read", free), "files_read");
        assert_eq!(alias("météo", free), "m_t_o");
        assert_eq!(alias("", free), "tool");
        let long = "a".repeat(100);
        let aliased = alias(&long, free);
        assert_eq!(aliased.len(), 64);
        assert_ne!(
            aliased,
            alias(&"a".repeat(101), free),
            "long names stay apart"
        );
        // Taken names get a number.
        assert_eq!(
            alias("files.read", |name| name == "files_read"),
            "files_read_2"
        );
        assert_eq!(
            alias("echo", |name| name == "echo" || name == "echo_2"),
            "echo_3"
        );
    }
}
