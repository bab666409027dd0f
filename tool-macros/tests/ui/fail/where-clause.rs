use tool_runtime::tool;

/// Say hello.
#[tool]
fn hello(name: String) -> String
where
    String: Clone,
{
    name
}

fn main() {}
