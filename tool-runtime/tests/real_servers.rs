//! What real OpenAI-compatible servers send, whole and streamed, against the local test server:
//! Gemini 3's thought signatures on each call (sent back with it), Gemini's and Ollama's empty
//! or repeated call ids (answered in order, sent back as they came), llama.cpp's `content: ""`
//! beside calls and arguments with the model's own newlines.

use serde_json::{Value, json};
use support::{MockServer, Reply, openai, weather_tools};
use tool_runtime::{Agent, OpenAi};

fn agent(server: &MockServer, streaming: bool) -> Agent {
    let model = OpenAi::compatible(server.openai_url(), "gemini-3-pro-preview");
    Agent::new(model, weather_tools()).streaming(streaming)
}

fn signed(id: &str, city: &str, signature: &str) -> Value {
    let mut call = openai::call(id, "get_weather", &json!({ "city": city }).to_string());
    call["extra_content"] = json!({"google": {"thought_signature": signature}});
    call
}

/// Gemini 3 signs each call; the next request must carry each signature on its call, or the
/// API refuses it. Whole and streamed alike.
#[tokio::test]
async fn gemini_thought_signatures_go_back_with_their_calls() {
    for streaming in [false, true] {
        let server = MockServer::start().await;
        let calls = openai::tool_call_values(
            vec![
                signed("call_a", "Paris", "CiQB0e2Kb-sig-a"),
                openai::call("call_b", "get_weather", r#"{"city":"Rome"}"#),
            ],
            10,
            5,
        );
        let answer = openai::text("Sunny in both.", 20, 5);
        if streaming {
            let mut chunks = openai::stream_chunks(&calls, 4);
            // Gemini puts the signature on the call's first fragment.
            for chunk in &mut chunks {
                if let Some(fragment) = chunk.pointer_mut("/choices/0/delta/tool_calls/0")
                    && fragment["id"] == "call_a"
                {
                    fragment["extra_content"] =
                        json!({"google": {"thought_signature": "CiQB0e2Kb-sig-a"}});
                }
            }
            server.push(Reply::sse(openai::to_sse_chunks(&chunks)));
            server.push(Reply::sse(openai::to_sse(&answer, 4)));
        } else {
            server.push(Reply::json(calls));
            server.push(Reply::json(answer));
        }
        let output = agent(&server, streaming)
            .run("Paris and Rome?")
            .await
            .unwrap();
        assert_eq!(output.text, "Sunny in both.");
        let sent = server.requests()[1].messages()[1]["tool_calls"].clone();
        assert_eq!(
            sent[0]["extra_content"],
            json!({"google": {"thought_signature": "CiQB0e2Kb-sig-a"}}),
            "streaming: {streaming}"
        );
        assert!(sent[1].get("extra_content").is_none(), "{sent}");
        // Kept in the transcript, so a saved conversation goes on signed.
        let saved = serde_json::to_value(&output.messages).unwrap();
        assert_eq!(saved[1]["raw"]["format"], "openai_chat");
    }
}

/// Empty and repeated ids (Gemini, Ollama): every call is answered, in order, with the id it
/// came with.
#[tokio::test]
async fn empty_and_repeated_ids_in_a_whole_response_are_answered_in_order() {
    let server = MockServer::start().await;
    server.allow_repeated_ids();
    server.push(Reply::json(openai::tool_calls(
        &[
            ("", "get_weather", r#"{"city":"Oslo"}"#),
            ("", "get_weather", r#"{"city":"Rome"}"#),
            (
                "call_x",
                "get_exchange_rate",
                r#"{"from_currency":"USD","to_currency":"JPY"}"#,
            ),
            ("call_x", "get_weather", r#"{"city":"Lima"}"#),
        ],
        10,
        5,
    )));
    server.push(Reply::json(openai::text("Done.", 20, 5)));
    let output = agent(&server, false).run("Go.").await.unwrap();
    assert_eq!(output.text, "Done.");
    let request = &server.requests()[1];
    let tools: Vec<(String, String)> = request.messages()[2..]
        .iter()
        .map(|message| {
            (
                message["tool_call_id"].as_str().unwrap().to_owned(),
                message["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        tools,
        [
            ("".to_owned(), "Sunny, 22°C in Oslo".to_owned()),
            ("".to_owned(), "Sunny, 22°C in Rome".to_owned()),
            ("call_x".to_owned(), "151.25".to_owned()),
            ("call_x".to_owned(), "Sunny, 22°C in Lima".to_owned()),
        ]
    );
    server.assert_protocol();
}

/// llama.cpp: `content: ""` beside the calls, arguments with newlines and the model's spacing.
#[tokio::test]
async fn llama_cpp_whole_responses_are_read() {
    let server = MockServer::start().await;
    let mut calls = openai::tool_calls(
        &[(
            "Xq7Rk2mZp9LwT4vB8nYc3sHd6fJa1eGu",
            "get_weather",
            "{\n  \"city\" :  \"Oslo\"\n}",
        )],
        10,
        5,
    );
    calls["choices"][0]["message"]["content"] = json!("");
    server.push(Reply::json(calls));
    server.push(Reply::json(openai::text("Sunny.", 20, 5)));
    let output = agent(&server, false).run("Oslo?").await.unwrap();
    assert_eq!(output.text, "Sunny.");
    let request = &server.requests()[1];
    assert_eq!(request.messages()[2]["content"], "Sunny, 22°C in Oslo");
    // Sent back as the model wrote it.
    assert_eq!(
        request.messages()[1]["tool_calls"][0]["function"]["arguments"],
        "{\n  \"city\" :  \"Oslo\"\n}"
    );
}

/// A call removed from the message keeps the others' signatures on the right calls.
#[tokio::test]
async fn signatures_follow_their_calls_by_id() {
    let server = MockServer::start().await;
    server.push(Reply::json(openai::tool_call_values(
        vec![
            signed("call_a", "Paris", "sig-a"),
            signed("call_b", "Rome", "sig-b"),
        ],
        10,
        5,
    )));
    server.push(Reply::json(openai::text("Done.", 20, 5)));
    server.push(Reply::json(openai::text("Again.", 20, 5)));
    let agent = agent(&server, false);
    let output = agent.run("Paris and Rome?").await.unwrap();
    let mut messages = output.messages;
    let tool_runtime::Message::Assistant(assistant) = &mut messages[1] else {
        panic!("{messages:?}");
    };
    assistant.tool_calls.remove(0);
    let tool_runtime::Message::ToolResults { results } = &mut messages[2] else {
        panic!("{messages:?}");
    };
    results.remove(0);
    messages.push(tool_runtime::Message::user("Only Rome, then."));
    agent.run_conversation(messages).await.unwrap();
    let sent = server.requests()[2].messages()[1]["tool_calls"].clone();
    assert_eq!(sent[0]["id"], "call_b");
    assert_eq!(
        sent[0]["extra_content"]["google"]["thought_signature"],
        "sig-b"
    );
}
