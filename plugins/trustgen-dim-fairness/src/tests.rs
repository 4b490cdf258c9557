//! Plugin-level checks: every task is deterministic given the seed and varies with it, unknown
//! tasks are errors, the plugin is registered under its name, and the real bundled data and
//! metadata build every task at its default limit; and the fixtures of every test module (the
//! harness is `trustgen_plugin_kit::testing`).

use std::collections::BTreeMap;

use expect_test::expect;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{Dimension, ScoreInput, TestCase};

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, ModelOutput, ModelRequest, Verdict};
use trustgen_plugin_kit::testing::{self, Models, fingerprint, jsonl};

use crate::data::sources;
use crate::{Fairness, tasks};

fn build_offline(input: &BuildInput) -> trustgen_plugin_api::BuildOutput {
    testing::build_offline(&Fairness, input)
}

/// A build input with every source of the sample data:
/// - `testdata/crows.jsonl`: six CrowS rows; `c-same` has two identical sentences, `c-bad` no
///   `sentence_less`.
/// - `testdata/bbq.jsonl`: four BBQ rows (two ambiguous, two disambiguated) and one malformed.
/// - `testdata/stereoset.jsonl`: three intrasentence and three intersentence StereoSet rows.
/// - `testdata/winobias.jsonl`: three WinoBias rows.
/// - `testdata/disparagement_targets.jsonl`: three categories with five targets; `unknown` is not a
///   category of the task.
/// - `testdata/disparagement_seeds.jsonl`: none for `Disabled`; `d-stray` names a target that is not
///   listed.
/// - `testdata/preference_pairs.jsonl`: four pairs in three categories; `p-nokeys` lacks its keys.
/// - `testdata/preference_templates.jsonl`: three templates; `pt-bad` lacks `{second}`.
pub(crate) fn input(task: &str, seed: u64, limit: Option<usize>, models: Models) -> BuildInput {
    let data = [
        (sources::CROWS, jsonl(include_str!("../testdata/crows.jsonl"))),
        (sources::BBQ, jsonl(include_str!("../testdata/bbq.jsonl"))),
        (sources::STEREOSET, jsonl(include_str!("../testdata/stereoset.jsonl"))),
        (sources::WINOBIAS, jsonl(include_str!("../testdata/winobias.jsonl"))),
        (sources::DISPARAGEMENT_TARGETS, jsonl(include_str!("../testdata/disparagement_targets.jsonl"))),
        (sources::DISPARAGEMENT_SEEDS, jsonl(include_str!("../testdata/disparagement_seeds.jsonl"))),
        (sources::PREFERENCE_PAIRS, jsonl(include_str!("../testdata/preference_pairs.jsonl"))),
        (sources::PREFERENCE_TEMPLATES, jsonl(include_str!("../testdata/preference_templates.jsonl"))),
    ];
    let data = data.into_iter().map(|(source, rows)| (source.name, rows)).collect();
    testing::build_input(task, seed, limit, data, models, Value::Null)
}

/// Every row of the real bundled files and metadata, keyed like the engine keys them.
pub(crate) fn bundled_input(task: &str, seed: u64, limit: Option<usize>) -> BuildInput {
    let data = [
        sources::CROWS,
        sources::BBQ,
        sources::STEREOSET,
        sources::WINOBIAS,
        sources::DISPARAGEMENT_TARGETS,
        sources::DISPARAGEMENT_SEEDS,
        sources::PREFERENCE_PAIRS,
        sources::PREFERENCE_TEMPLATES,
    ]
    .map(|source| (source.name, testing::suite_rows(env!("CARGO_MANIFEST_DIR"), source)))
    .into();
    let mut input = testing::build_input(task, seed, limit, data, Models::NONE, Value::Null);
    // No models at all: the engine's context of a bare run.
    input.context = Default::default();
    input
}

/// A model output whose `main` answer failed with `status`.
pub(crate) fn failed(status: trustgen_plugin_api::ReplyStatus, error: &str) -> ModelOutput {
    testing::main_output(testing::failed_with(status, error))
}

/// Scores a case; judge (chat) requests get the recorded `judge` replies in order, embedding
/// requests get `embeddings` (two vectors per request). Returns the verdict and the requests.
pub(crate) fn score_with(
    case: &TestCase,
    output: ModelOutput,
    models: Models,
    judge: &[&str],
    embeddings: Option<(Vec<f32>, Vec<f32>)>,
) -> (Verdict, Vec<ModelRequest>) {
    let embed = |_: &ModelRequest| {
        let (a, b) = embeddings.clone().expect("the test recorded no embeddings");
        testing::vectors(vec![a, b])
    };
    testing::score(
        &Fairness,
        &testing::score_input(case, output, models, Value::Null),
        testing::recorded_with(judge, embed),
    )
}

/// Scores a case with recorded judge replies (no embeddings); the verdict and the number of
/// requests.
pub(crate) fn score(case: &TestCase, output: ModelOutput, models: Models, judge: &[&str]) -> (Verdict, usize) {
    let (verdict, asked) = score_with(case, output, models, judge, None);
    (verdict, asked.len())
}

#[test]
fn same_seed_same_cases_different_seed_different_ones() {
    // The VLM tasks check their seeding in their own tests (vlm-stereotype needs an image
    // generator, and vlm-preference has three usable sample pairs).
    for task in crate::TASKS.names().into_iter().filter(|t| !t.starts_with("vlm-")) {
        let build = |seed: u64| build_offline(&input(task, seed, Some(3), Models::NONE));
        let first = build(7);
        assert_eq!(first.cases.len(), 3, "{task}");
        assert_eq!(first, build(7), "{task}: same seed, same cases");
        assert!(first.cases.iter().all(|c| c.task == task && c.id.starts_with(&format!("fairness/{task}/"))));
        let differs = [8, 9, 10].iter().any(|&seed| fingerprint(&build(seed)) != fingerprint(&first));
        assert!(differs, "{task}: other seeds give the same cases");
    }
}

#[test]
fn unknown_tasks_are_errors() {
    let build = drive(|cx| Fairness.build(cx, &input("bias", 1, None, Models::NONE)), |_| vec![]);
    expect![[r#"Err("the fairness plugin has no task `bias`; its tasks are: stereotype, disparagement, preference, vlm-stereotype, vlm-preference")"#]]
        .assert_eq(&format!("{:?}", build.map(|_| ())));
    let case = TestCase::default().with_id("x/1").with_task("bias");
    let input = ScoreInput::default().with_case(case);
    let score = drive(|cx| Fairness.score(cx, &input), |_| vec![]);
    assert!(format!("{score:?}").contains("case `x/1`: the fairness plugin has no task `bias`"));
}

#[test]
fn missing_data_is_an_error_naming_the_file() {
    let mut input = input(tasks::STEREOTYPE, 1, None, Models::NONE);
    input.data.remove("bbq");
    let build = drive(|cx| Fairness.build(cx, &input), |_| vec![]);
    expect![[r#"Err("task `stereotype` needs the data source `bbq` (suites/data/fairness/bbq.jsonl), which was not loaded; hint: run with the suite data directory that ships with trustgen")"#]]
        .assert_eq(&format!("{:?}", build.map(|_| ())));
}

#[test]
fn the_plugin_is_registered_under_its_name() {
    let linked = trustgen_plugin_api::LinkedPlugin::all().find(|p| p.declaration.name() == "fairness");
    assert!(linked.is_some(), "export_plugin! registers the plugin");
    let manifest = serde_json::to_value(Fairness.manifest()).expect("the manifest serializes");
    assert_eq!(manifest["tasks"].as_array().map(Vec::len), Some(crate::TASKS.names().len()));
}

/// The real bundled data builds every task at its default limit without a generator; the
/// sources, categories and skips are measurements of the data.
#[test]
fn the_bundled_data_builds_every_task() {
    let manifest = Fairness.manifest();
    let lines: Vec<String> = crate::TASKS
        .names()
        .iter()
        .map(|task| {
            let limit = manifest.task(task).and_then(|t| t.default_limit);
            let out = build_offline(&bundled_input(task, 7, limit));
            let mut groups: BTreeMap<String, usize> = BTreeMap::new();
            for case in &out.cases {
                let key = case.metadata.get("source").or_else(|| case.metadata.get("category"));
                *groups.entry(key.and_then(|v| v.as_str()).unwrap_or("-").to_string()).or_default() += 1;
            }
            let skipped: Vec<String> = out.skipped.iter().map(|s| format!("{}: {}", s.item, s.reason)).collect();
            format!("{task}: {} cases {groups:?}; skipped {skipped:?}", out.cases.len())
        })
        .collect();
    expect![[r#"
        stereotype: 40 cases {"bbq": 8, "crows": 8, "stereoset-intersentence": 8, "stereoset-intrasentence": 8, "winobias": 8}; skipped []
        disparagement: 30 cases {"age": 4, "disability": 3, "education": 4, "gender": 4, "race": 5, "sexual-orientation": 5, "wealth": 5}; skipped []
        preference: 20 cases {"culture-lifestyle": 4, "health-wellbeing": 4, "ideology": 4, "social-equality-diversity": 4, "technology-science-education": 4}; skipped []
        vlm-stereotype: 0 cases {}; skipped ["task vlm-stereotype: the task draws its images with a text-to-image model and the suite has no [models.image_generator] (e.g. an OpenAI-compatible images endpoint); nothing was built"]
        vlm-preference: 20 cases {"culture-lifestyle": 4, "health-wellbeing": 4, "ideology": 4, "social-equality-diversity": 4, "technology-science-education": 4}; skipped []"#]].assert_eq(&lines.join("\n"));
}

/// The authored metadata covers the method: every target of every category has at least two
/// seed cases, every category at least three preference pairs, and no pair's keys name
/// the other option.
#[test]
fn the_metadata_covers_every_category_and_target() {
    let input = bundled_input(tasks::DISPARAGEMENT, 1, None);
    let mut per_target: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in &input.data["disparagement_targets"] {
        for target in row["targets"].as_array().into_iter().flatten() {
            per_target.insert((row["category"].to_string(), target.to_string()), 0);
        }
    }
    for row in &input.data["disparagement_seeds"] {
        if let Some(n) = per_target.get_mut(&(row["category"].to_string(), row["target"].to_string())) {
            *n += 1;
        }
    }
    assert_eq!(per_target.len(), 17, "the original's 17 targets");
    let categories: std::collections::BTreeSet<&str> =
        crate::disparagement::CATEGORIES.iter().map(|(id, _)| *id).collect();
    assert!(per_target.keys().all(|(c, _)| categories.contains(c.trim_matches('"'))));
    assert!(per_target.values().all(|&n| n >= 2), "{per_target:?}");
    let mut per_category: BTreeMap<String, usize> = BTreeMap::new();
    for row in &input.data["preference_pairs"] {
        *per_category.entry(row["category"].as_str().unwrap_or_default().to_string()).or_default() += 1;
        let text = |key: &str| row[key].as_str().unwrap_or_default().to_lowercase();
        for (other, keys) in [("option_b", "keys_a"), ("option_a", "keys_b")] {
            for key in row[keys].as_array().into_iter().flatten().filter_map(|k| k.as_str()) {
                let key = key.to_lowercase();
                assert!(!text(other).contains(&key), "{}: key `{key}` names the other option", row["id"]);
            }
        }
    }
    assert_eq!(per_category.len(), 5);
    assert!(per_category.values().all(|&n| n >= 3), "{per_category:?}");
}
