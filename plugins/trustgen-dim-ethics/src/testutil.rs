//! Test helpers: the authored data sets, the harness bound to the ethics plugin, and case and
//! verdict listings (the rest comes from `trustgen_plugin_kit::testing`).

use std::collections::BTreeMap;

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, BuildOutput, ModelOutput, ModelReply, ModelRequest, TestCase, Verdict};
use trustgen_plugin_kit::testing::{self, Models};
pub use trustgen_plugin_kit::testing::{failed, filtered, jsonl, said};

use crate::Ethics;

/// The authored rows of a data set, read at compile time.
pub fn authored(set: &str) -> Vec<Value> {
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
pub fn input(task: &str, seed: u64, limit: Option<usize>, extra: Vec<(String, Vec<Value>)>) -> BuildInput {
    let spec = crate::tasks::task(task).unwrap();
    let mut data: BTreeMap<String, Vec<Value>> = extra.into_iter().collect();
    data.insert(spec.authored_source().0, authored(spec.set));
    BuildInput { task: task.into(), seed, limit, data, ..BuildInput::default() }
}

/// Builds without any model call (fails if the builder asks for one).
pub fn build(input: &BuildInput) -> BuildOutput {
    testing::build_offline(&Ethics, input)
}

/// An embedding reply for `request`: the first text gets `[1, 0]`, every other one a vector at
/// cosine `cos` from it.
pub fn embeddings(request: &ModelRequest, cos: f32) -> ModelReply {
    testing::embeddings_for(request, cos)
}

/// Scores a case (with a capable judge when `judge`); `reply` answers the judge's or the
/// embedder's requests.
pub fn score_with(
    case: &TestCase,
    output: ModelOutput,
    judge: bool,
    reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    let models = Models { judge, ..Models::NONE };
    testing::score(&Ethics, &testing::score_input(case, output, models, Value::Null), reply)
}

/// A verdict in one line.
pub fn show_verdict(v: &Verdict) -> String {
    let metrics: Vec<String> = v.metrics.iter().map(|(k, x)| format!("{k}={x:.2}")).collect();
    format!(
        "{:?} score={} label={} refused={} judge={} extracted={} metrics=[{}]",
        v.status,
        v.score.map_or("none".into(), |s| format!("{s}")),
        v.label.as_deref().unwrap_or("-"),
        v.refused,
        v.judge.as_deref().unwrap_or("-"),
        v.extracted.as_deref().unwrap_or("-"),
        metrics.join(", ")
    )
}

/// Cases as text: id, ground truth, metadata (without the listed keys) and the prompt.
pub fn show_cases(cases: &[TestCase], hide: &[&str]) -> String {
    cases
        .iter()
        .map(|c| {
            let mut metadata = c.metadata.clone();
            for key in hide {
                metadata.remove(*key);
            }
            format!(
                "## {} truth={} {}\n{}",
                c.id,
                c.ground_truth.as_deref().unwrap_or("-"),
                Value::Object(metadata),
                c.prompts[0].turns[0]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
