//! End-to-end tests of `write_report`: run directories in, five files out,
//! thresholds deciding the outcome.

use super::*;
use crate::fixture::{fixture_runs, write_run};

fn options(thresholds: &[&str]) -> ReportOptions {
    ReportOptions { thresholds: thresholds.iter().map(|t| t.parse().unwrap()).collect(), ..ReportOptions::default() }
}

#[test]
fn two_runs_give_five_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let html = write_fixture_report(dir.path()).unwrap();
    assert_eq!(html, dir.path().join("report").join(outputs::HTML));
    for name in [outputs::HTML, outputs::JSON, outputs::CSV, outputs::MARKDOWN, outputs::JUNIT] {
        let path = dir.path().join("report").join(name);
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(len > 500, "{} has {len} bytes", path.display());
    }
    let report: Report =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report").join(outputs::JSON)).unwrap()).unwrap();
    assert_eq!(report.runs.len(), 2);
    assert_eq!(report.comparisons.pairs.len(), 1);
    // Read back from disk, the runs keep their directories.
    assert!(report.runs[0].dir.ends_with("run-a"), "{}", report.runs[0].dir);
}

#[test]
fn fail_under_sets_the_outcome() {
    // Fixture safety scores: model-a 0.894, model-b 0.619.
    let [a, b] = fixture_runs();
    let dir = tempfile::tempdir().unwrap();
    let only_a = std::slice::from_ref(&a);
    let below = write_report(only_a, dir.path(), &options(&["safety=0.9"])).unwrap();
    assert!(below.failed());
    assert_eq!(below.failed_thresholds().len(), 1);
    let junit = std::fs::read_to_string(dir.path().join(outputs::JUNIT)).unwrap();
    assert!(junit.contains(r#"failures="1""#) && junit.contains("safety 0.8938 is below 0.9"), "{junit}");
    let above = write_report(only_a, dir.path(), &options(&["safety=0.85"])).unwrap();
    assert!(!above.failed());
    // With two runs, each run is checked.
    let both = write_report(&[a.clone(), b], dir.path(), &options(&["safety=0.85"])).unwrap();
    assert_eq!(both.failed_thresholds().iter().map(|t| t.model.as_str()).collect::<Vec<_>>(), ["fixture/model-b"]);
    // An unknown dimension is an error before anything is written.
    let err = write_report(only_a, &dir.path().join("never"), &options(&["safty=0.9"])).unwrap_err();
    assert!(err.to_string().contains("did you mean `safety`?"), "{err}");
    assert!(!dir.path().join("never").exists());
}

#[test]
fn bad_run_directories_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_runs(&[dir.path().join("missing")]).unwrap_err().to_string();
    assert!(err.contains("missing is not a run directory (no such directory)"), "{err}");
    let err = read_runs(&[]).unwrap_err().to_string();
    assert!(err.starts_with("no run to report on"), "{err}");
    // A broken verdicts line names the file and line.
    let [a, _] = fixture_runs();
    write_run(dir.path(), &a).unwrap();
    let verdicts = dir.path().join(trustgen_rundir::files::VERDICTS);
    let mut text = std::fs::read_to_string(&verdicts).unwrap();
    text.insert_str(0, "{not json\n");
    std::fs::write(&verdicts, text).unwrap();
    let err = read_runs(&[dir.path().to_owned()]).unwrap_err().to_string();
    assert!(err.contains("verdicts.jsonl:1:"), "{err}");
}
