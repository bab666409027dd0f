//! The loop: ask the model, run every tool call it makes, send all results back, repeat until it
//! answers.

mod event;
mod outcome;
mod stream;

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

pub use event::AgentEvent;
pub use outcome::{RunError, RunFailure, RunOutput};
pub use stream::RunStream;

use crate::conversation::{AssistantMessage, Message, ToolResult, Usage, repair_messages};
use crate::error::Error;
use crate::model::{
    Assembler, Model, ModelEvent, ModelRequest, ModelResponse, ToolChoice, buffered,
};
use crate::tool::{RunData, ToolDefinition};
use crate::toolbox::Toolbox;
use crate::turn::Turn;
use event::{EventHandler, Events, Queue};

/// Runs a conversation with a model and a [`Toolbox`] to completion.
///
/// `S` is the toolbox's state (see [`Toolbox::with_state`]); per-run data goes to
/// [`run_with`](Self::run_with). An agent is cheap to clone and can serve many runs at once:
/// each run sees its own data only.
///
/// ```no_run
/// use tool_runtime::{Agent, OpenAi, tool, tools};
///
/// /// Get the current weather for a city.
/// #[tool]
/// async fn get_weather(city: String) -> String {
///     format!("Sunny in {city}")
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let agent = Agent::new(OpenAi::from_env()?, tools![get_weather])
///     .system("You are a concise assistant.")
///     .max_turns(5);
/// let output = agent.run("What's the weather in Tokyo and London?").await?;
/// println!("{} ({} turns, {} tokens)", output.text, output.turns, output.usage.total_tokens());
/// # Ok(()) }
/// ```
pub struct Agent<S = ()> {
    model: Arc<dyn Model>,
    toolbox: Toolbox<S>,
    system: Option<String>,
    max_turns: usize,
    parallel_tool_calls: bool,
    tool_choice: ToolChoice,
    streaming: bool,
    on_event: Option<EventHandler>,
}

impl<S: Send + Sync + 'static> Agent<S> {
    /// An agent for this model and these tools: at most 10 turns, parallel tool calls allowed,
    /// the model chooses whether to call tools, answers streamed.
    pub fn new(model: impl Model + 'static, toolbox: Toolbox<S>) -> Self {
        Self {
            model: Arc::new(model),
            toolbox,
            system: None,
            max_turns: 10,
            parallel_tool_calls: true,
            tool_choice: ToolChoice::Auto,
            streaming: true,
            on_event: None,
        }
    }

    /// The system prompt.
    #[must_use]
    pub fn system(mut self, system: impl Into<String>) -> Self {
        self.system = Some(system.into());
        self
    }

    /// The most requests one run may send before it ends with [`RunFailure::MaxTurns`]
    /// (default 10).
    #[must_use]
    pub fn max_turns(mut self, max_turns: usize) -> Self {
        self.max_turns = max_turns;
        self
    }

    /// Whether the model may ask for several tool calls in one response (default: yes).
    /// `false` sends `parallel_tool_calls: false` to OpenAI and `disable_parallel_tool_use: true`
    /// to Anthropic.
    #[must_use]
    pub fn parallel_tool_calls(mut self, parallel: bool) -> Self {
        self.parallel_tool_calls = parallel;
        self
    }

    /// Whether and which tools the model must call. `Required` and `Tool` apply to the first
    /// request only (then the model chooses again), or a run could never end.
    #[must_use]
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_choice = choice;
        self
    }

    /// Whether the model's answers are streamed (default: yes): text as it is written, each
    /// tool call started the moment its arguments are complete, while the model goes on.
    /// `false` asks for whole answers ([`Model::complete`]); the transcript is the same.
    #[must_use]
    pub fn streaming(mut self, streaming: bool) -> Self {
        self.streaming = streaming;
        self
    }

    /// Calls `handler` with every [`AgentEvent`] of every run, as it happens (on the task
    /// driving the run: keep it quick).
    #[must_use]
    pub fn on_event(mut self, handler: impl Fn(&AgentEvent) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(handler));
        self
    }

    /// The model's name, e.g. `openai/gpt-4o-mini`.
    pub fn model_name(&self) -> String {
        self.model.name()
    }

    /// The tools.
    pub fn toolbox(&self) -> &Toolbox<S> {
        &self.toolbox
    }

    /// Runs `prompt` to completion.
    pub async fn run(&self, prompt: impl Into<String>) -> Result<RunOutput, RunError> {
        self.run_conversation_with(vec![Message::user(prompt)], RunData::new())
            .await
    }

    /// Runs `prompt` to completion, giving this run's tools `data` (a user id, an auth token,
    /// a request-scoped client), which they take as [`Run<T>`](crate::Run) parameters or read
    /// from their [`CallContext`](crate::CallContext). Other runs of the same agent, at the same
    /// time or later, never see it.
    ///
    /// A run whose tools take a type of data it was not given ends at once with
    /// [`RunFailure::MissingRunData`], before the model is asked anything.
    ///
    /// ```
    /// use tool_runtime::{Agent, OfflineModel, Run, RunData, tool, tools};
    ///
    /// struct UserId(u64);
    ///
    /// /// The asking user's open orders.
    /// #[tool]
    /// fn my_orders(Run(user): Run<UserId>) -> String {
    ///     format!("user {} has 2 open orders", user.0)
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tool_runtime::RunError> {
    /// let agent = Agent::new(OfflineModel::new(), tools![my_orders]);
    /// let output = agent
    ///     .run_with("What are my orders?", RunData::new().with(UserId(7)))
    ///     .await?;
    /// assert!(output.text.contains("user 7 has 2 open orders"));
    ///
    /// let error = agent.run("What are my orders?").await.unwrap_err();
    /// assert!(error.to_string().contains("takes per-run data of type"));
    /// # Ok(()) }
    /// ```
    pub async fn run_with(
        &self,
        prompt: impl Into<String>,
        data: RunData,
    ) -> Result<RunOutput, RunError> {
        self.run_conversation_with(vec![Message::user(prompt)], data)
            .await
    }

    /// Continues a conversation (e.g. a previous run's `messages` plus a new user message).
    /// The transcript is repaired first, so one saved after a crash can be sent as it is.
    ///
    /// Dropping the returned future stops the run at once: the model request in flight is
    /// abandoned, every tool call still running is aborted and its cancellation token fires (a
    /// synchronous tool already on the blocking pool finishes on its own unless it watches its
    /// token), and nothing is handed back. A run that fails hands back its transcript in the
    /// [`RunError`].
    pub async fn run_conversation(&self, messages: Vec<Message>) -> Result<RunOutput, RunError> {
        self.run_conversation_with(messages, RunData::new()).await
    }

    /// Continues a conversation, giving this run's tools `data`: [`run_conversation`] and
    /// [`run_with`] together.
    ///
    /// [`run_conversation`]: Self::run_conversation
    /// [`run_with`]: Self::run_with
    pub async fn run_conversation_with(
        &self,
        messages: Vec<Message>,
        data: RunData,
    ) -> Result<RunOutput, RunError> {
        self.run_loop(messages, data, None).await
    }

    /// Runs `prompt`, yielding every [`AgentEvent`] as it happens, then
    /// [`AgentEvent::Finished`] with the output (or the [`RunError`]). Nothing runs until the
    /// stream is polled; dropping it stops the run as dropping [`run`](Self::run)'s future does.
    ///
    /// ```
    /// use tool_runtime::{Agent, AgentEvent, OfflineModel, tool, tools};
    ///
    /// /// Get the current weather for a city.
    /// #[tool]
    /// async fn get_weather(city: String) -> String {
    ///     format!("Sunny in {city}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tool_runtime::RunError> {
    /// let agent = Agent::new(OfflineModel::new(), tools![get_weather]);
    /// let mut events = agent.stream("Weather in Tokyo?");
    /// let mut answer = String::new();
    /// while let Some(event) = events.next().await {
    ///     match event? {
    ///         AgentEvent::TextDelta { text, .. } => answer.push_str(&text),
    ///         AgentEvent::ToolCallStarted { call, .. } => println!("calling {}", call.name),
    ///         AgentEvent::Finished(output) => assert_eq!(output.text, answer),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream(&self, prompt: impl Into<String>) -> RunStream<'_> {
        self.stream_conversation(vec![Message::user(prompt)])
    }

    /// Continues a conversation as [`run_conversation`](Self::run_conversation) does, yielding
    /// every event as [`stream`](Self::stream) does.
    pub fn stream_conversation(&self, messages: Vec<Message>) -> RunStream<'_> {
        RunStream::new(
            messages,
            Box::new(move |messages, data, queue| {
                Box::pin(async move { self.run_loop(messages, data, Some(queue)).await })
            }),
        )
    }

    /// The loop, its events going to the handler and, for a stream, to `queue`.
    async fn run_loop(
        &self,
        mut messages: Vec<Message>,
        data: RunData,
        queue: Option<Arc<Queue>>,
    ) -> Result<RunOutput, RunError> {
        let events = Events {
            handler: self.on_event.as_ref(),
            queue: queue.as_deref(),
        };
        repair_messages(&mut messages);
        if let Some(failure) = self.missing_run_data(&data) {
            return Err(RunError::new(failure, messages, Usage::default(), 0));
        }
        let tools: Vec<&ToolDefinition> = self.toolbox.definitions().collect();
        let mut usage = Usage::default();
        let mut tool_choice = self.tool_choice.clone();
        for turn in 1..=self.max_turns {
            events.emit(|| AgentEvent::TurnStarted { turn });
            let mut request = ModelRequest::new(&messages)
                .tools(&tools)
                .tool_choice(&tool_choice)
                .parallel_tool_calls(self.parallel_tool_calls);
            request.system = self.system.as_deref();
            let mut calls = self.toolbox.turn().with_run_data(data.clone());
            let response = match self.respond(turn, request, &mut calls, events).await {
                Ok(response) => response,
                Err((error, partial)) => {
                    // The calls that started are in the transcript, each with its result (those
                    // still running are cancelled); a call never started is not.
                    let results = calls.cancel();
                    if !partial.tool_calls.is_empty() {
                        messages.push(Message::Assistant(partial));
                        messages.push(Message::ToolResults { results });
                    }
                    let failure = RunFailure::Model(error);
                    return Err(RunError::new(failure, messages, usage, turn));
                }
            };
            usage += response.usage;
            events.emit(|| AgentEvent::ModelResponded {
                turn,
                message: response.message.clone(),
                usage: response.usage,
            });
            if response.message.tool_calls.is_empty() {
                let text = response.message.text.clone().unwrap_or_default();
                messages.push(Message::Assistant(response.message));
                let output = RunOutput {
                    text,
                    messages,
                    usage,
                    turns: turn,
                };
                return Ok(events.finished(output));
            }
            if matches!(tool_choice, ToolChoice::Required | ToolChoice::Tool(_)) {
                tool_choice = ToolChoice::Auto;
            }
            let results = Self::finish(turn, calls, events).await;
            messages.push(Message::Assistant(response.message));
            messages.push(Message::ToolResults { results });
        }
        let failure = RunFailure::MaxTurns {
            limit: self.max_turns,
        };
        Err(RunError::new(failure, messages, usage, self.max_turns))
    }

    /// The first type of per-run data a tool takes that `data` does not have.
    fn missing_run_data(&self, data: &RunData) -> Option<RunFailure> {
        self.toolbox.definitions().find_map(|definition| {
            let need = definition
                .run_data_needs()
                .iter()
                .find(|need| !need.is_met_by(data))?;
            Some(RunFailure::MissingRunData {
                tool: definition.name().to_owned(),
                type_name: need.type_name(),
            })
        })
    }

    /// Asks the model, starting each tool call in `calls` the moment it arrives. A response that
    /// fails part way gives back what had arrived.
    async fn respond(
        &self,
        turn: usize,
        request: ModelRequest<'_>,
        calls: &mut Turn<'_>,
        events: Events<'_>,
    ) -> Result<ModelResponse, (Error, AssistantMessage)> {
        let mut stream = if self.streaming {
            self.model.stream(request)
        } else {
            buffered(self.model.complete(request))
        };
        let mut response = Assembler::default();
        loop {
            // The model's next event, or (for listeners) a call that finished meanwhile.
            let step = poll_fn(|cx| {
                if let Poll::Ready(event) = stream.as_mut().poll_next(cx) {
                    return Poll::Ready(Step::Model(event));
                }
                if events.on()
                    && let Poll::Ready(Some((index, result))) = pin!(calls.next()).poll(cx)
                {
                    return Poll::Ready(Step::CallFinished(index, result.clone()));
                }
                Poll::Pending
            })
            .await;
            let event = match step {
                Step::Model(None) => break,
                Step::Model(Some(Ok(event))) => event,
                Step::Model(Some(Err(error))) => return Err((error, response.into_partial())),
                Step::CallFinished(index, result) => {
                    events.emit(|| AgentEvent::ToolCallFinished {
                        turn,
                        index,
                        result,
                    });
                    continue;
                }
            };
            match &event {
                ModelEvent::TextDelta(text) => events.emit(|| AgentEvent::TextDelta {
                    turn,
                    text: text.clone(),
                }),
                ModelEvent::ToolCallDelta(delta) => events.emit(|| AgentEvent::ToolCallDelta {
                    turn,
                    delta: delta.clone(),
                }),
                ModelEvent::ToolCall(call) => {
                    let index = calls.start(call);
                    events.emit(|| AgentEvent::ToolCallStarted {
                        turn,
                        index,
                        call: call.clone(),
                    });
                }
                _ => {}
            }
            response.push(event);
        }
        if !response.is_finished() {
            let error = Error::stream_incomplete(self.model.name());
            return Err((error, response.into_partial()));
        }
        response
            .finish(&self.model.name())
            .map_err(|error| (error, AssistantMessage::default()))
    }

    /// Waits for every call, reporting each result as it arrives.
    async fn finish(turn: usize, mut calls: Turn<'_>, events: Events<'_>) -> Vec<ToolResult> {
        if events.on() {
            while let Some((index, result)) = calls.next().await {
                events.emit(|| AgentEvent::ToolCallFinished {
                    turn,
                    index,
                    result: result.clone(),
                });
            }
        }
        calls.finish().await
    }
}

/// What a turn waits for next.
enum Step {
    Model(Option<crate::Result<crate::ModelEvent>>),
    CallFinished(usize, ToolResult),
}

impl<S> Clone for Agent<S> {
    fn clone(&self) -> Self {
        Self {
            model: self.model.clone(),
            toolbox: self.toolbox.clone(),
            system: self.system.clone(),
            max_turns: self.max_turns,
            parallel_tool_calls: self.parallel_tool_calls,
            tool_choice: self.tool_choice.clone(),
            streaming: self.streaming,
            on_event: self.on_event.clone(),
        }
    }
}

impl<S> fmt::Debug for Agent<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("model", &self.model.name())
            .field("toolbox", &self.toolbox)
            .field("max_turns", &self.max_turns)
            .field("parallel_tool_calls", &self.parallel_tool_calls)
            .field("tool_choice", &self.tool_choice)
            .field("streaming", &self.streaming)
            .finish_non_exhaustive()
    }
}
