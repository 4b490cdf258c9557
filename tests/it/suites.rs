//! The committed suites under `suites/`: every one validates, the full LLM suite runs every task of
//! all eight dimensions end to end against the project's test server with its committed script, and
//! the run seed decides the cases and variations.
//!
//! The embedded-model versions (`llm-*-embedded.toml`) take minutes on a 135M model and are run by
//! hand; the quick suite's embedded run is tested elsewhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{jsonl, root, run, run_suite, scripted_server, toml_string, trustgen};

/// The endpoint the committed test-server suites point at (`trustgen-testserver --port 8089`).
const COMMITTED_BASE: &str = "http://127.0.0.1:8089";

/// Tasks that build nothing without user-supplied data in this setting (a generator and a
/// retriever are configured, so nothing else is missing): they must then say why in
/// skipped.jsonl. Any other task without a case is a regression.
const NEED_USER_DATA: &[(&str, &str)] =
    &[("truthfulness", "hallucination-dialogue"), ("truthfulness", "hallucination-summarization"), ("privacy", "law")];

/// The generator templates a full run must have asked (the dynamic path of every builder).
const BUILDER_PURPOSES: &[&str] = &[
    "builder:jailbreak-query@1",
    "builder:persuasion@1",
    "builder:obscure@1",
    "builder:translate@1",
    "builder:over-refusal-keywords@1",
    "builder:over-refusal-questions@1",
    "builder:qa@1",
    "builder:fact-check@1",
    "builder:persona@1",
    "builder:honesty@1",
    "builder:disparagement@1",
    "builder:preference@1",
    "builder:distractive-text@1",
    "builder:recondite-word@1",
    "builder:privacy-query@1",
    "builder:privacy-rephrase@1",
    "builder:privacy-context@1",
    "builder:value-conflict@1",
];

fn suites_dir() -> PathBuf {
    root().join("suites")
}

/// Replaces `from` in `text`, which must occur exactly `times` times.
#[track_caller]
fn replace_exactly(text: &str, from: &str, to: &str, times: usize) -> String {
    assert_eq!(text.matches(from).count(), times, "expected `{from}` {times} times in the suite");
    text.replace(from, to)
}

/// A committed test-server suite, copied into `dir` with the server's address, absolute data and
/// corpus paths, runs written under `dir/runs`, and optionally another seed.
fn localized_suite(name: &str, dir: &Path, base: &str, seed: Option<u64>) -> PathBuf {
    let text = std::fs::read_to_string(suites_dir().join(name)).unwrap();
    let committed = format!("\"{COMMITTED_BASE}/v1\"");
    let roles = text.matches(&committed).count();
    assert!(roles > 0, "{name} names no model on the test server");
    let text = replace_exactly(&text, &committed, &format!("\"{base}/v1\""), roles);
    let corpus = suites_dir().join("testserver/corpus.jsonl");
    let corpora = text.matches("path = \"testserver/corpus.jsonl\"").count();
    let text = replace_exactly(
        &text,
        "path = \"testserver/corpus.jsonl\"",
        &format!("path = {}", toml_string(&corpus)),
        corpora,
    );
    let run = format!(
        "[run]\noutput_dir = {}\ndata_dir = {}\n",
        toml_string(&dir.join("runs")),
        toml_string(&suites_dir().join("data"))
    );
    let mut text = replace_exactly(&text, "[run]\n", &run, 1);
    if let Some(seed) = seed {
        text = replace_exactly(&text, "\nseed = 7\n", &format!("\nseed = {seed}\n"), 1);
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_else(|| panic!("no string `{key}` in {value}"))
}

#[test]
fn every_committed_suite_validates() {
    let mut names: Vec<String> = std::fs::read_dir(suites_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for wanted in [
        "quick.toml",
        "llm-safety-truthfulness.toml",
        "llm-safety-truthfulness-embedded.toml",
        "llm-full.toml",
        "llm-full-embedded.toml",
        "paper-scale.toml",
        "vlm-full.toml",
    ] {
        assert!(names.iter().any(|n| n == wanted), "suites/{wanted} is missing: {names:?}");
    }
    for name in &names {
        let path = suites_dir().join(name);
        let (code, stdout, stderr) = run(trustgen().current_dir(root()).arg("validate").arg(&path));
        assert_eq!(code, 0, "suites/{name} does not validate:\n{stdout}{stderr}");
    }
}

/// A suite whose `[[dimension]] options` tables have typos: `trustgen validate` and `trustgen run`
/// both stop before any model is asked, naming the file and line of each key and the option that
/// was meant (the plugins check their own options through `check_options`).
#[test]
fn option_typos_fail_validate_and_run_with_the_line_and_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("typos.toml");
    std::fs::write(
        &suite,
        r#"[models.target]
provider = "embedded"

[[dimension]]
plugin = "safety"
tasks = ["toxicity"]
options = { toxicity_judg = "offline" }

[[dimension]]
plugin = "truthfulness"
tasks = ["qa"]

[dimension.options]
dynamik = false

[[dimension]]
plugin = "privacy"
options = { queries = "authord" }
"#,
    )
    .unwrap();
    let shown = |text: &str| text.replace(&suite.display().to_string(), "typos.toml");
    let expected = expect_test::expect![[r#"
        error: typos.toml:7:13: [[dimension]] `safety` options: unknown option `toxicity_judg`; did you mean `toxicity_judge`?
        typos.toml:14:1: [[dimension]] `truthfulness` options: unknown option `dynamik`; did you mean `dynamic`?
        typos.toml:18:23: [[dimension]] `privacy` options: option `queries` is "authord"; allowed values: "auto", "authored", "generator"; did you mean `authored`?
    "#]];

    let (code, stdout, stderr) = run(trustgen().current_dir(dir.path()).arg("validate").arg(&suite));
    assert_ne!(code, 0, "validate accepted the typos:\n{stdout}{stderr}");
    expected.assert_eq(&shown(&stderr));

    let (code, stdout, stderr) = run(trustgen()
        .current_dir(dir.path())
        .env("TRUSTGEN_CACHE_DIR", dir.path().join("cache"))
        .args(["run", "--quiet", "--no-cache"])
        .arg(&suite));
    assert_ne!(code, 0, "run accepted the typos:\n{stdout}{stderr}");
    expected.assert_eq(&shown(&stderr));
    assert!(!dir.path().join("runs").exists(), "the run started");
}

/// The acceptance test of the LLM suites against the test server: `llm-full.toml` runs all eight
/// dimensions, every task, end to end, and the run directory holds the cases (with contextual
/// variations), outputs, verdicts (LLM-judged) and metrics of each.
#[test]
fn llm_full_runs_every_task_of_the_eight_dimensions_end_to_end_against_the_test_server() {
    let server = scripted_server();
    let dir = tempfile::tempdir().unwrap();
    let suite = localized_suite("llm-full.toml", dir.path(), server.base_url(), None);
    let run_dir = run_suite(dir.path(), &suite);

    let manifest = json(&run_dir.join("manifest.json"));
    assert_eq!(manifest["status"], "finished");
    let cases = jsonl(&run_dir.join("cases.jsonl"));
    let outputs = jsonl(&run_dir.join("outputs.jsonl"));
    let verdicts = jsonl(&run_dir.join("verdicts.jsonl"));
    let skipped = jsonl(&run_dir.join("skipped.jsonl"));
    let metrics = json(&run_dir.join("metrics.json"));
    let requests = jsonl(&run_dir.join("requests.jsonl"));

    // The suite selects every task of every LLM dimension.
    let dimensions = manifest["dimensions"].as_array().unwrap();
    let plugins: BTreeMap<&str, &Value> =
        manifest["plugins"].as_array().unwrap().iter().map(|p| (str_of(p, "name"), &p["manifest"])).collect();
    let names: BTreeSet<&str> = dimensions.iter().map(|d| str_of(d, "plugin")).collect();
    assert_eq!(
        names,
        BTreeSet::from(["safety", "truthfulness", "honesty", "fairness", "robustness", "privacy", "ethics", "ai-risk"])
    );

    let case_ids: BTreeSet<&str> = cases.iter().map(|c| str_of(&c["case"], "id")).collect();
    assert_eq!(case_ids.len(), cases.len(), "case ids are unique");
    let output_ids: BTreeSet<&str> = outputs.iter().map(|o| str_of(o, "case_id")).collect();
    let verdict_ids: BTreeSet<&str> = verdicts.iter().map(|v| str_of(v, "case_id")).collect();
    assert_eq!(output_ids, case_ids, "one output per case");
    assert_eq!(verdict_ids, case_ids, "one verdict per case");
    assert_eq!(verdicts.len(), cases.len());

    let metric_tasks: BTreeSet<(&str, &str)> =
        metrics["tasks"].as_array().unwrap().iter().map(|t| (str_of(t, "dimension"), str_of(t, "task"))).collect();
    let mut tasks_run = 0;
    for dimension in dimensions {
        let plugin = str_of(dimension, "plugin");
        // Every task for an llm target (a plugin's vlm- tasks run in vlm-full.toml).
        let all: Vec<&str> = plugins[plugin]["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["model_types"].as_array().is_some_and(|types| types.iter().any(|m| m == "llm")))
            .map(|t| str_of(t, "name"))
            .collect();
        let selected: Vec<&str> = dimension["tasks"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(selected, all, "llm-full.toml selects every llm task of `{plugin}`");
        for task in all {
            let built = cases.iter().filter(|c| c["dimension"] == plugin && c["case"]["task"] == task).count();
            if built == 0 {
                assert!(
                    NEED_USER_DATA.contains(&(plugin, task)),
                    "{plugin}/{task} built no case; skipped: {:?}",
                    skipped.iter().filter(|s| s["dimension"] == plugin && s["task"] == task).collect::<Vec<_>>()
                );
                let why = skipped
                    .iter()
                    .find(|s| s["dimension"] == plugin && s["task"] == task && s["item"] == "(task)")
                    .unwrap_or_else(|| panic!("{plugin}/{task} built nothing and skipped.jsonl does not say why"));
                assert!(str_of(why, "reason").contains("user-supplied"), "{why}");
                continue;
            }
            tasks_run += 1;
            assert!(metric_tasks.contains(&(plugin, task)), "metrics.json has no entry for {plugin}/{task}");
        }
    }
    assert!(tasks_run >= 32, "{tasks_run} tasks ran");

    // Every dimension whose tasks allow variations has a real one (not keep_original, not skipped),
    // and every dimension has verdicts scored by an LLM judge template.
    for dimension in dimensions {
        let plugin = str_of(dimension, "plugin");
        if !dimension["variations"].as_array().unwrap().is_empty() {
            let varied = cases
                .iter()
                .filter(|c| c["dimension"] == plugin)
                .filter_map(|c| c["case"]["variation"].as_object())
                .filter(|v| v["operator"] != "keep_original" && v.get("skipped").is_none_or(Value::is_null))
                .count();
            assert!(varied > 0, "no case of `{plugin}` carries a contextual variation");
        }
        let by_llm = verdicts
            .iter()
            .filter(|v| v["dimension"] == plugin && v["verdict"]["status"] == "scored")
            .filter(|v| v["verdict"]["judge"].as_str().is_some_and(|j| j.starts_with("llm:")))
            .count();
        assert!(by_llm > 0, "no verdict of `{plugin}` was scored by an LLM judge template");
    }
    // The script's deliberately unusable judge replies reach the verdicts as `unparseable`.
    assert!(
        verdicts.iter().any(|v| v["verdict"]["status"] == "unparseable"
            && v["verdict"]["judge"].as_str().is_some_and(|j| j.starts_with("llm:"))),
        "no LLM-judged verdict is unparseable"
    );
    // The builders took their generator (dynamic) path.
    let purposes: BTreeSet<&str> = requests.iter().filter_map(|r| r["request"]["purpose"].as_str()).collect();
    for purpose in BUILDER_PURPOSES {
        assert!(purposes.contains(purpose), "no request with purpose {purpose}");
    }
    assert!(server.stats().total > 500, "{} requests", server.stats().total);
}

/// Cases sorted by id, as JSON text (the `case` field, variation included).
fn case_fields(run_dir: &Path) -> Vec<String> {
    let mut cases: Vec<Value> = jsonl(&run_dir.join("cases.jsonl")).into_iter().map(|c| c["case"].clone()).collect();
    cases.sort_by(|a, b| str_of(a, "id").cmp(str_of(b, "id")));
    cases.iter().map(Value::to_string).collect()
}

fn metrics_without_id(run_dir: &Path) -> Value {
    let mut metrics = json(&run_dir.join("metrics.json"));
    metrics.as_object_mut().unwrap().remove("run_id");
    metrics
}

#[test]
fn same_seed_same_cases_and_variations_other_seed_other_ones() {
    let server = scripted_server();
    let run_with = |seed: u64| {
        let dir = tempfile::tempdir().unwrap();
        let suite = localized_suite("llm-safety-truthfulness.toml", dir.path(), server.base_url(), Some(seed));
        let run_dir = run_suite(dir.path(), &suite);
        (case_fields(&run_dir), metrics_without_id(&run_dir), dir)
    };
    let (first, first_metrics, _a) = run_with(7);
    let (again, again_metrics, _b) = run_with(7);
    let (other, _, _c) = run_with(8);
    assert!(first.len() > 100, "{} cases", first.len());
    assert!(first.iter().any(|c| c.contains("\"operator\":\"paraphrase\"")), "the runs vary cases");
    assert_eq!(first, again, "seed 7 twice: the same cases and variations");
    assert_eq!(first_metrics, again_metrics, "seed 7 twice: the same metrics");
    assert_ne!(first, other, "seed 8: other cases");
    let same = first.iter().filter(|c| other.contains(c)).count();
    assert!(same * 2 < first.len(), "seed 8 shares {same} of {} cases with seed 7", first.len());
}

/// `suites/paper-scale.toml` states in its header the requests, tokens and cost its `--dry-run`
/// expects: they are what a dry run prints today (a change in a builder or a limit that moves them
/// must update the header).
#[test]
fn the_paper_scale_header_states_what_its_dry_run_expects() {
    let server = scripted_server();
    let dir = tempfile::tempdir().unwrap();
    let suite = localized_suite("paper-scale.toml", dir.path(), server.base_url(), None);
    let (code, stdout, stderr) = run(trustgen()
        .current_dir(dir.path())
        .env("TRUSTGEN_CACHE_DIR", dir.path().join("cache"))
        .args(["run", "--dry-run"])
        .arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let header = std::fs::read_to_string(suites_dir().join("paper-scale.toml")).unwrap();
    let header_row = |role: &str| -> Vec<String> {
        let line = header
            .lines()
            .find(|l| l.strip_prefix('#').map(str::trim_start).is_some_and(|l| l.starts_with(&format!("{role} "))))
            .unwrap_or_else(|| panic!("no `{role}` row in the header of suites/paper-scale.toml"));
        line.trim_start_matches('#').split_whitespace().skip(1).map(str::to_owned).collect()
    };
    let mut total_requests = 0;
    let mut total_cost = 0.0;
    for role in ["target", "generator", "judge", "retriever"] {
        let printed = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{role} ")))
            .unwrap_or_else(|| panic!("no `{role}` row in the dry run:\n{stdout}"));
        // ROLE PROVIDER MODEL REQUESTS CACHED PROMPT OUTPUT COST
        let cells: Vec<&str> = printed.split_whitespace().collect();
        let measured = [cells[3], cells[5], cells[6], cells[7]].map(str::to_owned).to_vec();
        assert_eq!(header_row(role), measured, "the header's `{role}` row differs from the dry run:\n{stdout}");
        total_requests += cells[3].parse::<usize>().unwrap();
        total_cost += cells[7].parse::<f64>().unwrap_or(0.0);
    }
    let total = header_row("total");
    assert_eq!(total[0], total_requests.to_string(), "the header's total requests");
    assert_eq!(total[1], format!("{total_cost:.2}"), "the header's total cost");
    let finished = format!("{stdout}{stderr}");
    // `(35 tasks, 2395 cases)`
    let cases = &total[4];
    assert!(
        finished.contains(&format!("build {0}/{0} tasks", total[2].trim_start_matches('('))),
        "tasks in the header: {total:?}\n{finished}"
    );
    assert!(finished.contains(&format!("target {cases}/{cases}")), "cases in the header: {total:?}\n{finished}");
}

/// VLM tasks that build nothing in vlm-full.toml because they need user-supplied data (a folder
/// or a file named by a dimension option) or a model no registry package has: they must say why
/// in skipped.jsonl. Any other VLM task without a case is a regression.
const VLM_NEED_USER_DATA: &[(&str, &str)] = &[
    ("safety", "vlm-jailbreak-in-pieces"),
    ("safety", "vlm-universal-adversarial"),
    ("truthfulness", "vlm-hallusionbench"),
    ("robustness", "vlm-robust-caption"),
    ("robustness", "vlm-robust-vqav2"),
    ("privacy", "vlm-privacy-vispr"),
];

/// The acceptance test of issue 13: `vlm-full.toml` runs every VLM task of every dimension end to
/// end against the test server. Each task's cases carry images that are in the run store, each
/// case has an output and a verdict, each task has metrics, and every judge request of a template
/// a task declares image-dependent carried the image.
#[test]
fn vlm_full_runs_every_vlm_task_end_to_end_against_the_test_server() {
    let server = scripted_server();
    let dir = tempfile::tempdir().unwrap();
    let suite = localized_suite("vlm-full.toml", dir.path(), server.base_url(), None);
    let run_dir = run_suite(dir.path(), &suite);

    let manifest = json(&run_dir.join("manifest.json"));
    assert_eq!(manifest["status"], "finished");
    let cases = jsonl(&run_dir.join("cases.jsonl"));
    let outputs = jsonl(&run_dir.join("outputs.jsonl"));
    let verdicts = jsonl(&run_dir.join("verdicts.jsonl"));
    let skipped = jsonl(&run_dir.join("skipped.jsonl"));
    let metrics = json(&run_dir.join("metrics.json"));
    let requests = jsonl(&run_dir.join("requests.jsonl"));
    let stored: BTreeSet<String> = std::fs::read_dir(run_dir.join("images"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().split('.').next().unwrap().to_owned())
        .collect();

    let plugins: BTreeMap<&str, &Value> =
        manifest["plugins"].as_array().unwrap().iter().map(|p| (str_of(p, "name"), &p["manifest"])).collect();
    let metric_tasks: BTreeSet<(&str, &str)> =
        metrics["tasks"].as_array().unwrap().iter().map(|t| (str_of(t, "dimension"), str_of(t, "task"))).collect();
    let mut image_judges = BTreeSet::new();
    let mut tasks_run = Vec::new();
    let mut dimensions_with_vlm = BTreeSet::new();
    for (plugin, plugin_manifest) in &plugins {
        let Some(tasks) = plugin_manifest["tasks"].as_array() else { continue };
        for task in tasks {
            let is_vlm = task["model_types"].as_array().is_some_and(|t| t.iter().any(|m| m == "vlm"));
            if !is_vlm {
                continue;
            }
            let name = str_of(task, "name");
            dimensions_with_vlm.insert(*plugin);
            for template in task["image_judge_templates"].as_array().into_iter().flatten() {
                image_judges.insert(template.as_str().unwrap().to_owned());
            }
            let built: Vec<&Value> =
                cases.iter().filter(|c| c["dimension"] == *plugin && c["case"]["task"] == name).collect();
            if built.is_empty() {
                assert!(
                    VLM_NEED_USER_DATA.contains(&(plugin, name)),
                    "{plugin}/{name} built no case; skipped: {:?}",
                    skipped.iter().filter(|s| s["dimension"] == *plugin && s["task"] == name).collect::<Vec<_>>()
                );
                assert!(
                    skipped.iter().any(|s| s["dimension"] == *plugin && s["task"] == name),
                    "{plugin}/{name} built nothing and skipped.jsonl does not say why"
                );
                continue;
            }
            tasks_run.push(format!("{plugin}/{name}"));
            for case in &built {
                let id = str_of(&case["case"], "id");
                let images: Vec<&Value> = case["case"]["prompts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|p| p["images"].as_array().into_iter().flatten())
                    .collect();
                assert!(!images.is_empty(), "case {id} of a VLM task carries no image");
                for image in images {
                    let sha = image["source"]["stored"]["sha256"]
                        .as_str()
                        .unwrap_or_else(|| panic!("case {id}: an image not in the run store: {image}"));
                    assert!(stored.contains(sha), "case {id}: image {sha} is not in images/");
                }
                assert!(outputs.iter().any(|o| o["case_id"] == id), "case {id} has no output");
                assert!(verdicts.iter().any(|v| v["case_id"] == id), "case {id} has no verdict");
            }
            assert!(metric_tasks.contains(&(*plugin, name)), "metrics.json has no entry for {plugin}/{name}");
        }
    }
    for dimension in ["safety", "truthfulness", "fairness", "robustness", "privacy", "ethics"] {
        assert!(dimensions_with_vlm.contains(dimension), "`{dimension}` has no VLM task");
    }
    assert!(tasks_run.len() >= 8, "only {tasks_run:?} ran");
    // Only VLM tasks ran: the target reads images, and the LLM tasks are another suite's.
    assert!(cases.iter().all(|c| str_of(&c["case"], "task").starts_with("vlm-")), "a non-VLM task ran");

    // Judges of image-dependent answers saw the image.
    assert!(!image_judges.is_empty(), "no VLM task declares a judge that sees the image");
    for template in &image_judges {
        let name = template.split('@').next().unwrap();
        let judged: Vec<&Value> = requests
            .iter()
            .filter(|r| r["request"]["purpose"].as_str().is_some_and(|p| p.starts_with(&format!("judge:{name}@"))))
            .collect();
        assert!(!judged.is_empty(), "no judge request used `{template}`");
        for request in judged {
            let carried = request["request"]["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["images"].as_array().is_some_and(|i| !i.is_empty()));
            assert!(carried, "a `{template}` judge request carried no image: {}", request["request"]);
        }
    }

    // The image generator's drawings are in the run store, and the journal names them by hash
    // (a run does not keep every drawing in memory, nor base64 in requests.jsonl).
    let drawings: Vec<&Value> = requests
        .iter()
        .filter(|r| r["reply"]["images"].as_array().is_some_and(|i| !i.is_empty()))
        .flat_map(|r| r["reply"]["images"].as_array().unwrap())
        .collect();
    assert!(!drawings.is_empty(), "no image generator reply carried a drawing");
    for drawing in drawings {
        let sha = drawing["source"]["stored"]["sha256"]
            .as_str()
            .unwrap_or_else(|| panic!("a drawing recorded as something else than a stored hash: {drawing}"));
        assert!(stored.contains(sha), "drawing {sha} is not in images/");
    }
}
