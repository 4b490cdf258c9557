//! The plugin crates linked into this binary, one line per cargo feature.
//!
//! A crate that nothing names is not linked, and its `inventory`
//! registration silently disappears; naming it here keeps it. `cargo xtask
//! tidy` checks that every crate under `plugins/` has a feature and a line.

#[cfg(feature = "llm")]
use trustgen_model_llm as _;

#[cfg(feature = "vlm")]
use trustgen_model_vlm as _;

#[cfg(feature = "safety")]
use trustgen_dim_safety as _;

#[cfg(feature = "truthfulness")]
use trustgen_dim_truthfulness as _;

#[cfg(feature = "honesty")]
use trustgen_dim_honesty as _;

#[cfg(feature = "fairness")]
use trustgen_dim_fairness as _;

#[cfg(feature = "robustness")]
use trustgen_dim_robustness as _;

#[cfg(feature = "privacy")]
use trustgen_dim_privacy as _;

#[cfg(feature = "ethics")]
use trustgen_dim_ethics as _;

#[cfg(feature = "ai-risk")]
use trustgen_dim_ai_risk as _;
