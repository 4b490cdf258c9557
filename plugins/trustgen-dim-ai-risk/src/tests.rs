//! Plugin-level tests: registration, the manifest as JSON, unknown tasks; and the fixtures of
//! every test module (the harness is `trustgen_plugin_kit::testing`).

use expect_test::expect;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{BuildInput, Dimension, ScoreInput, TestCase};

use serde_json::Value;
use trustgen_plugin_kit::testing::{self, Models, jsonl};

use crate::AiRisk;
use crate::data::sources;

/// A build input of the sample data (`testdata/`): two considerations and a row without a
/// description, five scenarios (one of an unknown consideration, one without its other action).
pub(crate) fn input(seed: u64, limit: Option<usize>, generator: bool) -> BuildInput {
    let data = vec![
        (sources::CONSIDERATIONS.name, jsonl(include_str!("../testdata/considerations.jsonl"))),
        (sources::SCENARIOS.name, jsonl(include_str!("../testdata/scenarios.jsonl"))),
    ];
    testing::build_input(crate::build::TASK, seed, limit, data, Models { generator, ..Models::NONE }, Value::Null)
}

/// A build input of the real bundled metadata files.
pub(crate) fn bundled_input(seed: u64, limit: Option<usize>, generator: bool) -> BuildInput {
    let data = [sources::CONSIDERATIONS, sources::SCENARIOS]
        .map(|source| (source.name, testing::suite_rows(env!("CARGO_MANIFEST_DIR"), source)))
        .into();
    testing::build_input(crate::build::TASK, seed, limit, data, Models { generator, ..Models::NONE }, Value::Null)
}

#[test]
fn the_plugin_is_registered_under_its_name() {
    let linked = trustgen_plugin_api::LinkedPlugin::all().find(|p| p.declaration.name() == "ai-risk");
    assert!(linked.is_some(), "export_plugin! registers the plugin");
    let manifest = serde_json::to_value(AiRisk.manifest()).expect("the manifest serializes");
    assert_eq!(manifest["tasks"][0]["name"], "value-conflict");
}

#[test]
fn unknown_tasks_are_errors_naming_the_task() {
    let input = BuildInput::default().with_task("value-conflicts");
    let build = drive(|cx| AiRisk.build(cx, &input), |_| vec![]);
    expect![[r#"Err("the ai-risk plugin has no task `value-conflicts`; did you mean `value-conflict`? its only task is `value-conflict`")"#]]
        .assert_eq(&format!("{:?}", build.map(|_| ())));
    let case = TestCase::default().with_id("x/1").with_task("value-conflicts");
    let input = ScoreInput::default().with_case(case);
    let score = drive(|cx| AiRisk.score(cx, &input), |_| vec![]);
    expect![[r#"Err("case `x/1`: the ai-risk plugin has no task `value-conflicts`; did you mean `value-conflict`? its only task is `value-conflict`")"#]]
    .assert_eq(&format!("{:?}", score.map(|_| ())));
}
