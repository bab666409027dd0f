//! The Anthropic Messages API.

use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiKey, Error, ErrorKind, HttpClient, env_var};
use crate::chat::{
    AssistantMessage, ChatRequest, Message, ModelResponse, Provider, ProviderFuture, RawMessage,
    StopReason, ToolChoice, Usage,
};
use crate::run::ToolCall;
use crate::tool::Arguments;

const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
const API_VERSION: &str = "2023-06-01";
/// The `format` of Anthropic messages kept in a transcript's [`RawMessage`].
pub(crate) const FORMAT: &str = "anthropic";

/// The Anthropic Messages API (`POST {base}/v1/messages`).
///
/// ```
/// use tool_runtime::Anthropic;
///
/// let claude = Anthropic::new("sk-ant-…").model("claude-haiku-4-5").max_tokens(1024);
/// assert!(!format!("{claude:?}").contains("sk-ant-…"));
/// ```
#[derive(Clone, Debug)]
pub struct Anthropic {
    http: HttpClient,
    base_url: String,
    api_key: ApiKey,
    model: String,
    max_tokens: u32,
    temperature: Option<f64>,
}

impl Anthropic {
    super::shared_builder_methods!();

    /// Anthropic with this API key, the default base URL, model (`claude-sonnet-4-5`) and
    /// `max_tokens` (4096; the API requires one).
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            http: HttpClient::new(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: ApiKey::new(api_key),
            model: DEFAULT_MODEL.to_owned(),
            max_tokens: 4096,
            temperature: None,
        }
    }

    /// Configured from the environment, as the official SDK is: `ANTHROPIC_API_KEY` (required),
    /// `ANTHROPIC_BASE_URL` (optional, without `/v1`), and `ANTHROPIC_MODEL` (optional).
    pub fn from_env() -> Result<Self, Error> {
        let key = env_var("ANTHROPIC_API_KEY").ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                "anthropic",
                "ANTHROPIC_API_KEY is not set",
            )
        })?;
        let mut anthropic = Self::new(key);
        if let Some(base_url) = env_var("ANTHROPIC_BASE_URL") {
            anthropic = anthropic.base_url(base_url);
        }
        if let Some(model) = env_var("ANTHROPIC_MODEL") {
            anthropic = anthropic.model(model);
        }
        Ok(anthropic)
    }

    /// The most tokens the model may write per response.
    #[must_use]
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// The JSON body of a Messages request for `request`.
    ///
    /// Tool results go into ONE user message per turn, `tool_result` blocks first; assistant
    /// messages that came from Anthropic are echoed back exactly as received.
    pub fn request_body(&self, request: ChatRequest<'_>) -> Value {
        let mut messages: Vec<Value> = Vec::with_capacity(request.messages.len());
        for message in request.messages {
            match message {
                // The API refuses empty text blocks.
                Message::User { text } if text.is_empty() => {}
                Message::User { text } => {
                    push_user_blocks(&mut messages, vec![json!({"type": "text", "text": text})]);
                }
                Message::Assistant(assistant) => {
                    let content = assistant_content(assistant);
                    if content.as_array().is_some_and(Vec::is_empty) {
                        tracing::warn!("skipping an empty assistant message");
                        continue;
                    }
                    messages.push(json!({"role": "assistant", "content": content}));
                }
                Message::ToolResults { results } => {
                    let blocks = results
                        .iter()
                        .map(|result| {
                            let mut block = json!({
                                "type": "tool_result",
                                "tool_use_id": result.call_id,
                            });
                            // `content` is optional, and the API refuses an empty one on errors.
                            if !result.content.is_empty() {
                                block["content"] = result.content.clone().into();
                            }
                            if result.is_error {
                                block["is_error"] = true.into();
                            }
                            block
                        })
                        .collect();
                    push_user_blocks(&mut messages, blocks);
                }
            }
        }
        let mut body = Map::new();
        body.insert("model".into(), self.model.clone().into());
        body.insert("max_tokens".into(), self.max_tokens.into());
        if let Some(system) = request.system {
            body.insert("system".into(), system.into());
        }
        body.insert("messages".into(), messages.into());
        if !request.toolbox.is_empty() {
            body.insert("tools".into(), request.toolbox.anthropic_tools().into());
            let mut choice = match request.tool_choice {
                ToolChoice::Auto => json!({"type": "auto"}),
                ToolChoice::Required => json!({"type": "any"}),
                ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
                ToolChoice::None => json!({"type": "none"}),
            };
            let limit_parallel =
                !request.parallel_tool_calls && *request.tool_choice != ToolChoice::None;
            if limit_parallel {
                choice["disable_parallel_tool_use"] = true.into();
            }
            if limit_parallel || *request.tool_choice != ToolChoice::Auto {
                body.insert("tool_choice".into(), choice);
            }
        }
        if let Some(temperature) = self.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        Value::Object(body)
    }

    /// Reads a Messages response body.
    pub fn parse_response(&self, body: &Value) -> Result<ModelResponse, Error> {
        parse_response(body)
    }

    fn url(&self) -> String {
        format!("{}/v1/messages", self.base_url)
    }

    fn headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>, Error> {
        Ok(vec![
            (
                HeaderName::from_static("anthropic-version"),
                HeaderValue::from_static(API_VERSION),
            ),
            (
                HeaderName::from_static("x-api-key"),
                self.api_key.header("anthropic", "")?,
            ),
        ])
    }
}

/// Appends blocks to the last message if it is the user's (tool results first, then text), or
/// starts a new user message: the API wants one user message after each tool-use turn.
fn push_user_blocks(messages: &mut Vec<Value>, blocks: Vec<Value>) {
    if let Some(last) = messages.last_mut()
        && last["role"] == "user"
        && let Some(content) = last["content"].as_array_mut()
    {
        content.extend(blocks);
        return;
    }
    messages.push(json!({"role": "user", "content": blocks}));
}

fn assistant_content(assistant: &AssistantMessage) -> Value {
    if let Some(raw) = &assistant.raw
        && raw.format == FORMAT
    {
        return raw.value.clone();
    }
    let mut blocks = Vec::new();
    if let Some(text) = assistant.text.as_deref().filter(|text| !text.is_empty()) {
        blocks.push(json!({"type": "text", "text": text}));
    }
    for call in &assistant.tool_calls {
        let input = match call.arguments.to_value() {
            Ok(value @ Value::Object(_)) => value,
            _ => json!({}),
        };
        blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": input}));
    }
    Value::Array(blocks)
}

#[derive(Deserialize)]
struct WireResponse {
    content: Vec<Value>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: WireUsage,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
}

fn parse_response(body: &Value) -> Result<ModelResponse, Error> {
    let response = WireResponse::deserialize(body).map_err(|error| {
        Error::new(
            ErrorKind::Decode,
            "anthropic",
            format!("unexpected response shape: {error}"),
        )
        .with_body(body.to_string())
    })?;
    let mut texts = Vec::new();
    let mut tool_calls = Vec::new();
    for block in &response.content {
        match block["type"].as_str() {
            Some("text") => {
                if let Some(text) = block["text"].as_str() {
                    texts.push(text);
                }
            }
            Some("tool_use") => {
                let (Some(id), Some(name)) = (block["id"].as_str(), block["name"].as_str()) else {
                    return Err(Error::new(
                        ErrorKind::Decode,
                        "anthropic",
                        "a tool_use block has no id or name",
                    )
                    .with_body(body.to_string()));
                };
                let input = block.get("input").cloned().unwrap_or_else(|| json!({}));
                tool_calls.push(ToolCall {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    arguments: Arguments::Json(input),
                });
            }
            _ => {}
        }
    }
    let stop_reason = match response.stop_reason.as_deref() {
        Some("end_turn") | Some("stop_sequence") | None => StopReason::EndTurn,
        Some("tool_use") => StopReason::ToolUse,
        Some("max_tokens") => StopReason::MaxTokens,
        Some(other) => StopReason::Other(other.to_owned()),
    };
    let usage = response.usage;
    Ok(ModelResponse {
        message: AssistantMessage {
            text: (!texts.is_empty()).then(|| texts.join("\n")),
            tool_calls,
            raw: Some(RawMessage {
                format: FORMAT.to_owned(),
                value: Value::Array(response.content),
            }),
        },
        stop_reason,
        usage: Usage {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cache_read_tokens: usage.cache_read_input_tokens.unwrap_or(0),
            cache_creation_tokens: usage.cache_creation_input_tokens.unwrap_or(0),
        },
    })
}

impl Provider for Anthropic {
    fn name(&self) -> String {
        format!("anthropic/{}", self.model)
    }

    fn complete<'a>(&'a self, request: ChatRequest<'a>) -> ProviderFuture<'a> {
        let body = self.request_body(request);
        Box::pin(async move {
            let headers = self.headers()?;
            self.http
                .exchange("anthropic", &self.url(), &headers, &body, parse_response)
                .await
        })
    }
}
