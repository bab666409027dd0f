use tool_runtime::tool;

/// Say hello.
#[tool]
fn hello(#[arg(renam = "who")] name: String) -> String {
    name
}

fn main() {}
