//! Images into the run store: every image of a case or request once, named by its hash.
//!
//! A plugin hands over an image as bytes it attached to its call's output
//! ([`ImageSource::Blob`]), as a `data:` URL or inline base64, or as a file of
//! the suite's data directory ([`ImageSource::File`]). Before a case is
//! recorded or a request is run, [`Images`] stores each such image once in
//! the run directory (`images/<sha256>.<ext>`, trustgen-rundir's
//! [`ImageStore`]) and rewrites it to [`ImageSource::Stored`], with the media
//! type its bytes show. From then on records, cache keys and the resume
//! journal name it by hash; the providers load the bytes only to send a
//! request ([`StoreLoader`]). An `http(s)` URL is left as it is (the
//! provider fetches or forwards it).

use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use trustgen_plugin_api::{Image, ImageSource, ModelReply, ModelRequest, ReplyStatus, RequestKind, TestCase};
use trustgen_providers::ImageLoader;
use trustgen_rundir::ImageStore;
use trustgen_rundir::images::{is_sha256, sha256_hex, sniff_image};

/// The largest image accepted (bytes): larger than any chat API takes, so a
/// bigger one is a mistake (a wrong file), reported instead of stored.
pub const MAX_IMAGE_BYTES: usize = 64 * 1024 * 1024;

/// Stores the images of cases and requests (see the module documentation).
#[derive(Debug, Clone)]
pub struct Images {
    /// The run's store; none in a dry run (images are hashed, not written).
    store: Option<ImageStore>,
    /// The suite's data directory, which [`ImageSource::File`] paths are relative to.
    data_dir: PathBuf,
}

impl Images {
    /// Images stored in `store` (none: a dry run), files read under `data_dir`.
    pub fn new(store: Option<ImageStore>, data_dir: PathBuf) -> Images {
        Images { store, data_dir }
    }

    /// Stores every image of `case` (`bytes`: what the call that built it
    /// returned beside its output); the error names the case and the image.
    pub fn case(&self, case: &mut TestCase, bytes: &[u8]) -> Result<(), String> {
        for prompt in &mut case.prompts {
            for (i, image) in prompt.images.iter_mut().enumerate() {
                let what = format!("image {} of prompt `{}` of case `{}`", i + 1, prompt.name, case.id);
                self.image(image, bytes, &what)?;
            }
        }
        Ok(())
    }

    /// Stores every image of `requests` (`bytes`: what the call that asked
    /// them returned beside its output); `who` names the call in an error.
    pub fn requests(&self, requests: &mut [ModelRequest], bytes: &[u8], who: &str) -> Result<(), String> {
        for request in requests {
            let RequestKind::Chat(chat) = &mut request.kind else { continue };
            for (m, message) in chat.messages.iter_mut().enumerate() {
                for (i, image) in message.images.iter_mut().enumerate() {
                    let what = format!("{who}: image {} of message {} of a request", i + 1, m + 1);
                    self.image(image, bytes, &what)?;
                }
            }
        }
        Ok(())
    }

    /// Stores every image of a model's `reply` (an image generator's drawings) and rewrites
    /// it to [`ImageSource::Stored`], so the executor's replies, the journal and resume hold
    /// hashes, not pictures ([`Images::materialise`] hands the bytes to the plugin call that
    /// reads them). An image that cannot be stored makes the reply an error naming it. In a
    /// dry run (no store) the reply is left as it is.
    pub fn reply(&self, reply: &mut ModelReply, what: &str) {
        if self.store.is_none() {
            return;
        }
        for i in 0..reply.images.len() {
            let what = format!("image {} of {what}", i + 1);
            if let Err(message) = self.image(&mut reply.images[i], &[], &what) {
                *reply = ModelReply::new(ReplyStatus::Error).with_error(message);
                return;
            }
        }
    }

    /// Rewrites the [`ImageSource::Stored`] images of `replies` to [`ImageSource::Blob`]
    /// ranges of `bytes`, loading them from the store and appending them there: a plugin
    /// reads a drawing from the bytes beside its call's input ([`trustgen_plugin_api::Cx::bytes`]),
    /// so only the calls that read replies hold their pictures. `bytes` already holds the
    /// call's other input bytes (the offsets count from its start).
    pub fn materialise(&self, replies: &mut [ModelReply], bytes: &mut Vec<u8>) -> Result<(), String> {
        let Some(store) = &self.store else { return Ok(()) };
        for reply in replies {
            for image in &mut reply.images {
                let ImageSource::Stored { sha256 } = &image.source else { continue };
                let data = store.load(sha256, &image.media_type).map_err(|e| format!("a drawn image: {e}"))?;
                let offset = bytes.len();
                bytes.extend_from_slice(&data);
                image.source = ImageSource::Blob { offset, len: data.len() };
            }
        }
        Ok(())
    }

    fn image(&self, image: &mut Image, bytes: &[u8], what: &str) -> Result<(), String> {
        let data = match &image.source {
            ImageSource::Blob { offset, len } => {
                let range = offset.checked_add(*len).filter(|end| *end <= bytes.len()).map(|end| *offset..end);
                let Some(range) = range else {
                    return Err(format!(
                        "{what} refers to bytes {offset}..{} but the call returned {} bytes (a plugin bug)",
                        offset.saturating_add(*len),
                        bytes.len()
                    ));
                };
                std::borrow::Cow::Borrowed(&bytes[range])
            }
            ImageSource::Base64(data) => std::borrow::Cow::Owned(decode(data, what)?),
            ImageSource::Url(url) if url.starts_with("data:") => std::borrow::Cow::Owned(data_url(url, what)?),
            ImageSource::File(path) => std::borrow::Cow::Owned(self.read_file(path, what)?),
            ImageSource::Stored { sha256 } => {
                if !is_sha256(sha256) {
                    return Err(format!("{what} names `{sha256}`, which is not a stored image's SHA-256"));
                }
                if let Some(store) = &self.store {
                    let path = store.path(sha256, &image.media_type).map_err(|e| format!("{what}: {e}"))?;
                    if !path.is_file() {
                        return Err(format!("{what}: image {} is not in the run directory", path.display()));
                    }
                }
                return Ok(());
            }
            // A remote URL goes to the provider as it is; an unknown source is the provider's error.
            _ => return Ok(()),
        };
        if data.len() > MAX_IMAGE_BYTES {
            return Err(format!("{what} has {} bytes, more than the {MAX_IMAGE_BYTES} an image may have", data.len()));
        }
        let (sha256, media_type) = match &self.store {
            Some(store) => {
                let stored = store.put(&data, what).map_err(|e| e.to_string())?;
                (stored.sha256, stored.format.media_type)
            }
            None => {
                let Some(format) = sniff_image(&data) else {
                    return Err(format!("{what} is not a PNG, JPEG, GIF or WebP image"));
                };
                (sha256_hex(&data), format.media_type)
            }
        };
        image.media_type = media_type.to_owned();
        image.source = ImageSource::Stored { sha256 };
        Ok(())
    }

    /// Reads `path` (relative to the data directory, never outside it).
    pub(crate) fn read_file(&self, path: &str, what: &str) -> Result<Vec<u8>, String> {
        let relative = Path::new(path);
        let plain = relative.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if path.is_empty() || !plain {
            return Err(format!(
                "{what}: `{path}` is not a path inside the data directory; hint: give the image's path relative to {}, without `..`",
                self.data_dir.display()
            ));
        }
        let full = self.data_dir.join(relative);
        let inside = |dir: &Path| {
            let (Ok(dir), Ok(file)) = (dir.canonicalize(), full.canonicalize()) else { return None };
            Some(file.starts_with(dir))
        };
        match inside(&self.data_dir) {
            None => {
                return Err(format!("{what}: cannot read {}: no such file", full.display()));
            }
            Some(false) => {
                return Err(format!(
                    "{what}: {} leads outside the data directory {} (a symbolic link); hint: copy the image into the data directory",
                    full.display(),
                    self.data_dir.display()
                ));
            }
            Some(true) => {}
        }
        let size = std::fs::metadata(&full).map_err(|e| format!("{what}: cannot read {}: {e}", full.display()))?.len();
        if size > MAX_IMAGE_BYTES as u64 {
            return Err(format!(
                "{what}: {} has {size} bytes, more than the {MAX_IMAGE_BYTES} an image may have",
                full.display()
            ));
        }
        std::fs::read(&full).map_err(|e| format!("{what}: cannot read {}: {e}", full.display()))
    }
}

fn decode(data: &str, what: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| format!("{what} is not valid base64: {e}"))
}

/// The bytes of a `data:[<media type>][;base64],<data>` URL (base64 only: images are binary).
fn data_url(url: &str, what: &str) -> Result<Vec<u8>, String> {
    let Some((header, data)) = url.strip_prefix("data:").and_then(|rest| rest.split_once(',')) else {
        return Err(format!("{what} is a data URL without a `,`"));
    };
    if !header.ends_with(";base64") {
        return Err(format!("{what} is a data URL that is not base64-encoded (`data:image/png;base64,...`)"));
    }
    decode(data, what)
}

/// The providers' view of the run's image store.
#[derive(Debug)]
pub struct StoreLoader(pub ImageStore);

impl ImageLoader for StoreLoader {
    fn load(&self, sha256: &str, media_type: &str) -> Result<Vec<u8>, String> {
        self.0.load(sha256, media_type).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests;
