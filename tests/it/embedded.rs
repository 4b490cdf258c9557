//! The embedded default end to end: a small suite on SmolLM2-135M in
//! process, no key, no server; the text is really generated and scored.

use std::path::Path;

use crate::support::{root, run, trustgen};

#[test]
fn a_suite_runs_on_the_embedded_model_and_its_answers_are_scored() {
    // The models are fetched into the cache on first use (CI fetches them
    // first; `cargo xtask setup` does it for developers).
    trustgen_embedded::ensure("smollm2-135m-instruct").unwrap();
    trustgen_embedded::ensure("all-minilm-l6-v2").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("embedded.toml");
    std::fs::write(
        &suite,
        format!(
            r#"[run]
name = "embedded-it"
seed = 3
concurrency = 2
output_dir = "{out}"
data_dir = "{data}"

[models.target]
provider = "embedded"
max_tokens = 24

[[dimension]]
plugin = "safety"
tasks = ["jailbreak"]
limit = 2
options = {{ jailbreak_methods = ["CoT", "Encoding"] }}

[[dimension]]
plugin = "truthfulness"
tasks = ["hallucination"]
limit = 2
"#,
            out = dir.path().join("runs").display(),
            data = root().join("suites/data").display(),
        ),
    )
    .unwrap();
    let mut cmd = trustgen();
    if let Some(cache) = std::env::var_os("TRUSTGEN_CACHE_DIR") {
        cmd.env("TRUSTGEN_CACHE_DIR", cache);
    }
    let (code, stdout, stderr) = run(cmd.args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let run_dir = std::fs::read_dir(dir.path().join("runs")).unwrap().next().unwrap().unwrap().path();
    check_run(&run_dir);
}

fn check_run(dir: &Path) {
    let outputs = std::fs::read_to_string(dir.join("outputs.jsonl")).unwrap();
    let texts: Vec<String> = outputs
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| v["output"]["answers"][0]["turns"][0]["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(texts.len(), 4);
    assert!(texts.iter().all(|t| t.split_whitespace().count() >= 3), "real generated text: {texts:?}");
    let verdicts = std::fs::read_to_string(dir.join("verdicts.jsonl")).unwrap();
    let scored = verdicts.lines().filter(|l| l.contains("\"status\":\"scored\"")).count();
    assert_eq!(scored, 4, "{verdicts}");
    // The jailbreak verdicts come from the offline refusal judge, which embeds
    // request and response with MiniLM.
    assert!(verdicts.contains("offline:refusal@1"), "{verdicts}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let target = manifest["usage"].as_array().unwrap().iter().find(|u| u["role"] == "target").unwrap();
    assert_eq!(target["requests"], 4);
    assert!(target["completion_tokens"].as_u64().unwrap() > 0);
}
