//! The one error type of the image tooling: every variant says what was wrong and gives a hint.

/// An error from decoding, encoding, rendering or transforming an image.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The bytes are not a readable image (truncated, corrupt, or not an image at all).
    #[error(
        "unreadable image ({len} bytes): {detail}; hint: the file may be truncated or corrupt, re-export it as PNG or JPEG"
    )]
    Unreadable {
        /// The number of input bytes.
        len: usize,
        /// What the decoder reported.
        detail: String,
    },
    /// The bytes are an image in a format this tooling does not decode.
    #[error("unsupported image format {format}; hint: convert the image to PNG or JPEG")]
    Unsupported {
        /// The format recognised, or a description of the first bytes.
        format: String,
    },
    /// The image is larger than the caller's limit (checked from the header, before decoding).
    #[error(
        "image of {width}x{height} pixels is over the limit of {max_width}x{max_height}; hint: downscale the \
         image before use, or raise the limit where the caller allows it"
    )]
    TooLarge {
        /// Width of the image.
        width: u32,
        /// Height of the image.
        height: u32,
        /// The largest width allowed.
        max_width: u32,
        /// The largest height allowed.
        max_height: u32,
    },
    /// No JPEG quality brings the image under the byte budget.
    #[error(
        "cannot encode a {width}x{height} image as JPEG within {budget} bytes: the smallest (quality 1) is \
         {smallest} bytes; hint: downscale the image first or raise the budget"
    )]
    OverBudget {
        /// Width of the image.
        width: u32,
        /// Height of the image.
        height: u32,
        /// The byte budget asked for.
        budget: usize,
        /// The size at the lowest quality.
        smallest: usize,
    },
    /// The text cannot be laid out in the box even at the smallest font size allowed.
    #[error(
        "text of {chars} characters does not fit a {width}x{height} box at the minimum font size of {min_px} px; \
         hint: shorten the text, enlarge the box or lower the minimum font size"
    )]
    TextDoesNotFit {
        /// Characters in the text.
        chars: usize,
        /// Box width in pixels.
        width: u32,
        /// Box height in pixels.
        height: u32,
        /// The smallest font size tried.
        min_px: f32,
    },
    /// An argument is out of its range (severity, image count, empty image, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Encoding failed (the encoder reported an error).
    #[error("cannot encode the image as {format}: {detail}")]
    Encode {
        /// `png` or `jpeg`.
        format: &'static str,
        /// What the encoder reported.
        detail: String,
    },
}
