//! The run store survives what interrupts it: a resume refuses inputs that changed since the run
//! started (or records that it was told to accept them), resolves the suite's paths to the same
//! files from any working directory, and a torn last line is repaired on resume and reported by
//! `trustgen report`. Real runs of the linked `truthfulness` plugin on its bundled data, against
//! the project's test server on loopback.

use std::path::{Path, PathBuf};
use std::process::Command;

use expect_test::{Expect, expect};
use serde_json::Value;
use trustgen_testserver::{ServerConfig, TestServer};

use crate::support::{root, run, trustgen};

const KEY_VAR: &str = "TG_IT_KEY";
/// The data file the suite's one task reads, relative to the data directory.
const DATA_FILE: &str = "truthfulness/halueval_qa.jsonl";
const CASES: usize = 8;

/// A project in `dir`: `suite.toml` with relative `output_dir` and `data_dir`, and a copy of the
/// one bundled data file its task reads under `data/`.
fn project(dir: &Path, base: &str) {
    let text = format!(
        r#"[run]
name = "store"
seed = 5
concurrency = 4
output_dir = "runs"
data_dir = "data"

[models.target]
provider = "openai"
model = "target-model"
base_url = "{base}/v1"
api_key_env = "{KEY_VAR}"
max_tokens = 32

[[dimension]]
plugin = "truthfulness"
tasks = ["hallucination"]
limit = {CASES}
"#
    );
    std::fs::write(dir.join("suite.toml"), text).unwrap();
    let data = dir.join("data").join(DATA_FILE);
    std::fs::create_dir_all(data.parent().unwrap()).unwrap();
    std::fs::copy(root().join("suites/data").join(DATA_FILE), data).unwrap();
}

/// `trustgen` run from `cwd`.
fn trustgen_in(cwd: &Path) -> Command {
    let mut cmd = trustgen();
    cmd.current_dir(cwd).env("TRUSTGEN_CACHE_DIR", cwd.join("cache")).env(KEY_VAR, "sk-test-key-0123");
    cmd
}

/// Runs the project in `dir` from `dir`, naming the suite by a relative path; returns the run
/// directory (absolute).
fn first_run(dir: &Path) -> PathBuf {
    let (code, stdout, stderr) = run(trustgen_in(dir).args(["run", "--quiet", "--no-cache", "suite.toml"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let runs: Vec<PathBuf> = std::fs::read_dir(dir.join("runs")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.into_iter().next().unwrap()
}

fn manifest(run: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(str::to_string).collect()
}

/// Makes a finished run look killed after `keep` verdicts: the later verdict lines are gone and
/// the manifest says `running`.
fn interrupt(run: &Path, keep: usize) {
    let verdicts = lines(&run.join("verdicts.jsonl"));
    assert!(verdicts.len() > keep);
    std::fs::write(run.join("verdicts.jsonl"), verdicts[..keep].iter().map(|l| format!("{l}\n")).collect::<String>())
        .unwrap();
    let mut manifest = manifest(run);
    manifest["status"] = "running".into();
    manifest.as_object_mut().unwrap().remove("finished_at");
    std::fs::write(run.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
}

/// Rewrites the data file in `data_dir` as a new version of the data set: its first two rows
/// swap places.
fn change_data(data_dir: &Path) {
    let path = data_dir.join(DATA_FILE);
    let mut rows = lines(&path);
    rows.swap(0, 1);
    std::fs::write(&path, rows.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

/// `text` with `dir` as `$DIR`, the sha256 `old` as `$OLD` and any other sha256 as `$NEW`.
fn redact(text: &str, dir: &Path, old: &str) -> String {
    let text = text.replace(&dir.display().to_string(), "$DIR").replace(old, "$OLD");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find(|c: char| c.is_ascii_hexdigit()) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let len = rest.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(rest.len());
        out.push_str(if len == 64 { "$NEW" } else { &rest[..len] });
        rest = &rest[len..];
    }
    out + rest
}

/// Runs the project, interrupts it after 3 verdicts, changes its data file, then resumes with
/// `args`; checks the exit code, and renders stderr and the manifest's record of the inputs.
#[track_caller]
fn check_resume_after_a_data_change(args: &[&str], code: i32, expected: Expect) {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().canonicalize().unwrap();
    project(&dir, server.base_url());
    let run_dir = first_run(&dir);
    let old = manifest(&run_dir)["data_files"][0]["sha256"].as_str().unwrap().to_string();
    interrupt(&run_dir, 3);
    change_data(&dir.join("data"));
    let before = (std::fs::read(run_dir.join("manifest.json")).unwrap(), lines(&run_dir.join("verdicts.jsonl")));
    let sent = server.stats().total;

    let (got, stdout, stderr) =
        run(trustgen_in(&dir).args(["run", "--quiet", "--no-cache", "--resume"]).arg(&run_dir).args(args));
    assert_eq!(got, code, "{stdout}{stderr}");
    let manifest = manifest(&run_dir);
    if code != 0 {
        let after = (std::fs::read(run_dir.join("manifest.json")).unwrap(), lines(&run_dir.join("verdicts.jsonl")));
        assert!(after == before, "a refused resume changes nothing in the run directory");
        assert_eq!(server.stats().total, sent, "a refused resume sends nothing");
    } else {
        assert_eq!(manifest["status"], "finished");
        assert_eq!(lines(&run_dir.join("verdicts.jsonl")).len(), CASES);
    }
    let record = serde_json::json!({
        "status": manifest["status"],
        "data_files": manifest["data_files"],
        "accepted_changes": manifest["accepted_changes"],
    });
    let rendered = format!("{stderr}{}\n", serde_json::to_string_pretty(&record).unwrap())
        .replace(&run_dir.display().to_string(), "$DIR/runs/RUN");
    expected.assert_eq(&redact(&rendered, &dir, &old));
}

#[test]
fn resume_refuses_a_changed_data_file_with_the_list_of_differences() {
    check_resume_after_a_data_change(
        &[],
        1,
        expect![[r#"
            error: cannot resume $DIR/runs/RUN: 1 input(s) differ from the ones the run started with, so it would mix cases of both versions:
              - data file `truthfulness/halueval_qa.jsonl`: sha256 was $OLD, is now $NEW
            hint: restore the original inputs, or start a new run; `trustgen run --resume <run directory> --allow-changed-data` continues anyway and records these differences in manifest.json
            {
              "accepted_changes": null,
              "data_files": [
                {
                  "path": "truthfulness/halueval_qa.jsonl",
                  "rows": 300,
                  "sha256": "$OLD"
                }
              ],
              "status": "running"
            }
        "#]],
    );
}

#[test]
fn resume_with_allow_changed_data_records_it() {
    check_resume_after_a_data_change(
        &["--allow-changed-data"],
        0,
        expect![[r#"
            {
              "accepted_changes": [
                {
                  "kind": "data_file",
                  "name": "truthfulness/halueval_qa.jsonl",
                  "new": "$NEW",
                  "old": "$OLD"
                }
              ],
              "data_files": [
                {
                  "path": "truthfulness/halueval_qa.jsonl",
                  "rows": 300,
                  "sha256": "$NEW"
                }
              ],
              "status": "finished"
            }
        "#]],
    );
}

#[test]
fn resume_from_another_directory_reads_the_same_files() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().canonicalize().unwrap();
    let (first, elsewhere) = (dir.join("first"), dir.join("elsewhere"));
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    project(&first, server.base_url());
    // Another directory with a suite.toml and a data/ of its own: another version of the data.
    project(&elsewhere, server.base_url());
    change_data(&elsewhere.join("data"));

    let run_dir = first_run(&first);
    let recorded = manifest(&run_dir);
    assert_eq!(recorded["suite"]["path"], first.join("suite.toml").display().to_string(), "stored absolute");
    assert_eq!(recorded["data_dir"], first.join("data").display().to_string());
    interrupt(&run_dir, 3);
    let (code, stdout, stderr) =
        run(trustgen_in(&elsewhere).args(["run", "--quiet", "--no-cache", "--resume"]).arg(&run_dir));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let resumed = manifest(&run_dir);
    assert_eq!(resumed["data_files"], recorded["data_files"], "the resume read the run's own data files");
    assert_eq!(resumed["status"], "finished");
    assert!(resumed.get("accepted_changes").is_none());
    assert_eq!(lines(&run_dir.join("verdicts.jsonl")).len(), CASES);

    // With the run's data directory gone, a resume names it instead of reading another one.
    interrupt(&run_dir, 3);
    std::fs::rename(first.join("data"), first.join("data-moved")).unwrap();
    let (code, stdout, stderr) =
        run(trustgen_in(&elsewhere).args(["run", "--quiet", "--no-cache", "--resume"]).arg(&run_dir));
    assert_eq!(code, 1, "{stdout}{stderr}");
    expect![[r#"
        error: cannot resume $DIR/first/runs/RUN: its data directory $DIR/first/data (recorded in $DIR/first/runs/RUN/manifest.json) does not exist; hint: restore the data there (the run checks every file's sha256 against the manifest) or start a new run
    "#]]
    .assert_eq(&stderr.replace(&run_dir.display().to_string(), "$DIR/first/runs/RUN").replace(&dir.display().to_string(), "$DIR"));
}

/// A finished run of the project in `dir`, then killed mid-write: three verdicts on disk and half
/// of the fourth one's line.
fn torn_run(dir: &Path) -> PathBuf {
    let run_dir = first_run(dir);
    interrupt(&run_dir, 3);
    let mut verdicts = std::fs::read(run_dir.join("verdicts.jsonl")).unwrap();
    verdicts.extend_from_slice(b"{\"case_id\":\"truthfulness/hallucination/");
    std::fs::write(run_dir.join("verdicts.jsonl"), &verdicts).unwrap();
    run_dir
}

#[test]
fn report_reads_a_run_with_a_torn_tail() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().canonicalize().unwrap();
    project(&dir, server.base_url());
    let run_dir = torn_run(&dir);
    let out = dir.join("report");
    let (code, stdout, stderr) = run(trustgen_in(&dir).arg("report").arg(&run_dir).arg("--out").arg(&out));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(out.join("report.html").is_file());
    expect![[r#"
        warning: $RUN/verdicts.jsonl:4: the last line is torn (39 bytes, a write cut short by a crash) and was left out; the 3 lines before it were read; hint: `trustgen run --resume` on the run directory repairs it and redoes that record
    "#]]
    .assert_eq(&stderr.replace(&run_dir.display().to_string(), "$RUN"));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert!(report.to_string().contains("\"n\":3"), "the three whole verdicts count: {report}");
}

#[test]
fn a_torn_last_line_is_repaired_on_resume_and_the_run_finishes() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().canonicalize().unwrap();
    project(&dir, server.base_url());
    let run_dir = torn_run(&dir);
    let (code, stdout, stderr) = run(trustgen_in(&dir).args(["run", "--no-cache", "--resume"]).arg(&run_dir));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let warning =
        format!("{}:4: removed an unfinished last record (39 bytes", run_dir.join("verdicts.jsonl").display());
    assert!(stderr.contains(&warning), "{stderr}");
    let verdicts = lines(&run_dir.join("verdicts.jsonl"));
    assert_eq!(verdicts.len(), CASES);
    for line in &verdicts {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    let repairs = &manifest(&run_dir)["repairs"];
    assert_eq!(repairs[0]["file"], "verdicts.jsonl", "{repairs}");
    assert_eq!((repairs[0]["line"].as_u64(), repairs[0]["bytes"].as_u64()), (Some(4), Some(39)), "{repairs}");
    assert_eq!(repairs[0]["action"], "truncated");
}

#[test]
fn the_manifest_records_the_version_and_commit_that_trustgen_version_prints() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().canonicalize().unwrap();
    project(&dir, server.base_url());
    let run_dir = first_run(&dir);

    let (code, stdout, stderr) = run(trustgen().arg("--version"));
    assert_eq!(code, 0, "{stderr}");
    let printed = stdout.trim().strip_prefix("trustgen ").unwrap_or_else(|| panic!("`--version` printed `{stdout}`"));
    let (version, commit) = printed
        .strip_suffix(')')
        .and_then(|p| p.split_once(" ("))
        .unwrap_or_else(|| panic!("`--version` printed `{stdout}`"));
    let recorded = manifest(&run_dir);
    assert_eq!(recorded["trustgen_version"], version, "the manifest's version is not `trustgen --version`'s");
    assert_eq!(recorded["trustgen_commit"], commit, "the manifest's commit is not `trustgen --version`'s");
    // The reports show it where they show the version.
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(html.contains(printed), "report.html does not show `{printed}`");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["runs"][0]["trustgen_commit"], commit);
    // And every request says which trustgen sent it.
    let agents: std::collections::BTreeSet<_> =
        server.requests().iter().filter_map(|r| r.headers.get("user-agent").cloned()).collect();
    assert_eq!(agents.into_iter().collect::<Vec<_>>(), [format!("trustgen/{version}")]);
}
