//! What only the Responses API has, against the local test server: reasoning items sent back
//! beside their calls (from the recorded traffic of real reasoning models, whole and streamed),
//! server-side state through `previous_response_id`, a server refusing encrypted reasoning, and
//! transcripts that move between the three wires. (Everything the wires share runs for
//! Responses too, through `each_wire!` in the other test files.)

use serde_json::{Value, json};
use support::{MockServer, PROMPT, Reply, Wire, fixture, responses, weather_tools};
use tool_runtime::{Agent, Message, OpenAi, tool, tools};

/// Get the weather for a city.
#[tool]
fn get_weather(city: String) -> String {
    format!("Sunny, 22C in {city}")
}

/// The capital of a country.
#[tool]
fn get_capital(country: String) -> String {
    format!("{country} City")
}

/// The item without its `id` (a stateless request sends none: the server keeps nothing).
fn without_id(item: &Value) -> Value {
    let mut item = item.clone();
    item.as_object_mut().unwrap().remove("id");
    item
}

/// gpt-5-mini, recorded: a reasoning item and a call. Our second request sends the reasoning
/// item back right before its call, then the call's output, as the recorded client did.
#[tokio::test]
async fn reasoning_is_sent_back_beside_its_call() {
    let file = fixture("responses_pydanticai_gpt5mini_reasoning_1call.json");
    let exchanges = file["exchanges"].as_array().unwrap();
    let first = &exchanges[0]["response"];
    let server = MockServer::start().await;
    server.push(Reply::json(first.clone()));
    server.push(Reply::json(responses::text(
        "Paris is sunny, 22C.",
        500,
        20,
    )));
    let model = OpenAi::new(support::OPENAI_KEY)
        .base_url(server.openai_url())
        .responses();
    let agent = Agent::new(model, tools![get_weather]).streaming(false);
    let output = agent
        .run("Get weather for Paris and summarize")
        .await
        .unwrap();
    assert_eq!(output.text, "Paris is sunny, 22C.");

    let requests = server.requests();
    let body = &requests[0].body;
    assert_eq!(body["store"], false);
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["strict"], true);

    let input = requests[1].input();
    let recorded = exchanges[1]["request"]["input"].as_array().unwrap();
    // user, reasoning, function_call, function_call_output: the recorded shape.
    let kinds = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|item| {
                item["type"]
                    .as_str()
                    .or(item["role"].as_str())
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(kinds(input), kinds(recorded));
    let output_items = first["output"].as_array().unwrap();
    assert_eq!(
        input[1],
        without_id(&output_items[0]),
        "the reasoning, as it came"
    );
    assert_eq!(
        input[1]["encrypted_content"],
        recorded[1]["encrypted_content"]
    );
    assert_eq!(
        input[2],
        without_id(&output_items[1]),
        "the call, as it came"
    );
    assert_eq!(input[3]["type"], "function_call_output");
    assert_eq!(input[3]["call_id"], recorded[3]["call_id"]);
    assert_eq!(input[3]["output"], "Sunny, 22C in Paris");
}

/// gpt-5.5, recorded as it streamed: reasoning, a commentary message, then a call. The run
/// reads the stream, starts the call, and sends back all three items before the call's output.
#[tokio::test]
async fn a_recorded_stream_with_reasoning_and_commentary() {
    let file = fixture("responses_pydanticai_gpt55_stream_reasoning_1call.json");
    let exchanges = file["exchanges"].as_array().unwrap();
    let server = MockServer::start().await;
    for exchange in exchanges {
        server.push(Reply::sse(exchange["response_sse"].as_str().unwrap()));
    }
    let model = OpenAi::new(support::OPENAI_KEY)
        .base_url(server.openai_url())
        .responses();
    let agent = Agent::new(model, tools![get_capital])
        .system("Briefly narrate what you are about to do before calling each tool.");
    let output = agent
        .run("What is the capital of PotatoLand?")
        .await
        .unwrap();
    assert_eq!(output.text, "The capital of PotatoLand is **Potato City**.");
    let Message::Assistant(first) = &output.messages[1] else {
        panic!("{:?}", output.messages);
    };
    assert_eq!(
        first.text.as_deref(),
        Some("I’ll check the capital lookup tool for “PotatoLand.”")
    );
    assert_eq!(first.tool_calls[0].id, "call_LabG58Uhrq9kZvR52BYKjToD");

    let requests = server.requests();
    assert_eq!(
        requests[0].body["instructions"],
        "Briefly narrate what you are about to do before calling each tool."
    );
    let input = requests[1].input();
    let recorded = exchanges[1]["request"]["input"].as_array().unwrap();
    assert_eq!(input.len(), recorded.len());
    for (ours, theirs) in input.iter().zip(recorded) {
        assert_eq!(ours["type"], theirs["type"]);
        if ours["type"] == "reasoning" {
            // The recording's replay holds a later encryption of it; ours is the one streamed.
            assert!(
                ours["encrypted_content"]
                    .as_str()
                    .unwrap()
                    .starts_with("gAAAA")
            );
            assert!(ours.get("id").is_none());
        }
    }
    assert_eq!(input[2]["role"], "assistant");
    assert_eq!(input[2]["phase"], "commentary");
    assert_eq!(input[3]["call_id"], "call_LabG58Uhrq9kZvR52BYKjToD");
    assert_eq!(input[4]["output"], "PotatoLand City");
}

/// With `store(true)` the server keeps the responses: each request names the last one and sends
/// only what came after it.
#[tokio::test]
async fn stored_responses_are_chained_by_id() {
    let server = MockServer::start().await;
    let mut calls =
        responses::tool_calls(&[("call_1", "get_weather", r#"{"city":"Oslo"}"#)], 10, 5);
    calls["id"] = json!("resp_first");
    calls["store"] = json!(true);
    let mut answer = responses::text("Oslo is sunny.", 20, 5);
    answer["id"] = json!("resp_second");
    answer["store"] = json!(true);
    server.push(Reply::json(calls));
    server.push(Reply::json(answer));
    server.push(Reply::json(responses::text("You're welcome.", 30, 5)));
    let model = OpenAi::new(support::OPENAI_KEY)
        .base_url(server.openai_url())
        .responses()
        .store(true);
    let agent = Agent::new(model, weather_tools()).streaming(false);
    let first = agent.run("Weather in Oslo?").await.unwrap();
    let mut messages = first.messages;
    messages.push(Message::user("Thanks!"));
    agent.run_conversation(messages).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests[0].body["store"], true);
    assert!(requests[0].body.get("previous_response_id").is_none());
    assert!(requests[0].body.get("include").is_none());
    assert_eq!(requests[1].body["previous_response_id"], "resp_first");
    assert_eq!(
        requests[1].input(),
        [
            json!({"type": "function_call_output", "call_id": "call_1", "output": "Sunny, 22°C in Oslo"})
        ]
    );
    assert_eq!(requests[2].body["previous_response_id"], "resp_second");
    assert_eq!(
        requests[2].input(),
        [json!({"role": "user", "content": "Thanks!"})]
    );
    server.assert_protocol();
}

/// A model that refuses encrypted reasoning is asked again without it, and no more after.
#[tokio::test]
async fn a_refused_include_is_left_out_from_then_on() {
    let server = MockServer::start().await;
    server.push(Reply::status_json(
        400,
        responses::error(
            "Encrypted content is not supported with this model.",
            "invalid_request_error",
        ),
    ));
    server.push(Reply::json(responses::text("Hi.", 1, 1)));
    server.push(Reply::json(responses::text("Hi again.", 1, 1)));
    let model = OpenAi::new(support::OPENAI_KEY)
        .base_url(server.openai_url())
        .responses();
    let agent = Agent::new(model, weather_tools()).streaming(false);
    assert_eq!(agent.run("hi").await.unwrap().text, "Hi.");
    assert_eq!(agent.run("hi").await.unwrap().text, "Hi again.");
    let requests = server.requests();
    assert!(requests[0].body.get("include").is_some());
    assert!(requests[1].body.get("include").is_none());
    assert!(requests[2].body.get("include").is_none());
}

/// A transcript made on one wire continues on the others: Responses' own items go back only to
/// Responses, the neutral messages everywhere, and each server's protocol checker accepts what
/// it reads.
#[tokio::test]
async fn transcripts_move_between_the_three_wires() {
    for from in Wire::ALL {
        let server = MockServer::start().await;
        let id = from.id("w1");
        server.push(Reply::json(from.calls(
            &[(&id, "get_weather", json!({"city": "Oslo"}))],
            10,
            5,
        )));
        server.push(Reply::json(from.text("Oslo is sunny.", 20, 5)));
        let first = from
            .agent(&server, weather_tools())
            .run(PROMPT)
            .await
            .unwrap();
        let saved = serde_json::to_string(&first.messages).unwrap();
        for to in Wire::ALL {
            let mut messages: Vec<Message> = serde_json::from_str(&saved).unwrap();
            messages.push(Message::user("And tomorrow?"));
            let next = MockServer::start().await;
            next.push(Reply::json(to.text("Sunny too.", 30, 5)));
            let output = to
                .agent(&next, weather_tools())
                .run_conversation(messages)
                .await
                .unwrap();
            assert_eq!(output.text, "Sunny too.", "{from:?} -> {to:?}");
            let sent = next.requests()[0].messages().to_vec();
            let text = serde_json::to_string(&sent).unwrap();
            assert!(
                text.contains(&id),
                "{from:?} -> {to:?}: the call's id goes along"
            );
            assert!(text.contains("Sunny, 22°C in Oslo"), "{from:?} -> {to:?}");
            if to != from {
                // Another wire's own shapes stay behind.
                assert!(!text.contains("output_text"), "{from:?} -> {to:?}: {text}");
            }
            next.assert_protocol();
        }
    }
}

/// The wire's own tools entries.
#[test]
fn tools_are_flat_and_say_strict_either_way() {
    /// Any value at all: no strict flavour for it.
    #[tool]
    fn echo(value: serde_json::Value) -> serde_json::Value {
        value
    }
    let toolbox = tools![get_weather, echo];
    let entries = tool_runtime::wire::openai_responses::tools(toolbox.definitions(), true);
    assert_eq!(entries[0]["strict"], true);
    assert_eq!(entries[0]["parameters"]["additionalProperties"], false);
    // The API's default is strict: a schema that cannot be strict says so.
    assert_eq!(entries[1]["strict"], false);
    assert_eq!(entries[1]["type"], "function");
}

/// A conversation begun without `store` names no response when continued with it: the server
/// never kept those, so the whole conversation goes.
#[tokio::test]
async fn answers_the_server_did_not_keep_are_not_named() {
    let server = MockServer::start().await;
    server.push(Reply::json(responses::text("Hello.", 1, 1)));
    server.push(Reply::json(responses::text("Again.", 1, 1)));
    let stateless = Agent::new(
        Wire::RESPONSES.provider(server.openai_url(), support::fast_retries(0)),
        weather_tools(),
    )
    .streaming(false);
    let first = stateless.run("hi").await.unwrap();
    let stored = OpenAi::new(support::OPENAI_KEY)
        .base_url(server.openai_url())
        .responses()
        .store(true);
    let mut messages = first.messages;
    messages.push(Message::user("again"));
    Agent::new(stored, weather_tools())
        .streaming(false)
        .run_conversation(messages)
        .await
        .unwrap();
    let second = &server.requests()[1];
    assert!(second.body.get("previous_response_id").is_none());
    assert_eq!(second.input().len(), 3);
}

/// Output items go back only while they say what the message says: a message whose calls were
/// edited is sent from its neutral form; reasoning a stateless server cannot verify (no
/// encrypted content) is left out.
#[tokio::test]
async fn edited_messages_and_unverifiable_reasoning_are_not_echoed() {
    let server = MockServer::start().await;
    let mut calls = responses::tool_calls(&[("call_1", "get_weather", r#"{"city":"Oslo"}"#)], 1, 1);
    let mut bare = responses::reasoning("1");
    bare.as_object_mut().unwrap().remove("encrypted_content");
    calls["output"].as_array_mut().unwrap().insert(0, bare);
    server.push(Reply::json(calls));
    server.push(Reply::json(responses::text("Oslo is sunny.", 1, 1)));
    server.push(Reply::json(responses::text("Fine.", 1, 1)));
    let agent = Wire::RESPONSES
        .agent(&server, weather_tools())
        .streaming(false);
    let output = agent.run("Oslo?").await.unwrap();
    // The unverifiable reasoning stayed behind; the call went back as it came.
    let input = server.requests()[1].input().to_vec();
    let kinds: Vec<&str> = input
        .iter()
        .map(|item| item["type"].as_str().or(item["role"].as_str()).unwrap())
        .collect();
    assert_eq!(kinds, ["user", "function_call", "function_call_output"]);
    assert_eq!(input[1]["status"], "completed", "echoed as it came");

    // The program rewrites the call (and its result); the echo would contradict it.
    let mut messages = output.messages;
    let Message::Assistant(assistant) = &mut messages[1] else {
        panic!("{messages:?}");
    };
    assistant.tool_calls[0].id = "call_renamed".into();
    let Message::ToolResults { results } = &mut messages[2] else {
        panic!("{messages:?}");
    };
    results[0].call_id = "call_renamed".into();
    messages.push(Message::user("And now?"));
    agent.run_conversation(messages).await.unwrap();
    let input = server.requests()[2].input().to_vec();
    assert_eq!(
        input[1],
        json!({"type": "function_call", "call_id": "call_renamed", "name": "get_weather",
               "arguments": "{\"city\":\"Oslo\"}"})
    );
    server.assert_protocol();
}

/// An echoed item's content that "could not be verified" is not a refusal of `include`: the
/// error stands, and the next run still asks for encrypted reasoning.
#[tokio::test]
async fn an_unverifiable_item_is_not_taken_for_a_refused_include() {
    let server = MockServer::start().await;
    server.push(Reply::status_json(
        400,
        responses::error(
            "The encrypted content for item rs_1 could not be verified.",
            "invalid_request_error",
        ),
    ));
    server.push(Reply::json(responses::text("Hi.", 1, 1)));
    let agent = Wire::RESPONSES
        .agent(&server, weather_tools())
        .streaming(false);
    let error = agent.run("hi").await.unwrap_err();
    assert_eq!(support::model_error(error).status(), Some(400));
    agent.run("hi").await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].body.get("include").is_some());
}

/// A server that leaves `output_index` out of its events: calls are told apart by their items'
/// ids, each handed on once.
#[tokio::test]
async fn streams_without_output_indexes_keep_their_calls_apart() {
    let calls = responses::tool_calls(
        &[
            ("call_1", "get_weather", r#"{"city":"Oslo"}"#),
            ("call_2", "get_weather", r#"{"city":"Rome"}"#),
        ],
        1,
        1,
    );
    let stream: String = support::sse_events(&responses::to_sse(&calls, 3))
        .into_iter()
        .map(|event| {
            let Some(data) = event.lines().find_map(|line| line.strip_prefix("data: ")) else {
                return event;
            };
            let mut data: Value = serde_json::from_str(data).unwrap();
            data.as_object_mut().unwrap().remove("output_index");
            format!("data: {data}\n\n")
        })
        .collect();
    let server = MockServer::start().await;
    server.push(Reply::sse(stream));
    server.push(Reply::json(responses::text("Both sunny.", 1, 1)));
    let output = Wire::RESPONSES
        .agent(&server, weather_tools())
        .run("Oslo and Rome?")
        .await
        .unwrap();
    let results = output.messages[2].tool_results();
    let answered: Vec<&str> = results.iter().map(|r| r.call_id.as_str()).collect();
    assert_eq!(answered, ["call_1", "call_2"]);
    assert_eq!(results[1].content(), "Sunny, 22°C in Rome");
}

/// A server that gives two `function_call` items one `call_id` (distinct items, distinct
/// arguments): streamed or read whole, both calls run, each gets its result in the transcript
/// with the id it came with (as Chat Completions does with repeated ids), and the next request
/// sends back both calls and both outputs, in order.
#[tokio::test]
async fn calls_that_share_a_call_id_all_run_streamed_or_whole() {
    let mut calls = responses::tool_calls(
        &[
            ("call_1", "get_weather", r#"{"city":"Oslo"}"#),
            ("call_1", "get_weather", r#"{"city":"Rome"}"#),
        ],
        1,
        1,
    );
    calls["output"][1]["id"] = json!("fc_second");
    let mut transcripts = Vec::new();
    for streaming in [true, false] {
        let server = MockServer::start().await;
        server.allow_repeated_ids();
        if streaming {
            server.push(Reply::sse(responses::to_sse(&calls, 4)));
        } else {
            server.push(Reply::json(calls.clone()));
        }
        server.push(Reply::json(responses::text("Both sunny.", 1, 1)));
        let output = Wire::RESPONSES
            .agent(&server, weather_tools())
            .streaming(streaming)
            .run("Oslo and Rome?")
            .await
            .unwrap();
        assert_eq!(output.text, "Both sunny.");
        let answered: Vec<(String, String)> = output.messages[2]
            .tool_results()
            .iter()
            .map(|result| (result.call_id.clone(), result.content().into_owned()))
            .collect();
        assert_eq!(
            answered,
            [
                ("call_1".to_owned(), "Sunny, 22°C in Oslo".to_owned()),
                ("call_1".to_owned(), "Sunny, 22°C in Rome".to_owned()),
            ],
            "streaming: {streaming}"
        );
        let input = server.requests()[1].input().to_vec();
        let sent: Vec<(&str, &str, &str)> = input[1..]
            .iter()
            .map(|item| {
                let said = item["arguments"].as_str().or(item["output"].as_str());
                (
                    item["type"].as_str().unwrap(),
                    item["call_id"].as_str().unwrap(),
                    said.unwrap(),
                )
            })
            .collect();
        assert_eq!(
            sent,
            [
                ("function_call", "call_1", r#"{"city":"Oslo"}"#),
                ("function_call", "call_1", r#"{"city":"Rome"}"#),
                ("function_call_output", "call_1", "Sunny, 22°C in Oslo"),
                ("function_call_output", "call_1", "Sunny, 22°C in Rome"),
            ],
            "streaming: {streaming}"
        );
        server.assert_protocol();
        transcripts.push(output.messages);
    }
    assert_eq!(transcripts[0], transcripts[1], "streamed and whole agree");
}

/// A compatible server that sends a call's `arguments` as a JSON object (read as such): the
/// call is echoed with the JSON text the API requires (its request types refuse an object:
/// "input.N.arguments: Input should be a valid string"), streamed or whole, and so are calls
/// that came without arguments.
#[tokio::test]
async fn arguments_that_came_as_an_object_are_echoed_as_text() {
    let mut calls = responses::tool_calls(
        &[
            ("call_1", "get_weather", "{}"),
            ("call_2", "get_capital", "{}"),
        ],
        1,
        1,
    );
    calls["output"][0]["arguments"] = json!({"city": "Oslo"});
    calls["output"][1]
        .as_object_mut()
        .unwrap()
        .remove("arguments");
    for streaming in [false, true] {
        let server = MockServer::start().await;
        if streaming {
            // The stream's own events carry text; the items, done, carry what the server sent.
            server.push(Reply::sse(responses::to_sse(&calls, 4)));
        } else {
            server.push(Reply::json(calls.clone()));
        }
        server.push(Reply::json(responses::text("Sunny.", 1, 1)));
        let output = Agent::new(
            OpenAi::new(support::OPENAI_KEY)
                .base_url(server.openai_url())
                .responses(),
            tools![get_weather, get_capital],
        )
        .streaming(streaming)
        .run("Oslo?")
        .await
        .unwrap();
        let results = output.messages[2].tool_results();
        assert_eq!(results[0].content(), "Sunny, 22C in Oslo");
        assert!(
            results[1].is_error(),
            "no `country`: {}",
            results[1].content()
        );
        let input = server.requests()[1].input().to_vec();
        assert_eq!(input[1]["type"], "function_call");
        assert_eq!(
            input[1]["arguments"], r#"{"city":"Oslo"}"#,
            "streaming: {streaming}"
        );
        assert_eq!(input[1]["status"], "completed", "otherwise as it came");
        assert_eq!(input[2]["arguments"], "{}", "streaming: {streaming}");
        server.assert_protocol();
    }
}
