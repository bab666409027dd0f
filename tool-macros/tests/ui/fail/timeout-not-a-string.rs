use tool_runtime::tool;

/// Say hello.
#[tool(timeout = 5)]
fn hello() -> &'static str {
    "hello"
}

/// Say goodbye.
#[tool(timeout = 500ms)]
fn goodbye() -> &'static str {
    "goodbye"
}

fn main() {}
