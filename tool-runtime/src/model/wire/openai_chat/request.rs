//! The request body, serialized straight from the borrowed conversation: no JSON tree is built.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::{FORMAT, OpenAiChat};
use crate::conversation::{
    AssistantMessage, ContentBlock, MediaSource, Message, ToolCall, ToolResult,
};
use crate::model::wire::Content;
use crate::model::wire::sealed::Options;
use crate::model::{ModelRequest, OutputFormat, ToolChoice};
use crate::tool::{Arguments, ToolDefinition, ToolOutput};

/// The entries of a Chat Completions `tools` array.
///
/// With `strict`, each tool whose schema allows it is sent in the strict flavour with
/// `"strict": true`; the others are sent plain (why is logged once per tool, and
/// [`Schema::strict`](crate::schema::Schema::strict) tells it).
///
/// ```
/// use tool_runtime::{tool, tools, wire};
///
/// /// Add two numbers.
/// #[tool]
/// fn add(a: i64, b: i64) -> i64 { a + b }
///
/// let toolbox = tools![add];
/// let entries = wire::openai_chat::tools(toolbox.definitions(), true);
/// assert_eq!(entries[0]["function"]["name"], "add");
/// assert_eq!(entries[0]["function"]["strict"], true);
/// ```
pub fn tools<'a>(
    definitions: impl IntoIterator<Item = &'a ToolDefinition>,
    strict: bool,
) -> Vec<Value> {
    definitions
        .into_iter()
        .map(|definition| {
            serde_json::to_value(ToolEntry::new(definition, strict))
                .expect("a tool definition serializes")
        })
        .collect()
}

pub(super) fn write(
    wire: &OpenAiChat,
    request: &ModelRequest<'_>,
    options: &Options,
    stream: bool,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let has_tools = !request.tools.is_empty();
    let (max_completion_tokens, max_tokens) = if wire.legacy_max_tokens {
        (None, options.max_tokens)
    } else {
        (options.max_tokens, None)
    };
    let body = Body {
        model: &options.model,
        messages: Messages {
            system: request.system,
            messages: request.messages,
        },
        tools: has_tools.then_some(Tools {
            definitions: request.tools,
            strict: wire.strict,
        }),
        tool_choice: if has_tools {
            Choice::of(request.tool_choice, false)
        } else {
            None
        },
        parallel_tool_calls: (has_tools && !request.parallel_tool_calls).then_some(false),
        max_completion_tokens,
        max_tokens,
        temperature: options.temperature,
        stream: stream.then_some(true),
        // Usage comes in a last chunk of its own only when asked for.
        stream_options: (stream && wire.stream_usage).then_some(StreamOptions {
            include_usage: true,
        }),
        response_format: request.output.map(|format| Tagged {
            tag: "json_schema",
            body: JsonSchemaFormat {
                format,
                strict: wire.strict,
                flat: false,
            },
        }),
    };
    serde_json::to_writer(out, &body)
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: Messages<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Tools<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Choice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<ResponseFormat<'a>>,
}

/// `{"type": tag, tag: body}`: how Chat Completions wraps a tool, a tool choice or an answer's
/// format.
struct Tagged<T> {
    tag: &'static str,
    body: T,
}

impl<T: Serialize> Serialize for Tagged<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", self.tag)?;
        map.serialize_entry(self.tag, &self.body)?;
        map.end()
    }
}

/// `{"type": "json_schema", "json_schema": {name, description?, schema, strict}}`: the answer's
/// shape, strict when the schema allows it.
type ResponseFormat<'a> = Tagged<JsonSchemaFormat<'a>>;

/// `{name, description?, schema, strict}`; flat (for the Responses API's `text.format`), with
/// `"type": "json_schema"` first.
pub(in crate::model::wire) struct JsonSchemaFormat<'a> {
    pub(in crate::model::wire) format: &'a OutputFormat,
    pub(in crate::model::wire) strict: bool,
    pub(in crate::model::wire) flat: bool,
}

impl Serialize for JsonSchemaFormat<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let format = self.format;
        let schema = format.schema();
        let strict = self
            .strict
            .then(|| schema.strict_or_warn(format.name()))
            .flatten();
        let mut map = serializer.serialize_map(None)?;
        if self.flat {
            map.serialize_entry("type", "json_schema")?;
        }
        map.serialize_entry("name", format.name())?;
        if !format.description().is_empty() {
            map.serialize_entry("description", format.description())?;
        }
        map.serialize_entry("schema", strict.unwrap_or(schema.value()))?;
        map.serialize_entry("strict", &strict.is_some())?;
        map.end()
    }
}

/// The system prompt, then every message; a result message becomes one `tool` message per call.
struct Messages<'a> {
    system: Option<&'a str>,
    messages: &'a [Message],
}

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        if let Some(system) = self.system {
            seq.serialize_element(&Text {
                role: "system",
                content: system,
            })?;
        }
        for message in self.messages {
            match message {
                Message::User { text, attachments } if attachments.is_empty() => seq
                    .serialize_element(&Text {
                        role: "user",
                        content: text,
                    })?,
                Message::User { text, attachments } => {
                    seq.serialize_element(&UserParts { text, attachments })?
                }
                Message::Assistant(assistant) => seq.serialize_element(&Assistant(assistant))?,
                Message::ToolResults { results } => {
                    for result in results {
                        seq.serialize_element(&ToolMessage(result))?;
                    }
                    // A tool message is text only: a result's images and documents follow, in
                    // one user message that says which call each belongs to.
                    if results.iter().any(has_media) {
                        seq.serialize_element(&ResultMedia(results))?;
                    }
                }
            }
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Text<'a> {
    role: &'static str,
    content: &'a str,
}

struct Assistant<'a>(&'a AssistantMessage);

impl Serialize for Assistant<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let assistant = self.0;
        let calls = &assistant.tool_calls;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("role", "assistant")?;
        // `null` content is only accepted beside tool calls; a message with neither gets "".
        match &assistant.text {
            Some(text) => map.serialize_entry("content", text)?,
            None if calls.is_empty() => map.serialize_entry("content", "")?,
            None => map.serialize_entry("content", &())?,
        }
        if !calls.is_empty() {
            // What the server put on its calls beyond the API's fields, sent back with them.
            let extras = assistant
                .raw_in(FORMAT)
                .and_then(|raw| raw["tool_calls"].as_array());
            map.serialize_entry("tool_calls", &Calls { calls, extras })?;
        }
        map.end()
    }
}

struct Calls<'a> {
    calls: &'a [ToolCall],
    /// Per call, what the server added to it (`{"extra_content": …}` or `{}`).
    extras: Option<&'a Vec<Value>>,
}

impl Serialize for Calls<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.calls.iter().enumerate().map(|(index, call)| {
            CallEntry {
                id: &call.id,
                kind: "function",
                function: Function {
                    name: &call.name,
                    arguments: ArgumentsText(&call.arguments),
                },
                // By id: a call removed or moved since keeps its own (the one at the same
                // place first, for servers that repeat ids).
                extra_content: self.extras.and_then(|extras| {
                    let own = |extra: &&Value| extra["id"] == call.id.as_str();
                    extras
                        .get(index)
                        .filter(own)
                        .or_else(|| extras.iter().find(own))
                        .and_then(|extra| extra.get("extra_content"))
                }),
            }
        }))
    }
}

#[derive(Serialize)]
struct CallEntry<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: Function<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra_content: Option<&'a Value>,
}

#[derive(Serialize)]
struct Function<'a> {
    name: &'a str,
    arguments: ArgumentsText<'a>,
}

/// Arguments as the JSON text OpenAI expects in history; empty text becomes `{}`, which every
/// chat template can parse.
pub(in crate::model::wire) struct ArgumentsText<'a>(pub(in crate::model::wire) &'a Arguments);

impl Serialize for ArgumentsText<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.json_text())
    }
}

struct ToolMessage<'a>(&'a ToolResult);

impl Serialize for ToolMessage<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("role", "tool")?;
        map.serialize_entry("tool_call_id", &self.0.call_id)?;
        if has_media(self.0) {
            let text = self.0.content();
            let note = "(Its images and documents follow in the next message.)";
            let content = if text.is_empty() {
                note.to_owned()
            } else {
                format!("{text}\n{note}")
            };
            map.serialize_entry("content", &content)?;
        } else {
            map.serialize_entry("content", &Content(self.0))?;
        }
        map.end()
    }
}

fn has_media(result: &ToolResult) -> bool {
    result.outcome.as_ref().is_ok_and(ToolOutput::has_media)
}

/// `{"role": "user", "content": [text, parts…]}`: a user's text with its attachments.
struct UserParts<'a> {
    text: &'a str,
    attachments: &'a [ContentBlock],
}

impl Serialize for UserParts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = (!self.text.is_empty()).then_some(Part::Text(self.text));
        let parts: Vec<Part<'_>> = text
            .into_iter()
            .chain(self.attachments.iter().map(Part::of))
            .collect();
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("role", "user")?;
        map.serialize_entry("content", &parts)?;
        map.end()
    }
}

/// The images and documents of a turn's results, each result's after a line naming its call.
struct ResultMedia<'a>(&'a [ToolResult]);

impl Serialize for ResultMedia<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut parts = Vec::new();
        for result in self.0 {
            let Ok(output) = &result.outcome else {
                continue;
            };
            let media = output.media_blocks().iter().filter(|b| b.media().is_some());
            let mut media = media.peekable();
            if media.peek().is_none() {
                continue;
            }
            parts.push(Part::Owned(format!(
                "The images and documents of the result of `{}` (call {}):",
                result.name, result.call_id
            )));
            parts.extend(media.map(Part::Media));
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("role", "user")?;
        map.serialize_entry("content", &parts)?;
        map.end()
    }
}

/// A content part of a user message: `{"type": "text"}`, `{"type": "image_url"}` or
/// `{"type": "file"}` (a document as a `data:` URL; one at a URL is named in text, since the
/// API takes no file URL).
enum Part<'a> {
    Text(&'a str),
    Owned(String),
    Media(&'a ContentBlock),
}

impl<'a> Part<'a> {
    fn of(block: &'a ContentBlock) -> Self {
        match block.as_text() {
            Some(text) => Self::Text(text),
            None => Self::Media(block),
        }
    }
}

impl Serialize for Part<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let block = match self {
            Self::Text(text) => return TextPart(text).serialize(serializer),
            Self::Owned(text) => return TextPart(text).serialize(serializer),
            Self::Media(block) => *block,
        };
        let mut map = serializer.serialize_map(Some(2))?;
        match block {
            ContentBlock::Image(media) => {
                map.serialize_entry("type", "image_url")?;
                map.serialize_entry(
                    "image_url",
                    &ImageUrl {
                        url: media.to_url(),
                    },
                )?;
            }
            ContentBlock::Document(media) if matches!(media.source, MediaSource::Base64 { .. }) => {
                map.serialize_entry("type", "file")?;
                let file = File {
                    filename: media.name.as_deref().unwrap_or("document"),
                    file_data: media.to_url(),
                };
                map.serialize_entry("file", &file)?;
            }
            other => {
                let text = match other.media() {
                    Some(media) => format!("(A document: {})", media.to_url()),
                    None => other.as_text().unwrap_or_default().to_owned(),
                };
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", &text)?;
            }
        }
        map.end()
    }
}

struct TextPart<'a>(&'a str);

impl Serialize for TextPart<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", "text")?;
        map.serialize_entry("text", self.0)?;
        map.end()
    }
}

#[derive(Serialize)]
struct ImageUrl {
    url: String,
}

#[derive(Serialize)]
struct File<'a> {
    filename: &'a str,
    file_data: String,
}

struct Tools<'a> {
    definitions: &'a [&'a ToolDefinition],
    strict: bool,
}

impl Serialize for Tools<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.definitions
                .iter()
                .map(|definition| ToolEntry::new(definition, self.strict)),
        )
    }
}

/// `{"type": "function", "function": {name, description, parameters, strict?}}`.
type ToolEntry<'a> = Tagged<FunctionEntry<'a>>;

impl<'a> ToolEntry<'a> {
    fn new(definition: &'a ToolDefinition, strict: bool) -> Self {
        Tagged {
            tag: "function",
            body: FunctionEntry {
                definition,
                strict,
                flat: false,
            },
        }
    }
}

/// `{name, description, parameters, strict?}`; flat (a Responses API tool), with `"type":
/// "function"` first and `strict` always said (it defaults to true there).
pub(in crate::model::wire) struct FunctionEntry<'a> {
    pub(in crate::model::wire) definition: &'a ToolDefinition,
    pub(in crate::model::wire) strict: bool,
    pub(in crate::model::wire) flat: bool,
}

impl Serialize for FunctionEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let definition = self.definition;
        let strict = self
            .strict
            .then(|| definition.schema().strict_or_warn(definition.name()))
            .flatten();
        let mut map = serializer.serialize_map(None)?;
        if self.flat {
            map.serialize_entry("type", "function")?;
        }
        map.serialize_entry("name", definition.name())?;
        map.serialize_entry("description", definition.description())?;
        match strict {
            Some(parameters) => {
                map.serialize_entry("parameters", parameters)?;
                map.serialize_entry("strict", &true)?;
            }
            None => {
                map.serialize_entry("parameters", definition.parameters())?;
                if self.flat {
                    map.serialize_entry("strict", &false)?;
                }
            }
        }
        map.end()
    }
}

/// `tool_choice`, left out for `auto` (the API's default): `"required"`, `"none"`, or one
/// function, `{"type": "function", "function": {"name"}}` (flat, for the Responses API:
/// `{"type": "function", "name"}`).
pub(in crate::model::wire) struct Choice<'a> {
    kind: ChoiceKind<'a>,
    flat: bool,
}

enum ChoiceKind<'a> {
    Named(&'static str),
    Function(&'a str),
}

impl<'a> Choice<'a> {
    pub(in crate::model::wire) fn of(choice: &'a ToolChoice, flat: bool) -> Option<Self> {
        let kind = match choice {
            ToolChoice::Auto => return None,
            ToolChoice::Required => ChoiceKind::Named("required"),
            ToolChoice::None => ChoiceKind::Named("none"),
            ToolChoice::Tool(name) => ChoiceKind::Function(name),
        };
        Some(Self { kind, flat })
    }
}

impl Serialize for Choice<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Name<'a> {
            name: &'a str,
        }
        match self.kind {
            ChoiceKind::Named(name) => serializer.serialize_str(name),
            ChoiceKind::Function(name) if self.flat => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "function")?;
                map.serialize_entry("name", name)?;
                map.end()
            }
            ChoiceKind::Function(name) => Tagged {
                tag: "function",
                body: Name { name },
            }
            .serialize(serializer),
        }
    }
}
