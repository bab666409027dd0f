use tool_runtime::tool;

/// Say hello.
#[tool(nmae = "hello")]
fn hello() -> &'static str {
    "hello"
}

fn main() {}
