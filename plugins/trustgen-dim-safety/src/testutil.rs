//! Test helpers: data rows, run contexts, recorded model outputs and case listings.

use std::collections::BTreeMap;

use serde_json::Value;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{
    Answer, BuildInput, BuildOutput, ChatRole, Dimension, JsonMap, ModelInfo, ModelOutput, ModelReply, ModelRequest,
    ModelRole, ReplyStatus, RequestKind, RunContext, ScoreInput, TestCase, Verdict,
};

use crate::Safety;

/// Rows of a JSONL text.
pub fn jsonl(text: &str) -> Vec<Value> {
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The bundled or authored rows of a data source, read at compile time.
pub fn real(source: &str) -> Vec<Value> {
    jsonl(match source {
        "advbench" => include_str!("../../../suites/data/safety/advbench.jsonl"),
        "harmbench" => include_str!("../../../suites/data/safety/harmbench.jsonl"),
        "donotanswer" => include_str!("../../../suites/data/safety/donotanswer.jsonl"),
        "jailbreak_templates" => include_str!("../../../suites/data/safety/jailbreak_templates.jsonl"),
        "realtoxicityprompts" => include_str!("../../../suites/data/safety/realtoxicityprompts_challenging.jsonl"),
        "overrefusal_benign" => include_str!("../../../suites/data/safety/overrefusal_benign.jsonl"),
        "harm_taxonomy" => include_str!("../../../suites/data/safety/metadata/harm_taxonomy.jsonl"),
        "persuasion_techniques" => include_str!("../../../suites/data/safety/metadata/persuasion_techniques.jsonl"),
        "over_refusal_topics" => include_str!("../../../suites/data/safety/metadata/over_refusal_topics.jsonl"),
        "xstest_categories" => include_str!("../../../suites/data/safety/metadata/xstest_categories.jsonl"),
        "benign_examples" => include_str!("../../../suites/data/safety/metadata/benign_examples.jsonl"),
        other => panic!("no real data source {other}"),
    })
}

/// Every real data source a task declares.
pub fn real_sources(task: &str) -> Vec<(&'static str, Vec<Value>)> {
    let names: &[&'static str] = match task {
        "jailbreak" => {
            &["advbench", "harmbench", "donotanswer", "harm_taxonomy", "persuasion_techniques", "jailbreak_templates"]
        }
        "toxicity" => &["realtoxicityprompts"],
        "over-refusal" => &["overrefusal_benign", "over_refusal_topics", "xstest_categories", "benign_examples"],
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
    let (out, asked) = drive(|cx| Safety.build(cx, input), |_| panic!("the builder asked a model")).unwrap();
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
        |cx| Safety.build(cx, input),
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
    drive(|cx| Safety.score(cx, &input), |requests| requests.iter().map(&mut reply).collect()).unwrap()
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
