//! Reproducibility: two runs of one suite send the same sampling parameters and get the same
//! replies, even from a server that samples (llama.cpp's default temperature is 0.8) when a request
//! sends no temperature or seed.

use std::path::{Path, PathBuf};

use trustgen_testserver::{ServerConfig, TestServer};

use crate::support::{run, run_dir, testdim_dir, trustgen_in};

fn suite_text(out: &Path, base: &str) -> String {
    format!(
        r#"[run]
name = "repro"
seed = 11
concurrency = 4
output_dir = "{out}"

[plugins]
dirs = ["{plugins}"]

[models.target]
provider = "openai"
model = "target-model"
base_url = "{base}/v1"
max_tokens = 32

[models.judge]
provider = "openai"
model = "judge-model"
base_url = "{base}/v1"

[[dimension]]
plugin = "testdim"
limit = 12
"#,
        out = out.join("runs").display(),
        plugins = testdim_dir().display(),
    )
}

/// The run's outputs, one line per case, sorted by case.
fn outputs(run: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run.join("outputs.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// The first `params` object inside a recorded request.
fn params(value: &serde_json::Value) -> Option<&serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map.get("params").or_else(|| map.values().find_map(params)),
        serde_json::Value::Array(items) => items.iter().find_map(params),
        _ => None,
    }
}

/// (sampling parameters, reply) of every target request, sorted.
fn target_requests(run: &Path) -> Vec<(serde_json::Value, serde_json::Value)> {
    requests_of(run, "target")
}

/// (sampling parameters, reply) of every request of `role`, sorted.
fn requests_of(run: &Path, role: &str) -> Vec<(serde_json::Value, serde_json::Value)> {
    let text = std::fs::read_to_string(run.join("requests.jsonl")).unwrap();
    let mut found: Vec<(serde_json::Value, serde_json::Value)> = text
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|record| record["request"]["role"] == role)
        .map(|record| (params(&record["request"]).cloned().unwrap_or_default(), record["reply"].clone()))
        .collect();
    found.sort_by_key(|(params, reply)| format!("{params}{reply}"));
    found
}

fn one_run(dir: &Path, suite: &Path, name: &str) -> PathBuf {
    let (code, stdout, stderr) = run(trustgen_in(dir).args(["run", "--quiet", "--no-cache"]).arg(suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let run = run_dir(dir);
    let kept = dir.join(name);
    std::fs::rename(dir.join("runs"), &kept).unwrap();
    kept.join(run.file_name().unwrap())
}

#[test]
fn two_no_cache_runs_send_the_same_sampling_parameters_and_get_the_same_outputs() {
    // Like llama.cpp's server: a request without a temperature is sampled at 0.8, and one without
    // a seed gets a fresh seed.
    let server = TestServer::spawn(ServerConfig::default().with_default_temperature(0.8)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    std::fs::write(&suite, suite_text(dir.path(), server.base_url())).unwrap();

    let first = one_run(dir.path(), &suite, "runs-1");
    let second = one_run(dir.path(), &suite, "runs-2");

    assert_eq!(outputs(&first), outputs(&second), "the same outputs in both runs");
    let requests = target_requests(&first);
    assert!(requests.len() >= 12, "one target request per case at least: {requests:?}");
    for (params, _) in &requests {
        assert_eq!(params["temperature"], serde_json::json!(0.0), "the default temperature is sent: {params}");
        assert!(params["seed"].is_u64(), "a seed derived from the run seed is sent: {params}");
    }
    let seeds: std::collections::BTreeSet<String> = requests.iter().map(|(p, _)| p["seed"].to_string()).collect();
    assert!(seeds.len() > 1, "each request has its own seed: {seeds:?}");
    assert_eq!(requests, target_requests(&second), "the same parameters and replies in both runs");

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(first.join("manifest.json")).unwrap()).unwrap();
    let recorded = manifest.to_string();
    assert!(recorded.contains("\"temperature\":0.0"), "the manifest records the temperature: {recorded}");
}

/// The contextual variator's generator requests get the same treatment as the target's: their
/// temperature (0.7, the variator's own) and a seed derived from the run seed are sent and recorded,
/// so a generator that samples gives the same rewrites in two runs without the cache.
#[test]
fn generator_requests_of_the_variator_send_and_record_a_temperature_and_a_derived_seed() {
    let server = TestServer::spawn(ServerConfig::default().with_default_temperature(0.8)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    let text = suite_text(dir.path(), server.base_url()).replace(
        "[[dimension]]",
        &format!(
            "[models.generator]\nprovider = \"openai\"\nmodel = \"generator-model\"\nbase_url = \"{}/v1\"\n\n[[dimension]]",
            server.base_url()
        ),
    ) + "variations = [\"paraphrase\"]\n";
    std::fs::write(&suite, text).unwrap();

    let first = one_run(dir.path(), &suite, "runs-1");
    let second = one_run(dir.path(), &suite, "runs-2");

    let requests = requests_of(&first, "generator");
    assert!(!requests.is_empty(), "the variator asked the generator");
    for (params, _) in &requests {
        assert_eq!(params["temperature"], serde_json::json!(0.7), "the variator's temperature is sent: {params}");
        assert!(params["seed"].is_u64(), "a seed derived from the run seed is sent: {params}");
    }
    assert_eq!(requests, requests_of(&second, "generator"), "the same parameters and replies in both runs");
}
