//! The real models shared by the unit tests, each downloaded on first use and loaded once per test binary.

use std::sync::OnceLock;

use crate::models::{DEFAULT_CHAT_MODEL, DEFAULT_EMBEDDING_MODEL};
use crate::{ChatModel, Embedder, ensure};

/// SmolLM2-135M-Instruct, loaded once.
pub(crate) fn chat() -> &'static ChatModel {
    static MODEL: OnceLock<ChatModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = ensure(DEFAULT_CHAT_MODEL).unwrap_or_else(|e| panic!("{e}"));
        ChatModel::load(&path).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// all-MiniLM-L6-v2, loaded once.
pub(crate) fn embedder() -> &'static Embedder {
    static MODEL: OnceLock<Embedder> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = ensure(DEFAULT_EMBEDDING_MODEL).unwrap_or_else(|e| panic!("{e}"));
        Embedder::load(&dir).unwrap_or_else(|e| panic!("{e}"))
    })
}
