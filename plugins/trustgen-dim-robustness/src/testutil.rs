//! Test helpers: the real data rows, the harness bound to the robustness plugin, paired outputs
//! and the case listing (the rest comes from `trustgen_plugin_kit::testing`).

#![allow(dead_code)]

use serde_json::Value;
use trustgen_plugin_api::{Answer, BuildInput, BuildOutput, ModelOutput, ModelReply, ModelRequest, TestCase, Verdict};
use trustgen_plugin_kit::testing;
pub use trustgen_plugin_kit::testing::{
    Models, build_input as input, embeddings, failed, failed_reply, filtered, filtered_reply, jsonl, said,
    show_verdict, user_text,
};

use crate::Robustness;

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

/// Builds without any model call (fails if the builder asks for one).
pub fn build_offline(input: &BuildInput) -> BuildOutput {
    testing::build_offline(&Robustness, input)
}

/// Builds with recorded replies; returns the output and each round's requests.
pub fn build_with(
    input: &BuildInput,
    reply: impl FnMut(usize, &[ModelRequest]) -> Vec<ModelReply>,
) -> (BuildOutput, Vec<Vec<ModelRequest>>) {
    testing::build_rounds(&Robustness, input, reply)
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

/// Scores a case; `reply` answers the judge's or embedder's requests.
pub fn score_with(
    case: &TestCase,
    output: ModelOutput,
    models: Models,
    options: Value,
    reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    testing::score(&Robustness, &testing::score_input(case, output, models, options), reply)
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
