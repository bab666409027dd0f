//! One behaviour, tested once per wire protocol: [`Api`] builds each provider's responses,
//! providers and agents, and reads each provider's requests; [`both!`] runs a test for both.

use std::time::Duration;

use serde_json::Value;
use tool_runtime::agent::RunFailure;
use tool_runtime::conversation::{ToolResult, Usage};
use tool_runtime::model::{Model, RetryPolicy};
use tool_runtime::tool::{ToolError, ToolOutput};
use tool_runtime::{Agent, Anthropic, Error, OpenAi, RunError, Toolbox};

use crate::{MockServer, Recorded, anthropic, openai, responses, weather_tools};

/// The OpenAI key the tests use: distinctive, so a leak is easy to spot.
pub const OPENAI_KEY: &str = "sk-proj-TESTKEY-openai-5ecret-0123456789abcdef";
/// The Anthropic key the tests use.
pub const ANTHROPIC_KEY: &str = "sk-ant-api03-TESTKEY-anthropic-5ecret-0123456789abcdef";
/// The seed's prompt.
pub const PROMPT: &str = "What's the weather in Tokyo and London, and what's the USD to JPY rate?";

/// Retries fast enough for tests: waits of 10–20 ms, then 20–40 ms, … up to 200 ms.
pub fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base: Duration::from_millis(20),
        max: Duration::from_millis(200),
    }
}

/// The lower bound of the `retry`-th computed wait of [`fast_retries`] (jitter keeps at least half).
pub fn min_wait(retry: u32) -> Duration {
    (Duration::from_millis(20) * 2u32.pow(retry)).min(Duration::from_millis(200)) / 2
}

/// One of the wire protocols, so that each behaviour is tested once for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// OpenAI Chat Completions.
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
    /// OpenAI Responses.
    Responses,
}

/// A tool result as it appears in a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// The call id it answers.
    pub id: String,
    /// The content.
    pub content: String,
    /// Anthropic's `is_error` (absent: `None`; OpenAI has no such field).
    pub is_error: Option<bool>,
}

impl Api {
    /// The server's base URL for this provider.
    pub fn url(self, server: &MockServer) -> String {
        match self {
            Api::OpenAi | Api::Responses => server.openai_url(),
            Api::Anthropic => server.anthropic_url(),
        }
    }

    /// The request path the server sees.
    pub fn path(self) -> &'static str {
        match self {
            Api::OpenAi => crate::OPENAI_PATH,
            Api::Anthropic => crate::ANTHROPIC_PATH,
            Api::Responses => crate::RESPONSES_PATH,
        }
    }

    /// The API key this provider is given.
    pub fn key(self) -> &'static str {
        match self {
            Api::OpenAi | Api::Responses => OPENAI_KEY,
            Api::Anthropic => ANTHROPIC_KEY,
        }
    }

    /// The provider at `url` with this retry policy and a 10 s request timeout.
    pub fn provider(self, url: String, retry: RetryPolicy) -> Box<dyn Model> {
        self.provider_with_timeout(url, retry, Duration::from_secs(10))
    }

    /// The provider at `url` with this retry policy and request timeout.
    pub fn provider_with_timeout(
        self,
        url: String,
        retry: RetryPolicy,
        timeout: Duration,
    ) -> Box<dyn Model> {
        match self {
            Api::OpenAi => Box::new(
                OpenAi::new(OPENAI_KEY)
                    .base_url(url)
                    .retry_policy(retry)
                    .timeout(timeout),
            ),
            Api::Anthropic => Box::new(
                Anthropic::new(ANTHROPIC_KEY)
                    .base_url(url)
                    .retry_policy(retry)
                    .timeout(timeout),
            ),
            Api::Responses => Box::new(
                OpenAi::new(OPENAI_KEY)
                    .base_url(url)
                    .retry_policy(retry)
                    .timeout(timeout)
                    .responses(),
            ),
        }
    }

    /// An agent for `toolbox` against the server, with fast retries.
    pub fn agent(self, server: &MockServer, toolbox: Toolbox) -> Agent {
        Agent::new(self.provider(self.url(server), fast_retries(2)), toolbox)
    }

    /// An agent for the seed's tools against the server, with `retries` fast retries.
    pub fn agent_with_retries(self, server: &MockServer, retries: u32) -> Agent {
        Agent::new(
            self.provider(self.url(server), fast_retries(retries)),
            weather_tools(),
        )
    }

    /// A call id in the provider's style.
    pub fn id(self, n: impl std::fmt::Display) -> String {
        match self {
            Api::OpenAi | Api::Responses => format!("call_{n}"),
            Api::Anthropic => format!("toolu_{n}"),
        }
    }

    /// A response asking for these calls (OpenAI gets the arguments as JSON text).
    pub fn calls(self, calls: &[(&str, &str, Value)], input: u64, output: u64) -> Value {
        match self {
            Api::OpenAi => openai::tool_call_values(
                calls
                    .iter()
                    .map(|(id, name, args)| openai::call(id, name, &args.to_string()))
                    .collect(),
                input,
                output,
            ),
            Api::Anthropic => anthropic::tool_calls(None, calls, input, output),
            Api::Responses => responses::response(
                calls
                    .iter()
                    .map(|(id, name, args)| responses::call(id, name, &args.to_string()))
                    .collect(),
                input,
                output,
            ),
        }
    }

    /// A final answer in the provider's shape.
    pub fn text(self, text: &str, input: u64, output: u64) -> Value {
        match self {
            Api::OpenAi => openai::text(text, input, output),
            Api::Anthropic => anthropic::text(text, input, output),
            Api::Responses => responses::text(text, input, output),
        }
    }

    /// The stream of a whole response built by [`calls`](Self::calls) or
    /// [`text`](Self::text), in the provider's event format, text and arguments in pieces of
    /// `piece` characters.
    pub fn sse(self, response: &Value, piece: usize) -> String {
        match self {
            Api::OpenAi => openai::to_sse(response, piece),
            Api::Anthropic => anthropic::to_sse(response, piece),
            Api::Responses => responses::to_sse(response, piece),
        }
    }

    /// An error body in the provider's own shape.
    pub fn error(self, message: &str) -> Value {
        match self {
            Api::OpenAi => openai::error(message, "server_error"),
            Api::Anthropic => anthropic::error("api_error", message),
            Api::Responses => responses::error(message, "server_error"),
        }
    }

    /// The tool results at the end of a request's conversation.
    pub fn results(self, request: &Recorded) -> Vec<Seen> {
        let messages = request.messages();
        match self {
            Api::Responses => {
                let input = request.input();
                let tail = input
                    .iter()
                    .rev()
                    .take_while(|item| item["type"] == "function_call_output")
                    .count();
                input[input.len() - tail..]
                    .iter()
                    .map(|item| Seen {
                        id: item["call_id"].as_str().unwrap().to_owned(),
                        content: item["output"].as_str().unwrap().to_owned(),
                        is_error: None,
                    })
                    .collect()
            }
            Api::OpenAi => {
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
            Api::Anthropic => {
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

/// Runs an `async fn(Api)` test once per wire: `name::openai`, `name::anthropic` and
/// `name::responses`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn openai() {
                super::$name($crate::Api::OpenAi).await
            }

            #[tokio::test]
            async fn anthropic() {
                super::$name($crate::Api::Anthropic).await
            }

            #[tokio::test]
            async fn responses() {
                super::$name($crate::Api::Responses).await
            }
        }
    )*};
}

/// Token usage with no cache writes.
pub fn usage(input_tokens: u64, output_tokens: u64, cache_read_tokens: u64) -> Usage {
    let mut usage = Usage::default();
    usage.input_tokens = input_tokens;
    usage.output_tokens = output_tokens;
    usage.cache_read_tokens = cache_read_tokens;
    usage
}

/// A transcript's answer to a call, as the model reads it: equal to any result with the same
/// call, text and error flag.
pub fn reply(call_id: &str, name: &str, content: &str, is_error: bool) -> ToolResult {
    let outcome = if is_error {
        Err(ToolError::Failed(content.to_owned()))
    } else {
        Ok(ToolOutput::text(content))
    };
    ToolResult::new(call_id, name, outcome)
}

/// The model's error that ended a run (panics when the run ended for another reason).
pub fn model_error(error: RunError) -> Error {
    match error.failure {
        RunFailure::Model(error) => error,
        other => panic!("the run did not end with a model error: {other}"),
    }
}
