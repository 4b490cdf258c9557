//! Test helpers: data rows, run contexts, recorded outputs, case and verdict listings.

use std::collections::BTreeMap;

use serde_json::Value;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{
    Answer, BuildInput, BuildOutput, Dimension, JsonMap, ModelInfo, ModelOutput, ModelReply, ModelRequest, ModelRole,
    ReplyStatus, RequestKind, RunContext, ScoreInput, TestCase, Verdict,
};

use crate::Ethics;

/// Rows of a JSONL text.
pub fn jsonl(text: &str) -> Vec<Value> {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

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

/// A run context: the target, and a capable judge when `judge`.
pub fn context(judge: bool) -> RunContext {
    let info = |model: &str| ModelInfo {
        model_type: "llm".into(),
        provider: "test".into(),
        model: model.into(),
        capable: true,
    };
    let mut models = BTreeMap::from([(ModelRole::Target, info("test-model"))]);
    if judge {
        models.insert(ModelRole::Judge, info("test-judge"));
    }
    RunContext { models }
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
    let (out, asked) = drive(|cx| Ethics.build(cx, input), |_| panic!("the builder asked a model")).unwrap();
    assert!(asked.is_empty());
    out
}

/// A one-turn target output.
pub fn said(text: &str) -> ModelOutput {
    reply_output(ModelReply::text(text))
}

/// A target output blocked by the provider's content filter.
pub fn filtered() -> ModelOutput {
    reply_output(ModelReply { status: ReplyStatus::ContentFiltered, ..ModelReply::default() })
}

/// A target output whose request failed.
pub fn failed() -> ModelOutput {
    reply_output(ModelReply { status: ReplyStatus::Error, error: Some("timeout".into()), ..ModelReply::default() })
}

fn reply_output(reply: ModelReply) -> ModelOutput {
    ModelOutput { answers: vec![Answer { prompt: "main".into(), turns: vec![reply] }] }
}

/// An embedding reply for `request`: the first text gets `[1, 0]`, every other one a vector at
/// cosine `cos` from it.
pub fn embeddings(request: &ModelRequest, cos: f32) -> ModelReply {
    let RequestKind::Embed(embed) = &request.kind else { panic!("not an embedding request: {request:?}") };
    let sin = (1.0 - cos * cos).max(0.0).sqrt();
    let mut vectors = vec![vec![1.0, 0.0]];
    vectors.extend(std::iter::repeat_n(vec![cos, sin], embed.texts.len() - 1));
    ModelReply { embeddings: vectors, ..ModelReply::text("") }
}

/// Scores a case; `reply` answers the judge's or the embedder's requests.
pub fn score_with(
    case: &TestCase,
    output: ModelOutput,
    judge: bool,
    mut reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    let input = ScoreInput { case: case.clone(), output, options: JsonMap::new(), seed: 1, context: context(judge) };
    drive(|cx| Ethics.score(cx, &input), |requests| requests.iter().map(&mut reply).collect()).unwrap()
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
