//! [`ToolOutput`]: what a successful call sends back to the model.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::fmt::{self, Display};
use std::hash::{Hash, Hasher};

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::content::ContentBlock;
use crate::tool::{ToolDefinition, ToolError};

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
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// The text: all of it, or the text blocks joined.
    text: String,
    /// The whole content in order, when it holds more than text (empty otherwise).
    blocks: Vec<ContentBlock>,
    /// The value the text is the JSON of, kept for a tool that declares an output schema
    /// (boxed: most outputs have none, and results are moved around).
    structured: Option<Box<Value>>,
}

impl ToolOutput {
    /// Output made of this text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            blocks: Vec::new(),
            structured: None,
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
            structured: None,
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

    /// The output as a JSON value, when its tool declares an output schema (the value the text
    /// is the JSON of: MCP's `structuredContent`).
    pub fn structured(&self) -> Option<&Value> {
        self.structured.as_deref()
    }

    /// A tool's return value as its output: strings are moved in as they are, content (a
    /// `ToolOutput`, a [`ContentBlock`], a `Vec` of them) is sent as content, anything else is
    /// serialized — kept as a value too when the tool has an output schema (`structured`).
    /// Which one is decided by `T` alone: the checks fold away when the function is made for a
    /// type.
    pub(crate) fn of<T: Serialize + 'static>(
        tool: &str,
        structured: bool,
        value: T,
    ) -> Result<Self, ToolError> {
        fn is<T: 'static, U: 'static>() -> bool {
            TypeId::of::<T>() == TypeId::of::<U>()
        }
        /// `value` as a `U`, when `T` is `U`.
        fn take<T: 'static, U: 'static>(value: T) -> Option<U> {
            let mut slot = Some(value);
            let any: &mut dyn Any = &mut slot;
            any.downcast_mut::<Option<U>>().and_then(Option::take)
        }
        // (`take` gives nothing only when `is` said no: never below.)
        let unread = || ToolError::Output {
            tool: tool.to_owned(),
            message: "the output's type could not be read".to_owned(),
        };
        if is::<T, String>() {
            return Ok(Self::text(take::<T, String>(value).unwrap_or_default()));
        }
        if is::<T, &'static str>() {
            return Ok(Self::text(
                take::<T, &'static str>(value).unwrap_or_default(),
            ));
        }
        if is::<T, ToolOutput>() {
            return take::<T, ToolOutput>(value).ok_or_else(unread);
        }
        if is::<T, ContentBlock>() {
            return take::<T, ContentBlock>(value)
                .map(Self::from)
                .ok_or_else(unread);
        }
        if is::<T, Vec<ContentBlock>>() {
            return take::<T, Vec<ContentBlock>>(value)
                .map(Self::from)
                .ok_or_else(unread);
        }
        let output = if structured {
            Self::from_value(&value)
        } else {
            Self::from_serialize(&value)
        };
        output.map_err(|error| match error {
            ToolError::Output { message, .. } => ToolError::Output {
                tool: tool.to_owned(),
                message,
            },
            other => other,
        })
    }

    /// A tool's `Result` as its output ([`of`](Self::of)) or its error result (the error's
    /// `Display`).
    pub(crate) fn of_result<T: Serialize + 'static, E: Display>(
        tool: &str,
        structured: bool,
        result: Result<T, E>,
    ) -> Result<Self, ToolError> {
        match result {
            Ok(value) => Self::of(tool, structured, value),
            Err(error) => Err(Self::failed(tool, &error)),
        }
    }

    /// A tool's error as its error result: the error's `Display`, or a word that there was none.
    pub(crate) fn failed<E: Display + ?Sized>(tool: &str, error: &E) -> ToolError {
        let message = error.to_string();
        ToolError::Failed(if message.trim().is_empty() {
            format!("The tool `{tool}` failed without an error message.")
        } else {
            message
        })
    }

    /// Output from a serializable value kept as a JSON value too: its text is the value's JSON
    /// (a string's as it is).
    fn from_value<T: Serialize + ?Sized>(value: &T) -> Result<Self, ToolError> {
        let value = serde_json::to_value(value).map_err(|e| ToolError::Output {
            tool: String::new(),
            message: e.to_string(),
        })?;
        Ok(match value {
            Value::String(text) => Self::text(text),
            value => Self {
                text: value.to_string(),
                blocks: Vec::new(),
                structured: Some(Box::new(value)),
            },
        })
    }

    /// The text (without the images and documents).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.text
    }

    /// The value the text is the JSON of, when it was kept (see
    /// [`structured`](Self::structured)); else the text.
    #[cfg_attr(not(feature = "mcp"), allow(dead_code))]
    pub(crate) fn into_structured(self) -> Result<Value, String> {
        self.structured.map(|value| *value).ok_or(self.text)
    }
}

/// A tool's returned value (`T` of `-> T` or of `-> Result<T, E>`) made its output (see
/// `ToolOutput::of`). Not public API.
///
/// `#[tool]`'s generated code converts the value through this trait, and only through it,
/// spanned at the return type: a type that cannot be a tool's output gives one error there, in
/// the words below, rather than `Serialize`'s list of implementors and a note about the
/// generated code. (An associated function, not a method: nothing to collide with in scope.)
#[diagnostic::on_unimplemented(
    message = "a tool's return type must implement `serde::Serialize`; `{Self}` does not",
    label = "the model reads the returned value as JSON",
    note = "derive it for a type of yours: `#[derive(serde::Serialize)]`; another crate's may have a `serde` feature",
    note = "a tool returns a `Serialize` value (a `ContentBlock`, a `Vec<ContentBlock>` or a `ToolOutput` is sent as content), or a `Result<T, E>` of one with `E: std::fmt::Display`"
)]
pub trait ToolReturn: Sized {
    /// The value as the call's output.
    fn into_output(value: Self, definition: &ToolDefinition) -> Result<ToolOutput, ToolError>;
}

// Reported as `ToolReturn` (its message above), not as the `Serialize` it needs.
#[diagnostic::do_not_recommend]
impl<T: Serialize + 'static> ToolReturn for T {
    fn into_output(value: Self, definition: &ToolDefinition) -> Result<ToolOutput, ToolError> {
        ToolOutput::of(
            definition.name(),
            definition.output_schema().is_some(),
            value,
        )
    }
}

/// The error of a tool's `Result` made its error result: the error's `Display` (see
/// `ToolOutput::failed`). Not public API; like [`ToolReturn`], the one place generated code
/// needs its bound.
#[diagnostic::on_unimplemented(
    message = "a tool's error type must implement `std::fmt::Display`; `{Self}` does not",
    label = "the model reads the error's `Display` text",
    note = "a failed call's result is its error's `Display` text: implement `std::fmt::Display` for `{Self}`"
)]
pub trait ToolErrorMessage: Sized {
    /// The error as the call's error result.
    fn into_failure(error: Self, definition: &ToolDefinition) -> Result<ToolOutput, ToolError>;
}

// Reported as `ToolErrorMessage` (its message above), not as the `Display` it needs.
#[diagnostic::do_not_recommend]
impl<E: Display> ToolErrorMessage for E {
    fn into_failure(error: Self, definition: &ToolDefinition) -> Result<ToolOutput, ToolError> {
        Err(ToolOutput::failed(definition.name(), &error))
    }
}

/// Two outputs are equal when the model reads the same: the same text and blocks.
impl PartialEq for ToolOutput {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.blocks == other.blocks
    }
}

impl Eq for ToolOutput {}

impl Hash for ToolOutput {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
        self.blocks.hash(state);
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Serialize)]
    struct Weather {
        city: &'static str,
        celsius: i32,
    }

    #[test]
    fn values_become_text_and_keep_their_json_when_asked() {
        let weather = || Weather {
            city: "Oslo",
            celsius: 3,
        };
        let plain = ToolOutput::of("w", false, weather()).unwrap();
        let kept = ToolOutput::of("w", true, weather()).unwrap();
        assert_eq!(plain.as_str(), r#"{"city":"Oslo","celsius":3}"#);
        assert_eq!(kept.as_str(), plain.as_str());
        assert_eq!(plain.structured(), None);
        assert_eq!(
            kept.structured(),
            Some(&json!({"city": "Oslo", "celsius": 3}))
        );
        // What the model reads is what makes two outputs equal.
        assert_eq!(plain, kept);
        // Strings and content go as they are, kept or not.
        for structured in [false, true] {
            let text = ToolOutput::of("w", structured, "sunny".to_owned()).unwrap();
            assert_eq!((text.as_str(), text.structured()), ("sunny", None));
            let block = ToolOutput::of("w", structured, ContentBlock::text("hi")).unwrap();
            assert_eq!(block.as_str(), "hi");
        }
        let failed = ToolOutput::of_result::<(), _>("w", true, Err("")).unwrap_err();
        assert_eq!(
            failed.to_string(),
            "The tool `w` failed without an error message."
        );
    }
}
