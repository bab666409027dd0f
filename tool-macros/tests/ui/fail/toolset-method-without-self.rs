use tool_runtime::{tool, toolset};

struct Shop;

#[toolset]
impl Shop {
    /// Say which shop this is.
    #[tool]
    fn name() -> &'static str {
        "the shop"
    }
}

fn main() {}
