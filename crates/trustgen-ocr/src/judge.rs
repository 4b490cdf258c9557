//! Comparing what OCR read with the text that should be there. The rules (normalisation, the
//! character error rate, the best-matching stretch, [`MAX_CER`]) live in the pure
//! `trustgen_judges::image_text`, so the offline judge of a run and this crate agree.

pub(crate) use trustgen_judges::image_text::substring_cer;
pub use trustgen_judges::image_text::{MAX_CER, cer, normalise};

/// The result of [`crate::contains_text`]: whether the expected text appears in the image.
#[derive(Debug, Clone, PartialEq)]
pub struct TextMatch {
    /// `cer <= MAX_CER`.
    pub found: bool,
    /// Everything OCR read, one line per detected line, in reading order (untrusted text).
    pub read: String,
    /// The character error rate of the best-matching stretch of `read` against `expected`, both
    /// [`normalise`]d: edit distance over the expected length; 0 is exact, 1 or more is absent.
    pub cer: f64,
}
