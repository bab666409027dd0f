//! The I/O of one turn: asking the model, each call started the moment it arrives (or held for
//! a person, or taken as the final answer), then waiting for the calls that run.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

use super::AgentEvent;
use super::driver::{Driver, Stop};
use crate::conversation::{AssistantMessage, ToolCall, ToolResult};
use crate::error::Error;
use crate::model::{Assembler, ModelEvent, ModelRequest, ModelResponse, ToolChoice, buffered};
use crate::run::answer::{Accepted, Refused};
use crate::run::pause::{Decision, Decisions, Gate};
use crate::run::transition::{Halt, Settled};
use crate::run::{RunFailure, RunState};
use crate::tool::{ToolDefinition, ToolError};
use crate::turn::Turn;

/// What a turn waits for next while the model answers.
enum Next {
    Model(Option<crate::error::Result<ModelEvent>>),
    CallFinished(usize, ToolResult),
    Stopped,
}

impl<S: Send + Sync + 'static> Driver<'_, S> {
    /// A new turn's calls, with this run's data, hooks and cancellation; calls that need a
    /// person's approval are held.
    pub(super) fn calls(&self) -> Turn<'_> {
        let mut calls = self
            .agent
            .toolbox
            .turn()
            .with_run_data(self.data.clone())
            .with_hooks(&self.agent.hooks)
            .with_gate(Gate::Hold);
        if let Some(token) = &self.cancel {
            calls = calls.with_cancellation(token);
        }
        calls
    }

    /// Asks the model, each call starting the moment it arrives (the final tool's calls held
    /// at `answers`). A response that fails or is cancelled part way gives back what arrived.
    pub(super) async fn ask(
        &self,
        run: &RunState,
        final_tool: Option<&ToolDefinition>,
        tool_choice: &ToolChoice,
        calls: &mut Turn<'_>,
        answers: &mut Vec<usize>,
        mut stop: Stop<'_>,
    ) -> Result<ModelResponse, (RunFailure, AssistantMessage)> {
        let (agent, events, turn) = (self.agent, self.events, run.turn);
        let mut tools: Vec<&ToolDefinition> = agent.toolbox.definitions().collect();
        tools.extend(final_tool);
        let mut request = ModelRequest::new(&run.messages)
            .tools(&tools)
            // With a final tool, the run ends when it is called: the model must call a tool.
            .tool_choice(match final_tool {
                Some(_) => &ToolChoice::Required,
                None => tool_choice,
            })
            .parallel_tool_calls(agent.parallel_tool_calls);
        request.system = agent.system.as_deref();
        if final_tool.is_none() {
            request.output = self.answer.map(|answer| answer.format());
        }
        let mut stream = if agent.streaming {
            agent.model.stream(request)
        } else {
            buffered(agent.model.complete(request))
        };
        let mut response = Assembler::default();
        loop {
            // The model's next event, a call that finished meanwhile (for listeners), or the
            // run's cancellation.
            let next = poll_fn(|cx| {
                if stop.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Next::Stopped);
                }
                if let Poll::Ready(event) = stream.as_mut().poll_next(cx) {
                    return Poll::Ready(Next::Model(event));
                }
                if events.on()
                    && let Poll::Ready(Some((index, result))) = pin!(calls.next()).poll(cx)
                {
                    return Poll::Ready(Next::CallFinished(index, result.clone()));
                }
                Poll::Pending
            })
            .await;
            let event = match next {
                Next::Model(None) => break,
                Next::Model(Some(Ok(event))) => event,
                Next::Model(Some(Err(error))) => {
                    return Err((RunFailure::Model(error), response.into_partial()));
                }
                Next::Stopped => return Err((RunFailure::Cancelled, response.into_partial())),
                Next::CallFinished(index, result) => {
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
                    self.arrived(turn, call, final_tool.is_some(), calls, answers);
                }
                _ => {}
            }
            response.push(event);
        }
        if !response.is_complete() {
            let error = Error::stream_incomplete(agent.model.name());
            return Err((RunFailure::Model(error), response.into_partial()));
        }
        response
            .into_response(&agent.model.name())
            .map_err(|error| (RunFailure::Model(error), AssistantMessage::default()))
    }

    /// A call has arrived: it takes its place, and starts unless it waits for a person or gives
    /// the final answer.
    fn arrived(
        &self,
        turn: usize,
        call: &ToolCall,
        final_tool: bool,
        calls: &mut Turn<'_>,
        answers: &mut Vec<usize>,
    ) {
        if final_tool && self.answer.is_some_and(|answer| answer.is_answer(call)) {
            answers.push(calls.hold(call));
            return;
        }
        let index = calls.start(call);
        if !calls.is_held(index) {
            self.call_started(turn, index, call);
        }
    }

    fn call_started(&self, turn: usize, index: usize, call: &ToolCall) {
        self.events.emit(|| AgentEvent::ToolCallStarted {
            turn,
            index,
            call: call.clone(),
        });
    }

    /// The turn of a paused run, replayed with `decisions`: the approved calls start, the
    /// denied ones are answered with the reason, the others keep their place (a result given
    /// before the pause stands; an undecided call keeps waiting).
    pub(super) fn resumed(&self, run: &RunState, decisions: &Decisions) -> Turn<'_> {
        let mut calls = self.calls();
        let Some(pending) = &run.pending else {
            return calls;
        };
        let answered = pending.results.iter().map(Option::is_some);
        for (call, answered) in pending.assistant.tool_calls.iter().zip(answered) {
            match decisions.get(&call.id).filter(|_| !answered) {
                Some(Decision::Approve) => {
                    let index = calls.start_approved(call);
                    self.call_started(run.turn, index, call);
                }
                Some(Decision::Deny(reason)) => {
                    let index = calls.hold(call);
                    calls.answer(index, Err(ToolError::Denied(reason.clone())));
                }
                None => {
                    calls.hold(call);
                }
            }
        }
        calls
    }

    /// Waits for the pending calls that run, answers the final-tool ones held at `answers`,
    /// and records every result: the turn goes into the conversation, or the run pauses, or it
    /// is cancelled. The final answer's check, when one was given.
    pub(super) async fn settle(
        &self,
        run: &mut RunState,
        mut calls: Turn<'_>,
        answers: &[usize],
        stop: Stop<'_>,
    ) -> Result<Option<Result<Accepted, Refused>>, Halt> {
        if self.wait(run.turn, &mut calls, stop).await {
            let slots = self.stopped(run.turn, calls).await;
            return Err(run.interrupted(RunFailure::Cancelled, None, slots));
        }
        let checked = match (self.answer, &run.pending) {
            (Some(answer), Some(pending)) => {
                let others_wait = calls.held().any(|place| !answers.contains(&place));
                let calls_of = &pending.assistant.tool_calls;
                answer.answer_calls(answers, calls_of, others_wait, |place, outcome| {
                    calls.answer(place, outcome);
                })
            }
            _ => None,
        };
        // The final-answer calls' results, for listeners.
        self.report(run.turn, &mut calls);
        let slots = calls.into_slots().await;
        match run.calls_answered(slots) {
            Settled::Answered => Ok(checked),
            Settled::Waiting => Err(Halt::Paused),
        }
    }

    /// Stops the turn's calls: one slot per place, each call that was running or waiting for
    /// a person answered `Cancelled` (and reported, as every result is).
    pub(super) async fn stopped(
        &self,
        turn: usize,
        mut calls: Turn<'_>,
    ) -> Vec<Option<ToolResult>> {
        calls.stop();
        self.report(turn, &mut calls);
        calls.into_slots().await
    }

    /// Reports the results that are in and were not reported yet.
    fn report(&self, turn: usize, calls: &mut Turn<'_>) {
        while let Some((index, result)) = calls.try_next() {
            self.events.emit(|| AgentEvent::ToolCallFinished {
                turn,
                index,
                result: result.clone(),
            });
        }
    }

    /// Waits for every call that runs, reporting each result as it arrives; `true` when the
    /// run is cancelled first.
    async fn wait(&self, turn: usize, calls: &mut Turn<'_>, mut stop: Stop<'_>) -> bool {
        let events = self.events;
        loop {
            let next = poll_fn(|cx| {
                if stop.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                match pin!(calls.next()).poll(cx) {
                    Poll::Ready(Some((index, result))) => {
                        Poll::Ready(Some(Some((index, events.on().then(|| result.clone())))))
                    }
                    Poll::Ready(None) => Poll::Ready(Some(None)),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            match next {
                None => return true,
                Some(None) => return false,
                Some(Some((index, Some(result)))) => {
                    events.emit(|| AgentEvent::ToolCallFinished {
                        turn,
                        index,
                        result,
                    });
                }
                Some(Some((_, None))) => {}
            }
        }
    }
}
