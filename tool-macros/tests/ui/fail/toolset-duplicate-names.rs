use tool_runtime::{tool, toolset};

struct Shop;

#[toolset]
impl Shop {
    /// Look an item up.
    #[tool]
    fn lookup(&self, sku: String) -> String {
        sku
    }

    /// Look an item up, again.
    #[tool(name = "lookup")]
    fn find(&self, sku: String) -> String {
        sku
    }
}

fn main() {}
