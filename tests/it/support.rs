//! Helpers shared by the integration tests: paths, the `trustgen` binary,
//! and building plugin libraries on the fly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("crates/trustgen-cli is two levels deep").into()
}

/// The cargo target directory of this build.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// A `trustgen` command with a clean environment for plugin discovery.
pub(crate) fn trustgen() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trustgen"));
    cmd.env_remove("TRUSTGEN_PLUGIN_PATH").env_remove("TRUSTGEN_LOG").env_remove("TRUSTGEN_TRUST_PLUGINS");
    cmd
}

/// `trustgen` in `dir`, with an empty model and request cache there, trusting the plugin
/// directories its suites name (the test plugin's).
pub(crate) fn trustgen_in(dir: &Path) -> Command {
    let mut cmd = trustgen();
    cmd.current_dir(dir).env("TRUSTGEN_CACHE_DIR", dir.join("cache")).env("TRUSTGEN_TRUST_PLUGINS", "1");
    cmd
}

/// The single run directory under `dir/runs`.
pub(crate) fn run_dir(dir: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap()
}

/// Runs a command and returns (exit code, stdout, stderr).
pub(crate) fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("the command starts");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// Builds the test plugin as a dynamic library with `features` (plus
/// `dynamic`) and copies it to `dest_dir` under `file_name`.
pub(crate) fn test_plugin_cdylib(features: &[&str], dest_dir: &Path, file_name: &str) -> PathBuf {
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut all = vec!["dynamic"];
    all.extend_from_slice(features);
    let output = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["rustc", "--quiet", "-p", "trustgen-test-plugin", "--lib", "--crate-type", "cdylib", "--features"])
        .arg(all.join(","))
        .output()
        .expect("cargo starts");
    assert!(output.status.success(), "building the test plugin failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let built = target_dir().join("debug").join(lib_file("trustgen_test_plugin"));
    let dest = dest_dir.join(file_name);
    std::fs::copy(&built, &dest).unwrap_or_else(|e| panic!("copying {}: {e}", built.display()));
    dest
}

/// `lib<name>.so` on this platform.
pub(crate) fn lib_file(name: &str) -> String {
    format!("{}{name}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// Builds a plugin crate that lives outside the workspace (its own
/// Cargo.toml in `dir`) and returns the library path. The crates share one
/// target directory so repeated runs are quick.
pub(crate) fn build_out_of_tree(dir: &Path, lib_name: &str) -> PathBuf {
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let target = target_dir().join("it-out-of-tree");
    // The workspace lock file pins the same dependency versions.
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    let output = Command::new(env!("CARGO"))
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--quiet", "--lib"])
        .output()
        .expect("cargo starts");
    assert!(output.status.success(), "building {} failed:\n{}", dir.display(), String::from_utf8_lossy(&output.stderr));
    target.join("debug").join(lib_file(lib_name))
}

/// A directory holding the dynamic build of the test plugin `testdim` (built once).
pub(crate) fn testdim_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        test_plugin_cdylib(&[], dir.path(), &lib_file("testdim"));
        dir
    })
    .path()
}

/// The dynamic build of `testdim`.
pub(crate) fn testdim_library() -> PathBuf {
    testdim_dir().join(lib_file("testdim"))
}

/// A test server answering from the committed script (suites/testserver/script.toml).
pub(crate) fn scripted_server() -> trustgen_testserver::TestServer {
    let path = root().join("suites/testserver/script.toml");
    let script = trustgen_testserver::Script::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    trustgen_testserver::TestServer::spawn(trustgen_testserver::ServerConfig::default().with_script(script)).unwrap()
}

/// `path` as a TOML string.
pub(crate) fn toml_string(path: &Path) -> String {
    serde_json::to_string(&path.display().to_string()).unwrap()
}

/// Runs a suite in `dir` with no cache and its own model cache; returns the one run directory.
pub(crate) fn run_suite(dir: &Path, suite: &Path) -> PathBuf {
    let (code, stdout, stderr) = run(trustgen()
        .current_dir(dir)
        .env("TRUSTGEN_CACHE_DIR", dir.join("cache"))
        .args(["run", "--quiet", "--no-cache"])
        .arg(suite));
    assert_eq!(code, 0, "trustgen run {} failed:\n{stdout}{stderr}", suite.display());
    let runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap()
}

/// The records of a JSONL file; a bad line panics with the file and the line.
pub(crate) fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display()))).collect()
}

/// The SHA-256 of `bytes`, in hex (how the run store names an image).
pub(crate) fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Writes `dir/suite.toml`: a run named `name` with `seed` and its output and
/// data directories in `dir`, a `vlm` target on the test server at `base`,
/// the server's embedder (robustness may ask for embeddings), with `judge` a
/// `vlm` judge there too, then `dimensions` as written.
pub(crate) fn vlm_suite(dir: &Path, base: &str, name: &str, seed: u64, judge: bool, dimensions: &str) -> PathBuf {
    let judge = if judge {
        format!(
            "[models.judge]\ntype = \"vlm\"\nprovider = \"openai\"\nmodel = \"tg-vision-judge\"\nbase_url = \"{base}/v1\"\n"
        )
    } else {
        String::new()
    };
    let text = format!(
        r#"[run]
name = "{name}"
seed = {seed}
concurrency = 8
output_dir = {out}
data_dir = {data}

[models.target]
type = "vlm"
provider = "openai"
model = "tg-vision"
base_url = "{base}/v1"
max_tokens = 64

# Robustness may ask for embeddings (its open-ended task): the server's, not a downloaded model.
[models.embedder]
provider = "openai"
model = "text-embedding-3-small"
base_url = "{base}/v1"

{judge}
{dimensions}"#,
        out = toml_string(&dir.join("runs")),
        data = toml_string(&dir.join("data")),
    );
    let path = dir.join("suite.toml");
    std::fs::write(&path, text).unwrap();
    path
}
