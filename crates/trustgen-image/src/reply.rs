//! Images a model returned (the image generator's replies: input bytes the host stored them
//! as, `ImageSource::Base64` or a `data:` URL) decoded for further drawing, and downscaling to
//! a bounded side.

use std::borrow::Cow;

use base64::Engine as _;
use image::RgbImage;
use image::imageops::{self, FilterType};
use trustgen_plugin_api::{Image, ImageSource};

use crate::{DecodeLimits, ImageError, decode};

/// The bytes of an image a model returned: a range of the bytes beside the plugin call's input
/// (`input`, [`trustgen_plugin_api::Cx::bytes`]: where the host puts the drawings it stored), or
/// inline base64 or a `data:` URL. An image by reference (a stored hash, a file, an `http` URL)
/// has no bytes here and is an error.
pub fn returned_bytes<'a>(image: &'a Image, input: &'a [u8]) -> Result<Cow<'a, [u8]>, ImageError> {
    let text = match &image.source {
        ImageSource::Blob { offset, len } => {
            let end = offset.checked_add(*len).filter(|end| *end <= input.len());
            return match end {
                Some(end) => Ok(Cow::Borrowed(&input[*offset..end])),
                None => Err(ImageError::InvalidArgument(format!(
                    "the image refers to bytes {offset}..{} but the call has {} input bytes",
                    offset.saturating_add(*len),
                    input.len()
                ))),
            };
        }
        ImageSource::Base64(data) => data.as_str(),
        ImageSource::Url(url) if url.starts_with("data:") => match url.split_once(";base64,") {
            Some((_, data)) => data,
            None => return Err(ImageError::InvalidArgument("a data: URL image that is not base64".into())),
        },
        other => {
            return Err(ImageError::InvalidArgument(format!(
                "the image has no inline bytes (source {other:?}); only input bytes, base64 or data: URL images can be redrawn"
            )));
        }
    };
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map(Cow::Owned)
        .map_err(|e| ImageError::Unreadable { len: text.len(), detail: format!("invalid base64: {e}") })
}

/// The pixels of an image a model returned ([`returned_bytes`]), decoded with the default
/// limits and downscaled (aspect kept) so that neither side exceeds `max_side`.
pub fn decode_returned(image: &Image, input: &[u8], max_side: u32) -> Result<RgbImage, ImageError> {
    Ok(fit_within(&decode(&returned_bytes(image, input)?, DecodeLimits::default())?, max_side))
}

/// `image` downscaled (aspect kept, Catmull-Rom) so that neither side exceeds `max_side`; an
/// image that fits is returned unchanged.
pub fn fit_within(image: &RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let max_side = max_side.max(1);
    if w <= max_side && h <= max_side {
        return image.clone();
    }
    let scale = f64::from(max_side) / f64::from(w.max(h));
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, max_side);
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, max_side);
    imageops::resize(image, nw, nh, FilterType::CatmullRom)
}

#[cfg(test)]
mod tests {
    use image::Rgb;

    use super::*;
    use crate::encode_png;

    #[test]
    fn a_returned_png_is_decoded_and_bounded() {
        let png = encode_png(&RgbImage::from_pixel(40, 20, Rgb([9, 8, 7]))).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        let decoded = decode_returned(&Image::new("image/png", ImageSource::Base64(b64.clone())), &[], 10).unwrap();
        assert_eq!(decoded.dimensions(), (10, 5));
        assert_eq!(decoded.get_pixel(3, 3), &Rgb([9, 8, 7]));
        let url = Image::new("image/png", ImageSource::Url(format!("data:image/png;base64,{b64}")));
        assert_eq!(decode_returned(&url, &[], 100).unwrap().dimensions(), (40, 20));
        let stored = Image::new("image/png", ImageSource::Stored { sha256: "00".into() });
        assert!(decode_returned(&stored, &[], 10).unwrap_err().to_string().contains("no inline bytes"));
        let junk = Image::new("image/png", ImageSource::Base64("%%%".into()));
        assert!(decode_returned(&junk, &[], 10).unwrap_err().to_string().contains("invalid base64"));
        // As the host hands a stored drawing over: a range of the call's input bytes.
        let mut input = b"row image bytes".to_vec();
        let offset = input.len();
        input.extend_from_slice(&png);
        let blob = Image::new("image/png", ImageSource::Blob { offset, len: png.len() });
        assert_eq!(decode_returned(&blob, &input, 100).unwrap().dimensions(), (40, 20));
        let past = Image::new("image/png", ImageSource::Blob { offset, len: png.len() + 1 });
        assert!(decode_returned(&past, &input, 100).unwrap_err().to_string().contains("input bytes"));
    }
}
