use tool_runtime::{tool, toolset};

struct Store<T>(Vec<T>);

#[toolset]
impl<T: Send + Sync + 'static> Store<T> {
    /// How many items are stored.
    #[tool]
    fn len(&self) -> usize {
        self.0.len()
    }
}

fn main() {}
