//! Anthropic Messages: its row of the wire table, and canned responses in the shape of the
//! recorded real traffic.

use serde_json::{Value, json};
use tool_runtime::Anthropic;

use crate::wire::{Calls, Seen, Wire, named_tools};
use crate::{ANTHROPIC_PATH, Recorded, protocol};

/// The Anthropic key the tests use.
pub const ANTHROPIC_KEY: &str = "sk-ant-api03-TESTKEY-anthropic-5ecret-0123456789abcdef";

impl Wire {
    /// Anthropic Messages.
    pub const ANTHROPIC: Wire = Wire {
        name: "anthropic",
        provider: "anthropic",
        path: ANTHROPIC_PATH,
        base_path: "",
        key: ANTHROPIC_KEY,
        // The results go in ONE user message.
        calls_kind: "assistant",
        results_kind: "user",
        marks_errors: true,
        results_carry_media: true,
        calls_end_on_their_own: true,
        names_answer_format: false,
        id_prefix: "toolu_",
        model: |model| model.apply(Anthropic::new(ANTHROPIC_KEY)),
        calls: Calls::Json(|calls, input, output| tool_calls(None, calls, input, output)),
        text,
        sse: to_sse,
        error: |message| error("api_error", message),
        invalid_request: |message| error("invalid_request_error", message),
        overloaded: || (529, error("overloaded_error", "Overloaded")),
        key_refused: || error("authentication_error", "invalid x-api-key"),
        error_event: |message| {
            let event =
                json!({"type": "error", "error": {"type": "overloaded_error", "message": message}});
            format!("event: error\ndata: {event}\n\n")
        },
        wrong_shape: || json!({"content": {"type": "text"}}),
        unusable_calls,
        user_message: |text| json!({"role": "user", "content": [{"type": "text", "text": text}]}),
        answer_echoed: |text| {
            let content = json!([{"type": "text", "text": text}]);
            json!({"role": "assistant", "content": content})
        },
        text_part: |text| json!({"type": "text", "text": text}),
        image_part: |media_type, base64| {
            json!({"type": "image", "source": {"type": "base64", "media_type": media_type,
                   "data": base64}})
        },
        file_part: |name, media_type, base64| {
            json!({"type": "document", "title": name, "source": {"type": "base64",
                   "media_type": media_type, "data": base64}})
        },
        document_url_part: |url| json!({"type": "document", "source": {"type": "url", "url": url}}),
        parallel_calls_off: || {
            let choice = json!({"type": "auto", "disable_parallel_tool_use": true});
            json!({"tool_choice": choice})
        },
        required_tool_choice: || json!({"type": "any"}),
        stream_fields: || json!({"stream": true}),
        results: |request| {
            result_blocks(request)
                .map(|block| Seen {
                    id: block["tool_use_id"].as_str().unwrap().to_owned(),
                    content: block["content"].as_str().unwrap().to_owned(),
                    is_error: block.get("is_error").map(|flag| flag.as_bool().unwrap()),
                })
                .collect()
        },
        result_contents: |request| {
            result_blocks(request)
                .map(|block| block["content"].clone())
                .collect()
        },
        echoed_arguments: |request| {
            request
                .messages()
                .iter()
                .filter(|message| message["role"] == "assistant")
                .flat_map(|message| message["content"].as_array().into_iter().flatten())
                .filter(|block| block["type"] == "tool_use")
                .map(|block| block["input"].clone())
                .collect()
        },
        tool_names: named_tools,
        answer_format: |body| body["output_config"]["format"].clone(),
        user_text: |message| message["content"][0]["text"].as_str().unwrap(),
        protocol: protocol::anthropic,
    };
}

/// The `tool_result` blocks of a request's last message, which must be the user's.
fn result_blocks(request: &Recorded) -> impl Iterator<Item = &Value> {
    let last = request.messages().last().unwrap();
    assert_eq!(last["role"], "user");
    last["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|block| block["type"] == "tool_result")
}

/// Responses that stop to call tools but hold no call to carry out, and the error each gives.
fn unusable_calls() -> [(Value, &'static str); 2] {
    let no_calls = message(Vec::new(), "tool_use", 5, 5);
    let damaged = message(
        vec![
            tool_use("toolu_1", "get_weather", json!({"city": "Oslo"})),
            json!({"type": "tool_use", "name": "get_weather", "input": {}}),
        ],
        "tool_use",
        5,
        5,
    );
    [
        (
            no_calls,
            "the model stopped to call tools but the response holds no tool call",
        ),
        (damaged, "a tool_use block has no id or name"),
    ]
}

/// One `tool_use` block.
pub fn tool_use(id: &str, name: &str, input: Value) -> Value {
    json!({"type": "tool_use", "id": id, "name": name, "input": input})
}

fn usage(input: u64, output: u64) -> Value {
    json!({
        "input_tokens": input,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output,
        "service_tier": "standard"
    })
}

/// A message with these content blocks.
pub fn message(content: Vec<Value>, stop_reason: &str, input: u64, output: u64) -> Value {
    json!({
        "model": "claude-sonnet-4-5-20250929",
        "id": "msg_01MockMockMockMockMockMock",
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage(input, output)
    })
}

/// A response asking for these calls (`(id, name, input)`), after an optional text block.
pub fn tool_calls(
    text: Option<&str>,
    calls: &[(&str, &str, Value)],
    input: u64,
    output: u64,
) -> Value {
    let mut content: Vec<Value> = text
        .map(|text| json!({"type": "text", "text": text}))
        .into_iter()
        .collect();
    content.extend(
        calls
            .iter()
            .map(|(id, name, arguments)| tool_use(id, name, arguments.clone())),
    );
    message(content, "tool_use", input, output)
}

/// A final answer.
pub fn text(text: &str, input: u64, output: u64) -> Value {
    message(
        vec![json!({"type": "text", "text": text})],
        "end_turn",
        input,
        output,
    )
}

/// An error body: `{"type": "error", "error": {"type", "message"}}`.
pub fn error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

/// The stream (`stream: true`) of a message built by [`tool_calls`] or [`text`]:
/// `message_start`, each block's start, deltas of `piece` characters and stop (a `ping` after
/// the first start), `message_delta` and `message_stop` — as the API streams it.
pub fn to_sse(message: &Value, piece: usize) -> String {
    let mut events = Vec::new();
    let mut start = message.clone();
    start["content"] = json!([]);
    start["stop_reason"] = Value::Null;
    start["usage"]["output_tokens"] = json!(1);
    events.push((
        "message_start",
        json!({"type": "message_start", "message": start}),
    ));
    for (index, block) in message["content"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mut skeleton = block.clone();
        match block["type"].as_str() {
            Some("text") => skeleton["text"] = json!(""),
            Some("tool_use") => skeleton["input"] = json!({}),
            _ => {}
        }
        events.push((
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": skeleton}),
        ));
        if index == 0 {
            events.push(("ping", json!({"type": "ping"})));
        }
        let deltas: Vec<Value> = match block["type"].as_str() {
            Some("text") => {
                crate::openai::pieces(block["text"].as_str().unwrap_or_default(), piece)
                    .into_iter()
                    .map(|part| json!({"type": "text_delta", "text": part}))
                    .collect()
            }
            Some("tool_use") => {
                let input = block["input"].to_string();
                std::iter::once(String::new())
                    .chain(crate::openai::pieces(&input, piece))
                    .map(|part| json!({"type": "input_json_delta", "partial_json": part}))
                    .collect()
            }
            _ => Vec::new(),
        };
        for delta in deltas {
            events.push((
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ));
        }
        events.push((
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
    }
    events.push((
        "message_delta",
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": null},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        }),
    ));
    events.push(("message_stop", json!({"type": "message_stop"})));
    events
        .into_iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}
