//! Tools with state: `State<T>` and `FromRef`, the call context, the methods of a `#[toolset]`,
//! extractors of one's own, per-run data, and the cancellation token.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Barrier, Semaphore};
use tool_runtime::agent::{CancellationToken, RunFailure};
use tool_runtime::conversation::{AssistantMessage, ToolCall};
use tool_runtime::model::ModelRequest;
use tool_runtime::tool::{FromCall, FromRef, PerRun, RegisterError, ToolError};
use tool_runtime::{
    Agent, CallContext, Message, OfflineModel, RunData, State, Toolbox, tool, tools, toolset,
};

fn call(id: &str, name: &str, arguments: Value) -> ToolCall {
    ToolCall::new(id, name, arguments)
}

/// The parameters a tool's schema shows the model.
fn parameters(toolbox: &Toolbox<impl Sized>, tool: &str) -> Vec<String> {
    let schema = toolbox.get(tool).unwrap().definition().parameters();
    schema["properties"]
        .as_object()
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// Waits (yielding to the runtime, never sleeping) until `done` holds.
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..1_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the condition never held");
}

/// A stock of items: an in-memory map, shared by its clones.
#[derive(Clone, Default)]
struct Db(Arc<Mutex<BTreeMap<String, u32>>>);

impl Db {
    fn count(&self, item: &str) -> u32 {
        self.0.lock().unwrap().get(item).copied().unwrap_or(0)
    }

    fn add(&self, item: String, count: u32) -> u32 {
        let mut items = self.0.lock().unwrap();
        let entry = items.entry(item).or_default();
        *entry += count;
        *entry
    }

    fn items(&self) -> Vec<String> {
        self.0.lock().unwrap().keys().cloned().collect()
    }
}

/// Add items to the stock; returns how many there are now.
#[tool]
fn restock(
    /// The item.
    item: String,
    /// How many to add.
    count: u32,
    db: State<Db>,
) -> u32 {
    db.add(item, count)
}

/// How many of an item are in stock.
#[tool]
async fn stock(
    /// The item.
    item: String,
    State(db): State<Db>,
) -> u32 {
    db.count(&item)
}

/// Which call this is.
#[tool]
fn which_call(ctx: CallContext) -> String {
    format!("{} of {}", ctx.call_id(), ctx.tool_name())
}

#[tokio::test]
async fn state_tools_share_the_toolbox_state_and_keep_it_out_of_the_schema() {
    let db = Db::default();
    let toolbox = tools![state = db.clone(); restock, stock, which_call];
    assert_eq!(parameters(&toolbox, "restock"), ["item", "count"]);
    assert_eq!(parameters(&toolbox, "stock"), ["item"]);
    assert!(parameters(&toolbox, "which_call").is_empty());

    let results = toolbox
        .run(&[
            call("call_1", "restock", json!({"item": "apple", "count": 3})),
            call("call_2", "which_call", json!({})),
        ])
        .await;
    assert_eq!(results[0].content(), "3");
    assert_eq!(results[1].content(), "call_2 of which_call");
    let results = toolbox
        .run(&[call("call_3", "stock", json!({"item": "apple"}))])
        .await;
    assert_eq!(results[0].content(), "3");
    // The state is the caller's too.
    assert_eq!(db.count("apple"), 3);
    assert_eq!(toolbox.state().count("apple"), 3);
}

/// A greeting, part of a larger state.
#[derive(Clone)]
struct Greeting(String);

/// An application's state: tools take the parts they need.
struct App {
    db: Db,
    greeting: Greeting,
}

impl FromRef<App> for Db {
    fn from_ref(app: &App) -> Db {
        app.db.clone()
    }
}

impl FromRef<App> for Greeting {
    fn from_ref(app: &App) -> Greeting {
        app.greeting.clone()
    }
}

/// Greet a customer and say how many apples there are.
#[tool]
fn greet(
    /// The customer's name.
    name: String,
    State(greeting): State<Greeting>,
    db: tool_runtime::State<Db>,
) -> String {
    format!(
        "{}, {name}! {} apples today.",
        greeting.0,
        db.count("apple")
    )
}

#[tokio::test]
async fn tools_take_the_parts_of_a_larger_state_they_need() {
    let app = App {
        db: Db::default(),
        greeting: Greeting("Welcome".into()),
    };
    let toolbox = Toolbox::with_state(app).with(restock {}).with(greet {});
    assert_eq!(parameters(&toolbox, "greet"), ["name"]);
    let results = toolbox
        .run(&[call("a", "restock", json!({"item": "apple", "count": 5}))])
        .await;
    assert_eq!(results[0].content(), "5");
    let results = toolbox
        .run(&[call("b", "greet", json!({"name": "Ada"}))])
        .await;
    assert_eq!(results[0].content(), "Welcome, Ada! 5 apples today.");
}

/// A shop's inventory, whose methods are tools.
struct Inventory {
    items: Mutex<BTreeMap<String, u32>>,
}

#[toolset]
impl Inventory {
    /// How many of an item are in stock.
    #[tool]
    async fn lookup(
        &self,
        /// The item's SKU, e.g. "APL-1".
        sku: String,
    ) -> Result<u32, String> {
        self.items
            .lock()
            .unwrap()
            .get(&sku)
            .copied()
            .ok_or_else(|| format!("There is no item with SKU {sku}."))
    }

    /// Reserve items for an order.
    #[tool(sequential)]
    fn reserve(
        &self,
        /// The item's SKU.
        sku: String,
        /// How many to reserve.
        quantity: u32,
        ctx: CallContext,
    ) -> Result<String, String> {
        let mut items = self.items.lock().unwrap();
        let left = items
            .get_mut(&sku)
            .ok_or_else(|| format!("There is no item with SKU {sku}."))?;
        if *left < quantity {
            return Err(format!("Only {left} of {sku} left."));
        }
        *left -= quantity;
        Ok(format!("Reserved {quantity} of {sku} ({}).", ctx.call_id()))
    }

    /// Not a tool.
    fn total(&self) -> u32 {
        self.items.lock().unwrap().values().sum()
    }
}

fn inventory() -> Arc<Inventory> {
    Arc::new(Inventory {
        items: Mutex::new(BTreeMap::from([("APL-1".to_owned(), 4)])),
    })
}

#[tokio::test]
async fn the_methods_of_a_toolset_are_tools_sharing_one_value() {
    let inventory = inventory();
    let toolbox = Toolbox::new().with_all(inventory.clone());
    assert_eq!(toolbox.names().collect::<Vec<_>>(), ["lookup", "reserve"]);
    let schema = toolbox.get("reserve").unwrap().definition().parameters();
    assert_eq!(
        schema["properties"]["sku"]["description"],
        "The item's SKU."
    );
    assert_eq!(schema["required"], json!(["sku", "quantity"]));
    assert!(
        toolbox
            .get("reserve")
            .unwrap()
            .definition()
            .policy()
            .is_sequential()
    );
    assert_eq!(
        toolbox.get("lookup").unwrap().definition().description(),
        "How many of an item are in stock."
    );

    let results = toolbox
        .run(&[
            call("c1", "reserve", json!({"sku": "APL-1", "quantity": 3})),
            call("c2", "reserve", json!({"sku": "APL-1", "quantity": 3})),
            call("c3", "lookup", json!({"sku": "PEAR"})),
        ])
        .await;
    // Sequential: the second reservation sees the first.
    assert_eq!(results[0].content(), "Reserved 3 of APL-1 (c1).");
    assert_eq!(results[1].content(), "Only 1 of APL-1 left.");
    assert_eq!(results[2].content(), "There is no item with SKU PEAR.");
    assert!(results[2].is_error());
    let results = toolbox
        .run(&[call("c4", "lookup", json!({"sku": "APL-1"}))])
        .await;
    assert_eq!(results[0].content(), "1");
    // The value is the caller's too, and still has its other methods.
    assert_eq!(inventory.total(), 1);
}

#[test]
fn single_methods_are_added_by_name() {
    let toolbox = Toolbox::new().with_method(inventory(), "lookup");
    assert_eq!(toolbox.names().collect::<Vec<_>>(), ["lookup"]);

    let mut toolbox = Toolbox::new();
    let error = toolbox
        .try_add_method(inventory(), "restock")
        .map(|_| ())
        .unwrap_err();
    assert_eq!(
        error,
        RegisterError::NoSuchMethod {
            name: "restock".into(),
            available: vec!["lookup".into(), "reserve".into()],
        }
    );
    assert_eq!(
        error.to_string(),
        "there is no tool named `restock` among the value's tools (lookup, reserve)"
    );
    // A set added twice clashes on its first name.
    toolbox.try_add_all(inventory()).unwrap();
    let error = toolbox.try_add_all(inventory()).map(|_| ()).unwrap_err();
    assert_eq!(error, RegisterError::Duplicate("lookup".into()));
}

/// A log kept by the toolbox's state, written through a method.
struct Clerk {
    name: String,
}

#[toolset]
impl Clerk {
    /// Record a sale in the books.
    #[tool]
    async fn record_sale(
        &self,
        /// The item sold.
        item: String,
        db: State<Db>,
    ) -> String {
        let count = db.add(item.clone(), 1);
        format!("{} recorded sale #{count} of {item}", self.name)
    }
}

#[tokio::test]
async fn methods_take_extractors_too() {
    let db = Db::default();
    let toolbox = Toolbox::with_state(db.clone()).with_all(Arc::new(Clerk { name: "Ann".into() }));
    assert_eq!(parameters(&toolbox, "record_sale"), ["item"]);
    let results = toolbox
        .run(&[call("c1", "record_sale", json!({"item": "pear"}))])
        .await;
    assert_eq!(results[0].content(), "Ann recorded sale #1 of pear");
    assert_eq!(db.count("pear"), 1);
}

/// Records a visitor and lists every visitor its state has seen.
#[tool]
fn visit(
    /// The visitor.
    name: String,
    db: State<Db>,
) -> Vec<String> {
    db.add(name, 1);
    db.items()
}

/// What a fresh toolbox, with its own state, says after one visit.
async fn visitors_after_visit_of(name: &str) -> String {
    let toolbox = tools![state = Db::default(); visit];
    let results = toolbox
        .run(&[call("c1", "visit", json!({"name": name}))])
        .await;
    results[0].content().into_owned()
}

// Two tests in one binary, each with its own state: neither sees the other's visitor, whatever
// order they run in (a global would show both, or the first test's).
#[tokio::test]
async fn each_test_has_its_own_state_ada() {
    assert_eq!(visitors_after_visit_of("ada").await, r#"["ada"]"#);
}

#[tokio::test]
async fn each_test_has_its_own_state_bob() {
    assert_eq!(visitors_after_visit_of("bob").await, r#"["bob"]"#);
}

/// The user a run is for.
struct UserId(u64);

/// Who is asking. Waits at the gate for the other run, so that both runs are inside the tool at
/// once.
#[tool]
async fn whoami(PerRun(user): PerRun<UserId>, gate: State<Arc<Barrier>>) -> String {
    gate.wait().await;
    format!("You are user {}.", user.0)
}

/// A model that calls `tool` once, then answers with the tool's result.
fn call_then_repeat(tool: &'static str) -> OfflineModel {
    OfflineModel::responder(
        move |request: &ModelRequest<'_>| match request.messages.last() {
            Some(Message::ToolResults { results }) => AssistantMessage::text(results[0].content()),
            _ => AssistantMessage::calls([ToolCall::new("call_1", tool, json!({}))]),
        },
    )
}

#[tokio::test]
async fn per_run_data_is_seen_by_its_own_run_only() {
    let model = call_then_repeat("whoami");
    let agent = Agent::new(
        model.clone(),
        tools![state = Arc::new(Barrier::new(2)); whoami],
    );
    let (first, second) = tokio::join!(
        agent
            .run("Who am I?")
            .with_run_data(RunData::new().with(UserId(1))),
        agent
            .run("Who am I?")
            .with_run_data(RunData::new().with(UserId(2))),
    );
    assert_eq!(first.unwrap().text, "You are user 1.");
    assert_eq!(second.unwrap().text, "You are user 2.");
    assert_eq!(model.requests().len(), 4);

    // A run without the data its tools take ends before the model is asked anything.
    let error = agent.run("Who am I?").await.unwrap_err();
    match &error.failure {
        RunFailure::MissingRunData { tool, type_name } => {
            assert_eq!(tool, "whoami");
            assert!(type_name.ends_with("UserId"), "{type_name}");
        }
        other => panic!("unexpected failure: {other}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("the tool `whoami` takes per-run data of type `")
    );
    assert_eq!(error.turns, 0);
    assert_eq!(error.messages, [Message::user("Who am I?")]);
    assert_eq!(model.requests().len(), 4);
}

/// The caller, an extractor of our own: from the run's data, refusing anonymous calls.
struct Caller(String);

impl FromCall for Caller {
    fn from_call(call: &CallContext) -> Result<Self, ToolError> {
        match call.run_data().get::<String>() {
            Some(name) => Ok(Caller(name.clone())),
            None => Err(ToolError::Failed("Sign in first.".into())),
        }
    }
}

/// Say hello to the caller.
#[tool]
fn hello(#[extract] caller: Caller, ctx: CallContext) -> String {
    format!("Hello, {} ({})!", caller.0, ctx.call_id())
}

#[tokio::test]
async fn extractors_of_ones_own_read_the_call_and_can_refuse_it() {
    let toolbox = tools![hello];
    assert!(parameters(&toolbox, "hello").is_empty());
    // A `FromCall` type needs no run data of the agent's checking.
    assert!(
        toolbox
            .get("hello")
            .unwrap()
            .definition()
            .policy()
            .run_data_needs()
            .is_empty()
    );

    let mut turn = toolbox
        .turn()
        .with_run_data(RunData::new().with("Ada".to_owned()));
    turn.start(&call("c1", "hello", json!({})));
    assert_eq!(turn.join_all().await[0].content(), "Hello, Ada (c1)!");

    let results = toolbox.run(&[call("c2", "hello", json!({}))]).await;
    assert!(results[0].is_error());
    assert_eq!(results[0].content(), "Sign in first.");
}

#[tokio::test]
async fn a_turn_without_the_run_data_a_tool_takes_answers_with_an_error() {
    let toolbox = tools![state = Arc::new(Barrier::new(1)); whoami];
    assert_eq!(
        toolbox
            .get("whoami")
            .unwrap()
            .definition()
            .policy()
            .run_data_needs()[0]
            .type_name()
            .rsplit("::")
            .next(),
        Some("UserId")
    );
    let results = toolbox.run(&[call("c1", "whoami", json!({}))]).await;
    assert!(results[0].is_error());
    assert!(
        results[0]
            .content()
            .starts_with("The tool `whoami` cannot run: this run has no data of type `"),
        "{}",
        results[0].content()
    );
}

/// What the cancellation tests watch.
#[derive(Clone)]
struct Probe {
    /// A permit per tool started.
    started: Arc<Semaphore>,
    /// How many tools saw their token fire.
    cancelled: Arc<AtomicUsize>,
}

impl Probe {
    fn new() -> Self {
        Self {
            started: Arc::new(Semaphore::new(0)),
            cancelled: Arc::default(),
        }
    }

    /// Waits until `count` more tools have started.
    async fn started(&self, count: u32) {
        self.started.acquire_many(count).await.unwrap().forget();
    }

    fn cancelled(&self) -> usize {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Counts the token's firing, from a task of its own (which outlives the tool's future).
    fn watch(&self, ctx: &CallContext) {
        let token = ctx.cancellation().clone();
        let cancelled = self.cancelled.clone();
        tokio::spawn(async move {
            token.cancelled().await;
            cancelled.fetch_add(1, Ordering::SeqCst);
        });
    }
}

/// Starts a job that runs for an hour.
#[tool(timeout = "1s")]
async fn hour_long_job(ctx: CallContext, probe: State<Probe>) -> &'static str {
    probe.watch(&ctx);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    "finished"
}

/// Waits until the call is no longer wanted.
#[tool]
async fn wait_forever(ctx: CallContext, probe: State<Probe>) -> &'static str {
    probe.watch(&ctx);
    probe.started.add_permits(1);
    std::future::pending::<()>().await;
    "never"
}

/// Polls its token, as a sync tool can, and stops when it fires.
#[tool]
fn poll_until_cancelled(ctx: CallContext, probe: State<Probe>) -> &'static str {
    probe.started.add_permits(1);
    for _ in 0..10_000 {
        if ctx.is_cancelled() {
            probe.cancelled.fetch_add(1, Ordering::SeqCst);
            return "stopped";
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    "never cancelled"
}

#[tokio::test(start_paused = true)]
async fn the_token_fires_when_the_call_runs_out_of_time() {
    let probe = Probe::new();
    let toolbox = tools![state = probe.clone(); hour_long_job, wait_forever];
    let mut turn = toolbox.turn();
    turn.start(&call("c1", "hour_long_job", json!({})));
    turn.start(&call("c2", "wait_forever", json!({})));
    let (index, result) = turn.next().await.unwrap();
    assert_eq!(
        (index, result.content().as_ref()),
        (0, "Timed out after 1s")
    );
    // While the turn goes on: the call that ran out of time is told, its sibling is not.
    until(|| probe.cancelled() == 1).await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(probe.cancelled(), 1);
    drop(turn);
    until(|| probe.cancelled() == 2).await;
}

#[tokio::test(start_paused = true)]
async fn the_tokens_fire_when_the_turn_is_cancelled_or_its_parent_token_fires() {
    let probe = Probe::new();
    let toolbox = tools![state = probe.clone(); wait_forever];

    let mut turn = toolbox.turn();
    turn.start(&call("c1", "wait_forever", json!({})));
    probe.started(1).await;
    let results = turn.cancel();
    assert_eq!(results[0].content(), "Cancelled");
    until(|| probe.cancelled() == 1).await;

    let parent = CancellationToken::new();
    let mut turn = toolbox.turn().with_cancellation(&parent);
    turn.start(&call("c2", "wait_forever", json!({})));
    probe.started(1).await;
    parent.cancel();
    until(|| probe.cancelled() == 2).await;
    drop(turn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tokens_fire_when_the_run_future_is_dropped() {
    let probe = Probe::new();
    let model = OfflineModel::scripted([AssistantMessage::calls([
        ToolCall::new("call_1", "wait_forever", json!({})),
        ToolCall::new("call_2", "poll_until_cancelled", json!({})),
    ])]);
    let agent = Agent::new(
        model,
        tools![state = probe.clone(); wait_forever, poll_until_cancelled],
    );
    let mut run = agent.run("Go.").into_future();
    // Both tools are running; then the run is dropped.
    tokio::select! {
        _ = &mut run => panic!("the run ended"),
        () = probe.started(2) => {}
    }
    drop(run);
    // The async tool's watcher and the sync tool's own polling both see it.
    for _ in 0..10_000 {
        if probe.cancelled() == 2 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("{} of 2 tools saw the cancellation", probe.cancelled());
}

/// What the early-stopping tools write down.
type Log = Arc<Mutex<Vec<String>>>;

/// Leaves a task behind holding a clone of its context, which waits for the call's token.
#[tool(sequential)]
async fn leave_a_watcher(ctx: CallContext, probe: State<Probe>) -> String {
    let kept = ctx.clone();
    let cancelled = probe.cancelled.clone();
    tokio::spawn(async move {
        kept.cancelled().await;
        cancelled.fetch_add(1, Ordering::SeqCst);
    });
    ctx.call_id().to_owned()
}

#[tokio::test(start_paused = true)]
async fn a_context_kept_past_its_call_holds_nothing_up() {
    let probe = Probe::new();
    let toolbox = tools![state = probe.clone(); leave_a_watcher].with_max_concurrency(1);
    let calls = [
        call("a", "leave_a_watcher", json!({})),
        call("b", "leave_a_watcher", json!({})),
    ];
    // `b` runs although `a`'s context lives on in its task: the chain place and the permit went
    // with `a`'s call.
    let results = tokio::time::timeout(Duration::from_secs(60), toolbox.run(&calls))
        .await
        .expect("the second call never ran");
    assert_eq!(results[0].content(), "a");
    assert_eq!(results[1].content(), "b");
    // The turn is over: both watchers are told.
    until(|| probe.cancelled() == 2).await;
}

#[test]
#[should_panic(expected = "`Turn::with_cancellation` must come before the first call is started")]
fn a_turn_takes_a_parent_token_before_its_first_call_only() {
    let toolbox = tools![which_call];
    let mut turn = toolbox.turn();
    turn.start(&call("a", "missing", json!({})));
    let _ = turn.with_cancellation(&CancellationToken::new());
}

/// Works until the call's token fires (or ten seconds pass), noting when it starts and stops.
fn work_until_cancelled(ctx: &CallContext, log: &Log) -> &'static str {
    let id = ctx.call_id().to_owned();
    log.lock().unwrap().push(format!("{id} started"));
    for _ in 0..10_000 {
        if ctx.is_cancelled() {
            log.lock().unwrap().push(format!("{id} stopped"));
            return "stopped";
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    log.lock().unwrap().push(format!("{id} ran out"));
    "ran out"
}

/// Works, a call at a time, until its time is up; then stops at once.
#[tool(sequential, timeout = "50ms")]
fn diligent(ctx: CallContext, log: State<Log>) -> &'static str {
    work_until_cancelled(&ctx, &log)
}

/// Works until its time is up; then stops at once.
#[tool(timeout = "50ms")]
fn diligent_in_parallel(ctx: CallContext, log: State<Log>) -> &'static str {
    work_until_cancelled(&ctx, &log)
}

/// Runs two calls of `tool` in one turn and returns the log once both bodies have ended.
async fn two_calls_of(toolbox: Toolbox<Log>, tool: &str) -> Vec<String> {
    let results = toolbox
        .run(&[call("a", tool, json!({})), call("b", tool, json!({}))])
        .await;
    assert_eq!(results[0].content(), "Timed out after 50ms");
    assert_eq!(results[1].content(), "Timed out after 50ms");
    let log = toolbox.state().clone();
    for _ in 0..10_000 {
        if log.lock().unwrap().len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    log.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_tool_that_stops_on_its_token_frees_its_place_at_once() {
    let toolbox = Toolbox::with_state(Log::default()).with(diligent {});
    // `b` started when `a` stopped on its token, not when `a` would have run out (10 s later).
    assert_eq!(
        two_calls_of(toolbox, "diligent").await,
        ["a started", "a stopped", "b started", "b stopped"]
    );
    // The same for the one concurrency permit of a capped toolbox (either call may get it first).
    let toolbox = Toolbox::with_state(Log::default())
        .with(diligent_in_parallel {})
        .with_max_concurrency(1);
    let log = two_calls_of(toolbox, "diligent_in_parallel").await;
    let first = &log[0][..1];
    let second = if first == "a" { "b" } else { "a" };
    assert_eq!(
        log,
        [
            format!("{first} started"),
            format!("{first} stopped"),
            format!("{second} started"),
            format!("{second} stopped"),
        ]
    );
}
