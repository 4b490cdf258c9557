//! `cargo xtask dist`: build every plugin crate as a dynamic library.
//!
//! Plugin crates are plain rlibs (so they can be linked into `trustgen`);
//! the dynamic library comes from `cargo rustc --crate-type cdylib` with the
//! crate's `dynamic` feature, which exports the declaration symbol and the
//! abi_stable root module. The libraries land in `target/plugins/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::{package_name, project_root, target_dir};

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let mut release = true;
    let mut out: Option<PathBuf> = None;
    let mut only: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--debug" => release = false,
            "--out" => out = Some(it.next().context("--out needs a directory")?.into()),
            "--package" | "-p" => only.push(it.next().context("--package needs a name")?.clone()),
            other => {
                bail!("unknown argument `{other}` for dist; usage: cargo xtask dist [--debug] [--out DIR] [-p NAME]")
            }
        }
    }
    let root = project_root();
    let out = out.unwrap_or_else(|| target_dir().join("plugins"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut built = 0;
    for dir in plugin_crates(&root)? {
        let name = package_name(&dir.join("Cargo.toml"))?;
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        let path = build_cdylib(&name, release, &[])?;
        let dest = out.join(path.file_name().expect("a file name"));
        std::fs::copy(&path, &dest).with_context(|| format!("copying {} to {}", path.display(), dest.display()))?;
        println!("{}", dest.display());
        built += 1;
    }
    if built == 0 {
        bail!("no plugin crates found under plugins/ (or none matched -p)");
    }
    Ok(())
}

/// Every crate directory under `plugins/`, sorted.
pub(crate) fn plugin_crates(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let dir = root.join("plugins");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.join("Cargo.toml").is_file() {
            crates.push(path);
        }
    }
    crates.sort();
    Ok(crates)
}

/// Builds `package` as a cdylib with its `dynamic` feature (plus `features`)
/// and returns the library's path.
pub(crate) fn build_cdylib(package: &str, release: bool, features: &[&str]) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut all_features = vec!["dynamic"];
    all_features.extend_from_slice(features);
    let mut cmd = Command::new(cargo);
    cmd.current_dir(project_root())
        .args(["rustc", "--quiet", "-p", package, "--lib", "--crate-type", "cdylib", "--features"])
        .arg(all_features.join(","));
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().with_context(|| format!("running cargo rustc for {package}"))?;
    if !status.success() {
        bail!("building the dynamic library of {package} failed");
    }
    let file = format!("{}{}{}", std::env::consts::DLL_PREFIX, package.replace('-', "_"), std::env::consts::DLL_SUFFIX);
    let path = target_dir().join(if release { "release" } else { "debug" }).join(file);
    if !path.is_file() {
        bail!("cargo did not produce {}", path.display());
    }
    Ok(path)
}
