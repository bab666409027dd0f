//! The loop over HTTP against a real local server that speaks every wire protocol: the exact
//! requests the agent sends on each wire, multi-round chains, malformed calls, big fan-outs, the
//! turn limit, request options and transcripts that continue.
//!
//! Every request any test sends is checked against the tool-call protocol of its provider by the
//! mock server (`support::check_protocol`): a violation fails the test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use support::{
    ANTHROPIC_KEY, MockServer, OPENAI_KEY, PROMPT, Reply, SEED_ANSWER, Seen, Wire, anthropic,
    anthropic_weather_tools, each_wire, fast_retries, openai, openai_weather_tools, reply,
    responses, usage, weather_tools,
};
use tool_runtime::agent::{AgentEvent, RunFailure};
use tool_runtime::conversation::{AssistantMessage, RawMessage, ToolCall};
use tool_runtime::model::ToolChoice;
use tool_runtime::{Agent, Anthropic, Message, OpenAi, RunError, tool, tools};

/// Find a user's id by name.
#[tool]
fn find_user(
    /// The user's name.
    name: String,
) -> u64 {
    // Not something the mock server could guess: it must read the result from the request.
    name.bytes().map(u64::from).sum::<u64>() * 7919
}

/// List a user's orders.
#[tool]
async fn list_orders(
    /// The user's id, as `find_user` returned it.
    user_id: u64,
) -> Vec<String> {
    vec![format!("order-{user_id}-a"), format!("order-{user_id}-b")]
}

/// Records the agent's events as short lines.
fn event_log(agent: Agent) -> (Agent, Arc<Mutex<Vec<String>>>) {
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = log.clone();
    let agent = agent.on_event(move |event| {
        let line = match event {
            AgentEvent::TurnStarted { turn } => format!("turn {turn}"),
            AgentEvent::ModelResponded { turn, message, .. } => {
                format!("responded {turn} with {} calls", message.tool_calls.len())
            }
            AgentEvent::ToolCallStarted { call, .. } => format!("start {}", call.id),
            AgentEvent::ToolCallFinished { result, .. } => format!("finish {}", result.call_id),
            AgentEvent::Finished(output) => format!("final {}", output.text),
            // Streamed pieces: their order among the rest is the stream's.
            AgentEvent::TextDelta { .. } | AgentEvent::ToolCallDelta { .. } => return,
            _ => "other".to_owned(),
        };
        sink.lock().unwrap().push(line);
    });
    (agent, log)
}

fn assert_event_log(log: &[String], ids: &[&str]) {
    let ordered: Vec<&str> = log
        .iter()
        .map(String::as_str)
        .filter(|line| !line.starts_with("start ") && !line.starts_with("finish "))
        .collect();
    assert_eq!(
        ordered,
        [
            "turn 1",
            "responded 1 with 3 calls",
            "turn 2",
            "responded 2 with 0 calls",
            "final Tokyo and London are sunny at 22°C; 1 USD = 151.25 JPY."
        ]
    );
    for prefix in ["start ", "finish "] {
        let mut seen: Vec<&str> = log
            .iter()
            .filter_map(|line| line.strip_prefix(prefix))
            .collect();
        seen.sort_unstable();
        let mut want = ids.to_vec();
        want.sort_unstable();
        assert_eq!(seen, want, "{prefix}events");
    }
    // Every tool call of turn 1 starts and finishes before turn 2 starts.
    let turn2 = log.iter().position(|line| line == "turn 2").unwrap();
    assert_eq!(
        log[..turn2]
            .iter()
            .filter(|line| line.starts_with("finish "))
            .count(),
        3
    );
}

// ---------------------------------------------------------------------------------------------
// The seed case, byte for byte.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn seed_openai_exact_requests_and_output() {
    let server = MockServer::start().await;
    let ids = [
        "call_kz1qLLRsugXwWiQMeH9oFAep",
        "call_yNouGq1Kv6P5W9fhTng6acZi",
        "call_O7MqnuniDmyT6a0BS31GTunB",
    ];
    let mut round_one = openai::tool_calls(
        &[
            (ids[0], "get_weather", r#"{"city": "Tokyo"}"#),
            (ids[1], "get_weather", r#"{"city": "London"}"#),
            (
                ids[2],
                "get_exchange_rate",
                r#"{"from_currency": "USD", "to_currency": "JPY"}"#,
            ),
        ],
        259,
        78,
    );
    round_one["usage"]["prompt_tokens_details"]["cached_tokens"] = json!(128);
    server.push(Reply::json(round_one));
    server.push(Reply::json(openai::text(SEED_ANSWER, 377, 85)));

    let provider = OpenAi::new(OPENAI_KEY)
        .base_url(server.openai_url())
        .retry_policy(fast_retries(2));
    // Whole answers: the requests as the API reference shows them (`tests/streaming.rs` has the
    // same conversation streamed).
    let agent = Agent::new(provider, weather_tools()).streaming(false);
    let (agent, events) = event_log(agent);
    let output = agent.run(PROMPT).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/v1/chat/completions");
        assert_eq!(
            request.header_all("authorization"),
            [format!("Bearer {OPENAI_KEY}")]
        );
        assert_eq!(request.header_all("content-type"), ["application/json"]);
        assert_eq!(request.header("x-api-key"), None);
        assert_eq!(request.header("anthropic-version"), None);
    }
    assert_eq!(
        requests[0].body,
        json!({
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": PROMPT}],
            "tools": openai_weather_tools()
        })
    );
    assert_eq!(
        requests[1].body,
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "user", "content": PROMPT},
                {
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [
                        {
                            "id": ids[0],
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": "{\"city\": \"Tokyo\"}"}
                        },
                        {
                            "id": ids[1],
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": "{\"city\": \"London\"}"}
                        },
                        {
                            "id": ids[2],
                            "type": "function",
                            "function": {
                                "name": "get_exchange_rate",
                                "arguments": "{\"from_currency\": \"USD\", \"to_currency\": \"JPY\"}"
                            }
                        }
                    ]
                },
                {"role": "tool", "tool_call_id": ids[0], "content": "Sunny, 22°C in Tokyo"},
                {"role": "tool", "tool_call_id": ids[1], "content": "Sunny, 22°C in London"},
                {"role": "tool", "tool_call_id": ids[2], "content": "151.25"}
            ],
            "tools": openai_weather_tools()
        })
    );

    assert_eq!(output.text, SEED_ANSWER);
    assert_eq!(output.turns, 2);
    assert_eq!(output.usage, usage(259 + 377, 78 + 85, 128));
    assert_eq!(output.usage.total_tokens(), 259 + 377 + 78 + 85);
    let calls = vec![
        ToolCall::new(ids[0], "get_weather", r#"{"city": "Tokyo"}"#),
        ToolCall::new(ids[1], "get_weather", r#"{"city": "London"}"#),
        ToolCall::new(
            ids[2],
            "get_exchange_rate",
            r#"{"from_currency": "USD", "to_currency": "JPY"}"#,
        ),
    ];
    let expected = vec![
        Message::user(PROMPT),
        Message::Assistant(assistant(None, calls, None)),
        Message::ToolResults {
            results: vec![
                reply(ids[0], "get_weather", "Sunny, 22°C in Tokyo", false),
                reply(ids[1], "get_weather", "Sunny, 22°C in London", false),
                reply(ids[2], "get_exchange_rate", "151.25", false),
            ],
        },
        Message::Assistant(assistant(Some(SEED_ANSWER.to_owned()), Vec::new(), None)),
    ];
    assert_eq!(output.messages, expected);
    assert_transcript_round_trips(&output.messages);
    assert_event_log(&events.lock().unwrap(), &ids);
}

#[tokio::test]
async fn seed_anthropic_exact_requests_and_output() {
    let server = MockServer::start().await;
    let ids = [
        "toolu_0167cfEnoQaPviGdVXA95zcu",
        "toolu_01EEe2V5HD1Ac4rKiUR4HD2T",
        "toolu_01XFyAjstT3966qvRynZyVPo",
    ];
    let preamble = "I'll look up the weather in both cities and the exchange rate.";
    let mut round_one = anthropic::tool_calls(
        Some(preamble),
        &[
            (ids[0], "get_weather", json!({"city": "Tokyo"})),
            (ids[1], "get_weather", json!({"city": "London"})),
            (
                ids[2],
                "get_exchange_rate",
                json!({"from_currency": "USD", "to_currency": "JPY"}),
            ),
        ],
        423,
        202,
    );
    // Newer blocks carry fields this library does not know: they must be echoed back unchanged.
    round_one["content"][1]["caller"] = json!({"type": "direct"});
    round_one["usage"]["cache_read_input_tokens"] = json!(64);
    round_one["usage"]["cache_creation_input_tokens"] = json!(32);
    let assistant_content = round_one["content"].clone();
    server.push(Reply::json(round_one));
    server.push(Reply::json(anthropic::text(SEED_ANSWER, 771, 77)));

    let provider = Anthropic::new(ANTHROPIC_KEY)
        .base_url(server.anthropic_url())
        .retry_policy(fast_retries(2));
    // Whole answers: the requests as the API reference shows them (`tests/streaming.rs` has the
    // same conversation streamed).
    let agent = Agent::new(provider, weather_tools()).streaming(false);
    let (agent, events) = event_log(agent);
    let output = agent.run(PROMPT).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/v1/messages");
        assert_eq!(request.header_all("x-api-key"), [ANTHROPIC_KEY]);
        assert_eq!(request.header_all("anthropic-version"), ["2023-06-01"]);
        assert_eq!(request.header_all("content-type"), ["application/json"]);
        assert_eq!(request.header("authorization"), None);
    }
    let user = json!({"role": "user", "content": [{"type": "text", "text": PROMPT}]});
    assert_eq!(
        requests[0].body,
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 4096,
            "messages": [user],
            "tools": anthropic_weather_tools()
        })
    );
    assert_eq!(
        requests[1].body,
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 4096,
            "messages": [
                user,
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": preamble},
                        {
                            "type": "tool_use",
                            "id": ids[0],
                            "name": "get_weather",
                            "input": {"city": "Tokyo"},
                            "caller": {"type": "direct"}
                        },
                        {"type": "tool_use", "id": ids[1], "name": "get_weather", "input": {"city": "London"}},
                        {
                            "type": "tool_use",
                            "id": ids[2],
                            "name": "get_exchange_rate",
                            "input": {"from_currency": "USD", "to_currency": "JPY"}
                        }
                    ]
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": ids[0], "content": "Sunny, 22°C in Tokyo"},
                        {"type": "tool_result", "tool_use_id": ids[1], "content": "Sunny, 22°C in London"},
                        {"type": "tool_result", "tool_use_id": ids[2], "content": "151.25"}
                    ]
                }
            ],
            "tools": anthropic_weather_tools()
        })
    );

    assert_eq!(output.text, SEED_ANSWER);
    assert_eq!(output.turns, 2);
    assert_eq!(output.usage, {
        let mut expected = usage(423 + 771, 202 + 77, 64);
        expected.cache_creation_tokens = 32;
        expected
    });
    let calls = vec![
        ToolCall::new(ids[0], "get_weather", json!({"city": "Tokyo"})),
        ToolCall::new(ids[1], "get_weather", json!({"city": "London"})),
        ToolCall::new(
            ids[2],
            "get_exchange_rate",
            json!({"from_currency": "USD", "to_currency": "JPY"}),
        ),
    ];
    let expected = vec![
        Message::user(PROMPT),
        Message::Assistant(assistant(
            Some(preamble.to_owned()),
            calls,
            Some(anthropic_raw(assistant_content)),
        )),
        Message::ToolResults {
            results: vec![
                reply(ids[0], "get_weather", "Sunny, 22°C in Tokyo", false),
                reply(ids[1], "get_weather", "Sunny, 22°C in London", false),
                reply(ids[2], "get_exchange_rate", "151.25", false),
            ],
        },
        Message::Assistant(assistant(
            Some(SEED_ANSWER.to_owned()),
            Vec::new(),
            Some(anthropic_raw(
                json!([{"type": "text", "text": SEED_ANSWER}]),
            )),
        )),
    ];
    assert_eq!(output.messages, expected);
    assert_transcript_round_trips(&output.messages);
    assert_event_log(&events.lock().unwrap(), &ids);
}

/// An assistant message with every field given.
fn assistant(
    text: Option<String>,
    tool_calls: Vec<ToolCall>,
    raw: Option<RawMessage>,
) -> AssistantMessage {
    let mut message = AssistantMessage::calls(tool_calls);
    message.text = text;
    message.raw = raw;
    message
}

/// Anthropic's content, kept to be echoed back.
fn anthropic_raw(value: Value) -> RawMessage {
    RawMessage {
        format: "anthropic".to_owned(),
        value,
    }
}

fn assert_transcript_round_trips(messages: &[Message]) {
    let saved = serde_json::to_string(messages).unwrap();
    let loaded: Vec<Message> = serde_json::from_str(&saved).unwrap();
    assert_eq!(loaded, messages);
}

/// A saved transcript continues: the whole history goes back, then the new question.
async fn conversation_continues(wire: Wire) {
    let server = MockServer::start().await;
    let id = wire.id("weather1");
    server.push(Reply::json(wire.calls(
        &[(&id, "get_weather", json!({"city": "Oslo"}))],
        10,
        5,
    )));
    server.push(Reply::json(wire.text("Oslo is sunny.", 20, 5)));
    server.push(Reply::json(wire.text("You're welcome.", 30, 5)));
    let agent = wire.agent(&server, weather_tools());
    let first = agent.run("Weather in Oslo?").await.unwrap();
    let saved = serde_json::to_string(&first.messages).unwrap();

    let mut messages: Vec<Message> = serde_json::from_str(&saved).unwrap();
    messages.push(Message::user("Thanks!"));
    let second = agent.run_conversation(messages).await.unwrap();
    assert_eq!(second.text, "You're welcome.");
    assert_eq!(second.turns, 1);
    assert_eq!(second.messages.len(), 6);

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let last = requests[2].messages();
    // The third request repeats the second's conversation, then the model's answer and the
    // new question.
    assert_eq!(
        &last[..requests[1].messages().len()],
        requests[1].messages()
    );
    assert_eq!(last.len(), 5);
    assert_eq!(last[3], wire.answer_echoed("Oslo is sunny."));
    assert_eq!(last[4], wire.user_message("Thanks!"));
}

// ---------------------------------------------------------------------------------------------
// Chains, malformed calls, fan-out, the turn limit, request options.
// ---------------------------------------------------------------------------------------------

/// Round two's call uses the result of round one, which the server reads from the request.
async fn chain_uses_previous_results(wire: Wire) {
    let server = MockServer::start().await;
    let (find, list) = (wire.id("find"), wire.id("list"));
    let expected_id = find_user("Ada Lovelace".to_owned());

    server.push(Reply::json(wire.calls(
        &[(&find, "find_user", json!({"name": "Ada Lovelace"}))],
        50,
        10,
    )));
    let list_id = list.clone();
    let find_id = find.clone();
    server.push_fn(move |request| {
        let results = wire.results(request);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].id, find_id);
        let user_id: u64 = results[0].content.parse().unwrap();
        Reply::json(wire.calls(
            &[(&list_id, "list_orders", json!({"user_id": user_id}))],
            70,
            12,
        ))
    });
    server.push_fn(move |request| {
        let results = wire.results(request);
        let orders: Vec<String> = serde_json::from_str(&results[0].content).unwrap();
        Reply::json(wire.text(
            &format!("Ada has {} orders: {}.", orders.len(), orders.join(", ")),
            90,
            20,
        ))
    });

    let output = wire
        .agent(&server, tools![find_user, list_orders])
        .run("What did Ada Lovelace order?")
        .await
        .unwrap();

    assert_eq!(
        output.text,
        format!("Ada has 2 orders: order-{expected_id}-a, order-{expected_id}-b.")
    );
    assert_eq!(output.turns, 3);
    assert_eq!(output.usage, usage(50 + 70 + 90, 10 + 12 + 20, 0));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        wire.results(&requests[1]),
        [Seen {
            id: find.clone(),
            content: expected_id.to_string(),
            is_error: None
        }]
    );
    assert_eq!(
        wire.results(&requests[2]),
        [Seen {
            id: list.clone(),
            content: format!(r#"["order-{expected_id}-a","order-{expected_id}-b"]"#),
            is_error: None
        }]
    );
    // The transcript carries the call the server computed.
    let second_call = &output.messages[3].tool_calls()[0];
    assert_eq!(second_call.id, list);
    assert_eq!(
        second_call.arguments.to_value().unwrap(),
        json!({"user_id": expected_id})
    );
    // The third request holds the whole chain: user, call, result, call, result.
    let roles: Vec<&str> = requests[2]
        .messages()
        .iter()
        .map(|message| {
            message["role"]
                .as_str()
                .or(message["type"].as_str())
                .unwrap()
        })
        .collect();
    let (calls, results) = (wire.calls_kind, wire.results_kind);
    assert_eq!(roles, ["user", calls, results, calls, results]);
}

/// The seed conversation over the Responses API: the exact requests (flat strict tools,
/// stateless, each call and output paired by `call_id`), the output and the transcript.
#[tokio::test]
async fn seed_responses_exact_requests_and_output() {
    let server = MockServer::start().await;
    let ids = ["call_tokyo", "call_london", "call_rate"];
    let mut round_one = responses::tool_calls(
        &[
            (ids[0], "get_weather", r#"{"city": "Tokyo"}"#),
            (ids[1], "get_weather", r#"{"city": "London"}"#),
            (
                ids[2],
                "get_exchange_rate",
                r#"{"from_currency": "USD", "to_currency": "JPY"}"#,
            ),
        ],
        259,
        78,
    );
    round_one["usage"]["input_tokens_details"]["cached_tokens"] = json!(128);
    server.push(Reply::json(round_one.clone()));
    server.push(Reply::json(responses::text(SEED_ANSWER, 377, 85)));

    let provider = OpenAi::new(OPENAI_KEY)
        .base_url(server.openai_url())
        .retry_policy(fast_retries(2))
        .responses();
    let agent = Agent::new(provider, weather_tools()).streaming(false);
    let output = agent.run(PROMPT).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.path, "/v1/responses");
        assert_eq!(
            request.header_all("authorization"),
            [format!("Bearer {OPENAI_KEY}")]
        );
    }
    let tools: Vec<Value> = openai_weather_tools()
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| {
            let mut flat = json!({"type": "function"});
            for (key, value) in tool["function"].as_object().unwrap() {
                flat[key] = value.clone();
            }
            flat
        })
        .collect();
    assert_eq!(
        requests[0].body,
        json!({
            "model": "gpt-4o-mini",
            "input": [{"role": "user", "content": PROMPT}],
            "tools": tools,
            "store": false,
            "include": ["reasoning.encrypted_content"]
        })
    );
    // The calls go back as they came, without the ids a stateless server could not look up.
    let echoed: Vec<Value> = round_one["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let mut item = item.clone();
            item.as_object_mut().unwrap().remove("id");
            item
        })
        .collect();
    let mut input = vec![json!({"role": "user", "content": PROMPT})];
    input.extend(echoed);
    input.extend([
        json!({"type": "function_call_output", "call_id": ids[0], "output": "Sunny, 22°C in Tokyo"}),
        json!({"type": "function_call_output", "call_id": ids[1], "output": "Sunny, 22°C in London"}),
        json!({"type": "function_call_output", "call_id": ids[2], "output": "151.25"}),
    ]);
    assert_eq!(requests[1].body["input"], Value::Array(input));

    assert_eq!(output.text, SEED_ANSWER);
    assert_eq!(output.turns, 2);
    assert_eq!(output.usage, usage(259 + 377, 78 + 85, 128));
    let Message::Assistant(calls) = &output.messages[1] else {
        panic!("{:?}", output.messages);
    };
    let names: Vec<(&str, &str)> = calls
        .tool_calls
        .iter()
        .map(|call| (call.id.as_str(), call.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (ids[0], "get_weather"),
            (ids[1], "get_weather"),
            (ids[2], "get_exchange_rate")
        ]
    );
    assert_eq!(calls.raw.as_ref().unwrap().format, "openai_responses");
    assert_transcript_round_trips(&output.messages);
}

const UNKNOWN_TOOL: &str =
    "Unknown tool `get_wether`. Available tools: get_weather, get_exchange_rate.";

/// Calls the model got wrong, beside a good one: each is answered with what the model needs to
/// fix it, marked as an error where the wire marks errors, and every call's arguments go back as
/// the model sent them, malformed ones included.
async fn unknown_tool_and_malformed_arguments(wire: Wire) {
    let server = MockServer::start().await;
    // (call, tool, arguments as the model wrote them, the result it gets, whether an error)
    let mut cases = vec![
        (
            wire.id("unknown"),
            "get_wether",
            r#"{"city": "Paris"}"#,
            UNKNOWN_TOOL,
            true,
        ),
        (
            wire.id("wrong_type"),
            "get_weather",
            r#"{"city": 42}"#,
            "Invalid arguments for tool `get_weather`:\n\
             - `city`: invalid type: integer `42`, expected a string\n\
             Fix the arguments and call the tool again.",
            true,
        ),
        (
            wire.id("wrong_rate_type"),
            "get_exchange_rate",
            r#"{"from_currency": 1, "to_currency": "JPY"}"#,
            "Invalid arguments for tool `get_exchange_rate`:\n\
             - `from_currency`: invalid type: integer `1`, expected a string\n\
             Fix the arguments and call the tool again.",
            true,
        ),
        (
            wire.id("missing"),
            "get_exchange_rate",
            r#"{"from_currency": "USD"}"#,
            "Invalid arguments for tool `get_exchange_rate`:\n\
             - `to_currency`: missing required field\n\
             Fix the arguments and call the tool again.",
            true,
        ),
        (
            wire.id("not_object"),
            "get_weather",
            r#""Tokyo""#,
            "Invalid arguments for tool `get_weather`: expected a JSON object with the \
             tool's parameters, got a string.\n\
             Fix the arguments and call the tool again.",
            true,
        ),
        (
            wire.id("failed"),
            "get_exchange_rate",
            r#"{"from_currency": "EUR", "to_currency": "XYZ"}"#,
            "No rate for EUR to XYZ.",
            true,
        ),
        (
            wire.id("ok"),
            "get_weather",
            r#"{"city": "London"}"#,
            "Sunny, 22°C in London",
            false,
        ),
    ];
    // Text that is not JSON: only a wire that carries arguments as text can send it (Anthropic's
    // `input` is JSON).
    if wire.arguments_are_text() {
        cases.insert(
            0,
            (
                wire.id("bad_json"),
                "get_weather",
                r#"{"city": "Tok"#,
                "Invalid arguments for tool `get_weather`: the arguments are not valid JSON \
                 (EOF while parsing a string at line 1 column 13).\n\
                 Received: {\"city\": \"Tok\n\
                 Fix the arguments and call the tool again.",
                true,
            ),
        );
    }
    let calls: Vec<(&str, &str, &str)> = cases
        .iter()
        .map(|(id, tool, arguments, ..)| (id.as_str(), *tool, *arguments))
        .collect();
    server.push(Reply::json(wire.calls_text(&calls, 100, 40)));
    server.push(Reply::json(wire.text("Only London worked.", 200, 10)));

    let output = wire
        .agent(&server, weather_tools())
        .run(PROMPT)
        .await
        .unwrap();
    assert_eq!(output.text, "Only London worked.");
    assert_eq!(output.turns, 2);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let expected: Vec<Seen> = cases
        .iter()
        .map(|(id, _, _, result, is_error)| wire.seen(id, result, *is_error))
        .collect();
    assert_eq!(wire.results(&requests[1]), expected);
    // The arguments go back exactly as the model sent them.
    let sent: Vec<Value> = cases
        .iter()
        .map(|(_, _, arguments, ..)| {
            if wire.arguments_are_text() {
                json!(arguments)
            } else {
                serde_json::from_str(arguments).unwrap()
            }
        })
        .collect();
    assert_eq!(wire.echoed_arguments(&requests[1]), sent);
    let Message::ToolResults { results } = &output.messages[2] else {
        panic!("expected tool results, got {:?}", output.messages[2]);
    };
    let errors: Vec<bool> = results.iter().map(|result| result.is_error()).collect();
    let expected: Vec<bool> = cases.iter().map(|(.., is_error)| *is_error).collect();
    assert_eq!(errors, expected);
}

/// 50 calls in one response: 50 results, each id answered once, in call order.
async fn fifty_parallel_calls(wire: Wire) {
    let server = MockServer::start().await;
    let ids: Vec<String> = (0..50).map(|i| wire.id(format!("{i:02}"))).collect();
    let cities: Vec<String> = (0..50).map(|i| format!("City{i}")).collect();
    let calls: Vec<(&str, &str, Value)> = ids
        .iter()
        .zip(&cities)
        .map(|(id, city)| (id.as_str(), "get_weather", json!({"city": city})))
        .collect();
    server.push(Reply::json(wire.calls(&calls, 1000, 900)));
    server.push(Reply::json(wire.text("All sunny.", 3000, 10)));

    let output = wire
        .agent(&server, weather_tools())
        .run("Weather in 50 cities?")
        .await
        .unwrap();
    assert_eq!(output.text, "All sunny.");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let expected: Vec<Seen> = ids
        .iter()
        .zip(&cities)
        .map(|(id, city)| Seen {
            id: id.clone(),
            content: format!("Sunny, 22°C in {city}"),
            is_error: None,
        })
        .collect();
    assert_eq!(wire.results(&requests[1]), expected);
    let Message::ToolResults { results } = &output.messages[2] else {
        panic!("expected tool results");
    };
    let answered: Vec<&str> = results
        .iter()
        .map(|result| result.call_id.as_str())
        .collect();
    assert_eq!(answered, ids);
    assert_eq!(output.messages[1].tool_calls().len(), 50);
}

/// The server always asks for another call: the run stops at the limit with every call answered,
/// and the transcript it hands back can be continued.
async fn max_turns_reached(wire: Wire) {
    let server = MockServer::start().await;
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    server.fallback(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(wire.calls(
            &[(
                &wire.id(format!("turn{n}")),
                "get_weather",
                json!({"city": format!("C{n}")}),
            )],
            10,
            3,
        ))
    });
    let agent = wire.agent(&server, weather_tools()).max_turns(3);
    let error: RunError = agent.run("Loop forever").await.unwrap_err();

    assert!(error.is_max_turns());
    assert!(matches!(error.failure, RunFailure::MaxTurns { limit: 3 }));
    assert!(error.model_error().is_none());
    assert_eq!(error.turns, 3);
    assert_eq!(error.usage, usage(30, 9, 0));
    assert_eq!(server.request_count(), 3);
    assert!(
        error
            .to_string()
            .contains("the model did not answer within 3 turns"),
        "{error}"
    );

    // user, then (assistant call, results) three times: every call has its result.
    assert_eq!(error.messages.len(), 7);
    assert_eq!(error.messages[0], Message::user("Loop forever"));
    for turn in 1..=3 {
        let calls = error.messages[2 * turn - 1].tool_calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].id, wire.id(format!("turn{turn}")));
        let Message::ToolResults { results } = &error.messages[2 * turn] else {
            panic!("turn {turn} has no results: {:?}", error.messages);
        };
        assert_eq!(
            *results,
            [reply(
                &calls[0].id,
                "get_weather",
                &format!("Sunny, 22°C in C{turn}"),
                false
            )]
        );
    }

    // The transcript goes back as it is (the server checks the protocol of the request).
    server.push(Reply::json(wire.text("Stopping here.", 5, 5)));
    let mut messages = error.messages;
    messages.push(Message::user("Stop calling tools and answer."));
    let output = agent.run_conversation(messages).await.unwrap();
    assert_eq!(output.text, "Stopping here.");
    assert_eq!(server.request_count(), 4);
}

/// `.parallel_tool_calls(false)` on the wire.
async fn parallel_tool_calls_disabled(wire: Wire) {
    let server = MockServer::start().await;
    server.push(Reply::json(wire.text("ok", 1, 1)));
    server.push(Reply::json(wire.text("ok", 1, 1)));
    wire.agent(&server, weather_tools())
        .parallel_tool_calls(false)
        .run("hi")
        .await
        .unwrap();
    // Default: no field at all.
    wire.agent(&server, weather_tools())
        .run("hi")
        .await
        .unwrap();
    let requests = server.requests();
    // The wire's own fields say it, and nothing else does.
    let off = wire.parallel_calls_off();
    for field in ["parallel_tool_calls", "tool_choice"] {
        assert_eq!(requests[0].body.get(field), off.get(field), "{field}");
        assert_eq!(requests[1].body.get(field), None, "{field}");
    }
}

/// `ToolChoice::Required` applies to the first request only.
async fn required_tool_choice_applies_once(wire: Wire) {
    let server = MockServer::start().await;
    let id = wire.id("req1");
    server.push(Reply::json(wire.calls(
        &[(&id, "get_weather", json!({"city": "Rome"}))],
        1,
        1,
    )));
    server.push(Reply::json(wire.text("Rome is sunny.", 1, 1)));
    wire.agent(&server, weather_tools())
        .tool_choice(ToolChoice::Required)
        .run("Weather in Rome?")
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].body["tool_choice"], wire.required_tool_choice());
    assert_eq!(requests[1].body.get("tool_choice"), None);
}

/// A failure in a later turn hands back the conversation so far (every call answered), the usage
/// of the turns that succeeded and the turn count.
async fn failure_mid_run_keeps_the_transcript(wire: Wire) {
    let server = MockServer::start().await;
    let id = wire.id("mid1");
    server.push(Reply::json(wire.calls(
        &[(&id, "get_weather", json!({"city": "Lima"}))],
        40,
        8,
    )));
    server.push(Reply::status_json(
        400,
        wire.error("context_length_exceeded"),
    ));
    let error = wire
        .agent(&server, weather_tools())
        .run("Weather in Lima?")
        .await
        .unwrap_err();
    assert_eq!(error.turns, 2);
    assert_eq!(error.usage, usage(40, 8, 0));
    assert_eq!(error.model_error().unwrap().status(), Some(400));
    assert_eq!(
        error.model_error().unwrap().message(),
        "context_length_exceeded"
    );
    assert_eq!(error.messages.len(), 3);
    assert_eq!(error.messages[1].tool_calls()[0].id, id);
    assert_eq!(
        error.messages[2],
        Message::ToolResults {
            results: vec![reply(&id, "get_weather", "Sunny, 22°C in Lima", false)]
        }
    );
}

/// A base URL with a trailing slash reaches the same endpoint.
async fn base_url_with_trailing_slash(wire: Wire) {
    let server = MockServer::start().await;
    server.push(Reply::json(wire.text("ok", 1, 1)));
    let url = format!("{}/", wire.url(&server));
    Agent::new(wire.provider(url, fast_retries(0)), weather_tools())
        .run("hi")
        .await
        .unwrap();
    assert_eq!(server.requests()[0].path, wire.path);
}

/// 20 runs at once through one agent (one pooled client): each conversation gets its own answers.
async fn concurrent_runs_do_not_mix(wire: Wire) {
    let server = MockServer::start().await;
    server.fallback(move |request| {
        let results = wire.results(request);
        if results.is_empty() {
            let prompt = wire.user_text(&request.messages()[0]);
            let city = prompt.strip_prefix("Weather in ").unwrap();
            Reply::json(wire.calls(
                &[(&wire.id(city), "get_weather", json!({"city": city}))],
                1,
                1,
            ))
        } else {
            Reply::json(wire.text(&format!("{}: {}", results[0].id, results[0].content), 1, 1))
        }
    });
    let agent = wire.agent(&server, weather_tools());
    let runs = (0..20).map(|i| {
        let agent = agent.clone();
        tokio::spawn(async move { agent.run(format!("Weather in City{i}")).await })
    });
    let runs: Vec<_> = runs.collect();
    for (i, run) in runs.into_iter().enumerate() {
        let output = run.await.unwrap().unwrap();
        assert_eq!(
            output.text,
            format!("{}: Sunny, 22°C in City{i}", wire.id(format!("City{i}")))
        );
    }
    assert_eq!(server.request_count(), 40);
}

/// A transcript saved from one provider continues with the other (the server checks each
/// request's protocol).
#[tokio::test]
async fn transcripts_move_between_providers() {
    let server = MockServer::start().await;
    // Anthropic first, then OpenAI.
    server.push(Reply::json(anthropic::tool_calls(
        Some("Checking."),
        &[
            ("toolu_x1", "get_weather", json!({"city": "Tokyo"})),
            (
                "toolu_x2",
                "get_exchange_rate",
                json!({"from_currency": "USD", "to_currency": "JPY"}),
            ),
        ],
        1,
        1,
    )));
    server.push(Reply::json(anthropic::text("Sunny; 151.25.", 1, 1)));
    server.push(Reply::json(openai::text("Still sunny.", 1, 1)));
    let first = Wire::ANTHROPIC
        .agent(&server, weather_tools())
        .run(PROMPT)
        .await
        .unwrap();
    let mut messages = first.messages;
    messages.push(Message::user("And now?"));
    let second = Wire::OPENAI
        .agent(&server, weather_tools())
        .run_conversation(messages)
        .await
        .unwrap();
    let request = &server.requests()[2];
    assert_eq!(request.path, support::OPENAI_PATH);
    assert_eq!(
        request.messages()[1],
        json!({
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {"id": "toolu_x1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Tokyo\"}"}},
                {
                    "id": "toolu_x2",
                    "type": "function",
                    "function": {"name": "get_exchange_rate", "arguments": "{\"from_currency\":\"USD\",\"to_currency\":\"JPY\"}"}
                }
            ]
        })
    );
    assert_eq!(
        request.messages()[2],
        json!({"role": "tool", "tool_call_id": "toolu_x1", "content": "Sunny, 22°C in Tokyo"})
    );

    // OpenAI first (malformed arguments included), then Anthropic.
    let server = MockServer::start().await;
    server.push(Reply::json(openai::tool_calls(
        &[
            ("call_y1", "get_weather", r#"{"city": "Oslo"}"#),
            ("call_y2", "get_weather", r#"{"city": "Os"#),
        ],
        1,
        1,
    )));
    server.push(Reply::json(openai::text("Oslo is sunny.", 1, 1)));
    server.push(Reply::json(anthropic::text("Still sunny.", 1, 1)));
    let first = Wire::OPENAI
        .agent(&server, weather_tools())
        .run("Oslo?")
        .await
        .unwrap();
    let mut messages = first.messages;
    messages.push(Message::user("And now?"));
    Wire::ANTHROPIC
        .agent(&server, weather_tools())
        .run_conversation(messages)
        .await
        .unwrap();
    let request = &server.requests()[2];
    assert_eq!(request.path, support::ANTHROPIC_PATH);
    assert_eq!(
        request.messages()[1],
        json!({"role": "assistant", "content": [
            {"type": "tool_use", "id": "call_y1", "name": "get_weather", "input": {"city": "Oslo"}},
            {"type": "tool_use", "id": "call_y2", "name": "get_weather", "input": {}}
        ]})
    );
    assert_eq!(request.messages()[2]["content"][1]["is_error"], json!(true));
    assert_eq!(
        &request.messages()[3..],
        [
            json!({"role": "assistant", "content": [{"type": "text", "text": "Oslo is sunny."}]}),
            json!({"role": "user", "content": [{"type": "text", "text": "And now?"}]}),
        ]
    );
    assert_eq!(second.text, "Still sunny.");
}

each_wire!(
    unknown_tool_and_malformed_arguments,
    concurrent_runs_do_not_mix,
    failure_mid_run_keeps_the_transcript,
    base_url_with_trailing_slash,
    conversation_continues,
    chain_uses_previous_results,
    fifty_parallel_calls,
    max_turns_reached,
    parallel_tool_calls_disabled,
    required_tool_choice_applies_once,
);

// ---------------------------------------------------------------------------------------------
// The real APIs (ignored: they need keys and the internet).
// ---------------------------------------------------------------------------------------------

async fn real_api_smoke(agent: Agent) {
    let output = agent.max_turns(5).run(PROMPT).await.unwrap();
    assert!(!output.text.is_empty());
    assert!(output.turns >= 2, "the model called no tool: {output:?}");
    let calls: Vec<&ToolCall> = output
        .messages
        .iter()
        .flat_map(|message| message.tool_calls())
        .collect();
    assert!(
        calls.iter().any(|call| call.name == "get_weather"),
        "{calls:?}"
    );
    assert!(output.usage.total_tokens() > 0);
    println!(
        "{} turns, {:?}: {}",
        output.turns, output.usage, output.text
    );
}

#[tokio::test]
#[ignore = "calls the real OpenAI API: needs OPENAI_API_KEY and the internet"]
async fn real_openai_smoke() {
    let Ok(openai) = OpenAi::from_env() else {
        eprintln!("OPENAI_API_KEY is not set: skipped");
        return;
    };
    real_api_smoke(Agent::new(openai, weather_tools())).await;
}

#[tokio::test]
#[ignore = "calls the real Anthropic API: needs ANTHROPIC_API_KEY and the internet"]
async fn real_anthropic_smoke() {
    let Ok(anthropic) = Anthropic::from_env() else {
        eprintln!("ANTHROPIC_API_KEY is not set: skipped");
        return;
    };
    real_api_smoke(Agent::new(anthropic, weather_tools())).await;
}
