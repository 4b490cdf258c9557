//! `cargo xtask features`: a build that vendors only some plugins lists only
//! those.
//!
//! Builds `trustgen` with `--no-default-features --features safety,llm`,
//! checks that `trustgen plugins list --json` shows exactly `safety` and
//! `llm`, then rebuilds the default binary (a relink: the dependencies are
//! shared). Run by CI after the tests, because it replaces the debug binary
//! while it runs.

use std::process::Command;

use anyhow::{Context, bail};

use crate::{project_root, target_dir};

fn build(features: Option<&str>) -> anyhow::Result<()> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(project_root()).args(["build", "--quiet", "-p", "trustgen-cli"]);
    if let Some(features) = features {
        cmd.args(["--no-default-features", "--features", features]);
    }
    if !cmd.status().context("starting cargo")?.success() {
        bail!("cargo build -p trustgen-cli {} failed", features.unwrap_or("(default features)"));
    }
    Ok(())
}

pub(crate) fn run() -> anyhow::Result<()> {
    build(Some("safety,llm"))?;
    let output = Command::new(target_dir().join("debug/trustgen"))
        .args(["plugins", "list", "--json"])
        .env_remove("TRUSTGEN_PLUGIN_PATH")
        .output()
        .context("running trustgen plugins list")?;
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).context("the JSON listing")?;
    let mut names: Vec<String> = listed
        .as_array()
        .context("a JSON array")?
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    build(None)?;
    if names != ["llm", "safety"] {
        bail!("a build with --features safety,llm lists {names:?}, expected [\"llm\", \"safety\"]");
    }
    println!("features: a safety,llm build lists exactly {names:?}");
    Ok(())
}
