//! The image store of a run directory: `images/<sha256>.<ext>`, every image
//! once, named by the SHA-256 of its bytes.
//!
//! Records (cases, requests) name an image by its hash
//! ([`trustgen_plugin_api::ImageSource::Stored`]); the bytes are read back
//! only when a request is sent or a report shows them, so a run holds the
//! images of its in-flight requests only. A file is written atomically (a
//! temporary file and a rename, [`crate::write_atomic`]) and never
//! rewritten: the same bytes have the same name. Reading checks the hash, so
//! a changed file is an error, never a different image sent silently.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::RunDirError;
use crate::write::write_atomic;

/// An image format the store accepts, told by the bytes' magic numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFormat {
    /// The MIME type, e.g. `image/png`.
    pub media_type: &'static str,
    /// The file extension in the store, e.g. `png`.
    pub extension: &'static str,
}

/// The formats the store accepts (what the chat APIs of OpenAI, Anthropic
/// and Gemini all take).
pub const IMAGE_FORMATS: [ImageFormat; 4] = [
    ImageFormat { media_type: "image/png", extension: "png" },
    ImageFormat { media_type: "image/jpeg", extension: "jpg" },
    ImageFormat { media_type: "image/gif", extension: "gif" },
    ImageFormat { media_type: "image/webp", extension: "webp" },
];

/// The format of `bytes` by their magic numbers, if it is one of
/// [`IMAGE_FORMATS`].
pub fn sniff_image(bytes: &[u8]) -> Option<ImageFormat> {
    let index = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        0
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        1
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        2
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        3
    } else {
        return None;
    };
    Some(IMAGE_FORMATS[index])
}

/// The format whose MIME type is `media_type` (`image/jpg` is read as JPEG).
pub fn format_of(media_type: &str) -> Option<ImageFormat> {
    let media_type = if media_type == "image/jpg" { "image/jpeg" } else { media_type };
    IMAGE_FORMATS.iter().copied().find(|f| f.media_type == media_type)
}

/// The lowercase hexadecimal SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `name` is a SHA-256 as the store writes it: 64 lowercase hex digits.
pub fn is_sha256(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why an image could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The bytes are not an image in a format the store accepts.
    #[error(
        "{what} is not a PNG, JPEG, GIF or WebP image (its first bytes are {head}); hint: convert it to PNG or JPEG"
    )]
    Format {
        /// What the bytes are (`the image attached by plugin ...`, a file name).
        what: String,
        /// The first bytes, in hex.
        head: String,
    },
    /// A stored image's name is not a SHA-256.
    #[error("`{name}` does not name a stored image (64 lowercase hex digits of a SHA-256)")]
    Name {
        /// The name given.
        name: String,
    },
    /// The image is not in the store.
    #[error("image {} is not in the run directory; hint: the run directory's images/ folder is incomplete", path.display())]
    Missing {
        /// Where it should be.
        path: PathBuf,
    },
    /// The file's bytes do not hash to its name.
    #[error("image {} was changed after it was stored (its bytes hash to {found})", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
        /// The hash of its bytes.
        found: String,
    },
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] RunDirError),
}

/// An image in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// The SHA-256 of its bytes (lowercase hex): its name.
    pub sha256: String,
    /// Its format, from its bytes.
    pub format: ImageFormat,
}

/// The `images/` folder of a run directory. Cheap to clone; safe to share
/// between threads (a file is written by rename, so two writers of the same
/// image leave the same complete file).
#[derive(Debug, Clone)]
pub struct ImageStore {
    dir: PathBuf,
}

impl ImageStore {
    /// The image store of the run directory `run_dir` (its folder is made
    /// when the first image is stored).
    pub fn new(run_dir: &Path) -> ImageStore {
        ImageStore { dir: run_dir.join(crate::files::IMAGES) }
    }

    /// The `images/` folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the image named `sha256` of type `media_type` is (or would be).
    pub fn path(&self, sha256: &str, media_type: &str) -> Result<PathBuf, ImageError> {
        if !is_sha256(sha256) {
            return Err(ImageError::Name { name: sha256.to_owned() });
        }
        let extension = format_of(media_type).map_or("bin", |f| f.extension);
        Ok(self.dir.join(format!("{sha256}.{extension}")))
    }

    /// Stores `bytes` once (nothing is written when the image is there) and
    /// returns its name and format; `what` names the image in an error.
    pub fn put(&self, bytes: &[u8], what: &str) -> Result<StoredImage, ImageError> {
        let Some(format) = sniff_image(bytes) else {
            let head = hex::encode(&bytes[..bytes.len().min(8)]);
            return Err(ImageError::Format { what: what.to_owned(), head });
        };
        let sha256 = sha256_hex(bytes);
        let path = self.path(&sha256, format.media_type)?;
        if !path.is_file() {
            std::fs::create_dir_all(&self.dir).map_err(|e| RunDirError::io(&self.dir, "create", e))?;
            write_atomic(&path, bytes)?;
        }
        Ok(StoredImage { sha256, format })
    }

    /// The bytes of the image named `sha256` of type `media_type`, checked
    /// against its name.
    pub fn load(&self, sha256: &str, media_type: &str) -> Result<Vec<u8>, ImageError> {
        let path = self.path(sha256, media_type)?;
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ImageError::Missing { path }),
            Err(e) => return Err(RunDirError::io(&path, "read", e).into()),
        };
        let found = sha256_hex(&bytes);
        if found != sha256 {
            return Err(ImageError::Changed { path, found });
        }
        Ok(bytes)
    }

    /// Removes the temporary files an interrupted store left (writers that
    /// are gone), and returns them.
    pub(crate) fn remove_stray_temps(&self) -> Result<Vec<PathBuf>, RunDirError> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Ok(Vec::new()) };
        let mut outputs = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            // `.<sha256>.<ext>.<pid>.<n>.tmp`
            let Some(rest) = name.strip_prefix('.') else { continue };
            let parts: Vec<&str> = rest.split('.').collect();
            if parts.len() == 5 && is_sha256(parts[0]) && parts[4] == "tmp" {
                outputs.push(format!("{}.{}", parts[0], parts[1]));
            }
        }
        let outputs: Vec<&str> = outputs.iter().map(String::as_str).collect();
        crate::write::remove_stray_temps(&self.dir, &outputs)
    }
}

#[cfg(test)]
mod tests;
