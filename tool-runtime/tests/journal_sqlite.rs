//! `SqliteJournal` on real files: order, unfinished runs, the tables as a person reads them in
//! the `sqlite3` shell, large steps, reopening, concurrent handles, the format version, limits
//! and both durability modes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::Connection;
use tool_runtime::journal::{Durability, Entry, Journal, JournalError, SqliteJournal};

/// A journal file in the temp directory, removed (with its WAL files) when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "tool-runtime-journal-{}-{n}-{name}.db",
            std::process::id()
        ));
        let file = Self(path);
        file.remove();
        file
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }

    /// The file as the `sqlite3` shell would open it.
    fn shell(&self) -> Connection {
        Connection::open(&self.0).unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.remove();
    }
}

fn step(kind: &str, n: usize) -> Entry {
    Entry::new(kind, format!(r#"{{"kind":"{kind}","n":{n}}}"#))
}

fn status(shell: &Connection, run_id: &str) -> String {
    shell
        .query_row("SELECT status FROM runs WHERE id = ?1", [run_id], |row| {
            row.get(0)
        })
        .unwrap()
}

#[tokio::test]
async fn entries_come_back_in_the_order_they_were_appended() {
    let file = TempFile::new("order");
    let journal = SqliteJournal::open(file.path()).unwrap();
    let mut a = Vec::new();
    let mut b = Vec::new();
    for n in 0..40 {
        let entry = step(
            if n % 3 == 0 {
                "call_started"
            } else {
                "call_finished"
            },
            n,
        );
        journal
            .append("run_a", std::slice::from_ref(&entry))
            .await
            .unwrap();
        a.push(entry);
        let entry = step("answered", 1000 + n);
        journal
            .append("run_b", std::slice::from_ref(&entry))
            .await
            .unwrap();
        b.push(entry);
    }
    assert_eq!(journal.entries("run_a").await.unwrap(), a);
    assert_eq!(journal.entries("run_b").await.unwrap(), b);
    assert!(journal.entries("run_unknown").await.unwrap().is_empty());

    let seqs: Vec<i64> = file
        .shell()
        .prepare("SELECT seq FROM entries WHERE run_id = 'run_a' ORDER BY seq")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(seqs, (1..=40).collect::<Vec<i64>>());
}

#[tokio::test]
async fn unfinished_runs_are_oldest_first_until_they_end() {
    let file = TempFile::new("unfinished");
    let journal = SqliteJournal::open(file.path()).unwrap();
    assert!(journal.unfinished().await.unwrap().is_empty());
    for id in ["run_c", "run_a", "run_b"] {
        journal.append(id, &[step("started", 0)]).await.unwrap();
    }
    // A later step does not make a run younger.
    journal
        .append("run_c", &[step("answered", 1)])
        .await
        .unwrap();
    assert_eq!(
        journal.unfinished().await.unwrap(),
        ["run_c", "run_a", "run_b"]
    );

    journal.end("run_a").await.unwrap();
    assert_eq!(journal.unfinished().await.unwrap(), ["run_c", "run_b"]);
    // Ending twice, or ending a run the journal does not have, is not an error.
    journal.end("run_a").await.unwrap();
    journal.end("run_unknown").await.unwrap();
    assert_eq!(journal.unfinished().await.unwrap(), ["run_c", "run_b"]);
    // An ended run keeps its steps, to read.
    assert_eq!(journal.entries("run_a").await.unwrap().len(), 1);

    journal.end("run_c").await.unwrap();
    journal.end("run_b").await.unwrap();
    assert!(journal.unfinished().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_tables_read_in_the_shell_as_documented() {
    let file = TempFile::new("shell");
    let journal = SqliteJournal::open(file.path()).unwrap();
    let shell = file.shell();

    journal
        .append("run_1", &[step("started", 0)])
        .await
        .unwrap();
    assert_eq!(status(&shell, "run_1"), "running");
    journal
        .append("run_1", &[Entry::new("paused", r#"{"kind":"paused"}"#)])
        .await
        .unwrap();
    assert_eq!(status(&shell, "run_1"), "paused");
    journal
        .append("run_1", &[step("decided", 2)])
        .await
        .unwrap();
    assert_eq!(status(&shell, "run_1"), "running");
    journal
        .append("run_1", &[Entry::new("paused", r#"{"kind":"paused"}"#)])
        .await
        .unwrap();
    journal
        .append("run_2", &[step("started", 0)])
        .await
        .unwrap();
    journal
        .append("run_3", &[step("started", 0)])
        .await
        .unwrap();
    journal.end("run_3").await.unwrap();
    assert_eq!(status(&shell, "run_3"), "ended");
    // A run that ended stays ended.
    journal.append("run_3", &[step("note", 1)]).await.unwrap();
    assert_eq!(status(&shell, "run_3"), "ended");

    // The docs' queries. The runs a recovery would continue, oldest first:
    let unfinished: Vec<(String, String, String, String)> = shell
        .prepare(
            "SELECT id, status, created, updated FROM runs WHERE status <> 'ended' ORDER BY created, rowid",
        )
        .unwrap()
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let ids: Vec<(&str, &str)> = unfinished
        .iter()
        .map(|(id, status, ..)| (id.as_str(), status.as_str()))
        .collect();
    assert_eq!(ids, [("run_1", "paused"), ("run_2", "running")]);
    for (_, _, created, updated) in &unfinished {
        for time in [created, updated] {
            // '2026-12-08T09:30:00.123Z'
            assert_eq!(time.len(), 24, "{time}");
            assert!(time.starts_with("20") && time.ends_with('Z'), "{time}");
            assert_eq!(&time[10..11], "T", "{time}");
        }
        assert!(created <= updated);
    }

    // The steps of one run, with their kinds and sizes:
    let steps: Vec<(i64, String, i64, bool)> = shell
        .prepare(
            "SELECT seq, kind, bytes, blob IS NOT NULL AS in_blobs FROM entries
             WHERE run_id = 'run_1' ORDER BY seq",
        )
        .unwrap()
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let paused = r#"{"kind":"paused"}"#.len() as i64;
    let started = step("started", 0).json().len() as i64;
    let decided = step("decided", 2).json().len() as i64;
    assert_eq!(
        steps,
        [
            (1, "started".to_owned(), started, false),
            (2, "paused".to_owned(), paused, false),
            (3, "decided".to_owned(), decided, false),
            (4, "paused".to_owned(), paused, false),
        ]
    );

    // The runs paused for a decision, with their last step:
    let waiting: Vec<(String, String)> = shell
        .prepare(
            "SELECT r.id, e.json FROM runs AS r
             JOIN entries AS e ON e.run_id = r.id
                 AND e.seq = (SELECT max(seq) FROM entries WHERE run_id = r.id)
             WHERE r.status = 'paused'",
        )
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        waiting,
        [("run_1".to_owned(), r#"{"kind":"paused"}"#.to_owned())]
    );

    // The file is a WAL database of format version 1.
    let mode: String = shell
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = shell
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 1);
}

#[tokio::test]
async fn a_large_step_is_kept_in_blobs_and_comes_back_whole() {
    let file = TempFile::new("blobs");
    let journal = SqliteJournal::open(file.path()).unwrap();
    let text = "0123456789abcdef".repeat(10 << 20 >> 4);
    let large = Entry::new("call_finished", format!(r#"{{"output":"{text}"}}"#));
    assert!(large.json().len() > 10_000_000);
    // 64 KiB stays in `entries`; a byte more goes to `blobs`.
    let at_threshold = Entry::new("answered", "x".repeat(64 << 10));
    let over_threshold = Entry::new("answered", "y".repeat((64 << 10) + 1));
    for entry in [&at_threshold, &large, &over_threshold] {
        journal
            .append("run_1", std::slice::from_ref(entry))
            .await
            .unwrap();
    }
    assert_eq!(
        journal.entries("run_1").await.unwrap(),
        [at_threshold.clone(), large.clone(), over_threshold.clone()]
    );

    let shell = file.shell();
    let rows: Vec<(i64, bool, Option<i64>, i64)> = shell
        .prepare("SELECT seq, json IS NULL, blob, bytes FROM entries ORDER BY seq")
        .unwrap()
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], (1, false, None, 64 << 10));
    assert!(rows[1].1 && rows[1].2.is_some());
    assert_eq!(rows[1].3, large.json().len() as i64);
    assert!(rows[2].1 && rows[2].2.is_some());
    let blobs: i64 = shell
        .query_row("SELECT count(*) FROM blobs", [], |row| row.get(0))
        .unwrap();
    assert_eq!(blobs, 2);
    let stored: String = shell
        .query_row(
            "SELECT json FROM blobs WHERE id = ?1",
            [rows[1].2.unwrap()],
            |row| row.get(0),
        )
        .unwrap();
    assert!(stored == large.json());
}

#[tokio::test]
async fn a_new_handle_on_the_file_sees_everything() {
    let file = TempFile::new("reopen");
    let journal = SqliteJournal::open(file.path()).unwrap();
    let steps: Vec<Entry> = (0..5).map(|n| step("call_finished", n)).collect();
    for entry in &steps {
        journal
            .append("run_1", std::slice::from_ref(entry))
            .await
            .unwrap();
    }
    journal
        .append("run_2", &[step("started", 0)])
        .await
        .unwrap();
    journal
        .append("run_3", &[step("started", 0)])
        .await
        .unwrap();
    journal.end("run_2").await.unwrap();
    drop(journal);

    let reopened = SqliteJournal::open(file.path()).unwrap();
    assert_eq!(reopened.entries("run_1").await.unwrap(), steps);
    assert_eq!(reopened.unfinished().await.unwrap(), ["run_1", "run_3"]);
    // And it goes on where the other stopped.
    reopened
        .append("run_1", &[step("answered", 5)])
        .await
        .unwrap();
    assert_eq!(reopened.entries("run_1").await.unwrap().len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_appending_concurrently_lose_nothing() {
    const RUNS: usize = 24;
    const STEPS: usize = 20;
    let file = TempFile::new("concurrent");
    let first = SqliteJournal::open(file.path()).unwrap();
    let second = SqliteJournal::open(file.path()).unwrap();
    let mut tasks = Vec::new();
    for run in 0..RUNS {
        let journal = if run % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let run_id = format!("run_{run}");
            for n in 0..STEPS {
                journal
                    .append(&run_id, &[step("call_finished", n)])
                    .await
                    .unwrap();
                tokio::task::yield_now().await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let reader = SqliteJournal::open(file.path()).unwrap();
    let mut unfinished = reader.unfinished().await.unwrap();
    unfinished.sort();
    let mut expected: Vec<String> = (0..RUNS).map(|run| format!("run_{run}")).collect();
    expected.sort();
    assert_eq!(unfinished, expected);
    for run in 0..RUNS {
        let entries = reader.entries(&format!("run_{run}")).await.unwrap();
        let wanted: Vec<Entry> = (0..STEPS).map(|n| step("call_finished", n)).collect();
        assert_eq!(entries, wanted, "run_{run}");
    }
}

#[tokio::test]
async fn a_file_of_a_newer_format_is_refused() {
    let file = TempFile::new("newer");
    let journal = SqliteJournal::open(file.path()).unwrap();
    journal
        .append("run_1", &[step("started", 0)])
        .await
        .unwrap();
    drop(journal);
    file.shell()
        .execute_batch("PRAGMA user_version = 2")
        .unwrap();

    let error = SqliteJournal::open(file.path()).unwrap_err();
    assert!(matches!(error, JournalError::Store(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("format version 2") && message.contains("reads version 1"),
        "{message}"
    );
    assert!(
        message.contains(&file.path().display().to_string()),
        "{message}"
    );

    // Back to version 1, it opens again.
    file.shell()
        .execute_batch("PRAGMA user_version = 1")
        .unwrap();
    let journal = SqliteJournal::open(file.path()).unwrap();
    assert_eq!(journal.entries("run_1").await.unwrap().len(), 1);
}

#[test]
fn a_file_that_is_not_a_journal_is_refused_and_left_alone() {
    // Another program's database.
    let file = TempFile::new("foreign");
    file.shell()
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    let error = SqliteJournal::open(file.path()).unwrap_err();
    assert!(
        error.to_string().contains("not a tool-runtime journal"),
        "{error}"
    );
    let shell = file.shell();
    let mode: String = shell
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    let tables: i64 = shell
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .unwrap();
    assert_eq!(tables, 1);

    // Not a database at all.
    let file = TempFile::new("text");
    std::fs::write(
        file.path(),
        "just some text, long enough to have been a header ".repeat(4),
    )
    .unwrap();
    let error = SqliteJournal::open(file.path()).unwrap_err();
    assert!(matches!(error, JournalError::Store(_)), "{error:?}");
    assert!(error.to_string().contains("cannot open"), "{error}");

    // A directory that does not exist.
    let error =
        SqliteJournal::open(std::env::temp_dir().join("no-such-dir-7f3a/journal.db")).unwrap_err();
    assert!(matches!(error, JournalError::Store(_)), "{error:?}");
}

#[tokio::test]
async fn a_damaged_step_is_unreadable_not_misread() {
    let file = TempFile::new("damaged");
    let journal = SqliteJournal::open(file.path()).unwrap();
    journal
        .append("run_1", &[step("started", 0)])
        .await
        .unwrap();
    file.shell()
        .execute_batch("UPDATE entries SET json = CAST(X'FFFE' AS TEXT)")
        .unwrap();
    match journal.entries("run_1").await {
        Err(JournalError::Unreadable { run_id, problem }) => {
            assert_eq!(run_id, "run_1");
            assert!(problem.contains("step 1"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_step_over_the_limit_is_refused() {
    let file = TempFile::new("too-large");
    let journal = SqliteJournal::open(file.path()).unwrap();
    assert_eq!(journal.max_entry_bytes(), 64 << 20);
    let journal = journal.with_max_entry_bytes(1000);
    assert_eq!(journal.max_entry_bytes(), 1000);

    let over = Entry::new("call_finished", "x".repeat(1001));
    match journal.append("run_1", std::slice::from_ref(&over)).await {
        Err(JournalError::TooLarge { bytes, limit }) => assert_eq!((bytes, limit), (1001, 1000)),
        other => panic!("{other:?}"),
    }
    assert!(journal.entries("run_1").await.unwrap().is_empty());
    assert!(journal.unfinished().await.unwrap().is_empty());

    let at = Entry::new("call_finished", "x".repeat(1000));
    journal
        .append("run_1", std::slice::from_ref(&at))
        .await
        .unwrap();
    assert_eq!(journal.entries("run_1").await.unwrap(), [at]);
}

#[tokio::test]
async fn both_durability_modes_append() {
    let file = TempFile::new("durability");
    let process = SqliteJournal::open(file.path()).unwrap();
    assert!(format!("{process:?}").contains("Process"));
    // A clone with the other mode shares the connection; each append uses its handle's mode.
    let power_loss = process.clone().with_durability(Durability::PowerLoss);
    assert!(format!("{power_loss:?}").contains("PowerLoss"));
    assert_eq!(Durability::default(), Durability::Process);
    let mut written = Vec::new();
    for n in 0..6 {
        let journal = if n % 2 == 0 { &process } else { &power_loss };
        let entry = step("call_finished", n);
        journal
            .append("run_1", std::slice::from_ref(&entry))
            .await
            .unwrap();
        written.push(entry);
    }
    power_loss.end("run_1").await.unwrap();
    assert_eq!(process.entries("run_1").await.unwrap(), written);

    let other = TempFile::new("power-loss");
    let journal = SqliteJournal::open(other.path())
        .unwrap()
        .with_durability(Durability::PowerLoss);
    journal
        .append("run_1", &[step("started", 0)])
        .await
        .unwrap();
    drop(journal);
    let reopened = SqliteJournal::open(other.path()).unwrap();
    assert_eq!(reopened.entries("run_1").await.unwrap().len(), 1);
}

#[test]
fn it_works_outside_a_tokio_runtime() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    /// Outside a runtime the store works in place: its futures are ready on the first poll.
    fn now<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("pending outside a runtime"),
        }
    }

    let file = TempFile::new("no-runtime");
    let journal = SqliteJournal::open(file.path()).unwrap();
    now(journal.append("run_1", &[step("started", 0)])).unwrap();
    assert_eq!(now(journal.entries("run_1")).unwrap().len(), 1);
    assert_eq!(now(journal.unfinished()).unwrap(), ["run_1"]);
    now(journal.end("run_1")).unwrap();
    assert!(now(journal.unfinished()).unwrap().is_empty());
    let debug = format!("{journal:?}");
    assert!(
        debug.contains("SqliteJournal") && debug.contains("no-runtime"),
        "{debug}"
    );
}

/// The rules every store keeps, by the entries' kinds, in SQLite and in memory alike: the steps
/// appended together are written together; a step that starts a run it has is refused, nothing
/// written; a step that ends a run ends it in the same write.
#[tokio::test]
async fn both_stores_keep_the_rules_of_the_kinds() {
    let file = TempFile::new("rules");
    let stores: [Box<dyn Journal>; 2] = [
        Box::new(SqliteJournal::open(file.path()).unwrap()),
        Box::new(tool_runtime::journal::MemoryJournal::new()),
    ];
    for journal in stores {
        let batch = [
            step("started", 0),
            step("call_started", 1),
            step("call_started", 2),
        ];
        journal.append("run_1", &batch).await.unwrap();
        assert_eq!(journal.entries("run_1").await.unwrap(), batch);

        let again = journal.append("run_1", &[step("started", 9)]).await;
        assert!(
            matches!(again, Err(JournalError::Exists(ref id)) if id == "run_1"),
            "{again:?}"
        );
        assert_eq!(
            journal.entries("run_1").await.unwrap().len(),
            3,
            "nothing written"
        );

        journal
            .append("run_1", &[step("answered", 3), step("ended", 4)])
            .await
            .unwrap();
        assert!(journal.unfinished().await.unwrap().is_empty());
        assert_eq!(journal.entries("run_1").await.unwrap().len(), 5);
    }
}

/// A run whose steps were deleted by hand (as the docs show) leaves its row; a new run under
/// its id starts afresh, running, not ended.
#[tokio::test]
async fn a_new_run_under_the_id_of_a_deleted_one_is_running() {
    let file = TempFile::new("reused");
    let journal = SqliteJournal::open(file.path()).unwrap();
    journal
        .append("run_1", &[step("started", 0), step("ended", 1)])
        .await
        .unwrap();
    let connection = Connection::open(file.path()).unwrap();
    connection
        .execute("DELETE FROM entries WHERE run_id = 'run_1'", [])
        .unwrap();
    journal
        .append("run_1", &[step("started", 0)])
        .await
        .unwrap();
    assert_eq!(journal.unfinished().await.unwrap(), ["run_1"]);
    let status: String = connection
        .query_row("SELECT status FROM runs WHERE id = 'run_1'", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(status, "running");
}
