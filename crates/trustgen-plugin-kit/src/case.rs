//! Building case metadata, and reading a built case back while scoring.
//!
//! A scorer gets the case its builder made (possibly rewritten by the engine's variator) and
//! reads what it needs from it: the question the target saw, metadata the builder recorded, the
//! ground truth. A case without them was not built by this plugin (or by an older version), so
//! their absence is an error naming the case.

use serde_json::{Map, Value};
use trustgen_plugin_api::{Step, TestCase, fail};

/// A JSON object from pairs (case metadata, method parameters).
pub fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The last user turn of the case's `main` prompt (or of its only one): the question the target
/// answered.
pub fn question(case: &TestCase) -> Step<&str> {
    match case.prompt("main").or_else(|| case.prompts.first()).and_then(|p| p.turns.last()) {
        Some(turn) => Ok(turn),
        None => fail!("case `{}` has no prompt", case.id),
    }
}

/// The last user turn of the prompt named `prompt`, as the target saw it.
pub fn prompt_text<'a>(case: &'a TestCase, prompt: &str) -> Step<&'a str> {
    match case.prompt(prompt).and_then(|p| p.turns.last()) {
        Some(turn) => Ok(turn),
        None => fail!("case `{}` has no prompt `{prompt}`", case.id),
    }
}

/// A string field of the case's metadata.
pub fn metadata<'a>(case: &'a TestCase, key: &str) -> Step<&'a str> {
    match case.metadata.get(key).and_then(Value::as_str) {
        Some(value) => Ok(value),
        None => fail!("case `{}` has no metadata `{key}`", case.id),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use trustgen_plugin_api::{Prompt, Stop};

    use super::*;

    fn message<T: std::fmt::Debug>(result: Step<T>) -> String {
        match result {
            Err(Stop::Error(message)) => message,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn questions_prompts_and_metadata() {
        let mut second = Prompt::user("first turn");
        second.name = "perturbed".into();
        second.turns.push("second turn".into());
        let case = TestCase::default()
            .with_id("demo/t/0")
            .with_prompts(vec![Prompt::user("clean question"), second])
            .with_metadata(object([("kind", json!("nli")), ("n", json!(3))]));
        assert_eq!(question(&case), Ok("clean question"));
        assert_eq!(prompt_text(&case, "perturbed"), Ok("second turn"));
        assert_eq!(metadata(&case, "kind"), Ok("nli"));
        let empty = TestCase::default().with_id("demo/t/1");
        let lines = [message(question(&empty)), message(prompt_text(&case, "baseline")), message(metadata(&case, "n"))];
        expect_test::expect![[r#"
            case `demo/t/1` has no prompt
            case `demo/t/0` has no prompt `baseline`
            case `demo/t/0` has no metadata `n`"#]]
        .assert_eq(&lines.join("\n"));
    }
}
