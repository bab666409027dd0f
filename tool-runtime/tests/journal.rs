//! Runs that survive their process: every step written to a journal before the run moves on,
//! and a run taken up again from it — without asking the model again for a recorded answer,
//! without running again a call that may have taken effect — against a real local server whose
//! protocol checker reads every request.
//!
//! A crash here is the run's future dropped part way (nothing more is written, as when the
//! process dies); `journal_crash.rs` kills real processes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use support::{MockServer, Reply, StreamEnd, Wire, fast_retries};
use tool_runtime::agent::{Decision, RunFailure};
use tool_runtime::journal::{Entry, Journal, JournalError, JournalFuture, MemoryJournal};
use tool_runtime::model::Model;
use tool_runtime::tool::ToolError;
use tool_runtime::{Agent, CallContext, Message, RunError, State, Toolbox, tool, tools};

const WIRE: Wire = Wire::OPENAI;

/// What the tools did to the world, outside the run: one line per effect, with its key.
#[derive(Clone, Default)]
struct World {
    effects: Arc<Mutex<Vec<String>>>,
    /// Whether the tools that change something hang once they did (the process dies then).
    hang: bool,
}

impl World {
    fn hanging() -> Self {
        Self {
            hang: true,
            ..Self::default()
        }
    }

    /// The same world, seen by a fresh process whose tools do not hang.
    fn after_restart(&self) -> Self {
        Self {
            effects: self.effects.clone(),
            hang: false,
        }
    }

    async fn did(&self, what: String) {
        self.effects.lock().unwrap().push(what);
        if self.hang {
            std::future::pending::<()>().await;
        }
    }

    fn effects(&self) -> Vec<String> {
        self.effects.lock().unwrap().clone()
    }
}

/// Charge a card.
#[tool]
async fn charge(State(world): State<World>, ctx: CallContext, amount: u32) -> String {
    world
        .did(format!("charge {amount} {}", ctx.idempotency_key()))
        .await;
    format!("charged {amount}")
}

/// Reserve a seat (the same key reserves it once).
#[tool(idempotent)]
async fn reserve(State(world): State<World>, ctx: CallContext, seat: String) -> String {
    world
        .did(format!("reserve {seat} {}", ctx.idempotency_key()))
        .await;
    format!("reserved {seat}")
}

/// Look up a price.
#[tool(read_only)]
async fn price(State(world): State<World>, item: String) -> String {
    world.effects.lock().unwrap().push(format!("price {item}"));
    format!("{item}: 12 EUR")
}

/// Send money (waits for a person).
#[tool(needs_approval)]
fn pay(State(world): State<World>, to: String) -> String {
    world.effects.lock().unwrap().push(format!("pay {to}"));
    format!("paid {to}")
}

fn toolbox(world: &World) -> Toolbox<World> {
    tools![state = world.clone(); charge, reserve, price, pay]
}

fn model(server: &MockServer) -> Box<dyn Model> {
    WIRE.provider(WIRE.url(server), fast_retries(0))
}

fn agent(server: &MockServer, world: &World, journal: &MemoryJournal) -> Agent<World> {
    Agent::new(model(server), toolbox(world)).journal(journal.clone())
}

fn kinds(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(Entry::kind).collect()
}

/// Waits (boundedly) until the run's entries satisfy `done`.
async fn until(journal: &MemoryJournal, run_id: &str, done: impl Fn(&[&str]) -> bool) {
    for _ in 0..2_000 {
        let entries = journal.entries(run_id).await.unwrap();
        if done(&kinds(&entries)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let entries = journal.entries(run_id).await.unwrap();
    panic!("the journal never got there: {:?}", kinds(&entries));
}

fn count(kinds: &[&str], kind: &str) -> usize {
    kinds.iter().filter(|k| **k == kind).count()
}

/// Runs `prompt` as run `run_id` on a task of its own, until the journal says `crash_when`,
/// then drops it, as a process dies: nothing more is written.
async fn crash(
    agent: Agent<World>,
    journal: &MemoryJournal,
    run_id: &str,
    prompt: &str,
    crash_when: impl Fn(&[&str]) -> bool,
) {
    let (id, prompt) = (run_id.to_owned(), prompt.to_owned());
    let run = tokio::spawn(async move { agent.run(prompt).with_run_id(id).await });
    until(journal, run_id, crash_when).await;
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    assert_eq!(journal.unfinished().await.unwrap(), [run_id]);
}

fn tool_results(messages: &[Message]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter_map(|message| match message {
            Message::ToolResults { results } => Some(results),
            _ => None,
        })
        .flatten()
        .map(|result| (result.name.clone(), result.content().into_owned()))
        .collect()
}

/// A journaled run is the run it would have been, step by step in its journal, and ended.
#[tokio::test]
async fn a_journaled_run_is_the_same_run_and_ends_in_its_journal() {
    let server = MockServer::start().await;
    let turn = WIRE.calls(
        &[
            ("c1", "price", json!({"item": "tea"})),
            ("c2", "reserve", json!({"seat": "12A"})),
        ],
        10,
        5,
    );
    for _ in 0..2 {
        server.push(Reply::json(turn.clone()));
        server.push(Reply::json(WIRE.text(
            "Tea is 12 EUR; 12A is yours.",
            20,
            6,
        )));
    }
    let world = World::default();
    let plain = Agent::new(model(&server), toolbox(&world));
    let plain = plain
        .run("Tea, and a seat.")
        .with_run_id("r1")
        .await
        .unwrap();

    let journal = MemoryJournal::new();
    let journaled = agent(&server, &world, &journal);
    let output = journaled
        .run("Tea, and a seat.")
        .with_run_id("r1")
        .await
        .unwrap();
    assert_eq!(output, plain);

    let entries = journal.entries("r1").await.unwrap();
    let kinds = kinds(&entries);
    assert_eq!(kinds.first(), Some(&"started"));
    assert_eq!(count(&kinds, "call_started"), 2);
    assert_eq!(count(&kinds, "call_finished"), 2);
    assert_eq!(count(&kinds, "answered"), 2);
    assert_eq!(kinds.last(), Some(&"ended"));
    assert!(journal.unfinished().await.unwrap().is_empty());
    // Every call's start is written before its result, and both before the next request's
    // answer.
    let last_finished = kinds.iter().rposition(|k| *k == "call_finished").unwrap();
    let second_answer = kinds.iter().rposition(|k| *k == "answered").unwrap();
    assert!(last_finished < second_answer, "{kinds:?}");
    server.assert_protocol();
}

/// The process dies while a turn's calls run: one has its result recorded, two do not. The
/// recovered run asks the model nothing again for that turn; the read-only call that finished
/// does not run again, the idempotent one runs again with the same key, and the other is
/// answered "interrupted", so the model knows its outcome is unknown.
#[tokio::test]
async fn a_crash_mid_turn_is_recovered_without_asking_again_or_repeating_effects() {
    let server = MockServer::start().await;
    server.push(Reply::json(WIRE.calls(
        &[
            ("c1", "charge", json!({"amount": 30})),
            ("c2", "price", json!({"item": "tea"})),
            ("c3", "reserve", json!({"seat": "12A"})),
        ],
        10,
        5,
    )));
    let world = World::hanging();
    let journal = MemoryJournal::new();
    crash(
        agent(&server, &world, &journal),
        &journal,
        "r2",
        "Charge 30, price tea, reserve 12A.",
        |kinds| count(kinds, "answered") == 1 && count(kinds, "call_finished") == 1,
    )
    .await;
    // The charge and the reservation happened; the price was looked up.
    assert_eq!(world.effects().len(), 3, "{:?}", world.effects());

    server.push(Reply::json(WIRE.text("Done, but check the charge.", 30, 8)));
    let restarted = agent(&server, &world.after_restart(), &journal);
    let output = restarted.recover("r2").await.unwrap();
    assert_eq!(output.text, "Done, but check the charge.");
    assert_eq!(output.run_id, "r2");
    assert_eq!(server.request_count(), 2, "turn 1 was asked once");
    assert_eq!(output.turns, 2);

    let effects = world.effects();
    assert_eq!(
        effects.iter().filter(|e| e.starts_with("charge")).count(),
        1,
        "{effects:?}"
    );
    let reserves: Vec<_> = effects
        .iter()
        .filter(|e| e.starts_with("reserve"))
        .collect();
    assert_eq!(reserves.len(), 2, "{effects:?}");
    assert_eq!(reserves[0], reserves[1], "the same idempotency key");
    assert_eq!(reserves[0], "reserve 12A r2/1/c3");
    assert_eq!(effects.iter().filter(|e| e.starts_with("price")).count(), 1);

    let results = tool_results(&output.messages);
    assert_eq!(results[0].0, "charge");
    assert_eq!(results[0].1, ToolError::Interrupted.to_string());
    assert!(results[0].1.contains("outcome is unknown") || results[0].1.contains("unknown"));
    assert_eq!(results[1], ("price".into(), "tea: 12 EUR".into()));
    assert_eq!(results[2], ("reserve".into(), "reserved 12A".into()));
    // The model read exactly that.
    let second = &server.requests()[1];
    let sent = second.messages().to_vec();
    assert!(
        sent.iter()
            .any(|m| m["content"] == json!(ToolError::Interrupted.to_string()))
    );
    assert!(journal.unfinished().await.unwrap().is_empty());
    server.assert_protocol();
}

/// The process dies while the model is still answering, after its first call started and
/// finished: that call's result stands, and the turn's message is the calls that started. A
/// second crash, in the recovered run, is recovered too, with the first recovery's steps
/// intact.
#[tokio::test]
async fn a_crash_mid_stream_keeps_the_calls_that_started_across_two_recoveries() {
    let server = MockServer::start().await;
    let calls = WIRE.calls(
        &[
            ("c1", "price", json!({"item": "tea"})),
            ("c2", "price", json!({"item": "cake"})),
            ("c3", "price", json!({"item": "jam"})),
        ],
        10,
        5,
    );
    let events = support::sse_events(&WIRE.sse(&calls, 4));
    let second_call = events.iter().position(|e| e.contains(r#""c2""#)).unwrap();
    // The first call is whole once the second begins; then the model goes quiet.
    server.push(Reply::sse_pieces(events[..=second_call].to_vec()).ending(StreamEnd::Stall));
    let world = World::hanging();
    let journal = MemoryJournal::new();
    crash(
        agent(&server, &world, &journal),
        &journal,
        "r3",
        "Prices?",
        |kinds| count(kinds, "call_finished") == 1,
    )
    .await;

    // Recovered: the next turn charges, and the process dies again.
    server.push(Reply::json(WIRE.calls(
        &[("c9", "charge", json!({"amount": 12}))],
        20,
        5,
    )));
    let journal_again = journal.clone();
    let second = agent(&server, &world, &journal);
    let recovering = tokio::spawn(async move { second.recover("r3").await });
    until(&journal_again, "r3", |kinds| {
        count(kinds, "call_started") == 2
    })
    .await;
    recovering.abort();
    assert!(recovering.await.unwrap_err().is_cancelled());

    server.push(Reply::json(WIRE.text("Tea is 12 EUR.", 30, 5)));
    let third = agent(&server, &world.after_restart(), &journal);
    let output = third.recover("r3").await.unwrap();
    assert_eq!(output.text, "Tea is 12 EUR.");
    let results = tool_results(&output.messages);
    assert_eq!(
        results,
        [
            ("price".to_owned(), "tea: 12 EUR".to_owned()),
            ("charge".to_owned(), ToolError::Interrupted.to_string()),
        ]
    );
    let Message::Assistant(first) = &output.messages[1] else {
        panic!("{:?}", output.messages)
    };
    assert_eq!(first.tool_calls.len(), 1, "only the call that started");
    // Three requests: the one cut short, the recovered run's, the last one.
    assert_eq!(server.request_count(), 3);
    assert_eq!(
        world.effects(),
        ["price tea", "charge 12 r3/2/c9"],
        "nothing ran twice"
    );
    server.assert_protocol();
}

/// A paused run is in the journal: recovering it pauses it again (nothing runs), and another
/// agent resumes it by its id alone.
#[tokio::test]
async fn a_paused_run_is_resumed_by_its_id_in_a_fresh_agent() {
    let server = MockServer::start().await;
    server.push(Reply::json(WIRE.calls(
        &[
            ("c1", "pay", json!({"to": "Ada"})),
            ("c2", "price", json!({"item": "tea"})),
        ],
        10,
        5,
    )));
    let world = World::default();
    let journal = MemoryJournal::new();
    let error = agent(&server, &world, &journal)
        .run("Pay Ada, price tea.")
        .with_run_id("r4")
        .await
        .unwrap_err();
    assert!(error.paused().is_some());
    assert_eq!(journal.unfinished().await.unwrap(), ["r4"]);
    assert_eq!(
        kinds(&journal.entries("r4").await.unwrap()).last(),
        Some(&"paused")
    );

    let fresh = agent(&server, &world.after_restart(), &journal);
    let steps = journal.entries("r4").await.unwrap().len();
    let again = fresh.recover("r4").await.unwrap_err();
    assert_eq!(
        journal.entries("r4").await.unwrap().len(),
        steps,
        "nothing new"
    );
    let paused = again.paused().expect("still paused");
    assert_eq!(paused.pending().next().unwrap().id, "c1");
    assert_eq!(world.effects(), ["price tea"]);

    let stale = fresh.resume_run("r4", [("c7", Decision::Approve)]).await;
    assert!(matches!(
        stale.unwrap_err().failure,
        RunFailure::NotResumed { .. }
    ));

    server.push(Reply::json(WIRE.text("Paid Ada; tea is 12 EUR.", 20, 5)));
    let output = fresh
        .resume_run("r4", [("c1", Decision::Approve)])
        .await
        .unwrap();
    assert_eq!(output.text, "Paid Ada; tea is 12 EUR.");
    assert_eq!(world.effects(), ["price tea", "pay Ada"]);
    assert!(journal.unfinished().await.unwrap().is_empty());
    assert_eq!(server.request_count(), 2);
    server.assert_protocol();
}

fn journal_failure(error: RunError) -> JournalError {
    match error.failure {
        RunFailure::Journal(error) => error,
        other => panic!("not a journal failure: {other:?}"),
    }
}

/// What cannot be recovered says why: no journal, a run it does not have, a run that ended
/// without its answer, decisions for a run that waits for none; a run that ended with its
/// answer gives it again.
#[tokio::test]
async fn what_cannot_be_recovered_says_why() {
    let server = MockServer::start().await;
    let world = World::default();
    let plain = Agent::new(model(&server), toolbox(&world));
    let error = journal_failure(plain.recover("r5").await.unwrap_err());
    assert!(matches!(error, JournalError::NoJournal), "{error}");

    let journal = MemoryJournal::new();
    let agent = agent(&server, &world, &journal);
    let error = journal_failure(agent.recover("nope").await.unwrap_err());
    assert!(matches!(error, JournalError::UnknownRun(_)), "{error}");

    // A run that ended with its answer gives it again, asking nothing and writing nothing (a
    // caller that died before it read the answer gets it).
    server.push(Reply::json(WIRE.text("Hello.", 1, 1)));
    let output = agent.run("Hi").with_run_id("r5").await.unwrap();
    let steps = journal.entries("r5").await.unwrap().len();
    assert_eq!(agent.recover("r5").await.unwrap(), output);
    assert_eq!(journal.entries("r5").await.unwrap().len(), steps);
    assert_eq!(server.request_count(), 1);
    // One that ended otherwise (cancelled, failed) is over.
    let cancelled = tool_runtime::agent::CancellationToken::new();
    cancelled.cancel();
    let run = agent
        .run("Hi")
        .with_run_id("r5b")
        .with_cancellation(cancelled);
    assert!(run.await.unwrap_err().is_cancelled());
    let error = journal_failure(agent.recover("r5b").await.unwrap_err());
    assert!(matches!(error, JournalError::Ended(_)), "{error}");
    assert_eq!(error.to_string(), "the run `r5b` has ended");

    // A run that waits for nothing (it died while its tools ran) takes no decisions.
    server.push(Reply::json(WIRE.calls(
        &[("c1", "charge", json!({"amount": 1}))],
        1,
        1,
    )));
    let hanging = World::hanging();
    crash(
        Agent::new(model(&server), toolbox(&hanging)).journal(journal.clone()),
        &journal,
        "r6",
        "Charge 1.",
        |kinds| count(kinds, "answered") == 1,
    )
    .await;
    let error = agent.resume_run("r6", [("c1", Decision::Approve)]).await;
    let error = journal_failure(error.unwrap_err());
    assert!(matches!(error, JournalError::NotWaiting(_)), "{error}");
    // Nothing ran: the run is still there to recover.
    assert_eq!(journal.unfinished().await.unwrap(), ["r6"]);
}

/// One run of an id at a time: a second recovery (or resumption) of a run that is running is
/// refused at once, and so is a new run given the id of a run the journal has.
#[tokio::test]
async fn a_run_is_taken_up_once_at_a_time_and_ids_are_not_reused() {
    let server = MockServer::start().await;
    server.push(Reply::json(WIRE.calls(
        &[("c1", "charge", json!({"amount": 3}))],
        1,
        1,
    )));
    let world = World::hanging();
    let journal = MemoryJournal::new();
    let agent = agent(&server, &world, &journal);
    let running = agent.clone();
    let run = tokio::spawn(async move { running.run("Charge 3.").with_run_id("r11").await });
    until(&journal, "r11", |kinds| count(kinds, "answered") == 1).await;

    // The run hangs in its charge: recovering it meanwhile (a duplicated webhook, a sweep)
    // must not start it a second time.
    let error = journal_failure(agent.recover("r11").await.unwrap_err());
    assert!(matches!(error, JournalError::Running(_)), "{error}");
    let error = agent.resume_run("r11", [("c1", Decision::Approve)]).await;
    let error = journal_failure(error.unwrap_err());
    assert!(matches!(error, JournalError::Running(_)), "{error}");
    // A new run under the id gets its messages back.
    let error = agent.run("Charge 4.").with_run_id("r11").await.unwrap_err();
    assert_eq!(error.messages, [Message::user("Charge 4.")]);
    assert!(matches!(journal_failure(error), JournalError::Running(_)));
    assert_eq!(world.effects().len(), 1, "{:?}", world.effects());
    run.abort();
    let _ = run.await;

    // A new run may not take its id.
    let error = agent.run("Again.").with_run_id("r11").await.unwrap_err();
    let error = journal_failure(error);
    assert!(matches!(error, JournalError::Exists(_)), "{error}");
    assert_eq!(server.request_count(), 1);
}

/// On a journaled agent, a paused run given by value is resumed from the journal (no second
/// `started`); once the run went on, the same paused run is stale and refused.
#[tokio::test]
async fn a_paused_run_given_by_value_is_resumed_from_the_journal_or_refused_when_stale() {
    let server = MockServer::start().await;
    server.push(Reply::json(WIRE.calls(
        &[("c1", "pay", json!({"to": "Bo"}))],
        1,
        1,
    )));
    server.push(Reply::json(WIRE.text("Paid Bo.", 1, 1)));
    let world = World::default();
    let journal = MemoryJournal::new();
    let agent = agent(&server, &world, &journal);
    let paused = agent
        .run("Pay Bo.")
        .with_run_id("r12")
        .await
        .unwrap_err()
        .into_paused()
        .unwrap();
    let output = agent
        .resume(paused.clone(), [("c1", Decision::Approve)])
        .await
        .unwrap();
    assert_eq!(output.text, "Paid Bo.");
    let kinds_now = kinds(&journal.entries("r12").await.unwrap()).len();
    assert_eq!(
        count(&kinds(&journal.entries("r12").await.unwrap()), "started"),
        1
    );

    // The same paused run again: the journal's run has ended since.
    let error = agent
        .resume(paused, [("c1", Decision::Approve)])
        .await
        .unwrap_err();
    assert!(
        matches!(error.failure, RunFailure::NotResumed { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("stale"), "{error}");
    assert_eq!(world.effects(), ["pay Bo"], "paid once");
    assert_eq!(journal.entries("r12").await.unwrap().len(), kinds_now);
}

/// The agent takes a shared journal too (`Arc<dyn Journal>`), and a resumed run's next request
/// no longer forces a tool call: the model called tools before the pause.
#[tokio::test]
async fn a_shared_journal_serves_and_a_resumed_run_chooses_its_tools_freely() {
    let server = MockServer::start().await;
    server.push(Reply::json(WIRE.calls(
        &[("c1", "pay", json!({"to": "Cy"}))],
        1,
        1,
    )));
    server.push(Reply::json(WIRE.text("Paid Cy.", 1, 1)));
    let world = World::default();
    let shared: Arc<dyn Journal> = Arc::new(MemoryJournal::new());
    let agent = Agent::new(model(&server), toolbox(&world))
        .tool_choice(tool_runtime::model::ToolChoice::Required)
        .journal(Arc::clone(&shared));
    agent.run("Pay Cy.").with_run_id("r13").await.unwrap_err();
    let output = agent
        .resume_run("r13", [("c1", Decision::Approve)])
        .await
        .unwrap();
    assert_eq!(output.text, "Paid Cy.");
    let requests = server.requests();
    assert_eq!(requests[0].body["tool_choice"], "required");
    assert_ne!(
        requests[1].body["tool_choice"], "required",
        "{}",
        requests[1].body
    );
    assert!(shared.unfinished().await.unwrap().is_empty());
}

/// With a journal, calls start together once the model's stream pauses; a call that arrived
/// and never started (the stream failed in the same read) is still answered, and listeners
/// see one `ToolCallFinished` for every call of the transcript, as without a journal.
#[tokio::test]
async fn every_call_is_reported_once_when_the_stream_fails_before_calls_start() {
    let server = MockServer::start().await;
    let calls = WIRE.calls(
        &[
            ("c1", "price", json!({"item": "tea"})),
            ("c2", "price", json!({"item": "jam"})),
            ("c3", "price", json!({"item": "oil"})),
        ],
        10,
        5,
    );
    let events = support::sse_events(&WIRE.sse(&calls, 4));
    let third = events.iter().position(|e| e.contains(r#""c3""#)).unwrap();
    // One read: the first two calls whole, then an error event.
    let mut piece: String = events[..=third].concat();
    piece.push_str(&WIRE.error_event("Overloaded"));
    server.push(Reply::sse_pieces([piece]));
    let finished = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&finished);
    let world = World::default();
    let journal = MemoryJournal::new();
    let agent = agent(&server, &world, &journal).on_event(move |event| {
        if let tool_runtime::agent::AgentEvent::ToolCallFinished { result, .. } = event {
            seen.lock().unwrap().push(result.call_id.clone());
        }
    });
    let error = agent.run("Prices.").await.unwrap_err();
    assert!(error.model_error().is_some(), "{error}");
    let Message::Assistant(partial) = &error.messages[1] else {
        panic!("{:?}", error.messages)
    };
    let ids: Vec<&str> = partial
        .tool_calls
        .iter()
        .map(|call| call.id.as_str())
        .collect();
    assert_eq!(ids, ["c1", "c2"]);
    let mut reported = finished.lock().unwrap().clone();
    reported.sort();
    assert_eq!(reported, ["c1", "c2"], "each call reported once");
    assert!(
        world.effects().is_empty(),
        "nothing started: {:?}",
        world.effects()
    );
}

/// A journal that keeps entries up to a size, or fails from some step on, or at the end.
#[derive(Clone)]
struct Picky {
    inner: MemoryJournal,
    max: usize,
    /// Appends fail once this many were written.
    fail_after: Option<usize>,
    /// The `ended` step fails (the process dies just after the answer).
    fail_end: bool,
    written: Arc<Mutex<usize>>,
}

impl Picky {
    fn new() -> Self {
        Self {
            inner: MemoryJournal::new(),
            max: usize::MAX,
            fail_after: None,
            fail_end: false,
            written: Arc::default(),
        }
    }
}

impl Journal for Picky {
    fn append<'a>(&'a self, run_id: &'a str, entries: &'a [Entry]) -> JournalFuture<'a, ()> {
        let mut written = self.written.lock().unwrap();
        let failing = self.fail_after.is_some_and(|after| *written >= after)
            || (self.fail_end && entries.iter().any(Entry::ends));
        if failing {
            let error = std::io::Error::other("disk full");
            return Box::pin(std::future::ready(Err(JournalError::store(error))));
        }
        *written += entries.len();
        self.inner.append(run_id, entries)
    }

    fn entries<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, Vec<Entry>> {
        self.inner.entries(run_id)
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<String>> {
        self.inner.unfinished()
    }

    fn end<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, ()> {
        self.inner.end(run_id)
    }

    fn max_entry_bytes(&self) -> usize {
        self.max
    }
}

/// Show a big document.
#[tool(read_only)]
fn document() -> String {
    "x".repeat(50_000)
}

/// A result larger than the journal keeps is an error result saying so, in the transcript as
/// in the journal, and the run goes on; recovering it later reads the same.
#[tokio::test]
async fn a_result_too_large_for_the_journal_is_replaced_by_an_error_saying_so() {
    let server = MockServer::start().await;
    server.push(Reply::json(WIRE.calls(
        &[("c1", "document", json!({}))],
        1,
        1,
    )));
    server.push(Reply::json(WIRE.text("Too big to read.", 1, 1)));
    let journal = Picky {
        max: 10_000,
        fail_end: true,
        ..Picky::new()
    };
    let agent = Agent::new(model(&server), tools![document]).journal(journal.clone());
    let output = agent.run("Read it.").with_run_id("r7").await.unwrap();
    let results = tool_results(&output.messages);
    assert!(
        results[0]
            .1
            .contains("larger than this run's journal keeps (10000 bytes)"),
        "{results:?}"
    );
    // The end was not written: recovering takes the recorded answer, asking nothing.
    let recovered = agent.recover("r7").await.unwrap();
    assert_eq!(recovered.messages, output.messages);
    assert_eq!(recovered.text, output.text);
    assert_eq!(server.request_count(), 2);
}

/// A journal that fails stops the run rather than let it go on unrecorded: a clear failure,
/// every call answered.
#[tokio::test]
async fn a_journal_that_fails_stops_the_run_with_every_call_answered() {
    let server = MockServer::start().await;
    server.push(Reply::json(WIRE.calls(
        &[
            ("c1", "price", json!({"item": "tea"})),
            ("c2", "price", json!({"item": "jam"})),
        ],
        1,
        1,
    )));
    let journal = Picky {
        // `started` and the first call's start.
        fail_after: Some(2),
        ..Picky::new()
    };
    let world = World::default();
    let agent = Agent::new(model(&server), toolbox(&world)).journal(journal);
    let error = agent.run("Prices.").await.unwrap_err();
    assert!(error.to_string().contains("disk full"), "{error}");
    assert!(matches!(
        error.failure,
        RunFailure::Journal(JournalError::Store(_))
    ));
    let Message::Assistant(message) = &error.messages[1] else {
        panic!("{:?}", error.messages)
    };
    let Message::ToolResults { results } = &error.messages[2] else {
        panic!("{:?}", error.messages)
    };
    assert_eq!(message.tool_calls.len(), results.len());
    // The second call never started: its start could not be written (the first may have
    // run before the run stopped it).
    assert!(world.effects().len() <= 1, "{:?}", world.effects());
}

/// A typed answer recorded just before the process died is taken on recovery, checked again,
/// without asking the model again.
#[tokio::test]
async fn a_typed_answer_recorded_before_a_crash_is_taken_without_asking_again() {
    #[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
    struct Price {
        euros: u32,
    }
    let server = MockServer::start().await;
    server.push(Reply::json(WIRE.text(r#"{"euros": 12}"#, 1, 1)));
    let journal = Picky {
        fail_end: true,
        ..Picky::new()
    };
    let agent = Agent::new(model(&server), Toolbox::new()).journal(journal);
    let answer = agent
        .run("Price of tea?")
        .with_run_id("r8")
        .output::<Price>()
        .await
        .unwrap();
    assert_eq!(answer.value, Price { euros: 12 });
    let again = agent.recover("r8").output::<Price>().await.unwrap();
    assert_eq!(again.value, Price { euros: 12 });
    assert_eq!(server.request_count(), 1);
}

/// A typed answer given by the final tool, in a turn whose lookup had finished and whose
/// charge was running when the process died: recovered, the lookup's result stands, the charge
/// is answered "interrupted", and the answer is taken without asking the model again.
#[tokio::test]
async fn a_final_answer_call_of_a_cut_turn_is_taken_on_recovery() {
    #[derive(Debug, PartialEq, serde::Deserialize, schemars::JsonSchema)]
    struct Receipt {
        charged: u32,
    }
    let server = MockServer::start().await;
    server.push(Reply::json(WIRE.calls(
        &[
            ("c0", "price", json!({"item": "tea"})),
            ("c1", "charge", json!({"amount": 5})),
            ("c2", "final_answer", json!({"charged": 5})),
        ],
        10,
        5,
    )));
    let no_structured_output = || {
        WIRE.model(WIRE.url(&server))
            .structured_output(false)
            .build()
    };
    let world = World::hanging();
    let journal = MemoryJournal::new();
    let (id, agent) = ("r10", Agent::new(no_structured_output(), toolbox(&world)));
    let agent = agent.journal(journal.clone());
    let run = tokio::spawn(async move {
        agent
            .run("Charge 5.")
            .with_run_id(id)
            .output::<Receipt>()
            .await
    });
    until(&journal, id, |kinds| {
        count(kinds, "answered") == 1 && count(kinds, "call_finished") == 1
    })
    .await;
    run.abort();
    let _ = run.await;

    let fresh = Agent::new(no_structured_output(), toolbox(&world.after_restart()));
    let fresh = fresh.journal(journal.clone());
    let answer = fresh.recover(id).output::<Receipt>().await.unwrap();
    assert_eq!(answer.value, Receipt { charged: 5 });
    assert_eq!(server.request_count(), 1);
    let results = tool_results(&answer.output.messages);
    assert_eq!(results[0].1, "tea: 12 EUR");
    assert_eq!(results[1].1, ToolError::Interrupted.to_string());
    assert_eq!(results[2].1, "Answer received.");
    let mut effects = world.effects();
    effects.sort();
    assert_eq!(effects, ["charge 5 r10/1/c1", "price tea"]);
}

/// A journal written by a newer version of the library is refused, not misread.
#[tokio::test]
async fn a_journal_from_a_newer_version_is_refused() {
    let journal = MemoryJournal::new();
    let started = r#"{"kind":"started","format":99,"state":{}}"#;
    journal
        .append("r9", &[Entry::new("started", started)])
        .await
        .unwrap();
    let agent = Agent::new(tool_runtime::OfflineModel::new(), Toolbox::new()).journal(journal);
    let error = journal_failure(agent.recover("r9").await.unwrap_err());
    assert!(error.to_string().contains("newer version"), "{error}");
}

/// Where the journal of this format is kept: `journal_v1.jsonl`, one step per line.
fn fixture_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal_v1.jsonl")
}

/// The scenario of the checked-in journal: a first turn whose two lookups finished, then a
/// second turn whose charge was running and whose payment waited for a person when the
/// process died.
async fn fixture_scenario(server: &MockServer, journal: &MemoryJournal) -> World {
    server.push(Reply::json(WIRE.calls(
        &[
            ("c1", "price", json!({"item": "tea"})),
            ("c2", "price", json!({"item": "jam"})),
        ],
        10,
        5,
    )));
    server.push(Reply::json(WIRE.calls(
        &[
            ("c3", "charge", json!({"amount": 12})),
            ("c4", "pay", json!({"to": "Ada"})),
        ],
        20,
        6,
    )));
    let world = World::hanging();
    crash(
        agent(server, &world, journal),
        journal,
        "fixture",
        "Tea and jam prices, then pay.",
        |kinds| count(kinds, "answered") == 2 && count(kinds, "call_started") == 3,
    )
    .await;
    world
}

/// Writes the journal of this format: run with `--ignored` once when the format changes (a
/// new file then, the old ones kept: each version reads every format before it).
#[tokio::test]
#[ignore = "writes tests/fixtures/journal_v1.jsonl"]
async fn write_the_journal_of_this_format() {
    let server = MockServer::start().await;
    let journal = MemoryJournal::new();
    fixture_scenario(&server, &journal).await;
    let lines: Vec<String> = journal
        .entries("fixture")
        .await
        .unwrap()
        .iter()
        .map(|entry| entry.json().to_owned())
        .collect();
    std::fs::write(fixture_path(), lines.join("\n") + "\n").unwrap();
}

/// A journal written by this version (checked in) is read by this one and every later one:
/// the run is taken up where it stood — the finished calls kept, the running charge
/// interrupted, the payment waiting — and resumed by its id.
#[tokio::test]
async fn the_checked_in_journal_of_format_1_is_recovered() {
    let text = std::fs::read_to_string(fixture_path()).unwrap();
    let journal = MemoryJournal::new();
    for line in text.lines() {
        let step: serde_json::Value = serde_json::from_str(line).unwrap();
        let kind = step["kind"].as_str().unwrap();
        journal
            .append("fixture", &[Entry::new(kind, line)])
            .await
            .unwrap();
    }
    let server = MockServer::start().await;
    let world = World::default();
    let agent = agent(&server, &world, &journal);
    let paused = agent.recover("fixture").await.unwrap_err();
    let paused = paused.paused().expect("the payment waits");
    assert_eq!(paused.turn(), 2);
    assert_eq!(
        paused
            .pending()
            .map(|call| call.id.as_str())
            .collect::<Vec<_>>(),
        ["c4"]
    );
    assert_eq!(
        paused.messages().len(),
        3,
        "the prompt and the first turn: {:?}",
        paused.messages()
    );
    assert_eq!(server.request_count(), 0);
    assert!(
        world.effects().is_empty(),
        "nothing ran: {:?}",
        world.effects()
    );

    server.push(Reply::json(WIRE.text("Paid Ada.", 30, 4)));
    let output = agent
        .resume_run("fixture", [("c4", Decision::Approve)])
        .await
        .unwrap();
    assert_eq!(output.text, "Paid Ada.");
    assert_eq!(output.turns, 3);
    assert_eq!(output.usage.input_tokens, 60);
    assert_eq!(
        tool_results(&output.messages),
        [
            ("price".to_owned(), "tea: 12 EUR".to_owned()),
            ("price".to_owned(), "jam: 12 EUR".to_owned()),
            ("charge".to_owned(), ToolError::Interrupted.to_string()),
            ("pay".to_owned(), "paid Ada".to_owned()),
        ]
    );
    assert_eq!(world.effects(), ["pay Ada"]);
    server.assert_protocol();
}
