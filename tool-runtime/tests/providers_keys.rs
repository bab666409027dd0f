//! API keys never show: not in `Debug`, `Display`, error sources or `tracing` output.

use serde_json::json;
use support::{
    ANTHROPIC_KEY, CapturedLogs, MockServer, OPENAI_KEY, PROMPT, Reply, Wire, fast_retries,
    weather_tools,
};
use tool_runtime::{Agent, Anthropic, OpenAi};
use tracing_subscriber::fmt::format::FmtSpan;

// ---------------------------------------------------------------------------------------------
// API keys never show.
// ---------------------------------------------------------------------------------------------

/// Everything a program may print about a provider, an agent and its errors, plus every `tracing`
/// line of runs that retry, call tools, fail on a status and fail to connect: no key anywhere.
/// (Runs on the test's own thread, where the subscriber is installed.)
#[tokio::test(flavor = "current_thread")]
async fn api_keys_never_show() {
    let captured = CapturedLogs::start(tracing::Level::TRACE, FmtSpan::FULL);

    let mut printed = Vec::new();
    for wire in Wire::ALL {
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
        server.push(Reply::status_json(401, wire.key_refused()));
        let agent = wire.agent(&server, weather_tools());
        let output = agent.run(PROMPT).await.unwrap();
        assert_eq!(output.text, "done");
        // The key did go out, as a header.
        assert!(
            server.requests()[0]
                .headers
                .iter()
                .any(|(_, value)| value.contains(wire.key))
        );
        let status_error = agent.run(PROMPT).await.unwrap_err();
        assert_eq!(status_error.model_error().unwrap().status(), Some(401));

        let refused = Agent::new(
            wire.provider(support::refused_url().await, fast_retries(1)),
            weather_tools(),
        );
        let connect_error = refused.run(PROMPT).await.unwrap_err();
        assert!(connect_error.model_error().unwrap().is_connect());

        printed.push(format!("{agent:?}"));
        printed.push(format!("{agent:#?}"));
        printed.push(format!("{refused:?}"));
        printed.push(format!("{output:?}"));
        for error in [&status_error, &connect_error] {
            printed.push(format!("{error:?}"));
            printed.push(format!("{error:#?}"));
            printed.push(error.to_string());
            let model_error = error.model_error().unwrap();
            printed.push(format!("{model_error:?}"));
            printed.push(model_error.to_string());
            printed.push(format!("{:?}", model_error.raw_body()));
            let mut source = std::error::Error::source(model_error);
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
