//! The in-process models of `trustgen-embedded`: chat requests go to the chat model (SmolLM2-135M-Instruct
//! unless the suite names another registry model), embedding requests to the sentence embedder
//! (all-MiniLM-L6-v2). An explicit `path` applies to the model the suite names.
//!
//! Models are loaded once, on first use, on a blocking thread; every generation runs on a blocking
//! thread too (the chat model runs one generation at a time). `max_tokens` defaults to
//! [`DEFAULT_MAX_TOKENS`]. Decoding is greedy when the temperature is unset or 0; otherwise it samples
//! with the request's seed, or, without one, a seed derived from the request key, so a reply is
//! always reproducible. `json` is not enforced (the model has no constrained decoding). Token counts
//! of chat replies are the model's own; embedding requests report no tokens (the embedder does not
//! expose its tokenizer).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::OnceCell;
use trustgen_embedded::models::{self, ModelKind};
use trustgen_embedded::{ChatMessage, ChatModel, EmbeddedError, Embedder, GenerateParams};
use trustgen_plugin_api::{ChatRole, GenParams, Message, ModelReply, ModelRole, ReplyStatus, Usage};

use crate::error::{ConfigError, Failure, FatalError};
use crate::spec::ModelSpec;

/// `max_tokens` of the embedded chat model when neither the request nor the suite sets one.
pub const DEFAULT_MAX_TOKENS: u32 = 256;

/// The embedded chat model and embedder of one role.
pub(crate) struct Embedded {
    role: ModelRole,
    chat_model: String,
    chat_path: Option<PathBuf>,
    embed_model: String,
    embed_path: Option<PathBuf>,
    chat: OnceCell<Arc<ChatModel>>,
    embedder: OnceCell<Arc<Embedder>>,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded")
            .field("chat_model", &self.chat_model)
            .field("embed_model", &self.embed_model)
            .finish()
    }
}

impl Embedded {
    pub(crate) fn new(spec: &ModelSpec) -> Result<Embedded, ConfigError> {
        let registry = models::spec(&spec.model).map_err(|e| ConfigError::Invalid {
            role: spec.role.as_str().to_owned(),
            field: "model",
            problem: e.to_string(),
        })?;
        let (chat_model, chat_path, embed_model, embed_path) = match registry.kind {
            ModelKind::Chat => {
                (spec.model.clone(), spec.path.clone(), models::DEFAULT_EMBEDDING_MODEL.to_owned(), None)
            }
            ModelKind::Embedding => {
                (models::DEFAULT_CHAT_MODEL.to_owned(), None, spec.model.clone(), spec.path.clone())
            }
            ModelKind::Ocr => {
                return Err(ConfigError::Invalid {
                    role: spec.role.as_str().to_owned(),
                    field: "model",
                    problem: format!(
                        "`{}` is an OCR model (trustgen-ocr), not a chat or embedding model; see `trustgen models list`",
                        spec.model
                    ),
                });
            }
        };
        Ok(Embedded {
            role: spec.role,
            chat_model,
            chat_path,
            embed_model,
            embed_path,
            chat: OnceCell::new(),
            embedder: OnceCell::new(),
        })
    }

    fn fatal(&self, model: &str, error: &EmbeddedError) -> FatalError {
        fatal(self.role, model, error)
    }

    /// A blocking check of the CPU and of the files of the model this role uses (nothing is loaded).
    pub(crate) fn preflight_check(&self) -> impl FnOnce() -> Result<(), FatalError> + Send + 'static {
        let role = self.role;
        let (model, path) = if role == ModelRole::Embedder {
            (self.embed_model.clone(), self.embed_path.clone())
        } else {
            (self.chat_model.clone(), self.chat_path.clone())
        };
        move || {
            trustgen_embedded::check_cpu().map_err(|e| fatal(role, &model, &e))?;
            trustgen_embedded::resolve(&model, path.as_deref()).map_err(|e| fatal(role, &model, &e))?;
            Ok(())
        }
    }

    async fn chat_model(&self) -> Result<Arc<ChatModel>, Failure> {
        self.chat
            .get_or_try_init(|| async {
                let (name, path) = (self.chat_model.clone(), self.chat_path.clone());
                let loaded = tokio::task::spawn_blocking(move || {
                    let file = trustgen_embedded::resolve(&name, path.as_deref())?;
                    ChatModel::load(&file)
                })
                .await
                .map_err(|e| Failure::PerCase(format!("loading the embedded chat model failed: {e}")))?;
                loaded.map(Arc::new).map_err(|e| Failure::Stop(self.fatal(&self.chat_model, &e)))
            })
            .await
            .cloned()
    }

    async fn embedder(&self) -> Result<Arc<Embedder>, Failure> {
        self.embedder
            .get_or_try_init(|| async {
                let (name, path) = (self.embed_model.clone(), self.embed_path.clone());
                let loaded = tokio::task::spawn_blocking(move || {
                    let dir = trustgen_embedded::resolve(&name, path.as_deref())?;
                    Embedder::load(&dir)
                })
                .await
                .map_err(|e| Failure::PerCase(format!("loading the embedded embedder failed: {e}")))?;
                loaded.map(Arc::new).map_err(|e| Failure::Stop(self.fatal(&self.embed_model, &e)))
            })
            .await
            .cloned()
    }

    pub(crate) async fn chat(
        &self,
        messages: &[Message],
        params: &GenParams,
        key: &str,
    ) -> Result<ModelReply, Failure> {
        if messages.iter().any(|m| !m.images.is_empty()) {
            return Err(Failure::PerCase(
                "the embedded chat model reads text only; configure a vision-capable provider for image prompts"
                    .to_owned(),
            ));
        }
        let chat: Vec<ChatMessage> = messages
            .iter()
            .map(|m| {
                let role = match m.role {
                    ChatRole::System => trustgen_embedded::ChatRole::System,
                    ChatRole::User => trustgen_embedded::ChatRole::User,
                    ChatRole::Assistant => trustgen_embedded::ChatRole::Assistant,
                    // Unknown roles are answered with an error before any provider.
                    _ => trustgen_embedded::ChatRole::User,
                };
                ChatMessage::new(role, m.content.clone())
            })
            .collect();
        let generate = GenerateParams {
            max_tokens: params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            temperature: params.temperature,
            top_p: params.top_p,
            seed: params.seed.unwrap_or_else(|| seed_from_key(key)),
            stop: params.stop.clone(),
        };
        let model = self.chat_model().await?;
        let generation = tokio::task::spawn_blocking(move || model.generate(&chat, &generate))
            .await
            .map_err(|e| Failure::PerCase(format!("the embedded chat model failed: {e}")))?
            .map_err(|e| Failure::PerCase(e.to_string()))?;
        Ok(ModelReply::new(ReplyStatus::Ok)
            .with_text(generation.text)
            .with_finish_reason(generation.finish_reason)
            .with_usage(Usage::new(generation.prompt_tokens, generation.completion_tokens)))
    }

    pub(crate) async fn embed(&self, texts: &[String]) -> Result<ModelReply, Failure> {
        let embedder = self.embedder().await?;
        let texts = texts.to_vec();
        let embeddings = tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            embedder.embed(&refs)
        })
        .await
        .map_err(|e| Failure::PerCase(format!("the embedded embedder failed: {e}")))?
        .map_err(|e| Failure::PerCase(e.to_string()))?;
        Ok(ModelReply::new(ReplyStatus::Ok).with_embeddings(embeddings))
    }
}

fn fatal(role: ModelRole, model: &str, error: &EmbeddedError) -> FatalError {
    let mut message = error.to_string();
    if let EmbeddedError::Missing { path, .. } = error
        && !path.starts_with(models::cache_dir().unwrap_or_default())
    {
        message =
            format!("model file {} is missing; hint: correct `path` in [models.{}]", path.display(), role.as_str());
    }
    FatalError::Embedded { role: role.as_str().to_owned(), model: model.to_owned(), message }
}

/// A sampling seed from the first 8 bytes of the request key (hex).
fn seed_from_key(key: &str) -> u64 {
    key.get(..16).and_then(|h| u64::from_str_radix(h, 16).ok()).unwrap_or(0)
}
