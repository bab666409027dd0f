use tool_runtime::tool;

/// Convert money.
#[tool]
fn convert(from: String, #[arg(rename = "from")] to: String) -> String {
    format!("{from}->{to}")
}

fn main() {}
