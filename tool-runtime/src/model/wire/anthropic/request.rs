//! The request body, serialized straight from the borrowed conversation: no JSON tree is built.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{AnthropicMessages, FORMAT};
use crate::conversation::{
    AssistantMessage, ContentBlock, Media, MediaSource, Message, ToolCall, ToolResult,
};
use crate::model::wire::sealed::Options;
use crate::model::wire::{Content, arguments_object, content_is_empty};
use crate::model::{ModelRequest, ToolChoice};
use crate::tool::{Arguments, ToolDefinition};

/// `max_tokens` when none is set: the API requires one.
const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The entries of a Messages `tools` array: `{"name", "description", "input_schema"}`.
///
/// With `strict`, each tool whose schema allows it is sent in Anthropic's strict flavour with
/// `"strict": true` (see [`to_anthropic_strict`](crate::schema::strict::to_anthropic_strict)); the others
/// are sent plain (why is logged once per tool, and
/// [`Schema::anthropic_strict`](crate::schema::Schema::anthropic_strict) tells it).
///
/// ```
/// use tool_runtime::{tool, tools, wire};
///
/// /// Add two numbers.
/// #[tool]
/// fn add(a: i64, b: i64) -> i64 { a + b }
///
/// let toolbox = tools![add];
/// let entries = wire::anthropic::tools(toolbox.definitions(), true);
/// assert_eq!(entries[0]["input_schema"]["required"], serde_json::json!(["a", "b"]));
/// assert_eq!(entries[0]["strict"], true);
/// ```
pub fn tools<'a>(
    definitions: impl IntoIterator<Item = &'a ToolDefinition>,
    strict: bool,
) -> Vec<Value> {
    definitions
        .into_iter()
        .map(|definition| {
            serde_json::to_value(ToolEntry { definition, strict })
                .expect("a tool definition serializes")
        })
        .collect()
}

pub(super) fn write(
    wire: &AnthropicMessages,
    request: &ModelRequest<'_>,
    options: &Options,
    stream: bool,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let has_tools = !request.tools.is_empty();
    let body = Body {
        model: &options.model,
        max_tokens: options.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        system: request.system,
        messages: group(request.messages),
        tools: has_tools.then_some(Tools {
            definitions: request.tools,
            strict: wire.strict,
        }),
        tool_choice: if has_tools {
            Choice::of(request.tool_choice, request.parallel_tool_calls)
        } else {
            None
        },
        temperature: options.temperature,
        stream: stream.then_some(true),
        // The answer's shape takes the grammar strict tools take: not sent on the lean wire.
        output_config: request
            .output
            .filter(|_| wire.strict)
            .and_then(|format| format.schema().anthropic_strict().ok())
            .map(|schema| OutputConfig {
                format: OutputFormat {
                    kind: "json_schema",
                    schema,
                },
            }),
    };
    serde_json::to_writer(out, &body)
}

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    messages: Vec<Turn<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Tools<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Choice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_config: Option<OutputConfig<'a>>,
}

/// `{"format": {"type": "json_schema", "schema": …}}`: the answer's shape, in the strict flavour
/// (the only one the API takes; a schema without one is asked for with a final tool instead).
#[derive(Serialize)]
struct OutputConfig<'a> {
    format: OutputFormat<'a>,
}

#[derive(Serialize)]
struct OutputFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema: &'a Value,
}

/// One message on the wire: the API wants the user's side of a turn (tool results first, then
/// text) in ONE user message, and refuses empty text and empty content.
enum Turn<'a> {
    User(Vec<Block<'a>>),
    Assistant(&'a AssistantMessage),
}

enum Block<'a> {
    Text(&'a str),
    /// An image or a document the user attached.
    Media(&'a ContentBlock),
    Result(&'a ToolResult),
}

fn group(messages: &[Message]) -> Vec<Turn<'_>> {
    let mut turns: Vec<Turn<'_>> = Vec::with_capacity(messages.len());
    for message in messages {
        match message {
            Message::User { text, attachments } => {
                if !text.is_empty() {
                    push_user(&mut turns, Block::Text(text));
                }
                for attachment in attachments {
                    match attachment.as_text() {
                        Some("") => {}
                        Some(text) => push_user(&mut turns, Block::Text(text)),
                        None => push_user(&mut turns, Block::Media(attachment)),
                    }
                }
            }
            Message::ToolResults { results } => {
                for result in results {
                    push_user(&mut turns, Block::Result(result));
                }
            }
            Message::Assistant(assistant) if has_content(assistant) => {
                turns.push(Turn::Assistant(assistant));
            }
            Message::Assistant(_) => tracing::warn!("skipping an empty assistant message"),
        }
    }
    turns
}

/// Adds a block to the user message at the end, or starts one.
fn push_user<'a>(turns: &mut Vec<Turn<'a>>, block: Block<'a>) {
    match turns.last_mut() {
        Some(Turn::User(blocks)) => blocks.push(block),
        _ => turns.push(Turn::User(vec![block])),
    }
}

/// The raw content echoed back when the message came from Anthropic.
fn raw_content(assistant: &AssistantMessage) -> Option<&Value> {
    assistant.raw_in(FORMAT)
}

fn has_content(assistant: &AssistantMessage) -> bool {
    match raw_content(assistant) {
        Some(content) => !content.as_array().is_some_and(Vec::is_empty),
        None => {
            assistant
                .text
                .as_deref()
                .is_some_and(|text| !text.is_empty())
                || !assistant.tool_calls.is_empty()
        }
    }
}

impl Serialize for Turn<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        match self {
            Self::User(blocks) => {
                map.serialize_entry("role", "user")?;
                map.serialize_entry("content", blocks)?;
            }
            Self::Assistant(assistant) => {
                map.serialize_entry("role", "assistant")?;
                match raw_content(assistant) {
                    Some(content) => map.serialize_entry("content", content)?,
                    None => map.serialize_entry("content", &AssistantBlocks(assistant))?,
                }
            }
        }
        map.end()
    }
}

impl Serialize for Block<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(text) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", text)?;
                map.end()
            }
            Self::Media(block) => MediaBlock(block).serialize(serializer),
            Self::Result(result) => {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("type", "tool_result")?;
                map.serialize_entry("tool_use_id", &result.call_id)?;
                match &result.outcome {
                    // Text, images and documents, in order.
                    Ok(output) if output.has_media() => {
                        map.serialize_entry("content", &ResultBlocks(&output.blocks()))?;
                    }
                    // `content` is optional, and the API refuses an empty one on errors.
                    _ if content_is_empty(result) => {}
                    _ => map.serialize_entry("content", &Content(result))?,
                }
                if result.is_error() {
                    map.serialize_entry("is_error", &true)?;
                }
                map.end()
            }
        }
    }
}

/// A tool result's blocks: text (empty ones left out), images, documents.
struct ResultBlocks<'a>(&'a [ContentBlock]);

impl Serialize for ResultBlocks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.0
                .iter()
                .filter(|block| block.as_text() != Some(""))
                .map(MediaBlock),
        )
    }
}

/// `{"type": "text"}`, `{"type": "image", "source"}` or `{"type": "document", "source",
/// "title"?}`.
struct MediaBlock<'a>(&'a ContentBlock);

impl Serialize for MediaBlock<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.0 {
            ContentBlock::Image(media) => {
                map.serialize_entry("type", "image")?;
                map.serialize_entry("source", &Source(media, false))?;
            }
            ContentBlock::Document(media) => {
                map.serialize_entry("type", "document")?;
                map.serialize_entry("source", &Source(media, true))?;
                if let Some(name) = &media.name {
                    map.serialize_entry("title", name)?;
                }
            }
            other => {
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", other.as_text().unwrap_or_default())?;
            }
        }
        map.end()
    }
}

/// `{"type": "base64", media_type, data}` or `{"type": "url", url}`; a plain-text document as
/// `{"type": "text", "media_type": "text/plain", data}`, the form the API takes for it.
struct Source<'a>(&'a Media, bool);

impl Serialize for Source<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(media, document) = *self;
        let mut map = serializer.serialize_map(Some(3))?;
        match &media.source {
            MediaSource::Base64 { media_type, .. }
                if document && media_type.starts_with("text/") =>
            {
                let text = media
                    .decode()
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                    .unwrap_or_default();
                map.serialize_entry("type", "text")?;
                map.serialize_entry("media_type", "text/plain")?;
                map.serialize_entry("data", &text)?;
            }
            MediaSource::Base64 { media_type, data } => {
                map.serialize_entry("type", "base64")?;
                map.serialize_entry("media_type", media_type)?;
                map.serialize_entry("data", data)?;
            }
            MediaSource::Url { url } => {
                map.serialize_entry("type", "url")?;
                map.serialize_entry("url", url)?;
            }
        }
        map.end()
    }
}

/// The content of an assistant message that did not come from Anthropic: its text, then a
/// `tool_use` block per call.
struct AssistantBlocks<'a>(&'a AssistantMessage);

impl Serialize for AssistantBlocks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let assistant = self.0;
        let text = assistant
            .text
            .as_deref()
            .filter(|text| !text.is_empty())
            .map(Block::Text);
        let calls = assistant.tool_calls.iter().map(ToolUse);
        serializer.collect_seq(
            text.into_iter()
                .map(AssistantBlock::Text)
                .chain(calls.map(AssistantBlock::ToolUse)),
        )
    }
}

enum AssistantBlock<'a> {
    Text(Block<'a>),
    ToolUse(ToolUse<'a>),
}

impl Serialize for AssistantBlock<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(block) => block.serialize(serializer),
            Self::ToolUse(call) => call.serialize(serializer),
        }
    }
}

/// `{"type": "tool_use", id, name, input}`; the input must be a JSON object.
struct ToolUse<'a>(&'a ToolCall);

impl Serialize for ToolUse<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let call = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("type", "tool_use")?;
        map.serialize_entry("id", &call.id)?;
        map.serialize_entry("name", &call.name)?;
        match &call.arguments {
            Arguments::Json(input @ Value::Object(_)) => map.serialize_entry("input", input)?,
            // Text that holds an object (a call from another provider) goes as it is, checked
            // but not rebuilt.
            Arguments::Text(text) => match serde_json::from_str::<&RawValue>(text) {
                Ok(raw) if raw.get().starts_with('{') => map.serialize_entry("input", raw)?,
                _ => map.serialize_entry("input", &arguments_object(&call.arguments))?,
            },
            other => map.serialize_entry("input", &arguments_object(other))?,
        }
        map.end()
    }
}

struct Tools<'a> {
    definitions: &'a [&'a ToolDefinition],
    strict: bool,
}

impl Serialize for Tools<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.definitions.iter().map(|definition| ToolEntry {
            definition,
            strict: self.strict,
        }))
    }
}

struct ToolEntry<'a> {
    definition: &'a ToolDefinition,
    strict: bool,
}

impl Serialize for ToolEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let definition = self.definition;
        let strict = self
            .strict
            .then(|| {
                definition
                    .schema()
                    .anthropic_strict_or_warn(definition.name())
            })
            .flatten();
        let mut map = serializer.serialize_map(Some(3 + usize::from(strict.is_some())))?;
        map.serialize_entry("name", definition.name())?;
        map.serialize_entry("description", definition.description())?;
        map.serialize_entry("input_schema", strict.unwrap_or(definition.parameters()))?;
        if strict.is_some() {
            map.serialize_entry("strict", &true)?;
        }
        map.end()
    }
}

/// `tool_choice`, left out when it says what the API does anyway (`auto`, parallel calls on).
struct Choice<'a> {
    choice: &'a ToolChoice,
    disable_parallel: bool,
}

impl<'a> Choice<'a> {
    fn of(choice: &'a ToolChoice, parallel: bool) -> Option<Self> {
        let disable_parallel = !parallel && *choice != ToolChoice::None;
        (disable_parallel || *choice != ToolChoice::Auto).then_some(Self {
            choice,
            disable_parallel,
        })
    }
}

impl Serialize for Choice<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.choice {
            ToolChoice::Auto => map.serialize_entry("type", "auto")?,
            ToolChoice::Required => map.serialize_entry("type", "any")?,
            ToolChoice::None => map.serialize_entry("type", "none")?,
            ToolChoice::Tool(name) => {
                map.serialize_entry("type", "tool")?;
                map.serialize_entry("name", name)?;
            }
        }
        if self.disable_parallel {
            map.serialize_entry("disable_parallel_tool_use", &true)?;
        }
        map.end()
    }
}
