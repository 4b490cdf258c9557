//! Thumbnails of a run's images for the case explorer, embedded as `data:`
//! URLs so that `report.html` stays one self-contained file.
//!
//! Each distinct image (by SHA-256) is read from its run's `images/` folder
//! once, checked against its name, decoded with limits, scaled so its longer
//! side is at most [`HtmlOptions::thumb_max_side`] pixels and re-encoded as a
//! JPEG of at most [`HtmlOptions::thumb_max_bytes`] bytes
//! ([`trustgen_image::jpeg_within`]). Images are handled one at a time, in the
//! order the explorer lists them; the page takes at most
//! [`HtmlOptions::max_thumbnails`] thumbnails and
//! [`HtmlOptions::thumb_budget_bytes`] JPEG bytes in all, and names the
//! images it left out and where they are. Image bytes are untrusted: an image
//! that is missing, changed, too large or does not decode is named, never
//! shown; only JPEGs this code encoded reach the page.

use std::collections::HashMap;

use base64::Engine as _;
use serde::Serialize;
use trustgen_plugin_api::{Image, ImageSource};
use trustgen_rundir::{ImageStore, RunData};

use crate::report::HtmlOptions;

/// The largest image file read (bytes): what the engine accepts into a run.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The prefix of every thumbnail URL on the page (the page's script shows nothing else).
pub(crate) const DATA_URL_PREFIX: &str = "data:image/jpeg;base64,";

/// One distinct image of the page: `{"f": file, "u": data URL}` when shown,
/// `{"f": file, "n": why not}` otherwise.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct JsImage {
    /// Where it is: `images/<sha256>.<ext>` in the run directory (or what the source was).
    pub f: String,
    /// The thumbnail, a JPEG `data:` URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub u: Option<String>,
    /// Why it is not shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
}

/// What became of the images of a page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ImageCounts {
    /// Shown as thumbnails.
    pub shown: usize,
    /// Left out to keep the page within its budget.
    pub left_out: usize,
    /// Missing, changed, too large, not decodable, or not stored in the run.
    pub broken: usize,
    /// JPEG bytes of the thumbnails.
    pub bytes: usize,
}

/// The images of a page, each made once (see the module documentation).
pub(crate) struct Thumbnails<'o> {
    options: &'o HtmlOptions,
    pub images: Vec<JsImage>,
    index: HashMap<String, usize>,
    pub counts: ImageCounts,
}

impl<'o> Thumbnails<'o> {
    pub fn new(options: &'o HtmlOptions) -> Thumbnails<'o> {
        Thumbnails { options, images: Vec::new(), index: HashMap::new(), counts: ImageCounts::default() }
    }

    /// The index in [`Thumbnails::images`] of `image`, a picture of `run`.
    pub fn add(&mut self, run: &RunData, image: &Image) -> usize {
        let key = match &image.source {
            ImageSource::Stored { sha256 } => format!("stored:{sha256}"),
            ImageSource::Url(url) => format!("url:{url}"),
            other => format!("other:{}", source_kind(other)),
        };
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        let made = self.make(run, image);
        self.images.push(made);
        self.index.insert(key, self.images.len() - 1);
        self.images.len() - 1
    }

    fn make(&mut self, run: &RunData, image: &Image) -> JsImage {
        let dir = run.dir.display().to_string();
        let broken = |this: &mut Self, f: String, why: String| {
            this.counts.broken += 1;
            JsImage { f, u: None, n: Some(why) }
        };
        let sha256 = match &image.source {
            ImageSource::Stored { sha256 } => sha256,
            ImageSource::Url(url) => {
                let shown: String = url.chars().take(200).collect();
                return broken(self, shown, "a remote image: not fetched or embedded".into());
            }
            other => {
                let kind = source_kind(other);
                return broken(self, kind.into(), format!("an image given as {kind}, not stored in the run directory"));
            }
        };
        let store = ImageStore::new(&run.dir);
        let path = match store.path(sha256, &image.media_type) {
            Ok(path) => path,
            Err(e) => return broken(self, "images/?".into(), e.to_string()),
        };
        let file = format!("images/{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        let o = self.options;
        if self.counts.shown >= o.max_thumbnails || self.counts.bytes >= o.thumb_budget_bytes {
            return self.left_out(file, &dir);
        }
        let bytes = match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                return broken(
                    self,
                    file,
                    format!("{} bytes, more than the {MAX_FILE_BYTES} an image may have", m.len()),
                );
            }
            _ => match store.load(sha256, &image.media_type) {
                Ok(bytes) => bytes,
                Err(e) => return broken(self, file, e.to_string()),
            },
        };
        let thumb = trustgen_image::decode(&bytes, trustgen_image::DecodeLimits::default())
            .map(|full| trustgen_image::thumbnail(&full, o.thumb_max_side))
            .and_then(|small| trustgen_image::jpeg_within(&small, o.thumb_max_bytes, 85));
        drop(bytes);
        let jpeg = match thumb {
            Ok(fit) => fit.bytes,
            Err(e) => return broken(self, file, format!("cannot be shown: {e}")),
        };
        if self.counts.bytes + jpeg.len() > o.thumb_budget_bytes {
            return self.left_out(file, &dir);
        }
        self.counts.shown += 1;
        self.counts.bytes += jpeg.len();
        let url = format!("{DATA_URL_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(&jpeg));
        JsImage { f: file, u: Some(url), n: None }
    }

    fn left_out(&mut self, file: String, dir: &str) -> JsImage {
        self.counts.left_out += 1;
        let o = self.options;
        JsImage {
            n: Some(format!(
                "left out of this page (at most {} thumbnails, {}); the image is {file} in {dir}",
                o.max_thumbnails,
                size(o.thumb_budget_bytes)
            )),
            f: file,
            u: None,
        }
    }

    /// The page's sentence about its images (empty when the runs have none).
    pub fn note(&self) -> String {
        let c = self.counts;
        let total = c.shown + c.left_out + c.broken;
        if total == 0 {
            return String::new();
        }
        let o = self.options;
        let mut note = format!(
            "{total} distinct image(s): {} shown as thumbnails (longest side at most {} px, JPEG, {} in all; this page \
             takes at most {} thumbnails and {})",
            c.shown,
            o.thumb_max_side,
            size(c.bytes),
            o.max_thumbnails,
            size(o.thumb_budget_bytes)
        );
        if c.left_out > 0 {
            note.push_str(&format!(
                ", {} left out to keep the page small (each run directory's images/ folder has them all)",
                c.left_out
            ));
        }
        if c.broken > 0 {
            note.push_str(&format!(", {} cannot be shown (named in their case)", c.broken));
        }
        note.push('.');
        note
    }
}

/// `n` bytes as KiB when a whole number of them, else in bytes.
fn size(n: usize) -> String {
    if n >= 1024 && n.is_multiple_of(1024) { format!("{} KiB", n / 1024) } else { format!("{n} bytes") }
}

fn source_kind(source: &ImageSource) -> &'static str {
    match source {
        ImageSource::Url(_) => "a URL",
        ImageSource::Base64(_) => "inline base64",
        ImageSource::File(_) => "a data file",
        ImageSource::Blob { .. } => "attached bytes",
        ImageSource::Stored { .. } => "a stored image",
        _ => "an unknown source",
    }
}
