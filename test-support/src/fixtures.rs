//! The real traffic recorded from the live APIs, in `tool-runtime/tests/fixtures/`.

use serde_json::Value;

/// A recorded file's text.
pub fn fixture_text(name: &str) -> String {
    let path = format!(
        "{}/../tool-runtime/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A recorded JSON file.
pub fn fixture(name: &str) -> Value {
    serde_json::from_str(&fixture_text(name)).unwrap()
}
