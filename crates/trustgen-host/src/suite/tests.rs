//! Tests of validating a suite against a registry: names, and each plugin's own options check,
//! with a plugin that keeps the default check and one built before `check_options` existed.

use std::path::Path;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RSlice, RStr, RString};
use expect_test::{Expect, expect};
use serde_json::json;
use trustgen_config::Suite;
use trustgen_plugin_api::abi::{PluginDeclaration, PluginObject, PluginObject_TO};
use trustgen_plugin_api::sdk;
use trustgen_plugin_api::{
    BuildInput, BuildOutput, CallError, CallErrorKind, Cx, Dimension, Manifest, MetricSpec, PluginKind, ScoreInput,
    Step, TaskSpec, VariationOp, Verdict, fail,
};

use super::validate;
use crate::registry::{Plugin, Registry, Source};

/// A dimension plugin that declares two options and keeps the default check.
struct Declared;

fn task(name: &str) -> TaskSpec {
    TaskSpec::new(name, MetricSpec::default())
        .with_model_types(vec!["llm".into()])
        .with_variations(vec![VariationOp::Paraphrase])
}

impl Dimension for Declared {
    fn manifest(&self) -> Manifest {
        Manifest::new().with_tasks(vec![task("jailbreak"), task("toxicity")]).with_options(json!({
            "type": "object",
            "properties": {
                "dynamic": {"type": "boolean"},
                "toxicity_judge": {"type": "string", "enum": ["auto", "offline", "llm"]}
            },
            "additionalProperties": false
        }))
    }
    fn build(&self, _cx: &mut Cx, _input: &BuildInput) -> Step<BuildOutput> {
        fail!("not built in these tests")
    }
    fn score(&self, _cx: &mut Cx, _input: &ScoreInput) -> Step<Verdict> {
        fail!("not scored in these tests")
    }
}

/// A plugin built before `check_options`: it knows `manifest`, `build` and `score` only, so it
/// answers any other method as unknown (exactly what an older bridge does).
struct Older;

impl PluginObject for Older {
    fn manifest(&self) -> RResult<RString, RString> {
        let manifest = Manifest::new()
            .with_name("older")
            .with_kind(PluginKind::Dimension)
            .with_tasks(vec![task("quiz")])
            .with_options(json!({"type": "object", "properties": {}, "additionalProperties": false}));
        RResult::ROk(serde_json::to_string(&manifest).unwrap_or_default().into())
    }
    fn call(&self, method: RStr<'_>, _input: RStr<'_>, _bytes: RSlice<'_, u8>) -> RResult<RString, RString> {
        let error = CallError {
            kind: CallErrorKind::UnknownMethod,
            message: format!("dimension plugin `older` has no method `{method}`"),
        };
        RResult::RErr(error.to_json().into())
    }
}

/// A model-type plugin providing `llm`.
struct Llm;

impl trustgen_plugin_api::ModelType for Llm {
    fn manifest(&self) -> Manifest {
        Manifest::new().with_model_types(vec!["llm".into()])
    }
    fn respond(
        &self,
        _cx: &mut Cx,
        _input: &trustgen_plugin_api::RespondInput,
    ) -> Step<trustgen_plugin_api::ModelOutput> {
        fail!("not asked in these tests")
    }
}

fn registry() -> Registry {
    let plugin = |object, name: &str, kind: &str| {
        Plugin::new(object, Source::Linked, name, kind).unwrap_or_else(|e| panic!("{e}"))
    };
    let declaration = |kind, name| PluginDeclaration::new(kind, name, "0.1.0", trustgen_plugin_api::API_VERSION);
    Registry::of(vec![
        plugin(
            sdk::__private::dimension_object(declaration("dimension", "declared"), Declared),
            "declared",
            "dimension",
        ),
        plugin(sdk::__private::model_type_object(declaration("model_type", "llm"), Llm), "llm", "model_type"),
        plugin(PluginObject_TO::from_value(Older, TD_Opaque), "older", "dimension"),
    ])
}

/// Parses `text` as `suite.toml` and validates it against [`registry`].
#[track_caller]
fn check(text: &str, expected: Expect) {
    let suite = Suite::parse(Path::new("suite.toml"), text.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let got = match validate(&suite, &registry()) {
        Ok(()) => "ok".to_string(),
        Err(errors) => errors.to_string(),
    };
    expected.assert_eq(&got);
}

const TARGET: &str = "[models.target]\nprovider = \"embedded\"\n\n";

#[test]
fn a_valid_suite_with_options_passes() {
    check(
        &format!(
            "{TARGET}[[dimension]]\nplugin = \"declared\"\ntasks = [\"toxicity\"]\nvariations = [\"paraphrase\"]\noptions = {{ dynamic = false, toxicity_judge = \"llm\" }}\n"
        ),
        expect!["ok"],
    );
}

#[test]
fn an_option_typo_is_an_error_at_its_key_with_a_suggestion() {
    check(
        &format!("{TARGET}[[dimension]]\nplugin = \"declared\"\noptions = {{ dynamik = false }}\n"),
        expect!["suite.toml:6:13: [[dimension]] `declared` options: unknown option `dynamik`; did you mean `dynamic`?"],
    );
    check(
        &format!(
            "{TARGET}[[dimension]]\nplugin = \"declared\"\n\n[dimension.options]\ndynamic = true\ntoxicty_judge = \"llm\"\n"
        ),
        expect![
            "suite.toml:9:1: [[dimension]] `declared` options: unknown option `toxicty_judge`; did you mean `toxicity_judge`?"
        ],
    );
}

#[test]
fn a_wrong_option_value_is_an_error_at_the_value() {
    check(
        &format!(
            "{TARGET}[[dimension]]\nplugin = \"declared\"\noptions = {{ dynamic = \"yes\", toxicity_judge = \"ofline\" }}\n"
        ),
        expect![[r#"
            suite.toml:6:23: [[dimension]] `declared` options: option `dynamic` must be boolean, not "yes"
            suite.toml:6:47: [[dimension]] `declared` options: option `toxicity_judge` is "ofline"; allowed values: "auto", "offline", "llm"; did you mean `offline`?"#]],
    );
}

#[test]
fn a_plugin_without_check_options_is_not_checked() {
    check(&format!("{TARGET}[[dimension]]\nplugin = \"older\"\noptions = {{ anything = 1 }}\n"), expect!["ok"]);
}

#[test]
fn unknown_plugins_tasks_variations_and_model_types() {
    check(
        r#"
[models.target]
type = "lm"
provider = "embedded"

[[dimension]]
plugin = "declard"

[[dimension]]
plugin = "declared"
tasks = ["jailbrake"]
variations = ["length"]
"#,
        expect![[r#"
            suite.toml:7:10: no dimension plugin named `declard`; did you mean `declared`? (see `trustgen plugins list`)
            suite.toml:11:10: plugin `declared` has no task `jailbrake`; did you mean `jailbreak`?
            suite.toml:12:15: no selected task of `declared` allows the variation `length`; see `trustgen plugins info` for each task's variations
            suite.toml:3:8: no model-type plugin provides type `lm` for [models.target]; expected one of `llm`"#]],
    );
    check(
        "[[dimension]]\nplugin = \"declared\"\n",
        expect![
            "suite.toml:2:10: dimension `declared` needs a target model, but the suite has no [models.target]; add a [models.target] table (e.g. provider = \"embedded\")"
        ],
    );
}
