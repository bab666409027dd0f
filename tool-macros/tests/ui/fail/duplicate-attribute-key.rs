use tool_runtime::tool;

/// Say hello.
#[tool(name = "hello", name = "hi")]
fn hello() -> &'static str {
    "hello"
}

fn main() {}
