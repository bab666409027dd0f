use tool_runtime::{tool, toolset};

struct Counter(u32);

#[toolset]
impl Counter {
    /// Read the counter.
    #[tool]
    fn read(self) -> u32 {
        self.0
    }
}

fn main() {}
