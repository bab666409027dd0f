use tool_runtime::tool;

/// Append an exclamation mark.
#[tool]
fn shout(text: &mut String) {
    text.push('!');
}

fn main() {}
