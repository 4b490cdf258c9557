//! Tests of the JSON bridge: protocol errors name the plugin and the method,
//! and a method's input is parsed once across rounds.

use std::sync::atomic::{AtomicUsize, Ordering};

use expect_test::expect;

use super::*;
use crate::schema::{ModelReply, ModelRequest, ModelRole, TestCase};
use crate::step::{Next, Session};

/// Scores by asking the judge; `swallow` makes it drop the pending request.
struct Judged {
    swallow: bool,
}

impl Dimension for Judged {
    fn manifest(&self) -> Manifest {
        Manifest::default()
    }

    fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        // One request per round, three rounds.
        let mut cases = Vec::new();
        for round in 0..3 {
            let reply = cx.ask(ModelRequest::user(ModelRole::Generator, format!("case {round} of {}", input.task)))?;
            cases.push(TestCase { id: reply.text.unwrap_or_default(), ..TestCase::default() });
        }
        Ok(BuildOutput { cases, skipped: vec![], items: None })
    }

    fn score(&self, cx: &mut Cx, _input: &ScoreInput) -> Step<Verdict> {
        let request = ModelRequest::user(ModelRole::Judge, "grade it");
        let reply = if self.swallow { cx.ask(request).unwrap_or_default() } else { cx.ask(request)? };
        Ok(Verdict::scored(if reply.ok_text() == Some("yes") { 1.0 } else { 0.0 }))
    }
}

const DECLARATION: PluginDeclaration = PluginDeclaration::new("dimension", "judged", "0.1.0", crate::API_VERSION);

fn call(object: &PluginBox, method: &str, input: &str) -> Result<String, CallError> {
    match object.call(RStr::from_str(method), RStr::from_str(input), RSlice::from_slice(&[])) {
        RResult::ROk(json) => Ok(json.into_string()),
        RResult::RErr(err) => Err(CallError::from_json(&err)),
    }
}

/// Drives `method` through the bridge with a session, answering `yes`.
fn drive_bridge<O: DeserializeOwned>(object: &PluginBox, method: &str, input: &impl Serialize) -> Result<O, String> {
    let mut session = Session::new("judged", method);
    let raw = serde_json::value::to_raw_value(input).unwrap();
    loop {
        let output = call(object, method, &session.envelope(&raw)?).map_err(|e| e.to_string())?;
        match session.accept::<O>(&output)? {
            Next::Done(value) => return Ok(value),
            Next::Need(requests) => session.answer(requests.iter().map(|_| ModelReply::text("yes")).collect())?,
        }
    }
}

#[test]
fn the_bridge_rejects_a_method_that_swallows_pending() {
    let object = __private::dimension_object(DECLARATION, Judged { swallow: true });
    let err = drive_bridge::<Verdict>(&object, methods::SCORE, &ScoreInput::default()).unwrap_err();
    expect!["plugin `judged` method `score` returned a result while a model request was pending (a chat request to the judge); propagate `Stop::Pending` with `?` instead of `.ok()`/`unwrap_or_default()`"]
        .assert_eq(&err);
    let honest = __private::dimension_object(DECLARATION, Judged { swallow: false });
    let verdict = drive_bridge::<Verdict>(&honest, methods::SCORE, &ScoreInput::default()).unwrap();
    assert_eq!(verdict.score, Some(1.0));
}

#[test]
fn the_bridge_rejects_replies_to_other_requests() {
    let object = __private::dimension_object(DECLARATION, Judged { swallow: false });
    let wrong = KeyedReply {
        key: KeyedRequest::new(ModelRequest::user(ModelRole::Judge, "other")).key,
        reply: ModelReply::text("yes"),
    };
    let envelope = serde_json::to_string(&CallInput { input: ScoreInput::default(), replies: vec![wrong] }).unwrap();
    let err = call(&object, methods::SCORE, &envelope).unwrap_err();
    assert_eq!(err.kind, CallErrorKind::Protocol);
    assert!(err.message.starts_with("plugin `judged` method `score` asked a chat request to the judge (key "), "{err}");
}

/// Counts the `BuildInput`s parsed (through its `task` field).
static PARSED: AtomicUsize = AtomicUsize::new(0);

#[derive(Deserialize)]
struct Counted {
    #[serde(deserialize_with = "count")]
    _task: String,
}

fn count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    PARSED.fetch_add(1, Ordering::SeqCst);
    String::deserialize(d)
}

#[test]
fn the_input_cache_parses_each_input_once() {
    let cache = InputCache::<Counted>::default();
    let a = r#"{"_task": "a"}"#;
    let first = cache.get(a).unwrap();
    let again = cache.get(a).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(PARSED.load(Ordering::SeqCst), 1);
    // Another text (even one space) is another input.
    cache.get(r#"{"_task": "a" }"#).unwrap();
    assert_eq!(PARSED.load(Ordering::SeqCst), 2);
    // Old entries are dropped beyond the capacity.
    for i in 0..CACHED_INPUTS {
        cache.get(&format!(r#"{{"_task": "{i}"}}"#)).unwrap();
    }
    cache.get(a).unwrap();
    assert_eq!(PARSED.load(Ordering::SeqCst), 3 + CACHED_INPUTS);
}

#[test]
fn a_build_over_rounds_through_the_bridge() {
    let object = __private::dimension_object(DECLARATION, Judged { swallow: false });
    let input = BuildInput { task: "t".into(), ..BuildInput::default() };
    let output = drive_bridge::<BuildOutput>(&object, methods::BUILD, &input).unwrap();
    assert_eq!(output.cases.len(), 3);
}

/// Builds one case with two images (the first attached twice) and asks the
/// generator about the second one: the bytes cross the boundary beside the
/// JSON, which refers to them by range.
struct Painter;

impl Dimension for Painter {
    fn manifest(&self) -> Manifest {
        Manifest::default()
    }

    fn build(&self, cx: &mut Cx, _input: &BuildInput) -> Step<BuildOutput> {
        let red = cx.attach_image("image/png", b"\x89PNG red");
        let again = cx.attach_image("image/png", b"\x89PNG red");
        let blue = cx.attach_image("image/png", b"\x89PNG blue\n");
        let mut message = crate::schema::Message::user("describe it");
        message.images = vec![blue.clone()];
        let reply = cx.ask(ModelRequest::chat(ModelRole::Generator, vec![message]))?;
        let prompt = crate::schema::Prompt::user(reply.text.unwrap_or_default()).with_images(vec![red, again, blue]);
        Ok(BuildOutput { cases: vec![TestCase::new("c", "t", vec![prompt])], skipped: vec![], items: None })
    }

    fn score(&self, _cx: &mut Cx, _input: &ScoreInput) -> Step<Verdict> {
        Ok(Verdict::scored(1.0))
    }
}

#[test]
fn images_a_method_attaches_cross_the_boundary_as_bytes_beside_the_json() {
    use crate::schema::{ImageSource, RequestKind};
    let object = __private::dimension_object(DECLARATION, Painter);
    let raw = serde_json::value::to_raw_value(&BuildInput::new("t", 1)).unwrap();
    let mut session = Session::new("painter", methods::BUILD);
    let output = call(&object, methods::BUILD, &session.envelope(&raw).unwrap()).unwrap();
    // The JSON is one line; the bytes follow it, never inside a JSON value.
    let (json, _) = output.split_once('\n').unwrap();
    assert!(!json.contains("PNG"), "{json}");
    let Next::Need(requests) = session.accept::<BuildOutput>(&output).unwrap() else { panic!("expected a request") };
    let bytes = session.take_bytes();
    assert_eq!(bytes, b"\x89PNG red\x89PNG blue\n");
    let RequestKind::Chat(chat) = &requests[0].kind else { panic!("not a chat request") };
    assert_eq!(chat.messages[0].images[0].source, ImageSource::Blob { offset: 8, len: 10 });
    session.answer(vec![ModelReply::text("a red square")]).unwrap();
    let output = call(&object, methods::BUILD, &session.envelope(&raw).unwrap()).unwrap();
    let Next::Done(built) = session.accept::<BuildOutput>(&output).unwrap() else { panic!("expected the result") };
    let sources: Vec<_> = built.cases[0].prompts[0].images.iter().map(|i| i.source.clone()).collect();
    assert_eq!(
        sources,
        [
            ImageSource::Blob { offset: 0, len: 8 },
            ImageSource::Blob { offset: 0, len: 8 },
            ImageSource::Blob { offset: 8, len: 10 }
        ]
    );
    assert_eq!(session.take_bytes(), b"\x89PNG red\x89PNG blue\n");
    // A call that attaches nothing returns plain JSON.
    let plain = call(
        &object,
        methods::SCORE,
        r#"{"input": {"case": {"id": "c", "task": "t", "prompts": []}, "output": {"answers": []}}}"#,
    )
    .unwrap();
    assert!(!plain.contains('\n'));
}

#[test]
fn bytes_after_the_json_that_are_not_base64_are_a_clear_error() {
    let mut session = Session::new("painter", methods::BUILD);
    let err = session.accept::<BuildOutput>("{\"done\": {\"cases\": []}}\n!!!").err().unwrap();
    assert!(
        err.starts_with(
            "plugin `painter` method `build` returned malformed output: the bytes after the JSON output are not base64"
        ),
        "{err}"
    );
}
