//! [`Arguments`]: the raw arguments of one call, as the provider sent them.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The raw arguments of one call, as the provider sent them.
///
/// OpenAI sends a JSON *string* (possibly empty, meaning no arguments); Anthropic sends a JSON
/// object. Both are kept as received, so the conversation history can echo them back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arguments {
    /// JSON text, as in OpenAI's `function.arguments`.
    Text(String),
    /// A JSON value, as in Anthropic's `tool_use.input`.
    Json(Value),
}

impl Arguments {
    /// The arguments as a JSON value; empty text counts as `{}`.
    ///
    /// ```
    /// use tool_runtime::tool::Arguments;
    /// assert_eq!(Arguments::from("").to_value().unwrap(), serde_json::json!({}));
    /// assert!(Arguments::from("{oops").to_value().is_err());
    /// ```
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        match self {
            Self::Text(text) if text.trim().is_empty() => Ok(Value::Object(Default::default())),
            Self::Text(text) => serde_json::from_str(text),
            Self::Json(value) => Ok(value.clone()),
        }
    }

    /// The arguments as JSON text, as OpenAI expects them in history (empty text becomes `{}`,
    /// which every chat template can parse); borrowed when they arrived as text.
    ///
    /// ```
    /// use tool_runtime::tool::Arguments;
    /// assert_eq!(Arguments::from(" ").json_text(), "{}");
    /// assert_eq!(Arguments::from(serde_json::json!({"a": 1})).json_text(), r#"{"a":1}"#);
    /// ```
    pub fn json_text(&self) -> Cow<'_, str> {
        match self {
            Self::Text(text) if text.trim().is_empty() => Cow::Borrowed("{}"),
            Self::Text(text) => Cow::Borrowed(text),
            Self::Json(value) => Cow::Owned(value.to_string()),
        }
    }

    /// The argument named `key`, as a `T`, if it is there and is one: for policies that look
    /// at a call before it runs (an approval above an amount).
    ///
    /// ```
    /// use tool_runtime::tool::Arguments;
    ///
    /// let args = Arguments::from(r#"{"amount": 250.0, "to": "ACME"}"#);
    /// assert_eq!(args.get::<f64>("amount"), Some(250.0));
    /// assert_eq!(args.get::<f64>("to"), None);
    /// assert_eq!(args.get::<String>("missing"), None);
    /// ```
    pub fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        match self {
            Self::Json(value) => T::deserialize(value.get(key)?).ok(),
            Self::Text(_) => T::deserialize(self.to_value().ok()?.get(key)?).ok(),
        }
    }

    /// [`json_text`](Self::json_text), owned.
    pub fn to_json_string(&self) -> String {
        self.json_text().into_owned()
    }

    /// How long [`json_text`](Self::json_text) is.
    pub(crate) fn json_len(&self) -> usize {
        self.json_text().len()
    }
}

impl From<&str> for Arguments {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Arguments {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<Value> for Arguments {
    fn from(value: Value) -> Self {
        Self::Json(value)
    }
}
