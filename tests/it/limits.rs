//! Limits and exit codes, end to end against the test server: every model a
//! run will use is checked before anything is sent; a run that measured
//! nothing exits non-zero with its summary; long `Retry-After` waits are
//! shown and bounded; the summary table's counts add up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use trustgen_testserver::{Fault, FilterStage, Rule, Script, ServerConfig, TestServer};

use crate::support::{root, run, testdim_dir, trustgen};

/// A suite against the test server at `base`: `models` are the `[models.*]`
/// tables, `dimensions` the `[[dimension]]` tables.
fn suite(dir: &Path, run_extra: &str, models: &str, dimensions: &str) -> PathBuf {
    let text = format!(
        r#"[run]
name = "limits"
seed = 11
concurrency = 4
output_dir = "{out}"
data_dir = "{data}"
{run_extra}

[plugins]
dirs = ["{plugins}"]

{models}

{dimensions}
"#,
        out = dir.join("runs").display(),
        data = root().join("suites/data").display(),
        plugins = testdim_dir().display(),
    );
    let path = dir.join("suite.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `[models.<role>]` on the test server.
fn served(role: &str, base: &str, extra: &str) -> String {
    format!("[models.{role}]\nprovider = \"openai\"\nmodel = \"{role}-model\"\nbase_url = \"{base}/v1\"\n{extra}\n")
}

/// `trustgen` in `dir` with an empty model and request cache there.
fn trustgen_in(dir: &Path) -> Command {
    let mut cmd = trustgen();
    cmd.current_dir(dir).env("TRUSTGEN_CACHE_DIR", dir.join("cache"));
    cmd
}

/// The single run directory under `dir/runs`.
fn run_dir(dir: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap()
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn server(rules: Vec<Rule>) -> TestServer {
    TestServer::spawn(ServerConfig::default().with_script(Script::new(rules).unwrap())).unwrap()
}

#[test]
fn a_missing_embedded_model_file_is_found_before_any_request() {
    let server = server(Vec::new());
    let base = server.base_url();
    let dir = tempfile::tempdir().unwrap();
    // The safety plugin's refusal judge embeds with the default embedder, which the suite does
    // not name; the model cache is empty.
    let jailbreak = "[[dimension]]\nplugin = \"safety\"\ntasks = [\"jailbreak\"]\nlimit = 3\n";
    let path = suite(dir.path(), "", &served("target", base, ""), jailbreak);
    for args in [&["run", "--quiet", "--no-cache"][..], &["run", "--quiet", "--dry-run"]] {
        let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(args).arg(&path));
        assert_eq!(code, 1, "{args:?}\n{stdout}{stderr}");
        assert!(
            stderr.contains("the default embedder `all-minilm-l6-v2`")
                && stderr.contains("plugin `safety` may ask for it")
                && stderr.contains("model.safetensors")
                && stderr.contains("trustgen models pull all-minilm-l6-v2"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(server.stats().total, 0, "nothing was sent");
    assert!(!dir.path().join("runs").exists(), "no run directory was made");

    // Every problem at once: a named embedded judge without its file, a key variable that is
    // not set, and the implicit embedder; a run and a dry run report the same list.
    let models = format!(
        "{}{}[models.judge]\nprovider = \"embedded\"\n",
        served("target", base, ""),
        served("generator", base, "api_key_env = \"TG_LIMITS_UNSET_KEY\""),
    );
    let path = suite(dir.path(), "", &models, jailbreak);
    let mut reported = Vec::new();
    for args in [&["run", "--quiet", "--no-cache"][..], &["run", "--quiet", "--dry-run"]] {
        let (code, stdout, stderr) =
            run(trustgen_in(dir.path()).env_remove("TG_LIMITS_UNSET_KEY").args(args).arg(&path));
        assert_eq!(code, 1, "{args:?}\n{stdout}{stderr}");
        let shown = stderr.replace(&dir.path().display().to_string(), "$DIR");
        reported.push(shown);
    }
    assert_eq!(reported[0], reported[1], "a dry run reports what a run reports");
    expect_test::expect![[r#"
        error: 3 problems found before anything was sent:
          - [models.generator] (openai model `generator-model`): the API key variable `TG_LIMITS_UNSET_KEY` (api_key_env) is not set; hint: export TG_LIMITS_UNSET_KEY=... before the run, or point api_key_env at the variable that holds the key
          - [models.judge] embedded model `smollm2-135m-instruct`: model file $DIR/cache/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf of `smollm2-135m-instruct` is missing; run `trustgen models pull smollm2-135m-instruct` to download it
          - the default embedder `all-minilm-l6-v2` (the suite names no [models.embedder]; plugin `safety` may ask for it): model file $DIR/cache/models/all-minilm-l6-v2/model.safetensors of `all-minilm-l6-v2` is missing; run `trustgen models pull all-minilm-l6-v2` to download it, or name another model in [models.embedder]
        hint: `trustgen models pull smollm2-135m-instruct all-minilm-l6-v2` downloads every missing model
    "#]]
    .assert_eq(&reported[0]);
    assert_eq!(server.stats().total, 0, "nothing was sent");
}
