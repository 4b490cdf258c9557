//! `cargo xtask api [--bless]`: the public shape of trustgen-plugin-api against its accepted 1.x
//! baseline, the committed `crates/trustgen-plugin-api/public-api.txt`.
//!
//! The check builds the crate's rustdoc JSON (`RUSTC_BOOTSTRAP=1 cargo rustdoc -- --output-format
//! json`, in its own target directory `target/api`), lists every public item with its signature
//! (the `public-api` crate; blanket impls left out, auto-trait impls kept: losing `Send` breaks
//! users), and compares the list with the baseline. Breaking, so failing:
//! - a baseline item that is gone or whose signature changed (shown as removed);
//! - a new variant of an enum, or a new field of a struct, that is not `#[non_exhaustive]` (a
//!   `match` or struct literal in a plugin stops compiling; a struct with private fields is not
//!   told apart: bless it after a review).
//!
//! Other new items are minor changes: listed, not failing. `--bless` writes the current shape as the
//! new baseline; do that when a new 1.x shape is accepted (the one place the baseline lives).
//!
//! Why not cargo-semver-checks: installing it from source in CI (nothing else reaches CI) costs more
//! than the rest of the run's budget allows on two cores; see the numbers in ARCHITECTURE.md. It
//! knows more rules (e.g. a new required trait method); this check covers removals, signature
//! changes and exhaustive enums and structs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::{project_root, target_dir};

/// The baseline, relative to the workspace root.
pub(crate) const BASELINE: &str = "crates/trustgen-plugin-api/public-api.txt";

const HEADER: &str = "\
# The accepted public API of trustgen-plugin-api 1.x, one item per line (the public-api crate's
# rendering of its rustdoc JSON, blanket impls left out). `cargo xtask api` (run by CI and by
# `cargo test -p xtask`) fails when an item below disappears or changes, or when an exhaustive
# enum or struct grows. Regenerate with `cargo xtask api --bless` when a new 1.x shape is accepted.
";

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let bless = match args {
        [] => false,
        [flag] if flag == "--bless" => true,
        _ => bail!("usage: cargo xtask api [--bless]"),
    };
    let root = project_root();
    let current = public_items(&root, "trustgen-plugin-api")?;
    let baseline_path = root.join(BASELINE);
    if bless {
        write_baseline(&baseline_path, &current)?;
        println!("api: wrote {} public items to {BASELINE}", current.len());
        return Ok(());
    }
    let baseline = read_baseline(&baseline_path)?;
    let comparison = compare(&baseline, &current);
    for line in &comparison.added {
        println!("api: new (minor): {line}");
    }
    if !comparison.breaking.is_empty() {
        bail!(
            "trustgen-plugin-api breaks its 1.x baseline ({BASELINE}):\n{}\nhint: keep the old item (deprecate it, \
             add a new one, mark new enums and structs #[non_exhaustive]); if this shape is the accepted new 1.x, \
             run `cargo xtask api --bless` and commit the baseline",
            comparison.breaking.join("\n")
        );
    }
    println!("api: trustgen-plugin-api keeps its baseline ({} items, {} new)", baseline.len(), comparison.added.len());
    Ok(())
}

/// The public items of `package` in the workspace at `root`, one rendered line each, sorted.
pub(crate) fn public_items(root: &Path, package: &str) -> anyhow::Result<Vec<String>> {
    let target = target_dir_for(root);
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", &target)
        .args(["rustdoc", "--quiet", "--lib", "-p", package, "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .status()
        .context("starting cargo rustdoc")?;
    if !status.success() {
        bail!("cargo rustdoc -p {package} (rustdoc JSON) failed");
    }
    let json = target.join("doc").join(format!("{}.json", package.replace('-', "_")));
    let api = public_api::Builder::from_rustdoc_json(&json)
        .omit_blanket_impls(true)
        .build()
        .with_context(|| format!("reading the public API from {}", json.display()))?;
    let items: BTreeSet<String> = api.items().map(|item| item.to_string()).collect();
    Ok(items.into_iter().collect())
}

/// The rustdoc JSON lives apart from the build: `RUSTC_BOOTSTRAP` must not touch the main
/// artifacts.
fn target_dir_for(root: &Path) -> PathBuf {
    if root == project_root() { target_dir().join("api") } else { root.join("target/api") }
}

fn write_baseline(path: &Path, items: &[String]) -> anyhow::Result<()> {
    let mut text = HEADER.to_string();
    for item in items {
        text.push_str(item);
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn read_baseline(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {}; hint: `cargo xtask api --bless` writes it", path.display()))?;
    // Comments are `# ...`; an item may start with `#` too (`#[non_exhaustive] pub struct ...`).
    let comment = |l: &str| l.starts_with("# ") || l.trim() == "#";
    Ok(text.lines().filter(|l| !comment(l) && !l.trim().is_empty()).map(str::to_string).collect())
}

/// What changed from `baseline` to `current`.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Comparison {
    /// One line per breaking change.
    pub(crate) breaking: Vec<String>,
    /// New items that break nothing.
    pub(crate) added: Vec<String>,
}

pub(crate) fn compare(baseline: &[String], current: &[String]) -> Comparison {
    let old: BTreeSet<&str> = baseline.iter().map(String::as_str).collect();
    let new: BTreeSet<&str> = current.iter().map(String::as_str).collect();
    let mut comparison = Comparison::default();
    for gone in old.difference(&new) {
        comparison.breaking.push(format!("  removed or changed: {gone}"));
    }
    for added in new.difference(&old) {
        match exhaustive_parent(added, &new, &old) {
            Some(parent) => comparison.breaking.push(format!("  grows the exhaustive {parent}: {added}")),
            None => comparison.added.push(added.to_string()),
        }
    }
    comparison
}

/// For a variant or field line (`pub a::E::V`, `pub a::E::V(T)`, `pub a::S::f: T`) whose enum or
/// struct is in both shapes without `#[non_exhaustive]`: that enum or struct's line.
fn exhaustive_parent<'a>(line: &str, new: &BTreeSet<&'a str>, old: &BTreeSet<&str>) -> Option<&'a str> {
    // Other lines start with a keyword (`pub fn`, `pub struct`, `impl`, ...), never with a path.
    let first = line.strip_prefix("pub ")?.split([' ', '(', '{']).next()?;
    let path = first.strip_suffix(':').unwrap_or(first);
    let (parent, _) = path.rsplit_once("::")?;
    let declares = |l: &str| {
        ["pub enum ", "pub struct "].iter().any(|kw| {
            l.find(kw).is_some_and(|at| {
                let name = &l[at + kw.len()..];
                name.strip_prefix(parent).is_some_and(|rest| rest.is_empty() || rest.starts_with(['<', '(', ' ']))
            })
        })
    };
    let declared = new.iter().find(|l| declares(l))?;
    (old.iter().any(|l| declares(l)) && !declared.contains("#[non_exhaustive]")).then_some(*declared)
}

#[cfg(test)]
mod tests;
