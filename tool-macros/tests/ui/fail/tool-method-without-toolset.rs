use tool_runtime::tool;

struct Counter(u32);

impl Counter {
    /// Read the counter.
    #[tool]
    fn read(&self) -> u32 {
        self.0
    }
}

fn main() {}
