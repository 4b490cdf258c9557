//! Running suites end to end against the project's test server over real
//! loopback HTTP: fatal errors, errors before any request, resume after
//! SIGKILL, the cache, dry runs, progress lines without a terminal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use expect_test::{Expect, expect};
use trustgen_testserver::{ServerConfig, TestServer};

use crate::support::{self, run, run_dir, testdim_dir};

const KEY_VAR: &str = "TG_IT_KEY";

/// A suite running `testdim` against the test server at `base`.
fn suite_text(out: &Path, base: &str, extra_run: &str, dimension: &str) -> String {
    format!(
        r#"[run]
name = "it"
seed = 11
concurrency = 4
output_dir = "{out}"
{extra_run}

[plugins]
dirs = ["{plugins}"]

[models.target]
provider = "openai"
model = "target-model"
base_url = "{base}/v1"
api_key_env = "{KEY_VAR}"
max_tokens = 32

[models.judge]
provider = "openai"
model = "judge-model"
base_url = "{base}/v1"
api_key_env = "{KEY_VAR}"

[[dimension]]
plugin = "testdim"
{dimension}
"#,
        out = out.join("runs").display(),
        plugins = testdim_dir().display(),
    )
}

fn write_suite(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("suite.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// [`support::trustgen_in`] with the test key set.
fn trustgen_in(dir: &Path) -> Command {
    let mut cmd = support::trustgen_in(dir);
    cmd.env(KEY_VAR, "sk-test-key-0123");
    cmd
}

fn metrics_without_ids(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("metrics.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value.as_object_mut().unwrap().remove("run_id");
    value
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

#[test]
fn a_run_writes_every_record_and_a_cached_rerun_sends_nothing() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(dir.path(), &suite_text(dir.path(), server.base_url(), "", "limit = 12"));
    let cache = dir.path().join("cache.sqlite");
    let (code, stdout, stderr) =
        run(trustgen_in(dir.path()).args(["run", "--quiet", "--cache"]).arg(&cache).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!((stdout.as_str(), stderr.as_str()), ("", ""), "--quiet prints nothing");
    let first = server.stats().total;
    assert!(first >= 12, "one target request per case at least, got {first}");
    let run1 = run_dir(dir.path());
    for file in [
        "manifest.json",
        "cases.jsonl",
        "requests.jsonl",
        "outputs.jsonl",
        "verdicts.jsonl",
        "metrics.json",
        "report.html",
    ] {
        assert!(run1.join(file).is_file(), "{file} missing");
    }
    assert_eq!(lines(&run1.join("cases.jsonl")), 12);
    assert_eq!(lines(&run1.join("verdicts.jsonl")), 12);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run1.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["status"], "finished");
    assert_eq!(manifest["plugins"].as_array().unwrap().iter().filter(|p| p["name"] == "testdim").count(), 1);

    // The same suite again: every reply comes from the cache.
    std::fs::rename(dir.path().join("runs"), dir.path().join("runs-1")).unwrap();
    let run1 = dir.path().join("runs-1").join(run1.file_name().unwrap());
    let (code, _, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--cache"]).arg(&cache).arg(&suite));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.stats().total, first, "a cached re-run sends zero requests");
    let run2 = run_dir(dir.path());
    assert_eq!(metrics_without_ids(&run1), metrics_without_ids(&run2));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run2.join("manifest.json")).unwrap()).unwrap();
    for usage in manifest["usage"].as_array().unwrap() {
        assert_eq!(usage["requests"], usage["cached"], "{usage}");
    }
}

/// `arithmetic` ignores the build window (its output has no `items`, like a plugin built before
/// windows existed): the engine takes its one output as the whole build, so a limit larger than
/// a window (`BUILD_WINDOW`) gives every case once, not a window's worth or duplicates.
#[test]
fn a_builder_ignoring_the_window_is_built_once_and_fully() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let limit = trustgen_engine::BUILD_WINDOW * 2 + 6;
    let dimension = format!("tasks = [\"arithmetic\"]\nlimit = {limit}");
    let suite = write_suite(dir.path(), &suite_text(dir.path(), server.base_url(), "", &dimension));
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    // cases.jsonl is in the order the cases finished.
    let mut ids: Vec<String> = support::jsonl(&run_dir(dir.path()).join("cases.jsonl"))
        .iter()
        .map(|r| r["case"]["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut expected: Vec<String> = (0..limit).map(|i| format!("testdim/arithmetic/{i}")).collect();
    expected.sort();
    assert_eq!(ids, expected);
}

#[test]
fn a_bad_key_stops_the_run_and_the_key_appears_nowhere() {
    let server = TestServer::spawn(ServerConfig::default().with_api_key("sk-the-right-one")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(dir.path(), &suite_text(dir.path(), server.base_url(), "", "limit = 40"));
    let secret = "sk-wrong-secret-8731";
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).env(KEY_VAR, secret).args(["run", "--quiet"]).arg(&suite));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains(KEY_VAR), "the error names the key variable: {stderr}");
    assert!(stderr.contains("target-model") || stderr.contains("judge-model"), "the error names the model: {stderr}");
    assert!(!stderr.contains(secret) && !stdout.contains(secret));
    assert!(
        server.stats().total <= 4,
        "stopped at once (at most the concurrency of 4 in flight), after {} requests",
        server.stats().total
    );
    // Nothing written anywhere holds the key.
    let mut files = Vec::new();
    collect_files(dir.path(), &mut files);
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{} contains the key", file.display());
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir(dir.path()).join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["status"], "failed");
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { collect_files(&path, out) } else { out.push(path) }
    }
}

#[track_caller]
fn check_rejected(dir: &Path, suite: &str, env_remove: Option<&str>, expected: Expect) {
    let path = write_suite(dir, suite);
    let mut cmd = trustgen_in(dir);
    if let Some(var) = env_remove {
        cmd.env_remove(var);
    }
    let (code, stdout, stderr) = run(cmd.args(["run", "--quiet"]).arg(&path));
    assert_eq!(code, 1, "{stdout}{stderr}");
    expected.assert_eq(&stderr.replace(&dir.display().to_string(), "$DIR"));
}

#[test]
fn bad_suites_fail_before_any_request() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = server.base_url();
    let good = suite_text(dir.path(), base, "", "limit = 3");
    check_rejected(
        dir.path(),
        &good.replace("[run]", "[run"),
        None,
        expect![[r#"
            error: $DIR/suite.toml:1:5: unclosed table, expected `]`
        "#]],
    );
    check_rejected(
        dir.path(),
        &good.replace("concurrency = 4", "concurency = 4"),
        None,
        expect![[r#"
            error: $DIR/suite.toml:4:1: unknown key `concurency` in [run]; did you mean `concurrency`?
        "#]],
    );
    check_rejected(
        dir.path(),
        &good,
        Some(KEY_VAR),
        expect![[r#"
            error: 2 problems found before anything was sent:
              - [models.target] (openai model `target-model`): the API key variable `TG_IT_KEY` (api_key_env) is not set; hint: export TG_IT_KEY=... before the run, or point api_key_env at the variable that holds the key
              - [models.judge] (openai model `judge-model`): the API key variable `TG_IT_KEY` (api_key_env) is not set; hint: export TG_IT_KEY=... before the run, or point api_key_env at the variable that holds the key
        "#]],
    );
    check_rejected(
        dir.path(),
        &good.replace(base, "http://127.0.0.1:9"),
        None,
        expect![[r#"
            error: 2 problems found before anything was sent:
              - [models.target] openai model `target-model`: cannot connect to http://127.0.0.1:9/v1: 127.0.0.1:9: Connection refused (os error 111); hint: check `base_url` and that the server is running and reachable from here
              - [models.judge] openai model `judge-model`: cannot connect to http://127.0.0.1:9/v1: 127.0.0.1:9: Connection refused (os error 111); hint: check `base_url` and that the server is running and reachable from here
        "#]],
    );
    check_rejected(
        dir.path(),
        &good.replace("limit = 3", "tasks = [\"arithmatic\"]"),
        None,
        expect![[r#"
            error: $DIR/suite.toml:26:10: plugin `testdim` has no task `arithmatic`; did you mean `arithmetic`?
        "#]],
    );
    assert_eq!(server.stats().total, 0, "no request was sent");
    assert!(!dir.path().join("runs").exists() || std::fs::read_dir(dir.path().join("runs")).unwrap().next().is_none());
}

#[test]
fn a_dry_run_counts_requests_and_sends_none() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(dir.path(), &suite_text(dir.path(), server.base_url(), "", "limit = 10"));
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--dry-run"]).arg(&suite));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("dry run"), "{stdout}");
    let target = stdout.lines().find(|l| l.starts_with("target")).expect("a target row");
    assert!(target.split_whitespace().any(|w| w == "10"), "10 target requests: {target}");
    assert_eq!(server.stats().total, 0);
    assert!(!dir.path().join("runs").exists());
}

#[test]
fn resume_after_sigkill_sends_no_recorded_request_again_and_ends_with_the_same_metrics() {
    let server = TestServer::spawn(ServerConfig::default().with_latency(Duration::from_millis(60))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(dir.path(), &suite_text(dir.path(), server.base_url(), "", "limit = 60"));

    let mut child = trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite).spawn().unwrap();
    let start = Instant::now();
    let run = loop {
        assert!(start.elapsed() < Duration::from_secs(120), "the run never got going");
        if let Ok(mut entries) = std::fs::read_dir(dir.path().join("runs"))
            && let Some(entry) = entries.next()
        {
            let run = entry.unwrap().path();
            if lines(&run.join("verdicts.jsonl")) >= 15 {
                break run;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let journal = std::fs::read_to_string(run.join("requests.jsonl")).unwrap();
    let recorded: Vec<serde_json::Value> = journal.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(lines(&run.join("verdicts.jsonl")) < 60, "killed mid-run");

    let (code, stdout, stderr) =
        crate::support::run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache", "--resume"]).arg(&run));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(lines(&run.join("verdicts.jsonl")), 60);

    // Every request whose reply reached the journal before the kill was sent once.
    let sent = server.requests();
    let conversation = |messages: &serde_json::Value| -> String {
        messages
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\u{1}")
    };
    for record in &recorded {
        let wanted = conversation(&record["request"]["messages"]);
        let times =
            sent.iter().filter(|r| r.body.as_ref().is_some_and(|b| conversation(&b["messages"]) == wanted)).count();
        assert_eq!(times, 1, "a journalled request was sent {times} times: {wanted}");
    }
    // Only requests in flight at the kill (at most the concurrency) can repeat.
    let duplicates: u64 = server.stats().duplicates.values().map(|n| n - 1).sum();
    assert!(duplicates <= 4, "{duplicates} repeated requests");

    // An uninterrupted run of the same suite ends with the same metrics.
    let reference = tempfile::tempdir().unwrap();
    let suite2 = write_suite(reference.path(), &suite_text(reference.path(), server.base_url(), "", "limit = 60"));
    let (code, _, stderr) =
        crate::support::run(trustgen_in(reference.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite2));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(metrics_without_ids(&run), metrics_without_ids(&run_dir(reference.path())));
}

/// The `(label, judged, cases)` of a progress line on stderr:
/// `progress [1.2s]: build 1/1 tasks, target 9/40, judge 8/40 cases (...)`;
/// `cases` is `None` while the cases are being built.
fn progress_line(line: &str) -> Option<(&str, usize, Option<usize>)> {
    let (label, rest) = line.split_once(" [")?;
    if !["progress", "finished", "stopped"].contains(&label) {
        return None;
    }
    let judge = rest.split(", judge ").nth(1)?.split_whitespace().next()?;
    let (done, total) = judge.split_once('/')?;
    Some((label, done.parse().ok()?, total.parse().ok()))
}

#[test]
fn without_a_terminal_progress_is_a_line_per_interval_with_growing_counts_then_a_final_line() {
    let server = TestServer::spawn(ServerConfig::default().with_latency(Duration::from_millis(150))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(dir.path(), &suite_text(dir.path(), server.base_url(), "", "limit = 40"));
    // stderr is a pipe here, as in CI.
    let started = Instant::now();
    let (code, stdout, stderr) = run(trustgen_in(dir.path())
        .env("TRUSTGEN_PROGRESS_INTERVAL", "200ms")
        .args(["run", "--no-cache", "--no-report"])
        .arg(&suite));
    let took = started.elapsed();
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("run directory: "), "{stdout}");
    let lines: Vec<(&str, usize, Option<usize>)> = stderr.lines().filter_map(progress_line).collect();
    let periodic: Vec<usize> = lines.iter().filter(|l| l.0 == "progress").map(|l| l.1).collect();
    // 40 cases at 150 ms a request, 4 at a time: at least 1.5 s, so 7 intervals.
    assert!(took >= Duration::from_millis(1500), "the run was too quick to test intervals: {took:?}");
    assert!(periodic.len() >= 3, "one line per 200 ms over {took:?}:\n{stderr}");
    assert!(periodic.windows(2).all(|w| w[0] <= w[1]), "counts never go down: {periodic:?}\n{stderr}");
    assert!(periodic.first() < periodic.last(), "counts grow: {periodic:?}\n{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert_eq!(progress_line(last), Some(("finished", 40, Some(40))), "the final line: {last}");
    assert!(last.contains("build 1/1 tasks, target 40/40, judge 40/40 cases"), "{last}");
    assert!(last.contains(&format!("{} sent", server.stats().total)), "every request counted once: {last}");
    assert_eq!(lines.iter().filter(|l| l.0 != "progress").count(), 1, "one final line:\n{stderr}");
}
