//! `cargo xtask judge-eval`: measures the offline judges (toxicity AUC, refusal threshold
//! cross-validation, and the refusal judge's accuracy, precision and recall per task family on
//! the labelled real replies of `suites/data/judges/`), and writes the committed results
//! `crates/trustgen-judges/data/judge-eval.json`; `--check` recomputes them and fails when the
//! committed file differs.
//!
//! The measurement embeds with the in-process MiniLM, so it lives in the candle crate as the
//! example `crates/trustgen-embedded/examples/judge_eval.rs`; this task runs it in release mode and
//! passes the options through (`--k N`, `--seed N`, `--seeds N`, `--check`). xtask itself links no model code.

use std::process::Command;

use anyhow::{Context, bail};

use crate::project_root;

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(project_root())
        .args(["run", "--release", "--quiet", "-p", "trustgen-embedded", "--example", "judge_eval", "--"])
        .args(args)
        .status()
        .context("starting cargo")?;
    if !status.success() {
        bail!("the judge_eval example failed");
    }
    Ok(())
}
