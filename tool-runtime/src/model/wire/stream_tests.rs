//! Property: any valid stream, split into chunks anywhere (and, for Chat Completions, with the
//! fragments of parallel calls interleaved), assembles into the response the same answer gives
//! when it comes whole — for the three wires.

use std::collections::VecDeque;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::sealed::{Protocol, StreamDecoder};
use super::{AnthropicMessages, OpenAiChat, OpenAiResponses};
use crate::http::SseDecoder;
use crate::model::{Assembler, ModelResponse};

/// The response these events (SSE `event:` name, data) stream through a decoder of `D`, up to
/// the event that ends it: for the wires' own unit tests.
pub(super) fn read_events<D: StreamDecoder + Default>(
    events: &[(&str, &str)],
) -> Result<ModelResponse, crate::error::Error> {
    let mut decoder = D::default();
    let mut out = VecDeque::new();
    for (name, data) in events {
        let event = crate::http::SseEvent {
            event: (*name).to_owned(),
            data: (*data).to_owned(),
        };
        if decoder.event(event, &mut out)? {
            break;
        }
    }
    let mut assembler = Assembler::default();
    out.into_iter().for_each(|event| assembler.push(event));
    assembler.into_response("test")
}

/// A response: text, and calls as (name, arguments object).
#[derive(Debug, Clone)]
struct Answer {
    text: Option<String>,
    calls: Vec<(String, Value)>,
}

fn answer() -> impl Strategy<Value = Answer> {
    let text = proptest::option::of("[a-zé😀 ,.\n]{0,40}");
    let argument = prop_oneof![
        any::<i32>().prop_map(Value::from),
        "[a-z é\"\\\\]{0,12}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
    ];
    let arguments = proptest::collection::btree_map("[a-z_]{1,6}", argument, 0..4)
        .prop_map(|map| Value::Object(map.into_iter().collect()));
    let calls = proptest::collection::vec(("[a-z_]{1,8}", arguments), 0..4);
    (text, calls).prop_map(|(text, calls)| Answer { text, calls })
}

/// `text` cut into pieces at the char boundaries `cuts` pick (each cut a fraction in 0..1000).
fn pieces(text: &str, cuts: &[u16]) -> Vec<String> {
    let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).skip(1).collect();
    if boundaries.is_empty() {
        return vec![text.to_owned()];
    }
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|cut| boundaries[usize::from(*cut) * boundaries.len() / 1000])
        .collect();
    at.sort_unstable();
    at.dedup();
    let mut pieces = Vec::new();
    let mut start = 0;
    for end in at.into_iter().chain([text.len()]) {
        pieces.push(text[start..end].to_owned());
        start = end;
    }
    pieces
}

/// Feeds `body` in chunks cut at `cuts`, through the wire's decoder, into an assembler.
fn assemble<D: StreamDecoder>(mut decoder: D, body: &str, cuts: &[u16]) -> ModelResponse {
    let mut sse = SseDecoder::new(1 << 20);
    let mut events = VecDeque::new();
    let mut model_events = VecDeque::new();
    let mut complete = false;
    let bytes = body.as_bytes();
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|cut| usize::from(*cut) * bytes.len() / 1000)
        .collect();
    at.sort_unstable();
    let mut start = 0;
    for end in at.into_iter().chain([bytes.len()]) {
        sse.feed(&bytes[start..end], &mut events).unwrap();
        start = end;
        while let Some(event) = events.pop_front() {
            complete |= decoder.event(event, &mut model_events).unwrap();
        }
    }
    sse.end_of_input(&mut events);
    while let Some(event) = events.pop_front() {
        complete |= decoder.event(event, &mut model_events).unwrap();
    }
    if !complete {
        decoder.end(&mut model_events).unwrap();
    }
    let mut assembler = Assembler::default();
    for event in model_events {
        assembler.push(event);
    }
    assembler.into_response("test").unwrap()
}

fn openai_whole(answer: &Answer) -> Value {
    let calls: Vec<Value> = answer
        .calls
        .iter()
        .enumerate()
        .map(|(i, (name, arguments))| {
            json!({"id": format!("call_{i}x"), "type": "function",
                   "function": {"name": name, "arguments": arguments.to_string()}})
        })
        .collect();
    let finish = if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    json!({"choices": [{"index": 0, "finish_reason": finish, "message": {
        "role": "assistant", "content": answer.text,
        "tool_calls": if calls.is_empty() { Value::Null } else { Value::Array(calls) }}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 5}})
}

/// The answer streamed: text pieces, each call's begin and argument pieces (interleaved as
/// `order` says), finish, usage, `[DONE]`.
fn openai_stream(answer: &Answer, cuts: &[u16], order: &[u8]) -> String {
    let chunk = |delta: Value| json!({"choices": [{"index": 0, "delta": delta}]});
    let mut chunks = vec![chunk(json!({"role": "assistant"}))];
    if let Some(text) = &answer.text {
        for piece in pieces(text, cuts) {
            chunks.push(chunk(json!({"content": piece})));
        }
    }
    // Per call: its fragments in order; then merged, each step taking the next fragment of
    // the call `order` names among those with fragments left, a call beginning only after the
    // previous one has.
    let mut queues: Vec<VecDeque<Value>> = answer
        .calls
        .iter()
        .enumerate()
        .map(|(i, (name, arguments))| {
            let mut fragments = VecDeque::from([chunk(json!({"tool_calls": [{"index": i,
                "id": format!("call_{i}x"), "type": "function",
                "function": {"name": name, "arguments": ""}}]}))]);
            for piece in pieces(&arguments.to_string(), cuts) {
                fragments.push_back(chunk(
                    json!({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}),
                ));
            }
            fragments
        })
        .collect();
    let mut begun = 0;
    let mut steps = order.iter().cycle();
    while queues.iter().any(|queue| !queue.is_empty()) {
        let open: Vec<usize> = (0..queues.len())
            .filter(|&i| !queues[i].is_empty() && i <= begun)
            .collect();
        let pick = open[usize::from(*steps.next().unwrap_or(&0)) % open.len()];
        if pick == begun {
            begun += 1;
        }
        chunks.push(queues[pick].pop_front().unwrap());
    }
    let finish = if answer.calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    chunks.push(json!({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}));
    chunks.push(json!({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 5}}));
    let mut body: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    body
}

fn anthropic_whole(answer: &Answer) -> Value {
    let mut content: Vec<Value> = answer
        .text
        .iter()
        .map(|text| json!({"type": "text", "text": text}))
        .collect();
    for (i, (name, input)) in answer.calls.iter().enumerate() {
        content.push(
            json!({"type": "tool_use", "id": format!("toolu_{i}"), "name": name, "input": input}),
        );
    }
    let stop = if answer.calls.is_empty() {
        "end_turn"
    } else {
        "tool_use"
    };
    json!({"content": content, "stop_reason": stop,
           "usage": {"input_tokens": 3, "output_tokens": 5, "cache_read_input_tokens": 1}})
}

fn anthropic_stream(answer: &Answer, cuts: &[u16]) -> String {
    let mut events = vec![json!({"type": "message_start", "message": {"content": [],
        "usage": {"input_tokens": 3, "output_tokens": 1, "cache_read_input_tokens": 1}}})];
    let mut index = 0;
    if let Some(text) = &answer.text {
        events.push(json!({"type": "content_block_start", "index": index,
                           "content_block": {"type": "text", "text": ""}}));
        events.push(json!({"type": "ping"}));
        for piece in pieces(text, cuts) {
            events.push(json!({"type": "content_block_delta", "index": index,
                               "delta": {"type": "text_delta", "text": piece}}));
        }
        events.push(json!({"type": "content_block_stop", "index": index}));
        index += 1;
    }
    for (i, (name, input)) in answer.calls.iter().enumerate() {
        events.push(
            json!({"type": "content_block_start", "index": index, "content_block":
            {"type": "tool_use", "id": format!("toolu_{i}"), "name": name, "input": {}}}),
        );
        for piece in pieces(&input.to_string(), cuts) {
            events.push(json!({"type": "content_block_delta", "index": index,
                               "delta": {"type": "input_json_delta", "partial_json": piece}}));
        }
        events.push(json!({"type": "content_block_stop", "index": index}));
        index += 1;
    }
    let stop = if answer.calls.is_empty() {
        "end_turn"
    } else {
        "tool_use"
    };
    events.push(
        json!({"type": "message_delta", "delta": {"stop_reason": stop},
                       "usage": {"output_tokens": 5}}),
    );
    events.push(json!({"type": "message_stop"}));
    events
        .iter()
        .map(|event| {
            format!(
                "event: {}\ndata: {event}\r\n\r\n",
                event["type"].as_str().unwrap()
            )
        })
        .collect()
}

/// A Responses answer as it comes whole; the `i`-th call's `call_id` is `call_{call_ids[i]}`
/// (some servers give several calls one), its item id `fc_{i}` either way.
fn responses_whole(answer: &Answer, reasoning: bool, call_ids: &[u8]) -> Value {
    let mut output = Vec::new();
    if reasoning {
        output.push(json!({"type": "reasoning", "id": "rs_1", "summary": [],
                           "encrypted_content": "gAAAA-x"}));
    }
    if let Some(text) = &answer.text {
        output.push(
            json!({"type": "message", "id": "msg_1", "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}),
        );
    }
    for (i, (name, arguments)) in answer.calls.iter().enumerate() {
        let call_id = call_ids.get(i).map_or(i, |&id| usize::from(id));
        output.push(json!({"type": "function_call", "id": format!("fc_{i}"),
            "call_id": format!("call_{call_id}"), "name": name,
            "arguments": arguments.to_string(), "status": "completed"}));
    }
    json!({"id": "resp_1", "object": "response", "status": "completed", "output": output,
           "usage": {"input_tokens": 3, "output_tokens": 5,
                     "input_tokens_details": {"cached_tokens": 1}}})
}

/// The stream of `whole`, as the API sends it: each event names its item's output index and
/// id. Some servers leave the output indexes out (`indexes: false`), or the final response's
/// output (`final_output: false`).
fn responses_stream(whole: &Value, cuts: &[u16], indexes: bool, final_output: bool) -> String {
    let mut events = vec![json!({"type": "response.created",
        "response": {"id": "resp_1", "status": "in_progress", "output": []}})];
    for (index, item) in whole["output"].as_array().unwrap().iter().enumerate() {
        let item_id = &item["id"];
        let mut added = item.clone();
        match item["type"].as_str() {
            Some("message") => added["content"] = json!([]),
            Some("function_call") => added["arguments"] = json!(""),
            _ => {}
        }
        events.push(
            json!({"type": "response.output_item.added", "output_index": index,
                           "item": added}),
        );
        if item["type"] == "message" {
            events.push(
                json!({"type": "response.content_part.added", "output_index": index,
                "item_id": item_id, "content_index": 0,
                "part": {"type": "output_text", "text": "", "annotations": []}}),
            );
            for piece in pieces(item["content"][0]["text"].as_str().unwrap(), cuts) {
                events.push(
                    json!({"type": "response.output_text.delta", "output_index": index,
                           "item_id": item_id, "content_index": 0, "delta": piece}),
                );
            }
        }
        if item["type"] == "function_call" {
            for piece in pieces(item["arguments"].as_str().unwrap(), cuts) {
                events.push(json!({"type": "response.function_call_arguments.delta",
                                   "output_index": index, "item_id": item_id, "delta": piece}));
            }
        }
        events.push(
            json!({"type": "response.output_item.done", "output_index": index,
                           "item": item}),
        );
    }
    let mut completed = whole.clone();
    if !final_output {
        completed.as_object_mut().unwrap().remove("output");
    }
    events.push(json!({"type": "response.completed", "response": completed}));
    if !indexes {
        for event in &mut events {
            event.as_object_mut().unwrap().remove("output_index");
        }
    }
    events
        .iter()
        .map(|event| {
            format!(
                "event: {}\ndata: {event}\n\n",
                event["type"].as_str().unwrap()
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_chat_completions_stream_assembles_as_its_whole_response(
        answer in answer(),
        cuts in proptest::collection::vec(0u16..1000, 0..12),
        order in proptest::collection::vec(any::<u8>(), 1..8),
    ) {
        let wire = OpenAiChat::default();
        let whole = wire.read_response(openai_whole(&answer).to_string().as_bytes()).unwrap();
        let body = openai_stream(&answer, &cuts, &order);
        prop_assert_eq!(assemble(wire.decoder(), &body, &cuts), whole);
    }

    #[test]
    fn a_messages_stream_assembles_as_its_whole_response(
        answer in answer(),
        cuts in proptest::collection::vec(0u16..1000, 0..12),
    ) {
        let wire = AnthropicMessages::default();
        let whole = wire.read_response(anthropic_whole(&answer).to_string().as_bytes()).unwrap();
        let body = anthropic_stream(&answer, &cuts);
        prop_assert_eq!(assemble(wire.decoder(), &body, &cuts), whole);
    }

    /// Calls that share a `call_id` (told apart by their items) included: each is a call of
    /// its own, streamed as read whole, with or without output indexes and final output.
    #[test]
    fn a_responses_stream_assembles_as_its_whole_response(
        answer in answer(),
        reasoning in any::<bool>(),
        call_ids in proptest::collection::vec(0u8..3, 4),
        indexes in any::<bool>(),
        final_output in any::<bool>(),
        cuts in proptest::collection::vec(0u16..1000, 0..12),
    ) {
        let wire = OpenAiResponses::default();
        let whole_body = responses_whole(&answer, reasoning, &call_ids);
        let whole = wire.read_response(whole_body.to_string().as_bytes()).unwrap();
        prop_assert_eq!(whole.message.tool_calls.len(), answer.calls.len());
        let body = responses_stream(&whole_body, &cuts, indexes, final_output);
        prop_assert_eq!(assemble(wire.decoder(), &body, &cuts), whole);
    }
}

#[test]
fn text_blocks_around_a_call_join_as_when_whole() {
    let wire = AnthropicMessages::default();
    let whole = json!({"content": [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"x": 1}},
        {"type": "text", "text": ""},
        {"type": "text", "text": "Done."}
    ], "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 1}});
    let mut events = vec![json!({"type": "message_start", "message": {"content": [],
        "usage": {"input_tokens": 1, "output_tokens": 1}}})];
    for (index, block) in whole["content"].as_array().unwrap().iter().enumerate() {
        let mut start = block.clone();
        if block["type"] == "tool_use" {
            start["input"] = json!({});
        } else {
            start["text"] = json!("");
        }
        events.push(json!({"type": "content_block_start", "index": index, "content_block": start}));
        let delta = if block["type"] == "tool_use" {
            json!({"type": "input_json_delta", "partial_json": block["input"].to_string()})
        } else {
            json!({"type": "text_delta", "text": block["text"]})
        };
        events.push(json!({"type": "content_block_delta", "index": index, "delta": delta}));
        events.push(json!({"type": "content_block_stop", "index": index}));
    }
    events.push(json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}}));
    events.push(json!({"type": "message_stop"}));
    let body: String = events
        .iter()
        .map(|event| format!("data: {event}\n\n"))
        .collect();
    let streamed = assemble(wire.decoder(), &body, &[]);
    assert_eq!(
        streamed.message.text.as_deref(),
        Some("Let me look.\n\nDone.")
    );
    assert_eq!(
        streamed,
        wire.read_response(whole.to_string().as_bytes()).unwrap()
    );
}
