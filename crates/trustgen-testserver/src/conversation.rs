//! The provider-neutral view of a request: messages, token counting, hashing and reply finishing.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Tokens counted for every image in a prompt (OpenAI's price of a low-detail image).
pub const IMAGE_TOKENS: u32 = 85;

/// A chat role, after mapping each provider's names (`developer` is a system role, Gemini's `model` is
/// the assistant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// One image a request carried, as the server decoded it (kept in [`crate::RequestRecord::images`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedImage {
    /// The index of the message that carried it, in the provider-neutral conversation: the system
    /// prompt (when there is one) is message 0, then the request's messages in order.
    pub message: usize,
    /// Hex SHA-256 of the decoded bytes (for an `http(s)` URL image, of the URL's text).
    pub sha256: String,
    /// The media type the request declared (lower-cased; empty for an `http(s)` URL).
    pub media_type: String,
    /// The decoded size in bytes (0 for an `http(s)` URL).
    pub bytes: usize,
    /// Width and height in pixels, read from the image header (`None` for URLs).
    pub width: Option<u32>,
    /// See `width`.
    pub height: Option<u32>,
    /// The `http(s)` URL of an image sent by reference (`None` for inline data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl ReceivedImage {
    /// An image sent inline: decoded bytes with their declared media type.
    pub(crate) fn inline(media_type: &str, bytes: &[u8], size: Option<(u32, u32)>) -> ReceivedImage {
        ReceivedImage {
            message: 0,
            sha256: hex::encode(Sha256::digest(bytes)),
            media_type: media_type.to_owned(),
            bytes: bytes.len(),
            width: size.map(|(w, _)| w),
            height: size.map(|(_, h)| h),
            url: None,
        }
    }

    /// An image sent by reference.
    pub(crate) fn by_url(url: &str) -> ReceivedImage {
        ReceivedImage {
            message: 0,
            sha256: hex::encode(Sha256::digest(url.as_bytes())),
            media_type: String::new(),
            bytes: 0,
            width: None,
            height: None,
            url: Some(url.to_owned()),
        }
    }
}

/// One message: its role, its text parts joined by newlines, and its images.
#[derive(Clone, Debug)]
pub(crate) struct Message {
    pub(crate) role: Role,
    pub(crate) text: String,
    pub(crate) images: Vec<ReceivedImage>,
}

impl Message {
    pub(crate) fn new(role: Role) -> Message {
        Message { role, text: String::new(), images: Vec::new() }
    }

    pub(crate) fn text(role: Role, text: impl Into<String>) -> Message {
        Message { role, text: text.into(), images: Vec::new() }
    }

    pub(crate) fn push_text(&mut self, text: &str) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(text);
    }
}

/// The messages of a request (the system prompt first), the sampling temperature and the seed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Conversation {
    pub(crate) messages: Vec<Message>,
    pub(crate) temperature: Option<f64>,
    pub(crate) seed: Option<i64>,
}

impl Conversation {
    /// The text of the last user message, or "" when there is none.
    pub(crate) fn last_user(&self) -> &str {
        self.messages.iter().rev().find(|m| m.role == Role::User).map_or("", |m| m.text.as_str())
    }

    /// Every image of the request in order, each with the index of its message.
    pub(crate) fn images(&self) -> Vec<ReceivedImage> {
        let mut out = Vec::new();
        for (index, message) in self.messages.iter().enumerate() {
            for image in &message.images {
                out.push(ReceivedImage { message: index, ..image.clone() });
            }
        }
        out
    }

    /// The texts of all messages.
    pub(crate) fn texts(&self) -> Vec<&str> {
        self.messages.iter().map(|m| m.text.as_str()).collect()
    }

    /// The approximate prompt token count (see the crate docs).
    pub(crate) fn prompt_tokens(&self) -> u32 {
        self.messages.iter().map(|m| count_tokens(&m.text) + IMAGE_TOKENS * m.images.len() as u32).sum()
    }

    /// A hash of the roles, texts and images of all messages, and of the seed.
    pub(crate) fn hash(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for message in &self.messages {
            hasher.update(message.role.as_str().as_bytes());
            hasher.update([0]);
            hasher.update(message.text.as_bytes());
            hasher.update([0]);
            for image in &message.images {
                // The first 16 hex digits: the digest replies were keyed by before images were recorded.
                hasher.update(&image.sha256.as_bytes()[..16]);
                hasher.update([0]);
            }
            hasher.update([0xff]);
        }
        if let Some(seed) = self.seed {
            hasher.update(b"seed");
            hasher.update(seed.to_le_bytes());
        }
        hasher.finalize().into()
    }
}

/// The first 8 bytes of a hash as a number.
pub(crate) fn hash_u64(hash: &[u8; 32]) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&hash[..8]);
    u64::from_be_bytes(bytes)
}

/// Mixes a hash with an index (splitmix64 finaliser), for independent deterministic picks.
pub(crate) fn mix(hash: u64, index: u64) -> u64 {
    let mut z = hash ^ index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff      // hiragana, katakana
        | 0x3400..=0x4dbf    // CJK extension A
        | 0x4e00..=0x9fff    // CJK unified ideographs
        | 0xac00..=0xd7af    // hangul syllables
        | 0xf900..=0xfaff    // CJK compatibility ideographs
        | 0x20000..=0x2fa1f) // CJK extensions B and later
}

/// Byte offsets where each token starts, in the documented approximation.
fn token_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    let mut in_word = false;
    text.char_indices().filter_map(move |(at, c)| {
        if is_cjk(c) {
            in_word = false;
            Some(at)
        } else if c.is_alphanumeric() || c == '_' {
            let starts = !in_word;
            in_word = true;
            starts.then_some(at)
        } else {
            in_word = false;
            (!c.is_whitespace()).then_some(at)
        }
    })
}

/// The approximate number of tokens in `text`: each run of letters, digits and `_` is one token, each
/// other non-space character is one, and each CJK ideograph, kana or hangul syllable is one.
pub fn count_tokens(text: &str) -> u32 {
    token_starts(text).count() as u32
}

/// Why a reply ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Finish {
    /// Natural end.
    Stop,
    /// Cut before this stop sequence.
    StopSequence(String),
    /// Cut at the token limit.
    Length,
}

/// A finished reply: its text, why it ended, and its token count.
#[derive(Clone, Debug)]
pub(crate) struct Completion {
    pub(crate) text: String,
    pub(crate) finish: Finish,
    pub(crate) tokens: u32,
}

/// Applies stop sequences (the earliest occurrence wins), then the token limit.
pub(crate) fn finish(text: String, stop: &[String], max_tokens: Option<u32>) -> Completion {
    let mut text = text;
    let mut finish = Finish::Stop;
    let earliest = stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()).map(|at| (at, s)))
        .min_by_key(|(at, _)| *at);
    if let Some((at, sequence)) = earliest {
        finish = Finish::StopSequence(sequence.clone());
        text.truncate(at);
    }
    let cut = max_tokens.and_then(|max| token_starts(&text).nth(max as usize));
    if let Some(cut) = cut {
        text.truncate(cut);
        let kept = text.trim_end().len();
        text.truncate(kept);
        finish = Finish::Length;
    }
    let tokens = count_tokens(&text);
    Completion { text, finish, tokens }
}
