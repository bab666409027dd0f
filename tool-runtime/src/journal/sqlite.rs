//! [`SqliteJournal`]: a journal in a SQLite file (feature `sqlite`).
//!
//! The tables, the format version and the example queries are documented on [`SqliteJournal`]
//! (this module is private: its type is what users read).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};

use super::{Entry, Journal, JournalError, JournalFuture};

/// The format this library writes and reads (`PRAGMA user_version`).
const FORMAT_VERSION: i64 = 1;
/// Marks the file as a tool-runtime journal (`PRAGMA application_id`): ASCII `TRJL`.
const APPLICATION_ID: i64 = 0x5452_4a4c;
/// An entry whose JSON is larger than this many bytes is kept in `blobs`.
const BLOB_THRESHOLD: usize = 64 << 10;
/// How long a write waits for another connection's (another handle's, another process's).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// The time of a write, as SQLite knows it: ISO 8601 in UTC with milliseconds.
macro_rules! now {
    () => {
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    };
}

const SCHEMA: &str = "
CREATE TABLE runs (
    id      TEXT PRIMARY KEY,
    status  TEXT NOT NULL CHECK (status IN ('running', 'paused', 'ended')),
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX runs_unfinished ON runs (created) WHERE status <> 'ended';
CREATE TABLE blobs (
    id   INTEGER PRIMARY KEY,
    json TEXT NOT NULL
);
CREATE TABLE entries (
    run_id TEXT NOT NULL REFERENCES runs (id),
    seq    INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    bytes  INTEGER NOT NULL,
    json   TEXT,
    blob   INTEGER REFERENCES blobs (id),
    PRIMARY KEY (run_id, seq),
    CHECK ((json IS NULL) <> (blob IS NULL))
);
";

/// How durable an append is when it returns: what a [`SqliteJournal`] survives.
///
/// ```
/// use tool_runtime::journal::{Durability, SqliteJournal};
///
/// # fn main() -> Result<(), tool_runtime::journal::JournalError> {
/// # let path = std::env::temp_dir().join(format!("durability-doc-{}.db", std::process::id()));
/// let journal = SqliteJournal::open(&path)?.with_durability(Durability::PowerLoss);
/// # drop(journal);
/// # for suffix in ["", "-wal", "-shm"] {
/// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
/// # }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// An appended step survives the process being killed (a crash, `SIGKILL`, an OOM kill),
    /// not the machine losing power or the OS crashing, which may lose the last steps (never
    /// damage the file). SQLite's `synchronous = NORMAL` in WAL mode: a commit is a write to the
    /// OS, without waiting for the disk.
    #[default]
    Process,
    /// An appended step survives the machine losing power too: every commit waits for the disk
    /// (`synchronous = FULL`: an fsync per step, from a few hundred microseconds to milliseconds
    /// by disk).
    PowerLoss,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Self::Process => "NORMAL",
            Self::PowerLoss => "FULL",
        }
    }
}

/// A [`Journal`] in a SQLite file: runs survive the process (and, with
/// [`Durability::PowerLoss`], the machine), and a person can read them with the `sqlite3` shell.
///
/// [`open`](Self::open) creates the file and its tables if needed. Every
/// [`append`](Journal::append) is one transaction (its steps, and their run's row updated),
/// committed before the append returns. The work runs on Tokio's blocking threads
/// ([`spawn_blocking`](tokio::task::spawn_blocking)), never on the runtime's workers (outside a
/// Tokio runtime it runs in place).
///
/// ```
/// use tool_runtime::journal::{Entry, Journal, SqliteJournal};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), tool_runtime::journal::JournalError> {
/// # let path = std::env::temp_dir().join(format!("sqlite-journal-doc-{}.db", std::process::id()));
/// let journal = SqliteJournal::open(&path)?;
/// journal.append("run_1", &[Entry::new("note", r#"{"kind":"note"}"#)]).await?;
/// assert_eq!(journal.unfinished().await?, ["run_1"]);
///
/// // Another handle on the file (another process, after a crash…) sees the run.
/// let reopened = SqliteJournal::open(&path)?;
/// assert_eq!(reopened.entries("run_1").await?[0].kind(), "note");
/// reopened.end("run_1").await?;
/// assert!(journal.unfinished().await?.is_empty());
/// # drop((journal, reopened));
/// # for suffix in ["", "-wal", "-shm"] {
/// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
/// # }
/// # Ok(()) }
/// ```
///
/// # Handles, processes
///
/// Clones share one connection (one write at a time: SQLite lets one connection write to a
/// file at a time anyway, and a mutex hands the connection over sooner than SQLite's
/// locks would). Two `open`s of one file, in one process or two, each have their own: a
/// write waits up to 30 s for the other's to finish, rather than fail. Appends to one run
/// that are awaited one after the other keep their order; concurrent appends to one run are
/// kept in the order they commit. An append whose future is dropped may still commit.
///
/// Dropping the last handle closes the file (SQLite then folds its write-ahead log into the
/// file, which may take a few milliseconds) on the thread that drops it.
///
/// # The file
///
/// The database is in WAL mode: beside `journal.db` live `journal.db-wal` and
/// `journal.db-shm` while it is open (copy the three together, or none while it is in use).
/// `PRAGMA user_version` is the format's version, 1 (and `PRAGMA application_id` is
/// `0x5452_4a4c`, `TRJL`); opening a file of a newer format, or a SQLite database that is not
/// a journal, fails with a [`JournalError::Store`] that says so, and leaves the file alone.
///
/// ```sql
/// CREATE TABLE runs (
///     id      TEXT PRIMARY KEY,  -- the run id
///     status  TEXT NOT NULL,     -- 'running', 'paused' (its last step paused it) or 'ended'
///     created TEXT NOT NULL,     -- its first step, in UTC: '2026-12-08T09:30:00.123Z'
///     updated TEXT NOT NULL      -- its last step (or its end)
/// );
/// CREATE TABLE entries (         -- the steps of every run
///     run_id TEXT NOT NULL REFERENCES runs (id),
///     seq    INTEGER NOT NULL,   -- 1, 2, 3… within the run: the order of its steps
///     kind   TEXT NOT NULL,      -- started, call_started, call_finished, answered, paused…
///     bytes  INTEGER NOT NULL,   -- the size of the step's JSON, in bytes
///     json   TEXT,               -- the step's JSON, if it is 64 KiB or less…
///     blob   INTEGER REFERENCES blobs (id),  -- …else where it is
///     PRIMARY KEY (run_id, seq)
/// );
/// CREATE TABLE blobs (           -- the JSON of steps larger than 64 KiB, each kept once
///     id   INTEGER PRIMARY KEY,
///     json TEXT NOT NULL
/// );
/// ```
///
/// A step larger than 64 KiB (a tool's large result) is kept in `blobs`, so that
/// `SELECT kind, json FROM entries` stays readable in the shell; [`entries`](Journal::entries)
/// gives every step back whole. A run that has ended stays in the file, with its steps (delete
/// them with SQL when they are no longer wanted: `entries`, then `blobs`, then `runs`).
///
/// Some queries, in `sqlite3 journal.db` — the runs a recovery would continue, oldest first:
///
/// ```sql
/// SELECT id, status, created, updated FROM runs WHERE status <> 'ended' ORDER BY created, rowid;
/// ```
///
/// the steps of one run, with their kinds and sizes:
///
/// ```sql
/// SELECT seq, kind, bytes, blob IS NOT NULL AS in_blobs FROM entries
/// WHERE run_id = 'run_1' ORDER BY seq;
/// ```
///
/// the runs paused for a person's decision, with what they wait for:
///
/// ```sql
/// SELECT r.id, r.updated, e.json FROM runs AS r
/// JOIN entries AS e ON e.run_id = r.id
///     AND e.seq = (SELECT max(seq) FROM entries WHERE run_id = r.id)
/// WHERE r.status = 'paused';
/// ```
///
/// (A step kept in `blobs` reads as `coalesce(e.json, (SELECT json FROM blobs WHERE id = e.blob))`.)
#[derive(Clone)]
pub struct SqliteJournal {
    shared: Arc<Shared>,
    durability: Durability,
    max_entry_bytes: usize,
}

/// What clones share: the file's connection.
struct Shared {
    path: PathBuf,
    connection: Mutex<Open>,
}

struct Open {
    connection: Connection,
    /// The `synchronous` setting of the connection, once a write has set it (handles may ask
    /// for different ones; SQLite's own default is `FULL`).
    synchronous: Option<Durability>,
}

/// Why a file could not be opened as a journal.
#[derive(Debug, thiserror::Error)]
enum OpenError {
    #[error("cannot open the journal {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the journal {} is in format version {version}, which this version of tool-runtime \
         cannot read (it reads version {FORMAT_VERSION}): a newer version wrote it",
        path.display()
    )]
    Newer { path: PathBuf, version: i64 },
    #[error(
        "{} is a SQLite database but not a tool-runtime journal (application_id {application_id}, \
         user_version {version}): it is left alone",
        path.display()
    )]
    Foreign {
        path: PathBuf,
        application_id: i64,
        version: i64,
    },
}

impl SqliteJournal {
    /// Opens the journal in the SQLite file at `path`, creating the file and its tables if
    /// needed, with [`Durability::Process`] and a limit of 64 MiB per step.
    ///
    /// Opening touches the disk: call it at startup (or on a blocking thread), not on every
    /// request.
    ///
    /// ```
    /// use tool_runtime::journal::SqliteJournal;
    ///
    /// # fn main() -> Result<(), tool_runtime::journal::JournalError> {
    /// # let path = std::env::temp_dir().join(format!("open-doc-{}.db", std::process::id()));
    /// let journal = SqliteJournal::open(&path)?;
    /// # drop(journal);
    /// # for suffix in ["", "-wal", "-shm"] {
    /// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    /// # }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`JournalError::Store`] when the file cannot be opened or created, is not a SQLite
    /// database, is a SQLite database that is not a journal, or is a journal of a newer format
    /// than this version of the library reads.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        let path = path.as_ref().to_path_buf();
        let connection = prepare(&path)?;
        Ok(Self {
            shared: Arc::new(Shared {
                path,
                connection: Mutex::new(Open {
                    connection,
                    synchronous: None,
                }),
            }),
            durability: Durability::Process,
            max_entry_bytes: 64 << 20,
        })
    }

    /// This handle's appends are durable as `durability` says ([`Durability::Process`]
    /// unless set). Clones made after keep it; other handles keep their own.
    ///
    /// ```
    /// use tool_runtime::journal::{Durability, SqliteJournal};
    ///
    /// # fn main() -> Result<(), tool_runtime::journal::JournalError> {
    /// # let path = std::env::temp_dir().join(format!("with-durability-doc-{}.db", std::process::id()));
    /// let journal = SqliteJournal::open(&path)?.with_durability(Durability::PowerLoss);
    /// # drop(journal);
    /// # for suffix in ["", "-wal", "-shm"] {
    /// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    /// # }
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// This handle keeps steps of up to `bytes` bytes of JSON (64 MiB unless set): what
    /// [`Journal::max_entry_bytes`] returns, and a larger step is refused with
    /// [`JournalError::TooLarge`]. (SQLite itself keeps no string over 1 GB.)
    ///
    /// ```
    /// use tool_runtime::journal::{Journal, SqliteJournal};
    ///
    /// # fn main() -> Result<(), tool_runtime::journal::JournalError> {
    /// # let path = std::env::temp_dir().join(format!("max-entry-doc-{}.db", std::process::id()));
    /// let journal = SqliteJournal::open(&path)?.with_max_entry_bytes(1 << 20);
    /// assert_eq!(journal.max_entry_bytes(), 1 << 20);
    /// # drop(journal);
    /// # for suffix in ["", "-wal", "-shm"] {
    /// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    /// # }
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_max_entry_bytes(mut self, bytes: usize) -> Self {
        self.max_entry_bytes = bytes;
        self
    }

    /// Runs `work` on the connection, on a blocking thread; a write first sets the connection's
    /// `synchronous` to this handle's durability.
    fn run<T: Send + 'static>(
        &self,
        write: bool,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> JournalFuture<'static, T> {
        let shared = Arc::clone(&self.shared);
        let durability = self.durability;
        let work = move || {
            let mut open = shared.lock();
            if write && open.synchronous != Some(durability) {
                open.connection
                    .pragma_update(None, "synchronous", durability.pragma())
                    .map_err(JournalError::store)?;
                open.synchronous = Some(durability);
            }
            work(&mut open.connection).map_err(JournalError::store)
        };
        Box::pin(async move {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => runtime
                    .spawn_blocking(work)
                    .await
                    .map_err(JournalError::store)?,
                Err(_) => work(),
            }
        })
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Open> {
        // A panic while the lock was held left no transaction open (a dropped transaction
        // rolls back): keep going.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Opens the file and makes it a journal if it is a new (empty) database.
fn prepare(path: &Path) -> Result<Connection, JournalError> {
    let sqlite = |source| {
        JournalError::store(OpenError::Sqlite {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut connection = Connection::open(path).map_err(sqlite)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
    // What the file is, before anything is changed in it.
    let new = identify(&connection, path).map_err(sqlite)??;
    connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
        .map_err(sqlite)?;
    connection
        .pragma_update(None, "foreign_keys", true)
        .map_err(sqlite)?;
    if new {
        // The tables, unless another connection made them meanwhile.
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        if identify(&transaction, path).map_err(sqlite)?? {
            transaction.execute_batch(SCHEMA).map_err(sqlite)?;
            transaction
                .pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sqlite)?;
            transaction
                .pragma_update(None, "user_version", FORMAT_VERSION)
                .map_err(sqlite)?;
        }
        transaction.commit().map_err(sqlite)?;
    }
    Ok(connection)
}

/// Whether the database is new and empty (`Ok(true)`), a journal this library reads
/// (`Ok(false)`), or neither (`Err`).
fn identify(connection: &Connection, path: &Path) -> rusqlite::Result<Result<bool, JournalError>> {
    let application_id: i64 =
        connection.pragma_query_value(None, "application_id", |row| row.get(0))?;
    let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let path = path.to_path_buf();
    Ok(match (application_id, version) {
        (APPLICATION_ID, FORMAT_VERSION) => Ok(false),
        (APPLICATION_ID, version) if version > FORMAT_VERSION => {
            Err(JournalError::store(OpenError::Newer { path, version }))
        }
        (0, 0) => {
            let objects: i64 =
                connection.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))?;
            if objects == 0 {
                Ok(true)
            } else {
                Err(JournalError::store(OpenError::Foreign {
                    path,
                    application_id,
                    version,
                }))
            }
        }
        (application_id, version) => Err(JournalError::store(OpenError::Foreign {
            path,
            application_id,
            version,
        })),
    })
}

/// Appends `entries` to the run in one transaction: all or none. `Ok(Err(_))` when the store
/// refuses them (a step that starts a run the file has).
fn append(
    connection: &mut Connection,
    run_id: &str,
    entries: &[Entry],
) -> rusqlite::Result<Result<(), JournalError>> {
    let Some(last) = entries.last() else {
        return Ok(Ok(()));
    };
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let next: i64 = transaction
        .prepare_cached("SELECT coalesce(max(seq), 0) + 1 FROM entries WHERE run_id = ?1")?
        .query_row([run_id], |row| row.get(0))?;
    if next > 1 && entries.iter().any(Entry::starts) {
        // Rolled back as the transaction is dropped: nothing is written.
        return Ok(Err(JournalError::Exists(run_id.to_owned())));
    }
    let status = if entries.iter().any(Entry::ends) {
        "ended"
    } else if last.pauses() {
        "paused"
    } else {
        "running"
    };
    // A run that has ended stays ended (as in `MemoryJournal`), unless its steps were deleted
    // and a new run starts under its id.
    let starts = entries.iter().any(Entry::starts);
    transaction
        .prepare_cached(concat!(
            "INSERT INTO runs (id, status, created, updated) VALUES (?1, ?2, ",
            now!(),
            ", ",
            now!(),
            ") ON CONFLICT (id) DO UPDATE SET updated = excluded.updated,
                 created = CASE WHEN ?3 THEN excluded.created ELSE runs.created END,
                 status = CASE WHEN ?3 OR runs.status <> 'ended' THEN excluded.status
                               ELSE 'ended' END"
        ))?
        .execute(params![run_id, status, starts])?;
    for (seq, entry) in (next..).zip(entries) {
        let json = entry.json();
        let (inline, blob) = if json.len() > BLOB_THRESHOLD {
            transaction
                .prepare_cached("INSERT INTO blobs (json) VALUES (?1)")?
                .execute([json])?;
            (None, Some(transaction.last_insert_rowid()))
        } else {
            (Some(json), None)
        };
        transaction
            .prepare_cached(
                "INSERT INTO entries (run_id, seq, kind, bytes, json, blob) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                run_id,
                seq,
                entry.kind(),
                i64::try_from(json.len()).unwrap_or(i64::MAX),
                inline,
                blob
            ])?;
    }
    transaction.commit()?;
    Ok(Ok(()))
}

/// A step that cannot be read back (the file was changed by hand, or damaged).
#[derive(Debug)]
struct Damaged(String);

fn entries(
    connection: &mut Connection,
    run_id: &str,
) -> rusqlite::Result<Result<Vec<Entry>, Damaged>> {
    let mut statement = connection.prepare(
        "SELECT e.seq, e.kind, coalesce(e.json, b.json) FROM entries AS e
         LEFT JOIN blobs AS b ON b.id = e.blob
         WHERE e.run_id = ?1 ORDER BY e.seq",
    )?;
    let mut rows = statement.query([run_id])?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let text = |column: usize, what: &str| {
            row.get_ref(column)
                .ok()
                .and_then(|value| value.as_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| Damaged(format!("step {seq}: its {what} is missing or not text")))
        };
        let kind = match text(1, "kind") {
            Ok(kind) => kind,
            Err(damaged) => return Ok(Err(damaged)),
        };
        let json = match text(2, "JSON") {
            Ok(json) => json,
            Err(damaged) => return Ok(Err(damaged)),
        };
        entries.push(Entry::new(kind, json));
    }
    Ok(Ok(entries))
}

impl Journal for SqliteJournal {
    fn append<'a>(&'a self, run_id: &'a str, entries: &'a [Entry]) -> JournalFuture<'a, ()> {
        let limit = self.max_entry_bytes;
        if let Some(bytes) = entries
            .iter()
            .map(|entry| entry.json().len())
            .find(|&bytes| bytes > limit)
        {
            return Box::pin(std::future::ready(Err(JournalError::TooLarge {
                bytes,
                limit,
            })));
        }
        let (run_id, entries) = (run_id.to_owned(), entries.to_vec());
        let appended = self.run(true, move |connection| {
            append(connection, &run_id, &entries)
        });
        Box::pin(async move { appended.await? })
    }

    fn entries<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, Vec<Entry>> {
        let owned = run_id.to_owned();
        let read = self.run(false, move |connection| entries(connection, &owned));
        Box::pin(async move {
            read.await?
                .map_err(|Damaged(problem)| JournalError::Unreadable {
                    run_id: run_id.to_owned(),
                    problem,
                })
        })
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<String>> {
        self.run(false, |connection| {
            let mut statement = connection
                .prepare("SELECT id FROM runs WHERE status <> 'ended' ORDER BY created, rowid")?;
            let ids = statement.query_map([], |row| row.get(0))?;
            ids.collect()
        })
    }

    fn end<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, ()> {
        let run_id = run_id.to_owned();
        self.run(true, move |connection| {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            transaction.execute(
                concat!(
                    "UPDATE runs SET status = 'ended', updated = ",
                    now!(),
                    " WHERE id = ?1 AND status <> 'ended'"
                ),
                [&run_id],
            )?;
            transaction.commit()
        })
    }

    fn max_entry_bytes(&self) -> usize {
        self.max_entry_bytes
    }
}

impl fmt::Debug for SqliteJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteJournal")
            .field("path", &self.shared.path)
            .field("durability", &self.durability)
            .field("max_entry_bytes", &self.max_entry_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The connection's `synchronous` after a write of each mode (`NORMAL` is 1, `FULL` 2).
    #[test]
    fn a_write_sets_its_handles_durability() {
        let path = std::env::temp_dir().join(format!(
            "tool-runtime-journal-unit-{}-synchronous.db",
            std::process::id()
        ));
        let process = SqliteJournal::open(&path).unwrap();
        let power_loss = process.clone().with_durability(Durability::PowerLoss);
        let synchronous = |journal: &SqliteJournal| -> i64 {
            journal
                .shared
                .lock()
                .connection
                .pragma_query_value(None, "synchronous", |row| row.get(0))
                .unwrap()
        };
        let entry = Entry::new("note", "{}");
        for (journal, expected) in [(&process, 1), (&power_loss, 2), (&process, 1)] {
            // Outside a runtime: in place.
            let mut append = journal.append("run_1", std::slice::from_ref(&entry));
            let waker = std::task::Waker::noop();
            let mut context = std::task::Context::from_waker(waker);
            assert!(append.as_mut().poll(&mut context).is_ready());
            assert_eq!(synchronous(journal), expected);
        }
        drop((process, power_loss));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
