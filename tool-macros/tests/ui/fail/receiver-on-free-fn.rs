use tool_runtime::tool;

/// Read the counter.
#[tool]
fn count(self) -> u32 {
    0
}

fn main() {}
