//! `cargo xtask tidy`: cheap checks that keep the tree consistent.
//!
//! Also run by `cargo test` (the `tidy` test below), so a red tidy is a red
//! build. Checks: every Rust file starts with a `//!` module doc; no trailing
//! whitespace in Rust, TOML and Markdown files; every crate's directory name
//! is its package name and it inherits the workspace lints; every plugin
//! crate has a `dynamic` feature, a trustgen-cli feature and a line in
//! `vendored.rs`; and the architecture invariants of ARCHITECTURE.md
//! (dependency and source rules, see `invariants.rs`).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::{package_name, project_root};

pub(crate) fn run() -> anyhow::Result<()> {
    let problems = check(&project_root())?;
    if problems.is_empty() {
        println!("tidy: ok");
        Ok(())
    } else {
        for problem in &problems {
            eprintln!("{problem}");
        }
        anyhow::bail!("tidy found {} problem(s)", problems.len())
    }
}

/// Returns one line per problem.
pub(crate) fn check(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    walk(root, root, &mut files)?;
    for file in &files {
        let rel = file.strip_prefix(root).unwrap_or(file).display().to_string();
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "rs" | "toml" | "md") {
            continue;
        }
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {rel}"))?;
        for (i, line) in text.lines().enumerate() {
            if line.ends_with(' ') || line.ends_with('\t') {
                problems.push(format!("{rel}:{}: trailing whitespace", i + 1));
            }
        }
        if ext == "rs" && !text.trim_start().starts_with("//!") {
            problems.push(format!("{rel}:1: missing `//!` module doc at the top of the file"));
        }
    }
    problems.extend(check_crates(root)?);
    problems.extend(crate::invariants::check(root)?);
    Ok(problems)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            let skip = name.starts_with('.') || name.starts_with("target") || name == "runs" || name == "node_modules";
            // Generated and third-party data is checked by its own tools.
            let data = path.strip_prefix(root).is_ok_and(|p| p.starts_with("suites/data"));
            if !skip && !data {
                walk(root, &path, out)?;
            }
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn check_crates(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut crate_dirs: Vec<PathBuf> = Vec::new();
    for group in ["crates", "plugins"] {
        if let Ok(entries) = std::fs::read_dir(root.join(group)) {
            for entry in entries {
                let path = entry?.path();
                if path.join("Cargo.toml").is_file() {
                    crate_dirs.push(path);
                }
            }
        }
    }
    crate_dirs.extend([root.join("xtask"), root.join("tests"), root.join("tests/test-plugin")]);
    for dir in crate_dirs.iter().filter(|d| d.join("Cargo.toml").is_file()) {
        let manifest = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest)?;
        let rel = manifest.strip_prefix(root).unwrap_or(&manifest).display().to_string();
        if !text.contains("[lints]\nworkspace = true") {
            problems.push(format!("{rel}: missing `[lints] workspace = true`"));
        }
        let name = package_name(&manifest)?;
        let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let exempt = matches!(dir_name, "tests" | "test-plugin");
        if !exempt && dir_name != name {
            problems.push(format!(
                "{rel}: package `{name}` lives in directory `{dir_name}` (directory name = package name)"
            ));
        }
    }
    let cli_manifest = std::fs::read_to_string(root.join("crates/trustgen-cli/Cargo.toml")).unwrap_or_default();
    let vendored = std::fs::read_to_string(root.join("crates/trustgen-cli/src/vendored.rs")).unwrap_or_default();
    for dir in crate::dist::plugin_crates(root)? {
        let manifest = dir.join("Cargo.toml");
        let name = package_name(&manifest)?;
        let text = std::fs::read_to_string(&manifest)?;
        if !text.contains("\ndynamic = []") {
            problems.push(format!("plugins/{name}/Cargo.toml: a plugin crate needs a `dynamic = []` feature"));
        }
        if !cli_manifest.contains(&format!("\"dep:{name}\"")) {
            problems.push(format!(
                "crates/trustgen-cli/Cargo.toml: no feature links plugin `{name}` (add one with \"dep:{name}\")"
            ));
        }
        if !vendored.contains(&format!("use {} as _;", name.replace('-', "_"))) {
            problems.push(format!(
                "crates/trustgen-cli/src/vendored.rs: plugin `{name}` is not named (add `#[cfg(feature = \"...\")] use {} as _;`)",
                name.replace('-', "_")
            ));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tidy() {
        let problems = super::check(&crate::project_root()).unwrap();
        assert!(problems.is_empty(), "cargo xtask tidy found problems:\n{}", problems.join("\n"));
    }
}
