use tool_runtime::{tool, tools};

/// Greet someone.
#[tool]
fn broken(name: &str) -> String {
    format!("Hello, {name}!")
}

fn main() {
    // Only the parameter's error: `tools!` still finds the tool.
    let _toolbox = tools![broken];
}
