//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while loading the OCR model or reading an image.
///
/// Messages name the file or input at fault and, where there is one, the command that fixes it.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// Finding or checking the cached model failed (missing: the message says to run
    /// `trustgen models pull ppocrv5-mobile`; corrupt: the same, to download it again).
    #[error(transparent)]
    Model(#[from] trustgen_embedded::EmbeddedError),
    /// A model file is absent from an explicitly given directory.
    #[error(
        "OCR model file {} is missing; run `trustgen models pull {model}` (or `cargo xtask setup`) and load it \
         from the cache, or point at a directory holding {files}",
        path.display()
    )]
    MissingFile {
        /// The file looked for.
        path: PathBuf,
        /// The registry name of the model.
        model: &'static str,
        /// The files the directory must hold, comma separated.
        files: String,
    },
    /// A model file exists but cannot be read or is not a usable model.
    #[error("cannot load the OCR model file {}: {reason}", path.display())]
    Load {
        /// The file at fault.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// The image bytes are not a readable PNG or JPEG, or exceed the size limit.
    #[error("cannot OCR the image: {0}")]
    Image(#[from] trustgen_image::ImageError),
    /// An in-memory image exceeds [`crate::MAX_SIDE`].
    #[error("cannot OCR a {width}x{height} image: at most {max}x{max} pixels are read; downscale it first")]
    TooLarge {
        /// Width of the image.
        width: u32,
        /// Height of the image.
        height: u32,
        /// The largest side accepted.
        max: u32,
    },
    /// The expected text of [`crate::contains_text`] has no character left after normalisation.
    #[error("the expected text {expected:?} is empty after normalisation (case and whitespace are ignored)")]
    EmptyExpected {
        /// The expected text as given.
        expected: String,
    },
    /// The runtime failed on a model (a bug or a model that does not fit this code).
    #[error("OCR {stage} failed on a {width}x{height} input: {reason}")]
    Inference {
        /// `detection` or `recognition`.
        stage: &'static str,
        /// Input width given to the model.
        width: usize,
        /// Input height given to the model.
        height: usize,
        /// The runtime's message.
        reason: String,
    },
}
