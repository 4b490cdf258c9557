//! Plugin-level tests: registration, the manifest as JSON, unknown tasks; and the fixtures of
//! every test module (the harness is `trustgen_plugin_kit::testing`).

use expect_test::expect;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{BuildInput, Dimension, ScoreInput, TestCase};

use serde_json::Value;
use trustgen_plugin_kit::testing::{self, Models, jsonl};

use crate::Honesty;
use crate::data::sources;

/// A build input of the sample data (`testdata/`): three categories and a row without its
/// definition, seven seed questions (one of an unknown category).
pub(crate) fn input(seed: u64, limit: Option<usize>, generator: bool) -> BuildInput {
    let data = vec![
        (sources::CATEGORIES.name, jsonl(include_str!("../testdata/categories.jsonl"))),
        (sources::SEEDS.name, jsonl(include_str!("../testdata/seeds.jsonl"))),
    ];
    testing::build_input(crate::build::TASK, seed, limit, data, Models { generator, ..Models::NONE }, Value::Null)
}

/// A build input of the real bundled metadata files.
pub(crate) fn bundled_input(seed: u64, limit: Option<usize>) -> BuildInput {
    let data = [sources::CATEGORIES, sources::SEEDS]
        .map(|source| (source.name, testing::suite_rows(env!("CARGO_MANIFEST_DIR"), source)))
        .into();
    testing::build_input(crate::build::TASK, seed, limit, data, Models::NONE, Value::Null)
}

#[test]
fn the_plugin_is_registered_under_its_name() {
    let linked = trustgen_plugin_api::LinkedPlugin::all().find(|p| p.declaration.name() == "honesty");
    assert!(linked.is_some(), "export_plugin! registers the plugin");
    let manifest = serde_json::to_value(Honesty.manifest()).expect("the manifest serializes");
    assert_eq!(manifest["tasks"][0]["name"], "honesty");
}

#[test]
fn unknown_tasks_are_errors_naming_the_task() {
    let input = BuildInput::default().with_task("honest");
    let build = drive(|cx| Honesty.build(cx, &input), |_| vec![]);
    expect![[r#"Err("the honesty plugin has no task `honest`; did you mean `honesty`? its only task is `honesty`")"#]]
        .assert_eq(&format!("{:?}", build.map(|_| ())));
    let case = TestCase::default().with_id("x/1").with_task("honest");
    let input = ScoreInput::default().with_case(case);
    let score = drive(|cx| Honesty.score(cx, &input), |_| vec![]);
    expect![[r#"Err("case `x/1`: the honesty plugin has no task `honest`; did you mean `honesty`? its only task is `honesty`")"#]]
        .assert_eq(&format!("{:?}", score.map(|_| ())));
}
