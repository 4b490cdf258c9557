//! Text recognition: the PP-OCRv5 CRNN input tensor (a crop resized to height 48) and greedy CTC
//! decoding of its per-frame class probabilities with the key file.

use image::RgbImage;
use image::imageops::FilterType;

use crate::det::TextBox;

/// The recognition input height.
pub(crate) const REC_HEIGHT: u32 = 48;
/// The recognition input width is a multiple of this (PaddleOCR's `rec_image_shape` width 320;
/// narrower crops are padded, as PaddleOCR pads a batch), so the model is planned for at most
/// 12 shapes.
const REC_WIDTH_STEP: u32 = 320;
/// The widest recognition input: a crop with a longer aspect ratio is squeezed to it (80:1 holds
/// a line of about 100 characters), which bounds memory and time per line.
pub(crate) const REC_MAX_WIDTH: u32 = REC_HEIGHT * 80;

/// The recognition input for `region` of `image`: cropped, resized to height 48 keeping the
/// aspect ratio (bilinear), normalised to [-1, 1] in BGR order, zero-padded on the right to at
/// multiple of 320. Returns NCHW data and its width.
pub(crate) fn rec_input(image: &RgbImage, region: TextBox) -> (Vec<f32>, usize) {
    let crop = image::imageops::crop_imm(image, region.left, region.top, region.width, region.height).to_image();
    let ratio = region.width as f32 / region.height.max(1) as f32;
    let w = ((REC_HEIGHT as f32 * ratio).ceil() as u32).clamp(1, REC_MAX_WIDTH);
    let resized = image::imageops::resize(&crop, w, REC_HEIGHT, FilterType::Triangle);
    let total_w = w.next_multiple_of(REC_WIDTH_STEP) as usize;
    let plane = total_w * REC_HEIGHT as usize;
    let mut data = vec![0f32; 3 * plane];
    for (x, y, pixel) in resized.enumerate_pixels() {
        let [r, g, b] = pixel.0;
        let i = y as usize * total_w + x as usize;
        for (c, v) in [b, g, r].into_iter().enumerate() {
            data[c * plane + i] = (f32::from(v) / 255.0 - 0.5) / 0.5;
        }
    }
    (data, total_w)
}

/// Greedy CTC decoding of `frames`×`classes` probabilities (row-major): the most likely class per
/// frame, repeats collapsed, the blank (class 0) dropped. Returns the text and the mean
/// probability of the emitted characters (0 when none).
pub(crate) fn ctc_greedy(probs: &[f32], frames: usize, classes: usize, keys: &[String]) -> (String, f32) {
    let mut text = String::new();
    let (mut sum, mut count) = (0f32, 0usize);
    let mut previous = 0usize;
    for t in 0..frames {
        let Some(row) = probs.get(t * classes..(t + 1) * classes) else { break };
        let (best, p) = row
            .iter()
            .copied()
            .enumerate()
            .fold((0usize, f32::MIN), |acc, (i, p)| if p > acc.1 { (i, p) } else { acc });
        if best != 0
            && best != previous
            && let Some(key) = keys.get(best)
        {
            text.push_str(key);
            sum += p;
            count += 1;
        }
        previous = best;
    }
    (text, if count == 0 { 0.0 } else { sum / count as f32 })
}
