use tool_runtime::tool;

/// Convert money.
#[tool]
fn convert(#[arg(rename = "from currency")] from: String) -> String {
    from
}

fn main() {}
