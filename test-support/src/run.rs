//! What the tests expect of a run: retries fast enough to wait for, token usage, the answer to a
//! call, the model's error that ended it.

use std::time::Duration;

use tool_runtime::agent::RunFailure;
use tool_runtime::conversation::{ToolResult, Usage};
use tool_runtime::model::RetryPolicy;
use tool_runtime::tool::{ToolError, ToolOutput};
use tool_runtime::{Error, RunError};

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
