//! Images and documents, both ways: tools that return them and users who attach them, sent as
//! each wire's API takes them (checked against the local test server and its protocol checker),
//! kept in saved transcripts, and handled by the offline model.

use serde_json::json;
use support::{MockServer, Reply, Wire, each_wire};
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
async fn tool_results_carry_images_and_documents(wire: Wire) {
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
    let intro = "https://example.com as it renders:";
    let image = wire.image_part("image/png", PNG_BASE64);
    let pdf = wire.file_part("q3.pdf", "application/pdf", "JVBERi0xLjc=");
    if wire.results_carry_media {
        assert_eq!(
            wire.result_contents(request),
            [json!([wire.text_part(intro), image]), json!([pdf])]
        );
    } else {
        // Tool messages are text, with a note; the media follow in one user message.
        let note = "(Its images and documents follow in the next message.)";
        assert_eq!(
            wire.result_contents(request),
            [json!(format!("{intro}\n{note}")), json!(note)]
        );
        let media = request.messages().last().unwrap();
        assert_eq!(media["role"], "user");
        assert_eq!(
            media["content"],
            json!([
                wire.text_part(&format!(
                    "The images and documents of the result of `screenshot` (call {shot}):"
                )),
                image,
                wire.text_part(&format!(
                    "The images and documents of the result of `report` (call {doc}):"
                )),
                pdf
            ])
        );
    }
    server.assert_protocol();

    // The transcript keeps the blocks, and goes on from a save.
    let saved = serde_json::to_value(&output.messages).unwrap();
    assert_eq!(saved[2]["results"][0]["content"][1]["type"], "image");
    let loaded: Vec<Message> = serde_json::from_value(saved).unwrap();
    assert_eq!(loaded, output.messages);
}

/// A user attaches an image (bytes) and a document (a URL).
async fn users_attach_images_and_documents(wire: Wire) {
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
    let expected = json!({"role": "user", "content": [
        wire.text_part("What are these?"),
        wire.image_part("image/png", PNG_BASE64),
        wire.document_url_part("https://example.com/lease.pdf")
    ]});
    assert_eq!(sent, expected);
}

each_wire!(
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
