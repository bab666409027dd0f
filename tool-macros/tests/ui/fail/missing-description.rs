use tool_runtime::tool;

#[tool]
fn hello() -> &'static str {
    "hello"
}

fn main() {}
