//! The provider-neutral conversation: messages, tool calls and their results, usage, and the
//! repair that makes a saved transcript sendable again.

mod call;
mod message;
mod repair;
mod usage;

pub use crate::content::{ContentBlock, Media, MediaSource};
pub(crate) use call::answer_every_call;
pub use call::{ToolCall, ToolResult};
pub use message::{AssistantMessage, Message, RawMessage};
pub use repair::repair_messages;
pub use usage::{StopReason, Usage};
