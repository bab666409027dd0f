//! `model::from_env`: the environment picks the model. Each case runs in a child process of this
//! test (the environment is the process's own), against a local server standing in for the APIs.

use std::process::Stdio;

use support::{MockServer, Reply, Wire};
use tool_runtime::Message;
use tool_runtime::model::ModelRequest;

/// Set when this binary runs as the child that asks `from_env` for a model.
const CHILD: &str = "CHOOSE_MODEL_CHILD";

/// In a child: asks the environment for a model and asks it one question; prints what it got.
#[tokio::test]
async fn child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let line = match tool_runtime::model::from_env() {
        Err(error) => format!("error: {error} (config: {})", error.is_config()),
        Ok(model) => {
            let messages = [Message::user("Hi?")];
            match model.complete(ModelRequest::new(&messages)).await {
                Ok(response) => format!("{} said {}", model.name(), response.message.text.unwrap()),
                Err(error) => format!("{} failed: {error}", model.name()),
            }
        }
    };
    println!("CHOSEN {line}");
}

/// What the child prints, with `env` set (and the keys and choices of the outer environment
/// removed).
async fn choose(env: &[(&str, &str)]) -> String {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for var in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_MODEL",
        "OPENAI_API",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_MODEL",
        "TOOL_PROVIDER",
    ] {
        child.env_remove(var);
    }
    child.envs(env.iter().copied());
    // Off the runtime's thread, which serves the stand-in APIs meanwhile.
    let output = tokio::task::spawn_blocking(move || child.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.split_once("CHOSEN ").map(|(_, chosen)| chosen))
        .unwrap_or_else(|| panic!("no answer from the child: {stdout}"))
        .to_owned()
}

#[tokio::test]
async fn the_environment_picks_the_model_and_its_wire() {
    let server = MockServer::start().await;
    server.fallback(|request| {
        let wire = Wire::serving(&request.path).unwrap();
        Reply::json(wire.text(&format!("hello over {}", request.path), 1, 1))
    });
    let openai = server.openai_url();
    let anthropic = server.anthropic_url();

    // No key: the offline model.
    assert!(
        choose(&[]).await.starts_with("offline"),
        "{}",
        choose(&[]).await
    );
    // A key: its provider; OpenAI speaks Chat Completions unless told otherwise.
    let chat = [("OPENAI_API_KEY", "sk-test"), ("OPENAI_BASE_URL", &openai)];
    assert_eq!(
        choose(&chat).await,
        "openai/gpt-4o-mini said hello over /v1/chat/completions"
    );
    let responses = [
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", &openai),
        ("OPENAI_API", "responses"),
        ("OPENAI_MODEL", "gpt-5-mini"),
    ];
    assert_eq!(
        choose(&responses).await,
        "openai/gpt-5-mini said hello over /v1/responses"
    );
    let claude = [
        ("ANTHROPIC_API_KEY", "sk-ant"),
        ("ANTHROPIC_BASE_URL", &anthropic),
    ];
    assert_eq!(
        choose(&claude).await,
        "anthropic/claude-sonnet-4-5 said hello over /v1/messages"
    );
    // Both keys: OpenAI, unless TOOL_PROVIDER picks.
    let both = [
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", openai.as_str()),
        ("ANTHROPIC_API_KEY", "sk-ant"),
        ("ANTHROPIC_BASE_URL", anthropic.as_str()),
    ];
    assert!(choose(&both).await.starts_with("openai/"));
    let picked = [both.as_slice(), &[("TOOL_PROVIDER", "Anthropic")]].concat();
    assert!(choose(&picked).await.starts_with("anthropic/"));
    let offline = [both.as_slice(), &[("TOOL_PROVIDER", "offline")]].concat();
    assert!(choose(&offline).await.starts_with("offline"));
}

#[tokio::test]
async fn a_choice_the_environment_cannot_keep_is_a_config_error() {
    let unknown = choose(&[("TOOL_PROVIDER", "mistral")]).await;
    assert_eq!(
        unknown,
        "error: environment: TOOL_PROVIDER is \"mistral\"; use one of: openai, anthropic, offline (config: true)"
    );
    let keyless = choose(&[("TOOL_PROVIDER", "openai")]).await;
    assert!(keyless.contains("OPENAI_API_KEY is not set"), "{keyless}");
    assert!(keyless.ends_with("(config: true)"), "{keyless}");
    let api = choose(&[("OPENAI_API_KEY", "sk-test"), ("OPENAI_API", "grpc")]).await;
    assert!(
        api.contains("OPENAI_API is \"grpc\"; use one of: chat, responses"),
        "{api}"
    );
}
