//! Checking a `[[dimension]] options` table before a run: [`OptionProblem`] and the default
//! check against the manifest's declared `options` schema.
//!
//! The host asks a dimension plugin to check its options through the `check_options` method of
//! the call entry point ([`crate::sdk::methods::CHECK_OPTIONS`]) while it validates a suite, so a
//! typo is an error with the key's line in the suite file, before any request is sent.
//! [`Dimension::check_options`](crate::Dimension::check_options) does this by default with
//! [`check`], which understands the JSON-Schema subset plugins declare:
//!
//! ```json
//! {
//!   "type": "object",
//!   "properties": {
//!     "dynamic": {"type": "boolean", "default": true, "description": "..."},
//!     "sources": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 1}
//!   },
//!   "additionalProperties": false
//! }
//! ```
//!
//! Keywords: `properties`, `additionalProperties: false`, and per property `type` (`boolean`,
//! `string`, `integer`, `number`, `array`, `object`, `null`, or a list of them), `enum`, `items`
//! (the same keywords for each element) and `minItems`. A schema without `properties` and
//! `additionalProperties` (or none at all) accepts any table.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::JsonMap;

/// A problem with one option of a `[[dimension]] options` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionProblem {
    /// The top-level key of the options table the problem is about (the host points at it).
    pub key: String,
    /// What is wrong, lowercase, e.g. "unknown option `dynamik`".
    pub message: String,
    /// The word that was not recognised (an unknown key or value), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
    /// What is allowed in its place: the host suggests the closest one to `unknown`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected: Vec<String>,
}

impl OptionProblem {
    /// A problem with `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> OptionProblem {
        OptionProblem { key: key.into(), message: message.into(), unknown: None, expected: Vec::new() }
    }

    /// The unrecognised `word` and what is allowed in its place.
    pub fn with_unknown(mut self, word: impl Into<String>, expected: Vec<String>) -> OptionProblem {
        self.unknown = Some(word.into());
        self.expected = expected;
        self
    }
}

/// Checks `options` against a declared `options` schema (see the module documentation); the
/// problems come in key order.
pub fn check(schema: &Value, options: &JsonMap) -> Vec<OptionProblem> {
    let Some(schema) = schema.as_object() else { return Vec::new() };
    let properties = schema.get("properties").and_then(Value::as_object);
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    if properties.is_none() && !closed {
        return Vec::new();
    }
    let names: Vec<String> = properties.map(|p| p.keys().cloned().collect()).unwrap_or_default();
    let mut problems = Vec::new();
    for (key, value) in options {
        match properties.and_then(|p| p.get(key)) {
            Some(property) => {
                if let Some(problem) = check_value(key, key, property, value) {
                    problems.push(problem);
                }
            }
            None if closed => {
                let message = if names.is_empty() {
                    format!("unknown option `{key}` (the plugin takes no options)")
                } else {
                    format!("unknown option `{key}`")
                };
                problems.push(OptionProblem::new(key, message).with_unknown(key, names.clone()));
            }
            None => {}
        }
    }
    problems
}

/// The JSON type name of a value, as JSON Schema spells it.
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, wanted: &str) -> bool {
    let actual = type_of(value);
    actual == wanted || (wanted == "number" && actual == "integer")
}

/// The problem with `value` (at `path`, under the top-level `key`) against `schema`, if any.
fn check_value(key: &str, path: &str, schema: &Value, value: &Value) -> Option<OptionProblem> {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| has_type(value, t)) {
        return Some(OptionProblem::new(key, format!("option `{path}` must be {}, not {value}", types.join(" or "))));
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        let names: Vec<String> =
            allowed.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect();
        let problem = OptionProblem::new(
            key,
            format!(
                "option `{path}` is {value}; allowed values: {}",
                allowed.iter().map(Value::to_string).collect::<Vec<_>>().join(", ")
            ),
        );
        return Some(match value.as_str() {
            Some(word) => problem.with_unknown(word, names),
            None => problem,
        });
    }
    if let Some(list) = value.as_array() {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (list.len() as u64) < min
        {
            return Some(OptionProblem::new(key, format!("option `{path}` needs at least {min} item(s)")));
        }
        if let Some(items) = schema.get("items") {
            return list
                .iter()
                .enumerate()
                .find_map(|(i, item)| check_value(key, &format!("{path}[{i}]"), items, item));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "dynamic": {"type": "boolean", "default": true},
                "judge": {"type": "string", "enum": ["auto", "offline", "llm"]},
                "methods": {"type": "array", "items": {"type": "string", "enum": ["Encoding", "CoT"]}, "minItems": 1},
                "limit": {"type": "integer"},
                "ratio": {"type": "number"}
            },
            "additionalProperties": false
        })
    }

    /// Checks `options` against `schema`, one line per problem (`key: message [unknown → expected]`).
    #[track_caller]
    fn check_lines(schema: &Value, options: Value, expected: expect_test::Expect) {
        let options = options.as_object().cloned().unwrap_or_default();
        let lines: Vec<String> = check(schema, &options)
            .into_iter()
            .map(|p| match p.unknown {
                Some(word) => format!("{}: {} [{word} → {}]", p.key, p.message, p.expected.join(" ")),
                None => format!("{}: {}", p.key, p.message),
            })
            .collect();
        expected.assert_eq(&lines.join("\n"));
    }

    #[test]
    fn valid_tables_pass() {
        check_lines(
            &schema(),
            json!({"dynamic": false, "judge": "llm", "methods": ["CoT"], "limit": 3, "ratio": 1}),
            expect_test::expect![""],
        );
        check_lines(&schema(), json!({}), expect_test::expect![""]);
    }

    #[test]
    fn unknown_keys_name_the_known_ones() {
        check_lines(
            &schema(),
            json!({"dynamik": true, "zzz": 1}),
            expect_test::expect![[r#"
                dynamik: unknown option `dynamik` [dynamik → dynamic judge limit methods ratio]
                zzz: unknown option `zzz` [zzz → dynamic judge limit methods ratio]"#]],
        );
        let none = json!({"type": "object", "properties": {}, "additionalProperties": false});
        check_lines(
            &none,
            json!({"dynamic": true}),
            expect_test::expect!["dynamic: unknown option `dynamic` (the plugin takes no options) [dynamic → ]"],
        );
    }

    #[test]
    fn wrong_types_and_values_are_problems() {
        check_lines(
            &schema(),
            json!({"dynamic": "yes", "judge": "perspective", "methods": ["CoT", "Encode"], "limit": 1.5, "ratio": "x"}),
            expect_test::expect![[r#"
                dynamic: option `dynamic` must be boolean, not "yes"
                judge: option `judge` is "perspective"; allowed values: "auto", "offline", "llm" [perspective → auto offline llm]
                limit: option `limit` must be integer, not 1.5
                methods: option `methods[1]` is "Encode"; allowed values: "Encoding", "CoT" [Encode → Encoding CoT]
                ratio: option `ratio` must be number, not "x""#]],
        );
        check_lines(
            &schema(),
            json!({"methods": []}),
            expect_test::expect!["methods: option `methods` needs at least 1 item(s)"],
        );
    }

    /// A dimension whose manifest declares [`schema`] and that keeps the default check.
    struct Declared;

    impl crate::Dimension for Declared {
        fn manifest(&self) -> crate::Manifest {
            crate::Manifest { options: schema(), ..crate::Manifest::default() }
        }
        fn build(&self, _cx: &mut crate::Cx, _input: &crate::BuildInput) -> crate::Step<crate::BuildOutput> {
            crate::fail!("not built in this test")
        }
        fn score(&self, _cx: &mut crate::Cx, _input: &crate::ScoreInput) -> crate::Step<crate::Verdict> {
            crate::fail!("not scored in this test")
        }
    }

    #[test]
    fn the_bridge_answers_check_options_with_the_default_check() {
        use abi_stable::std_types::{RResult, RSlice, RStr};

        let declaration = crate::abi::PluginDeclaration::new("dimension", "declared", "0.1.0", crate::API_VERSION);
        let object = crate::sdk::__private::dimension_object(declaration, Declared);
        let call = |input: &str| match object.call(
            RStr::from_str(crate::sdk::methods::CHECK_OPTIONS),
            RStr::from_str(input),
            RSlice::from_slice(&[]),
        ) {
            RResult::ROk(json) => json.into_string(),
            RResult::RErr(err) => format!("error: {}", crate::CallError::from_json(&err)),
        };
        expect_test::expect![[r#"[{"key":"dynamik","message":"unknown option `dynamik`","unknown":"dynamik","expected":["dynamic","judge","limit","methods","ratio"]}]"#]]
            .assert_eq(&call(r#"{"options": {"dynamik": true, "dynamic": false}}"#));
        expect_test::expect!["[]"].assert_eq(&call(r#"{"options": {}}"#));
        expect_test::expect!["error: bad input: invalid type: integer `3`, expected a map at line 1 column 13"]
            .assert_eq(&call(r#"{"options": 3}"#));
    }

    #[test]
    fn undeclared_or_open_schemas_accept_anything() {
        check_lines(&Value::Null, json!({"anything": 1}), expect_test::expect![""]);
        check_lines(&json!("a plain description"), json!({"anything": 1}), expect_test::expect![""]);
        let open = json!({"type": "object", "properties": {"dynamic": {"type": "boolean"}}});
        check_lines(
            &open,
            json!({"other": 1, "dynamic": "no"}),
            expect_test::expect![[r#"dynamic: option `dynamic` must be boolean, not "no""#]],
        );
    }
}
