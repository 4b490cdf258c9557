//! Sentence embeddings with a BERT encoder (all-MiniLM-L6-v2 by default) run with candle.
//!
//! Reproduces sentence-transformers: mean pooling over the tokens (padding masked out), then L2
//! normalisation, so the dot product of two embeddings is their cosine similarity.
//!
//! The `tokenizer.json` shipped with all-MiniLM-L6-v2 pads every input to a fixed 128 tokens and
//! truncates at 128. Here padding is to the longest text of each batch (same vectors, less work), and
//! truncation is at 256 tokens, the `max_seq_length` sentence-transformers uses for this model.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::EmbeddedError;

/// Texts per forward pass.
const BATCH: usize = 32;
/// Longest input in tokens; longer texts are truncated (sentence-transformers `max_seq_length`).
pub const MAX_TOKENS: usize = 256;

/// A loaded sentence-embedding model. `Send + Sync`; calls may run concurrently.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    dim: usize,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").field("dim", &self.dim).finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Embedder, EmbeddedError> {
        let config_path = dir.join("config.json");
        let config_text =
            std::fs::read_to_string(&config_path).map_err(|e| EmbeddedError::io("cannot read", &config_path, e))?;
        let config: Config = serde_json::from_str(&config_text).map_err(|e| EmbeddedError::Load {
            path: config_path.clone(),
            reason: format!("not a BERT config: {e}"),
        })?;

        let tokenizer_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| EmbeddedError::Load { path: tokenizer_path.clone(), reason: e.to_string() })?;
        let padding = PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..tokenizer.get_padding().cloned().unwrap_or_default()
        };
        tokenizer.with_padding(Some(padding));
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, ..Default::default() }))
            .map_err(|e| EmbeddedError::Load { path: tokenizer_path, reason: e.to_string() })?;

        let weights = dir.join("model.safetensors");
        if !weights.is_file() {
            return Err(EmbeddedError::io("cannot read", &weights, std::io::ErrorKind::NotFound.into()));
        }
        let device = Device::Cpu;
        // SAFETY: the file is memory-mapped read-only. The model cache only ever replaces files by renaming a
        // new file over the old name, which leaves the mapped inode untouched; nothing writes into it in place.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device) }
            .map_err(|e| EmbeddedError::Load { path: weights.clone(), reason: e.to_string() })?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| EmbeddedError::Load { path: weights, reason: format!("not a BERT checkpoint: {e}") })?;
        Ok(Embedder { model, tokenizer, device, dim: config.hidden_size })
    }

    /// Length of the embedding vectors.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// One L2-normalised, mean-pooled vector per text, in order (batches of 32 texts).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbeddedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            out.extend(self.embed_batch(batch)?);
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbeddedError> {
        let encodings =
            self.tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| EmbeddedError::Tokenizer(e.to_string()))?;
        let stack = |field: fn(&tokenizers::Encoding) -> &[u32]| -> candle_core::Result<Tensor> {
            let rows = encodings.iter().map(|e| Tensor::new(field(e), &self.device)).collect::<Result<Vec<_>, _>>()?;
            Tensor::stack(&rows, 0)
        };
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = stack(tokenizers::Encoding::get_ids)?;
            let type_ids = stack(tokenizers::Encoding::get_type_ids)?;
            let mask = stack(tokenizers::Encoding::get_attention_mask)?;
            let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
            // Mean over the real tokens only: padding positions have mask 0.
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?;
            let mean = summed.broadcast_div(&counts)?;
            let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?;
            mean.broadcast_div(&norm)?.to_vec2::<f32>()
        };
        run().map_err(EmbeddedError::inference("the embedding forward pass"))
    }
}

/// Cosine similarity of two vectors; 0 when their lengths differ or either is all zeros.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm_a = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let norm_b = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm_a == 0.0 || norm_b == 0.0 { 0.0 } else { dot / (norm_a * norm_b) }
}

#[cfg(test)]
mod tests;
