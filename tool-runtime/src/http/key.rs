//! [`ApiKey`]: a secret that only ever leaves as a sensitive header.

use std::fmt;

use reqwest::header::HeaderValue;

use crate::error::Error;

/// An API key. Its `Debug` is redacted, and it only ever leaves as a sensitive header.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key, without the whitespace a key file or variable often ends with.
    pub(crate) fn new(key: impl Into<String>) -> Self {
        let key: String = key.into();
        Self(key.trim().to_owned())
    }

    /// The key as a header value marked sensitive (hidden from logs by `http`/`reqwest`), or a
    /// configuration error that does not quote the key.
    pub(crate) fn header(
        &self,
        provider: &'static str,
        prefix: &str,
    ) -> Result<HeaderValue, Error> {
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", self.0))
            .map_err(|_| Error::unusable_key(provider))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_redacted() {
        let key = ApiKey::new("sk-secret");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert!(key.header("openai", "Bearer ").unwrap().is_sensitive());
        assert_eq!(ApiKey::new(" sk-x\n").header("openai", "").unwrap(), "sk-x");
        let error = ApiKey::new("sk-\u{1}secret")
            .header("openai", "")
            .unwrap_err();
        assert!(error.is_config());
        assert!(!error.to_string().contains("secret"));
    }
}
