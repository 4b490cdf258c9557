//! Images are checked before a chat request is sent: each provider's formats and size limits, and
//! the declared media type against the bytes' magic numbers. A failed check is a per-case error (the
//! case's reply has status `error` and says which image, which limit and what to do); nothing is sent,
//! and nothing is ever downscaled or re-encoded here.
//!
//! The limits, from each provider's documentation:
//!
//! | provider | formats | per image | per request |
//! |---|---|---|---|
//! | `openai`, `azure` | PNG, JPEG, WebP, non-animated GIF | 20 MB | 500 images, 50 MB of image bytes |
//! | `anthropic` | JPEG, PNG, GIF, WebP | 5 MB, 8000 px a side (2000 px when a request has more than 20 images) | 100 images, 32 MB request body |
//! | `gemini` | PNG, JPEG, WebP, HEIC, HEIF | - | 20 MB request body (inline data) |
//!
//! Sources: OpenAI's "Images and vision" guide, image input requirements ("PNG, JPEG, WEBP,
//! non-animated GIF; up to 20MB per image, up to 500 individual images per request, up to 50 MB image
//! bytes per request"; Azure OpenAI serves the same models and is held to the same numbers);
//! Anthropic's vision guide ("larger than 8000x8000 px, it will be rejected. If you submit more than
//! 20 images in one API request, this limit is 2000x2000 px", "100 for API requests", "a 32MB request
//! size limit for standard endpoints"; formats JPEG, PNG, GIF and WebP) and the API's own error
//! "image exceeds 5 MB maximum: N bytes > 5242880 bytes"; Gemini's image-understanding guide
//! (image/png, image/jpeg, image/webp, image/heic, image/heif; inline data when "the total request
//! size (including the files, text prompt, system instructions, etc.)" is under 20 MB, the File API
//! above). MB here is 2^20 bytes, as Anthropic's error counts it.
//!
//! OpenAI-compatible local servers (vLLM, Ollama, llama.cpp) are held to OpenAI's limits: they are
//! the limits of the request shape they implement, and an image over them is far beyond what these
//! models look at.
//!
//! A media type that does not match the bytes (a PNG labelled `image/jpeg`) is an error, not a silent
//! correction: Anthropic rejects the mismatch itself, the other APIs would pass a wrong label to the
//! model, and the label came from a data file or a plugin that should be fixed. `image/jpg` is read as
//! `image/jpeg` (OpenAI and Gemini accept the alias; it is sent to Anthropic as `image/jpeg` only after
//! this check, since Anthropic refuses `image/jpg`).

use base64::Engine as _;
use trustgen_plugin_api::{ImageSource, Message};

use crate::error::Failure;

/// 2^20 bytes.
const MB: usize = 1024 * 1024;

/// One provider's image limits.
#[derive(Debug)]
pub(crate) struct VisionLimits {
    /// The provider's name in messages.
    pub(crate) api: &'static str,
    /// The media types it accepts (canonical names).
    pub(crate) formats: &'static [&'static str],
    /// Whether an animated GIF is accepted.
    pub(crate) animated_gif: bool,
    /// Bytes per image.
    pub(crate) max_image_bytes: Option<usize>,
    /// Pixels per side.
    pub(crate) max_side: Option<u32>,
    /// With more than `.0` images in a request, at most `.1` pixels per side.
    pub(crate) many_images: Option<(usize, u32)>,
    /// Images per request.
    pub(crate) max_images: Option<usize>,
    /// Decoded image bytes per request.
    pub(crate) max_image_bytes_total: Option<usize>,
    /// The request body's size.
    pub(crate) max_request_bytes: Option<usize>,
}

/// OpenAI (and OpenAI-compatible servers).
pub(crate) const OPENAI: VisionLimits = VisionLimits {
    api: "OpenAI",
    formats: &["image/png", "image/jpeg", "image/webp", "image/gif"],
    animated_gif: false,
    max_image_bytes: Some(20 * MB),
    max_side: None,
    many_images: None,
    max_images: Some(500),
    max_image_bytes_total: Some(50 * MB),
    max_request_bytes: None,
};

/// Azure OpenAI: the same models and numbers as OpenAI.
pub(crate) const AZURE: VisionLimits = VisionLimits { api: "Azure OpenAI", ..OPENAI };

/// Anthropic Messages.
pub(crate) const ANTHROPIC: VisionLimits = VisionLimits {
    api: "Anthropic",
    formats: &["image/jpeg", "image/png", "image/gif", "image/webp"],
    animated_gif: true,
    max_image_bytes: Some(5 * MB),
    max_side: Some(8000),
    many_images: Some((20, 2000)),
    max_images: Some(100),
    max_image_bytes_total: None,
    max_request_bytes: Some(32 * MB),
};

/// Gemini `generateContent` with inline data.
pub(crate) const GEMINI: VisionLimits = VisionLimits {
    api: "Gemini",
    formats: &["image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"],
    animated_gif: true,
    max_image_bytes: None,
    max_side: None,
    many_images: None,
    max_images: None,
    max_image_bytes_total: None,
    max_request_bytes: Some(20 * MB),
};

/// `6.2 MB (6500000 bytes)`.
fn size(bytes: usize) -> String {
    format!("{:.1} MB ({bytes} bytes)", bytes as f64 / MB as f64)
}

/// The media type of image bytes from their header; `None` for anything else.
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    use imagesize::ImageType;
    match imagesize::image_type(bytes).ok()? {
        ImageType::Png => Some("image/png"),
        ImageType::Jpeg => Some("image/jpeg"),
        ImageType::Gif => Some("image/gif"),
        ImageType::Webp => Some("image/webp"),
        ImageType::Heif(imagesize::Compression::Hevc) => Some("image/heic"),
        ImageType::Heif(imagesize::Compression::Av1) => Some("image/avif"),
        ImageType::Heif(_) => Some("image/heif"),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// The canonical name of a declared media type (lower case, `image/jpg` is `image/jpeg`).
pub(crate) fn canonical(media_type: &str) -> String {
    let lower = media_type.trim().to_ascii_lowercase();
    if lower == "image/jpg" { "image/jpeg".to_owned() } else { lower }
}

/// The number of frames (image descriptors) of a GIF; 0 when the data ends early.
pub(crate) fn gif_frames(bytes: &[u8]) -> usize {
    fn colour_table(packed: u8) -> usize {
        if packed & 0x80 != 0 { 3 * (1 << ((packed & 7) + 1)) } else { 0 }
    }
    fn skip_sub_blocks(bytes: &[u8], mut at: usize) -> usize {
        while let Some(&len) = bytes.get(at) {
            at += 1 + len as usize;
            if len == 0 {
                break;
            }
        }
        at
    }
    let Some(&packed) = bytes.get(10) else { return 0 };
    let mut at = 13 + colour_table(packed);
    let mut frames = 0;
    while let Some(&block) = bytes.get(at) {
        match block {
            0x2c => {
                frames += 1;
                let Some(&local) = bytes.get(at + 9) else { break };
                // Descriptor (10 bytes), local colour table, LZW minimum code size, data sub-blocks.
                at = skip_sub_blocks(bytes, at + 10 + colour_table(local) + 1);
            }
            0x21 => at = skip_sub_blocks(bytes, at + 2),
            _ => break,
        }
    }
    frames
}

/// A failed check of image `image` (1-based) of message `message` (1-based, system messages counted).
fn image_failure(limits: &VisionLimits, message: usize, image: usize, problem: String, hint: &str) -> Failure {
    Failure::PerCase(format!(
        "image {image} of message {message} was not sent to {}: {problem}; hint: {hint}",
        limits.api
    ))
}

const RESIZE_HINT: &str = "resize or re-encode the image before the run (e.g. JPEG under a byte budget \
                           with the image tooling); trustgen never downscales an image silently";

/// Checks every inline (base64) image of `messages` against `limits`; URL images are left to the
/// provider (Gemini's are downloaded and inlined before this check).
pub(crate) fn check_images(limits: &VisionLimits, messages: &[Message]) -> Result<(), Failure> {
    let count: usize = messages.iter().map(|m| m.images.len()).sum();
    if count == 0 {
        return Ok(());
    }
    if let Some(max) = limits.max_images
        && count > max
    {
        return Err(Failure::PerCase(format!(
            "the request was not sent to {}: it has {count} images, over the limit of {max} images per request; \
             hint: split the case's images over several requests or use fewer",
            limits.api
        )));
    }
    let side_limit = match limits.many_images {
        Some((over, side)) if count > over => {
            Some((side, format!(" when a request has more than {over} images (this one has {count})")))
        }
        _ => limits.max_side.map(|side| (side, String::new())),
    };
    let mut total = 0usize;
    for (m, message) in messages.iter().enumerate() {
        for (i, image) in message.images.iter().enumerate() {
            let ImageSource::Base64(data) = &image.source else { continue };
            let fail = |problem: String, hint: &str| image_failure(limits, m + 1, i + 1, problem, hint);
            let bytes = base64::engine::general_purpose::STANDARD.decode(data.trim()).map_err(|e| {
                fail(
                    format!("its data is not valid base64 ({e})"),
                    "images must be standard base64 without a `data:` prefix",
                )
            })?;
            let declared = canonical(&image.media_type);
            let Some(actual) = sniff(&bytes) else {
                let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
                return Err(fail(
                    format!(
                        "it is labelled {declared} but its bytes are not a PNG, JPEG, GIF, WebP or HEIF image (first bytes: {})",
                        head.join(" ")
                    ),
                    "check the image file; convert it to PNG or JPEG",
                ));
            };
            if declared != actual && !(declared == "image/heif" && actual == "image/heic") {
                return Err(fail(
                    format!("it is labelled {declared} but its bytes are {actual}"),
                    &format!("label it {actual} where the image is made or listed (trustgen does not relabel images)"),
                ));
            }
            if !limits.formats.contains(&actual) {
                return Err(fail(
                    format!("{} does not accept {actual} (it accepts {})", limits.api, limits.formats.join(", ")),
                    "convert the image to PNG or JPEG before the run",
                ));
            }
            if actual == "image/gif" && !limits.animated_gif {
                let frames = gif_frames(&bytes);
                if frames > 1 {
                    return Err(fail(
                        format!(
                            "it is an animated GIF ({frames} frames); {} accepts only non-animated GIFs",
                            limits.api
                        ),
                        "use one frame, as PNG",
                    ));
                }
            }
            if let Some(max) = limits.max_image_bytes
                && bytes.len() > max
            {
                return Err(fail(
                    format!("it is {}, over {}'s limit of {} per image", size(bytes.len()), limits.api, size(max)),
                    RESIZE_HINT,
                ));
            }
            if let Some((max, why)) = &side_limit {
                let dims = imagesize::blob_size(&bytes)
                    .map_err(|e| fail(format!("its {actual} header cannot be read ({e})"), "check the image file"))?;
                if dims.width.max(dims.height) > *max as usize {
                    return Err(fail(
                        format!(
                            "it is {}x{} px, over {}'s limit of {max} px a side{why}",
                            dims.width, dims.height, limits.api
                        ),
                        RESIZE_HINT,
                    ));
                }
            }
            total += bytes.len();
        }
    }
    if let Some(max) = limits.max_image_bytes_total
        && total > max
    {
        return Err(Failure::PerCase(format!(
            "the request was not sent to {}: its images total {}, over the limit of {} of images per request; \
             hint: send fewer or smaller images per request",
            limits.api,
            size(total),
            size(max)
        )));
    }
    Ok(())
}

/// Checks the size of the serialized request body against `limits`.
pub(crate) fn check_request_size(limits: &VisionLimits, body_len: usize) -> Result<(), Failure> {
    match limits.max_request_bytes {
        Some(max) if body_len > max => Err(Failure::PerCase(format!(
            "the request was not sent to {}: it is {}, over its limit of {} per request (images travel as base64, \
             a third larger than the files); hint: send fewer or smaller images per request",
            limits.api,
            size(body_len),
            size(max)
        ))),
        _ => Ok(()),
    }
}
