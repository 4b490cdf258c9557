//! Checking a generator's reply before any of it becomes a test case.
//!
//! A builder asks the generator with a [`BuilderPrompt`](crate::BuilderPrompt) and gets a
//! [`ModelReply`]. The reply is usable only when the request succeeded, the text holds a JSON
//! object (parsed with the judges' tolerant extractor: code fences, single quotes, trailing
//! commas), the object carries the expected keys, and the values pass their checks (present,
//! sensible length, not a refusal). Otherwise the item is skipped with the reason, never half
//! used.
//!
//! The reasons are plain text because they go straight into `Skipped::reason`, next to the
//! plugin's own checks: every function here returns `Result<T, String>`, so a plugin's parser
//! chains them with `?` and its own conditions.

use std::ops::RangeInclusive;

use serde_json::{Map, Value};
use trustgen_judges::json;
use trustgen_judges::refusal::keyword_hit;
use trustgen_plugin_api::{ModelReply, ReplyStatus};

/// A JSON object of a reply.
pub type Object = Map<String, Value>;

/// Why a generator reply has no text to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoText<'a> {
    /// The request succeeded but the text is empty.
    #[error("the generator's reply is empty")]
    Empty,
    /// The provider's content filter blocked the request or the reply; its message, if any.
    #[error("the generator's provider blocked the request (content filter)")]
    Filtered(Option<&'a str>),
    /// The request failed after the engine's retries; its message, if any.
    #[error("the generator request failed: {}", .0.unwrap_or("no error message"))]
    Failed(Option<&'a str>),
}

impl NoText<'_> {
    /// The wording that names the reply status and quotes the provider's message for a filter
    /// block too (`the generator's request failed (ContentFiltered): <message>`), which the
    /// truthfulness and fairness plugins record.
    pub fn with_status(&self) -> String {
        let (status, error) = match self {
            NoText::Empty => return self.to_string(),
            NoText::Filtered(error) => (ReplyStatus::ContentFiltered, error),
            NoText::Failed(error) => (ReplyStatus::Error, error),
        };
        format!("the generator's request failed ({status:?}): {}", error.unwrap_or("no error message"))
    }
}

impl From<NoText<'_>> for String {
    fn from(reason: NoText<'_>) -> String {
        reason.to_string()
    }
}

/// The text of a generator reply, or why there is none: the provider's content filter blocked
/// it, the request failed, or the text is empty.
pub fn text(reply: &ModelReply) -> Result<&str, NoText<'_>> {
    match (reply.status, reply.ok_text()) {
        (_, Some(text)) if !text.trim().is_empty() => Ok(text),
        (ReplyStatus::Ok, _) => Err(NoText::Empty),
        (ReplyStatus::ContentFiltered, _) => Err(NoText::Filtered(reply.error.as_deref())),
        // An error, or a status from a newer host: no usable text.
        _ => Err(NoText::Failed(reply.error.as_deref())),
    }
}

/// The JSON objects of a reply text; when there is none, the reason tells a refusal ("I'm sorry,
/// but ...") from other prose.
pub fn objects(text: &str) -> Result<Vec<Object>, String> {
    let objects = json::objects(text);
    if objects.is_empty() {
        return Err(if keyword_hit(text).is_some() {
            "the generator refused".into()
        } else {
            "the generator's reply has no JSON object".into()
        });
    }
    Ok(objects)
}

/// The array `key` of the first object that has one.
pub fn list(objects: Vec<Object>, key: &str) -> Result<Vec<Value>, String> {
    objects
        .into_iter()
        .find_map(|o| match o.get(key) {
            Some(Value::Array(items)) => Some(items.clone()),
            _ => None,
        })
        .ok_or_else(|| format!("the generator's reply has no `{key}` list"))
}

/// The first JSON object of a reply that has every key in `keys`; the reasons quote the start of
/// the reply (see [`excerpt`]).
pub fn object_with_keys(reply: &ModelReply, keys: &[&str]) -> Result<Object, String> {
    let text = text(reply)?;
    let objects = json::objects(text);
    if objects.is_empty() {
        return Err(format!("the generator's reply contains no JSON object: {}", excerpt(text)));
    }
    objects.into_iter().find(|o| keys.iter().all(|k| o.contains_key(*k))).ok_or_else(|| {
        format!("the generator's reply has no JSON object with the keys {}: {}", keys.join(", "), excerpt(text))
    })
}

/// A non-empty string value of a reply object, trimmed; a refusal in it is an error quoting it.
pub fn string(object: &Object, key: &str) -> Result<String, String> {
    let value = object.get(key).and_then(Value::as_str).map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(format!("the generator's reply has an empty \"{key}\""));
    }
    if let Some(phrase) = keyword_hit(value) {
        return Err(format!("the generator refused (\"{phrase}\"): {}", excerpt(value)));
    }
    Ok(value.to_string())
}

/// A string value of a reply object (or of one item of a list), trimmed, whose length in
/// characters is within `chars` and which is not a refusal.
pub fn field(object: &Object, key: &str, chars: RangeInclusive<usize>) -> Result<String, String> {
    let value = object
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("`{key}` is missing or empty"))?;
    let count = value.chars().count();
    if !chars.contains(&count) {
        return Err(format!("`{key}` has {count} characters, not between {} and {}", chars.start(), chars.end()));
    }
    if let Some(phrase) = keyword_hit(value) {
        return Err(format!("`{key}` is a refusal (\"{phrase}\")"));
    }
    Ok(value.to_string())
}

/// The first 120 characters of a text (trimmed, `...` when cut), for reasons and messages.
pub fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// The de-duplication key of a text: its words (letters and digits) in lower case, single
/// spaces; two texts that differ only in case, spacing and punctuation have the same key.
pub fn dedup_key(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The items of a generator's list: the usable ones, and the reasons the others are not usable.
/// `Err` when the reply as a whole is unusable (no JSON, no list, no usable item).
pub type Parsed<T> = Result<(Vec<T>, Vec<String>), String>;

/// How [`check_items`] takes the items of a list and words its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRules<'a> {
    /// How an item is named in its reason: `item` gives `item 2: <reason>`.
    pub noun: &'a str,
    /// The most items taken; the first one past it gets the `overflow` reason and the rest
    /// are not looked at.
    pub max: usize,
    /// The reason of the first item past `max`, e.g. `more than 2 items; the rest are ignored`.
    pub overflow: String,
    /// The reason when the list is empty.
    pub empty: &'a str,
    /// The start of the reason when no item is usable, e.g. `no usable item` (the items'
    /// reasons follow in parentheses).
    pub none: &'a str,
}

/// Checks the items of a list in order with `check`, taking at most `rules.max` usable ones.
pub fn check_items<T>(
    items: &[Value],
    rules: &ItemRules<'_>,
    mut check: impl FnMut(&Value) -> Result<T, String>,
) -> Parsed<T> {
    if items.is_empty() {
        return Err(rules.empty.to_string());
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if good.len() == rules.max {
            bad.push(format!("{} {}: {}", rules.noun, i + 1, rules.overflow));
            break;
        }
        match check(item) {
            Ok(t) => good.push(t),
            Err(reason) => bad.push(format!("{} {}: {reason}", rules.noun, i + 1)),
        }
    }
    if good.is_empty() {
        return Err(format!("{} ({})", rules.none, bad.join("; ")));
    }
    Ok((good, bad))
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    fn filtered() -> ModelReply {
        ModelReply::new(ReplyStatus::ContentFiltered)
    }

    fn failed() -> ModelReply {
        ModelReply::new(ReplyStatus::Error).with_error("timeout")
    }

    fn show<T: std::fmt::Debug, E: std::fmt::Display>(result: Result<T, E>) -> String {
        match result {
            Ok(value) => format!("ok {value:?}"),
            Err(reason) => format!("err {reason}"),
        }
    }

    #[test]
    fn reply_texts_and_objects() {
        let lines = [
            show(text(&ModelReply::text("hi"))),
            show(text(&ModelReply::text("  "))),
            show(text(&filtered())),
            show(text(&failed())),
            show(text(&ModelReply::new(ReplyStatus::Error))),
            text(&filtered().with_error("policy")).unwrap_err().with_status(),
            text(&failed()).unwrap_err().with_status(),
            text(&ModelReply::text("")).unwrap_err().with_status(),
            show(objects("```json\n{\"a\": 1}\n```")),
            show(objects("I'm sorry, but I can't help with that.")),
            show(objects("Here you go: nothing")),
            show(objects("{\"a\": [1], \"b\": 2} {\"b\": [3]}").and_then(|o| list(o, "b"))),
            show(objects("{\"a\": 1}").and_then(|o| list(o, "b"))),
        ];
        expect![[r#"
            ok "hi"
            err the generator's reply is empty
            err the generator's provider blocked the request (content filter)
            err the generator request failed: timeout
            err the generator request failed: no error message
            the generator's request failed (ContentFiltered): policy
            the generator's request failed (Error): timeout
            the generator's reply is empty
            ok [{"a": Number(1)}]
            err the generator refused
            err the generator's reply has no JSON object
            ok [Number(3)]
            err the generator's reply has no `b` list"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn objects_with_keys_and_their_strings() {
        let ok = ModelReply::text("Sure:\n```json\n{\"prompt\": \"  hello  \"}\n```");
        let refused = ModelReply::text("{\"prompt\": \"I'm sorry, but I can't help with that.\"}");
        let lines = [
            show(object_with_keys(&ok, &["prompt"]).and_then(|o| string(&o, "prompt"))),
            show(object_with_keys(&refused, &["prompt"]).and_then(|o| string(&o, "prompt"))),
            show(
                object_with_keys(&ModelReply::text("{\"prompt\": \" \"}"), &["prompt"])
                    .and_then(|o| string(&o, "prompt")),
            ),
            show(object_with_keys(&ModelReply::text("no json here"), &["prompt"])),
            show(object_with_keys(&ModelReply::text("{\"other\": 1}"), &["prompt", "x"])),
            show(object_with_keys(&filtered(), &["prompt"])),
        ];
        expect![[r#"
            ok "hello"
            err the generator refused ("i'm sorry, but"): I'm sorry, but I can't help with that.
            err the generator's reply has an empty "prompt"
            err the generator's reply contains no JSON object: no json here
            err the generator's reply has no JSON object with the keys prompt, x: {"other": 1}
            err the generator's provider blocked the request (content filter)"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn fields_check_length_and_refusals() {
        let object = json::objects(r#"{"a": " A clinic. ", "b": "I'm sorry, but no.", "c": 3}"#).remove(0);
        let lines = [
            show(field(&object, "a", 5..=20)),
            show(field(&object, "a", 20..=40)),
            show(field(&object, "b", 1..=100)),
            show(field(&object, "c", 1..=100)),
            show(field(&object, "d", 1..=100)),
        ];
        expect![[r#"
            ok "A clinic."
            err `a` has 9 characters, not between 20 and 40
            err `b` is a refusal ("i'm sorry, but")
            err `c` is missing or empty
            err `d` is missing or empty"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn items_are_checked_one_by_one_up_to_the_maximum() {
        let rules = ItemRules {
            noun: "item",
            max: 2,
            overflow: "more than 2 items; the rest are ignored".into(),
            empty: "the list is empty",
            none: "no usable item",
        };
        let check = |v: &Value| v.as_str().map(str::to_string).ok_or_else(|| "not a string".to_string());
        let run = |items: Value| show(check_items(items.as_array().map_or(&[][..], Vec::as_slice), &rules, check));
        let lines = [
            run(serde_json::json!(["a", 1, "b", "c", "d"])),
            run(serde_json::json!([1, 2])),
            run(serde_json::json!([])),
        ];
        expect![[r#"
            ok (["a", "b"], ["item 2: not a string", "item 4: more than 2 items; the rest are ignored"])
            err no usable item (item 1: not a string; item 2: not a string)
            err the list is empty"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn excerpts_and_dedup_keys() {
        assert_eq!(excerpt("  short  "), "short");
        let long = "x".repeat(130);
        assert_eq!(excerpt(&long), format!("{}...", "x".repeat(120)));
        assert_eq!(dedup_key("What colour is my shirt?"), dedup_key("  what COLOUR is my shirt ...  "));
        assert_ne!(dedup_key("What colour is my shirt?"), dedup_key("What colour is my hat?"));
        assert_eq!(dedup_key("Ça va, Zoë?"), "ça va zoë");
    }
}
