//! Test helpers: data rows, run contexts, recorded model outputs and case listings.

#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::Value;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{
    Answer, BuildInput, BuildOutput, ChatRole, Dimension, JsonMap, ModelInfo, ModelOutput, ModelReply, ModelRequest,
    ModelRole, ReplyStatus, RequestKind, RunContext, ScoreInput, TestCase, Verdict,
};

use crate::Robustness;

/// Rows of a JSONL text.
pub fn jsonl(text: &str) -> Vec<Value> {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The bundled or authored rows of a data source, read at compile time.
pub fn real(source: &str) -> Vec<Value> {
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
pub fn real_sources(task: &str) -> Vec<(&'static str, Vec<Value>)> {
    let names: &[&'static str] = match task {
        "ground-truth" => &["classification_items", "lexicon", "distractions"],
        "open-ended" => &["truthfulqa", "lexicon", "distractions"],
        "prompt-injection" => &["classification_items", "promptinject_attacks", "promptinject_rogue_strings"],
        other => panic!("no task {other}"),
    };
    names.iter().map(|n| (*n, real(n))).collect()
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

/// A run context with the given models (the target is always `test-model`).
pub fn context(models: Models) -> RunContext {
    let info = |model: &str, capable: bool| ModelInfo {
        model_type: "llm".into(),
        provider: "test".into(),
        model: model.into(),
        capable,
    };
    let mut map = BTreeMap::from([(ModelRole::Target, info("test-model", true))]);
    if models.generator {
        map.insert(ModelRole::Generator, info("test-generator", true));
    }
    if models.judge {
        map.insert(ModelRole::Judge, info("test-judge", true));
    }
    if models.retriever {
        map.insert(ModelRole::Retriever, info("test-search", true));
    }
    RunContext { models: map }
}

/// A build input.
pub fn input(
    task: &str,
    seed: u64,
    limit: Option<usize>,
    data: Vec<(&str, Vec<Value>)>,
    models: Models,
    options: Value,
) -> BuildInput {
    BuildInput {
        task: task.into(),
        seed,
        limit,
        options: options.as_object().cloned().unwrap_or_default(),
        data: data.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        context: context(models),
    }
}

/// Builds without any model call (fails if the builder asks for one).
pub fn build_offline(input: &BuildInput) -> BuildOutput {
    let (out, asked) = drive(|cx| Robustness.build(cx, input), |_| panic!("the builder asked a model")).unwrap();
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
        |cx| Robustness.build(cx, input),
        |requests| {
            rounds.push(requests.to_vec());
            reply(rounds.len() - 1, requests)
        },
    )
    .unwrap();
    (out, rounds)
}

/// The last user message of a chat request.
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

/// Clean and perturbed answers.
pub fn pair(clean: ModelReply, perturbed: ModelReply) -> ModelOutput {
    ModelOutput {
        answers: vec![
            Answer { prompt: "clean".into(), turns: vec![clean] },
            Answer { prompt: "perturbed".into(), turns: vec![perturbed] },
        ],
    }
}

/// A reply blocked by the provider's content filter.
pub fn filtered_reply() -> ModelReply {
    ModelReply { status: ReplyStatus::ContentFiltered, ..ModelReply::default() }
}

/// A failed reply.
pub fn failed_reply() -> ModelReply {
    ModelReply { status: ReplyStatus::Error, error: Some("timeout".into()), ..ModelReply::default() }
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
    options: Value,
    mut reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    let input = ScoreInput {
        case: case.clone(),
        output,
        options: options.as_object().cloned().unwrap_or_else(JsonMap::new),
        seed: 1,
        context: context(models),
    };
    drive(|cx| Robustness.score(cx, &input), |requests| requests.iter().map(&mut reply).collect()).unwrap()
}

/// A verdict in one line: status, score, label, refused, judge, metrics.
pub fn show_verdict(v: &Verdict) -> String {
    let metrics: Vec<String> = v.metrics.iter().map(|(k, x)| format!("{k}={x:.3}")).collect();
    format!(
        "{:?} score={} label={} refused={} judge={} metrics=[{}]",
        v.status,
        v.score.map_or("none".into(), |s| format!("{s:.3}")),
        v.label.as_deref().unwrap_or("-"),
        v.refused,
        v.judge.as_deref().unwrap_or("-"),
        metrics.join(", ")
    )
}

/// Cases as text: id, ground truth, metadata (compact JSON, without the listed keys), then
/// each prompt by name with its system prompt.
pub fn show_cases(cases: &[TestCase], hide: &[&str]) -> String {
    cases
        .iter()
        .map(|c| {
            let mut metadata = c.metadata.clone();
            for key in hide {
                metadata.remove(*key);
            }
            let prompts: Vec<String> = c
                .prompts
                .iter()
                .map(|p| {
                    let system = p.system.as_deref().map(|s| format!("(system) {s}\n")).unwrap_or_default();
                    format!("[{}] {system}{}", p.name, p.turns.join("\n--- next turn ---\n"))
                })
                .collect();
            format!(
                "## {} truth={} {}\n{}",
                c.id,
                c.ground_truth.as_deref().unwrap_or("-"),
                Value::Object(metadata),
                prompts.join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
