//! Composition (images side by side), quarter-turn and arbitrary rotations, flips and thumbnails.

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};

use crate::ImageError;

/// Places 2–5 images side by side, each resized (aspect kept, Catmull-Rom) to the height of the
/// smallest, separated by `gap` pixels of `background`.
pub fn compose_horizontal(images: &[RgbImage], gap: u32, background: Rgb<u8>) -> Result<RgbImage, ImageError> {
    if !(2..=5).contains(&images.len()) {
        return Err(ImageError::InvalidArgument(format!(
            "horizontal composition takes 2 to 5 images, got {}",
            images.len()
        )));
    }
    if let Some(i) = images.iter().position(|im| im.width() == 0 || im.height() == 0) {
        return Err(ImageError::InvalidArgument(format!("image {} of the composition is empty", i + 1)));
    }
    let height = images.iter().map(RgbImage::height).min().unwrap_or(1);
    let resized: Vec<RgbImage> = images
        .iter()
        .map(|im| {
            if im.height() == height {
                im.clone()
            } else {
                let width = ((u64::from(im.width()) * u64::from(height) + u64::from(im.height()) / 2)
                    / u64::from(im.height()))
                .max(1) as u32;
                imageops::resize(im, width, height, FilterType::CatmullRom)
            }
        })
        .collect();
    let total: u64 =
        resized.iter().map(|im| u64::from(im.width())).sum::<u64>() + u64::from(gap) * (resized.len() as u64 - 1);
    if total > 65535 {
        return Err(ImageError::InvalidArgument(format!("composed image would be {total} px wide")));
    }
    let mut out = RgbImage::from_pixel(total as u32, height, background);
    let mut x = 0i64;
    for im in &resized {
        imageops::replace(&mut out, im, x, 0);
        x += i64::from(im.width()) + i64::from(gap);
    }
    Ok(out)
}

/// A quarter-turn rotation (clockwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarterTurn {
    /// 90° clockwise.
    Cw90,
    /// 180°.
    Cw180,
    /// 270° clockwise (90° counter-clockwise).
    Cw270,
}

/// Rotates by a quarter turn (exact, lossless).
pub fn rotate_quarter(image: &RgbImage, turn: QuarterTurn) -> RgbImage {
    match turn {
        QuarterTurn::Cw90 => imageops::rotate90(image),
        QuarterTurn::Cw180 => imageops::rotate180(image),
        QuarterTurn::Cw270 => imageops::rotate270(image),
    }
}

/// Rotates by `degrees` clockwise about the centre with bilinear sampling; the canvas keeps its
/// size (corners cut) unless `expand`, which grows it to hold the whole rotated image. Uncovered
/// pixels take `fill`.
pub fn rotate_degrees(image: &RgbImage, degrees: f64, fill: Rgb<u8>, expand: bool) -> Result<RgbImage, ImageError> {
    if !degrees.is_finite() {
        return Err(ImageError::InvalidArgument(format!("rotation by {degrees} degrees")));
    }
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (ow, oh) = if expand {
        ((w * cos.abs() + h * sin.abs() - 1e-9).ceil(), (w * sin.abs() + h * cos.abs() - 1e-9).ceil())
    } else {
        (w, h)
    };
    if ow * oh > 16384.0 * 16384.0 {
        return Err(ImageError::InvalidArgument(format!("rotated image would be {ow}x{oh} px")));
    }
    let (cx, cy, ocx, ocy) = (w / 2.0, h / 2.0, ow / 2.0, oh / 2.0);
    let out = RgbImage::from_fn(ow as u32, oh as u32, |x, y| {
        // Inverse mapping: output pixel centre back into the source.
        let (dx, dy) = (f64::from(x) + 0.5 - ocx, f64::from(y) + 0.5 - ocy);
        let sx = cos * dx + sin * dy + cx - 0.5;
        let sy = -sin * dx + cos * dy + cy - 0.5;
        bilinear(image, sx, sy).unwrap_or(fill)
    });
    Ok(out)
}

/// Bilinear sample at (`x`, `y`) in pixel-centre coordinates; `None` outside the image (a half
/// pixel of edge is clamped so borders stay sharp).
fn bilinear(image: &RgbImage, x: f64, y: f64) -> Option<Rgb<u8>> {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    if x < -0.5 || y < -0.5 || x > w - 0.5 || y > h - 0.5 {
        return None;
    }
    let x = x.clamp(0.0, w - 1.0);
    let y = y.clamp(0.0, h - 1.0);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as u32, y0 as u32);
    let x1 = (x0 + 1).min(image.width() - 1);
    let y1 = (y0 + 1).min(image.height() - 1);
    let (a, b, c, d) =
        (image.get_pixel(x0, y0), image.get_pixel(x1, y0), image.get_pixel(x0, y1), image.get_pixel(x1, y1));
    let mut out = [0u8; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let top = f64::from(a.0[k]) * (1.0 - fx) + f64::from(b.0[k]) * fx;
        let bottom = f64::from(c.0[k]) * (1.0 - fx) + f64::from(d.0[k]) * fx;
        *o = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
    }
    Some(Rgb(out))
}

/// A mirror axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flip {
    /// Left–right mirror.
    Horizontal,
    /// Top–bottom mirror.
    Vertical,
}

/// Mirrors the image.
pub fn flip(image: &RgbImage, axis: Flip) -> RgbImage {
    match axis {
        Flip::Horizontal => imageops::flip_horizontal(image),
        Flip::Vertical => imageops::flip_vertical(image),
    }
}

/// `image` scaled down (aspect kept, Triangle filter) so that its longer side is at most
/// `max_side` pixels (at least 1 pixel each way); a smaller image is returned unchanged.
pub fn thumbnail(image: &RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let max_side = max_side.max(1);
    if w <= max_side && h <= max_side {
        return image.clone();
    }
    let scale = f64::from(max_side) / f64::from(w.max(h));
    let fit = |side: u32| ((f64::from(side) * scale).round() as u32).clamp(1, max_side);
    imageops::resize(image, fit(w), fit(h), FilterType::Triangle)
}
