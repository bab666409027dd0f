use tool_runtime::{tool, toolset};

struct Counter(u32);

#[toolset]
impl Counter {
    /// Count one more.
    #[tool]
    fn increment(&mut self) -> u32 {
        self.0 += 1;
        self.0
    }
}

fn main() {}
