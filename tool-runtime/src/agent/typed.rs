//! [`TypedRun`]: a run that asks for a typed final answer, and [`Answer`], what it gives back.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::request::RunRequest;
use super::{RunError, RunOutput};
use crate::run::answer::AnswerSpec;

/// The final answer of a typed run, decoded, beside the run's output.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer<T> {
    /// The answer.
    pub value: T,
    /// The run: the answer's JSON text, the conversation, the usage.
    pub output: RunOutput,
}

/// A run that asks for a typed final answer: made by [`RunRequest::output`]; `.await` it.
///
/// The model is asked for a `T` with the provider's structured output where the model has it
/// (OpenAI's `response_format` with a strict JSON schema when the schema allows it, Anthropic's
/// `output_config.format`), otherwise with a final tool the model calls with the answer. The
/// answer is checked against `T`'s schema (every violation at once) and decoded; a bad one is
/// sent back to the model with what is wrong, at most `retries` times (default 2), after which
/// the run ends with [`RunFailure::InvalidAnswer`](crate::agent::RunFailure::InvalidAnswer).
pub struct TypedRun<'a, S, T> {
    request: RunRequest<'a, S>,
    retries: usize,
    answer: PhantomData<fn() -> T>,
}

impl<'a, S, T> TypedRun<'a, S, T> {
    pub(super) fn new(request: RunRequest<'a, S>) -> Self {
        Self {
            request,
            retries: 2,
            answer: PhantomData,
        }
    }

    /// How many bad answers are sent back to the model before the run fails (default 2).
    #[must_use]
    pub fn retries(mut self, retries: usize) -> Self {
        self.retries = retries;
        self
    }
}

impl<'a, S, T> IntoFuture for TypedRun<'a, S, T>
where
    S: Send + Sync + 'static,
    T: DeserializeOwned + JsonSchema + Send + 'static,
{
    type Output = Result<Answer<T>, RunError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let toolbox = self.request.agent.toolbox();
        let answer = AnswerSpec::of::<T>(self.retries, |name| toolbox.get(name).is_some());
        let RunRequest { agent, job } = self.request.with_answer(answer);
        Box::pin(async move {
            let (output, value) = agent.execute(job, None).await?;
            // The answer was checked and decoded as a `T` once, by the run.
            match value.and_then(|value| value.downcast::<T>().ok()) {
                Some(value) => Ok(Answer {
                    value: *value,
                    output,
                }),
                None => Err(RunError::undecoded(output)),
            }
        })
    }
}

impl<S, T> fmt::Debug for TypedRun<'_, S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedRun")
            .field("answer", &std::any::type_name::<T>())
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}
