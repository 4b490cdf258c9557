//! Test helpers: the real data rows, the harness bound to the safety plugin, and case listings
//! (the rest comes from `trustgen_plugin_kit::testing`).

use serde_json::Value;
use trustgen_plugin_api::{
    BuildInput, BuildOutput, ModelOutput, ModelReply, ModelRequest, RunContext, TestCase, Verdict,
};
use trustgen_plugin_kit::testing;
pub use trustgen_plugin_kit::testing::{
    Models, build_input as input, embeddings, failed, filtered, jsonl, said, show_cases, show_verdict, user_text,
};

use crate::Safety;

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

/// A run context with the given models.
pub fn context(models: Models) -> RunContext {
    models.context()
}

/// Builds without any model call (fails if the builder asks for one).
pub fn build_offline(input: &BuildInput) -> BuildOutput {
    testing::build_offline(&Safety, input)
}

/// Builds with recorded replies; returns the output and each round's requests.
pub fn build_with(
    input: &BuildInput,
    reply: impl FnMut(usize, &[ModelRequest]) -> Vec<ModelReply>,
) -> (BuildOutput, Vec<Vec<ModelRequest>>) {
    testing::build_rounds(&Safety, input, reply)
}

/// Scores a case; `reply` answers the judge's or embedder's requests.
pub fn score_with(
    case: &TestCase,
    output: ModelOutput,
    models: Models,
    options: Value,
    reply: impl FnMut(&ModelRequest) -> ModelReply,
) -> (Verdict, Vec<ModelRequest>) {
    testing::score(&Safety, &testing::score_input(case, output, models, options), reply)
}
