use tool_runtime::tool;

struct Report {
    text: String,
}

/// Make a report.
#[tool]
fn report(text: String) -> Report {
    Report { text }
}

fn main() {}
