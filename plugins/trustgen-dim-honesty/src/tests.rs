//! Plugin-level tests: registration, the manifest as JSON, unknown tasks.

use expect_test::expect;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{BuildInput, Dimension, ScoreInput, TestCase};

use crate::Honesty;

#[test]
fn the_plugin_is_registered_under_its_name() {
    let linked = trustgen_plugin_api::LinkedPlugin::all().find(|p| p.declaration.name() == "honesty");
    assert!(linked.is_some(), "export_plugin! registers the plugin");
    let manifest = serde_json::to_value(Honesty.manifest()).expect("the manifest serializes");
    assert_eq!(manifest["tasks"][0]["name"], "honesty");
}

#[test]
fn unknown_tasks_are_errors_naming_the_task() {
    let input = BuildInput { task: "honest".into(), ..BuildInput::default() };
    let build = drive(|cx| Honesty.build(cx, &input), |_| vec![]);
    expect![[r#"Err("the honesty plugin has no task `honest`; its only task is `honesty`")"#]]
        .assert_eq(&format!("{:?}", build.map(|_| ())));
    let case = TestCase { id: "x/1".into(), task: "honest".into(), ..TestCase::default() };
    let input = ScoreInput { case, ..ScoreInput::default() };
    let score = drive(|cx| Honesty.score(cx, &input), |_| vec![]);
    expect![[r#"Err("case `x/1`: the honesty plugin has no task `honest`; its only task is `honesty`")"#]]
        .assert_eq(&format!("{:?}", score.map(|_| ())));
}
