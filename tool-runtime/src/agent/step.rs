//! The I/O of one turn: asking the model, each call started the moment it arrives (or held for
//! a person, or taken as the final answer), then waiting for the calls that run.

use std::borrow::Cow;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;

use super::AgentEvent;
use super::driver::{Driver, Stop};
use crate::conversation::{AssistantMessage, ToolCall, ToolResult};
use crate::error::Error;
use crate::journal::{Entry, JournalError};
use crate::model::{Assembler, ModelEvent, ModelRequest, ModelResponse, ToolChoice, buffered};
use crate::run::answer::{Accepted, Refused};
use crate::run::pause::{Decision, Gate};
use crate::run::record::{Reentry, Step};
use crate::run::transition::{Halt, Settled};
use crate::run::{RunFailure, RunState};
use crate::tool::{ToolDefinition, ToolError};
use crate::turn::Turn;

/// What a turn waits for next while the model answers.
enum Next {
    Model(Option<crate::error::Result<ModelEvent>>),
    /// The model has nothing more for now: the calls that arrived start.
    Arrived,
    CallFinished(usize),
    Stopped,
}

/// Results as the journal keeps them, and those that replace results too large for it, by
/// place.
type ResultEntries = (Vec<Entry>, Vec<(usize, ToolResult)>);

/// What becomes of a call that arrived.
enum Arrival {
    Start,
    Hold,
    /// It gives the final answer: held for it.
    Answer,
}

impl<S: Send + Sync + 'static> Driver<'_, S> {
    /// The calls of the run's turn `turn`, with this run's data, hooks and cancellation; calls
    /// that need a person's approval are held.
    pub(super) fn calls(&self, turn: usize) -> Turn<'_> {
        let mut calls = self
            .agent
            .toolbox
            .turn()
            .with_run_data(self.data.clone().with_turn(turn))
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
        // With a journal, the calls that arrived together start together, their starts written
        // at once, as soon as the model has nothing more to give right away.
        let mut arrived: Vec<ToolCall> = Vec::new();
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
                if !arrived.is_empty() {
                    return Poll::Ready(Next::Arrived);
                }
                if (events.on() || self.journal.is_some())
                    && let Poll::Ready(Some((index, _))) = pin!(calls.next()).poll(cx)
                {
                    return Poll::Ready(Next::CallFinished(index));
                }
                Poll::Pending
            })
            .await;
            let event = match next {
                Next::Model(None) if arrived.is_empty() => break,
                // Cut short: the calls that arrived do not start (they are answered
                // `Cancelled`, as the run stops).
                Next::Model(None) if !response.is_complete() => {
                    hold(&mut arrived, calls);
                    break;
                }
                Next::Model(None) | Next::Arrived => {
                    let ended = matches!(next, Next::Model(None));
                    let final_tool = final_tool.is_some();
                    let arrive = self.arrive(turn, &mut arrived, final_tool, calls, answers);
                    if let Err(failure) = Box::pin(arrive).await {
                        return Err((failure, response.into_partial()));
                    }
                    if ended {
                        break;
                    }
                    continue;
                }
                Next::Model(Some(Ok(event))) => event,
                Next::Model(Some(Err(error))) => {
                    hold(&mut arrived, calls);
                    return Err((RunFailure::Model(error), response.into_partial()));
                }
                Next::Stopped => {
                    hold(&mut arrived, calls);
                    return Err((RunFailure::Cancelled, response.into_partial()));
                }
                Next::CallFinished(index) if self.journal.is_none() => {
                    self.report(turn, index, calls);
                    continue;
                }
                Next::CallFinished(index) => {
                    if let Err(failure) = Box::pin(self.recorded(turn, index, calls)).await {
                        hold(&mut arrived, calls);
                        return Err((failure, response.into_partial()));
                    }
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
                ModelEvent::ToolCall(call) if self.journal.is_some() => arrived.push(call.clone()),
                ModelEvent::ToolCall(call) => {
                    if final_tool.is_some()
                        && self.answer.is_some_and(|answer| answer.is_answer(call))
                    {
                        answers.push(calls.hold(call));
                    } else {
                        let index = calls.start(call);
                        if !calls.is_held(index) {
                            self.call_started(turn, index, call);
                        }
                    }
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

    /// The calls that arrived (with a journal) take their places, in order: those that do not
    /// wait for a person or give the final answer start, once their starts are written, all at
    /// once (the approval gate is asked once per call: a call recorded as started starts).
    async fn arrive(
        &self,
        turn: usize,
        arrived: &mut Vec<ToolCall>,
        final_tool: bool,
        calls: &mut Turn<'_>,
        answers: &mut Vec<usize>,
    ) -> Result<(), RunFailure> {
        let taken = std::mem::take(arrived);
        let started = self
            .start_arrived(turn, &taken, final_tool, calls, answers)
            .await;
        if started.is_err() {
            // Not started: they take their places, held (answered as the run stops).
            *arrived = taken;
            hold(arrived, calls);
        }
        started
    }

    /// [`arrive`](Self::arrive)'s work on the calls `arrived`.
    async fn start_arrived(
        &self,
        turn: usize,
        arrived: &[ToolCall],
        final_tool: bool,
        calls: &mut Turn<'_>,
        answers: &mut Vec<usize>,
    ) -> Result<(), RunFailure> {
        let arrivals: Vec<Arrival> = arrived
            .iter()
            .map(|call| {
                if final_tool && self.answer.is_some_and(|answer| answer.is_answer(call)) {
                    Arrival::Answer
                } else if calls.would_hold(call) {
                    Arrival::Hold
                } else {
                    Arrival::Start
                }
            })
            .collect();
        // Each call takes the next place: the first at `calls.len()`.
        let first = calls.len();
        let starts = arrivals
            .iter()
            .zip(arrived)
            .enumerate()
            .filter(|(_, (arrival, _))| matches!(arrival, Arrival::Start))
            .map(|(k, (_, call))| {
                self.entry(&Step::CallStarted {
                    turn,
                    index: first + k,
                    call: Cow::Borrowed(call),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.append(&starts).await?;
        for (arrival, call) in arrivals.into_iter().zip(arrived) {
            match arrival {
                Arrival::Answer => answers.push(calls.hold(call)),
                Arrival::Hold => {
                    calls.hold(call);
                }
                Arrival::Start => {
                    let index = calls.start_admitted(call);
                    self.call_started(turn, index, call);
                }
            }
        }
        Ok(())
    }

    /// Starts a call that a person approved, or that runs again after a crash.
    async fn admit_approved(
        &self,
        turn: usize,
        call: &ToolCall,
        calls: &mut Turn<'_>,
    ) -> Result<(), RunFailure> {
        self.record(&Step::CallStarted {
            turn,
            index: calls.len(),
            call: Cow::Borrowed(call),
        })
        .await?;
        let index = calls.start_approved(call);
        self.call_started(turn, index, call);
        Ok(())
    }

    fn call_started(&self, turn: usize, index: usize, call: &ToolCall) {
        self.events.emit(|| AgentEvent::ToolCallStarted {
            turn,
            index,
            call: call.clone(),
        });
    }

    /// The pending turn, taken up again (after a pause, or a crash): a result given before
    /// stands; a final answer's call is held for it; a call that was running when the process
    /// stopped runs again if its tool is read-only or idempotent, and is otherwise answered
    /// [`ToolError::Interrupted`]; an approved call starts, a denied one is answered with the
    /// reason, and an undecided one keeps waiting. The turn and the final answer's places; if
    /// the journal failed part way, the turn so far with the failure.
    pub(super) async fn reenter(
        &self,
        run: &RunState,
        reentry: &Reentry,
    ) -> Result<(Turn<'_>, Vec<usize>), (Turn<'_>, RunFailure)> {
        let mut calls = self.calls(run.turn);
        let mut answers = Vec::new();
        let Some(pending) = &run.pending else {
            return Ok((calls, answers));
        };
        let turn = run.turn;
        for (place, call) in pending.assistant.tool_calls.iter().enumerate() {
            let started = if pending.results.get(place).is_some_and(Option::is_some) {
                calls.hold(call);
                Ok(())
            } else if self.answer.is_some_and(|answer| answer.is_answer(call)) {
                answers.push(calls.hold(call));
                Ok(())
            } else if reentry.was_interrupted(place) {
                if self.runs_again(call) {
                    self.admit_approved(turn, call, &mut calls).await
                } else {
                    let index = calls.hold(call);
                    calls.answer(index, Err(ToolError::Interrupted));
                    Ok(())
                }
            } else {
                match reentry.decisions.get(&call.id) {
                    Some(Decision::Approve) => self.admit_approved(turn, call, &mut calls).await,
                    Some(Decision::Deny(reason)) => {
                        let index = calls.hold(call);
                        calls.answer(index, Err(ToolError::Denied(reason.clone())));
                        Ok(())
                    }
                    None => {
                        calls.hold(call);
                        Ok(())
                    }
                }
            };
            if let Err(failure) = started {
                return Err((calls, failure));
            }
        }
        Ok((calls, answers))
    }

    /// Whether a call that was running when its process stopped may run again: its tool says
    /// it changes nothing (read-only) or changes it once whatever the repeats (idempotent). An
    /// unknown tool's call runs again too: it only says the tool is unknown.
    fn runs_again(&self, call: &ToolCall) -> bool {
        self.agent.toolbox.get(&call.name).is_none_or(|tool| {
            let hints = tool.definition().policy().hints();
            hints.read_only == Some(true) || hints.idempotent == Some(true)
        })
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
        if let Err(failure) = self.wait(run.turn, &mut calls, stop).await {
            let slots = self.stopped(run.turn, calls).await;
            return Err(run.interrupted(failure, None, slots));
        }
        let checked = match (self.answer, &run.pending) {
            (Some(answer), Some(pending)) => {
                // A call held for its result given before (a resumed turn's) does not wait.
                let given = |place: usize| pending.results.get(place).is_some_and(Option::is_some);
                let others_wait = calls
                    .held()
                    .any(|place| !answers.contains(&place) && !given(place));
                let calls_of = &pending.assistant.tool_calls;
                answer.answer_calls(answers, calls_of, others_wait, |place, outcome| {
                    calls.answer(place, outcome);
                })
            }
            _ => None,
        };
        // The final-answer calls' results, recorded and reported.
        while let Some((index, _)) = calls.try_next() {
            if self.journal.is_none() {
                self.report(run.turn, index, &calls);
            } else if let Err(failure) = Box::pin(self.recorded(run.turn, index, &mut calls)).await
            {
                let slots = self.stopped(run.turn, calls).await;
                return Err(run.interrupted(failure, None, slots));
            }
        }
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
        // Every result not reported yet (not recorded: the run ends).
        while let Some((index, _)) = calls.try_next() {
            self.report(turn, index, &calls);
        }
        calls.into_slots().await
    }

    /// Waits for every call that runs, recording and reporting each result as it arrives; the
    /// run's failure when it is cancelled first, or its journal fails.
    async fn wait(
        &self,
        turn: usize,
        calls: &mut Turn<'_>,
        mut stop: Stop<'_>,
    ) -> Result<(), RunFailure> {
        loop {
            let next = poll_fn(|cx| {
                if stop.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                match pin!(calls.next()).poll(cx) {
                    Poll::Ready(next) => Poll::Ready(Some(next.map(|(index, _)| index))),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            match next {
                None => return Err(RunFailure::Cancelled),
                Some(None) => return Ok(()),
                Some(Some(index)) if self.journal.is_none() => self.report(turn, index, calls),
                Some(Some(index)) => Box::pin(self.recorded(turn, index, calls)).await?,
            }
        }
    }

    /// A call's result is in, at `first`, and maybe others with it: recorded in the journal at
    /// once (a result too large for the journal is replaced by an error result saying so, in
    /// the journal and in the transcript alike), then reported. (Without a journal, a result is
    /// only [reported](Self::report).)
    async fn recorded(
        &self,
        turn: usize,
        first: usize,
        calls: &mut Turn<'_>,
    ) -> Result<(), RunFailure> {
        let mut indexes = vec![first];
        // The others that are in already go with it.
        while let Some((index, _)) = calls.try_next() {
            indexes.push(index);
        }
        let appended = match self.result_entries(turn, &indexes, calls) {
            Ok((entries, replaced)) => {
                let appended = self.append(&entries).await;
                if appended.is_ok() {
                    for (index, kept) in replaced {
                        calls.replace(index, kept);
                    }
                }
                appended
            }
            Err(failure) => Err(failure),
        };
        // Reported whatever the journal did: they were taken from the turn.
        for index in indexes {
            self.report(turn, index, calls);
        }
        appended
    }

    /// The results at `indexes` as the journal keeps them, and the results that replace those
    /// too large for it.
    fn result_entries(
        &self,
        turn: usize,
        indexes: &[usize],
        calls: &Turn<'_>,
    ) -> Result<ResultEntries, RunFailure> {
        let mut entries = Vec::with_capacity(indexes.len());
        let mut replaced = Vec::new();
        for &index in indexes {
            let Some(result) = calls.result(index) else {
                continue;
            };
            let step = Step::CallFinished {
                turn,
                index,
                result: Cow::Borrowed(result),
            };
            match self.entry(&step) {
                Ok(entry) => entries.push(entry),
                Err(RunFailure::Journal(JournalError::TooLarge { bytes, limit })) => {
                    let kept = ToolResult::new(
                        result.call_id.as_str(),
                        result.name.as_str(),
                        Err(ToolError::Failed(format!(
                            "The tool's result ({bytes} bytes) is larger than this run's \
                             journal keeps ({limit} bytes), so it was dropped."
                        ))),
                    )
                    .with_duration(result.duration);
                    entries.push(self.entry(&Step::CallFinished {
                        turn,
                        index,
                        result: Cow::Borrowed(&kept),
                    })?);
                    replaced.push((index, kept));
                }
                Err(failure) => return Err(failure),
            }
        }
        Ok((entries, replaced))
    }

    /// Reports the result at `index` to listeners, if any.
    fn report(&self, turn: usize, index: usize, calls: &Turn<'_>) {
        if self.events.on()
            && let Some(result) = calls.result(index)
        {
            let result = result.clone();
            self.events.emit(|| AgentEvent::ToolCallFinished {
                turn,
                index,
                result,
            });
        }
    }
}

/// The calls that arrived and did not start take their places, held: a run that stops answers
/// them `Cancelled`, reporting each, as it does a call held for a person.
fn hold(arrived: &mut Vec<ToolCall>, calls: &mut Turn<'_>) {
    for call in arrived.drain(..) {
        calls.hold(&call);
    }
}
