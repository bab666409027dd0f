use tool_runtime::tool;

#[derive(Debug)]
struct Oops;

/// Try something.
#[tool]
fn attempt(text: String) -> Result<String, Oops> {
    Err(Oops).or(Ok(text))
}

fn main() {}
