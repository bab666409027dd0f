use tool_runtime::tool;

struct Caller(String);

/// Say hello to the caller.
#[tool]
fn hello(#[extract] caller: Caller) -> String {
    format!("Hello, {}!", caller.0)
}

fn main() {}
