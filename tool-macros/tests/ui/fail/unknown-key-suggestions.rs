use tool_runtime::{tool, toolset};

/// Names from other libraries: each suggests ours.
#[tool(requires_approval, readOnlyHint, timout = "5s")]
fn delete(#[arg(desc = "The file to delete.")] path: String) -> String {
    path
}

/// A key far from every one of ours: only the list.
#[tool(strict)]
fn strict() -> String {
    String::new()
}

struct Shop;

#[toolset(krate = "tool_runtime")]
impl Shop {
    /// The shop's name.
    #[tool]
    fn name(&self) -> String {
        "shop".to_owned()
    }
}

fn main() {}
