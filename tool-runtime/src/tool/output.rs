//! [`ToolOutput`]: what a successful call sends back to the model.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::content::ContentBlock;
use crate::tool::ToolError;

/// The successful output of a tool call: the text sent back to the model, and any images and
/// documents with it.
///
/// A tool's return value becomes text this way: a string (or anything that serializes to a JSON
/// string) is sent as it is, without quotes; any other value is sent as compact JSON. A
/// [`ContentBlock`], a `Vec<ContentBlock>` or a `ToolOutput` is sent as content
/// ([`content`](Self::content)).
///
/// ```
/// use tool_runtime::tool::ToolOutput;
/// # fn main() -> Result<(), tool_runtime::tool::ToolError> {
/// assert_eq!(ToolOutput::from_serialize(&"sunny")?.as_str(), "sunny");
/// assert_eq!(ToolOutput::from_serialize(&serde_json::json!({"temp": 21}))?.as_str(), r#"{"temp":21}"#);
/// assert_eq!(ToolOutput::from_serialize(&())?.as_str(), "null");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ToolOutput {
    /// The text: all of it, or the text blocks joined.
    text: String,
    /// The whole content in order, when it holds more than text (empty otherwise).
    blocks: Vec<ContentBlock>,
}

impl ToolOutput {
    /// Output made of this text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            blocks: Vec::new(),
        }
    }

    /// Output made of these blocks: text, images, documents, in order.
    ///
    /// ```
    /// use tool_runtime::conversation::ContentBlock;
    /// use tool_runtime::tool::ToolOutput;
    ///
    /// let output = ToolOutput::content([
    ///     ContentBlock::text("The login page:"),
    ///     ContentBlock::image("image/png", [0x89, b'P', b'N', b'G']),
    /// ]);
    /// assert_eq!(output.as_str(), "The login page:");
    /// assert!(output.has_media());
    /// assert_eq!(output.blocks().len(), 2);
    /// ```
    pub fn content(blocks: impl IntoIterator<Item = ContentBlock>) -> Self {
        let blocks: Vec<ContentBlock> = blocks.into_iter().collect();
        let texts: Vec<&str> = blocks.iter().filter_map(ContentBlock::as_text).collect();
        let text = texts.join("\n");
        let has_media = blocks.iter().any(|block| block.media().is_some());
        Self {
            text,
            blocks: if has_media { blocks } else { Vec::new() },
        }
    }

    /// Whether the output holds images or documents besides its text.
    pub fn has_media(&self) -> bool {
        !self.blocks.is_empty()
    }

    /// The blocks of an output with images or documents (empty for one that is only text).
    pub(crate) fn media_blocks(&self) -> &[ContentBlock] {
        &self.blocks
    }

    /// The whole content, in order: one text block for an output that is only text.
    pub fn blocks(&self) -> Cow<'_, [ContentBlock]> {
        if self.blocks.is_empty() {
            Cow::Owned(vec![ContentBlock::text(self.text.as_str())])
        } else {
            Cow::Borrowed(&self.blocks)
        }
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
            return Ok(Self::text(text));
        }
        Ok(Self::text(json))
    }

    /// The text (without the images and documents).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.text
    }
}

/// A string when it is only text, else its blocks.
impl Serialize for ToolOutput {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.blocks.is_empty() {
            serializer.serialize_str(&self.text)
        } else {
            self.blocks.serialize(serializer)
        }
    }
}

impl From<ContentBlock> for ToolOutput {
    fn from(block: ContentBlock) -> Self {
        Self::content([block])
    }
}

impl From<Vec<ContentBlock>> for ToolOutput {
    fn from(blocks: Vec<ContentBlock>) -> Self {
        Self::content(blocks)
    }
}

impl fmt::Display for ToolOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
