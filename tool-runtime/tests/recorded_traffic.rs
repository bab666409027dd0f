//! The recorded real traffic in `tests/fixtures/`: every response parses, and our second request
//! has the recorded second request's shape.

use serde_json::{Value, json};
use support::{fixture, reply, usage};
use tool_runtime::conversation::{StopReason, ToolCall, ToolResult};
use tool_runtime::model::ModelRequest;
use tool_runtime::tool::ToolDefinition;
use tool_runtime::{Anthropic, Message, OpenAi, tool, tools};

// ---------------------------------------------------------------------------------------------
// Recorded real traffic.
// ---------------------------------------------------------------------------------------------

/// A body as the server sent it.
fn bytes(body: &Value) -> Vec<u8> {
    serde_json::to_vec(body).unwrap()
}

/// The tool calls per exchange of every JSON fixture, as the fixtures' README table says.
const FIXTURES: &[(&str, &[usize])] = &[
    ("openai_crewai_parallel_3calls_agent.json", &[3, 0]),
    ("anthropic_pydanticai_4calls.json", &[4, 0]),
    ("anthropic_sdkts_toolrunner_2calls.json", &[2, 0]),
    ("openai_openai_python_2calls.json", &[2]),
    ("responses_pydanticai_gpt4o_parallel_2calls.json", &[2, 0]),
    (
        "responses_pydanticai_gpt55_stream_reasoning_1call.json",
        &[1, 0],
    ),
    (
        "responses_pydanticai_gpt5mini_reasoning_1call.json",
        &[1, 1],
    ),
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
    let responses = OpenAi::new("unused").responses();
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
            if exchange.get("response_sse").is_some() {
                continue; // Streamed: read by the local server's tests (tests/responses.rs).
            }
            let body = &exchange["response"];
            let response = match file["provider"].as_str().unwrap() {
                "openai" => openai.parse_response(&bytes(body)),
                "responses" => responses.parse_response(&bytes(body)),
                "anthropic" => anthropic.parse_response(&bytes(body)),
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
            if file["provider"] == "responses" {
                let wire = body["output"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|item| item["type"] == "function_call")
                    .unwrap();
                assert_eq!(first.id, wire["call_id"].as_str().unwrap(), "{context}");
                assert_eq!(first.name, wire["name"].as_str().unwrap());
                assert_eq!(
                    first.arguments.to_json_string(),
                    wire["arguments"].as_str().unwrap()
                );
                assert_eq!(
                    response.message.raw.as_ref().unwrap().value["output"],
                    body["output"],
                    "{context}: the output items are kept to be echoed back"
                );
                assert_eq!(
                    response.usage.input_tokens,
                    body["usage"]["input_tokens"].as_u64().unwrap()
                );
            } else if file["provider"] == "openai" {
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
        .parse_response(&bytes(&crewai["exchanges"][0]["response"]))
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
        .parse_response(&bytes(&pydantic["exchanges"][0]["response"]))
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
        .parse_response(&bytes(&file["exchanges"][0]["response"]))
        .unwrap();
    let recorded_messages = recorded_second["messages"].as_array().unwrap();
    let results: Vec<ToolResult> = recorded_messages[2]["content"]
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
    let definitions: Vec<&ToolDefinition> = toolbox.definitions().collect();
    let mut request = ModelRequest::new(&messages).tools(&definitions);
    request.system = recorded_second["system"].as_str();
    let ours = anthropic.request_body(request).unwrap();
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
        .parse_response(&bytes(&file["exchanges"][0]["response"]))
        .unwrap();
    let recorded_messages = recorded_second["messages"].as_array().unwrap();
    let results: Vec<ToolResult> = recorded_messages[3..]
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
    let mut request = ModelRequest::new(&messages);
    request.system = recorded_messages[0]["content"].as_str();
    let ours = openai.request_body(request).unwrap();
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
