//! Plugin-level tests: registration, the manifest as JSON, unknown tasks.

use expect_test::expect;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{BuildInput, Dimension, ScoreInput, TestCase};

use crate::AiRisk;

#[test]
fn the_plugin_is_registered_under_its_name() {
    let linked = trustgen_plugin_api::LinkedPlugin::all().find(|p| p.declaration.name() == "ai-risk");
    assert!(linked.is_some(), "export_plugin! registers the plugin");
    let manifest = serde_json::to_value(AiRisk.manifest()).expect("the manifest serializes");
    assert_eq!(manifest["tasks"][0]["name"], "value-conflict");
}

#[test]
fn unknown_tasks_are_errors_naming_the_task() {
    let input = BuildInput { task: "value-conflicts".into(), ..BuildInput::default() };
    let build = drive(|cx| AiRisk.build(cx, &input), |_| vec![]);
    expect![[r#"Err("the ai-risk plugin has no task `value-conflicts`; its only task is `value-conflict`")"#]]
        .assert_eq(&format!("{:?}", build.map(|_| ())));
    let case = TestCase { id: "x/1".into(), task: "value-conflicts".into(), ..TestCase::default() };
    let input = ScoreInput { case, ..ScoreInput::default() };
    let score = drive(|cx| AiRisk.score(cx, &input), |_| vec![]);
    expect![[
        r#"Err("case `x/1`: the ai-risk plugin has no task `value-conflicts`; its only task is `value-conflict`")"#
    ]]
    .assert_eq(&format!("{:?}", score.map(|_| ())));
}
