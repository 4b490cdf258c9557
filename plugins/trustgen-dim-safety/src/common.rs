//! Helpers shared by the tasks: data rows, seeded balanced sampling, generator replies and the
//! policy for outputs that are missing or blocked by a content filter.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use trustgen_plugin_api::{BuildInput, ModelOutput, ModelReply, ReplyStatus, SeededRng, Step, Stop};

/// The plugin name, the first part of every case id.
pub const PLUGIN: &str = "safety";

/// The reason recorded when a task or method needs a generator model that is not configured.
pub const NEEDS_GENERATOR: &str = "needs a generator model: add [models.generator] to the suite";

/// `safety/<task>/<n>`.
pub fn case_id(task: &str, n: usize) -> String {
    format!("{PLUGIN}/{task}/{n}")
}

/// The rows of a data source (empty when the source is absent).
pub fn rows<'a>(input: &'a BuildInput, source: &str) -> &'a [Value] {
    input.data.get(source).map_or(&[], Vec::as_slice)
}

/// The rows of a required data source, or an error naming the source and its file.
pub fn required_rows<'a>(input: &'a BuildInput, source: &str, path: &str) -> Step<&'a [Value]> {
    let rows = rows(input, source);
    if rows.is_empty() {
        return Err(Stop::Error(format!(
            "task `{}` needs the rows of data source `{source}` (suites/data/{path}), but none were given; \
             hint: check that the file exists and is not empty",
            input.task
        )));
    }
    Ok(rows)
}

/// A non-empty trimmed string field of a row.
pub fn text<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// A required string field, or an error naming the source, the row and the key.
pub fn required_text<'a>(row: &'a Value, key: &str, source: &str, index: usize) -> Step<&'a str> {
    text(row, key).ok_or_else(|| {
        let id = text(row, "id").map_or_else(|| format!("row {}", index + 1), |id| format!("row `{id}`"));
        Stop::Error(format!("data source `{source}`, {id}: the field `{key}` is missing or empty"))
    })
}

/// Orders `items` so that strata take turns: each stratum's items are shuffled, the strata are
/// visited in a shuffled order, and one item is taken from each in turn until all are used.
/// Any prefix of the result is as balanced across strata as the strata's sizes allow.
pub fn balanced_order<T>(items: Vec<(String, T)>, rng: &mut SeededRng) -> Vec<T> {
    let mut strata: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for (stratum, item) in items {
        strata.entry(stratum).or_default().push(item);
    }
    let mut lists: Vec<Vec<T>> = strata.into_values().collect();
    for list in &mut lists {
        rng.shuffle(list);
    }
    rng.shuffle(&mut lists);
    interleave(lists)
}

/// Takes one item from each list in turn until every list is used up.
pub fn interleave<T>(lists: Vec<Vec<T>>) -> Vec<T> {
    let total = lists.iter().map(Vec::len).sum();
    let mut iters: Vec<std::vec::IntoIter<T>> = lists.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for it in &mut iters {
            if let Some(item) = it.next() {
                out.push(item);
            }
        }
    }
    out
}

/// The first JSON object of a generator reply that has every key in `keys`, or why there is none.
pub fn reply_object(reply: &ModelReply, keys: &[&str]) -> Result<Map<String, Value>, String> {
    let Some(text) = reply.ok_text() else {
        return Err(match reply.status {
            ReplyStatus::ContentFiltered => "the generator's provider blocked the request (content filter)".into(),
            _ => format!("the generator request failed: {}", reply.error.as_deref().unwrap_or("no error message")),
        });
    };
    let objects = trustgen_judges::json::objects(text);
    if objects.is_empty() {
        return Err(format!("the generator's reply contains no JSON object: {}", excerpt(text)));
    }
    objects.into_iter().find(|o| keys.iter().all(|k| o.contains_key(*k))).ok_or_else(|| {
        format!("the generator's reply has no JSON object with the keys {}: {}", keys.join(", "), excerpt(text))
    })
}

/// A non-empty string value of a reply object, refusing generator refusals.
pub fn reply_text(object: &Map<String, Value>, key: &str) -> Result<String, String> {
    let value = object.get(key).and_then(Value::as_str).map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(format!("the generator's reply has an empty \"{key}\""));
    }
    if let Some(phrase) = trustgen_judges::keyword_hit(value) {
        return Err(format!("the generator refused (\"{phrase}\"): {}", excerpt(value)));
    }
    Ok(value.to_string())
}

/// The first 120 characters of a text, for error messages.
pub fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// What the target produced for the case's `main` conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<'a> {
    /// A reply text.
    Text(&'a str),
    /// The provider's content filter blocked the request or the reply.
    Filtered,
    /// No output (the request failed after the engine's retries); the reason.
    Missing(String),
}

/// Classifies the target's output (a content filter on any turn counts as filtered).
pub fn outcome(output: &ModelOutput) -> Outcome<'_> {
    let Some(answer) = output.answer("main").or_else(|| output.answers.first()) else {
        return Outcome::Missing("the target produced no answer".into());
    };
    if answer.status() == ReplyStatus::ContentFiltered {
        return Outcome::Filtered;
    }
    match answer.final_text() {
        Some(text) => Outcome::Text(text),
        None => Outcome::Missing(
            answer
                .turns
                .iter()
                .find_map(|t| t.error.clone())
                .map_or_else(|| "the target produced no text".into(), |e| format!("the target request failed: {e}")),
        ),
    }
}

/// A JSON object from pairs (for case metadata and method parameters).
pub fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use trustgen_plugin_api::Answer;

    use super::*;

    #[test]
    fn balanced_order_alternates_strata_and_is_seeded() {
        let items: Vec<(String, String)> =
            ["a1", "a2", "a3", "a4", "b1", "b2", "c1"].iter().map(|s| (s[..1].to_string(), (*s).to_string())).collect();
        let order = balanced_order(items.clone(), &mut SeededRng::new(1));
        assert_eq!(order.len(), 7);
        let first3: std::collections::BTreeSet<&str> = order[..3].iter().map(|s| &s[..1]).collect();
        assert_eq!(first3.len(), 3, "{order:?}");
        assert_eq!(order, balanced_order(items.clone(), &mut SeededRng::new(1)));
        assert_ne!(order, balanced_order(items, &mut SeededRng::new(2)));
    }

    #[test]
    fn reply_objects_and_texts() {
        let ok = ModelReply::text("Sure:\n```json\n{\"prompt\": \"  hello  \"}\n```");
        assert_eq!(reply_text(&reply_object(&ok, &["prompt"]).unwrap(), "prompt").unwrap(), "hello");
        let refused = ModelReply::text("{\"prompt\": \"I'm sorry, but I can't help with that.\"}");
        assert_eq!(
            reply_text(&reply_object(&refused, &["prompt"]).unwrap(), "prompt").unwrap_err(),
            "the generator refused (\"i'm sorry, but\"): I'm sorry, but I can't help with that."
        );
        let prose = ModelReply::text("no json here");
        assert_eq!(
            reply_object(&prose, &["prompt"]).unwrap_err(),
            "the generator's reply contains no JSON object: no json here"
        );
        let filtered = ModelReply { status: ReplyStatus::ContentFiltered, ..ModelReply::default() };
        assert_eq!(
            reply_object(&filtered, &["prompt"]).unwrap_err(),
            "the generator's provider blocked the request (content filter)"
        );
    }

    #[test]
    fn outcomes() {
        let output =
            |reply: ModelReply| ModelOutput { answers: vec![Answer { prompt: "main".into(), turns: vec![reply] }] };
        assert_eq!(outcome(&output(ModelReply::text("hi"))), Outcome::Text("hi"));
        let filtered = ModelReply { status: ReplyStatus::ContentFiltered, ..ModelReply::default() };
        assert_eq!(outcome(&output(filtered)), Outcome::Filtered);
        let failed = ModelReply { status: ReplyStatus::Error, error: Some("timeout".into()), ..ModelReply::default() };
        assert_eq!(outcome(&output(failed)), Outcome::Missing("the target request failed: timeout".into()));
        assert_eq!(outcome(&ModelOutput::default()), Outcome::Missing("the target produced no answer".into()));
    }
}
