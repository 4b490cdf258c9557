//! API keys, wrapped so that they cannot leak through `Debug`, `Display`, logs or errors.

use std::fmt;

/// An API key read from the environment. `Debug` and `Display` print `[redacted]`; the value is only
/// reachable through [`ApiKey::expose`], which the request builders call to set a (sensitive) header.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    pub(crate) fn new(value: String) -> ApiKey {
        ApiKey(value)
    }

    /// The key itself, for an HTTP header and nothing else.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced by `[redacted]` (provider error messages
    /// sometimes echo what they were sent).
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 { text.to_owned() } else { text.replace(&self.0, "[redacted]") }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Scrubs `text` with an optional key.
pub(crate) fn scrub(key: Option<&ApiKey>, text: &str) -> String {
    match key {
        Some(key) => key.scrub(text),
        None => text.to_owned(),
    }
}
