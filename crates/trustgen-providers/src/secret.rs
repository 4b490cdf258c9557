//! API keys, wrapped so that they cannot leak through `Debug`, `Display`, logs or errors, and
//! [`Secrets`], the scrubber every string derived from a provider body passes through before it
//! leaves this crate.

use std::fmt;

use trustgen_plugin_api::{ImageSource, ModelReply};

use crate::error::{Failure, FatalError};

/// Keys shorter than this are never scrubbed (replacing every "abc" would mangle text and
/// protects nothing).
pub(crate) const MIN_SCRUBBED_LEN: usize = 4;
/// What a key is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";

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
        if self.0.len() < MIN_SCRUBBED_LEN { text.to_owned() } else { text.replace(&self.0, REDACTED) }
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

/// Every key a suite configures (all roles, not only the one asked), in the forms a provider body
/// can carry them: as sent, JSON-escaped, percent-encoded.
///
/// [`Clients`](crate::Clients) passes every outcome of a provider call through
/// [`Secrets::scrub_outcome`] (reply text, errors, documents, images, fatal messages) and every cached
/// reply through [`Secrets::scrub_reply`], so nothing downstream (journal, cache, outputs, verdicts,
/// reports, logs, the terminal) ever holds a key, whatever path produced the string.
#[derive(Clone, Default)]
pub(crate) struct Secrets {
    /// The forms to replace, longest first (so a key that contains another is replaced whole).
    forms: Vec<String>,
    /// The keys as sent, for truncated prefixes in error messages.
    keys: Vec<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets([{} redacted])", self.keys.len())
    }
}

impl Secrets {
    pub(crate) fn new<'a>(keys: impl IntoIterator<Item = &'a ApiKey>) -> Secrets {
        let mut forms = Vec::new();
        let mut raw = Vec::new();
        for key in keys {
            let key = key.expose();
            if key.len() < MIN_SCRUBBED_LEN {
                continue;
            }
            raw.push(key.to_owned());
            forms.push(key.to_owned());
            // The key as a JSON string's content (quotes and backslashes escaped).
            let json = serde_json::to_string(key).unwrap_or_default();
            if let Some(inner) = json.strip_prefix('"').and_then(|j| j.strip_suffix('"')) {
                forms.push(inner.to_owned());
            }
            forms.push(percent_encode(key));
        }
        forms.retain(|f| f.len() >= MIN_SCRUBBED_LEN);
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        raw.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        raw.dedup();
        Secrets { forms, keys: raw }
    }

    /// True when no key is long enough to scrub.
    pub(crate) fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every form of every key replaced by `[redacted]`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        self.scrub_in_place(&mut out);
        out
    }

    fn scrub_in_place(&self, text: &mut String) {
        for form in &self.forms {
            if text.contains(form.as_str()) {
                *text = text.replace(form.as_str(), REDACTED);
            }
        }
    }

    /// An error message: whole keys, and a key cut off where the message was shortened (a prefix of
    /// at least [`MIN_SCRUBBED_LEN`] characters right before `...` or at the very end).
    pub(crate) fn scrub_message(&self, text: &str) -> String {
        let mut out = self.scrub(text);
        if self.keys.is_empty() {
            return out;
        }
        // Cut points: every "..." and the end of the text.
        let mut cuts: Vec<usize> = out.match_indices("...").map(|(i, _)| i).collect();
        cuts.push(out.len());
        // From the last cut to the first, so earlier positions stay valid.
        for cut in cuts.into_iter().rev() {
            let before = &out[..cut];
            let longest = self
                .keys
                .iter()
                .filter_map(|key| {
                    (MIN_SCRUBBED_LEN..key.len())
                        .rev()
                        .filter(|&n| key.is_char_boundary(n))
                        .find(|&n| before.ends_with(&key[..n]))
                })
                .max();
            if let Some(n) = longest {
                out.replace_range(cut - n..cut, REDACTED);
            }
        }
        out
    }

    /// Every string of a reply that came from a provider.
    pub(crate) fn scrub_reply(&self, reply: &mut ModelReply) {
        if self.is_empty() {
            return;
        }
        if let Some(text) = &mut reply.text {
            self.scrub_in_place(text);
        }
        if let Some(error) = &mut reply.error {
            *error = self.scrub_message(error);
        }
        if let Some(finish) = &mut reply.finish_reason {
            self.scrub_in_place(finish);
        }
        for document in &mut reply.documents {
            self.scrub_in_place(&mut document.title);
            self.scrub_in_place(&mut document.text);
            if let Some(url) = &mut document.url {
                self.scrub_in_place(url);
            }
        }
        for image in &mut reply.images {
            self.scrub_in_place(&mut image.media_type);
            match &mut image.source {
                ImageSource::Base64(data) | ImageSource::Url(data) => self.scrub_in_place(data),
                _ => {}
            }
        }
    }

    /// The outcome of one provider call, scrubbed whatever it is.
    pub(crate) fn scrub_outcome(&self, outcome: Result<ModelReply, Failure>) -> Result<ModelReply, Failure> {
        if self.is_empty() {
            return outcome;
        }
        match outcome {
            Ok(mut reply) => {
                self.scrub_reply(&mut reply);
                Ok(reply)
            }
            Err(failure) => Err(self.scrub_failure(failure)),
        }
    }

    fn scrub_failure(&self, failure: Failure) -> Failure {
        match failure {
            Failure::Retryable { reason, retry_after } => {
                Failure::Retryable { reason: self.scrub_message(&reason), retry_after }
            }
            Failure::PerCase(message) => Failure::PerCase(self.scrub_message(&message)),
            Failure::Fatal { kind, status, message } => {
                Failure::Fatal { kind, status, message: self.scrub_message(&message) }
            }
            Failure::Stop(fatal) => Failure::Stop(self.scrub_fatal(fatal)),
        }
    }

    /// A fatal error's provider-derived texts.
    pub(crate) fn scrub_fatal(&self, fatal: FatalError) -> FatalError {
        if self.is_empty() {
            return fatal;
        }
        match fatal {
            FatalError::Provider(mut p) => {
                p.message = self.scrub_message(&p.message);
                FatalError::Provider(p)
            }
            FatalError::Unreachable { role, provider, model, url, reason } => {
                FatalError::Unreachable { role, provider, model, url, reason: self.scrub_message(&reason) }
            }
            FatalError::Embedded { role, model, message } => {
                FatalError::Embedded { role, model, message: self.scrub_message(&message) }
            }
            FatalError::Corpus { role, path, message } => {
                FatalError::Corpus { role, path, message: self.scrub_message(&message) }
            }
            other => other,
        }
    }
}

/// `text` percent-encoded as in a query string (unreserved characters kept).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
