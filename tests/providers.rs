//! End to end against a real local HTTP server that speaks both wire protocols: the exact
//! requests the agent sends to OpenAI and Anthropic, multi-round chains, malformed calls, big
//! fan-outs, the turn limit, faults and retries as the server sees them, the secrecy of API keys,
//! and the recorded real traffic in `tests/fixtures/`.
//!
//! Every request any test sends is checked against the tool-call protocol of its provider by the
//! mock server (`common::check_protocol`): a violation fails the test.

mod common;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{MockServer, Recorded, Reply, anthropic, get_exchange_rate, get_weather, openai};
use serde_json::{Value, json};
use tool_runtime::{
    Agent, AgentEvent, Anthropic, AssistantMessage, ChatRequest, ErrorKind, Message, OpenAi,
    Provider, RawMessage, RetryPolicy, RunError, StopReason, ToolCall, ToolChoice, ToolReply,
    Toolbox, Usage, tool, tools,
};

const OPENAI_KEY: &str = "sk-proj-TESTKEY-openai-5ecret-0123456789abcdef";
const ANTHROPIC_KEY: &str = "sk-ant-api03-TESTKEY-anthropic-5ecret-0123456789abcdef";
const PROMPT: &str = "What's the weather in Tokyo and London, and what's the USD to JPY rate?";

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

fn weather_tools() -> Toolbox {
    tools![get_weather, get_exchange_rate]
}

/// Retries fast enough for tests: waits of 10–20 ms, then 20–40 ms, … up to 200 ms.
fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base: Duration::from_millis(20),
        max: Duration::from_millis(200),
    }
}

/// The lower bound of the `retry`-th computed wait of [`fast_retries`] (jitter keeps at least half).
fn min_wait(retry: u32) -> Duration {
    (Duration::from_millis(20) * 2u32.pow(retry)).min(Duration::from_millis(200)) / 2
}

/// One of the two wire protocols, so that each behaviour is tested once for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    OpenAi,
    Anthropic,
}

/// A tool result as it appears in a request.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    id: String,
    content: String,
    /// Anthropic's `is_error` (absent: `None`; OpenAI has no such field).
    is_error: Option<bool>,
}

impl Wire {
    fn url(self, server: &MockServer) -> String {
        match self {
            Wire::OpenAi => server.openai_url(),
            Wire::Anthropic => server.anthropic_url(),
        }
    }

    fn path(self) -> &'static str {
        match self {
            Wire::OpenAi => common::OPENAI_PATH,
            Wire::Anthropic => common::ANTHROPIC_PATH,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Wire::OpenAi => OPENAI_KEY,
            Wire::Anthropic => ANTHROPIC_KEY,
        }
    }

    /// The provider at `url` with this retry policy and a 10 s request timeout.
    fn provider(self, url: String, retry: RetryPolicy) -> Box<dyn Provider> {
        self.provider_with_timeout(url, retry, Duration::from_secs(10))
    }

    fn provider_with_timeout(
        self,
        url: String,
        retry: RetryPolicy,
        timeout: Duration,
    ) -> Box<dyn Provider> {
        match self {
            Wire::OpenAi => Box::new(
                OpenAi::new(OPENAI_KEY)
                    .base_url(url)
                    .retry_policy(retry)
                    .timeout(timeout),
            ),
            Wire::Anthropic => Box::new(
                Anthropic::new(ANTHROPIC_KEY)
                    .base_url(url)
                    .retry_policy(retry)
                    .timeout(timeout),
            ),
        }
    }

    fn agent(self, server: &MockServer, toolbox: Toolbox) -> Agent {
        Agent::new(self.provider(self.url(server), fast_retries(2)), toolbox)
    }

    fn agent_with_retries(self, server: &MockServer, retries: u32) -> Agent {
        Agent::new(
            self.provider(self.url(server), fast_retries(retries)),
            weather_tools(),
        )
    }

    /// A call id in the provider's style.
    fn id(self, n: impl std::fmt::Display) -> String {
        match self {
            Wire::OpenAi => format!("call_{n}"),
            Wire::Anthropic => format!("toolu_{n}"),
        }
    }

    /// A response asking for these calls (OpenAI gets the arguments as JSON text).
    fn calls(self, calls: &[(&str, &str, Value)], input: u64, output: u64) -> Value {
        match self {
            Wire::OpenAi => openai::tool_call_values(
                calls
                    .iter()
                    .map(|(id, name, args)| openai::call(id, name, &args.to_string()))
                    .collect(),
                input,
                output,
            ),
            Wire::Anthropic => anthropic::tool_calls(None, calls, input, output),
        }
    }

    fn text(self, text: &str, input: u64, output: u64) -> Value {
        match self {
            Wire::OpenAi => openai::text(text, input, output),
            Wire::Anthropic => anthropic::text(text, input, output),
        }
    }

    /// An error body in the provider's own shape.
    fn error(self, message: &str) -> Value {
        match self {
            Wire::OpenAi => openai::error(message, "server_error"),
            Wire::Anthropic => anthropic::error("api_error", message),
        }
    }

    /// The tool results at the end of a request's conversation.
    fn results(self, request: &Recorded) -> Vec<Seen> {
        let messages = request.messages();
        match self {
            Wire::OpenAi => {
                let tail = messages
                    .iter()
                    .rev()
                    .take_while(|message| message["role"] == "tool")
                    .count();
                messages[messages.len() - tail..]
                    .iter()
                    .map(|message| Seen {
                        id: message["tool_call_id"].as_str().unwrap().to_owned(),
                        content: message["content"].as_str().unwrap().to_owned(),
                        is_error: None,
                    })
                    .collect()
            }
            Wire::Anthropic => {
                let last = messages.last().unwrap();
                assert_eq!(last["role"], "user");
                last["content"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|block| block["type"] == "tool_result")
                    .map(|block| Seen {
                        id: block["tool_use_id"].as_str().unwrap().to_owned(),
                        content: block["content"].as_str().unwrap().to_owned(),
                        is_error: block.get("is_error").map(|flag| flag.as_bool().unwrap()),
                    })
                    .collect()
            }
        }
    }
}

/// Runs an `async fn(Wire)` test once per provider: `name::openai` and `name::anthropic`.
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn openai() {
                super::$name(super::Wire::OpenAi).await
            }

            #[tokio::test]
            async fn anthropic() {
                super::$name(super::Wire::Anthropic).await
            }
        }
    )*};
}

fn usage(input_tokens: u64, output_tokens: u64, cache_read_tokens: u64) -> Usage {
    Usage {
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_creation_tokens: 0,
    }
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
            AgentEvent::ToolCallStarted { call } => format!("start {}", call.id),
            AgentEvent::ToolCallFinished { call, .. } => format!("finish {}", call.id),
            AgentEvent::FinalText { text } => format!("final {text}"),
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

const FINAL: &str = "Tokyo and London are sunny at 22°C; 1 USD = 151.25 JPY.";

// ---------------------------------------------------------------------------------------------
// The seed case, byte for byte.
// ---------------------------------------------------------------------------------------------

fn openai_tools_json() -> Value {
    json!([
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the current weather for a city.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "City name, e.g. \"Tokyo\"."}
                    },
                    "required": ["city"],
                    "additionalProperties": false
                },
                "strict": true
            }
        },
        {
            "type": "function",
            "function": {
                "name": "get_exchange_rate",
                "description": "Get the exchange rate between two currencies.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "from_currency": {
                            "type": "string",
                            "description": "ISO 4217 code of the currency to convert from, e.g. \"USD\"."
                        },
                        "to_currency": {
                            "type": "string",
                            "description": "ISO 4217 code of the currency to convert to, e.g. \"JPY\"."
                        }
                    },
                    "required": ["from_currency", "to_currency"],
                    "additionalProperties": false
                },
                "strict": true
            }
        }
    ])
}

fn anthropic_tools_json() -> Value {
    json!([
        {
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "input_schema": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name, e.g. \"Tokyo\"."}
                },
                "required": ["city"],
                "additionalProperties": false
            }
        },
        {
            "name": "get_exchange_rate",
            "description": "Get the exchange rate between two currencies.",
            "input_schema": {
                "type": "object",
                "properties": {
                    "from_currency": {
                        "type": "string",
                        "description": "ISO 4217 code of the currency to convert from, e.g. \"USD\"."
                    },
                    "to_currency": {
                        "type": "string",
                        "description": "ISO 4217 code of the currency to convert to, e.g. \"JPY\"."
                    }
                },
                "required": ["from_currency", "to_currency"],
                "additionalProperties": false
            }
        }
    ])
}

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
    server.push(Reply::json(openai::text(FINAL, 377, 85)));

    let provider = OpenAi::new(OPENAI_KEY)
        .base_url(server.openai_url())
        .retry_policy(fast_retries(2));
    let (agent, events) = event_log(Agent::new(provider, weather_tools()));
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
            "tools": openai_tools_json()
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
            "tools": openai_tools_json()
        })
    );

    assert_eq!(output.text, FINAL);
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
        Message::Assistant(AssistantMessage {
            text: None,
            tool_calls: calls,
            raw: None,
        }),
        Message::ToolResults {
            results: vec![
                reply(ids[0], "get_weather", "Sunny, 22°C in Tokyo", false),
                reply(ids[1], "get_weather", "Sunny, 22°C in London", false),
                reply(ids[2], "get_exchange_rate", "151.25", false),
            ],
        },
        Message::Assistant(AssistantMessage {
            text: Some(FINAL.to_owned()),
            tool_calls: Vec::new(),
            raw: None,
        }),
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
    server.push(Reply::json(anthropic::text(FINAL, 771, 77)));

    let provider = Anthropic::new(ANTHROPIC_KEY)
        .base_url(server.anthropic_url())
        .retry_policy(fast_retries(2));
    let (agent, events) = event_log(Agent::new(provider, weather_tools()));
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
            "tools": anthropic_tools_json()
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
            "tools": anthropic_tools_json()
        })
    );

    assert_eq!(output.text, FINAL);
    assert_eq!(output.turns, 2);
    assert_eq!(
        output.usage,
        Usage {
            input_tokens: 423 + 771,
            output_tokens: 202 + 77,
            cache_read_tokens: 64,
            cache_creation_tokens: 32,
        }
    );
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
        Message::Assistant(AssistantMessage {
            text: Some(preamble.to_owned()),
            tool_calls: calls,
            raw: Some(RawMessage {
                format: "anthropic".to_owned(),
                value: assistant_content,
            }),
        }),
        Message::ToolResults {
            results: vec![
                reply(ids[0], "get_weather", "Sunny, 22°C in Tokyo", false),
                reply(ids[1], "get_weather", "Sunny, 22°C in London", false),
                reply(ids[2], "get_exchange_rate", "151.25", false),
            ],
        },
        Message::Assistant(AssistantMessage {
            text: Some(FINAL.to_owned()),
            tool_calls: Vec::new(),
            raw: Some(RawMessage {
                format: "anthropic".to_owned(),
                value: json!([{"type": "text", "text": FINAL}]),
            }),
        }),
    ];
    assert_eq!(output.messages, expected);
    assert_transcript_round_trips(&output.messages);
    assert_event_log(&events.lock().unwrap(), &ids);
}

fn reply(call_id: &str, name: &str, content: &str, is_error: bool) -> ToolReply {
    ToolReply {
        call_id: call_id.to_owned(),
        name: name.to_owned(),
        content: content.to_owned(),
        is_error,
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
    match wire {
        Wire::OpenAi => {
            assert_eq!(last.len(), 5);
            assert_eq!(
                last[3],
                json!({"role": "assistant", "content": "Oslo is sunny."})
            );
            assert_eq!(last[4], json!({"role": "user", "content": "Thanks!"}));
        }
        Wire::Anthropic => {
            assert_eq!(last.len(), 5);
            assert_eq!(
                last[3],
                json!({"role": "assistant", "content": [{"type": "text", "text": "Oslo is sunny."}]})
            );
            assert_eq!(
                last[4],
                json!({"role": "user", "content": [{"type": "text", "text": "Thanks!"}]})
            );
        }
    }
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
        .map(|message| message["role"].as_str().unwrap())
        .collect();
    match wire {
        Wire::OpenAi => assert_eq!(roles, ["user", "assistant", "tool", "assistant", "tool"]),
        Wire::Anthropic => assert_eq!(roles, ["user", "assistant", "user", "assistant", "user"]),
    }
}

const UNKNOWN_TOOL: &str =
    "Unknown tool `get_wether`. Available tools: get_weather, get_exchange_rate.";

#[tokio::test]
async fn unknown_tool_and_malformed_arguments_openai() {
    let server = MockServer::start().await;
    server.push(Reply::json(openai::tool_calls(
        &[
            ("call_bad_json", "get_weather", r#"{"city": "Tok"#),
            ("call_unknown", "get_wether", r#"{"city": "Paris"}"#),
            (
                "call_wrong_type",
                "get_exchange_rate",
                r#"{"from_currency": 1, "to_currency": "JPY"}"#,
            ),
            (
                "call_failed",
                "get_exchange_rate",
                r#"{"from_currency": "EUR", "to_currency": "XYZ"}"#,
            ),
            ("call_ok", "get_weather", r#"{"city": "London"}"#),
        ],
        100,
        40,
    )));
    server.push(Reply::json(openai::text("Only London worked.", 200, 10)));

    let output = Wire::OpenAi
        .agent(&server, weather_tools())
        .run(PROMPT)
        .await
        .unwrap();
    assert_eq!(output.text, "Only London worked.");
    assert_eq!(output.turns, 2);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let results = Wire::OpenAi.results(&requests[1]);
    let contents: Vec<(&str, &str)> = results
        .iter()
        .map(|seen| (seen.id.as_str(), seen.content.as_str()))
        .collect();
    assert_eq!(
        contents,
        [
            (
                "call_bad_json",
                "Invalid arguments for tool `get_weather`: the arguments are not valid JSON \
                 (EOF while parsing a string at line 1 column 13).\n\
                 Received: {\"city\": \"Tok\n\
                 Fix the arguments and call the tool again."
            ),
            ("call_unknown", UNKNOWN_TOOL),
            (
                "call_wrong_type",
                "Invalid arguments for tool `get_exchange_rate`:\n\
                 - `from_currency`: invalid type: integer `1`, expected a string\n\
                 Fix the arguments and call the tool again."
            ),
            ("call_failed", "No rate for EUR to XYZ."),
            ("call_ok", "Sunny, 22°C in London"),
        ]
    );
    // The malformed arguments go back exactly as the model sent them.
    assert_eq!(
        requests[1].messages()[1]["tool_calls"][0]["function"]["arguments"],
        r#"{"city": "Tok"#
    );
    let Message::ToolResults { results } = &output.messages[2] else {
        panic!("expected tool results, got {:?}", output.messages[2]);
    };
    let errors: Vec<bool> = results.iter().map(|result| result.is_error).collect();
    assert_eq!(errors, [true, true, true, true, false]);
}

#[tokio::test]
async fn unknown_tool_and_malformed_arguments_anthropic() {
    let server = MockServer::start().await;
    server.push(Reply::json(anthropic::tool_calls(
        Some("Let me check."),
        &[
            ("toolu_wrong_type", "get_weather", json!({"city": 42})),
            ("toolu_unknown", "get_wether", json!({"city": "Paris"})),
            (
                "toolu_missing",
                "get_exchange_rate",
                json!({"from_currency": "USD"}),
            ),
            ("toolu_not_object", "get_weather", json!("Tokyo")),
            (
                "toolu_failed",
                "get_exchange_rate",
                json!({"from_currency": "EUR", "to_currency": "XYZ"}),
            ),
            ("toolu_ok", "get_weather", json!({"city": "London"})),
        ],
        100,
        40,
    )));
    server.push(Reply::json(anthropic::text("Only London worked.", 200, 10)));

    let output = Wire::Anthropic
        .agent(&server, weather_tools())
        .run(PROMPT)
        .await
        .unwrap();
    assert_eq!(output.text, "Only London worked.");
    assert_eq!(output.turns, 2);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let seen = |id: &str, content: &str, is_error: Option<bool>| Seen {
        id: id.to_owned(),
        content: content.to_owned(),
        is_error,
    };
    assert_eq!(
        Wire::Anthropic.results(&requests[1]),
        [
            seen(
                "toolu_wrong_type",
                "Invalid arguments for tool `get_weather`:\n\
                 - `city`: invalid type: integer `42`, expected a string\n\
                 Fix the arguments and call the tool again.",
                Some(true)
            ),
            seen("toolu_unknown", UNKNOWN_TOOL, Some(true)),
            seen(
                "toolu_missing",
                "Invalid arguments for tool `get_exchange_rate`:\n\
                 - `to_currency`: missing required field\n\
                 Fix the arguments and call the tool again.",
                Some(true)
            ),
            seen(
                "toolu_not_object",
                "Invalid arguments for tool `get_weather`: expected a JSON object with the \
                 tool's parameters, got a string.\n\
                 Fix the arguments and call the tool again.",
                Some(true)
            ),
            seen("toolu_failed", "No rate for EUR to XYZ.", Some(true)),
            seen("toolu_ok", "Sunny, 22°C in London", None),
        ]
    );
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

    assert!(error.error.is_max_turns());
    assert_eq!(error.error.kind(), ErrorKind::MaxTurns);
    assert_eq!(error.error.status(), None);
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
    match wire {
        Wire::OpenAi => {
            assert_eq!(requests[0].body["parallel_tool_calls"], json!(false));
            assert_eq!(requests[0].body.get("tool_choice"), None);
            assert_eq!(requests[1].body.get("parallel_tool_calls"), None);
        }
        Wire::Anthropic => {
            assert_eq!(
                requests[0].body["tool_choice"],
                json!({"type": "auto", "disable_parallel_tool_use": true})
            );
            assert_eq!(requests[1].body.get("tool_choice"), None);
        }
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
    let first_choice = match wire {
        Wire::OpenAi => json!("required"),
        Wire::Anthropic => json!({"type": "any"}),
    };
    assert_eq!(requests[0].body["tool_choice"], first_choice);
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
    assert_eq!(error.error.status(), Some(400));
    assert_eq!(error.error.message(), "context_length_exceeded");
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
    assert_eq!(server.requests()[0].path, wire.path());
}

/// 20 runs at once through one agent (one pooled client): each conversation gets its own answers.
async fn concurrent_runs_do_not_mix(wire: Wire) {
    let server = MockServer::start().await;
    server.fallback(move |request| {
        let results = wire.results(request);
        if results.is_empty() {
            let first = &request.messages()[0];
            let prompt = first["content"]
                .as_str()
                .or_else(|| first["content"][0]["text"].as_str())
                .unwrap();
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
    let first = Wire::Anthropic
        .agent(&server, weather_tools())
        .run(PROMPT)
        .await
        .unwrap();
    let mut messages = first.messages;
    messages.push(Message::user("And now?"));
    let second = Wire::OpenAi
        .agent(&server, weather_tools())
        .run_conversation(messages)
        .await
        .unwrap();
    let request = &server.requests()[2];
    assert_eq!(request.path, common::OPENAI_PATH);
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
    let first = Wire::OpenAi
        .agent(&server, weather_tools())
        .run("Oslo?")
        .await
        .unwrap();
    let mut messages = first.messages;
    messages.push(Message::user("And now?"));
    Wire::Anthropic
        .agent(&server, weather_tools())
        .run_conversation(messages)
        .await
        .unwrap();
    let request = &server.requests()[2];
    assert_eq!(request.path, common::ANTHROPIC_PATH);
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

both!(
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
// Faults and retries, as the server sees them.
// ---------------------------------------------------------------------------------------------

/// 429, 500, 502, 503, 504 and 529 are retried after a backoff, then the run succeeds.
async fn retryable_statuses_are_retried(wire: Wire) {
    for status in [429, 500, 502, 503, 504, 529] {
        let server = MockServer::start().await;
        server.push(Reply::status_json(status, wire.error("try again")));
        server.push(Reply::json(wire.text("ok", 1, 1)));
        let output = wire
            .agent_with_retries(&server, 2)
            .run("hi")
            .await
            .unwrap_or_else(|error| panic!("{status}: {error}"));
        assert_eq!(output.text, "ok");
        assert_eq!(output.turns, 1);
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "{status}");
        assert_eq!(requests[0].body, requests[1].body, "{status}: same request");
        let gap = common::gaps(&requests)[0];
        assert!(gap >= min_wait(0), "{status}: retried after {gap:?}");
    }
}

/// After `max_retries` the error carries the status, the provider's message and the raw body, and
/// the server saw growing waits between the attempts.
async fn retries_exhausted(wire: Wire) {
    let server = MockServer::start().await;
    let (status, body) = match wire {
        Wire::OpenAi => (
            503,
            openai::error("The server is overloaded or not ready yet.", "server_error"),
        ),
        Wire::Anthropic => (529, anthropic::error("overloaded_error", "Overloaded")),
    };
    let message = body["error"]["message"].as_str().unwrap().to_owned();
    server.fallback(move |_| Reply::status_json(status, body.clone()));

    let error = wire
        .agent_with_retries(&server, 3)
        .run("hi")
        .await
        .unwrap_err();
    assert_eq!(error.turns, 1);
    assert_eq!(error.messages, [Message::user("hi")]);
    assert_eq!(error.usage, Usage::default());
    let error = error.error;
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.status(), Some(status));
    assert_eq!(error.message(), message);
    assert_eq!(error.attempts(), 4);
    assert_eq!(
        error.provider(),
        match wire {
            Wire::OpenAi => "openai",
            Wire::Anthropic => "anthropic",
        }
    );
    let raw: Value = serde_json::from_str(error.raw_body().unwrap()).unwrap();
    assert_eq!(raw["error"]["message"], message);
    assert_eq!(
        error.to_string(),
        format!(
            "{}: HTTP {status}: {message} (after 4 attempts)",
            error.provider()
        )
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for (retry, gap) in common::gaps(&requests).into_iter().enumerate() {
        assert!(
            gap >= min_wait(retry as u32),
            "wait {retry} was {gap:?}, below {:?}",
            min_wait(retry as u32)
        );
    }
}

/// `retry-after: 1` makes the client wait a whole second, however short its own backoff.
async fn retry_after_seconds(wire: Wire) {
    let server = MockServer::start().await;
    server
        .push(Reply::status_json(429, wire.error("Rate limit reached")).header("retry-after", "1"));
    server.push(Reply::json(wire.text("ok", 1, 1)));
    let output = wire.agent_with_retries(&server, 2).run("hi").await.unwrap();
    assert_eq!(output.text, "ok");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let gap = common::gaps(&requests)[0];
    assert!(gap >= Duration::from_millis(990), "waited {gap:?}");
    assert!(gap < Duration::from_secs(5), "waited {gap:?}");
}

/// `retry-after-ms` wins over `retry-after`, and may exceed the policy's own maximum.
async fn retry_after_ms(wire: Wire) {
    let server = MockServer::start().await;
    server.push(
        Reply::status_json(503, wire.error("busy"))
            .header("retry-after-ms", "350")
            .header("retry-after", "30"),
    );
    server.push(Reply::json(wire.text("ok", 1, 1)));
    wire.agent_with_retries(&server, 2).run("hi").await.unwrap();
    let gap = common::gaps(&server.requests())[0];
    assert!(gap >= Duration::from_millis(345), "waited {gap:?}");
    assert!(gap < Duration::from_secs(5), "waited {gap:?}");
}

/// Client errors are not retried: one request, the status and the provider's message.
async fn client_errors_are_not_retried(wire: Wire) {
    for status in [400, 401, 403, 404, 413, 422] {
        let server = MockServer::start().await;
        let message =
            format!("mock {status}: messages.1: `tool_use` ids were found without results");
        let body = match wire {
            Wire::OpenAi => openai::error(&message, "invalid_request_error"),
            Wire::Anthropic => anthropic::error("invalid_request_error", &message),
        };
        server.push(Reply::status_json(status, body.clone()));
        // A retry would succeed: it must not happen.
        server.fallback(move |_| Reply::json(wire.text("should not be asked", 1, 1)));
        let error = wire
            .agent_with_retries(&server, 3)
            .run("hi")
            .await
            .unwrap_err()
            .error;
        assert_eq!(server.request_count(), 1, "{status} was retried");
        assert_eq!(error.kind(), ErrorKind::Status);
        assert_eq!(error.status(), Some(status));
        assert_eq!(error.message(), message);
        assert_eq!(error.attempts(), 1);
        assert_eq!(error.raw_body(), Some(body.to_string().as_str()));
        assert!(!error.to_string().contains("attempts"), "{error}");
    }
}

/// An error status whose body is not the provider's JSON (a proxy's HTML page).
async fn error_status_with_html_body(wire: Wire) {
    let server = MockServer::start().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    server.fallback(move |_| Reply::raw(502, html).header("content-type", "text/html"));
    let error = wire
        .agent_with_retries(&server, 1)
        .run("hi")
        .await
        .unwrap_err()
        .error;
    assert_eq!(server.request_count(), 2);
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.status(), Some(502));
    assert_eq!(error.message(), "Bad Gateway");
    assert_eq!(error.raw_body(), Some(html));
}

/// 200 with a body that is not JSON, JSON cut short, or JSON of the wrong shape: a `Decode`
/// error that keeps the raw text, never a panic, never a retry.
async fn malformed_bodies_are_decode_errors(wire: Wire) {
    let complete = wire.text("hello there", 1, 1).to_string();
    let truncated = complete[..complete.len() / 2].to_owned();
    let wrong_shape = match wire {
        Wire::OpenAi => json!({"choices": "none"}).to_string(),
        Wire::Anthropic => json!({"content": {"type": "text"}}).to_string(),
    };
    let cases = [
        ("<html>not json</html>".to_owned(), "text/html"),
        (truncated, "application/json"),
        (String::new(), "application/json"),
        (wrong_shape, "application/json"),
        (
            json!({"type": "error", "error": {"message": "200 but an error"}}).to_string(),
            "application/json",
        ),
    ];
    for (body, content_type) in cases {
        let server = MockServer::start().await;
        let sent = body.clone();
        server.push(Reply::raw(200, sent).header("content-type", content_type));
        server.fallback(move |_| Reply::json(wire.text("should not be asked", 1, 1)));
        let run = wire.agent_with_retries(&server, 2).run("hi").await;
        let error = run.unwrap_err().error;
        assert_eq!(server.request_count(), 1, "{body:?} was retried");
        assert_eq!(error.kind(), ErrorKind::Decode, "{body:?}: {error}");
        assert_eq!(error.attempts(), 1);
        let raw = error
            .raw_body()
            .unwrap_or_else(|| panic!("{body:?}: no raw body"));
        if serde_json::from_str::<Value>(&body).is_ok() {
            // Parsed but of the wrong shape: the raw body is the JSON, re-serialized.
            assert_eq!(
                serde_json::from_str::<Value>(raw).unwrap(),
                serde_json::from_str::<Value>(&body).unwrap()
            );
        } else {
            assert_eq!(raw, body);
        }
    }
}

/// Bodies that are not UTF-8 at all, with a success and an error status: errors, never panics.
async fn binary_bodies(wire: Wire) {
    let garbage: &[u8] = &[0xff, 0xfe, 0x00, b'{', 0xc3, 0x28, b'}', 0x80];
    let server = MockServer::start().await;
    server.push(Reply::raw(200, garbage).header("content-type", "application/octet-stream"));
    server.push(Reply::raw(400, garbage));
    let agent = wire.agent_with_retries(&server, 0);
    let decode = agent.run("hi").await.unwrap_err().error;
    assert_eq!(decode.kind(), ErrorKind::Decode, "{decode}");
    assert_eq!(
        decode.raw_body(),
        Some(String::from_utf8_lossy(garbage).as_ref())
    );
    let status = agent.run("hi").await.unwrap_err().error;
    assert_eq!(status.kind(), ErrorKind::Status);
    assert_eq!(status.status(), Some(400));
    assert_eq!(status.message(), "Bad Request");
    assert_eq!(server.request_count(), 2);
}

/// A body shorter than its `content-length` (the connection drops mid-body): a `Decode` error,
/// not a panic.
async fn body_cut_by_the_connection(wire: Wire) {
    let server = MockServer::start_raw().await;
    let partial = r#"{"id":"chatcmpl-1","choices":[{"index":0,"mess"#;
    server.push(Reply::Bytes(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{partial}"
        )
        .into_bytes(),
    ));
    let error = wire
        .agent_with_retries(&server, 0)
        .run("hi")
        .await
        .unwrap_err()
        .error;
    assert_eq!(server.request_count(), 1);
    assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
    assert_eq!(error.status(), Some(200));
    assert!(error.message().contains("could not be read"), "{error}");
}

/// The raw text of a body cut by the connection is kept too, as `raw_body()` promises for
/// responses that could not be parsed.
async fn body_cut_by_the_connection_keeps_raw_text(wire: Wire) {
    let server = MockServer::start_raw().await;
    let partial = r#"{"id":"chatcmpl-1","choices":[{"index":0,"mess"#;
    server.push(Reply::Bytes(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{partial}"
        )
        .into_bytes(),
    ));
    let error = wire
        .agent_with_retries(&server, 0)
        .run("hi")
        .await
        .unwrap_err()
        .error;
    assert_eq!(error.raw_body(), Some(partial));
}

/// A body cut off by the connection is a transport failure: retried, and the retry can succeed.
async fn body_cut_is_retried(wire: Wire) {
    let server = MockServer::start_raw().await;
    server.push(Reply::Bytes(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"id\""
            .to_vec(),
    ));
    server.push(Reply::json(wire.text("recovered", 1, 1)));
    let output = wire.agent_with_retries(&server, 1).run("hi").await.unwrap();
    assert_eq!(output.text, "recovered");
    assert_eq!(server.request_count(), 2);
}

/// Nothing listens: each attempt is refused, retried with backoff, then a `Connect` error.
async fn connection_refused(wire: Wire) {
    let url = common::refused_url().await;
    let url = match wire {
        Wire::OpenAi => format!("{url}/v1"),
        Wire::Anthropic => url,
    };
    let started = Instant::now();
    let run = Agent::new(wire.provider(url, fast_retries(2)), weather_tools())
        .run("hi")
        .await;
    let elapsed = started.elapsed();
    let error = run.unwrap_err();
    assert_eq!(error.turns, 1);
    let error = error.error;
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
    assert_eq!(error.attempts(), 3);
    assert_eq!(error.status(), None);
    assert!(error.message().starts_with("request failed"), "{error}");
    assert!(std::error::Error::source(&error).is_some());
    assert!(elapsed >= min_wait(0) + min_wait(1), "{elapsed:?}");
}

/// The server reads the request and hangs up twice: retried, then the third attempt succeeds.
async fn connection_closed_then_recovers(wire: Wire) {
    let server = MockServer::start_raw().await;
    server.push(Reply::Close);
    server.push(Reply::Close);
    server.push(Reply::json(wire.text("ok", 1, 1)));
    let output = wire.agent_with_retries(&server, 2).run("hi").await.unwrap();
    assert_eq!(output.text, "ok");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|request| request.path == wire.path()));
    let gaps = common::gaps(&requests);
    assert!(gaps[0] >= min_wait(0), "{gaps:?}");
    assert!(gaps[1] >= min_wait(1), "{gaps:?}");
}

/// The server always hangs up: `Connect` error after every retry, each seen by the server.
async fn connection_closed_every_time(wire: Wire) {
    let server = MockServer::start_raw().await;
    server.fallback(|_| Reply::Close);
    let error = wire
        .agent_with_retries(&server, 2)
        .run("hi")
        .await
        .unwrap_err()
        .error;
    assert_eq!(error.kind(), ErrorKind::Connect, "{error}");
    assert_eq!(error.attempts(), 3);
    assert_eq!(server.request_count(), 3);
}

/// A server slower than the request timeout: retried, then a `Timeout` error.
async fn request_timeout(wire: Wire) {
    let server = MockServer::start().await;
    server.fallback(move |_| Reply::json(wire.text("late", 1, 1)).delay(Duration::from_secs(3)));
    let agent = Agent::new(
        wire.provider_with_timeout(
            wire.url(&server),
            fast_retries(1),
            Duration::from_millis(150),
        ),
        weather_tools(),
    );
    let started = Instant::now();
    let error = agent.run("hi").await.unwrap_err().error;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(error.is_timeout(), "{error}");
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert_eq!(error.attempts(), 2);
    assert_eq!(server.request_count(), 2);
}

both!(
    retryable_statuses_are_retried,
    retries_exhausted,
    retry_after_seconds,
    retry_after_ms,
    client_errors_are_not_retried,
    error_status_with_html_body,
    malformed_bodies_are_decode_errors,
    binary_bodies,
    body_cut_by_the_connection,
    body_cut_is_retried,
    connection_refused,
    connection_closed_then_recovers,
    connection_closed_every_time,
    request_timeout,
);

mod body_cut_by_the_connection_keeps_raw_text {
    #[tokio::test]
    async fn openai() {
        super::body_cut_by_the_connection_keeps_raw_text(super::Wire::OpenAi).await
    }

    #[tokio::test]
    async fn anthropic() {
        super::body_cut_by_the_connection_keeps_raw_text(super::Wire::Anthropic).await
    }
}

// ---------------------------------------------------------------------------------------------
// API keys never show.
// ---------------------------------------------------------------------------------------------

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Everything a program may print about a provider, an agent and its errors, plus every `tracing`
/// line of runs that retry, call tools, fail on a status and fail to connect: no key anywhere.
/// (Runs on the test's own thread, where the subscriber is installed.)
#[tokio::test(flavor = "current_thread")]
async fn api_keys_never_show() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // With a single registered dispatcher, tracing-core computes the interest of a callsite first
    // hit on another test's thread from THAT thread's (empty) default, and caches "never" for
    // ours too. A second live dispatcher makes it ask every registered one.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());

    let mut printed = Vec::new();
    for wire in [Wire::OpenAi, Wire::Anthropic] {
        let server = MockServer::start().await;
        // A retried 503, a turn of tool calls (one failing), the final answer.
        server.push(Reply::status_json(503, wire.error("busy")));
        server.push(Reply::json(wire.calls(
            &[
                (&wire.id("a"), "get_weather", json!({"city": "Tokyo"})),
                (&wire.id("b"), "get_wether", json!({})),
            ],
            1,
            1,
        )));
        server.push(Reply::json(wire.text("done", 1, 1)));
        // Then an authentication error that echoes a masked key, as the real APIs do.
        server.push(Reply::status_json(
            401,
            match wire {
                Wire::OpenAi => openai::error(
                    "Incorrect API key provided: sk-proj-********cdef.",
                    "invalid_request_error",
                ),
                Wire::Anthropic => anthropic::error("authentication_error", "invalid x-api-key"),
            },
        ));
        let agent = wire.agent(&server, weather_tools());
        let output = agent.run(PROMPT).await.unwrap();
        assert_eq!(output.text, "done");
        // The key did go out, as a header.
        assert!(
            server.requests()[0]
                .headers
                .iter()
                .any(|(_, value)| value.contains(wire.key()))
        );
        let status_error = agent.run(PROMPT).await.unwrap_err();
        assert_eq!(status_error.error.status(), Some(401));

        let refused = Agent::new(
            wire.provider(common::refused_url().await, fast_retries(1)),
            weather_tools(),
        );
        let connect_error = refused.run(PROMPT).await.unwrap_err();
        assert_eq!(connect_error.error.kind(), ErrorKind::Connect);

        printed.push(format!("{agent:?}"));
        printed.push(format!("{agent:#?}"));
        printed.push(format!("{refused:?}"));
        printed.push(format!("{output:?}"));
        for error in [&status_error, &connect_error] {
            printed.push(format!("{error:?}"));
            printed.push(format!("{error:#?}"));
            printed.push(error.to_string());
            printed.push(format!("{:?}", error.error));
            printed.push(error.error.to_string());
            printed.push(format!("{:?}", error.error.raw_body()));
            let mut source = std::error::Error::source(&error.error);
            while let Some(cause) = source {
                printed.push(format!("{cause} / {cause:?}"));
                source = cause.source();
            }
        }
    }
    let openai = OpenAi::new(OPENAI_KEY).base_url("http://127.0.0.1:9/v1");
    let anthropic = Anthropic::new(ANTHROPIC_KEY).base_url("http://127.0.0.1:9");
    printed.push(format!(
        "{openai:?} {openai:#?} {anthropic:?} {anthropic:#?}"
    ));
    printed.push(format!("{:?}", OpenAi::new("x").api_key(OPENAI_KEY)));

    let logs = captured.text();
    assert!(
        logs.contains("retrying"),
        "the subscriber saw nothing:\n{logs}"
    );
    assert!(logs.contains("tool_call"), "{logs}");
    printed.push(logs);
    for text in &printed {
        for key in [OPENAI_KEY, ANTHROPIC_KEY, "5ecret", "TESTKEY"] {
            assert!(!text.contains(key), "`{key}` leaked in:\n{text}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The protocol checker itself.
// ---------------------------------------------------------------------------------------------

fn recorded(path: &str, messages: Value) -> Recorded {
    Recorded {
        at: Instant::now(),
        method: "POST".to_owned(),
        path: path.to_owned(),
        headers: Vec::new(),
        raw_body: Vec::new(),
        body: json!({"messages": messages}),
        handled: Duration::ZERO,
    }
}

/// The checker every request goes through accepts the right shapes and catches each violation.
#[test]
fn the_protocol_checker_is_not_vacuous() {
    let call = |id: &str| json!({"id": id, "type": "function", "function": {"name": "f", "arguments": "{}"}});
    let assistant =
        json!({"role": "assistant", "content": null, "tool_calls": [call("a"), call("b")]});
    let tool = |id: &str| json!({"role": "tool", "tool_call_id": id, "content": "x"});
    let user = json!({"role": "user", "content": "hi"});
    let openai_cases = [
        (json!([user, assistant, tool("b"), tool("a"), user]), true),
        (json!([user, assistant, tool("a")]), false),
        (
            json!([user, assistant, tool("a"), tool("b"), tool("b")]),
            false,
        ),
        (json!([user, assistant, tool("a"), user, tool("b")]), false),
        (json!([user, tool("a")]), false),
        (json!([user, assistant]), false),
    ];
    for (messages, ok) in openai_cases {
        let verdict = common::check_protocol(&recorded(common::OPENAI_PATH, messages.clone()));
        assert_eq!(verdict.is_ok(), ok, "{messages}: {verdict:?}");
    }

    let text = |t: &str| json!({"type": "text", "text": t});
    let result = |id: &str| json!({"type": "tool_result", "tool_use_id": id, "content": "x"});
    let uses = json!({"role": "assistant", "content": [
        text("calling"),
        {"type": "tool_use", "id": "a", "name": "f", "input": {}},
        {"type": "tool_use", "id": "b", "name": "f", "input": {}}
    ]});
    let user = |blocks: Value| json!({"role": "user", "content": blocks});
    let anthropic_cases = [
        (
            json!([
                user(json!([text("hi")])),
                uses,
                user(json!([result("a"), result("b"), text("go on")]))
            ]),
            true,
        ),
        (
            json!([
                user(json!([text("hi")])),
                uses,
                user(json!([result("a")])),
                user(json!([result("b")]))
            ]),
            false,
        ),
        (
            json!([user(json!([text("hi")])), uses, user(json!([result("a")]))]),
            false,
        ),
        (
            json!([
                user(json!([text("hi")])),
                uses,
                user(json!([text("first"), result("a"), result("b")]))
            ]),
            false,
        ),
        (json!([user(json!([text("hi")])), uses]), false),
        (json!([user(json!([result("z")]))]), false),
        (
            json!([
                user(json!([text("hi")])),
                uses,
                user(json!([result("a"), result("b"), result("b")]))
            ]),
            false,
        ),
    ];
    for (messages, ok) in anthropic_cases {
        let verdict = common::check_protocol(&recorded(common::ANTHROPIC_PATH, messages.clone()));
        assert_eq!(verdict.is_ok(), ok, "{messages}: {verdict:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Recorded real traffic.
// ---------------------------------------------------------------------------------------------

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The tool calls per exchange of every JSON fixture, as the fixtures' README table says.
const FIXTURES: &[(&str, &[usize])] = &[
    ("openai_crewai_parallel_3calls_agent.json", &[3, 0]),
    ("anthropic_pydanticai_4calls.json", &[4, 0]),
    ("anthropic_sdkts_toolrunner_2calls.json", &[2, 0]),
    ("openai_openai_python_2calls.json", &[2]),
];

/// Every response body of every JSON fixture parses: the number of calls, and the first call's
/// id, name and arguments, exactly. (The `.sse` files are streaming bodies, which this library
/// does not support: they are skipped.)
#[test]
fn every_recorded_response_parses() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES.iter().map(|(name, _)| name.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every JSON fixture is tested");

    let openai = OpenAi::new("unused");
    let anthropic = Anthropic::new("unused");
    for (name, counts) in FIXTURES {
        let file = fixture(name);
        let exchanges = file["exchanges"].as_array().unwrap();
        assert_eq!(exchanges.len(), counts.len(), "{name}");
        for (index, (exchange, &count)) in exchanges.iter().zip(counts.iter()).enumerate() {
            let context = format!("{name} exchange {index}");
            assert_eq!(
                exchange["tool_calls_in_response"],
                json!(count),
                "{context}"
            );
            let body = &exchange["response"];
            let response = match file["provider"].as_str().unwrap() {
                "openai" => openai.parse_response(body),
                "anthropic" => anthropic.parse_response(body),
                other => panic!("{context}: unknown provider {other}"),
            }
            .unwrap_or_else(|error| panic!("{context}: {error}"));
            let calls = &response.message.tool_calls;
            assert_eq!(calls.len(), count, "{context}");
            let expected_stop = if count > 0 {
                StopReason::ToolUse
            } else {
                StopReason::EndTurn
            };
            assert_eq!(response.stop_reason, expected_stop, "{context}");
            if count == 0 {
                assert!(response.message.text.is_some(), "{context}");
                continue;
            }
            let first = &calls[0];
            if file["provider"] == "openai" {
                let wire = &body["choices"][0]["message"]["tool_calls"][0];
                assert_eq!(first.id, wire["id"].as_str().unwrap(), "{context}");
                assert_eq!(first.name, wire["function"]["name"].as_str().unwrap());
                assert_eq!(
                    first.arguments.to_json_string(),
                    wire["function"]["arguments"].as_str().unwrap()
                );
                assert_eq!(
                    response.usage.input_tokens,
                    body["usage"]["prompt_tokens"].as_u64().unwrap()
                );
            } else {
                let wire = body["content"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|block| block["type"] == "tool_use")
                    .unwrap();
                assert_eq!(first.id, wire["id"].as_str().unwrap(), "{context}");
                assert_eq!(first.name, wire["name"].as_str().unwrap());
                assert_eq!(first.arguments.to_value().unwrap(), wire["input"]);
                assert_eq!(
                    response.message.raw.as_ref().unwrap().value,
                    body["content"],
                    "{context}: the content is kept to be echoed back"
                );
                assert_eq!(
                    response.usage.input_tokens,
                    body["usage"]["input_tokens"].as_u64().unwrap()
                );
            }
        }
    }

    // Spot checks of exact values.
    let crewai = fixture("openai_crewai_parallel_3calls_agent.json");
    let first = openai
        .parse_response(&crewai["exchanges"][0]["response"])
        .unwrap();
    assert_eq!(
        first.message.tool_calls[0],
        ToolCall::new(
            "call_kz1qLLRsugXwWiQMeH9oFAep",
            "parallel_local_search_one",
            r#"{"query": "latest OpenAI model release notes"}"#
        )
    );
    assert_eq!(first.message.text, None);
    let pydantic = fixture("anthropic_pydanticai_4calls.json");
    let first = anthropic
        .parse_response(&pydantic["exchanges"][0]["response"])
        .unwrap();
    assert_eq!(
        first.message.tool_calls[0],
        ToolCall::new(
            "toolu_0167cfEnoQaPviGdVXA95zcu",
            "retrieve_entity_info",
            json!({"name": "Alice"})
        )
    );
    assert!(
        first
            .message
            .text
            .as_deref()
            .unwrap()
            .starts_with("I'll help you find out")
    );
    assert_eq!(first.usage, usage(423, 202, 0));
}

/// Get the knowledge about the given entity.
#[tool]
fn retrieve_entity_info(name: String) -> String {
    name
}

/// The (role, block types, tool ids) outline of an Anthropic `messages` array.
fn anthropic_outline(messages: &[Value]) -> Vec<(String, Vec<String>, Vec<String>)> {
    messages
        .iter()
        .map(|message| {
            let blocks = message["content"].as_array().unwrap();
            (
                message["role"].as_str().unwrap().to_owned(),
                blocks
                    .iter()
                    .map(|block| block["type"].as_str().unwrap().to_owned())
                    .collect(),
                blocks
                    .iter()
                    .filter_map(|block| block.get("tool_use_id").or_else(|| block.get("id")))
                    .map(|id| id.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

/// Our second request, built from the recorded first response, has the shape of the recorded
/// second request: roles, block types, tool ids in order, the assistant content echoed as it was.
#[test]
fn anthropic_second_request_matches_the_recording() {
    let file = fixture("anthropic_pydanticai_4calls.json");
    let recorded_first = &file["exchanges"][0]["request"];
    let recorded_second = &file["exchanges"][1]["request"];
    let anthropic = Anthropic::new("unused").model("claude-haiku-4-5");
    let response = anthropic
        .parse_response(&file["exchanges"][0]["response"])
        .unwrap();
    let recorded_messages = recorded_second["messages"].as_array().unwrap();
    let results: Vec<ToolReply> = recorded_messages[2]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|block| {
            reply(
                block["tool_use_id"].as_str().unwrap(),
                "retrieve_entity_info",
                block["content"].as_str().unwrap(),
                false,
            )
        })
        .collect();
    let prompt = recorded_first["messages"][0]["content"][0]["text"]
        .as_str()
        .unwrap();
    let messages = vec![
        Message::user(prompt),
        Message::Assistant(response.message),
        Message::ToolResults { results },
    ];
    let toolbox = tools![retrieve_entity_info];
    let ours = anthropic.request_body(ChatRequest {
        system: recorded_second["system"].as_str(),
        messages: &messages,
        toolbox: &toolbox,
        tool_choice: &ToolChoice::Auto,
        parallel_tool_calls: true,
    });
    let our_messages = ours["messages"].as_array().unwrap();
    assert_eq!(
        anthropic_outline(our_messages),
        anthropic_outline(recorded_messages)
    );
    assert_eq!(our_messages[0], recorded_messages[0]);
    assert_eq!(our_messages[1], recorded_messages[1], "assistant echoed");
    for (ours, theirs) in our_messages[2]["content"]
        .as_array()
        .unwrap()
        .iter()
        .zip(recorded_messages[2]["content"].as_array().unwrap())
    {
        assert_eq!(ours["tool_use_id"], theirs["tool_use_id"]);
        assert_eq!(ours["content"], theirs["content"]);
    }
    for field in ["model", "max_tokens", "system"] {
        assert_eq!(ours[field], recorded_second[field], "{field}");
    }
    assert_eq!(
        ours["tools"][0]["name"],
        recorded_second["tools"][0]["name"]
    );
    assert_eq!(
        ours["tools"][0]["description"],
        recorded_second["tools"][0]["description"]
    );
    assert_eq!(
        ours["tools"][0]["input_schema"]["required"],
        recorded_second["tools"][0]["input_schema"]["required"]
    );
}

/// The same for OpenAI: our second request from the recorded first response has the recorded
/// second request's roles, calls and `tool_call_id` order.
#[test]
fn openai_second_request_matches_the_recording() {
    let file = fixture("openai_crewai_parallel_3calls_agent.json");
    let recorded_second = &file["exchanges"][1]["request"];
    let openai = OpenAi::new("unused");
    let response = openai
        .parse_response(&file["exchanges"][0]["response"])
        .unwrap();
    let recorded_messages = recorded_second["messages"].as_array().unwrap();
    let results: Vec<ToolReply> = recorded_messages[3..]
        .iter()
        .map(|message| {
            reply(
                message["tool_call_id"].as_str().unwrap(),
                message["name"].as_str().unwrap(),
                message["content"].as_str().unwrap(),
                false,
            )
        })
        .collect();
    let messages = vec![
        Message::user(recorded_messages[1]["content"].as_str().unwrap()),
        Message::Assistant(response.message),
        Message::ToolResults { results },
    ];
    let ours = openai.request_body(ChatRequest {
        system: recorded_messages[0]["content"].as_str(),
        messages: &messages,
        toolbox: &Toolbox::new(),
        tool_choice: &ToolChoice::Auto,
        parallel_tool_calls: true,
    });
    let our_messages = ours["messages"].as_array().unwrap();
    let outline = |messages: &[Value]| -> Vec<(String, Option<String>)> {
        messages
            .iter()
            .map(|message| {
                (
                    message["role"].as_str().unwrap().to_owned(),
                    message["tool_call_id"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };
    assert_eq!(outline(our_messages), outline(recorded_messages));
    assert_eq!(&our_messages[..3], &recorded_messages[..3]);
    for (ours, theirs) in our_messages[3..].iter().zip(&recorded_messages[3..]) {
        assert_eq!(ours["content"], theirs["content"]);
    }
}

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
