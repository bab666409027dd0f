use tool_runtime::tool;

struct Report {
    text: String,
}

/// Make reports.
#[tool]
fn reports(text: String) -> std::io::Result<Vec<Report>> {
    Ok(vec![Report { text }])
}

/// When the report was made.
#[tool]
fn made() -> std::time::Instant {
    std::time::Instant::now()
}

fn main() {}
