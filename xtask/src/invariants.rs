//! The architecture invariants of ARCHITECTURE.md, checked (part of `cargo xtask tidy`, so also of
//! `cargo test`).
//!
//! From `cargo metadata` (the resolved dependency graph):
//! - `api-deps`: trustgen-plugin-api depends (normal and build dependencies) only on [`API_ALLOWED`].
//! - `pure-deps`: the pure crates ([`is_pure`]: every plugin, the kit, the judges, the variator)
//!   reach none of [`IMPURE`] through their normal dependencies. The walk stops at
//!   trustgen-plugin-api, whose own dependencies `api-deps` bounds (abi_stable brings libloading
//!   for the host's side of the boundary).
//! - `loader-deps`: no workspace crate but trustgen-host depends on libloading directly.
//! - `layering`: the crate graph ARCHITECTURE.md draws ([`LAYERS`]): the engine does not reach the
//!   report crate, the report crate reaches no engine, host, provider or HTTP client, the suite
//!   schema and the run directory reach no host, engine or provider, and the providers do not
//!   reach the host.
//!
//! From the sources (the module tree of each library and binary target, comments and string
//! literals removed, `#[cfg(test)]` items (and those of the kit's `testing` harness feature), the
//! files of `#[cfg(test)] mod x;` and `tests.rs` files skipped):
//! - `pure-source`: the pure crates use no `std::fs`, `std::net`, `std::env`, `std::process`,
//!   `SystemTime` or `Instant`.
//! - `loader-source`: no crate but trustgen-host calls a library loader (libloading, abi_stable's
//!   `load_from_*`, `lib_header_from_*`, `dlopen`); the API only declares the exported root module.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;

use anyhow::{Context, bail};
use regex::Regex;
use serde::Deserialize;

/// The plugin API crate.
pub(crate) const API: &str = "trustgen-plugin-api";

/// What trustgen-plugin-api may depend on: the ABI (abi_stable), linked-plugin registration
/// (inventory), the JSON wire (serde, serde_json), content hashes (sha2) and the optional JSON
/// schemas of the wire types (schemars). Widening it is a design decision of the 1.x API.
pub(crate) const API_ALLOWED: &[&str] =
    &["abi_stable", "inventory", "serde", "serde_json", "sha2", "schemars", "base64"];

/// The crates named pure in ARCHITECTURE.md besides the plugins.
pub(crate) const PURE_CRATES: &[&str] =
    &["trustgen-plugin-kit", "trustgen-judges", "trustgen-variator", "trustgen-test-plugin", "trustgen-image"];

/// What a pure crate must not reach: async I/O, the host and engine, HTTP clients, library loading.
pub(crate) const IMPURE: &[&str] =
    &["tokio", "trustgen-host", "trustgen-engine", "trustgen-providers", "reqwest", "libloading"];

/// Edges the crate graph must not have: (crate, what it must not reach through normal
/// dependencies, why). Checked like [`IMPURE`], but the walk goes through every crate.
pub(crate) const LAYERS: &[(&str, &[&str], &str)] = &[
    (
        "trustgen-engine",
        &["trustgen-report"],
        "the engine writes run directories through trustgen-rundir; the CLI computes metrics and reports",
    ),
    (
        "trustgen-report",
        &["trustgen-engine", "trustgen-host", "trustgen-providers", "tokio", "reqwest"],
        "a report is a pure function of run directories: no plugin, no model, no engine, no network",
    ),
    (
        "trustgen-rundir",
        &["trustgen-engine", "trustgen-report", "trustgen-host", "trustgen-providers", "tokio", "reqwest"],
        "the run directory format is shared by the engine and the report crate and depends on neither",
    ),
    (
        "trustgen-config",
        &["trustgen-host", "trustgen-engine", "trustgen-providers", "tokio", "reqwest"],
        "the suite schema is parsed once, below the host, the engine and the providers",
    ),
    ("trustgen-providers", &["trustgen-host", "trustgen-engine"], "providers read the suite through trustgen-config"),
];

/// The one crate that loads libraries.
pub(crate) const LOADER: &str = "trustgen-host";

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
    resolve: Option<Resolve>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    manifest_path: PathBuf,
    dependencies: Vec<Dependency>,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    /// `None` for a normal dependency, else `"dev"` or `"build"`.
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Target {
    kind: Vec<String>,
    src_path: PathBuf,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// Runs `cargo metadata` on the workspace at `root`.
fn metadata(root: &Path, offline: bool) -> anyhow::Result<Metadata> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root).args(["metadata", "--format-version", "1", "--manifest-path"]).arg(root.join("Cargo.toml"));
    if offline {
        cmd.arg("--offline");
    }
    let output = cmd.output().context("starting cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed in {}:\n{}", root.display(), String::from_utf8_lossy(&output.stderr));
    }
    serde_json::from_slice(&output.stdout).context("parsing the output of cargo metadata")
}

/// Whether a workspace package must be pure: a plugin (under `plugins/`) or one of [`PURE_CRATES`].
fn is_pure(root: &Path, package: &Package) -> bool {
    PURE_CRATES.contains(&package.name.as_str()) || package.manifest_path.starts_with(root.join("plugins"))
}

/// Checks every invariant of the workspace at `root`; one line per problem.
pub(crate) fn check(root: &Path) -> anyhow::Result<Vec<String>> {
    check_with(root, false)
}

pub(crate) fn check_with(root: &Path, offline: bool) -> anyhow::Result<Vec<String>> {
    let root = root.canonicalize().with_context(|| format!("resolving {}", root.display()))?;
    let metadata = metadata(&root, offline)?;
    let by_id: BTreeMap<&str, &Package> = metadata.packages.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut members: Vec<&Package> =
        metadata.workspace_members.iter().filter_map(|id| by_id.get(id.as_str()).copied()).collect();
    members.sort_by(|a, b| a.manifest_path.cmp(&b.manifest_path));
    let graph: BTreeMap<&str, Vec<&str>> = metadata
        .resolve
        .as_ref()
        .context("cargo metadata gave no dependency graph")?
        .nodes
        .iter()
        .map(|node| {
            let normal = node.deps.iter().filter(|d| d.dep_kinds.iter().any(|k| k.kind.is_none()));
            (node.id.as_str(), normal.map(|d| d.pkg.as_str()).collect())
        })
        .collect();
    let rel = |path: &Path| path.strip_prefix(&root).unwrap_or(path).display().to_string();

    let mut problems = Vec::new();
    for package in &members {
        let manifest = rel(&package.manifest_path);
        let runtime = || package.dependencies.iter().filter(|d| d.kind.as_deref() != Some("dev"));
        if package.name == API {
            for dep in runtime().filter(|d| !API_ALLOWED.contains(&d.name.as_str())) {
                problems.push(format!(
                    "{manifest}: api-deps: {API} depends on `{}`, outside its allowed set {API_ALLOWED:?}; \
                     hint: every plugin inherits the API's dependencies, so widening the set is a 1.x design \
                     decision (xtask/src/invariants.rs)",
                    dep.name
                ));
            }
        }
        if package.name != LOADER {
            for dep in runtime().filter(|d| d.name == "libloading") {
                problems.push(format!(
                    "{manifest}: loader-deps: `{}` depends on `{}`; only {LOADER} loads libraries",
                    package.name, dep.name
                ));
            }
        }
        for (_, forbidden, why) in LAYERS.iter().filter(|(name, _, _)| *name == package.name) {
            for (name, path) in reach(&package.id, &graph, &by_id, forbidden, None) {
                problems.push(format!("{manifest}: layering: `{}` reaches `{name}` ({path}); {why}", package.name));
            }
        }
        if is_pure(&root, package) {
            for (name, path) in reach(&package.id, &graph, &by_id, IMPURE, Some(API)) {
                problems.push(format!(
                    "{manifest}: pure-deps: `{}` reaches `{name}` ({path}); plugins, the kit, the judges and \
                     the variator do no I/O: the engine does, through the step protocol",
                    package.name
                ));
            }
        }
        let sources = package
            .targets
            .iter()
            .filter(|t| t.kind.iter().any(|k| matches!(k.as_str(), "lib" | "rlib" | "cdylib" | "dylib" | "bin")));
        let mut files = BTreeSet::new();
        for target in sources {
            module_files(&target.src_path, &mut files)?;
        }
        for file in &files {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            let code = non_test_code(&strip(&harness_is_test(&text)));
            if is_pure(&root, package) {
                for (line, what) in find(&code, &PURE_FORBIDDEN) {
                    problems.push(format!(
                        "{}:{line}: pure-source: `{}` uses {what}; plugins, the kit, the judges and the variator \
                         do no I/O and read no clock (ask the engine through the step protocol, take time and \
                         randomness from the input)",
                        rel(file),
                        package.name
                    ));
                }
            }
            if package.name != LOADER {
                for (line, what) in find(&code, &LOADER_CALLS) {
                    problems.push(format!(
                        "{}:{line}: loader-source: `{}` uses {what}; only {LOADER} loads libraries",
                        rel(file),
                        package.name
                    ));
                }
            }
        }
    }
    Ok(problems)
}

/// The `forbidden` packages `start` reaches through normal dependencies, each with the path to it;
/// the walk does not enter `boundary`.
fn reach(
    start: &str,
    graph: &BTreeMap<&str, Vec<&str>>,
    by_id: &BTreeMap<&str, &Package>,
    forbidden: &[&str],
    boundary: Option<&str>,
) -> Vec<(String, String)> {
    let name = |id: &str| by_id.get(id).map_or_else(|| id.to_string(), |p| p.name.clone());
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    let mut found = Vec::new();
    while let Some(id) = queue.pop_front() {
        for &dep in graph.get(id).map(Vec::as_slice).unwrap_or_default() {
            if dep == start || parent.contains_key(dep) {
                continue;
            }
            parent.insert(dep, id);
            let dep_name = name(dep);
            if forbidden.contains(&dep_name.as_str()) {
                let mut chain = vec![dep_name.clone()];
                let mut at = dep;
                while let Some(&up) = parent.get(at) {
                    chain.push(name(up));
                    at = up;
                    if up == start {
                        break;
                    }
                }
                chain.reverse();
                found.push((dep_name, chain.join(" -> ")));
            } else if boundary != Some(dep_name.as_str()) {
                queue.push_back(dep);
            }
        }
    }
    found
}

/// The files of the module tree rooted at `root_file`, without `#[cfg(test)]` modules and
/// `tests.rs` files.
fn module_files(root_file: &Path, out: &mut BTreeSet<PathBuf>) -> anyhow::Result<()> {
    static MOD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;").unwrap());
    let mut stack = vec![root_file.to_path_buf()];
    while let Some(file) = stack.pop() {
        if file.file_name().is_some_and(|n| n == "tests.rs") || !out.insert(file.clone()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let code = non_test_code(&strip(&harness_is_test(&text)));
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let parent = file.parent().unwrap_or(Path::new("."));
        let dir = if file == root_file || stem == "mod" { parent.to_path_buf() } else { parent.join(stem) };
        for name in MOD.captures_iter(&code).map(|c| c[1].to_string()) {
            // rustc guarantees one of the two exists; a module declared inside an inline module
            // resolves elsewhere and is not followed.
            let flat = dir.join(format!("{name}.rs"));
            let nested = dir.join(&name).join("mod.rs");
            if flat.is_file() {
                stack.push(flat);
            } else if nested.is_file() {
                stack.push(nested);
            }
        }
    }
    Ok(())
}

/// A forbidden use: its pattern and how a problem names it (`$1` is the first group).
struct Rule {
    pattern: &'static str,
    name: &'static str,
}

const PURE_FORBIDDEN: [Rule; 3] = [
    Rule { pattern: r"\bstd\s*::\s*(fs|net|env|process)\b", name: "std::$1" },
    Rule { pattern: r"\bstd\s*::\s*\{[^;]*?\b(fs|net|env|process)\b[^;]*\}", name: "std::$1 (in a use group)" },
    Rule { pattern: r"\b(SystemTime|Instant)\b", name: "the clock ($1)" },
];

const LOADER_CALLS: [Rule; 2] = [
    Rule { pattern: r"\b(libloading)\b", name: "$1" },
    Rule {
        pattern: r"\b(load_from_file|load_from_directory|load_from|lib_header_from_path|lib_header_from_raw_library|RawLibrary|dlopen)\b",
        name: "the library loader `$1`",
    },
];

/// `(line, name)` of every match of `rules` in `code`.
fn find(code: &str, rules: &[Rule]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for rule in rules {
        let regex = Regex::new(rule.pattern).expect("a valid pattern");
        for caps in regex.captures_iter(code) {
            let start = caps.get(0).map_or(0, |m| m.start());
            let line = code[..start].matches('\n').count() + 1;
            let mut name = String::new();
            caps.expand(rule.name, &mut name);
            found.push((line, name));
        }
    }
    found.sort();
    found.dedup();
    found
}

/// `code` with every `#[cfg(test)]` item (attribute, further attributes, the item up to its `;` or
/// its closing brace) blanked; line breaks are kept so lines still count.
fn non_test_code(code: &str) -> String {
    static CFG_TEST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]").unwrap());
    let bytes = code.as_bytes();
    let mut out = code.as_bytes().to_vec();
    for m in CFG_TEST.find_iter(code) {
        let mut end = m.end();
        let mut depth = 0usize;
        while end < bytes.len() {
            match bytes[end] {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end += 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    end += 1;
                    break;
                }
                _ => {}
            }
            end += 1;
        }
        for b in &mut out[m.start()..end.min(bytes.len())] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    String::from_utf8(out).expect("only ASCII bytes were replaced by ASCII")
}

/// `text` with the gate of the `testing` feature (`#[cfg(feature = "testing")]`,
/// `#[cfg(any(test, feature = "testing"))]`) written as `#[cfg(test)]`: that feature is the kit's
/// test harness, which plugins enable in `[dev-dependencies]` only, so it may read fixture files.
fn harness_is_test(text: &str) -> String {
    static GATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"#\s*\[\s*cfg\s*\(\s*(?:any\s*\(\s*test\s*,\s*feature\s*=\s*"testing"\s*\)|feature\s*=\s*"testing")\s*\)\s*\]"#,
        )
        .unwrap()
    });
    GATE.replace_all(text, "#[cfg(test)]").into_owned()
}

/// `text` with comments, string, byte-string, raw-string and char literals replaced by spaces (line
/// breaks kept), so that a path named in a comment or a message is not a use.
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char, out: &mut String| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(chars[i], &mut out);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(chars[i], &mut out);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"..." / r#"..."# / br#"..."#: up to the quote followed by as many hashes.
            let open = chars[i..].iter().position(|&c| c == '"').map_or(chars.len(), |p| i + p);
            for &c in &chars[i..=open.min(chars.len() - 1)] {
                blank(c, &mut out);
            }
            i = open + 1;
            while i < chars.len() {
                if chars[i] == '"' && chars[i + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                blank(chars[i], &mut out);
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(chars[i], &mut out);
                    i += 1;
                }
                if i < chars.len() {
                    blank(chars[i], &mut out);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A char literal ('x', '\n', '\u{..}'); otherwise a lifetime, kept.
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    blank(chars[i], &mut out);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The number of `#` of a raw (byte) string literal starting at `i`, if one does.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    let prev_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    if prev_ident {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some(hashes)
}

#[cfg(test)]
mod tests;
