//! The parent: it serves the model, runs children one after the other and kills each with
//! SIGKILL after a seeded random delay, notes where each kill landed, then lets a last child
//! finish every run and checks the world.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::MockServer;
use tool_runtime::journal::{Entry, Journal, SqliteJournal};

use super::checks::{self, Figures};
use super::model::ScriptedModel;
use super::{CHILD_ENV, ChildConfig, READY, Rng, run_id, tags_in};

/// How a crash session goes.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The crashes to inject (SIGKILLs of a child that had not finished).
    pub(crate) crashes: usize,
    /// Seeds the plans and the kill delays.
    pub(crate) seed: u64,
    /// How many runs each child has to work on (new ones are added as runs end).
    pub(crate) concurrent_runs: usize,
    /// A child is killed this long at most after it is ready (uniformly from zero).
    pub(crate) max_kill_delay: Duration,
    /// How long the person takes to decide on a paused run.
    pub(crate) pause: Duration,
    /// The time between two events of a streamed response.
    pub(crate) pace: Duration,
}

impl Settings {
    /// The test suite's session: 200 crashes; `JOURNAL_CRASH_SEED` replays another seed.
    pub(crate) fn suite() -> Self {
        Self {
            crashes: 200,
            seed: env_u64("JOURNAL_CRASH_SEED").unwrap_or(0x5EED_2026),
            concurrent_runs: 6,
            max_kill_delay: Duration::from_millis(120),
            pause: Duration::from_millis(25),
            pace: Duration::from_millis(2),
        }
    }

    /// The soak: `JOURNAL_CRASH_SOAK_CRASHES` crashes (1,000 unless set), a seed from the clock
    /// unless `JOURNAL_CRASH_SEED` is set.
    pub(crate) fn soak() -> Self {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |since| since.as_nanos() as u64);
        Self {
            crashes: env_u64("JOURNAL_CRASH_SOAK_CRASHES").map_or(1_000, |n| n as usize),
            seed: env_u64("JOURNAL_CRASH_SEED").unwrap_or(clock),
            ..Self::suite()
        }
    }
}

/// A number from the environment (decimal, or hexadecimal after `0x`).
fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    }
    .or_else(|| panic!("{name}={value} is not a number"))
}

/// Where the kills landed: how many kills found at least one run in each state.
#[derive(Debug, Default, Clone)]
pub(crate) struct KillPoints {
    /// A run waited for a person's decision.
    pub(crate) paused: usize,
    /// A run had asked the model and its answer was not journaled: the response was streaming.
    pub(crate) mid_stream: usize,
    /// …and some of that response's calls had started already.
    pub(crate) mid_stream_with_calls: usize,
    /// A run had calls running.
    pub(crate) calls_running: usize,
    /// A run had two calls or more running at once.
    pub(crate) mid_fan_out: usize,
    /// A call had taken effect (its ledger line written) and its result was not journaled.
    pub(crate) effect_not_journaled: usize,
    /// No run was in any of these states (starting up, recovering, between steps).
    pub(crate) elsewhere: usize,
}

/// What a session did and found.
#[derive(Debug)]
pub(crate) struct Report {
    /// Its settings.
    pub(crate) settings: Settings,
    /// Crashes injected.
    pub(crate) crashes: usize,
    /// Children started, the last one included.
    pub(crate) children: usize,
    /// Children that finished every run before their kill came.
    pub(crate) finished_before_kill: usize,
    /// Where the kills landed.
    pub(crate) kills: KillPoints,
    /// Requests the model received.
    pub(crate) requests: usize,
    /// Requests for a turn asked before whose answer had not been journaled (allowed).
    pub(crate) unjournaled_repeats: usize,
    /// Requests for a turn whose answer the journal held (must be 0).
    pub(crate) journaled_repeats: usize,
    /// The figures of the final checks.
    pub(crate) figures: Figures,
    /// How long the session took.
    pub(crate) wall: Duration,
    /// Everything that went wrong (empty: the proof holds).
    pub(crate) problems: Vec<String>,
    /// The session's files (kept when a problem was found).
    pub(crate) dir: PathBuf,
}

impl Report {
    /// Fails with every problem found.
    pub(crate) fn assert_clean(&self) {
        assert!(
            self.problems.is_empty(),
            "{} problems (seed {:#x}, files in {}):\n{}\n\n{self}",
            self.problems.len(),
            self.settings.seed,
            self.dir.display(),
            self.problems.join("\n")
        );
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (k, g) = (&self.kills, &self.figures);
        writeln!(
            f,
            "seed                                   {:#x}",
            self.settings.seed
        )?;
        writeln!(f, "crashes injected (SIGKILL)             {}", self.crashes)?;
        writeln!(f, "  while a run was paused               {}", k.paused)?;
        writeln!(f, "  mid-stream                           {}", k.mid_stream)?;
        writeln!(
            f,
            "  mid-stream, calls already started    {}",
            k.mid_stream_with_calls
        )?;
        writeln!(
            f,
            "  with calls running                   {}",
            k.calls_running
        )?;
        writeln!(
            f,
            "  mid fan-out (2+ calls running)       {}",
            k.mid_fan_out
        )?;
        writeln!(
            f,
            "  between an effect and its journal    {}",
            k.effect_not_journaled
        )?;
        writeln!(f, "  elsewhere (startup, recovery…)       {}", k.elsewhere)?;
        writeln!(
            f,
            "children (the last included)           {}",
            self.children
        )?;
        writeln!(
            f,
            "  finished before their kill           {}",
            self.finished_before_kill
        )?;
        writeln!(f, "runs, each ended with its answer       {}", g.runs)?;
        writeln!(f, "  outcome read by the child            {}", g.outputs)?;
        writeln!(
            f,
            "  killed after its end, before that    {}",
            g.outcomes_lost
        )?;
        writeln!(
            f,
            "recoveries answered `Ended`            {}",
            g.recovered_as_ended
        )?;
        writeln!(f, "side effects in the ledger             {}", g.effects)?;
        writeln!(f, "duplicated non-idempotent effects      {}", g.duplicates)?;
        writeln!(
            f,
            "repeats of idempotent calls (same key) {}",
            g.idempotent_repeats
        )?;
        writeln!(
            f,
            "repeats of read-only calls             {}",
            g.read_only_repeats
        )?;
        writeln!(
            f,
            "calls answered Interrupted             {}",
            g.interrupted
        )?;
        writeln!(
            f,
            "  of which had taken effect            {}",
            g.interrupted_with_effect
        )?;
        writeln!(f, "calls denied by the person             {}", g.denied)?;
        writeln!(
            f,
            "model requests                         {}",
            self.requests
        )?;
        writeln!(
            f,
            "repeated requests, turn journaled      {}",
            self.journaled_repeats
        )?;
        writeln!(
            f,
            "repeated requests, turn not journaled  {}",
            self.unjournaled_repeats
        )?;
        writeln!(
            f,
            "problems                               {}",
            self.problems.len()
        )?;
        write!(
            f,
            "wall time                              {:.1?}",
            self.wall
        )
    }
}

/// How a child that was started ended.
enum End {
    /// Killed with SIGKILL while it worked.
    Killed,
    /// It finished every run first.
    Finished,
}

/// A session in progress.
struct Session {
    settings: Settings,
    runtime: tokio::runtime::Runtime,
    journal: SqliteJournal,
    model: Arc<ScriptedModel>,
    config: ChildConfig,
    /// Where the children's stderr goes.
    log: PathBuf,
    /// Draws the kill delays.
    rng: Rng,
    kills: KillPoints,
    children: usize,
    /// When the last child was started.
    child_started: Instant,
    /// Runs whose journal says they ended, by number.
    ended: HashSet<usize>,
    /// The ledger's tags read so far, and how far it was read.
    ledger_tags: HashSet<String>,
    ledger_read: u64,
}

/// Runs a crash session.
pub(crate) fn run(settings: Settings) -> Report {
    let started = Instant::now();
    let dir = scratch_dir(settings.seed);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let journal = SqliteJournal::open(dir.join("journal.db")).expect("the journal opens");
    let model = Arc::new(ScriptedModel::new(
        settings.seed,
        settings.pace,
        journal.clone(),
    ));
    let server = runtime.block_on(MockServer::start());
    let serving = model.clone();
    server.fallback(move |request| serving.answer(request));
    let config = ChildConfig {
        journal: dir.join("journal.db"),
        ledger: dir.join("ledger"),
        outcomes: dir.join("outcomes"),
        server: server.addr().to_string(),
        runs: 0,
        pause_ms: settings.pause.as_millis() as u64,
    };
    let mut session = Session {
        rng: Rng::new(settings.seed ^ 0x4B11_4B11),
        settings,
        runtime,
        journal,
        model,
        config,
        log: dir.join("children.log"),
        kills: KillPoints::default(),
        children: 0,
        child_started: Instant::now(),
        ended: HashSet::new(),
        ledger_tags: HashSet::new(),
        ledger_read: 0,
    };
    let mut crashes = 0;
    let mut finished_before_kill = 0;
    while crashes < session.settings.crashes {
        assert!(
            session.children < 10 * session.settings.crashes + 100,
            "{} children for {crashes} crashes: the session makes no progress",
            session.children
        );
        session.top_up();
        match session.child_killed() {
            End::Killed => {
                crashes += 1;
                session.note_kill();
            }
            End::Finished => finished_before_kill += 1,
        }
    }
    session.last_child();

    let mut problems = Vec::new();
    let figures = checks::check(
        &session.runtime,
        &session.journal,
        &session.config,
        &mut problems,
    );
    let (requests, unjournaled_repeats, journaled_repeats) = {
        let seen = session.model.seen();
        problems.extend(seen.journaled_repeats.iter().cloned());
        problems.extend(seen.problems.iter().cloned());
        (
            seen.requests,
            seen.unjournaled_repeats(),
            seen.journaled_repeats.len(),
        )
    };
    let protocol =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.assert_protocol()));
    if let Err(panic) = protocol {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| "the protocol checker failed".into());
        problems.push(message);
        // The server's own check on drop would fail again: the report says it.
        std::mem::forget(server);
    } else {
        drop(server);
    }
    if problems.is_empty() && std::env::var_os("JOURNAL_CRASH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Report {
        settings: session.settings,
        crashes,
        children: session.children,
        finished_before_kill,
        kills: session.kills,
        requests,
        unjournaled_repeats,
        journaled_repeats,
        figures,
        wall: started.elapsed(),
        problems,
        dir,
    }
}

/// A fresh directory for a session's files.
fn scratch_dir(seed: u64) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "journal-crash-{}-{seed:x}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A started child, and the channel that says it is ready.
struct Running {
    child: Child,
    ready: Receiver<()>,
}

impl Session {
    /// Gives the children more runs when fewer than `concurrent_runs` remain to be finished.
    fn top_up(&mut self) {
        let pending = self.pending().len();
        self.config.runs += self.settings.concurrent_runs.saturating_sub(pending);
    }

    /// The runs given to the children whose journal does not say they ended, by number, with
    /// their entries; the runs that ended are remembered.
    fn pending(&mut self) -> BTreeMap<usize, Vec<Entry>> {
        let mut pending = BTreeMap::new();
        for index in 0..self.config.runs {
            if self.ended.contains(&index) {
                continue;
            }
            let entries = self.entries(&run_id(index));
            if entries.last().is_some_and(|entry| entry.kind() == "ended") {
                self.ended.insert(index);
            } else {
                pending.insert(index, entries);
            }
        }
        pending
    }

    /// The entries of the run `id`.
    fn entries(&self, id: &str) -> Vec<Entry> {
        self.runtime
            .block_on(self.journal.entries(id))
            .expect("the journal can be read")
    }

    /// Starts a child on the current config.
    fn spawn(&mut self) -> Running {
        self.children += 1;
        let mut log = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.log)
            .unwrap();
        std::io::Write::write_all(
            &mut log,
            format!("--- child {} (runs: {})\n", self.children, self.config.runs).as_bytes(),
        )
        .unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, serde_json::to_string(&self.config).unwrap())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("a child starts");
        let stdout = child.stdout.take().unwrap();
        let (tell, ready) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(line) if line.contains(READY) => {
                        let _ = tell.send(());
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
        Running { child, ready }
    }

    /// Waits for `running` to be ready; fails the session if it died first.
    fn wait_ready(&self, running: &mut Running) {
        match running.ready.recv_timeout(Duration::from_secs(120)) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => {
                let _ = running.child.kill();
                self.fail("a child was not ready after 120 s", None);
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = running.child.wait().unwrap();
                self.fail("a child died before it was ready", Some(status));
            }
        }
    }

    /// Runs a child and kills it after a random delay, unless it finished first.
    fn child_killed(&mut self) -> End {
        let mut running = self.spawn();
        self.child_started = Instant::now();
        self.wait_ready(&mut running);
        let max = self.settings.max_kill_delay.as_millis() as u64;
        let delay = Duration::from_millis(self.rng.range(0, max));
        let deadline = Instant::now() + delay;
        loop {
            if let Some(status) = running.child.try_wait().unwrap() {
                if !status.success() {
                    self.fail("a child failed", Some(status));
                }
                return End::Finished;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(1)));
        }
        // `Child::kill` is SIGKILL on Unix: nothing of the child runs after it.
        running.child.kill().unwrap();
        running.child.wait().unwrap();
        End::Killed
    }

    /// Lets a last child finish every run (within a bound that only a hang reaches).
    fn last_child(&mut self) {
        let mut running = self.spawn();
        self.wait_ready(&mut running);
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Some(status) = running.child.try_wait().unwrap() {
                if !status.success() {
                    self.fail("the last child failed", Some(status));
                }
                return;
            }
            if Instant::now() >= deadline {
                let _ = running.child.kill();
                let _ = running.child.wait();
                self.fail("the last child did not finish within 300 s", None);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Notes where the kill that just happened landed, from the journal, the ledger and the
    /// model's last requests.
    fn note_kill(&mut self) {
        self.read_ledger();
        let pending = self.pending();
        let seen = self.model.seen();
        let mut found = KillPoints::default();
        for (index, entries) in &pending {
            let run = run_id(*index);
            let steps: Vec<(&str, Value)> = entries
                .iter()
                .map(|entry| {
                    (
                        entry.kind(),
                        serde_json::from_str(entry.json()).unwrap_or(Value::Null),
                    )
                })
                .collect();
            if steps.last().is_some_and(|(kind, _)| *kind == "paused") {
                found.paused = 1;
            }
            // Calls started without a result: running when the process died.
            let mut running: BTreeMap<(u64, u64), &str> = BTreeMap::new();
            for ((kind, step), entry) in steps.iter().zip(entries) {
                let place = (
                    step["turn"].as_u64().unwrap_or(0),
                    step["index"].as_u64().unwrap_or(0),
                );
                match *kind {
                    "call_started" => {
                        let tag = tags_in(entry.json(), &run).into_iter().next().unwrap_or("");
                        running.insert(place, tag);
                    }
                    "call_finished" => {
                        running.remove(&place);
                    }
                    _ => {}
                }
            }
            if !running.is_empty() {
                found.calls_running = 1;
            }
            if running.len() >= 2 {
                found.mid_fan_out = 1;
            }
            if running.values().any(|tag| self.ledger_tags.contains(*tag)) {
                found.effect_not_journaled = 1;
            }
            // The turn last asked of the model, not answered in the journal.
            // (Asked by this child: an earlier child's request, cut off when it was killed, is
            // not this kill's.)
            if let Some(&(asked, at)) = seen.last_turn.get(&run)
                && at >= self.child_started
            {
                let asked = asked as u64;
                let has = |kind: &str| {
                    steps
                        .iter()
                        .any(|(k, step)| *k == kind && step["turn"].as_u64() == Some(asked))
                };
                if !entries.is_empty() && !has("answered") {
                    found.mid_stream = 1;
                    if has("call_started") {
                        found.mid_stream_with_calls = 1;
                    }
                }
            }
        }
        let k = &mut self.kills;
        k.paused += found.paused;
        k.mid_stream += found.mid_stream;
        k.mid_stream_with_calls += found.mid_stream_with_calls;
        k.calls_running += found.calls_running;
        k.mid_fan_out += found.mid_fan_out;
        k.effect_not_journaled += found.effect_not_journaled;
        if found.paused + found.mid_stream + found.calls_running == 0 {
            k.elsewhere += 1;
        }
    }

    /// Reads the ledger's new lines.
    fn read_ledger(&mut self) {
        let Ok(mut file) = std::fs::File::open(&self.config.ledger) else {
            return;
        };
        file.seek(SeekFrom::Start(self.ledger_read)).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        // Up to the last whole line (the child is dead: a line cut short stays so).
        let whole = text.rfind('\n').map_or(0, |end| end + 1);
        self.ledger_read += whole as u64;
        for line in text[..whole].lines() {
            if let Some(tag) = line.split(' ').nth(3) {
                self.ledger_tags.insert(tag.to_owned());
            }
        }
    }

    /// Fails the session: what happened, the child's exit, the end of the children's log.
    fn fail(&self, what: &str, status: Option<ExitStatus>) -> ! {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "{what} ({status:?}; seed {:#x}; files in {}):\n{}",
            self.settings.seed,
            self.config.ledger.parent().unwrap().display(),
            tail.join("\n")
        );
    }
}
