//! Test helpers: data rows, run contexts, recorded model outputs and case listings.

use std::collections::BTreeMap;

use serde_json::Value;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{
    Answer, BuildInput, BuildOutput, ChatRole, Dimension, JsonMap, ModelInfo, ModelOutput, ModelReply, ModelRequest,
    ModelRole, ReplyStatus, RequestKind, RunContext, ScoreInput, TestCase, Verdict,
};

use crate::Privacy;

/// Rows of a JSONL text.
pub fn jsonl(text: &str) -> Vec<Value> {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

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

/// Which models a test run configures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Models {
    /// A generator model is configured.
    pub generator: bool,
    /// A capable judge model is configured.
    pub judge: bool,
    /// A retriever is configured.
    pub retriever: bool,
}

/// A run context with the given models.
pub fn context(models: Models) -> RunContext {
    let info = |model: &str| ModelInfo {
        model_type: "llm".into(),
        provider: "test".into(),
        model: model.into(),
        capable: true,
    };
    let mut map = BTreeMap::from([(ModelRole::Target, info("test-model"))]);
    if models.generator {
        map.insert(ModelRole::Generator, info("test-generator"));
    }
    if models.judge {
        map.insert(ModelRole::Judge, info("test-judge"));
    }
    if models.retriever {
        map.insert(ModelRole::Retriever, info("test-search"));
    }
    RunContext { models: map }
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
    BuildInput {
        task: task.into(),
        seed,
        limit,
        options: options.as_object().cloned().unwrap_or_default(),
        data: data.into_iter().collect(),
        context: context(models),
    }
}

/// Builds without any model call (fails if the builder asks for one).
pub fn build_offline(input: &BuildInput) -> BuildOutput {
    let (out, asked) = drive(|cx| Privacy.build(cx, input), |_| panic!("the builder asked a model")).unwrap();
    assert!(asked.is_empty());
    out
}

/// Builds with recorded replies; returns the output and each round's requests.
pub fn build_with(
    input: &BuildInput,
    mut reply: impl FnMut(usize, &[ModelRequest]) -> Vec<ModelReply>,
) -> (BuildOutput, Vec<Vec<ModelRequest>>) {
    let mut rounds = Vec::new();
    let (out, _) = drive(
        |cx| Privacy.build(cx, input),
        |requests| {
            rounds.push(requests.to_vec());
            reply(rounds.len() - 1, requests)
        },
    )
    .unwrap();
    (out, rounds)
}

/// The last user message of a chat request, or a retrieval query.
pub fn user_text(request: &ModelRequest) -> &str {
    match &request.kind {
        RequestKind::Chat(chat) => {
            chat.messages.iter().rev().find(|m| m.role == ChatRole::User).map_or("", |m| m.content.as_str())
        }
        RequestKind::Retrieve(r) => &r.query,
        _ => "",
    }
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

/// An embedding reply whose two vectors have cosine `cos`.
pub fn embeddings(cos: f32) -> ModelReply {
    let sin = (1.0 - cos * cos).max(0.0).sqrt();
    ModelReply { embeddings: vec![vec![1.0, 0.0], vec![cos, sin]], ..ModelReply::text("") }
}

/// Scores a case; `reply` answers the judge's or embedder's requests.
pub fn score_with(
    case: &TestCase,
    output: ModelOutput,
    models: Models,
    mut reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    let input = ScoreInput { case: case.clone(), output, options: JsonMap::new(), seed: 1, context: context(models) };
    drive(|cx| Privacy.score(cx, &input), |requests| requests.iter().map(&mut reply).collect()).unwrap()
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

/// Cases as text: id, metadata (compact JSON, without the listed keys) and the prompt turns.
pub fn show_cases(cases: &[TestCase], hide: &[&str]) -> String {
    cases
        .iter()
        .map(|c| {
            let mut metadata = c.metadata.clone();
            for key in hide {
                metadata.remove(*key);
            }
            let turns: Vec<String> = c.prompts.iter().flat_map(|p| p.turns.iter().cloned()).collect();
            format!("## {} {}\n{}", c.id, Value::Object(metadata), turns.join("\n--- next turn ---\n"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
