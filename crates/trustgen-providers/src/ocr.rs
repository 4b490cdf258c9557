//! The host's offline OCR model behind the `ocr` role (`trustgen-ocr`: PaddleOCR PP-OCRv5 mobile on
//! tract, in-process): a chat request carrying exactly one image gets the text read from it, one
//! line per detected line in reading order (the request's text is not used). The offline
//! image-text judge of `trustgen-judges` compares that with the expected text.
//!
//! The model is loaded once, on first use, on a blocking thread; every read runs on a blocking
//! thread. A missing model stops the run with the command that fetches it
//! (`trustgen models pull ppocrv5-mobile`); an unreadable image is a per-case error.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use tokio::sync::OnceCell;
use trustgen_plugin_api::{ImageSource, Message, ModelReply, ModelRole};

use crate::error::{ConfigError, Failure, FatalError};
use crate::spec::ModelSpec;

/// The OCR model of the `ocr` role.
pub(crate) struct Ocr {
    model: String,
    path: Option<PathBuf>,
    loaded: OnceCell<Arc<trustgen_ocr::Ocr>>,
}

impl std::fmt::Debug for Ocr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ocr").field("model", &self.model).finish_non_exhaustive()
    }
}

impl Ocr {
    pub(crate) fn new(spec: &ModelSpec) -> Result<Ocr, ConfigError> {
        let registry = trustgen_embedded::models::spec(&spec.model).map_err(|e| ConfigError::Invalid {
            role: spec.role.as_str().to_owned(),
            field: "model",
            problem: e.to_string(),
        })?;
        if registry.kind != trustgen_embedded::models::ModelKind::Ocr {
            return Err(ConfigError::Invalid {
                role: spec.role.as_str().to_owned(),
                field: "model",
                problem: format!(
                    "`{}` is not an OCR model; the ocr role runs `{}`",
                    spec.model,
                    trustgen_ocr::OCR_MODEL
                ),
            });
        }
        Ok(Ocr { model: spec.model.clone(), path: spec.path.clone(), loaded: OnceCell::new() })
    }

    fn fatal(&self, message: String) -> FatalError {
        FatalError::Embedded { role: ModelRole::Ocr.as_str().to_owned(), model: self.model.clone(), message }
    }

    /// A blocking check of the model's files (nothing is loaded).
    pub(crate) fn preflight_check(&self) -> impl FnOnce() -> Result<(), FatalError> + Send + 'static {
        let (model, path) = (self.model.clone(), self.path.clone());
        move || {
            trustgen_embedded::resolve(&model, path.as_deref()).map(|_| ()).map_err(|e| FatalError::Embedded {
                role: ModelRole::Ocr.as_str().to_owned(),
                model: model.clone(),
                message: e.to_string(),
            })
        }
    }

    async fn model(&self) -> Result<Arc<trustgen_ocr::Ocr>, Failure> {
        self.loaded
            .get_or_try_init(|| async {
                let (name, path) = (self.model.clone(), self.path.clone());
                let loaded = tokio::task::spawn_blocking(move || -> Result<trustgen_ocr::Ocr, String> {
                    let dir = trustgen_embedded::resolve(&name, path.as_deref()).map_err(|e| e.to_string())?;
                    trustgen_ocr::Ocr::load(&dir).map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| Failure::PerCase(format!("loading the OCR model failed: {e}")))?;
                loaded.map(Arc::new).map_err(|message| Failure::Stop(self.fatal(message)))
            })
            .await
            .cloned()
    }

    /// The text of the request's one image.
    pub(crate) async fn read(&self, messages: &[Message]) -> Result<ModelReply, Failure> {
        let images: Vec<_> = messages.iter().flat_map(|m| &m.images).collect();
        let [image] = images.as_slice() else {
            return Err(Failure::PerCase(format!(
                "an OCR request carries exactly one image, this one has {}",
                images.len()
            )));
        };
        let bytes = match &image.source {
            ImageSource::Base64(data) => base64::engine::general_purpose::STANDARD.decode(data.trim()),
            ImageSource::Url(url) if url.starts_with("data:") => match url.split_once(";base64,") {
                Some((_, data)) => base64::engine::general_purpose::STANDARD.decode(data.trim()),
                None => return Err(Failure::PerCase("the OCR image is a data URL that is not base64".to_owned())),
            },
            other => {
                return Err(Failure::PerCase(format!("the OCR model reads image bytes, not {other:?}")));
            }
        }
        .map_err(|e| Failure::PerCase(format!("the OCR image's base64 is invalid: {e}")))?;
        let model = self.model().await?;
        let lines = tokio::task::spawn_blocking(move || model.read_bytes(&bytes))
            .await
            .map_err(|e| Failure::PerCase(format!("OCR failed: {e}")))?
            .map_err(|e| Failure::PerCase(e.to_string()))?;
        let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
        Ok(ModelReply::text(text))
    }
}
