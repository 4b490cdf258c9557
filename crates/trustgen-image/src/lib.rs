//! Image tooling of trustgen: pure, deterministic functions over 8-bit RGB images
//! ([`image::RgbImage`]) for building vision-language cases.
//!
//! - Decoding with limits and clear errors ([`decode`], [`sniff`]); PNG and JPEG encoding,
//!   JPEG re-encoding under a byte budget ([`jpeg_within`]).
//! - Text with the bundled font (Liberation Sans 2.1.5, SIL Open Font License 1.1, from the Debian
//!   package `fonts-liberation2` 2.1.5-1; see `fonts/PROVENANCE.md`): [`render_text`] (wrapped,
//!   font size fitted to the box), FigStep typographic prompts ([`figstep`]) and caption strips
//!   ([`caption_below`]).
//! - Images a model returned, decoded for redrawing ([`decode_returned`]) and bounded
//!   ([`fit_within`]).
//! - Seeded scenes of counted, coloured shapes and a sign with a word, for questions whose
//!   answers are known by construction ([`Scene`], [`fill_shape`], [`draw_text_centered`]).
//! - Composition of 2–5 images side by side ([`compose_horizontal`]), rotations
//!   ([`rotate_quarter`], [`rotate_degrees`]), flips ([`flip`]) and thumbnails ([`thumbnail`]).
//! - The 19 ImageNet-C corruptions at severity 1–5 ([`corrupt`]), seeded by a
//!   [`SeededRng`](trustgen_plugin_api::SeededRng) (derive one per case, e.g.
//!   `SeededRng::derive(seed, "robustness/vqa/17/corruption")`).
//!
//! Everything is a function of its inputs (and the seed): the same input and seed give the same
//! bytes. Nothing here reads files, the clock or the environment.
//!
//! ## The corruptions against the published code (Hendrycks & Dietterich, `make_imagenet_c.py`)
//!
//! All use the published severity tables. "Exact" means the published algorithm with the same
//! library semantics (SciPy/scikit-image filters and borders, OpenCV kernels, PIL's BOX resize);
//! the random draws come from the run seed, not NumPy's stream, so pixels differ from the
//! published files while the distributions match. Pixel-valued parameters are the published ones
//! for 224×224 images, applied unchanged at any size; resize to 224×224 first to reproduce the
//! ImageNet-C setting.
//!
//! | corruption | status | note |
//! |---|---|---|
//! | gaussian_noise | exact | |
//! | shot_noise | exact | Poisson draws by NumPy's algorithms (multiplication, PTRS) |
//! | impulse_noise | exact | scikit-image `random_noise(mode="s&p")`, per value |
//! | speckle_noise | exact | |
//! | gaussian_blur | exact | truncate 4, edge replicated |
//! | glass_blur | exact | |
//! | defocus_blur | exact | disk kernel anti-aliased as OpenCV's `GaussianBlur` does |
//! | zoom_blur | exact | `scipy.ndimage.zoom` order 1 |
//! | fog | exact | plasma fractal on the next power of two ≥ the larger side |
//! | brightness | exact | scikit-image HSV |
//! | contrast | exact | |
//! | saturate | exact | scikit-image HSV |
//! | pixelate | exact | PIL BOX resize, bytes rounded between passes |
//! | motion_blur | approximate | the `imagecorruptions` NumPy port of ImageMagick's motion blur, not Wand |
//! | snow | approximate | same motion blur port for the snow layer |
//! | elastic_transform | approximate | OpenCV's fixed-point warp done in floating point |
//! | jpeg_compression | approximate | the `image` crate's encoder at the published quality, not libjpeg |
//! | spatter | approximate | mud (4–5) exact; water (1–3) reimplements OpenCV's Canny, chamfer distance, equalizeHist |
//! | frost | approximate | the published frost photographs are not bundled: a procedural ice texture instead |
//!
//! [`Corruption::fidelity`] gives the same classification in code.

mod codec;
mod corrupt;
mod draw;
mod error;
mod geometry;
mod reply;
#[cfg(test)]
mod tests;
mod text;

pub use codec::{DecodeLimits, Format, JpegFit, decode, encode_jpeg, encode_png, jpeg_within, sniff};
pub use corrupt::{Corruption, Fidelity, corrupt};
pub use draw::{Colour, Group, PALETTE, SCENE_SIZE, SIGN_WORDS, Scene, Shape, Sign, fill_shape};
pub use error::ImageError;
pub use geometry::{Flip, QuarterTurn, compose_horizontal, flip, rotate_degrees, rotate_quarter, thumbnail};
pub use image::{Rgb, RgbImage};
pub use reply::{decode_returned, fit_within, returned_bytes};
pub use text::{FONT_BYTES, RenderedText, TextBox, TextLine, caption_below, draw_text_centered, figstep, render_text};
