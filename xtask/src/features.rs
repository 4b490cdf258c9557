//! `cargo xtask features`: a build that vendors only some plugins lists only
//! those, and the `testserver` feature adds `trustgen serve-test`.
//!
//! Builds `trustgen` with `--no-default-features --features safety,llm,testserver`,
//! checks that `trustgen plugins list --json` shows exactly `safety` and
//! `llm` and that `trustgen serve-test --port 0` serves (prints its URL),
//! then rebuilds the default binary (a relink: the dependencies are shared),
//! which has no `serve-test` (the integration test
//! `cli::serve_test_only_with_the_testserver_feature` checks that side). Run
//! by CI after the tests, because it replaces the debug binary while it runs.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

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
    build(Some("safety,llm,testserver"))?;
    let trustgen = target_dir().join("debug/trustgen");
    let served = serve_test(&trustgen);
    let output = Command::new(&trustgen)
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
    let url = served?;
    if names != ["llm", "safety"] {
        bail!("a build with --features safety,llm lists {names:?}, expected [\"llm\", \"safety\"]");
    }
    println!("features: a safety,llm,testserver build lists exactly {names:?}; its serve-test listened on {url}");
    Ok(())
}

/// Starts `trustgen serve-test --port 0`, reads the URL it prints, stops it.
fn serve_test(trustgen: &std::path::Path) -> anyhow::Result<String> {
    let mut child = Command::new(trustgen)
        .args(["serve-test", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {} serve-test", trustgen.display()))?;
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().context("serve-test's stdout")?).read_line(&mut line);
    let _ = child.kill();
    let _ = child.wait();
    read.context("reading serve-test's URL")?;
    let url = line.trim().to_string();
    if !url.starts_with("http://127.0.0.1:") {
        bail!("a build with the testserver feature: `trustgen serve-test --port 0` printed `{url}` instead of its URL");
    }
    Ok(url)
}
