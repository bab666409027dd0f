//! The loop: ask the model, run every tool call it makes, send all results back, repeat until it
//! answers.

mod event;
mod outcome;
mod pause;
mod request;
mod stream;
mod typed;

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;

pub use event::AgentEvent;
pub use outcome::{RunError, RunFailure, RunOutput};
pub use pause::{Decision, PausedRun};
pub use request::RunRequest;
pub use stream::RunStream;
pub use typed::{Answer, TypedRun};

use crate::conversation::{
    AssistantMessage, Message, ToolCall, ToolResult, Usage, repair_messages,
};
use crate::error::Error;
use crate::model::{
    Assembler, Model, ModelEvent, ModelRequest, ModelResponse, ToolChoice, buffered,
};
use crate::tool::{CallContext, RunData, ToolDefinition, ToolError, ToolOutput};
use crate::toolbox::Toolbox;
use crate::turn::{CallHooks, Outcome, Turn, Verdict};
use event::{EventHandler, Events, Queue};
use request::{Job, Start};
use typed::{Form, OutputSpec};

/// Runs a conversation with a model and a [`Toolbox`] to completion.
///
/// `S` is the toolbox's state (see [`Toolbox::with_state`]); per-run data goes to
/// [`RunRequest::with_run_data`]. An agent is cheap to clone and can serve many runs at once:
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
    hooks: CallHooks,
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
            hooks: CallHooks::new(),
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

    /// Runs `hook` before every tool call of every run: it lets the call run, denies it (the
    /// reason is the call's error result), or runs it with other arguments (see
    /// [`CallHooks::before`]).
    ///
    /// ```
    /// use tool_runtime::{Agent, OfflineModel, Verdict, tool, tools};
    ///
    /// /// Search the web.
    /// #[tool]
    /// async fn search(query: String) -> String {
    ///     format!("results for {query}")
    /// }
    ///
    /// let agent = Agent::new(OfflineModel::new(), tools![search]).before_call(|call, _ctx| {
    ///     let verdict = match call.arguments.get::<String>("query") {
    ///         Some(query) if query.contains("password") => Verdict::Deny("Not that.".into()),
    ///         _ => Verdict::Run,
    ///     };
    ///     async move { verdict }
    /// });
    /// # let _ = agent;
    /// ```
    #[must_use]
    pub fn before_call<F>(
        mut self,
        hook: impl Fn(&ToolCall, &CallContext) -> F + Send + Sync + 'static,
    ) -> Self
    where
        F: Future<Output = Verdict> + Send + 'static,
    {
        self.hooks = self.hooks.before(hook);
        self
    }

    /// Runs `hook` after every tool call of every run that ran: it sees the outcome and returns
    /// the one the model reads (see [`CallHooks::after`] for the calls it does not see).
    #[must_use]
    pub fn after_call<F>(
        mut self,
        hook: impl Fn(&ToolCall, &CallContext, Outcome) -> F + Send + Sync + 'static,
    ) -> Self
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        self.hooks = self.hooks.after(hook);
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

    /// A run of `prompt`: `.await` it for the answer (see [`RunRequest`] for per-run data,
    /// cancellation, typed answers and streams).
    ///
    /// # Stopping a run
    ///
    /// - [`RunRequest::with_cancellation`], then firing the token: the run ends with
    ///   [`RunFailure::Cancelled`] and hands back the transcript, repaired (every call that
    ///   started answered: its result, or `Cancelled`; a response cut short kept up to its last
    ///   complete call), and the usage so far. Running tools see their own token fire.
    /// - Dropping the future (or `tokio::time::timeout` around it): the run stops at once and
    ///   hands back nothing; running tools see their token fire (a synchronous tool already on
    ///   the blocking pool finishes on its own unless it watches its token).
    /// - A tool that [needs approval](crate::ToolDefinition::needs_approval): the run ends with
    ///   [`RunFailure::Paused`], holding everything needed to [`resume`](Self::resume) it.
    /// - [`max_turns`](Self::max_turns): [`RunFailure::MaxTurns`], with the transcript.
    ///
    /// ```no_run
    /// # use tool_runtime::{Agent, OpenAi, tools};
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let agent = Agent::new(OpenAi::from_env()?, tools![]);
    /// let output = agent.run("What's the weather in Tokyo?").await?;
    /// println!("{}", output.text);
    /// # Ok(()) }
    /// ```
    pub fn run(&self, prompt: impl Into<String>) -> RunRequest<'_, S> {
        self.run_conversation(vec![Message::user(prompt)])
    }

    /// A run that continues a conversation (e.g. a previous run's `messages` plus a new user
    /// message). The transcript is repaired first, so one saved after a crash can be sent as
    /// it is.
    pub fn run_conversation(&self, messages: Vec<Message>) -> RunRequest<'_, S> {
        RunRequest::new(self, Start::Conversation(messages))
    }

    /// A run that resumes a [`PausedRun`] with a decision per waiting call, by call id: the
    /// approved calls run, the denied ones are answered with the reason, and the run goes on
    /// from there. A call without a decision keeps waiting: the run pauses again at once, with
    /// the decided calls' results kept. (Of two decisions on one id, the last counts.)
    ///
    /// A decision on a call that does not wait (a typo, a stale id), a paused run that does not
    /// hold together, or a tool's missing per-run data: nothing runs, and the run ends with
    /// [`RunFailure::NotResumed`], which hands the paused run back.
    ///
    /// The agent needs the paused run's tools; it may be another agent than the one that paused
    /// (in another process, after the state was saved).
    pub fn resume(
        &self,
        paused: PausedRun,
        decisions: impl IntoIterator<Item = (impl Into<String>, Decision)>,
    ) -> RunRequest<'_, S> {
        let decisions = decisions
            .into_iter()
            .map(|(id, decision)| (id.into(), decision))
            .collect();
        RunRequest::new(self, Start::Resume(Box::new(paused), decisions))
    }

    /// Runs `prompt`, yielding every [`AgentEvent`] as it happens, then
    /// [`AgentEvent::Finished`] with the output (or the [`RunError`]): short for
    /// `agent.run(prompt).stream()`. Nothing runs until the stream is polled; dropping it stops
    /// the run.
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
        self.run(prompt).stream()
    }

    /// The loop, its events going to the handler and, for a stream, to `queue`.
    async fn run_loop(&self, job: Job, queue: Option<Arc<Queue>>) -> Result<RunOutput, RunError> {
        let Job {
            start,
            data,
            cancel,
            output,
        } = job;
        let run = Loop {
            agent: self,
            events: Events {
                handler: self.on_event.as_ref(),
                queue: queue.as_deref(),
            },
            data,
            stop: cancel.clone(),
            output: output.as_ref(),
        };
        let mut stop = pin!(async move {
            match &cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        });
        run.run(start, stop.as_mut()).await
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
}

/// The cancellation a run watches: a future that completes when its token fires.
type Stop<'s> = Pin<&'s mut (dyn Future<Output = ()> + Send)>;

/// One run's loop: its agent, where its events go, and what it was given.
struct Loop<'r, S> {
    agent: &'r Agent<S>,
    events: Events<'r>,
    data: RunData,
    stop: Option<tokio_util::sync::CancellationToken>,
    /// The typed answer asked for, if any.
    output: Option<&'r OutputSpec>,
}

/// How one turn's calls ended.
enum Settled {
    /// Every call has its result (one per call of the message, in its order).
    Answered(Vec<ToolResult>),
    /// Some calls wait for approval: the results of those that ran, `None` for those.
    Waiting(Vec<Option<ToolResult>>),
    /// The run was cancelled: the results, those that never came `Cancelled`.
    Cancelled(Vec<ToolResult>),
}

/// The calls of one turn: those started (in `turn`, with their place in the message) and those
/// held for approval or taken as the final answer.
struct Calls<'t> {
    turn: Turn<'t>,
    /// The place in the message of each call started, by its index in the turn.
    places: Vec<usize>,
    /// How many calls the message has so far.
    count: usize,
    /// The places of the calls that wait for approval.
    held: Vec<usize>,
    /// Whether the final-answer tool is offered this turn.
    final_tool: bool,
    /// The place and the arguments' text of each call of the final-answer tool (one is
    /// expected; the first is taken).
    answers: Vec<(usize, String)>,
}

impl<S: Send + Sync + 'static> Loop<'_, S> {
    async fn run(&self, start: Start, mut stop: Stop<'_>) -> Result<RunOutput, RunError> {
        let agent = self.agent;
        let missing = agent.missing_run_data(&self.data);
        let (mut messages, mut usage, first_turn, resumed) = match start {
            Start::Conversation(mut messages) => {
                repair_messages(&mut messages);
                if let Some(failure) = missing {
                    return Err(RunError::new(failure, messages, Usage::default(), 0));
                }
                (messages, Usage::default(), 1, None)
            }
            Start::Resume(paused, decisions) => {
                let problem = match missing {
                    Some(failure) => Some(failure.to_string()),
                    None => paused.problem(&decisions),
                };
                if let Some(problem) = problem {
                    let (messages, usage) = (paused.messages.clone(), paused.usage);
                    let failure = RunFailure::NotResumed { problem, paused };
                    return Err(RunError::new(failure, messages, usage, 0));
                }
                let PausedRun {
                    mut messages,
                    assistant,
                    results,
                    usage,
                    turn,
                } = *paused;
                repair_messages(&mut messages);
                (messages, usage, turn, Some((assistant, results, decisions)))
            }
        };
        let mut turn = first_turn;
        let mut retries = 0;
        if let Some((assistant, results, decisions)) = resumed {
            let settled = self
                .resume(turn, &assistant, results, &decisions, stop.as_mut())
                .await;
            match settled {
                Settled::Answered(results) => {
                    messages.push(Message::Assistant(assistant));
                    messages.push(Message::ToolResults { results });
                    turn = turn.saturating_add(1);
                }
                Settled::Waiting(results) => {
                    return Err(self.paused(messages, assistant, results, usage, turn));
                }
                Settled::Cancelled(results) => {
                    messages.push(Message::Assistant(assistant));
                    messages.push(Message::ToolResults { results });
                    return Err(RunError::new(RunFailure::Cancelled, messages, usage, turn));
                }
            }
        }

        let mut tools: Vec<&ToolDefinition> = agent.toolbox.definitions().collect();
        let toolbox_tools = tools.len();
        let mut tool_choice = agent.tool_choice.clone();
        while turn <= agent.max_turns {
            if self.stop.as_ref().is_some_and(|token| token.is_cancelled()) {
                return Err(RunError::new(
                    RunFailure::Cancelled,
                    messages,
                    usage,
                    turn - 1,
                ));
            }
            self.events.emit(|| AgentEvent::TurnStarted { turn });
            // Asked every turn: a model that stopped sending optional parts (a server refused
            // them) may no longer give the answer's shape natively.
            let answer_tool = self
                .output
                .map(|spec| &spec.definition)
                .filter(|definition| !agent.model.native_output(definition));
            tools.truncate(toolbox_tools);
            tools.extend(answer_tool);
            let mut request = ModelRequest::new(&messages)
                .tools(&tools)
                // The run ends when the final tool is called: the model must call a tool.
                .tool_choice(match answer_tool {
                    Some(_) => &ToolChoice::Required,
                    None => &tool_choice,
                })
                .parallel_tool_calls(agent.parallel_tool_calls);
            request.system = agent.system.as_deref();
            if answer_tool.is_none() {
                request.output = self.output.map(|spec| &spec.definition);
            }
            let mut calls = self.calls();
            calls.final_tool = answer_tool.is_some();
            let response = match self.respond(turn, request, &mut calls, stop.as_mut()).await {
                Ok(response) => response,
                Err((failure, partial)) => {
                    // The calls that arrived are in the transcript, each with its result (those
                    // still running, and those held, `Cancelled`); a call never made is not.
                    if !partial.tool_calls.is_empty() {
                        let results = calls.cancel(&partial).await;
                        messages.push(Message::Assistant(partial));
                        messages.push(Message::ToolResults { results });
                    }
                    return Err(RunError::new(failure, messages, usage, turn));
                }
            };
            usage += response.usage;
            self.events.emit(|| AgentEvent::ModelResponded {
                turn,
                message: response.message.clone(),
                usage: response.usage,
            });
            let message = response.message;
            if message.tool_calls.is_empty() {
                let text = message.text.clone().unwrap_or_default();
                messages.push(Message::Assistant(message));
                match self.output.map(|spec| spec.check(&text, Form::Text)) {
                    None => return Ok(self.finished(text, messages, usage, turn)),
                    Some(Ok(answer)) => return Ok(self.finished(answer, messages, usage, turn)),
                    Some(Err(problem)) => {
                        self.bad_answer(&mut retries, &problem, &text, &messages, usage, turn)?;
                        messages.push(Message::user(problem));
                        turn += 1;
                        continue;
                    }
                }
            }
            if matches!(tool_choice, ToolChoice::Required | ToolChoice::Tool(_)) {
                tool_choice = ToolChoice::Auto;
            }
            let answers = std::mem::take(&mut calls.answers);
            match self
                .settle(turn, calls, &message, &answers, stop.as_mut())
                .await
            {
                Settled::Answered(mut results) => {
                    let answer = self.take_answer(&answers, &message, &mut results);
                    messages.push(Message::Assistant(message));
                    messages.push(Message::ToolResults { results });
                    match answer {
                        Some(Ok(answer)) => {
                            return Ok(self.finished(answer, messages, usage, turn));
                        }
                        Some(Err((problem, text))) => {
                            self.bad_answer(&mut retries, &problem, &text, &messages, usage, turn)?;
                        }
                        None => {}
                    }
                }
                Settled::Waiting(mut results) => {
                    for (place, _) in &answers {
                        // Given before the results it would rest on: asked for again later.
                        let not_taken = ToolError::Failed(
                            "The answer was not taken: other calls of this turn wait for \
                             approval. Give the final answer once their results are in."
                                .to_owned(),
                        );
                        results[*place] =
                            Some(ToolResult::error(&message.tool_calls[*place], not_taken));
                    }
                    return Err(self.paused(messages, message, results, usage, turn));
                }
                Settled::Cancelled(results) => {
                    messages.push(Message::Assistant(message));
                    messages.push(Message::ToolResults { results });
                    return Err(RunError::new(RunFailure::Cancelled, messages, usage, turn));
                }
            }
            turn += 1;
        }
        let failure = RunFailure::MaxTurns {
            limit: agent.max_turns,
        };
        Err(RunError::new(failure, messages, usage, agent.max_turns))
    }

    /// Checks the first final-answer call of a turn whose calls all ran, and fills in every
    /// answer call's result: "Answer received." or what is wrong with it; any further answer of
    /// the turn is not taken. The answer, or what is wrong with it and its text.
    fn take_answer(
        &self,
        answers: &[(usize, String)],
        message: &AssistantMessage,
        results: &mut [ToolResult],
    ) -> Option<Result<String, (String, String)>> {
        let spec = self.output?;
        let ((first, text), others) = answers.split_first()?;
        let checked = spec.check(text, Form::Tool);
        let call = &message.tool_calls[*first];
        results[*first] = ToolResult::new(
            call.id.clone(),
            call.name.clone(),
            match &checked {
                Ok(_) => Ok(ToolOutput::text("Answer received.")),
                Err(problem) => Err(ToolError::Failed(problem.clone())),
            },
        );
        for (place, _) in others {
            let not_taken = ToolError::Failed(
                "The answer was not taken: give one final answer, in one call.".to_owned(),
            );
            results[*place] = ToolResult::error(&message.tool_calls[*place], not_taken);
        }
        Some(checked.map_err(|problem| (problem, text.clone())))
    }

    /// A new turn's calls, with this run's data, hooks and cancellation.
    fn calls(&self) -> Calls<'_> {
        let agent = self.agent;
        let mut turn = agent
            .toolbox
            .turn()
            .with_run_data(self.data.clone())
            .with_hooks(&agent.hooks);
        if let Some(token) = &self.stop {
            turn = turn.with_cancellation(token);
        }
        Calls {
            turn,
            places: Vec::new(),
            count: 0,
            held: Vec::new(),
            final_tool: false,
            answers: Vec::new(),
        }
    }

    /// Asks the model, starting each tool call the moment it arrives (holding those that need
    /// approval, and a final answer). A response that fails or is cancelled part way gives back
    /// what had arrived.
    async fn respond(
        &self,
        turn: usize,
        request: ModelRequest<'_>,
        calls: &mut Calls<'_>,
        mut stop: Stop<'_>,
    ) -> Result<ModelResponse, (RunFailure, AssistantMessage)> {
        let agent = self.agent;
        let events = self.events;
        let mut stream = if agent.streaming {
            agent.model.stream(request)
        } else {
            buffered(agent.model.complete(request))
        };
        let mut response = Assembler::default();
        loop {
            // The model's next event, a call that finished meanwhile (for listeners), or the
            // run's cancellation.
            let step = poll_fn(|cx| {
                if stop.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Step::Stopped);
                }
                if let Poll::Ready(event) = stream.as_mut().poll_next(cx) {
                    return Poll::Ready(Step::Model(event));
                }
                if events.on()
                    && let Poll::Ready(Some((index, result))) = pin!(calls.turn.next()).poll(cx)
                {
                    return Poll::Ready(Step::CallFinished(index, result.clone()));
                }
                Poll::Pending
            })
            .await;
            let event = match step {
                Step::Model(None) => break,
                Step::Model(Some(Ok(event))) => event,
                Step::Model(Some(Err(error))) => {
                    return Err((RunFailure::Model(error), response.into_partial()));
                }
                Step::Stopped => return Err((RunFailure::Cancelled, response.into_partial())),
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
                ModelEvent::ToolCall(call) => self.arrived(turn, call, calls),
                _ => {}
            }
            response.push(event);
        }
        if !response.is_finished() {
            let error = Error::stream_incomplete(agent.model.name());
            return Err((RunFailure::Model(error), response.into_partial()));
        }
        response
            .finish(&agent.model.name())
            .map_err(|error| (RunFailure::Model(error), AssistantMessage::default()))
    }

    /// A call has arrived: it starts, or waits for approval, or is the final answer.
    fn arrived(&self, turn: usize, call: &ToolCall, calls: &mut Calls<'_>) {
        let place = calls.count;
        calls.count += 1;
        let final_answer =
            calls.final_tool && self.output.is_some_and(|spec| call.name == spec.name());
        if final_answer {
            calls.answers.push((place, call.arguments.to_json_string()));
            return;
        }
        let needs_approval = self
            .agent
            .toolbox
            .get(&call.name)
            .is_some_and(|tool| tool.definition().needs_approval(&call.arguments));
        if needs_approval {
            calls.held.push(place);
            return;
        }
        let index = calls.turn.start_cleared(call);
        calls.places.push(place);
        self.events.emit(|| AgentEvent::ToolCallStarted {
            turn,
            index,
            call: call.clone(),
        });
    }

    /// Waits for the started calls, reporting each result as it arrives, until they all have
    /// one or the run is cancelled.
    async fn settle(
        &self,
        turn: usize,
        mut calls: Calls<'_>,
        message: &AssistantMessage,
        answers: &[(usize, String)],
        mut stop: Stop<'_>,
    ) -> Settled {
        let events = self.events;
        let cancelled = loop {
            let next = poll_fn(|cx| {
                if stop.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                match pin!(calls.turn.next()).poll(cx) {
                    Poll::Ready(Some((index, result))) => {
                        Poll::Ready(Some(Some((index, events.on().then(|| result.clone())))))
                    }
                    Poll::Ready(None) => Poll::Ready(Some(None)),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            match next {
                None => break true,
                Some(None) => break false,
                Some(Some((index, result))) => {
                    if let Some(result) = result {
                        events.emit(|| AgentEvent::ToolCallFinished {
                            turn,
                            index,
                            result,
                        });
                    }
                }
            }
        };
        let mut results = calls.results(message, cancelled).await;
        for (place, _) in answers {
            // Filled in by the caller, once the answer is checked.
            results[*place] = Some(ToolResult::cancelled(&message.tool_calls[*place]));
        }
        conclude(results, cancelled, message)
    }

    /// Runs the approved calls of a resumed turn and answers the denied ones.
    async fn resume(
        &self,
        turn: usize,
        assistant: &AssistantMessage,
        mut earlier: Vec<Option<ToolResult>>,
        decisions: &pause::Decisions,
        stop: Stop<'_>,
    ) -> Settled {
        earlier.resize(assistant.tool_calls.len(), None);
        let mut calls = self.calls();
        calls.count = assistant.tool_calls.len();
        for (place, call) in assistant.tool_calls.iter().enumerate() {
            if earlier[place].is_some() {
                continue;
            }
            match decisions.get(&call.id) {
                Some(Decision::Approve) => {
                    let index = calls.turn.start_approved(call);
                    calls.places.push(place);
                    self.events.emit(|| AgentEvent::ToolCallStarted {
                        turn,
                        index,
                        call: call.clone(),
                    });
                }
                Some(Decision::Deny(reason)) => {
                    let denied = Err(ToolError::Denied(reason.clone()));
                    earlier[place] =
                        Some(ToolResult::new(call.id.clone(), call.name.clone(), denied));
                }
                None => calls.held.push(place),
            }
        }
        let (now, cancelled) = match self.settle(turn, calls, assistant, &[], stop).await {
            Settled::Answered(now) => (now.into_iter().map(Some).collect(), false),
            Settled::Waiting(now) => (now, false),
            Settled::Cancelled(now) => (now.into_iter().map(Some).collect(), true),
        };
        // A result decided earlier stands; `Cancelled` stands in only for a call without one.
        let merged = earlier
            .into_iter()
            .zip(now)
            .map(|(earlier, now)| earlier.or(now))
            .collect();
        conclude(merged, cancelled, assistant)
    }

    /// A run that waits for decisions.
    fn paused(
        &self,
        messages: Vec<Message>,
        assistant: AssistantMessage,
        results: Vec<Option<ToolResult>>,
        usage: Usage,
        turn: usize,
    ) -> RunError {
        let paused = PausedRun {
            messages: messages.clone(),
            assistant,
            results,
            usage,
            turn,
        };
        RunError::new(RunFailure::Paused(Box::new(paused)), messages, usage, turn)
    }

    /// Counts a bad final answer; past the retry budget, the run fails.
    fn bad_answer(
        &self,
        retries: &mut usize,
        problem: &str,
        text: &str,
        messages: &[Message],
        usage: Usage,
        turn: usize,
    ) -> Result<(), RunError> {
        let budget = self.output.map_or(0, |spec| spec.retries);
        if *retries >= budget {
            let failure = RunFailure::InvalidAnswer {
                problem: problem.to_owned(),
                answer: text.to_owned(),
            };
            return Err(RunError::new(failure, messages.to_vec(), usage, turn));
        }
        *retries += 1;
        Ok(())
    }

    fn finished(
        &self,
        text: String,
        messages: Vec<Message>,
        usage: Usage,
        turns: usize,
    ) -> RunOutput {
        self.events.finished(RunOutput {
            text,
            messages,
            usage,
            turns,
        })
    }
}

impl Calls<'_> {
    /// One slot per call of `message`: the result of each call that started (`Cancelled` for
    /// one still running when `cancel`), `None` for the others.
    async fn results(self, message: &AssistantMessage, cancel: bool) -> Vec<Option<ToolResult>> {
        let started = if cancel {
            self.turn.cancel()
        } else {
            // Every started call has its result: this takes them without waiting.
            self.turn.finish().await
        };
        let mut results = vec![None; message.tool_calls.len()];
        for (result, &place) in started.into_iter().zip(&self.places) {
            if let Some(slot) = results.get_mut(place) {
                *slot = Some(result);
            }
        }
        results
    }

    /// Stops the calls still running; one result per call of `message` (whatever arrived of
    /// it): its result, or `Cancelled`.
    async fn cancel(self, message: &AssistantMessage) -> Vec<ToolResult> {
        let results = self.results(message, true).await;
        fill_cancelled(results, message)
    }
}

/// How a turn's calls ended, from their results by place.
fn conclude(
    results: Vec<Option<ToolResult>>,
    cancelled: bool,
    message: &AssistantMessage,
) -> Settled {
    if cancelled {
        Settled::Cancelled(fill_cancelled(results, message))
    } else if results.iter().any(Option::is_none) {
        Settled::Waiting(results)
    } else {
        Settled::Answered(results.into_iter().flatten().collect())
    }
}

/// The results, `Cancelled` where there is none.
fn fill_cancelled(results: Vec<Option<ToolResult>>, message: &AssistantMessage) -> Vec<ToolResult> {
    results
        .into_iter()
        .zip(&message.tool_calls)
        .map(|(result, call)| result.unwrap_or_else(|| ToolResult::cancelled(call)))
        .collect()
}

/// What a turn waits for next.
enum Step {
    Model(Option<crate::Result<crate::ModelEvent>>),
    CallFinished(usize, ToolResult),
    Stopped,
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
            hooks: self.hooks.clone(),
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
