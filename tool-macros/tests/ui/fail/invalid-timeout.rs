use tool_runtime::tool;

/// Say hello.
#[tool(timeout = "5 seconds")]
fn hello() -> &'static str {
    "hello"
}

fn main() {}
