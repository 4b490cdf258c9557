//! Offline OCR for trustgen: PaddleOCR PP-OCRv5 mobile text detection and recognition (ONNX),
//! run in-process on the pure-Rust `tract` runtime; no server, no native library, no key.
//!
//! - [`Ocr::from_cache`] loads the model from the cache that `trustgen models pull ppocrv5-mobile`
//!   fills (`$TRUSTGEN_CACHE_DIR/models/ppocrv5-mobile/`, else `~/.cache/trustgen/models/...`;
//!   `cargo xtask setup` and CI's models step pull it too); [`Ocr::load`] takes a directory.
//! - [`Ocr::read`] / [`Ocr::read_bytes`]: the text lines of an image, each with its box and
//!   confidence, top to bottom and left to right within a line.
//! - [`contains_text`]: the offline judge "does this text appear in this image" (a rendered
//!   typographic prompt, a caption, text a text-to-image model was asked to draw); it compares
//!   case- and whitespace-insensitively and allows a character error rate of [`MAX_CER`].
//!
//! The pipeline: detection (DBNet, input's longer side ≤ 960) → DB post-processing (threshold,
//! connected components, box score, unclip margin) → each box cropped and resized to height 48
//! → recognition (CRNN) → greedy CTC decoding with the 18 385-entry key file (Chinese, Japanese,
//! Latin, digits, symbols). Boxes are axis-aligned and text is read upright: rotated or vertical
//! text is not handled (the orientation classifier of the wheel is not used).
//!
//! Images are bounded: bytes are decoded with [`trustgen_image::decode`] under
//! [`MAX_SIDE`]×[`MAX_SIDE`] and an in-memory image over that is refused; detection always runs on
//! at most 960×960, and at most 1000 boxes per image are read. Blank, tiny or textless images give
//! no lines. The model is `Send + Sync`: share one (loading takes about a second); [`shared`]
//! keeps one per process.
//!
//! Who calls it: host-side code (the engine, the CLI, tests, examples). Plugins are pure by
//! the architecture invariant (no file I/O) and this crate reads model files, so a dimension
//! plugin should not depend on it; it reaches OCR through the host, the way it reaches the
//! embedder (a model role), once that seam exists. A call is blocking and CPU-bound: run it on a
//! blocking thread. A missing model is an error whose message says to run
//! `trustgen models pull ppocrv5-mobile`.

mod det;
mod error;
mod judge;
mod rec;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use tract_onnx::prelude::*;
use trustgen_image::{DecodeLimits, RgbImage};

pub use det::TextBox;
pub use error::OcrError;
pub use judge::{MAX_CER, TextMatch, cer, normalise};
pub use trustgen_embedded::models::OCR_MODEL;

/// The largest width and height read (as [`DecodeLimits`]); larger images are refused, not scaled.
pub const MAX_SIDE: u32 = 8192;
/// Lines read with a mean character probability below this are dropped (PaddleOCR's `drop_score`).
const MIN_CONFIDENCE: f32 = 0.5;

const DET_FILE: &str = "ppocrv5_det.onnx";
const REC_FILE: &str = "ppocrv5_rec.onnx";
const KEYS_FILE: &str = "ppocr_keys_v5.txt";

type Plan = Arc<TypedRunnableModel>;

/// One line of text read from an image.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrLine {
    /// The text (untrusted: it is whatever the image shows).
    pub text: String,
    /// Where it is, in pixels of the image.
    pub bbox: TextBox,
    /// The mean probability of its characters, 0.5–1.
    pub confidence: f32,
}

/// The loaded OCR model: detection, recognition and the key file.
#[derive(Debug, Clone)]
pub struct Ocr {
    det: Arc<Model>,
    rec: Arc<Model>,
    keys: Arc<Vec<String>>,
}

impl Ocr {
    /// Loads the model from the cache, checking every file's sha256 (once per file; a marker
    /// remembers it). A missing or corrupt file is an error that names the fix:
    /// `trustgen models pull ppocrv5-mobile`.
    pub fn from_cache() -> Result<Ocr, OcrError> {
        let dir = trustgen_embedded::resolve(OCR_MODEL, None)?;
        Ocr::load(&dir)
    }

    /// Loads the model from `dir`, which holds `ppocrv5_det.onnx`, `ppocrv5_rec.onnx` and
    /// `ppocr_keys_v5.txt` (the cache directory of `ppocrv5-mobile`, or a copy of it). Files are
    /// not hash-checked here.
    pub fn load(dir: &Path) -> Result<Ocr, OcrError> {
        let file = |name: &str| -> Result<PathBuf, OcrError> {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(OcrError::MissingFile { path, model: OCR_MODEL, files: [DET_FILE, REC_FILE, KEYS_FILE].join(", ") })
            }
        };
        let (det_path, rec_path, keys_path) = (file(DET_FILE)?, file(REC_FILE)?, file(KEYS_FILE)?);
        let keys_text = std::fs::read_to_string(&keys_path)
            .map_err(|e| OcrError::Load { path: keys_path.clone(), reason: e.to_string() })?;
        let keys: Vec<String> = keys_text.lines().map(str::to_owned).collect();
        if keys.len() < 2 {
            return Err(OcrError::Load { path: keys_path, reason: format!("{} lines, expected 18385", keys.len()) });
        }
        let det = Arc::new(Model::load(&det_path)?);
        let rec = Arc::new(Model::load(&rec_path)?);
        Ok(Ocr { det, rec, keys: Arc::new(keys) })
    }

    /// Reads PNG or JPEG bytes (at most [`MAX_SIDE`] pixels a side; transparency over white).
    pub fn read_bytes(&self, bytes: &[u8]) -> Result<Vec<OcrLine>, OcrError> {
        let image = trustgen_image::decode(bytes, DecodeLimits { max_width: MAX_SIDE, max_height: MAX_SIDE })?;
        self.read(&image)
    }

    /// The text lines of `image`, top to bottom and left to right within a line; empty when
    /// there is no text.
    pub fn read(&self, image: &RgbImage) -> Result<Vec<OcrLine>, OcrError> {
        let (w, h) = image.dimensions();
        if w > MAX_SIDE || h > MAX_SIDE {
            return Err(OcrError::TooLarge { width: w, height: h, max: MAX_SIDE });
        }
        if w == 0 || h == 0 {
            return Ok(Vec::new());
        }
        let mut boxes = self.detect(image)?;
        det::reading_order(&mut boxes);
        let mut lines = Vec::new();
        for bbox in boxes {
            let (text, confidence) = self.recognise(image, bbox)?;
            if !text.trim().is_empty() && confidence >= MIN_CONFIDENCE {
                lines.push(OcrLine { text, bbox, confidence });
            }
        }
        Ok(lines)
    }

    /// Whether `expected` appears in the image `image_bytes` (PNG or JPEG); see [`contains_text`].
    pub fn contains_text(&self, image_bytes: &[u8], expected: &str) -> Result<TextMatch, OcrError> {
        let wanted: Vec<char> = normalise(expected).chars().collect();
        if wanted.is_empty() {
            return Err(OcrError::EmptyExpected { expected: expected.to_owned() });
        }
        let lines = self.read_bytes(image_bytes)?;
        let read = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        let got: Vec<char> = normalise(&read).chars().collect();
        let cer = judge::substring_cer(&wanted, &got);
        Ok(TextMatch { found: cer <= MAX_CER, read, cer })
    }

    fn detect(&self, image: &RgbImage) -> Result<Vec<TextBox>, OcrError> {
        let input = det::det_input(image);
        let (w, h) = (input.width, input.height);
        let fail =
            |e: TractError| OcrError::Inference { stage: "detection", width: w, height: h, reason: format!("{e:#}") };
        let (shape, prob) = self.det.run([1, 3, h, w], &input.data).map_err(fail)?;
        // [1, 1, H, W]: the probability of text per pixel of the input.
        if shape != [1, 1, h, w] {
            return Err(fail(TractError::msg(format!("unexpected output shape {shape:?}"))));
        }
        Ok(det::boxes_from_map(&prob, w, h, input.scale, image.width(), image.height()))
    }

    fn recognise(&self, image: &RgbImage, bbox: TextBox) -> Result<(String, f32), OcrError> {
        let (data, w) = rec::rec_input(image, bbox);
        let h = rec::REC_HEIGHT as usize;
        let fail =
            |e: TractError| OcrError::Inference { stage: "recognition", width: w, height: h, reason: format!("{e:#}") };
        let (shape, probs) = self.rec.run([1, 3, h, w], &data).map_err(fail)?;
        // [1, T, classes]: per frame, the probability of each key (0 = the CTC blank).
        let (frames, classes) = match shape.as_slice() {
            [1, t, c] if *c == self.keys.len() => (*t, *c),
            _ => {
                return Err(fail(TractError::msg(format!(
                    "output shape {shape:?} does not match the {} keys of {KEYS_FILE}",
                    self.keys.len()
                ))));
            }
        };
        Ok(rec::ctc_greedy(&probs, frames, classes, &self.keys))
    }
}

/// One ONNX model, parsed once, planned per input shape.
///
/// The models' dynamic dimensions do not let tract prove that the feature maps of the detector's
/// pyramid line up, so each model is optimised for concrete shapes. The callers round shapes to
/// a few buckets (see [`det::det_input`] and [`rec::rec_input`]), so few plans are ever made.
struct Model {
    path: PathBuf,
    parsed: InferenceModel,
    plans: Mutex<HashMap<[usize; 4], Plan>>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Model {
    fn load(path: &Path) -> Result<Model, OcrError> {
        let parsed = tract_onnx::onnx()
            .model_for_path(path)
            .map_err(|e| OcrError::Load { path: path.to_path_buf(), reason: format!("{e:#}") })?;
        Ok(Model { path: path.to_path_buf(), parsed, plans: Mutex::new(HashMap::new()) })
    }

    /// The plan for input `shape`, made on first use.
    fn plan(&self, shape: [usize; 4]) -> TractResult<Plan> {
        let mut plans = self.plans.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(plan) = plans.get(&shape) {
            return Ok(plan.clone());
        }
        let plan =
            self.parsed.clone().with_input_fact(0, f32::fact(shape).into())?.into_optimized()?.into_runnable()?;
        plans.insert(shape, plan.clone());
        Ok(plan)
    }

    /// Runs the model on `data` of `shape` and returns its first output.
    fn run(&self, shape: [usize; 4], data: &[f32]) -> TractResult<(Vec<usize>, Vec<f32>)> {
        let input = Tensor::from_shape(&shape, data)?;
        let out = self.plan(shape)?.run(tvec![input.into_tvalue()])?;
        let first = out.first().ok_or_else(|| TractError::msg("the model has no output"))?;
        let view = first.to_plain_array_view::<f32>()?;
        Ok((view.shape().to_vec(), view.iter().copied().collect()))
    }
}

/// The process-wide model, loaded from the cache on first use ([`Ocr::from_cache`]). A failed
/// load is not remembered: the next call tries again (e.g. after `trustgen models pull`).
pub fn shared() -> Result<&'static Ocr, OcrError> {
    static SHARED: OnceLock<Ocr> = OnceLock::new();
    if let Some(ocr) = SHARED.get() {
        return Ok(ocr);
    }
    let ocr = Ocr::from_cache()?;
    Ok(SHARED.get_or_init(|| ocr))
}

/// The offline judge: does `expected` appear in the image `image_bytes` (PNG or JPEG)?
///
/// OCR reads the image with the [`shared`] model; both texts are [`normalise`]d (case,
/// whitespace and full-width forms ignored), and `expected` is matched against the best stretch
/// of what was read, so other text in the image does not count against it. `found` is true when
/// the character error rate of that stretch is at most [`MAX_CER`]. Errors: the model is not
/// in the cache (run `trustgen models pull ppocrv5-mobile`), the bytes are not a readable PNG or
/// JPEG within [`MAX_SIDE`], or `expected` is empty after normalisation.
pub fn contains_text(image_bytes: &[u8], expected: &str) -> Result<TextMatch, OcrError> {
    shared()?.contains_text(image_bytes, expected)
}
