//! [`ContentBlock`]: text, images and documents, in a tool's output or a user's message.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// A piece of content: text, an image or a document (a PDF…), as bytes or as a URL the
/// provider fetches.
///
/// A tool returns them to show the model a screenshot, a chart or a file
/// ([`ToolOutput::content`](crate::tool::ToolOutput::content), or simply a `ContentBlock` or a
/// `Vec<ContentBlock>` from a `#[tool]` function); a user message attaches them
/// ([`Message::user_with`](crate::Message::user_with)). Each wire sends what its API accepts:
/// Anthropic and the Responses API take them in tool results and user messages; Chat
/// Completions takes them in user messages only, so a tool's images and documents follow its
/// result in a user message that names the call (see [`OpenAiChat`](crate::model::wire::OpenAiChat)).
///
/// Bytes are base64-encoded once, when the block is made. In a saved transcript a block is
/// `{"type": "image", "media_type": "image/png", "data": "<base64>"}` (or `"url"`).
///
/// ```
/// use tool_runtime::conversation::ContentBlock;
/// use tool_runtime::tool;
///
/// /// A chart of the week's sales.
/// #[tool]
/// fn sales_chart() -> Vec<ContentBlock> {
///     let png: Vec<u8> = vec![0x89, b'P', b'N', b'G']; // drawn by your charting code
///     vec![
///         ContentBlock::text("Sales rose 12% this week."),
///         ContentBlock::image("image/png", &png),
///     ]
/// }
///
/// let block = ContentBlock::image("image/png", [1, 2, 3]);
/// assert_eq!(
///     serde_json::to_value(&block).unwrap(),
///     serde_json::json!({"type": "image", "media_type": "image/png", "data": "AQID"})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// An image (PNG, JPEG, GIF, WebP).
    Image(Media),
    /// A document: a PDF, or plain text.
    Document(Media),
}

/// An image's or a document's bytes (or URL), and its file name when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Media {
    /// Where the content is.
    #[serde(flatten)]
    pub source: MediaSource,
    /// A file name, for documents (some APIs show it to the model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Where an image or a document is: in the message, or at a URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum MediaSource {
    /// The bytes, base64-encoded, with their media type (`image/png`, `application/pdf`).
    Base64 {
        /// The media type.
        media_type: String,
        /// The bytes, base64-encoded (standard alphabet, padded).
        data: String,
    },
    /// A URL the provider fetches.
    Url {
        /// The URL.
        url: String,
    },
}

impl ContentBlock {
    /// Text.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// An image from its bytes and media type (`image/png`, `image/jpeg`, `image/gif`,
    /// `image/webp`).
    pub fn image(media_type: impl Into<String>, bytes: impl AsRef<[u8]>) -> Self {
        Self::Image(Media::bytes(media_type, bytes))
    }

    /// An image at a URL.
    pub fn image_url(url: impl Into<String>) -> Self {
        Self::Image(Media::url(url))
    }

    /// A PDF from its bytes.
    pub fn pdf(bytes: impl AsRef<[u8]>) -> Self {
        Self::document("application/pdf", bytes)
    }

    /// A document from its bytes and media type (`application/pdf`, `text/plain`).
    pub fn document(media_type: impl Into<String>, bytes: impl AsRef<[u8]>) -> Self {
        Self::Document(Media::bytes(media_type, bytes))
    }

    /// A document at a URL.
    pub fn document_url(url: impl Into<String>) -> Self {
        Self::Document(Media::url(url))
    }

    /// This block with a file name (for a document).
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        if let Self::Image(media) | Self::Document(media) = &mut self {
            media.name = Some(name.into());
        }
        self
    }

    /// The text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text { text } => Some(text),
            _ => None,
        }
    }

    /// The image or document, if this is one.
    pub fn media(&self) -> Option<&Media> {
        match self {
            Self::Image(media) | Self::Document(media) => Some(media),
            Self::Text { .. } => None,
        }
    }

    /// `"an image"`, `"a document"`: what the block is, for a model that cannot see it.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Self::Text { .. } => "a text",
            Self::Image(_) => "an image",
            Self::Document(_) => "a document",
        }
    }
}

impl Media {
    /// Bytes, with their media type.
    pub fn bytes(media_type: impl Into<String>, bytes: impl AsRef<[u8]>) -> Self {
        Self {
            source: MediaSource::Base64 {
                media_type: media_type.into(),
                data: STANDARD.encode(bytes),
            },
            name: None,
        }
    }

    /// A URL.
    pub fn url(url: impl Into<String>) -> Self {
        Self {
            source: MediaSource::Url { url: url.into() },
            name: None,
        }
    }

    /// The media type, when the bytes are here.
    pub fn media_type(&self) -> Option<&str> {
        match &self.source {
            MediaSource::Base64 { media_type, .. } => Some(media_type),
            MediaSource::Url { .. } => None,
        }
    }

    /// A `data:` URL of the bytes (`data:image/png;base64,…`), or the URL.
    pub fn to_url(&self) -> String {
        match &self.source {
            MediaSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
            MediaSource::Url { url } => url.clone(),
        }
    }

    /// The bytes, decoded (`None` for a URL, or data that is not base64).
    pub fn decode(&self) -> Option<Vec<u8>> {
        match &self.source {
            MediaSource::Base64 { data, .. } => STANDARD.decode(data).ok(),
            MediaSource::Url { .. } => None,
        }
    }
}

impl From<String> for ContentBlock {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<&str> for ContentBlock {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn blocks_round_trip_through_serde() {
        let blocks = [
            ContentBlock::text("hi"),
            ContentBlock::image("image/png", b"png"),
            ContentBlock::image_url("https://example.com/a.png"),
            ContentBlock::pdf(b"%PDF").named("report.pdf"),
            ContentBlock::document_url("https://example.com/a.pdf"),
        ];
        let saved = serde_json::to_value(&blocks).unwrap();
        assert_eq!(
            saved[3],
            json!({"type": "document", "media_type": "application/pdf", "data": "JVBERg==",
                   "name": "report.pdf"})
        );
        assert_eq!(
            saved[2],
            json!({"type": "image", "url": "https://example.com/a.png"})
        );
        let loaded: Vec<ContentBlock> = serde_json::from_value(saved).unwrap();
        assert_eq!(loaded, blocks);
        assert_eq!(loaded[1].media().unwrap().decode().unwrap(), b"png");
        assert_eq!(
            loaded[1].media().unwrap().to_url(),
            "data:image/png;base64,cG5n"
        );
    }
}
