//! [`WholeMessage`]: a model whose streamed events wait for the whole message.

use std::collections::VecDeque;
use std::future::poll_fn;

use tool_runtime::model::{Model, ModelFuture, ModelRequest, ModelStream};

/// Hands on a model's streamed events only once the whole message has arrived: what a loop
/// without eager tool starts amounts to, for comparisons with the real thing.
#[derive(Debug, Clone)]
pub struct WholeMessage<M>(pub M);

impl<M: Model> Model for WholeMessage<M> {
    fn name(&self) -> String {
        self.0.name()
    }

    fn complete<'a>(&'a self, request: ModelRequest<'a>) -> ModelFuture<'a> {
        self.0.complete(request)
    }

    fn stream<'a>(&'a self, request: ModelRequest<'a>) -> ModelStream<'a> {
        let inner = self.0.stream(request);
        Box::pin(futures_util::stream::unfold(
            (Some(inner), VecDeque::new()),
            |(inner, mut ready)| async move {
                if let Some(mut stream) = inner {
                    while let Some(event) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
                        ready.push_back(event);
                    }
                }
                let event = ready.pop_front()?;
                Some((event, (None, ready)))
            },
        ))
    }
}
