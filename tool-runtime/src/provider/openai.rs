//! OpenAI Chat Completions, and any server that speaks it.

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiKey, Error, ErrorKind, HttpClient, env_var};
use crate::chat::{
    AssistantMessage, ChatRequest, Message, ModelResponse, Provider, ProviderFuture, StopReason,
    ToolChoice, Usage,
};
use crate::run::ToolCall;
use crate::tool::Arguments;

const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
const DEFAULT_MODEL: &str = "gpt-4o-mini";

/// The OpenAI Chat Completions API (`POST {base}/chat/completions`), or any OpenAI-compatible
/// server (vLLM, llama.cpp, Ollama, Groq…) through its base URL.
///
/// Tools are sent in OpenAI's strict flavour where their schema allows it (see
/// [`strict`](Self::strict)).
///
/// ```
/// use std::time::Duration;
/// use tool_runtime::OpenAi;
///
/// let openai = OpenAi::new("sk-…")
///     .model("gpt-4o")
///     .max_tokens(1024)
///     .temperature(0.2)
///     .timeout(Duration::from_secs(60))
///     .max_retries(3);
/// assert!(!format!("{openai:?}").contains("sk-…"));
///
/// // A local OpenAI-compatible server needs no key.
/// let local = OpenAi::compatible("http://127.0.0.1:8000/v1", "llama-3.1-8b");
/// ```
#[derive(Clone, Debug)]
pub struct OpenAi {
    http: HttpClient,
    base_url: String,
    api_key: Option<ApiKey>,
    model: String,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
    strict: bool,
    /// `max_completion_tokens` for OpenAI; `max_tokens` for the compatible servers that predate it.
    max_tokens_field: &'static str,
}

impl OpenAi {
    super::shared_builder_methods!();

    /// OpenAI with this API key, the default base URL and model (`gpt-4o-mini`).
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            http: HttpClient::new(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: Some(ApiKey::new(api_key)),
            model: DEFAULT_MODEL.to_owned(),
            max_tokens: None,
            temperature: None,
            strict: true,
            max_tokens_field: "max_completion_tokens",
        }
    }

    /// Configured from the environment, as the official SDK is: `OPENAI_API_KEY` (required),
    /// `OPENAI_BASE_URL` (optional, includes `/v1`), and `OPENAI_MODEL` (optional).
    pub fn from_env() -> Result<Self, Error> {
        let key = env_var("OPENAI_API_KEY")
            .ok_or_else(|| Error::new(ErrorKind::Config, "openai", "OPENAI_API_KEY is not set"))?;
        let mut openai = Self::new(key);
        if let Some(base_url) = env_var("OPENAI_BASE_URL") {
            openai = openai.base_url(base_url);
        }
        if let Some(model) = env_var("OPENAI_MODEL") {
            openai = openai.model(model);
        }
        Ok(openai)
    }

    /// An OpenAI-compatible server at `base_url` (the part before `/chat/completions`), with no
    /// API key, sending `max_tokens` rather than `max_completion_tokens`.
    pub fn compatible(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        let mut openai = Self::new("").base_url(base_url).model(model);
        openai.api_key = None;
        openai.max_tokens_field = "max_tokens";
        openai
    }

    /// The API key.
    #[must_use]
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(api_key));
        self
    }

    /// The most tokens the model may write per response.
    #[must_use]
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Whether tools are sent in the strict flavour when their schema allows (default: yes).
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The JSON body of a Chat Completions request for `request`.
    pub fn request_body(&self, request: ChatRequest<'_>) -> Value {
        let mut messages = Vec::with_capacity(request.messages.len() + 1);
        if let Some(system) = request.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        for message in request.messages {
            match message {
                Message::User { text } => messages.push(json!({"role": "user", "content": text})),
                Message::Assistant(assistant) => messages.push(assistant_message(assistant)),
                Message::ToolResults { results } => {
                    messages.extend(results.iter().map(|result| {
                        json!({
                            "role": "tool",
                            "tool_call_id": result.call_id,
                            "content": result.content,
                        })
                    }));
                }
            }
        }
        let mut body = Map::new();
        body.insert("model".into(), self.model.clone().into());
        body.insert("messages".into(), messages.into());
        if !request.toolbox.is_empty() {
            body.insert(
                "tools".into(),
                request.toolbox.openai_tools_with(self.strict).into(),
            );
            let choice = match request.tool_choice {
                ToolChoice::Auto => None,
                ToolChoice::Required => Some(json!("required")),
                ToolChoice::None => Some(json!("none")),
                ToolChoice::Tool(name) => {
                    Some(json!({"type": "function", "function": {"name": name}}))
                }
            };
            if let Some(choice) = choice {
                body.insert("tool_choice".into(), choice);
            }
            if !request.parallel_tool_calls {
                body.insert("parallel_tool_calls".into(), false.into());
            }
        }
        if let Some(max_tokens) = self.max_tokens {
            body.insert(self.max_tokens_field.into(), max_tokens.into());
        }
        if let Some(temperature) = self.temperature {
            body.insert("temperature".into(), json!(temperature));
        }
        Value::Object(body)
    }

    /// Reads a Chat Completions response body.
    pub fn parse_response(&self, body: &Value) -> Result<ModelResponse, Error> {
        parse_response(body)
    }

    fn url(&self) -> String {
        format!("{}/chat/completions", self.base_url)
    }

    fn headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>, Error> {
        self.api_key
            .iter()
            .map(|key| Ok((AUTHORIZATION, key.header("openai", "Bearer ")?)))
            .collect()
    }
}

fn assistant_message(assistant: &AssistantMessage) -> Value {
    let mut message = Map::new();
    message.insert("role".into(), "assistant".into());
    // `null` content is only accepted beside tool calls; a message with neither gets "".
    let content = match &assistant.text {
        Some(text) => Value::String(text.clone()),
        None if assistant.tool_calls.is_empty() => Value::String(String::new()),
        None => Value::Null,
    };
    message.insert("content".into(), content);
    if !assistant.tool_calls.is_empty() {
        let calls: Vec<Value> = assistant
            .tool_calls
            .iter()
            .map(|call| {
                json!({
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments.to_json_string()},
                })
            })
            .collect();
        message.insert("tool_calls".into(), calls.into());
    }
    Value::Object(message)
}

#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<CompletionUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    /// A JSON string per the API; some compatible servers send an object.
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Deserialize, Default)]
struct CompletionUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Deserialize, Default)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

fn parse_response(body: &Value) -> Result<ModelResponse, Error> {
    let malformed =
        |why: String| Error::new(ErrorKind::Decode, "openai", why).with_body(body.to_string());
    let completion = Completion::deserialize(body)
        .map_err(|error| malformed(format!("unexpected response shape: {error}")))?;
    let Some(choice) = completion.choices.into_iter().next() else {
        return Err(malformed("the response has no choices".into()));
    };
    let tool_calls = choice
        .message
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        // Only function calls can be answered by a toolbox; other kinds are not tools of ours.
        .filter_map(|(index, call)| {
            let function = call.function?;
            let arguments = match function.arguments {
                Some(Value::String(text)) => Arguments::Text(text),
                None | Some(Value::Null) => Arguments::Text(String::new()),
                Some(value) => Arguments::Json(value),
            };
            Some(ToolCall {
                // A server that leaves the id out still gets every call answered.
                id: call.id.unwrap_or_else(|| format!("call_{index}")),
                name: function.name,
                arguments,
            })
        })
        .collect();
    let stop_reason = match choice.finish_reason.as_deref() {
        Some("stop") | None => StopReason::EndTurn,
        Some("tool_calls") | Some("function_call") => StopReason::ToolUse,
        Some("length") => StopReason::MaxTokens,
        Some(other) => StopReason::Other(other.to_owned()),
    };
    let usage = completion.usage.unwrap_or_default();
    Ok(ModelResponse {
        message: AssistantMessage {
            text: choice.message.content.or(choice.message.refusal),
            tool_calls,
            raw: None,
        },
        stop_reason,
        usage: Usage {
            input_tokens: usage.prompt_tokens,
            output_tokens: usage.completion_tokens,
            cache_read_tokens: usage
                .prompt_tokens_details
                .and_then(|details| details.cached_tokens)
                .unwrap_or(0),
            cache_creation_tokens: 0,
        },
    })
}

impl Provider for OpenAi {
    fn name(&self) -> String {
        format!("openai/{}", self.model)
    }

    fn complete<'a>(&'a self, request: ChatRequest<'a>) -> ProviderFuture<'a> {
        let body = self.request_body(request);
        Box::pin(async move {
            let headers = self.headers()?;
            self.http
                .exchange("openai", &self.url(), &headers, &body, parse_response)
                .await
        })
    }
}
