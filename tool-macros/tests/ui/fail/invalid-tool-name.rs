use tool_runtime::tool;

/// Say hello.
#[tool(name = "say hello")]
fn hello() -> &'static str {
    "hello"
}

fn main() {}
