//! Images and documents, both ways: tools that return them and users who attach them, sent as
//! each wire's API takes them (checked against the local test server and its protocol checker),
//! kept in saved transcripts, and handled by the offline model.

use serde_json::{Value, json};
use support::{Api, MockServer, Reply, both};
use tool_runtime::conversation::{ContentBlock, ToolCall, ToolResult};
use tool_runtime::tool::ToolOutput;
use tool_runtime::{Agent, Message, OfflineModel, tool, tools};

/// The PNG signature: enough bytes to stand for an image.
const PNG: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_BASE64: &str = "iVBORw0KGgo=";

/// A screenshot of a web page.
#[tool]
fn screenshot(url: String) -> Vec<ContentBlock> {
    vec![
        ContentBlock::text(format!("{url} as it renders:")),
        ContentBlock::image("image/png", PNG),
    ]
}

/// The quarterly report.
#[tool]
fn report(quarter: u8) -> Result<ContentBlock, String> {
    if quarter > 4 {
        return Err(format!("There is no quarter {quarter}."));
    }
    Ok(ContentBlock::pdf(b"%PDF-1.7").named(format!("q{quarter}.pdf")))
}

/// A tool returns a screenshot and another a PDF: the next request carries them in the wire's
/// own shapes, and every call is answered.
async fn tool_results_carry_images_and_documents(wire: Api) {
    let server = MockServer::start().await;
    let (shot, doc) = (wire.id("shot"), wire.id("doc"));
    server.push(Reply::json(wire.calls(
        &[
            (&shot, "screenshot", json!({"url": "https://example.com"})),
            (&doc, "report", json!({"quarter": 3})),
        ],
        10,
        5,
    )));
    server.push(Reply::json(wire.text(
        "The page loads; Q3 is attached.",
        20,
        5,
    )));
    let agent = wire.agent(&server, tools![screenshot, report]);
    let output = agent
        .run("Check the site and get the Q3 report.")
        .await
        .unwrap();
    assert_eq!(output.text, "The page loads; Q3 is attached.");

    let request = &server.requests()[1];
    let messages = request.messages();
    let data_url = format!("data:image/png;base64,{PNG_BASE64}");
    match wire {
        Api::Anthropic => {
            let results = messages.last().unwrap()["content"].as_array().unwrap();
            assert_eq!(
                results[0]["content"],
                json!([
                    {"type": "text", "text": "https://example.com as it renders:"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                 "data": PNG_BASE64}}
                ])
            );
            assert_eq!(
                results[1]["content"],
                json!([{"type": "document", "title": "q3.pdf", "source": {"type": "base64",
                        "media_type": "application/pdf", "data": "JVBERi0xLjc="}}])
            );
        }
        Api::Responses => {
            let outputs: Vec<&Value> = messages
                .iter()
                .filter(|item| item["type"] == "function_call_output")
                .collect();
            assert_eq!(
                outputs[0]["output"],
                json!([
                    {"type": "input_text", "text": "https://example.com as it renders:"},
                    {"type": "input_image", "image_url": data_url, "detail": "auto"}
                ])
            );
            assert_eq!(
                outputs[1]["output"],
                json!([{"type": "input_file", "filename": "q3.pdf",
                        "file_data": "data:application/pdf;base64,JVBERi0xLjc="}])
            );
        }
        Api::OpenAi => {
            // Tool messages are text, with a note; the media follow in one user message.
            let tail = &messages[messages.len() - 3..];
            assert_eq!(tail[0]["role"], "tool");
            assert_eq!(
                tail[0]["content"],
                "https://example.com as it renders:\n(Its images and documents follow in the next message.)"
            );
            assert_eq!(
                tail[1]["content"],
                "(Its images and documents follow in the next message.)"
            );
            assert_eq!(tail[2]["role"], "user");
            assert_eq!(
                tail[2]["content"],
                json!([
                    {"type": "text", "text": format!(
                        "The images and documents of the result of `screenshot` (call {shot}):")},
                    {"type": "image_url", "image_url": {"url": data_url}},
                    {"type": "text", "text": format!(
                        "The images and documents of the result of `report` (call {doc}):")},
                    {"type": "file", "file": {"filename": "q3.pdf",
                        "file_data": "data:application/pdf;base64,JVBERi0xLjc="}}
                ])
            );
        }
    }
    server.assert_protocol();

    // The transcript keeps the blocks, and goes on from a save.
    let saved = serde_json::to_value(&output.messages).unwrap();
    assert_eq!(saved[2]["results"][0]["content"][1]["type"], "image");
    let loaded: Vec<Message> = serde_json::from_value(saved).unwrap();
    assert_eq!(loaded, output.messages);
}

/// A user attaches an image (bytes) and a document (a URL).
async fn users_attach_images_and_documents(wire: Api) {
    let server = MockServer::start().await;
    server.push(Reply::json(wire.text("A cat, and a lease.", 20, 5)));
    let message = Message::user_with(
        "What are these?",
        [
            ContentBlock::image("image/png", PNG),
            ContentBlock::document_url("https://example.com/lease.pdf"),
        ],
    );
    let agent = wire.agent(&server, tools![screenshot]);
    let output = agent.run_conversation(vec![message]).await.unwrap();
    assert_eq!(output.text, "A cat, and a lease.");
    let sent = server.requests()[0].messages()[0].clone();
    let data_url = format!("data:image/png;base64,{PNG_BASE64}");
    let expected = match wire {
        Api::Anthropic => json!({"role": "user", "content": [
            {"type": "text", "text": "What are these?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": PNG_BASE64}},
            {"type": "document", "source": {"type": "url",
                                            "url": "https://example.com/lease.pdf"}}
        ]}),
        Api::Responses => json!({"role": "user", "content": [
            {"type": "input_text", "text": "What are these?"},
            {"type": "input_image", "image_url": data_url, "detail": "auto"},
            {"type": "input_file", "file_url": "https://example.com/lease.pdf"}
        ]}),
        Api::OpenAi => json!({"role": "user", "content": [
            {"type": "text", "text": "What are these?"},
            {"type": "image_url", "image_url": {"url": data_url}},
            {"type": "text", "text": "(A document: https://example.com/lease.pdf)"}
        ]}),
    };
    assert_eq!(sent, expected);
}

both!(
    tool_results_carry_images_and_documents,
    users_attach_images_and_documents
);

/// A result with an image never goes out as an error's text, and errors stay text.
#[tokio::test]
async fn a_failing_content_tool_is_an_error_result() {
    let results = tools![report]
        .run(&[ToolCall::new("a", "report", json!({"quarter": 9}))])
        .await;
    assert!(results[0].is_error());
    assert_eq!(results[0].content(), "There is no quarter 9.");
}

/// Transcripts saved before content blocks (text content) still load; outputs with blocks
/// load as blocks.
#[test]
fn saved_results_load_as_text_or_blocks() {
    let old = json!({"call_id": "a", "name": "f", "content": "plain"});
    let loaded: ToolResult = serde_json::from_value(old).unwrap();
    assert_eq!(loaded.content(), "plain");
    let blocks = json!({"call_id": "a", "name": "f", "content": [
        {"type": "text", "text": "see"},
        {"type": "image", "url": "https://example.com/a.png"}
    ]});
    let loaded: ToolResult = serde_json::from_value(blocks.clone()).unwrap();
    let output = loaded.outcome.as_ref().unwrap();
    assert!(output.has_media());
    assert_eq!(output.as_str(), "see");
    assert_eq!(serde_json::to_value(&loaded).unwrap(), blocks);
    // Text-only content stays a string.
    let text = ToolResult::new(
        "b",
        "f",
        Ok(ToolOutput::content([ContentBlock::text("hi")])),
    );
    assert_eq!(serde_json::to_value(&text).unwrap()["content"], "hi");
}

/// The offline model reads what the tools returned, images included, and counts them.
#[tokio::test]
async fn the_offline_model_sees_the_images() {
    let model = OfflineModel::scripted([tool_runtime::conversation::AssistantMessage::calls([
        ToolCall::new("a", "screenshot", json!({"url": "https://example.com"})),
    ])]);
    let agent = Agent::new(model.clone(), tools![screenshot]);
    let error = agent.run("Look.").await.unwrap_err();
    // The script ran out after the call: the results were read all the same.
    let results = error.messages[2].tool_results();
    assert!(results[0].outcome.as_ref().unwrap().has_media());

    let agent = Agent::new(OfflineModel::new(), tools![screenshot]);
    let output = agent
        .run("Screenshot https://example.com please")
        .await
        .unwrap();
    assert!(output.text.contains("(with an image)"), "{}", output.text);
    assert!(output.usage.input_tokens >= 256, "{:?}", output.usage);
}
