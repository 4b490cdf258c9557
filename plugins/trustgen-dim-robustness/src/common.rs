//! Helpers shared by the tasks: data rows, seeded balanced orders, generator replies and the
//! classification of the target's replies (text, content-filtered, missing).

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use trustgen_plugin_api::{BuildInput, ModelOutput, ModelReply, ReplyStatus, SeededRng, Step, Stop};

/// The plugin name, the first part of every case id.
pub const PLUGIN: &str = "robustness";

/// `robustness/<task>/<n>`.
pub fn case_id(task: &str, n: usize) -> String {
    format!("{PLUGIN}/{task}/{n}")
}

/// The rows of a data source (empty when the source is absent).
pub fn rows<'a>(input: &'a BuildInput, source: &str) -> &'a [Value] {
    input.data.get(source).map_or(&[], Vec::as_slice)
}

/// The rows of a required data source, or an error naming the source and its file.
pub fn required_rows<'a>(input: &'a BuildInput, source: &str, path: &str) -> Step<&'a [Value]> {
    match input.data.get(source) {
        Some(rows) if !rows.is_empty() => Ok(rows),
        _ => Err(Stop::Error(format!(
            "task `{}` needs the rows of data source `{source}` (suites/data/{path}), but none were given; \
             hint: run with the suite data directory that ships with trustgen",
            input.task
        ))),
    }
}

/// A non-empty trimmed string field of a row (numbers are given as their text).
pub fn text(row: &Value, key: &str) -> Option<String> {
    match row.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// How a row is named in skip reasons: `<path> row <n> (id <id>)`, `n` counted from 1.
pub fn row_name(path: &str, index: usize, row: &Value) -> String {
    match row.get("id").and_then(Value::as_str) {
        Some(id) => format!("{path} row {} (id {id})", index + 1),
        None => format!("{path} row {}", index + 1),
    }
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

/// The first 120 characters of a text, for messages.
pub fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// A JSON object from pairs (for case metadata).
pub fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The target's reply to one prompt of a case.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply<'a> {
    /// The final text of the conversation.
    Text(&'a str),
    /// The provider's content filter blocked the request or the reply.
    Filtered(String),
    /// No answer (the request failed after the engine's retries); the reason.
    Missing(String),
}

/// The reply to the prompt named `prompt`.
pub fn reply<'a>(output: &'a ModelOutput, prompt: &str) -> Reply<'a> {
    let Some(answer) = output.answer(prompt) else {
        return Reply::Missing(format!("the target gave no answer to prompt `{prompt}`"));
    };
    let error = || answer.turns.iter().find_map(|t| t.error.clone()).unwrap_or_else(|| "no error message".into());
    match answer.status() {
        ReplyStatus::ContentFiltered => {
            Reply::Filtered(format!("the provider's content filter blocked `{prompt}`: {}", error()))
        }
        ReplyStatus::Error => Reply::Missing(format!("the target request for `{prompt}` failed: {}", error())),
        ReplyStatus::Ok => match answer.final_text() {
            Some(text) => Reply::Text(text),
            None => Reply::Missing(format!("the target gave no answer to prompt `{prompt}`")),
        },
    }
}

/// The only user turn of the prompt named `prompt` (the text the target saw).
pub fn prompt_text<'a>(case: &'a trustgen_plugin_api::TestCase, prompt: &str) -> Step<&'a str> {
    match case.prompt(prompt).and_then(|p| p.turns.last()) {
        Some(turn) => Ok(turn),
        None => Err(Stop::Error(format!("case `{}` has no prompt `{prompt}`", case.id))),
    }
}

/// A string field of the case metadata, or an error naming the case and the key.
pub fn meta<'a>(case: &'a trustgen_plugin_api::TestCase, key: &str) -> Step<&'a str> {
    case.metadata
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| Stop::Error(format!("case `{}` has no metadata `{key}`", case.id)))
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
    fn replies_by_prompt_name() {
        let output = ModelOutput {
            answers: vec![
                Answer { prompt: "clean".into(), turns: vec![ModelReply::text("positive")] },
                Answer {
                    prompt: "perturbed".into(),
                    turns: vec![ModelReply {
                        status: ReplyStatus::ContentFiltered,
                        error: Some("blocked".into()),
                        ..ModelReply::default()
                    }],
                },
            ],
        };
        assert_eq!(reply(&output, "clean"), Reply::Text("positive"));
        assert_eq!(
            reply(&output, "perturbed"),
            Reply::Filtered("the provider's content filter blocked `perturbed`: blocked".into())
        );
        assert_eq!(reply(&output, "main"), Reply::Missing("the target gave no answer to prompt `main`".into()));
        let objects = reply_object(&ModelReply::text("```json\n{\"text\": \"x\"}\n```"), &["text"]).unwrap();
        assert_eq!(objects["text"], "x");
        assert!(reply_object(&ModelReply::text("none"), &["text"]).unwrap_err().contains("no JSON object"));
    }
}
