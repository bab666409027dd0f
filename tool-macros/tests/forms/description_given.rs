//! A description given on the attribute stands in for missing docs.
use tool_runtime::tool;

#[tool(description = "Say hello.")]
fn hello() -> &'static str {
    "hello"
}

pub(crate) fn main() {
    assert_eq!(hello(), "hello");
}
