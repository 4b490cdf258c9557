//! Text detection: the PP-OCRv5 DBNet input tensor, and the DB post-processing that turns its
//! probability map into text boxes (threshold, connected components, box score, unclip margin).
//!
//! The constants are PaddleOCR's defaults for PP-OCRv5 (`DBPostProcess`: `thresh` 0.3,
//! `box_thresh` 0.6, `unclip_ratio` 1.5, `max_candidates` 1000, `min_size` 3). Boxes are axis
//! aligned: the tooling renders horizontal text, and rotated text is out of scope.

use image::RgbImage;
use image::imageops::FilterType;

/// The longer side of the detection input (PaddleOCR's `limit_side_len` 960, `limit_type` max).
pub(crate) const DET_MAX_SIDE: u32 = 960;
/// A probability-map pixel above this is text.
const THRESH: f32 = 0.3;
/// A component whose box has a mean probability below this is dropped.
const BOX_THRESH: f32 = 0.6;
/// How far a box grows: area × ratio / perimeter on every side (DB shrinks text regions by this in training).
const UNCLIP_RATIO: f32 = 1.5;
/// At most this many boxes per image (the largest components win).
pub(crate) const MAX_CANDIDATES: usize = 1000;
/// Components with a side shorter than this (map pixels) are noise.
const MIN_SIZE: f32 = 3.0;
/// ImageNet mean and standard deviation, applied to B, G, R in that order as PaddleOCR does on
/// OpenCV's BGR images.
const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];

/// An axis-aligned box in pixels of the original image (`right` and `bottom` exclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    /// Left edge.
    pub left: u32,
    /// Top edge.
    pub top: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The sides of the detection input: the resized image is padded up to the smallest that holds
/// it, so the model is planned for at most nine shapes.
const DET_BUCKETS: [u32; 3] = [320, 640, DET_MAX_SIDE];

/// The detection input: NCHW data in BGR order, normalised.
pub(crate) struct DetInput {
    pub(crate) data: Vec<f32>,
    /// Width of the input (a bucket).
    pub(crate) width: usize,
    /// Height of the input (a bucket).
    pub(crate) height: usize,
    /// Input pixels per image pixel (at most 1: images are shrunk, never enlarged).
    pub(crate) scale: f32,
}

/// The image resized so that its longer side is at most [`DET_MAX_SIDE`] (bilinear), placed at
/// the top left of an input whose sides are buckets ([`DET_BUCKETS`]); the rest is zero after
/// normalisation (the mean colour).
pub(crate) fn det_input(image: &RgbImage) -> DetInput {
    let (w, h) = image.dimensions();
    let scale = (DET_MAX_SIDE as f32 / w.max(h).max(1) as f32).min(1.0);
    let (rw, rh) = (
        ((w as f32 * scale).round() as u32).clamp(1, DET_MAX_SIDE),
        ((h as f32 * scale).round() as u32).clamp(1, DET_MAX_SIDE),
    );
    let bucket = |side: u32| DET_BUCKETS.into_iter().find(|&b| b >= side).unwrap_or(DET_MAX_SIDE);
    let (width, height) = (bucket(rw) as usize, bucket(rh) as usize);
    let resized = image::imageops::resize(image, rw, rh, FilterType::Triangle);
    let plane = width * height;
    let mut data = vec![0f32; 3 * plane];
    for (x, y, pixel) in resized.enumerate_pixels() {
        let [r, g, b] = pixel.0;
        let i = y as usize * width + x as usize;
        for (c, v) in [b, g, r].into_iter().enumerate() {
            data[c * plane + i] = (f32::from(v) / 255.0 - MEAN[c]) / STD[c];
        }
    }
    DetInput { data, width, height, scale }
}

/// DB post-processing of a probability map of `map_w`×`map_h` (row-major) into boxes in the
/// coordinates of an `image_w`×`image_h` image, `scale` map pixels per image pixel.
pub(crate) fn boxes_from_map(
    prob: &[f32],
    map_w: usize,
    map_h: usize,
    scale: f32,
    image_w: u32,
    image_h: u32,
) -> Vec<TextBox> {
    if map_w == 0 || map_h == 0 || prob.len() != map_w * map_h || scale <= 0.0 {
        return Vec::new();
    }
    let mut components = components(prob, map_w, map_h);
    // The largest components first, so the cap keeps what matters.
    components.sort_by_key(|c| std::cmp::Reverse(c.pixels));
    components.truncate(MAX_CANDIDATES);
    let (sx, sy) = (1.0 / scale, 1.0 / scale);
    let mut boxes = Vec::new();
    for c in components {
        let (w, h) = ((c.max_x - c.min_x + 1) as f32, (c.max_y - c.min_y + 1) as f32);
        if w.min(h) < MIN_SIZE {
            continue;
        }
        if box_score(prob, map_w, &c) < BOX_THRESH {
            continue;
        }
        let distance = w * h * UNCLIP_RATIO / (2.0 * (w + h));
        if w.min(h) + 2.0 * distance < MIN_SIZE + 2.0 {
            continue;
        }
        let left = ((c.min_x as f32 - distance) * sx).round().clamp(0.0, image_w as f32);
        let top = ((c.min_y as f32 - distance) * sy).round().clamp(0.0, image_h as f32);
        let right = (((c.max_x + 1) as f32 + distance) * sx).round().clamp(0.0, image_w as f32);
        let bottom = (((c.max_y + 1) as f32 + distance) * sy).round().clamp(0.0, image_h as f32);
        if right - left >= 1.0 && bottom - top >= 1.0 {
            boxes.push(TextBox {
                left: left as u32,
                top: top as u32,
                width: (right - left) as u32,
                height: (bottom - top) as u32,
            });
        }
    }
    boxes
}

/// A connected component of the thresholded map: its bounding box and pixel count.
#[derive(Debug, Clone, Copy)]
struct Component {
    min_x: usize,
    min_y: usize,
    max_x: usize,
    max_y: usize,
    pixels: usize,
}

/// 8-connected components of `prob > THRESH` (as OpenCV's contours on the bitmap), by flood fill.
fn components(prob: &[f32], w: usize, h: usize) -> Vec<Component> {
    let mut seen = vec![false; prob.len()];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    for start in 0..prob.len() {
        if seen[start] || prob[start] <= THRESH {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut c = Component { min_x: usize::MAX, min_y: usize::MAX, max_x: 0, max_y: 0, pixels: 0 };
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            c.min_x = c.min_x.min(x);
            c.max_x = c.max_x.max(x);
            c.min_y = c.min_y.min(y);
            c.max_y = c.max_y.max(y);
            c.pixels += 1;
            for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    let j = ny * w + nx;
                    if !seen[j] && prob[j] > THRESH {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        out.push(c);
    }
    out
}

/// The mean probability inside the component's bounding box (PaddleOCR's `box_score_fast`).
fn box_score(prob: &[f32], w: usize, c: &Component) -> f32 {
    let mut sum = 0f64;
    for y in c.min_y..=c.max_y {
        sum += prob[y * w + c.min_x..=y * w + c.max_x].iter().map(|&p| f64::from(p)).sum::<f64>();
    }
    let n = (c.max_x - c.min_x + 1) * (c.max_y - c.min_y + 1);
    (sum / n as f64) as f32
}

/// Reading order: top to bottom, and left to right within a line (boxes whose vertical centres
/// lie within half a box height of the line's first box).
pub(crate) fn reading_order(boxes: &mut [TextBox]) {
    boxes.sort_by_key(|b| (b.top, b.left));
    let mut start = 0;
    while start < boxes.len() {
        let first = boxes[start];
        let centre = first.top as f32 + first.height as f32 / 2.0;
        let mut end = start + 1;
        while end < boxes.len() {
            let b = boxes[end];
            let c = b.top as f32 + b.height as f32 / 2.0;
            if (c - centre).abs() > first.height.min(b.height) as f32 / 2.0 {
                break;
            }
            end += 1;
        }
        boxes[start..end].sort_by_key(|b| b.left);
        start = end;
    }
}
