//! Streaming against the local mock server: every wire's event format through the loop,
//! the recorded streams, what real servers do (interleaved fragments, Gemini's `index: 0`,
//! missing and repeated ids, CRLF, keep-alives, UTF-8 split across chunks), and every fault.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use support::{
    MockServer, PROMPT, Reply, SEED_ANSWER, StreamEnd, WholeMessage, Wire, each_wire, fast_retries,
    fixture_text, model_error, openai, weather_tools,
};
use tool_runtime::agent::{AgentEvent, RunOutput};
use tool_runtime::conversation::{AssistantMessage, ToolCall};
use tool_runtime::model::{Model, ModelEvent, ModelRequest, ModelResponse};
use tool_runtime::{Agent, Anthropic, Message, OfflineModel, OpenAi, tool, tools};

/// The seed's first response: three calls.
fn seed_calls(wire: Wire) -> Value {
    wire.calls(
        &[
            (&wire.id(1), "get_weather", json!({"city": "Tokyo"})),
            (&wire.id(2), "get_weather", json!({"city": "London"})),
            (
                &wire.id(3),
                "get_exchange_rate",
                json!({"from_currency": "USD", "to_currency": "JPY"}),
            ),
        ],
        259,
        78,
    )
}

/// Runs the seed conversation against replies made by `reply` from the whole responses, with
/// answers streamed or not; returns the output and the requests' bodies.
async fn seed_run(
    wire: Wire,
    streaming: bool,
    reply: impl Fn(&Value) -> Reply,
) -> (RunOutput, Vec<Value>) {
    let server = MockServer::start().await;
    server.push(reply(&seed_calls(wire)));
    server.push(reply(&wire.text(SEED_ANSWER, 377, 85)));
    let agent = wire
        .agent(&server, weather_tools())
        .streaming(streaming)
        .on_event(|_| {});
    // One id for every run, so that runs compare whole.
    let output = agent.run(PROMPT).with_run_id("seed").await.unwrap();
    let bodies = server.requests().into_iter().map(|r| r.body).collect();
    (output, bodies)
}

/// The seed conversation streamed gives the transcript it gives whole; its requests ask for a
/// stream and are otherwise the same.
async fn streamed_and_whole_runs_agree(wire: Wire) {
    let (whole, whole_bodies) = seed_run(wire, false, |body| Reply::json(body.clone())).await;
    for piece in [1, 3, 1000] {
        let (streamed, streamed_bodies) =
            seed_run(wire, true, |body| Reply::sse(wire.sse(body, piece))).await;
        assert_eq!(streamed, whole, "pieces of {piece}");
        assert_eq!(streamed.text, SEED_ANSWER);
        for (mut streamed, whole) in streamed_bodies.into_iter().zip(&whole_bodies) {
            let object = streamed.as_object_mut().unwrap();
            for (field, value) in wire.stream_fields().as_object().unwrap() {
                assert_eq!(object.remove(field).as_ref(), Some(value), "{field}");
            }
            assert_eq!(&streamed, whole);
        }
    }
    // A server that ignores `stream: true` and answers whole is read as well.
    let (ignored, _) = seed_run(wire, true, |body| Reply::json(body.clone())).await;
    assert_eq!(ignored, whole);
}

each_wire!(streamed_and_whole_runs_agree);

/// Everything a model streams for `request`, and the response it assembles into.
async fn stream_of(model: &dyn Model) -> (Vec<ModelEvent>, ModelResponse) {
    let messages = [Message::user("hi")];
    let mut stream = model.stream(ModelRequest::new(&messages));
    let mut events = Vec::new();
    while let Some(event) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        events.push(event.expect("a stream without errors"));
    }
    let mut text: Option<String> = None;
    let mut calls = Vec::new();
    let mut finish = None;
    for event in &events {
        match event {
            ModelEvent::TextDelta(piece) => text.get_or_insert_default().push_str(piece),
            ModelEvent::ToolCall(call) => calls.push(call.clone()),
            ModelEvent::End(end) => finish = Some(end.clone()),
            _ => {}
        }
    }
    let finish = finish.expect("the stream's end");
    let mut message = AssistantMessage::calls(calls);
    message.text = text;
    message.raw = finish.raw;
    let response = ModelResponse::new(message, finish.stop_reason, finish.usage);
    (events, response)
}

#[tokio::test]
async fn the_recorded_openai_stream_assembles_as_its_whole_response() {
    let server = MockServer::start().await;
    server.push(Reply::sse(fixture_text(
        "openai_sse_openai_python_2calls.sse",
    )));
    let model = OpenAi::new("k").base_url(server.openai_url());
    let (events, streamed) = stream_of(&model).await;
    let whole = json!({
        "id": "chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63",
        "object": "chat.completion",
        "created": 1727346178,
        "model": "gpt-4o-2024-08-06",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [
                    {"id": "call_JMW1whyEaYG438VE1OIflxA2", "type": "function", "function": {
                        "name": "GetWeatherArgs",
                        "arguments": "{\"city\": \"Edinburgh\", \"country\": \"GB\", \"units\": \"c\"}"}},
                    {"id": "call_DNYTawLBoN8fj3KN6qU9N1Ou", "type": "function", "function": {
                        "name": "get_stock_price",
                        "arguments": "{\"ticker\": \"AAPL\", \"exchange\": \"NASDAQ\"}"}}
                ],
                "refusal": null
            },
            "logprobs": null,
            "finish_reason": "tool_calls"
        }],
        "usage": {"prompt_tokens": 149, "completion_tokens": 60, "total_tokens": 209}
    });
    assert_eq!(
        streamed,
        model.parse_response(whole.to_string().as_bytes()).unwrap()
    );
    // The first call was handed on when the second began, before the stream's end.
    let first = events
        .iter()
        .position(
            |event| matches!(event, ModelEvent::ToolCall(call) if call.name == "GetWeatherArgs"),
        )
        .unwrap();
    let second_begun = events
        .iter()
        .position(|event| matches!(event, ModelEvent::ToolCallDelta(delta) if delta.index == 1))
        .unwrap();
    assert_eq!(first, second_begun + 1);
}

#[tokio::test]
async fn the_recorded_anthropic_stream_assembles_as_its_whole_response() {
    let server = MockServer::start().await;
    server.push(Reply::sse(fixture_text("anthropic_sse_sdkpy_1call.sse")));
    let model = Anthropic::new("k").base_url(server.anthropic_url());
    let (events, streamed) = stream_of(&model).await;
    let whole = json!({
        "id": "msg_019Q1hrJbZG26Fb9BQhrkHEr",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [
            {"type": "text", "text": "I'll check the current weather in Paris for you."},
            {"type": "tool_use", "id": "toolu_01NRLabsLyVHZPKxbKvkfSMn", "name": "get_weather",
             "caller": {"type": "direct"}, "input": {"location": "Paris"}}
        ],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": 377, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0, "output_tokens": 65, "service_tier": "standard"}
    });
    assert_eq!(
        streamed,
        model.parse_response(whole.to_string().as_bytes()).unwrap()
    );
    let deltas: String = events
        .iter()
        .filter_map(|event| match event {
            ModelEvent::ToolCallDelta(delta) => Some(delta.arguments.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, r#"{"location": "Paris"}"#);
}

/// Echoes its call: name and arguments.
#[tool]
fn f(#[arg(default)] x: Option<i64>, #[arg(default)] s: Option<String>) -> String {
    format!("f {x:?} {s:?}")
}

/// Echoes its call.
#[tool]
fn g(#[arg(default)] x: Option<i64>) -> String {
    format!("g {x:?}")
}

/// One OpenAI chunk whose delta is `delta`.
fn chunk(delta: Value) -> Value {
    json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
           "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
}

fn finish_chunk(reason: &str) -> Value {
    json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
           "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
}

fn call_fragment(index: Option<u64>, id: Option<&str>, name: Option<&str>, args: &str) -> Value {
    let mut call = json!({"function": {"arguments": args}});
    if let Some(index) = index {
        call["index"] = json!(index);
    }
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
    }
    if let Some(name) = name {
        call["function"]["name"] = json!(name);
    }
    chunk(json!({"tool_calls": [call]}))
}

/// Streams `chunks` as the model's first answer, then "done"; returns the first assistant
/// message and its results as the transcript holds them.
async fn first_turn(chunks: Vec<Value>) -> (AssistantMessage, Vec<(String, String)>) {
    let server = MockServer::start().await;
    server.allow_repeated_ids();
    server.push(Reply::sse(openai::to_sse_chunks(&chunks)));
    server.push(Reply::sse(openai::to_sse(&openai::text("done", 1, 1), 4)));
    let model = OpenAi::new("k")
        .base_url(server.openai_url())
        .retry_policy(fast_retries(0));
    let output = Agent::new(model, tools![f, g]).run("go").await.unwrap();
    assert_eq!(output.text, "done");
    let Message::Assistant(message) = &output.messages[1] else {
        panic!("{:?}", output.messages)
    };
    let Message::ToolResults { results } = &output.messages[2] else {
        panic!("{:?}", output.messages)
    };
    let results = results
        .iter()
        .map(|result| (result.call_id.clone(), result.content().into_owned()))
        .collect();
    (message.clone(), results)
}

fn calls_of(message: &AssistantMessage) -> Vec<(String, String, String)> {
    message
        .tool_calls
        .iter()
        .map(|call| {
            let arguments = call.arguments.to_value().unwrap_or(Value::Null).to_string();
            (call.id.clone(), call.name.clone(), arguments)
        })
        .collect()
}

#[tokio::test]
async fn interleaved_fragments_of_parallel_calls_are_kept_apart() {
    let (message, results) = first_turn(vec![
        call_fragment(Some(0), Some("call_a"), Some("f"), ""),
        call_fragment(Some(1), Some("call_b"), Some("g"), "{\"x\""),
        call_fragment(Some(0), None, None, "{\"x\": 1,"),
        call_fragment(Some(1), None, None, ": 2}"),
        call_fragment(Some(0), None, None, " \"s\": \"é\"}"),
        finish_chunk("tool_calls"),
    ])
    .await;
    assert_eq!(
        calls_of(&message),
        [
            ("call_a".into(), "f".into(), r#"{"x":1,"s":"é"}"#.into()),
            ("call_b".into(), "g".into(), r#"{"x":2}"#.into()),
        ]
    );
    assert_eq!(
        results,
        [
            ("call_a".into(), r#"f Some(1) Some("é")"#.into()),
            ("call_b".into(), "g Some(2)".into()),
        ]
    );
}

#[tokio::test]
async fn calls_all_at_index_zero_are_told_apart_by_their_ids() {
    // Gemini's OpenAI endpoint.
    let (message, _) = first_turn(vec![
        call_fragment(Some(0), Some("id-1"), Some("f"), "{\"x\": 1}"),
        call_fragment(Some(0), Some("id-2"), Some("g"), "{\"x\":"),
        call_fragment(Some(0), None, None, " 2}"),
        call_fragment(Some(0), Some("id-3"), Some("f"), "{}"),
        finish_chunk("tool_calls"),
    ])
    .await;
    assert_eq!(
        calls_of(&message),
        [
            ("id-1".into(), "f".into(), r#"{"x":1}"#.into()),
            ("id-2".into(), "g".into(), r#"{"x":2}"#.into()),
            ("id-3".into(), "f".into(), "{}".into()),
        ]
    );
}

#[tokio::test]
async fn calls_without_index_or_ids_get_ids_of_their_own() {
    let (message, results) = first_turn(vec![
        call_fragment(None, None, Some("f"), "{\"x\""),
        call_fragment(None, None, None, ": 1}"),
        call_fragment(None, None, Some("g"), ""),
        call_fragment(None, None, None, "{\"x\": 2}"),
        finish_chunk("tool_calls"),
    ])
    .await;
    assert_eq!(
        calls_of(&message),
        [
            ("call_0".into(), "f".into(), r#"{"x":1}"#.into()),
            ("call_1".into(), "g".into(), r#"{"x":2}"#.into()),
        ]
    );
    assert_eq!(results[1], ("call_1".into(), "g Some(2)".into()));
}

#[tokio::test]
async fn empty_and_repeated_ids_are_sent_back_as_they_came_and_paired_in_order() {
    let (message, results) = first_turn(vec![
        call_fragment(Some(0), Some(""), Some("f"), "{\"x\": 1}"),
        call_fragment(Some(0), Some(""), Some("g"), "{\"x\": 2}"),
        call_fragment(Some(1), Some("same"), Some("f"), "{\"x\": 3}"),
        call_fragment(Some(2), Some("same"), Some("g"), "{\"x\": 4}"),
        finish_chunk("tool_calls"),
    ])
    .await;
    let ids: Vec<String> = calls_of(&message).into_iter().map(|(id, ..)| id).collect();
    assert_eq!(ids, ["", "", "same", "same"]);
    assert_eq!(
        results,
        [
            ("".into(), "f Some(1) None".into()),
            ("".into(), "g Some(2)".into()),
            ("same".into(), "f Some(3) None".into()),
            ("same".into(), "g Some(4)".into()),
        ]
    );
}

#[tokio::test]
async fn llama_cpp_style_streams_are_read() {
    // Empty text beside the calls, an id only in the first fragment, arguments with the model's
    // own spacing, a call with empty arguments, usage in the last chunk only.
    let mut usage = json!({"id": "c", "object": "chat.completion.chunk", "created": 1,
                           "model": "m", "choices": []});
    usage["usage"] = json!({"prompt_tokens": 10, "completion_tokens": 5});
    let (message, results) = first_turn(vec![
        chunk(json!({"role": "assistant", "content": ""})),
        call_fragment(
            Some(0),
            Some("Xq7Rk2mZp9LwT4vB8nYc3sHd6fJa1eGu"),
            Some("f"),
            "",
        ),
        call_fragment(Some(0), None, None, "{\n  \"x\" :  5 ,\n"),
        call_fragment(Some(0), None, None, "  \"s\":\"a b\"\n}"),
        call_fragment(Some(1), Some("second"), Some("g"), ""),
        finish_chunk("tool_calls"),
        usage,
    ])
    .await;
    assert_eq!(message.text.as_deref(), Some(""));
    assert_eq!(
        calls_of(&message)[0],
        (
            "Xq7Rk2mZp9LwT4vB8nYc3sHd6fJa1eGu".into(),
            "f".into(),
            r#"{"x":5,"s":"a b"}"#.into()
        )
    );
    assert_eq!(results[1], ("second".into(), "g None".into()));
}

#[tokio::test]
async fn names_and_ids_repeated_in_every_fragment_make_one_call() {
    // MiniMax repeats the name in every fragment; LM Studio sends a fresh id with each.
    let (message, _) = first_turn(vec![
        call_fragment(Some(0), Some("c1"), Some("f"), ""),
        call_fragment(Some(0), None, Some("f"), "{\"x\""),
        call_fragment(Some(0), None, Some("f"), ": 1}"),
        call_fragment(Some(1), Some("g-1"), Some("g"), "{"),
        call_fragment(Some(1), Some("g-2"), None, "\"x\": "),
        call_fragment(Some(1), Some("g-3"), None, "2}"),
        finish_chunk("tool_calls"),
    ])
    .await;
    assert_eq!(
        calls_of(&message),
        [
            ("c1".into(), "f".into(), r#"{"x":1}"#.into()),
            ("g-1".into(), "g".into(), r#"{"x":2}"#.into()),
        ]
    );
}

#[tokio::test]
async fn the_content_is_the_text_and_a_refusal_stands_in_only_for_none() {
    let (message, _) = first_turn(vec![
        chunk(json!({"content": "Sure", "refusal": "No"})),
        chunk(json!({"refusal": "Never"})),
        call_fragment(Some(0), Some("c1"), Some("f"), "{}"),
        finish_chunk("tool_calls"),
    ])
    .await;
    assert_eq!(message.text.as_deref(), Some("Sure"));
}

#[tokio::test]
async fn a_stream_without_choices_is_a_damaged_response() {
    let server = MockServer::start().await;
    let mut usage = json!({"id": "c", "object": "chat.completion.chunk", "choices": []});
    usage["usage"] = json!({"prompt_tokens": 1, "completion_tokens": 0});
    server.push(Reply::sse(openai::to_sse_chunks(&[usage])));
    let error = model_error(
        Wire::OPENAI
            .agent(&server, weather_tools())
            .run("hi")
            .await
            .unwrap_err(),
    );
    assert!(error.is_decode());
    assert_eq!(error.message(), "the response has no choices");
}

#[tokio::test]
async fn a_stream_cut_after_its_finish_stands() {
    // No `[DONE]`: the connection breaks after the usage chunk.
    let server = MockServer::start().await;
    let text = openai::to_sse(&openai::text("All said.", 1, 2), 3);
    let events = support::sse_events(&text);
    server.push(Reply::sse_pieces(events[..events.len() - 1].to_vec()).ending(StreamEnd::Cut));
    let output = Wire::OPENAI
        .agent(&server, weather_tools())
        .run("hi")
        .await
        .unwrap();
    assert_eq!(output.text, "All said.");
    assert_eq!(output.usage.output_tokens, 2);
    assert_eq!(server.request_count(), 1);
}

/// A stream that stalls, or reports an overload, before its first event is asked for again;
/// the same after an event was used is not.
async fn overloads_and_stalls_before_the_first_event_are_retried(wire: Wire) {
    let overloaded = wire.error_event("Overloaded");
    let answer = wire.sse(&wire.text("fine", 1, 1), 3);
    let server = MockServer::start().await;
    server.push(Reply::sse(overloaded.clone()));
    server.push(Reply::sse_pieces(Vec::<Vec<u8>>::new()).ending(StreamEnd::Stall));
    server.push(Reply::sse(answer.clone()));
    let model = wire.provider_with_timeout(
        wire.url(&server),
        fast_retries(2),
        Duration::from_millis(200),
    );
    let output = Agent::new(model, weather_tools()).run("hi").await.unwrap();
    assert_eq!(output.text, "fine");
    assert_eq!(server.request_count(), 3);

    // After the first event: final.
    let server = MockServer::start().await;
    let events = support::sse_events(&answer);
    let first_text = events
        .iter()
        .position(|event| event.contains("\"fin\""))
        .unwrap();
    let mut pieces = events[..=first_text].to_vec();
    pieces.push(overloaded);
    server.push(Reply::sse_pieces(pieces));
    let error = wire
        .agent(&server, weather_tools())
        .run("hi")
        .await
        .unwrap_err();
    assert!(model_error(error).is_status());
    assert_eq!(server.request_count(), 1);
}

each_wire!(overloads_and_stalls_before_the_first_event_are_retried);

#[tokio::test]
async fn a_whole_body_that_stalls_ends_in_a_timeout() {
    // A server that answers a streamed request with JSON, and stops half way.
    let server = MockServer::start().await;
    let body = openai::text("never finished", 1, 1).to_string();
    for _ in 0..2 {
        server.push(
            Reply::sse_pieces([body[..20].to_owned()])
                .content_type("application/json")
                .ending(StreamEnd::Stall),
        );
    }
    let model = Wire::OPENAI.provider_with_timeout(
        server.openai_url(),
        fast_retries(1),
        Duration::from_millis(200),
    );
    let error = run_error(model).await;
    assert!(error.is_timeout(), "{error}");
    assert_eq!(error.message(), "no response body within 200ms");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn a_server_refusing_stream_options_is_asked_again_without_them() {
    let server = MockServer::start().await;
    let refusal = json!({"object": "error", "message": "[{'type': 'extra_forbidden', 'loc': \
        ('body', 'stream_options'), 'msg': 'Extra inputs are not permitted'}]", "type": "invalid_request_error"});
    server.push(Reply::status_json(422, refusal));
    server.push(Reply::sse(openai::to_sse(
        &Wire::OPENAI.calls(&[("c1", "get_weather", json!({"city": "Oslo"}))], 1, 1),
        5,
    )));
    server.push(Reply::sse(openai::to_sse(&openai::text("Sunny.", 1, 1), 5)));
    let agent = Wire::OPENAI.agent(&server, weather_tools());
    let output = agent.run("Oslo?").await.unwrap();
    assert_eq!(output.text, "Sunny.");
    let bodies: Vec<Value> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 3);
    assert!(bodies[0].get("stream_options").is_some());
    // Without them from then on, the next turn included.
    assert!(bodies[1].get("stream_options").is_none());
    assert!(bodies[2].get("stream_options").is_none());
    assert_eq!(bodies[2]["stream"], true);

    let server = MockServer::start().await;
    server.push(Reply::sse(openai::to_sse(&openai::text("Hi.", 1, 1), 5)));
    let model = OpenAi::new("k")
        .base_url(server.openai_url())
        .stream_usage(false);
    Agent::new(model, weather_tools()).run("hi").await.unwrap();
    assert!(server.requests()[0].body.get("stream_options").is_none());
}

/// The seed's stream with this framing gives the seed's transcript.
async fn framing(wire: Wire) {
    let (whole, _) = seed_run(wire, false, |body| Reply::json(body.clone())).await;
    type Reframe = fn(String) -> Vec<Vec<u8>>;
    let reframe: [Reframe; 3] = [
        // CRLF line ends, in chunks of 7 bytes (splitting `°` of "22°C" somewhere).
        |text| {
            text.replace('\n', "\r\n")
                .into_bytes()
                .chunks(7)
                .map(<[u8]>::to_vec)
                .collect()
        },
        // Keep-alive comments and a retry field between events, one byte at a time.
        |text| {
            text.replace("\n\n", "\n\n: keep-alive\n\nretry: 3000\n\n")
                .into_bytes()
                .into_iter()
                .map(|byte| vec![byte])
                .collect()
        },
        // CR alone as the line end, split inside the UTF-8 of every `°`.
        |text| {
            let bytes = text.replace('\n', "\r").into_bytes();
            let mut pieces = Vec::new();
            let mut start = 0;
            for (i, pair) in bytes.windows(2).enumerate() {
                if pair == [0xc2, 0xb0] {
                    pieces.push(bytes[start..=i].to_vec());
                    start = i + 1;
                }
            }
            pieces.push(bytes[start..].to_vec());
            pieces
        },
    ];
    for reframe in reframe {
        let (streamed, _) = seed_run(wire, true, |body| {
            Reply::sse_pieces(reframe(wire.sse(body, 2)))
        })
        .await;
        assert_eq!(streamed, whole);
    }
}

each_wire!(framing);

/// The model's error that ends a run of `model` on "hi".
async fn run_error(model: impl Model + 'static) -> tool_runtime::Error {
    model_error(
        Agent::new(model, weather_tools())
            .run("hi")
            .await
            .unwrap_err(),
    )
}

/// The seed's first stream, cut off part way: a run error, the request not sent again (a
/// call had started), and the transcript holds the calls that started, each answered.
async fn a_stream_cut_off_keeps_the_calls_that_started(wire: Wire) {
    let server = MockServer::start().await;
    let text = wire.sse(&seed_calls(wire), 4);
    let events = support::sse_events(&text);
    // Up to the middle of the third call's start (the first call is complete for both wires).
    let third = events
        .iter()
        .position(|event| event.contains("get_exchange_rate"))
        .unwrap();
    let mut pieces: Vec<String> = events[..third].to_vec();
    pieces.push(events[third][..20].to_owned());
    server.push(Reply::sse_pieces(pieces).ending(StreamEnd::Cut));
    let agent = wire.agent(&server, weather_tools());
    let error = agent.run(PROMPT).await.unwrap_err();
    assert_eq!(server.request_count(), 1);
    let messages = &error.messages;
    let Message::Assistant(partial) = &messages[1] else {
        panic!("{messages:?}")
    };
    let Message::ToolResults { results } = &messages[2] else {
        panic!("{messages:?}")
    };
    // Anthropic closes each call's block and Responses each call's item; a Chat Completions
    // call is complete when the next begins, so there the second (whole, but with no successor
    // yet) never started.
    let started = if wire.calls_end_on_their_own { 2 } else { 1 };
    assert_eq!(partial.tool_calls.len(), started, "{partial:?}");
    assert_eq!(results.len(), started);
    for (call, result) in partial.tool_calls.iter().zip(results) {
        assert_eq!(call.id, result.call_id);
    }
    assert_eq!(partial.tool_calls[0].name, "get_weather");
    let error = model_error(error);
    assert!(error.is_decode(), "{error}");
    assert!(error.message().contains("broke off"), "{error}");
}

each_wire!(a_stream_cut_off_keeps_the_calls_that_started);

/// An `error` event ends the run with the provider's message.
async fn an_error_event_ends_the_run(wire: Wire) {
    let server = MockServer::start().await;
    let text = wire.sse(&wire.text("partial answer", 1, 1), 3);
    let events = support::sse_events(&text);
    // Up to the first piece of text: something was handed on, so the error is final.
    let first_text = events
        .iter()
        .position(|event| event.contains("\"par\""))
        .unwrap();
    let mut pieces = events[..=first_text].to_vec();
    pieces.push(wire.error_event("Overloaded"));
    server.push(Reply::sse_pieces(pieces));
    let run = wire.agent(&server, weather_tools()).run("hi").await;
    let run = run.unwrap_err();
    assert_eq!(run.messages, [Message::user("hi")]);
    let error = model_error(run);
    assert!(error.is_status(), "{error}");
    assert_eq!(error.status(), None);
    assert_eq!(error.message(), "Overloaded");
    assert!(error.raw_body().unwrap().contains("Overloaded"));
    assert_eq!(server.request_count(), 1);
}

each_wire!(an_error_event_ends_the_run);

/// A malformed event, an event over the size limit, and a stream that stalls each end the run
/// with a clear error; none is sent again once an event was handed on.
async fn malformed_oversized_and_stalled_streams(wire: Wire) {
    let good = wire.sse(&wire.text("fine", 1, 1), 2);
    let events = support::sse_events(&good);
    // Up to the first piece of text.
    let first_text = events
        .iter()
        .position(|event| event.contains("\"fi\""))
        .unwrap();
    let opening = events[..=first_text].to_vec();

    let server = MockServer::start().await;
    let mut malformed = opening.clone();
    malformed.push("data: {\"type\": \"content_block_delta\", \"index\n\n".to_owned());
    server.push(Reply::sse_pieces(malformed));
    let error = model_error(
        wire.agent(&server, weather_tools())
            .run("hi")
            .await
            .unwrap_err(),
    );
    assert!(error.is_decode(), "{error}");
    assert!(error.raw_body().unwrap().contains("content_block_delta"));

    let server = MockServer::start().await;
    let huge = wire.sse(&wire.text(&"x".repeat(4096), 1, 1), 10_000);
    server.push(Reply::sse(huge));
    let model = wire
        .model(wire.url(&server))
        .max_response_bytes(1024)
        .build();
    let error = run_error(model).await;
    assert!(error.is_decode(), "{error}");
    assert!(
        error
            .message()
            .contains("larger than the limit of 1024 bytes"),
        "{error}"
    );

    let server = MockServer::start().await;
    server.push(Reply::sse_pieces(opening).ending(StreamEnd::Stall));
    let model = wire.provider_with_timeout(
        wire.url(&server),
        fast_retries(2),
        Duration::from_millis(200),
    );
    let error = run_error(model).await;
    assert!(error.is_timeout(), "{error}");
    assert!(
        error.message().contains("no stream event within 200ms"),
        "{error}"
    );
    assert_eq!(server.request_count(), 1);
}

each_wire!(malformed_oversized_and_stalled_streams);

/// A stream that breaks before its first event is asked for again: nothing was used.
async fn a_stream_broken_before_its_first_event_is_retried(wire: Wire) {
    let server = MockServer::start().await;
    server.push(Reply::sse_pieces(["data: {\"partial"]).ending(StreamEnd::Cut));
    server.push(Reply::sse(wire.sse(&wire.text("second try", 1, 1), 5)));
    let output = wire
        .agent(&server, weather_tools())
        .run("hi")
        .await
        .unwrap();
    assert_eq!(output.text, "second try");
    assert_eq!(server.request_count(), 2);
}

each_wire!(a_stream_broken_before_its_first_event_is_retried);

/// The events a program sees: the text in pieces, each call's argument pieces, its start (while
/// the response is still streaming) and its result, the end — the same for the handler and the
/// stream.
async fn the_program_sees_every_event_as_it_happens(wire: Wire) {
    let server = MockServer::start().await;
    let calls = seed_calls(wire);
    server.push(Reply::sse_paced(
        &wire.sse(&calls, 5),
        Duration::from_millis(2),
    ));
    server.push(Reply::sse(wire.sse(&wire.text(SEED_ANSWER, 1, 1), 3)));
    let seen: Arc<Mutex<Vec<AgentEvent>>> = Arc::default();
    let log = seen.clone();
    let agent = wire
        .agent(&server, weather_tools())
        .on_event(move |event| log.lock().unwrap().push(event.clone()));
    let mut stream = agent.stream(PROMPT);
    let mut streamed = Vec::new();
    while let Some(event) = stream.next().await {
        streamed.push(event.unwrap());
    }
    assert_eq!(*seen.lock().unwrap(), streamed);

    let text: String = streamed
        .iter()
        .filter_map(|event| match event {
            AgentEvent::TextDelta { turn: 2, text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, SEED_ANSWER);
    let arguments: String = streamed
        .iter()
        .filter_map(|event| match event {
            AgentEvent::ToolCallDelta { turn: 1, delta } if delta.index == 1 => {
                Some(delta.arguments.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&arguments).unwrap(),
        json!({"city": "London"})
    );
    let position = |wanted: &dyn Fn(&AgentEvent) -> bool| streamed.iter().position(wanted).unwrap();
    let first_started = position(&|event| {
        matches!(
            event,
            AgentEvent::ToolCallStarted {
                turn: 1,
                index: 0,
                ..
            }
        )
    });
    let responded = position(&|event| matches!(event, AgentEvent::ModelResponded { turn: 1, .. }));
    assert!(first_started < responded, "{streamed:#?}");
    let finished = streamed
        .iter()
        .filter(|event| matches!(event, AgentEvent::ToolCallFinished { turn: 1, .. }))
        .count();
    assert_eq!(finished, 3);
    match streamed.last() {
        Some(AgentEvent::Finished(output)) => assert_eq!(output.text, SEED_ANSWER),
        other => panic!("{other:?}"),
    }
}

each_wire!(the_program_sees_every_event_as_it_happens);

#[tokio::test]
async fn a_run_stream_ends_with_the_run_error() {
    let server = MockServer::start().await;
    server.push(Reply::status_json(
        400,
        json!({"error": {"message": "bad"}}),
    ));
    let agent = Wire::OPENAI.agent(&server, weather_tools());
    let mut stream = agent.stream("hi");
    assert!(matches!(
        stream.next().await,
        Some(Ok(AgentEvent::TurnStarted { turn: 1 }))
    ));
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(model_error(error).message(), "bad");
    assert!(stream.next().await.is_none());
}

/// Sleeps 300 ms, then says its number.
#[tool]
async fn slow(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(300)).await;
    n
}

/// How long the first turn of a run of three 300 ms calls, streamed 100 ms apart, takes.
async fn first_turn_time(model: impl Model + 'static) -> Duration {
    let start = tokio::time::Instant::now();
    let second_turn: Arc<Mutex<Option<Duration>>> = Arc::default();
    let seen = second_turn.clone();
    let agent = Agent::new(model, tools![slow]).on_event(move |event| {
        if let AgentEvent::TurnStarted { turn: 2 } = event {
            *seen.lock().unwrap() = Some(start.elapsed());
        }
    });
    let output = agent.run("go").await.unwrap();
    assert_eq!(output.text, "done");
    second_turn.lock().unwrap().unwrap()
}

fn three_slow_calls() -> OfflineModel {
    let calls = (1..=3).map(|n| ToolCall::new(format!("c{n}"), "slow", json!({"n": n})));
    OfflineModel::scripted([
        AssistantMessage::calls(calls),
        AssistantMessage::text("done"),
    ])
    .pacing(Duration::from_millis(100))
}

#[tokio::test(start_paused = true)]
async fn each_call_starts_the_moment_its_arguments_are_complete() {
    // The calls arrive at 0, 100 and 200 ms, the message ends at 300 ms: started at once, the
    // last call ends at 500 ms; started after the message, at 600 ms.
    assert_eq!(
        first_turn_time(three_slow_calls()).await,
        Duration::from_millis(500)
    );
    assert_eq!(
        first_turn_time(WholeMessage(three_slow_calls())).await,
        Duration::from_millis(600)
    );
}

#[tokio::test]
async fn a_schema_set_too_large_for_strict_mode_is_sent_again_without_it() {
    let server = MockServer::start().await;
    let refusal = support::anthropic::error(
        "invalid_request_error",
        "The compiled grammar is too large, which would cause performance issues. Simplify \
         your tool schemas or reduce the number of strict tools.",
    );
    server.push(Reply::status_json(400, refusal));
    server.push(Reply::sse(
        Wire::ANTHROPIC.sse(&Wire::ANTHROPIC.text("Fine.", 1, 1), 5),
    ));
    server.push(Reply::sse(
        Wire::ANTHROPIC.sse(&Wire::ANTHROPIC.text("Again.", 1, 1), 5),
    ));
    let agent = Wire::ANTHROPIC.agent(&server, weather_tools());
    assert_eq!(agent.run("hi").await.unwrap().text, "Fine.");
    assert_eq!(agent.run("hi").await.unwrap().text, "Again.");
    let tools: Vec<Value> = server
        .requests()
        .into_iter()
        .map(|request| request.body["tools"].clone())
        .collect();
    assert_eq!(tools[0][0]["strict"], true);
    // Without `strict` from then on, for every run of this model.
    assert!(tools[1][0].get("strict").is_none());
    assert!(tools[2][0].get("strict").is_none());
}
