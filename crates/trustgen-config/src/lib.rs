//! The suite file: the TOML that says what to run, parsed once into typed configuration.
//!
//! ```toml
//! [run]
//! name = "llm-quick"
//! seed = 7
//! concurrency = 64
//!
//! [models.target]
//! type = "llm"
//! provider = "openai"
//! model = "gpt-4o-mini"
//! base_url = "https://api.openai.com/v1"
//! api_key_env = "OPENAI_API_KEY"
//!
//! [[dimension]]
//! plugin = "safety"
//! tasks = ["jailbreak", "over-refusal"]
//! limit = 100
//! variations = ["paraphrase", "length"]
//! options = { toxicity_judge = "offline" }
//! ```
//!
//! [`Suite::parse`] rejects unknown keys and checks everything that needs no plugin: the model
//! roles ([`Role`]), each role's provider ([`ProviderKind`]) and the keys that provider needs or
//! has no use for, value ranges, and variation names. This is the only place a `[models.<role>]`
//! table is checked; a [`ModelConfig`] is a table that can work. Every error names the file, line
//! and column and, where it can, suggests the key or name that was meant ([`did_you_mean`]).
//!
//! What needs plugins (plugin, task and model-type names, and each plugin's `options`) is checked
//! against the registry by trustgen-host.

pub mod bounds;
mod error;
mod models;
mod suite;

pub use error::{SuiteError, SuiteErrors, did_you_mean, suggestion};
pub use models::{MAX_RETRY_WAIT_SECS, ModelConfig, ProviderKind, Role, default_embedded_model};
pub use suite::{DimensionConfig, DimensionOptions, PluginsConfig, RunConfig, Suite, SuiteFile};

#[cfg(test)]
mod tests;
