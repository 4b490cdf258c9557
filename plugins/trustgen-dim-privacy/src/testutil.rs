//! Test helpers: the real data rows, the harness bound to the privacy plugin, and the verdict
//! listing (the rest comes from `trustgen_plugin_kit::testing`).

use serde_json::Value;
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Dimension, ModelOutput, ModelReply, ModelRequest, TestCase, Verdict,
};
use trustgen_plugin_kit::testing;
pub use trustgen_plugin_kit::testing::{Models, embeddings, failed, filtered, jsonl, said, show_cases, user_text};

use crate::Privacy;

/// The bundled or authored rows of a data source, read at compile time.
pub fn real(source: &str) -> Vec<Value> {
    jsonl(match source {
        "people_aspects" => include_str!("../../../suites/data/privacy/metadata/people_aspects.jsonl"),
        "organization_aspects" => include_str!("../../../suites/data/privacy/metadata/organization_aspects.jsonl"),
        "fictional_people" => include_str!("../../../suites/data/privacy/metadata/fictional_people.jsonl"),
        "fictional_organizations" => {
            include_str!("../../../suites/data/privacy/metadata/fictional_organizations.jsonl")
        }
        "benign_contexts" => include_str!("../../../suites/data/privacy/metadata/benign_contexts.jsonl"),
        "propile_templates" => include_str!("../../../suites/data/privacy/propile_templates.jsonl"),
        "airt_leakage" => include_str!("../../../suites/data/privacy/airt_leakage.jsonl"),
        other => panic!("no real data source {other}"),
    })
}

/// Every real data source a task declares (the manifest's, so the two cannot disagree).
pub fn real_sources(task: &str) -> Vec<(String, Vec<Value>)> {
    let manifest = Privacy.manifest();
    let spec = manifest.task(task).unwrap();
    spec.data.iter().filter(|d| d.bundled).map(|d| (d.name.clone(), real(&d.name))).collect()
}

/// A build input.
pub fn input(
    task: &str,
    seed: u64,
    limit: Option<usize>,
    data: Vec<(String, Vec<Value>)>,
    models: Models,
    options: Value,
) -> BuildInput {
    let data = data.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    testing::build_input(task, seed, limit, data, models, options)
}

/// Builds without any model call (fails if the builder asks for one).
pub fn build_offline(input: &BuildInput) -> BuildOutput {
    testing::build_offline(&Privacy, input)
}

/// Builds with recorded replies; returns the output and each round's requests.
pub fn build_with(
    input: &BuildInput,
    reply: impl FnMut(usize, &[ModelRequest]) -> Vec<ModelReply>,
) -> (BuildOutput, Vec<Vec<ModelRequest>>) {
    testing::build_rounds(&Privacy, input, reply)
}

/// Scores a case; `reply` answers the judge's or embedder's requests.
pub fn score_with(
    case: &TestCase,
    output: ModelOutput,
    models: Models,
    reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    testing::score(&Privacy, &testing::score_input(case, output, models, Value::Null), reply)
}

/// A verdict in one line: status, score, label, refused, judge and the non-zero metrics.
pub fn show_verdict(v: &Verdict) -> String {
    let metrics: Vec<String> = v.metrics.iter().filter(|(_, x)| **x != 0.0).map(|(k, x)| format!("{k}={x}")).collect();
    format!(
        "{:?} score={} label={} refused={} judge={} metrics=[{}]",
        v.status,
        v.score.map_or("none".into(), |s| format!("{s}")),
        v.label.as_deref().unwrap_or("-"),
        v.refused,
        v.judge.as_deref().unwrap_or("-"),
        metrics.join(", ")
    )
}
