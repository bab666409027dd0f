use tool_runtime::tool;

/// Say hello.
#[tool]
fn hello(#[arg(rename = "who", rename = "whom")] name: String) -> String {
    name
}

fn main() {}
