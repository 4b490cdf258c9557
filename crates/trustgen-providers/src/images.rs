//! Stored images, resolved into the form providers encode right before a request is sent.
//!
//! Requests name images by hash ([`ImageSource::Stored`]): that is what the cache key, the run
//! directory's request journal and the resume journal hold. Only when a request is about to be sent
//! (not when it is answered from the cache, the journal or a dry run) are the bytes loaded, through
//! the [`ImageLoader`] the engine gives the clients, and inlined as base64 for the provider's
//! encoder; the resolved copy lives for that one send, so memory holds the images of in-flight
//! requests only.

use std::sync::Arc;

use base64::Engine as _;
use trustgen_plugin_api::{ImageSource, RequestKind};

use crate::error::Failure;

/// Where the bytes of stored images come from (the run directory's image store).
pub trait ImageLoader: Send + Sync {
    /// The bytes of the image named `sha256` (lowercase hex SHA-256 of its bytes) of MIME type
    /// `media_type`, checked against the name; the error names the image and says why.
    fn load(&self, sha256: &str, media_type: &str) -> Result<Vec<u8>, String>;
}

/// The loader of a run's images, shared by the clients.
pub type SharedImageLoader = Arc<dyn ImageLoader>;

/// Whether `kind` has an image that must be resolved before sending.
pub(crate) fn has_stored(kind: &RequestKind) -> bool {
    match kind {
        RequestKind::Chat(chat) => {
            chat.messages.iter().flat_map(|m| &m.images).any(|i| matches!(i.source, ImageSource::Stored { .. }))
        }
        _ => false,
    }
}

/// A copy of `kind` whose stored images are inlined as base64 (loaded on a blocking thread).
pub(crate) async fn resolve(kind: &RequestKind, loader: Option<&SharedImageLoader>) -> Result<RequestKind, Failure> {
    let mut resolved = kind.clone();
    let RequestKind::Chat(chat) = &mut resolved else { return Ok(resolved) };
    for image in chat.messages.iter_mut().flat_map(|m| m.images.iter_mut()) {
        let ImageSource::Stored { sha256 } = &image.source else { continue };
        let Some(loader) = loader else {
            return Err(Failure::PerCase(format!(
                "image {sha256} refers to a run directory's image store, and this run has none (a bug)"
            )));
        };
        let (loader, sha256, media_type) = (loader.clone(), sha256.clone(), image.media_type.clone());
        let bytes = tokio::task::spawn_blocking(move || loader.load(&sha256, &media_type))
            .await
            .map_err(|e| Failure::PerCase(format!("loading an image failed: {e}")))?
            .map_err(Failure::PerCase)?;
        image.source = ImageSource::Base64(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
    Ok(resolved)
}
