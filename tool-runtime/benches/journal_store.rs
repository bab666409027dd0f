//! What a journaled step costs: one append to `SqliteJournal`, for both durability modes,
//! against `MemoryJournal` measured in the same run.
//!
//! `cargo bench -p tool-runtime --features sqlite --bench journal_store` first prints, for a
//! step of ~1 KiB appended and awaited from a worker task of a 2-worker runtime (as the loop
//! appends), the median (p50) and p99 latency of one append to each store and the ratio of the
//! medians to `MemoryJournal`'s; then the same for a 1 MiB step (kept in `blobs`); then what
//! the hop to Tokio's blocking threads costs (the same appends made in place, outside a
//! runtime); then divan's table. The files go to the temp directory, or to
//! `JOURNAL_BENCH_DIR` (put it on the disk to measure: a tmpfs makes `PowerLoss`'s fsync free).

use std::future::Future;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tool_runtime::journal::{Durability, Entry, Journal, MemoryJournal, SqliteJournal};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A journal file, removed (with its WAL files) when dropped.
struct File(PathBuf);

impl File {
    fn new(name: &str) -> Self {
        let dir = std::env::var_os("JOURNAL_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let file = Self(dir.join(format!(
            "tool-runtime-bench-{}-{name}.db",
            std::process::id()
        )));
        file.remove();
        file
    }

    fn open(&self, durability: Durability) -> SqliteJournal {
        SqliteJournal::open(&self.0)
            .expect("open")
            .with_durability(durability)
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A step of about `bytes` bytes, as the loop writes a tool's result.
fn step(bytes: usize) -> Entry {
    let output = "x".repeat(bytes);
    Entry::new(
        "call_finished",
        format!(r#"{{"kind":"call_finished","call_id":"call_1","output":"{output}"}}"#),
    )
}

/// `appends` appends of `entry` to one run, each awaited in a worker task: each one's latency,
/// sorted.
fn latencies(
    runtime: &tokio::runtime::Runtime,
    journal: Arc<dyn Journal>,
    entry: &Entry,
    appends: usize,
) -> Vec<Duration> {
    let entry = entry.clone();
    let mut times = runtime
        .block_on(runtime.spawn(async move {
            // A few to warm up (the file's first pages, the blocking thread).
            for _ in 0..10 {
                journal
                    .append("warm_up", std::slice::from_ref(&entry))
                    .await
                    .expect("append");
            }
            let mut times = Vec::with_capacity(appends);
            for _ in 0..appends {
                let start = Instant::now();
                journal
                    .append("run_1", std::slice::from_ref(&entry))
                    .await
                    .expect("append");
                times.push(start.elapsed());
            }
            times
        }))
        .expect("task");
    times.sort();
    times
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// Appends to each store, printed with the ratio of its median to `MemoryJournal`'s.
fn report(runtime: &tokio::runtime::Runtime, bytes: usize, appends: [usize; 3]) {
    let entry = step(bytes);
    let memory = latencies(runtime, Arc::new(MemoryJournal::new()), &entry, appends[0]);
    let baseline = percentile(&memory, 50);
    println!(
        "append of a {} step, awaited in a worker task (2 workers): p50, p99",
        if bytes >= 1 << 20 {
            format!("{} MiB", bytes >> 20)
        } else {
            format!("{} KiB", bytes.div_ceil(1 << 10))
        }
    );
    println!(
        "  MemoryJournal                 {:>10.2?} {:>10.2?}  (baseline)",
        baseline,
        percentile(&memory, 99)
    );
    for (durability, appends) in [
        (Durability::Process, appends[1]),
        (Durability::PowerLoss, appends[2]),
    ] {
        let file = File::new(&format!("{durability:?}-{bytes}"));
        let times = latencies(runtime, Arc::new(file.open(durability)), &entry, appends);
        let p50 = percentile(&times, 50);
        println!(
            "  SqliteJournal, {:<10}     {:>10.2?} {:>10.2?}  = {:.0} x",
            format!("{durability:?}"),
            p50,
            percentile(&times, 99),
            p50.as_secs_f64() / baseline.as_secs_f64()
        );
    }
}

/// Polls a future once: outside a runtime, the SQLite store works in place.
fn in_place<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("pending outside a runtime"),
    }
}

/// The same appends as a worker task makes them, made in place: what the hop to the blocking
/// threads costs.
fn report_hop(runtime: &tokio::runtime::Runtime) {
    let entry = step(1 << 10);
    let file = File::new("hop");
    let journal = file.open(Durability::Process);
    let hopping = latencies(runtime, Arc::new(journal.clone()), &entry, 5_000);
    let mut in_place_times: Vec<Duration> = (0..5_000)
        .map(|_| {
            let start = Instant::now();
            in_place(journal.append("run_2", std::slice::from_ref(&entry))).expect("append");
            start.elapsed()
        })
        .collect();
    in_place_times.sort();
    let (hop, direct) = (percentile(&hopping, 50), percentile(&in_place_times, 50));
    println!("the hop to Tokio's blocking threads (1 KiB, Process), p50:");
    println!("  in place, outside a runtime   {direct:>10.2?}");
    println!(
        "  from a worker task            {hop:>10.2?}  (+{:.2?})",
        hop.saturating_sub(direct)
    );
}

fn main() {
    let runtime = runtime();
    report(&runtime, 1 << 10, [20_000, 5_000, 500]);
    report(&runtime, 1 << 20, [1_000, 200, 100]);
    report_hop(&runtime);
    println!();
    divan::main();
}

#[divan::bench]
fn append_1_kib_to_memory(bencher: divan::Bencher<'_, '_>) {
    let runtime = runtime();
    let journal = MemoryJournal::new();
    let entry = step(1 << 10);
    bencher.bench_local(|| {
        runtime.block_on(black_box(
            journal.append("run_1", std::slice::from_ref(&entry)),
        ))
    });
}

#[divan::bench(args = [Durability::Process, Durability::PowerLoss])]
fn append_1_kib_to_sqlite(bencher: divan::Bencher<'_, '_>, durability: Durability) {
    let runtime = runtime();
    let file = File::new(&format!("divan-{durability:?}"));
    let journal = file.open(durability);
    let entry = step(1 << 10);
    bencher.bench_local(|| {
        runtime.block_on(black_box(
            journal.append("run_1", std::slice::from_ref(&entry)),
        ))
    });
}
