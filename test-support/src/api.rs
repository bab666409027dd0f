//! The wires by name, while the tests move to [`Wire`] and [`each_wire!`](crate::each_wire).

use std::ops::Deref;

use crate::Wire;

/// One of the wire protocols: its [`Wire`] row, through `Deref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// OpenAI Chat Completions.
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
    /// OpenAI Responses.
    Responses,
}

impl Deref for Api {
    type Target = Wire;

    fn deref(&self) -> &Wire {
        match self {
            Api::OpenAi => &Wire::OPENAI,
            Api::Anthropic => &Wire::ANTHROPIC,
            Api::Responses => &Wire::RESPONSES,
        }
    }
}

impl Api {
    /// The API key this provider is given.
    pub fn key(self) -> &'static str {
        self.deref().key
    }

    /// The request path the server sees.
    pub fn path(self) -> &'static str {
        self.deref().path
    }
}

/// Runs an `async fn(Api)` test once per wire: `name::openai`, `name::anthropic` and
/// `name::responses`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn openai() {
                super::$name($crate::Api::OpenAi).await
            }

            #[tokio::test]
            async fn anthropic() {
                super::$name($crate::Api::Anthropic).await
            }

            #[tokio::test]
            async fn responses() {
                super::$name($crate::Api::Responses).await
            }
        }
    )*};
}
