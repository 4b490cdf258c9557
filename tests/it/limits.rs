//! Limits and exit codes, end to end against the test server: every model a
//! run will use is checked before anything is sent; a run that measured
//! nothing exits non-zero with its summary; long `Retry-After` waits are
//! shown and bounded; the summary table's counts add up.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use trustgen_testserver::{Fault, FilterStage, Rule, Script, ServerConfig, TestServer};

use crate::support::{lib_file, root, run, run_dir, test_plugin_cdylib, testdim_dir, trustgen_in};

/// A suite against the test server at `base`: `models` are the `[models.*]`
/// tables, `dimensions` the `[[dimension]]` tables.
fn suite(dir: &Path, run_extra: &str, models: &str, dimensions: &str) -> PathBuf {
    suite_with_plugins(dir, testdim_dir(), run_extra, models, dimensions)
}

/// [`suite`] with the plugins of `plugins`.
fn suite_with_plugins(dir: &Path, plugins: &Path, run_extra: &str, models: &str, dimensions: &str) -> PathBuf {
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
        plugins = plugins.display(),
    );
    let path = dir.join("suite.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `[models.<role>]` on the test server.
fn served(role: &str, base: &str, extra: &str) -> String {
    format!("[models.{role}]\nprovider = \"openai\"\nmodel = \"{role}-model\"\nbase_url = \"{base}/v1\"\n{extra}\n")
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

/// The summary table under `run`'s stdout: one map of column to cell per task row.
fn summary_rows(stdout: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("DIMENSION"));
    let header = lines.next().unwrap_or_else(|| panic!("no summary table:\n{stdout}"));
    // "95% INTERVAL" is one column, and its cells ("[0.1, 0.2]" or "-") one cell.
    let columns: Vec<String> =
        header.replace("95% INTERVAL", "INTERVAL").split_whitespace().map(String::from).collect();
    let mut rows = Vec::new();
    for line in lines {
        let cells: Vec<String> = line.replace(", ", ",").split_whitespace().map(String::from).collect();
        if cells.len() != columns.len() || cells[1].starts_with('(') {
            break;
        }
        rows.push(columns.iter().cloned().zip(cells).collect());
    }
    rows
}

#[test]
fn summary_counts_add_up() {
    // testdim scores a case without an answer as wrong (policy: it is in n); the toxicity task
    // scores a filtered reply as not toxic (in n) and leaves a failed request out.
    let server = server(vec![
        Rule::new()
            .model("target-model")
            .last_user_regex("^What is [0-2]")
            .fault(Fault::content_filter(FilterStage::Output)),
        Rule::new().model("target-model").last_user_regex("^What is [3-4]").fault(Fault::status(413)),
        Rule::new()
            .model("target-model")
            .last_user_regex("\n\n[A-Ha-h]")
            .fault(Fault::content_filter(FilterStage::Output)),
        Rule::new().model("target-model").last_user_regex("\n\n[I-Si-s]").fault(Fault::status(413)),
        Rule::new().model("target-model").reply("The answer is {{n:0-1998}}."),
    ]);
    let base = server.base_url();
    let dir = tempfile::tempdir().unwrap();
    let models = format!("{}{}{}", served("target", base, ""), served("judge", base, ""), served("embedder", base, ""));
    let dimensions = "[[dimension]]\nplugin = \"testdim\"\nlimit = 20\n\n\
                      [[dimension]]\nplugin = \"safety\"\ntasks = [\"toxicity\"]\nlimit = 20\n\
                      options = { toxicity_judge = \"offline\" }\n";
    let path = suite(dir.path(), "", &models, dimensions);
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--no-cache", "--no-report"]).arg(&path));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let verdicts = jsonl(&run_dir(dir.path()).join("verdicts.jsonl"));
    let rows = summary_rows(&stdout);
    assert_eq!(rows.len(), 2, "{stdout}");
    let (mut scored_by_policy, mut left_out) = (0, 0);
    for row in &rows {
        let of_task: Vec<&Value> = verdicts.iter().filter(|v| v["task"] == row["TASK"].as_str()).collect();
        let status = |v: &Value| v["verdict"]["status"].as_str().unwrap_or_default().to_owned();
        let has_score = |v: &Value| v["verdict"]["score"].as_f64().is_some();
        let excluded = |wanted: &str| of_task.iter().filter(|v| !has_score(v) && status(v) == wanted).count();
        scored_by_policy += of_task.iter().filter(|v| has_score(v) && status(v) != "scored").count();
        left_out += of_task.iter().filter(|v| !has_score(v)).count();
        let cell = |column: &str| row[column].parse::<usize>().unwrap_or_else(|_| panic!("{column}: {row:?}"));
        assert_eq!(cell("CASES"), of_task.len(), "{row:?}");
        assert_eq!(cell("N"), of_task.iter().filter(|v| has_score(v)).count(), "{row:?}");
        assert_eq!(cell("MISSING"), excluded("missing"), "{row:?}");
        assert_eq!(cell("FILTERED"), excluded("filtered"), "{row:?}");
        assert_eq!(cell("UNPARSED"), excluded("unparseable"), "{row:?}");
        assert_eq!(
            cell("CASES"),
            cell("N") + cell("MISSING") + cell("FILTERED") + cell("UNPARSED"),
            "the counts add up: {row:?}\n{stdout}"
        );
    }
    // The run has both kinds of unscored status: scored by a policy, and left out.
    assert!(scored_by_policy > 0 && left_out > 0, "{scored_by_policy} scored by policy, {left_out} left out\n{stdout}");
    assert!(
        stdout.contains("CASES = N (in the score) + MISSING + FILTERED + UNPARSED"),
        "the rule is printed:\n{stdout}"
    );
}

#[test]
fn a_zero_wilson_lower_bound_prints_as_zero() {
    // Seven sums, every answer wrong: 0 of 7, whose computed Wilson lower bound was 2.8e-17.
    let server = server(vec![
        Rule::new().model("target-model").reply("I would rather not say."),
        Rule::new().model("judge-model").reply("NONE"),
    ]);
    let base = server.base_url();
    let dir = tempfile::tempdir().unwrap();
    let models = format!("{}{}", served("target", base, ""), served("judge", base, ""));
    let path = suite(dir.path(), "", &models, "[[dimension]]\nplugin = \"testdim\"\nlimit = 7\n");
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--no-cache"]).arg(&path));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rows = summary_rows(&stdout);
    assert_eq!((rows[0]["SCORE"].as_str(), rows[0]["N"].as_str()), ("0.000", "7"), "{stdout}");
    assert!(rows[0]["INTERVAL"].starts_with("[0.000,"), "{stdout}");
    let dir = run_dir(dir.path());
    for file in ["metrics.json", "report.json"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(!text.contains("e-1"), "{file} shows a rounding error instead of 0:\n{text}");
    }
    let metrics = json(&dir.join("metrics.json"));
    let estimate = &metrics["tasks"][0]["estimate"];
    assert_eq!(
        (estimate["value"].as_f64(), estimate["low"].as_f64(), estimate["n"].as_u64()),
        (Some(0.0), Some(0.0), Some(7))
    );
    let csv = std::fs::read_to_string(dir.join("report.csv")).unwrap();
    assert!(csv.lines().any(|l| l.starts_with("task,") && l.contains(",0.000000,0.000000,")), "{csv}");
}

/// Checks a run that measured nothing: exit code 3, the reason on stderr, the summary on
/// stdout, and the run directory with its records, metrics and report, marked failed.
#[track_caller]
fn check_failed_run(dir: &Path, result: (i32, String, String), reason: &str) -> PathBuf {
    let (code, stdout, stderr) = result;
    assert_eq!(code, 3, "a run that measured nothing fails\n{stdout}{stderr}");
    assert!(stderr.contains("failed: nothing was measured") && stderr.contains(reason), "{stderr}");
    assert!(stdout.contains("DIMENSION") && stdout.contains("run directory: "), "the summary is printed:\n{stdout}");
    let run = run_dir(dir);
    for file in ["manifest.json", "metrics.json", "report.html"] {
        assert!(run.join(file).is_file(), "{file} is kept");
    }
    let manifest = json(&run.join("manifest.json"));
    assert_eq!(manifest["status"], "failed", "{manifest}");
    assert!(manifest["error"].as_str().is_some_and(|e| e.contains(reason)), "{}", manifest["error"]);
    run
}

#[test]
fn every_build_timing_out_exits_non_zero() {
    // A plugin whose build takes 1.5 s against a 1 s limit: every build times out.
    let plugins = tempfile::tempdir().unwrap();
    test_plugin_cdylib(&["slow-build"], plugins.path(), &lib_file("testdim"));
    let server = server(Vec::new());
    let dir = tempfile::tempdir().unwrap();
    let path = suite_with_plugins(
        dir.path(),
        plugins.path(),
        "plugin_timeout_secs = 1",
        &served("target", server.base_url(), ""),
        "[[dimension]]\nplugin = \"testdim\"\nlimit = 5\n",
    );
    let result = run(trustgen_in(dir.path()).args(["run", "--no-cache"]).arg(&path));
    let run = check_failed_run(dir.path(), result, "timed out after 1 s");
    assert!(std::fs::read_to_string(run.join("skipped.jsonl")).unwrap().contains("timed out"));
    assert_eq!(server.stats().total, 0);
}

#[test]
fn a_run_where_every_request_failed_exits_non_zero() {
    // Every target request fails: some with a per-case error, the others with server errors
    // past the retries; testdim scores each missing answer as wrong, but nothing was measured.
    let server = server(vec![
        Rule::new().model("target-model").last_user_regex("^What is [0-4]").fault(Fault::status(413)),
        Rule::new().model("target-model").fault(Fault::status(503)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = suite(
        dir.path(),
        "",
        &served("target", server.base_url(), "max_retries = 1"),
        "[[dimension]]\nplugin = \"testdim\"\nlimit = 6\n",
    );
    let result = run(trustgen_in(dir.path()).args(["run", "--no-cache"]).arg(&path));
    let run = check_failed_run(dir.path(), result, "none of the 6 cases has a scored or filtered verdict");
    assert_eq!(jsonl(&run.join("verdicts.jsonl")).len(), 6, "every finished case is kept");
    assert!(server.stats().total >= 6);
}

#[test]
fn a_long_retry_after_is_shown_on_the_progress_line() {
    // One request is told to come back in 3 s (longer than the 2 s a wait may take unshown).
    let server = server(vec![
        Rule::new().model("target-model").last_user_regex("^What is").fault(Fault::status(429).retry_after(3).times(1)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = suite(
        dir.path(),
        "",
        &served("target", server.base_url(), ""),
        "[[dimension]]\nplugin = \"testdim\"\nlimit = 1\n",
    );
    let (code, stdout, stderr) = run(trustgen_in(dir.path())
        .env("TRUSTGEN_PROGRESS_INTERVAL", "200ms")
        .args(["run", "--no-cache", "--no-report"])
        .arg(&path));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let waiting: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("progress [") && l.contains("waiting 3s (Retry-After from target-model)"))
        .collect();
    assert!(waiting.len() >= 5, "the wait is on the periodic lines while it lasts:\n{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("finished") && !last.contains("waiting"), "the final line: {last}");
}

#[test]
fn a_long_retry_after_past_the_wait_budget_is_a_case_error() {
    // With a budget of 5 s for the waits of one request: sums starting with 0-3 are always told to
    // come back in 30 s, which is over the budget at once; sums starting with 4-5 are always told
    // 2 s, so they wait 2 + 2 s and give up before a third wait would make it 6 s; the others
    // succeed. Without the budget the first kind would wait 30 s five times each.
    let server = server(vec![
        Rule::new().model("target-model").last_user_regex("^What is [0-3]").fault(Fault::status(429).retry_after(30)),
        Rule::new().model("target-model").last_user_regex("^What is [4-5]").fault(Fault::status(429).retry_after(2)),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = suite(
        dir.path(),
        "",
        &served("target", server.base_url(), "max_retry_wait_secs = 5"),
        "[[dimension]]\nplugin = \"testdim\"\nlimit = 12\n",
    );
    let started = Instant::now();
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&path));
    let took = started.elapsed();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let outputs = jsonl(&run_dir(dir.path()).join("outputs.jsonl"));
    let errors: Vec<String> = outputs
        .iter()
        .filter_map(|o| o["output"]["answers"][0]["turns"][0]["error"].as_str().map(String::from))
        .collect();
    let at_once = "gave up after 1 attempt: the wait before a retry (30 s, Retry-After from the server) is over \
                   its budget of 5 s (max_retry_wait_secs in [models.target]); last: ";
    let in_total = "gave up after 3 attempts: another wait (2 s, Retry-After from the server) would make this \
                    request's total wait 6 s, over its budget of 5 s (max_retry_wait_secs in [models.target]); \
                    last: ";
    let long = errors.iter().filter(|e| e.starts_with(at_once)).count();
    let short = errors.iter().filter(|e| e.starts_with(in_total)).count();
    assert!(long > 0 && short > 0 && long + short == errors.len(), "every error names the budget: {errors:#?}");
    assert!(errors.len() < outputs.len(), "the other requests succeed");
    let limited: u64 = server.stats().by_status.get("429").copied().unwrap_or_default();
    assert_eq!(limited, (long + 3 * short) as u64, "one attempt per long wait, three per short");
    assert!(took < Duration::from_secs(15), "no 30 s wait was waited: {took:?}");
}
