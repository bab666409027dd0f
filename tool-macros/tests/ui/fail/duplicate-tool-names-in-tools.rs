use tool_runtime::{tool, tools};

/// Say hello.
#[tool(name = "greet")]
fn hello() -> &'static str {
    "hello"
}

/// Say hi.
#[tool(name = "greet")]
fn hi() -> &'static str {
    "hi"
}

fn main() {
    let _toolbox = tools![hello, hi];
}
