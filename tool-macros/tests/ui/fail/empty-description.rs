use tool_runtime::tool;

#[tool(description = "  ")]
fn hello() -> &'static str {
    "hello"
}

fn main() {}
