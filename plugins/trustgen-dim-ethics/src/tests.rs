//! Tests of the plugin as a whole: the manifest, the authored sets, the aggregate and the
//! virtue bug.

use std::collections::BTreeMap;

use expect_test::expect;
use serde_json::Value;
use trustgen_plugin_api::{
    BuildInput, Dimension, ModelOutput, ModelReply, ModelRequest, TestCase, Verdict, VerdictStatus,
};
use trustgen_plugin_kit::testing::{bundled_paths, check_manifest, show_data_source};

use crate::Ethics;
use crate::tasks::TASKS;
use trustgen_plugin_kit::testing::{self, Models, embeddings_for as embeddings, jsonl, said};

#[test]
fn manifest_lists_every_task_with_data_licence_metric_and_policy() {
    let manifest = Ethics.manifest();
    check_manifest(&manifest);
    let mut lines = Vec::new();
    for task in &manifest.tasks {
        assert!(task.description.len() > 400, "{} has a real description", task.name);
        let variations: Vec<&str> = task.variations.iter().map(|v| v.as_str()).collect();
        lines.push(format!(
            "{} limit={:?} judges={:?} metric={} variations={variations:?}",
            task.name, task.default_limit, task.judge_templates, task.metric.name
        ));
        for data in &task.data {
            lines.push(show_data_source(data));
        }
        let secondary: Vec<&str> = task.secondary_metrics.iter().map(|m| m.name.as_str()).collect();
        if !secondary.is_empty() {
            lines.push(format!("  secondary {}", secondary.join(" ")));
        }
    }
    expect![[r#"
        social-norms limit=Some(24) judges=["with_groundtruth@1"] metric=accuracy variations=["paraphrase", "length", "to_true_false"]
          data social_chem_101 path=ethics/user/social_chem_101.jsonl license=CC-BY-SA-4.0 bundled=false optional=true provenance=user
          data social_chem_101_authored path=ethics/metadata/social_chem_101.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          secondary accuracy/good accuracy/neutral accuracy/bad
        moral-choice limit=Some(20) judges=["with_groundtruth@1"] metric=accuracy variations=["paraphrase", "length", "to_true_false"]
          data moralchoice path=ethics/user/moralchoice.jsonl license=CC-BY-4.0 bundled=false optional=true provenance=user
          data moralchoice_authored path=ethics/metadata/moralchoice.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
        ethics-commonsense limit=Some(20) judges=["with_groundtruth@1"] metric=accuracy variations=["paraphrase", "length", "to_true_false"]
          data ethics_commonsense path=ethics/user/ethics_commonsense.jsonl license=MIT bundled=false optional=true provenance=user
          data ethics_commonsense_authored path=ethics/metadata/ethics_commonsense.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          secondary accuracy/wrong accuracy/not_wrong
        ethics-deontology limit=Some(20) judges=["with_groundtruth@1"] metric=accuracy variations=["paraphrase", "length", "to_true_false"]
          data ethics_deontology path=ethics/user/ethics_deontology.jsonl license=MIT bundled=false optional=true provenance=user
          data ethics_deontology_authored path=ethics/metadata/ethics_deontology.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          secondary accuracy/reasonable accuracy/unreasonable
        ethics-justice limit=Some(20) judges=["with_groundtruth@1"] metric=accuracy variations=["paraphrase", "length", "to_true_false"]
          data ethics_justice path=ethics/user/ethics_justice.jsonl license=MIT bundled=false optional=true provenance=user
          data ethics_justice_authored path=ethics/metadata/ethics_justice.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          secondary accuracy/reasonable accuracy/unreasonable
        ethics-virtue limit=Some(20) judges=["with_groundtruth@1"] metric=accuracy variations=["paraphrase", "length", "to_true_false"]
          data ethics_virtue path=ethics/user/ethics_virtue.jsonl license=MIT bundled=false optional=true provenance=user
          data ethics_virtue_authored path=ethics/metadata/ethics_virtue.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
        ethics-utilitarianism limit=Some(20) judges=["with_groundtruth@1"] metric=accuracy variations=["paraphrase", "length", "to_true_false"]
          data ethics_utilitarianism path=ethics/user/ethics_utilitarianism.jsonl license=MIT bundled=false optional=true provenance=user
          data ethics_utilitarianism_authored path=ethics/metadata/ethics_utilitarianism.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
        moral-stories limit=Some(20) judges=["with_groundtruth@1"] metric=accuracy variations=["paraphrase", "length", "to_true_false"]
          data moral_stories path=ethics/user/moral_stories.jsonl license=MIT bundled=false optional=true provenance=user
          data moral_stories_authored path=ethics/metadata/moral_stories.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
        normbank limit=Some(21) judges=["with_groundtruth@1"] metric=accuracy variations=["paraphrase", "length", "to_true_false"]
          data normbank path=ethics/user/normbank.jsonl license=CC-BY-SA-4.0 (per the NormBank repository README; not checked against the data release) bundled=false optional=true provenance=user
          data normbank_authored path=ethics/metadata/normbank.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          secondary accuracy/expected accuracy/normal accuracy/unexpected
        culturebank limit=Some(20) judges=["cultural@1"] metric=entailment_rate variations=["paraphrase", "length"]
          data culturebank path=ethics/user/culturebank.jsonl license=MIT bundled=false optional=true provenance=user
          data culturebank_authored path=ethics/metadata/culturebank.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          secondary knowledge_similarity
        vlm-social-norms limit=Some(20) judges=["with_groundtruth@1"] metric=accuracy variations=[]
          data social_chem_101 path=ethics/user/social_chem_101.jsonl license=CC-BY-SA-4.0 bundled=false optional=true provenance=user
          data social_chem_101_authored path=ethics/metadata/social_chem_101.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          secondary accuracy/good accuracy/bad"#]].assert_eq(&lines.join("\n"));
    let aggregate = manifest.aggregate.unwrap();
    assert!(aggregate.weights.is_empty() && aggregate.description.contains("virtue"));
}

#[test]
fn manifest_paths_exist_for_bundled_sources() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../suites/data/");
    for path in bundled_paths(&Ethics.manifest()) {
        assert!(std::path::Path::new(root).join(path).is_file(), "{path} exists");
    }
}

#[test]
fn authored_sets_have_at_least_twenty_items_with_unique_ids() {
    for task in TASKS {
        let rows = authored(task.set);
        let out = testing::build_offline(&Ethics, &input(task.name, 1, Some(1000), vec![]));
        assert!(out.cases.len() >= 20, "{}: {} items", task.name, out.cases.len());
        assert!(out.skipped.is_empty(), "{}: {:?}", task.name, out.skipped);
        let mut ids: Vec<&Value> =
            rows.iter().map(|r| r.get("id").or(r.get("ID")).or(r.get("scenario_id")).unwrap()).collect();
        let total = ids.len();
        ids.sort_by_key(|v| v.to_string());
        ids.dedup();
        assert_eq!(ids.len(), total, "{}: unique row ids", task.set);
    }
}

/// Task scores (mean of the scored verdicts) when the target answers every case correctly,
/// except the tasks in `wrong`, where it picks another option.
fn task_scores(wrong: &[&str]) -> BTreeMap<String, f64> {
    let mut scores = BTreeMap::new();
    for task in TASKS {
        let cases = testing::build_offline(&Ethics, &input(task.name, 4, None, vec![])).cases;
        let mut values = Vec::new();
        for case in &cases {
            let answer = match (&case.ground_truth, wrong.contains(&task.name)) {
                (Some(truth), false) => format!("{truth})"),
                (Some(truth), true) => if truth == "A" { "B)" } else { "A)" }.to_string(),
                (None, _) => "An answer about the custom.".to_string(),
            };
            let cos = if wrong.contains(&task.name) { 0.1 } else { 0.9 };
            let (verdict, _) = score_with(case, said(&answer), false, |r| embeddings(r, cos));
            assert_eq!(verdict.status, VerdictStatus::Scored, "{}", case.id);
            values.push(verdict.score.unwrap());
        }
        scores.insert(task.name.to_string(), values.iter().sum::<f64>() / values.len() as f64);
    }
    scores
}

/// The dimension score under the manifest's aggregate: weights, else the mean of the tasks.
fn aggregate(scores: &BTreeMap<String, f64>) -> f64 {
    let weights = Ethics.manifest().aggregate.unwrap().weights;
    if weights.is_empty() {
        scores.values().sum::<f64>() / scores.len() as f64
    } else {
        let total: f64 = weights.values().sum();
        weights.iter().map(|(t, w)| w * scores[t]).sum::<f64>() / total
    }
}

#[test]
fn virtue_is_scored() {
    // Fixed bug: the original's metric read an unjudged virtue file, so virtue scored 0 and
    // pulled the ethics ratio down by a tenth whatever the model did. Here virtue cases get real
    // verdicts, and the virtue score moves the aggregate.
    let perfect = task_scores(&[]);
    assert_eq!(perfect.len(), 10);
    assert!(perfect.values().all(|&s| s == 1.0), "{perfect:?}");
    assert_eq!(aggregate(&perfect), 1.0);
    let virtue_wrong = task_scores(&["ethics-virtue"]);
    assert_eq!(virtue_wrong["ethics-virtue"], 0.0);
    assert!((aggregate(&virtue_wrong) - 0.9).abs() < 1e-9, "virtue weighs one tenth: {}", aggregate(&virtue_wrong));
    // The original would give the perfect model 0.9 (virtue fixed at 0).
    let original: f64 = perfect.iter().map(|(t, s)| if t == "ethics-virtue" { 0.0 } else { *s }).sum::<f64>() / 10.0;
    assert!((original - 0.9).abs() < 1e-9);
    let case = testing::build_offline(&Ethics, &input("ethics-virtue", 4, Some(1), vec![])).cases.remove(0);
    let (verdict, _) =
        score_with(&case, said("The answer is (Z)."), true, |_| ModelReply::text(r#"{"is_correct": false}"#));
    assert_eq!((verdict.status, verdict.score), (VerdictStatus::Scored, Some(0.0)), "the LLM judge scores virtue too");
}

#[test]
fn unknown_task_is_an_error() {
    let err = trustgen_plugin_api::step::drive(
        |cx| Ethics.build(cx, &trustgen_plugin_api::BuildInput::default().with_task("trolley")),
        |_| vec![],
    )
    .unwrap_err();
    assert!(
        err.starts_with("the ethics plugin has no task `trolley`; its tasks are: social-norms, moral-choice"),
        "{err}"
    );
}

// Fixtures of every test module (the harness is `trustgen_plugin_kit::testing`).

/// The authored rows of a data set, read at compile time.
pub(crate) fn authored(set: &str) -> Vec<Value> {
    jsonl(match set {
        "social_chem_101" => include_str!("../../../suites/data/ethics/metadata/social_chem_101.jsonl"),
        "moralchoice" => include_str!("../../../suites/data/ethics/metadata/moralchoice.jsonl"),
        "ethics_commonsense" => include_str!("../../../suites/data/ethics/metadata/ethics_commonsense.jsonl"),
        "ethics_deontology" => include_str!("../../../suites/data/ethics/metadata/ethics_deontology.jsonl"),
        "ethics_justice" => include_str!("../../../suites/data/ethics/metadata/ethics_justice.jsonl"),
        "ethics_virtue" => include_str!("../../../suites/data/ethics/metadata/ethics_virtue.jsonl"),
        "ethics_utilitarianism" => include_str!("../../../suites/data/ethics/metadata/ethics_utilitarianism.jsonl"),
        "moral_stories" => include_str!("../../../suites/data/ethics/metadata/moral_stories.jsonl"),
        "normbank" => include_str!("../../../suites/data/ethics/metadata/normbank.jsonl"),
        "culturebank" => include_str!("../../../suites/data/ethics/metadata/culturebank.jsonl"),
        other => panic!("no authored set {other}"),
    })
}

/// The build input of a task on its authored set (plus any extra sources).
pub(crate) fn input(task: &str, seed: u64, limit: Option<usize>, extra: Vec<(String, Vec<Value>)>) -> BuildInput {
    let spec = crate::tasks::task(task).unwrap();
    let mut data: BTreeMap<String, Vec<Value>> = extra.into_iter().collect();
    data.insert(spec.authored_source().0, authored(spec.set));
    BuildInput::new(task, seed).with_limit(limit).with_data(data)
}

/// Scores a case (with a capable judge when `judge`); `reply` answers the judge's or the
/// embedder's requests.
pub(crate) fn score_with(
    case: &TestCase,
    output: ModelOutput,
    judge: bool,
    reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    let models = Models { judge, ..Models::NONE };
    testing::score(&Ethics, &testing::score_input(case, output, models, Value::Null), reply)
}
