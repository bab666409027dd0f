use tool_runtime::{tool, toolset};

struct Shop {
    name: String,
}

#[toolset]
impl Shop {
    /// The shop's name.
    #[tool]
    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }
}

fn main() {}
