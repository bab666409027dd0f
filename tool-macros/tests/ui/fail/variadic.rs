use tool_runtime::tool;

/// Print things.
#[tool]
fn print_all(first: i32, _: ...) {
    let _ = first;
}

fn main() {}
