//! `trustgen report` on two runs of different models: the five outputs,
//! escaping of hostile model outputs, and `--fail-under` gating.

use std::path::{Path, PathBuf};

use crate::support::{run, trustgen};

/// Writes the report crate's two fixture runs (model-a and model-b, with
/// script-injection payloads in their outputs) and returns their directories.
fn fixture_runs(dir: &Path) -> Vec<PathBuf> {
    trustgen_report::fixture::fixture_runs()
        .iter()
        .map(|data| {
            let path = dir.join(&data.manifest.run_id);
            trustgen_report::fixture::write_run(&path, data).unwrap();
            path
        })
        .collect()
}

fn report(runs: &[PathBuf], out: &Path, thresholds: &[&str]) -> (i32, String, String) {
    let mut cmd = trustgen();
    cmd.arg("report").args(runs).arg("--out").arg(out);
    for threshold in thresholds {
        cmd.args(["--fail-under", threshold]);
    }
    run(&mut cmd)
}

#[test]
fn two_runs_give_all_five_outputs_with_model_outputs_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let runs = fixture_runs(dir.path());
    let out = dir.path().join("report");
    let (code, stdout, stderr) = report(&runs, &out, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for file in ["report.html", "report.json", "report.csv", "report.md", "junit.xml"] {
        let path = out.join(file);
        assert!(path.is_file() && std::fs::metadata(&path).unwrap().len() > 100, "{file}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    // The payloads are in the data, escaped; never as live markup.
    assert!(!html.contains("<script>window.__xss"), "a raw script tag from a model output");
    assert!(!html.contains("onerror=\"window.__xss"), "a raw event handler from a model output");
    assert!(html.contains("__xss"), "the payload text is still shown (as text)");
    assert!(!html.contains("<link") && !html.contains("src=\"http"), "no external resources");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["runs"].as_array().map(Vec::len), Some(2));
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("model-a") && markdown.contains("model-b"), "{markdown}");
}

#[test]
fn fail_under_sets_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let runs = fixture_runs(dir.path());
    // The fixture's safety scores are 0.894 (model-a) and 0.619 (model-b).
    let (code, _, stderr) = report(&runs, &dir.path().join("r1"), &["safety=0.9"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("threshold"), "{stderr}");
    let junit = std::fs::read_to_string(dir.path().join("r1/junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
    let (code, _, stderr) = report(&runs, &dir.path().join("r2"), &["safety=0.5"]);
    assert_eq!(code, 0, "{stderr}");
    // A typo in a threshold is an error before anything is written.
    let (code, _, stderr) = report(&runs, &dir.path().join("r3"), &["safty=0.5"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("did you mean `safety`"), "{stderr}");
    assert!(!dir.path().join("r3").exists());
}
