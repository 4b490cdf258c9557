//! Tests of the step protocol: the checks of `Cx`, the request keys and the
//! one driver, `Session`.

use expect_test::{Expect, expect};

use super::*;
use crate::schema::{GenParams, ModelReply, ModelRequest, ModelRole};

fn judge(text: &str) -> ModelRequest {
    ModelRequest::user(ModelRole::Judge, text).with_purpose("judge:test@1")
}

/// Drives `method` answering every request with its own text reversed, and
/// returns the result or the error.
#[track_caller]
fn check<T: std::fmt::Debug>(method: impl FnMut(&mut Cx) -> Step<T>, expected: Expect) {
    let result = drive(method, |requests| {
        requests
            .iter()
            .map(|r| match &r.kind {
                RequestKind::Chat(chat) => ModelReply::text(chat.messages[0].content.chars().rev().collect::<String>()),
                _ => ModelReply::text("?"),
            })
            .collect()
    });
    let shown = match result {
        Ok((value, requests)) => format!("ok {value:?} after {} requests", requests.len()),
        Err(message) => format!("error: {message}"),
    };
    expected.assert_eq(&shown);
}

#[test]
fn a_method_that_swallows_pending_is_rejected() {
    check(
        |cx| Ok(cx.ask(judge("abc")).ok().and_then(|r| r.text)),
        expect![
            "error: method `trustgen_plugin_api::step::tests::a_method_that_swallows_pending_is_rejected` returned a result while a model request was pending (a chat request to the judge (`judge:test@1`)); propagate `Stop::Pending` with `?` instead of `.ok()`/`unwrap_or_default()`"
        ],
    );
    check(
        |cx| Ok(cx.ask(judge("abc")).unwrap_or_default().text),
        expect![
            "error: method `trustgen_plugin_api::step::tests::a_method_that_swallows_pending_is_rejected` returned a result while a model request was pending (a chat request to the judge (`judge:test@1`)); propagate `Stop::Pending` with `?` instead of `.ok()`/`unwrap_or_default()`"
        ],
    );
    // Propagated, the same request is answered.
    check(|cx| Ok(cx.ask(judge("abc"))?.text), expect![[r#"ok Some("cba") after 1 requests"#]]);
}

#[test]
fn replies_go_to_the_requests_they_answer() {
    // The method asks two different requests in a different order on each
    // call (a non-deterministic method); by position alone it would get the
    // reply of the other request.
    let mut calls = 0;
    check(
        move |cx| {
            calls += 1;
            let (a, b) = if calls % 2 == 1 { ("first", "second") } else { ("second", "first") };
            let replies = cx.ask_all(vec![judge(a), judge(b)])?;
            Ok(replies.into_iter().map(|r| r.text.unwrap_or_default()).collect::<Vec<_>>())
        },
        expect![
            "error: method `trustgen_plugin_api::step::tests::replies_go_to_the_requests_they_answer` asked a chat request to the judge (`judge:test@1`) (key 0b08302e1e0b) at reply 1 but the recorded reply answers the request with key dff7ccdef447; a method must ask the same requests in the same order on every call (take randomness from the run seed only)"
        ],
    );
}

#[test]
fn unused_replies_are_an_error() {
    // Asks on the first call only: the second call finishes with a recorded
    // reply left over.
    let mut calls = 0;
    check(
        move |cx| {
            calls += 1;
            if calls == 1 {
                cx.ask(judge("x"))?;
            }
            Ok(())
        },
        expect![
            "error: method `trustgen_plugin_api::step::tests::unused_replies_are_an_error` finished after using 0 of 1 recorded replies; a method must ask the same requests on every call"
        ],
    );
}

#[test]
fn more_requests_than_recorded_replies_is_an_error() {
    let mut calls = 0;
    check(
        move |cx| {
            calls += 1;
            let n = calls;
            cx.ask_all((0..n).map(|i| judge(&format!("q{i}"))).collect())?;
            Ok(())
        },
        expect![
            "error: method `trustgen_plugin_api::step::tests::more_requests_than_recorded_replies_is_an_error` asked 2 requests at reply 1 but only 1 recorded replies are left (the engine answers whole rounds); a method must ask the same requests on every call"
        ],
    );
}

#[test]
fn a_swallowed_mismatch_still_fails() {
    let mut calls = 0;
    check(
        move |cx| {
            calls += 1;
            let _ = cx.ask(judge(if calls == 1 { "a" } else { "b" }));
            Ok(())
        },
        expect![
            "error: method `trustgen_plugin_api::step::tests::a_swallowed_mismatch_still_fails` returned a result while a model request was pending (a chat request to the judge (`judge:test@1`)); propagate `Stop::Pending` with `?` instead of `.ok()`/`unwrap_or_default()`"
        ],
    );
}

#[test]
fn pending_without_asking_is_an_error() {
    check(
        |_cx| -> Step<()> { Err(Stop::Pending) },
        expect![
            "error: method `trustgen_plugin_api::step::tests::pending_without_asking_is_an_error` returned `Stop::Pending` without asking anything; only propagate it from `cx.ask(..)?`"
        ],
    );
}

#[test]
fn the_round_limit_is_enforced() {
    // A method that never stops asking.
    check(
        |cx| -> Step<()> {
            for i in 0.. {
                cx.ask(judge(&format!("round {i}")))?;
            }
            Ok(())
        },
        expect![
            "error: method `trustgen_plugin_api::step::tests::the_round_limit_is_enforced` asked for more than 64 rounds of requests; hint: ask independent requests together with `cx.ask_all`"
        ],
    );
    // 64 rounds are fine.
    check(
        |cx| {
            for i in 0..MAX_ROUNDS {
                cx.ask(judge(&format!("round {i}")))?;
            }
            Ok(())
        },
        expect!["ok () after 64 requests"],
    );
}

#[test]
fn a_reply_function_must_answer_every_request() {
    let result = drive(|cx| cx.ask(judge("a")), |_| vec![]);
    expect!["method `trustgen_plugin_api::step::tests::a_reply_function_must_answer_every_request`: 0 replies for 1 requests; answer every request of the round"]
        .assert_eq(&result.unwrap_err());
}

#[test]
fn request_keys_are_stable() {
    // The key is part of the wire contract: these values must never change.
    // The first is the SHA-256 of this canonical JSON (checked with Python's
    // hashlib): {"kind":"chat","messages":[{"content":"Is the sky blue?",
    // "role":"user"}],"params":{"temperature":0.0},"purpose":"judge:test@1","role":"judge"}
    let key = RequestKey::of(&judge("Is the sky blue?").with_params(GenParams::greedy()));
    expect!["2f83db4179b52574a64993b9da0fe466af8e852cf08723dbad9d3b08b9d7d84d"].assert_eq(key.as_str());
    let embed = RequestKey::of(&ModelRequest::embed(vec!["a".into(), "b".into()]));
    expect!["9e2c971d916893d30f34850fb5f17018e2b789dc2a367d371ba8197cea6c9b02"].assert_eq(embed.as_str());
    // Different content, different key; same content, same key.
    assert_ne!(RequestKey::of(&judge("a")), RequestKey::of(&judge("b")));
    assert_eq!(RequestKey::of(&judge("a")), RequestKey::of(&judge("a")));
}

#[test]
fn canonical_json_sorts_keys_and_drops_whitespace() {
    let value = serde_json::json!({"b": [1, 2.5, {"z": null, "a": "x\"y"}], "a": true});
    let mut out = Vec::new();
    write_canonical(&value, &mut out);
    expect![[r#"{"a":true,"b":[1,2.5,{"a":"x\"y","z":null}]}"#]].assert_eq(std::str::from_utf8(&out).unwrap());
}

#[test]
fn a_session_drives_json_calls() {
    // The host side: envelope, output, answer, with the keys echoed.
    let mut session = Session::new("demo", "score");
    let input = serde_json::value::to_raw_value(&serde_json::json!({"x": 1})).unwrap();
    expect![[r#"{"input":{"x":1},"replies":[]}"#]].assert_eq(&session.envelope(&input).unwrap());
    let asked = KeyedRequest::new(judge("q"));
    let output = serde_json::to_string(&CallOutput::<()>::Need(vec![asked.clone()])).unwrap();
    let Next::Need(requests) = session.accept::<()>(&output).unwrap() else { panic!("expected requests") };
    assert_eq!(requests, vec![asked.request.clone()]);
    session.answer(vec![ModelReply::text("yes")]).unwrap();
    let envelope: CallInput<serde_json::Value> = serde_json::from_str(&session.envelope(&input).unwrap()).unwrap();
    assert_eq!(envelope.replies, vec![KeyedReply { key: asked.key, reply: ModelReply::text("yes") }]);
    assert_eq!(session.accept::<u8>(r#"{"done": 7}"#).unwrap(), Next::Done(7));
    expect!["plugin `demo` method `score` returned malformed output: unknown variant `finished`, expected `done` or `need` at line 1 column 11"]
        .assert_eq(&session.accept::<u8>(r#"{"finished": 7}"#).unwrap_err());
}

#[test]
fn a_session_refuses_requests_it_cannot_run() {
    let mut session = Session::new("newer", "build");
    let output = r#"{"need": [{"key": "k", "request": {"role": "critic", "kind": "chat", "messages": []}}]}"#;
    expect!["plugin `newer` method `build` asked a model role this trustgen does not know (a chat request to an unknown model role); hint: the plugin was built against a newer trustgen-plugin-api; upgrade trustgen"]
        .assert_eq(&session.accept::<()>(output).unwrap_err());
    let mut session = Session::new("newer", "build");
    let output = r#"{"need": [{"key": "k", "request": {"role": "judge", "kind": "video", "seconds": 3}}]}"#;
    expect!["plugin `newer` method `build` asked a kind of request this trustgen does not know (an unknown request to the judge); hint: the plugin was built against a newer trustgen-plugin-api; upgrade trustgen"]
        .assert_eq(&session.accept::<()>(output).unwrap_err());
}
