//! Decoding with limits and clear errors, PNG and JPEG encoding, and JPEG under a byte budget.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, RgbImage, RgbaImage};

use crate::ImageError;

/// The largest image [`decode`] accepts; checked from the header before any pixel is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The largest width in pixels.
    pub max_width: u32,
    /// The largest height in pixels.
    pub max_height: u32,
}

impl Default for DecodeLimits {
    /// 8192×8192: above what any provider accepts, small enough to bound memory (192 MiB RGB).
    fn default() -> DecodeLimits {
        DecodeLimits { max_width: 8192, max_height: 8192 }
    }
}

/// The formats [`decode`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
}

impl Format {
    /// The usual file extension (`png`, `jpg`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
        }
    }

    /// The media type (`image/png`, `image/jpeg`).
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
        }
    }
}

/// The format of `bytes` from their signature, or an error naming what they look like.
pub fn sniff(bytes: &[u8]) -> Result<Format, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Unreadable { len: 0, detail: "no bytes".into() });
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Png) => Ok(Format::Png),
        Ok(ImageFormat::Jpeg) => Ok(Format::Jpeg),
        Ok(other) => Err(ImageError::Unsupported { format: format!("{other:?}").to_lowercase() }),
        Err(_) => {
            let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            Err(ImageError::Unsupported { format: format!("unknown (first bytes {})", head.join(" ")) })
        }
    }
}

/// Decodes PNG or JPEG bytes to 8-bit RGB (transparency composed over white), refusing images over
/// `limits` before decoding their pixels. Never panics on hostile input.
pub fn decode(bytes: &[u8], limits: DecodeLimits) -> Result<RgbImage, ImageError> {
    let format = sniff(bytes)?;
    let image_format = match format {
        Format::Png => ImageFormat::Png,
        Format::Jpeg => ImageFormat::Jpeg,
    };
    let unreadable = |e: image::ImageError| ImageError::Unreadable { len: bytes.len(), detail: e.to_string() };
    let (width, height) =
        ImageReader::with_format(Cursor::new(bytes), image_format).into_dimensions().map_err(unreadable)?;
    if width > limits.max_width || height > limits.max_height {
        return Err(ImageError::TooLarge { width, height, max_width: limits.max_width, max_height: limits.max_height });
    }
    if width == 0 || height == 0 {
        return Err(ImageError::Unreadable { len: bytes.len(), detail: format!("image is {width}x{height} pixels") });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_width);
    image_limits.max_image_height = Some(limits.max_height);
    // RGBA at f32 is the widest buffer a decoder may allocate, plus slack for its own tables.
    image_limits.max_alloc = Some(u64::from(width) * u64::from(height) * 16 + (64 << 20));
    reader.limits(image_limits);
    let decoded = reader.decode().map_err(unreadable)?;
    if decoded.color().has_alpha() { Ok(over_white(&decoded.to_rgba8())) } else { Ok(decoded.to_rgb8()) }
}

/// Composes an RGBA image over a white background.
fn over_white(rgba: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u32::from(p[3]);
        let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])])
    })
}

/// PNG bytes of `image` (deterministic: the same pixels give the same bytes).
pub fn encode_png(image: &RgbImage) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|e| ImageError::Encode { format: "png", detail: e.to_string() })?;
    Ok(out)
}

/// JPEG bytes of `image` at `quality` (1–100, the IJG scale).
pub fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, ImageError> {
    if !(1..=100).contains(&quality) {
        return Err(ImageError::InvalidArgument(format!("jpeg quality {quality} is outside 1..=100")));
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .map_err(|e| ImageError::Encode { format: "jpeg", detail: e.to_string() })?;
    Ok(out)
}

/// A JPEG encoding that fits a byte budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpegFit {
    /// The JPEG bytes (`bytes.len() <= budget`).
    pub bytes: Vec<u8>,
    /// The quality used: the highest (at most `max_quality`) whose output fits.
    pub quality: u8,
}

/// Re-encodes `image` as JPEG at the highest quality in `1..=max_quality` whose output is at most
/// `budget` bytes (binary search over the quality; the result is verified to fit). An error when
/// even quality 1 is over the budget.
pub fn jpeg_within(image: &RgbImage, budget: usize, max_quality: u8) -> Result<JpegFit, ImageError> {
    let max_quality = max_quality.clamp(1, 100);
    let top = encode_jpeg(image, max_quality)?;
    if top.len() <= budget {
        return Ok(JpegFit { bytes: top, quality: max_quality });
    }
    let bottom = encode_jpeg(image, 1)?;
    if bottom.len() > budget {
        return Err(ImageError::OverBudget {
            width: image.width(),
            height: image.height(),
            budget,
            smallest: bottom.len(),
        });
    }
    // Invariant: `lo` fits (its bytes in `best`), `hi` does not.
    let (mut lo, mut hi, mut best) = (1u8, max_quality, bottom);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let bytes = encode_jpeg(image, mid)?;
        if bytes.len() <= budget {
            lo = mid;
            best = bytes;
        } else {
            hi = mid;
        }
    }
    Ok(JpegFit { bytes: best, quality: lo })
}
