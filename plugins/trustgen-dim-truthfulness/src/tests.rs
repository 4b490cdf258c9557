//! Plugin-level checks: every task is deterministic given the seed and varies with it, unknown
//! tasks are errors, and the plugin is registered under its name; and the fixtures of every test
//! module (the harness is `trustgen_plugin_kit::testing`).

use expect_test::expect;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{Dimension, ScoreInput, TestCase};

use crate::data::sources;
use crate::{Truthfulness, tasks};
use serde_json::Value;
use trustgen_plugin_api::{BuildInput, ModelOutput, Verdict};
use trustgen_plugin_kit::testing::{self, Models, fingerprint as ids_and_truths, jsonl};

/// Four claims with evidence (one `NOT ENOUGH INFO`) of four fact-checking sets.
pub(crate) fn fact_check_rows() -> Vec<Value> {
    jsonl(include_str!("../testdata/fact_check.jsonl"))
}

/// Three HaluEval dialogue rows and one without its dialogue.
pub(crate) fn halueval_dialogue() -> Vec<Value> {
    jsonl(include_str!("../testdata/halueval_dialogue.jsonl"))
}

/// Three HaluEval summarization rows.
pub(crate) fn halueval_summarization() -> Vec<Value> {
    jsonl(include_str!("../testdata/halueval_summarization.jsonl"))
}

/// A build input with every source of the sample data (`testdata/`; optional sources as given):
/// eight HaluEval QA rows (`h-noisy` has a "hallucinated" answer that restates the right one,
/// `h-bad` no question), four TruthfulQA rows, topics, fact-check sites and keywords, personas,
/// follow-ups and Anthropic's sycophancy rows.
pub(crate) fn input(task: &str, seed: u64, limit: Option<usize>, models: Models) -> BuildInput {
    let data = vec![
        (sources::TRUTHFULQA.name, jsonl(include_str!("../testdata/truthfulqa.jsonl"))),
        (sources::HALUEVAL_QA.name, jsonl(include_str!("../testdata/halueval.jsonl"))),
        (sources::ANTHROPIC.name, jsonl(include_str!("../testdata/anthropic.jsonl"))),
        (sources::QA_TOPICS.name, jsonl(include_str!("../testdata/qa_topics.jsonl"))),
        (sources::FC_SITES.name, jsonl(include_str!("../testdata/fc_sites.jsonl"))),
        (sources::FC_KEYWORDS.name, jsonl(include_str!("../testdata/fc_keywords.jsonl"))),
        (sources::PERSONAS.name, jsonl(include_str!("../testdata/personas.jsonl"))),
        (sources::FOLLOWUPS.name, jsonl(include_str!("../testdata/followups.jsonl"))),
    ];
    testing::build_input(task, seed, limit, data, models, Value::Null)
}

/// Scores a case with recorded judge replies (answered in order; more requests fail the test);
/// the verdict and the number of requests.
pub(crate) fn score(case: &TestCase, output: ModelOutput, models: Models, judge: &[&str]) -> (Verdict, usize) {
    let input = testing::score_input(case, output, models, Value::Null);
    let (verdict, asked) = testing::score(&Truthfulness, &input, testing::recorded(judge));
    (verdict, asked.len())
}

/// The case of `task` (built from all sample rows, seed 1) whose ground truth is `truth`.
pub(crate) fn case_with(task: &str, truth: &str) -> TestCase {
    let out = testing::build_offline(&Truthfulness, &input(task, 1, None, Models::NONE));
    match out.cases.into_iter().find(|c| c.ground_truth.as_deref() == Some(truth)) {
        Some(case) => case,
        None => panic!("no `{task}` case has the ground truth `{truth}`"),
    }
}

#[test]
fn same_seed_same_cases_different_seed_different_ones() {
    for task in crate::TASKS.names() {
        if task == tasks::VLM_HALLUSIONBENCH {
            // Needs the option and the user's rows: vlm::tests covers its seeded sample.
            continue;
        }
        let build = |seed: u64| {
            let mut input = input(task, seed, Some(3), Models::NONE);
            input.data.insert(sources::FACT_CHECK.name.into(), fact_check_rows());
            input.data.insert(sources::HALUEVAL_DIALOGUE.name.into(), halueval_dialogue());
            input.data.insert(sources::HALUEVAL_SUMMARIZATION.name.into(), halueval_summarization());
            testing::build_offline(&Truthfulness, &input)
        };
        let first = build(7);
        // The sample Anthropic data has two usable items.
        assert_eq!(first.cases.len(), if task == tasks::ANTHROPIC { 2 } else { 3 }, "{task}");
        assert_eq!(first, build(7), "{task}: same seed, same cases");
        assert!(first.cases.iter().all(|c| c.task == task && c.id.starts_with(&format!("truthfulness/{task}/"))));
        let differs = [8, 9, 10].iter().any(|&seed| ids_and_truths(&build(seed)) != ids_and_truths(&first));
        assert!(differs, "{task}: other seeds give the same cases");
    }
}

#[test]
fn unknown_tasks_are_errors() {
    let build = drive(|cx| Truthfulness.build(cx, &input("truthiness", 1, None, Models::NONE)), |_| vec![]);
    expect![[r#"Err("the truthfulness plugin has no task `truthiness`; its tasks are: qa, qa-context, fact-check, sycophancy-persona, sycophancy-preconception, sycophancy-self-doubt, sycophancy-anthropic, hallucination, hallucination-mc, hallucination-dialogue, hallucination-summarization, vlm-hallucination-generated, vlm-hallusionbench")"#]]
        .assert_eq(&format!("{:?}", build.map(|_| ())));
    let case = TestCase::default().with_id("x/1").with_task("truthiness");
    let input = ScoreInput::default().with_case(case);
    let score = drive(|cx| Truthfulness.score(cx, &input), |_| vec![]);
    assert!(format!("{score:?}").contains("case `x/1`: the truthfulness plugin has no task `truthiness`"));
}

#[test]
fn the_plugin_is_registered_under_its_name() {
    let linked = trustgen_plugin_api::LinkedPlugin::all().find(|p| p.declaration.name() == "truthfulness");
    assert!(linked.is_some(), "export_plugin! registers the plugin");
    let manifest = serde_json::to_value(Truthfulness.manifest()).expect("the manifest serializes");
    assert_eq!(manifest["tasks"].as_array().map(Vec::len), Some(crate::TASKS.names().len()));
}

/// Every row of the real bundled files and metadata, keyed like the engine keys them.
fn bundled_input(task: &str) -> trustgen_plugin_api::BuildInput {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/data");
    let mut input = trustgen_plugin_api::BuildInput::new(task, 7);
    for trustgen_plugin_kit::Source { name, path } in [
        sources::TRUTHFULQA,
        sources::HALUEVAL_QA,
        sources::ANTHROPIC,
        sources::QA_TOPICS,
        sources::FC_SITES,
        sources::FC_KEYWORDS,
        sources::PERSONAS,
        sources::FOLLOWUPS,
    ] {
        let text = match std::fs::read_to_string(root.join(path)) {
            Ok(text) => text,
            Err(err) => panic!("cannot read suites/data/{path}: {err}"),
        };
        let rows = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("suites/data/{path}: {e}")))
            .collect();
        input.data.insert(name.into(), rows);
    }
    input
}

/// The real bundled data builds every task at its default limit without a generator; the skip
/// counts are measurements of the data (44 HaluEval rows whose hallucinated answer contains
/// the right one; every Anthropic item's question separates from its biography).
#[test]
fn the_bundled_data_builds_every_task() {
    let manifest = Truthfulness.manifest();
    let lines: Vec<String> = crate::TASKS
        .names()
        .iter()
        .map(|task| {
            let mut input = bundled_input(task);
            input.limit = manifest.task(task).and_then(|t| t.default_limit);
            let out = testing::build_offline(&Truthfulness, &input);
            let skipped: Vec<String> = out
                .skipped
                .iter()
                .map(|s| format!("{}: {}", s.item, s.reason.split(';').next().unwrap_or("")))
                .collect();
            format!("{task}: {} cases; skipped {skipped:?}", out.cases.len())
        })
        .collect();
    expect![[r#"
        qa: 30 cases; skipped []
        qa-context: 30 cases; skipped []
        fact-check: 0 cases; skipped ["(task): needs a generator model and a retriever ([models.generator] and [models.retriever] in the suite) or the user-supplied truthfulness/fact_check.jsonl (fields source, claim, evidence, label SUPPORT/REFUTE"]
        sycophancy-persona: 30 cases; skipped ["truthfulness/halueval_qa.jsonl (44 of 300 rows): the hallucinated answer contains the right answer (a known HaluEval labelling flaw), so these rows cannot serve as a wrong answer"]
        sycophancy-preconception: 30 cases; skipped ["truthfulness/halueval_qa.jsonl (44 of 300 rows): the hallucinated answer contains the right answer (a known HaluEval labelling flaw), so these rows cannot serve as a wrong answer"]
        sycophancy-self-doubt: 30 cases; skipped []
        sycophancy-anthropic: 30 cases; skipped []
        hallucination: 40 cases; skipped ["truthfulness/halueval_qa.jsonl (44 of 300 rows): the hallucinated answer contains the right answer (a known HaluEval labelling flaw), so these rows cannot serve as a wrong answer"]
        hallucination-mc: 30 cases; skipped ["truthfulness/halueval_qa.jsonl (44 of 300 rows): the hallucinated answer contains the right answer (a known HaluEval labelling flaw), so these rows cannot serve as a wrong answer"]
        hallucination-dialogue: 0 cases; skipped ["(task): needs the user-supplied truthfulness/halueval_dialogue.jsonl (fields knowledge, dialogue_history, right_response, hallucinated_response), not bundled because it is built on OpenDialKG (CC-BY-NC-4.0)"]
        hallucination-summarization: 0 cases; skipped ["(task): needs the user-supplied truthfulness/halueval_summarization.jsonl (fields document, right_summary, hallucinated_summary), not bundled because its documents are CNN/DailyMail news articles (copyrighted)"]
        vlm-hallucination-generated: 32 cases; skipped []
        vlm-hallusionbench: 0 cases; skipped ["(task): needs the user's HallusionBench folder: set `hallusionbench_dir` in this dimension's options to a folder of the data directory holding HallusionBench.json and its images (github.com/tianyi-lab/HallusionBench, BSD-3-Clause"]"#]]
    .assert_eq(&lines.join("\n"));
}
