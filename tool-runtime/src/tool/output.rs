//! [`ToolOutput`]: what a successful call sends back to the model.

use std::fmt;

use serde::Serialize;

use crate::tool::ToolError;

/// The successful output of a tool call: the text sent back to the model.
///
/// A tool's return value becomes text this way: a string (or anything that serializes to a JSON
/// string) is sent as it is, without quotes; any other value is sent as compact JSON.
///
/// ```
/// use tool_runtime::ToolOutput;
/// # fn main() -> Result<(), tool_runtime::ToolError> {
/// assert_eq!(ToolOutput::from_serialize(&"sunny")?.as_str(), "sunny");
/// assert_eq!(ToolOutput::from_serialize(&serde_json::json!({"temp": 21}))?.as_str(), r#"{"temp":21}"#);
/// assert_eq!(ToolOutput::from_serialize(&())?.as_str(), "null");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ToolOutput {
    text: String,
}

impl ToolOutput {
    /// Output made of this text.
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: text.into() }
    }

    /// Output from any serializable value: strings as plain text, the rest as compact JSON.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, ToolError> {
        let json = serde_json::to_string(value).map_err(|e| ToolError::Output {
            tool: String::new(),
            message: e.to_string(),
        })?;
        if json.starts_with('"')
            && let Ok(text) = serde_json::from_str::<String>(&json)
        {
            return Ok(Self { text });
        }
        Ok(Self { text: json })
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl fmt::Display for ToolOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
