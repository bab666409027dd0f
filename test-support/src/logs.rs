//! [`CapturedLogs`]: the `tracing` output of the test's own thread, as text.

use std::io;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;
use tracing::{Dispatch, Level};
use tracing_subscriber::fmt::format::FmtSpan;

/// Every `tracing` line written on this thread while it lives, formatted without colours.
pub struct CapturedLogs {
    buffer: Buffer,
    _default: DefaultGuard,
    _second: Dispatch,
}

impl CapturedLogs {
    /// Captures events up to `level`, and the span events `spans`, on the current thread (run
    /// the test on a current-thread runtime so that its tasks log there).
    pub fn start(level: Level, spans: FmtSpan) -> Self {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_span_events(spans)
            .with_writer(move || writer.clone())
            .finish();
        let default = tracing::subscriber::set_default(subscriber);
        // With a single registered dispatcher, tracing-core computes the interest of a callsite
        // first hit on another test's thread from THAT thread's (empty) default, and caches
        // "never" for ours too. A second live dispatcher makes it ask every registered one.
        let second = Dispatch::new(tracing::subscriber::NoSubscriber::default());
        Self {
            buffer,
            _default: default,
            _second: second,
        }
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.buffer.0.lock().unwrap().clone()).expect("the logs are UTF-8")
    }
}

/// A writer into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
