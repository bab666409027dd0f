//! The request body, serialized straight from the borrowed conversation: no JSON tree is built.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::response::{TEXT_PART_SEPARATOR, texts_of};
use super::{FORMAT, OpenAiResponses};
use crate::conversation::{AssistantMessage, ContentBlock, MediaSource, Message, ToolResult};
use crate::model::ModelRequest;
use crate::model::wire::Content;
use crate::model::wire::openai_chat::request::{
    ArgumentsText, Choice, FunctionEntry, JsonSchemaFormat,
};
use crate::model::wire::sealed::Options;
use crate::tool::ToolDefinition;

/// The entries of a Responses `tools` array: flat function tools, `{"type": "function", name,
/// description, parameters, strict}`.
///
/// With `strict`, each tool whose schema allows it is sent in the strict flavour with
/// `"strict": true`; the others plain, with `"strict": false` (the API's default is true).
///
/// ```
/// use tool_runtime::{tool, tools, wire};
///
/// /// Add two numbers.
/// #[tool]
/// fn add(a: i64, b: i64) -> i64 { a + b }
///
/// let toolbox = tools![add];
/// let entries = wire::openai_responses::tools(toolbox.definitions(), true);
/// assert_eq!(entries[0]["type"], "function");
/// assert_eq!(entries[0]["name"], "add");
/// assert_eq!(entries[0]["strict"], true);
/// ```
pub fn tools<'a>(
    definitions: impl IntoIterator<Item = &'a ToolDefinition>,
    strict: bool,
) -> Vec<Value> {
    definitions
        .into_iter()
        .map(|definition| {
            serde_json::to_value(entry(definition, strict)).expect("a tool definition serializes")
        })
        .collect()
}

fn entry(definition: &ToolDefinition, strict: bool) -> FunctionEntry<'_> {
    FunctionEntry {
        definition,
        strict,
        flat: true,
    }
}

pub(super) fn write(
    wire: &OpenAiResponses,
    request: &ModelRequest<'_>,
    options: &Options,
    stream: bool,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let has_tools = !request.tools.is_empty();
    // With stored responses, the input is what came after the last one the server keeps.
    let (previous_response_id, messages) = match wire.store {
        true => after_stored(request.messages),
        false => (None, request.messages),
    };
    let body = Body {
        model: &options.model,
        instructions: request.system,
        input: Input {
            messages,
            keep_ids: wire.store,
        },
        tools: has_tools.then_some(Tools {
            definitions: request.tools,
            strict: wire.strict,
        }),
        tool_choice: if has_tools {
            Choice::of(request.tool_choice, true)
        } else {
            None
        },
        parallel_tool_calls: (has_tools && !request.parallel_tool_calls).then_some(false),
        max_output_tokens: options.max_tokens,
        temperature: options.temperature,
        store: wire.store,
        previous_response_id,
        // Stateless: reasoning comes back encrypted, to be sent again beside its calls.
        include: (!wire.store && wire.encrypted_reasoning)
            .then_some(["reasoning.encrypted_content"]),
        stream: stream.then_some(true),
        text: request.output.map(|format| TextConfig {
            format: JsonSchemaFormat {
                format,
                strict: wire.strict,
                flat: true,
            },
        }),
    };
    serde_json::to_writer(out, &body)
}

/// The id of the last response the server kept, and the messages after it: all of them when
/// none was kept (a conversation begun without `store`).
fn after_stored(messages: &[Message]) -> (Option<&str>, &[Message]) {
    let last = messages
        .iter()
        .enumerate()
        .rev()
        .find_map(|(index, message)| {
            let Message::Assistant(assistant) = message else {
                return None;
            };
            let response = raw_response(assistant)?;
            if response.get("store") != Some(&Value::Bool(true)) {
                return None;
            }
            Some((index, response.get("id")?.as_str()?))
        });
    match last {
        Some((index, id)) => (Some(id), &messages[index + 1..]),
        None => (None, messages),
    }
}

/// The response kept beside a message that came from this API.
fn raw_response(assistant: &AssistantMessage) -> Option<&Value> {
    assistant.raw_in(FORMAT)
}

/// The output items to send back for a message that came from this API: only while they still
/// say what the message says (the same calls, in order, and the same text). A message edited
/// since, or an output the stream left short, is sent from its neutral form instead.
fn echoed_output(assistant: &AssistantMessage) -> Option<&Vec<Value>> {
    let items = raw_response(assistant)?.get("output")?.as_array()?;
    let call_ids = items
        .iter()
        .filter(|item| item["type"] == "function_call")
        .map(|item| item["call_id"].as_str().unwrap_or_default());
    let same_calls = call_ids.eq(assistant.tool_calls.iter().map(|call| call.id.as_str()));
    let texts: Vec<&str> = items.iter().flat_map(texts_of).collect();
    let text = (!texts.is_empty()).then(|| texts.join(TEXT_PART_SEPARATOR));
    (same_calls && text == assistant.text).then_some(items)
}

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructions: Option<&'a str>,
    input: Input<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<Tools<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Choice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    store: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_response_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    include: Option<[&'static str; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<TextConfig<'a>>,
}

/// `text: {"format": {"type": "json_schema", …}}`: the answer's shape.
#[derive(Serialize)]
struct TextConfig<'a> {
    format: JsonSchemaFormat<'a>,
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
                .map(|definition| entry(definition, self.strict)),
        )
    }
}

/// The conversation as input items: messages, the model's output items (echoed as they came
/// from this API, or built from the neutral message), and one `function_call_output` per result.
struct Input<'a> {
    messages: &'a [Message],
    /// Whether echoed items keep their ids (only a server that stores responses knows them).
    keep_ids: bool,
}

impl Serialize for Input<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for message in self.messages {
            match message {
                Message::User { text, attachments } if attachments.is_empty() => seq
                    .serialize_element(&Said {
                        role: "user",
                        content: text,
                    })?,
                Message::User { text, attachments } => {
                    let text = (!text.is_empty()).then_some(Part::Text(text));
                    let parts: Vec<Part<'_>> = text
                        .into_iter()
                        .chain(attachments.iter().map(Part::of))
                        .collect();
                    seq.serialize_element(&UserParts {
                        role: "user",
                        content: parts,
                    })?;
                }
                Message::Assistant(assistant) => {
                    match echoed_output(assistant) {
                        Some(items) => {
                            for item in items {
                                // Reasoning without its encrypted content cannot be sent back
                                // to a server that kept nothing.
                                if !self.keep_ids
                                    && item["type"] == "reasoning"
                                    && !item["encrypted_content"].is_string()
                                {
                                    continue;
                                }
                                seq.serialize_element(&Echoed {
                                    item,
                                    keep_id: self.keep_ids,
                                })?;
                            }
                        }
                        None => {
                            if let Some(text) = assistant.text.as_deref().filter(|t| !t.is_empty())
                            {
                                seq.serialize_element(&Said {
                                    role: "assistant",
                                    content: text,
                                })?;
                            }
                            for call in &assistant.tool_calls {
                                seq.serialize_element(&FunctionCall {
                                    kind: "function_call",
                                    call_id: &call.id,
                                    name: &call.name,
                                    arguments: ArgumentsText(&call.arguments),
                                })?;
                            }
                        }
                    }
                }
                Message::ToolResults { results } => {
                    for result in results {
                        seq.serialize_element(&Output(result))?;
                    }
                }
            }
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Said<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct FunctionCall<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    call_id: &'a str,
    name: &'a str,
    arguments: ArgumentsText<'a>,
}

/// An output item sent back as it came: without its `id` when the server keeps nothing (it
/// could not look the item up), and a `function_call`'s `arguments` as the JSON text the API
/// takes (some compatible servers send an object, or nothing).
struct Echoed<'a> {
    item: &'a Value,
    keep_id: bool,
}

impl Serialize for Echoed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Value::Object(fields) = self.item else {
            return self.item.serialize(serializer);
        };
        let is_call = fields.get("type").and_then(Value::as_str) == Some("function_call");
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in fields {
            match key.as_str() {
                "id" if !self.keep_id => {}
                "arguments" if is_call && !value.is_string() => {
                    map.serialize_entry(key, &arguments_text(value))?;
                }
                _ => map.serialize_entry(key, value)?,
            }
        }
        if is_call && !fields.contains_key("arguments") {
            map.serialize_entry("arguments", "{}")?;
        }
        map.end()
    }
}

/// A `function_call`'s `arguments` that did not come as text, as the text the call was read
/// from: `null` is no arguments (`{}`), anything else its JSON.
fn arguments_text(arguments: &Value) -> String {
    match arguments {
        Value::Null => "{}".to_owned(),
        other => other.to_string(),
    }
}

/// `{"type": "function_call_output", call_id, output}`.
struct Output<'a>(&'a ToolResult);

impl Serialize for Output<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("type", "function_call_output")?;
        map.serialize_entry("call_id", &self.0.call_id)?;
        match &self.0.outcome {
            // Text, images and documents, in order.
            Ok(output) if output.has_media() => {
                let parts: Vec<Part<'_>> = output
                    .media_blocks()
                    .iter()
                    .filter(|block| block.as_text() != Some(""))
                    .map(Part::of)
                    .collect();
                map.serialize_entry("output", &parts)?;
            }
            _ => map.serialize_entry("output", &Content(self.0))?,
        }
        map.end()
    }
}

#[derive(Serialize)]
struct UserParts<'a> {
    role: &'static str,
    content: Vec<Part<'a>>,
}

/// An input content part: `input_text`, `input_image` (a URL or a `data:` URL) or `input_file`
/// (a `data:` URL with a file name, or a URL).
enum Part<'a> {
    Text(&'a str),
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
        let mut map = serializer.serialize_map(Some(3))?;
        match self {
            Self::Text(text) => {
                map.serialize_entry("type", "input_text")?;
                map.serialize_entry("text", text)?;
            }
            Self::Media(ContentBlock::Image(media)) => {
                map.serialize_entry("type", "input_image")?;
                map.serialize_entry("image_url", &media.to_url())?;
                map.serialize_entry("detail", "auto")?;
            }
            Self::Media(ContentBlock::Document(media)) => {
                map.serialize_entry("type", "input_file")?;
                match &media.source {
                    MediaSource::Url { url } => map.serialize_entry("file_url", url)?,
                    _ => {
                        let name = media.name.as_deref().unwrap_or("document");
                        map.serialize_entry("filename", name)?;
                        map.serialize_entry("file_data", &media.to_url())?;
                    }
                }
            }
            Self::Media(other) => {
                map.serialize_entry("type", "input_text")?;
                map.serialize_entry("text", other.as_text().unwrap_or_default())?;
            }
        }
        map.end()
    }
}
