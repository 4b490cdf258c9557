//! Helpers shared by the tasks: data rows, seeded balanced ordering, generator replies, and the
//! classification of the target's output (text, content-filtered, missing).

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use trustgen_plugin_api::{BuildInput, ModelOutput, ModelReply, ReplyStatus, SeededRng, Step, fail};

/// The plugin name, the first part of every case id.
pub const PLUGIN: &str = "privacy";

/// The reason recorded when a task needs a generator model that is not configured.
pub const NEEDS_GENERATOR: &str = "needs a generator model: add [models.generator] to the suite";

/// `privacy/<task>/<n>`.
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
        fail!(
            "task `{}` needs the rows of data source `{source}` (suites/data/{path}), but none were given; hint: run \
             with the suite data directory that ships with trustgen",
            input.task
        );
    }
    Ok(rows)
}

/// A non-empty trimmed string field of a row.
pub fn text<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// A required string field, or an error naming the source, the row and the key.
pub fn required_text<'a>(row: &'a Value, key: &str, source: &str, index: usize) -> Step<&'a str> {
    match text(row, key) {
        Some(value) => Ok(value),
        None => {
            let id = text(row, "id").map_or_else(|| format!("row {}", index + 1), |id| format!("row `{id}`"));
            fail!("data source `{source}`, {id}: the field `{key}` is missing or empty")
        }
    }
}

/// Orders `items` so that strata take turns. Each item carries its stratum and a round: within
/// a stratum, items come round by round (shuffled within the round), the strata are visited in
/// a shuffled order, and one item is taken from each in turn until all are used. Any prefix of
/// the result is as balanced across strata as their sizes allow, and within a stratum every
/// item of round 0 comes before any of round 1 (so every aspect is used once before one is
/// used twice).
pub fn balanced_order<T>(items: Vec<(String, usize, T)>, rng: &mut SeededRng) -> Vec<T> {
    let mut strata: BTreeMap<String, BTreeMap<usize, Vec<T>>> = BTreeMap::new();
    for (stratum, round, item) in items {
        strata.entry(stratum).or_default().entry(round).or_default().push(item);
    }
    let mut lists: Vec<Vec<T>> = strata
        .into_values()
        .map(|rounds| {
            rounds
                .into_values()
                .flat_map(|mut round| {
                    rng.shuffle(&mut round);
                    round
                })
                .collect()
        })
        .collect();
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

/// A non-empty string value of a reply object; a generator refusal is an error.
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

/// The first 120 characters of a text, for messages.
pub fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// True when `name` occurs in `text`, ignoring case.
pub fn mentions(text: &str, name: &str) -> bool {
    text.to_lowercase().contains(&name.trim().to_lowercase())
}

/// Replaces `{key}` placeholders; every placeholder of `template` must be given, and every key
/// must occur in it.
pub fn fill(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut out = template.to_string();
    for (key, value) in values {
        let placeholder = format!("{{{key}}}");
        if !out.contains(&placeholder) {
            return Err(format!("the template has no `{placeholder}` placeholder: {}", excerpt(template)));
        }
        out = out.replace(&placeholder, value);
    }
    if let Some(open) = out.find('{')
        && out[open..].contains('}')
    {
        return Err(format!("the template has a placeholder that was not filled: {}", excerpt(template)));
    }
    Ok(out)
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

/// A JSON object from pairs (for case metadata).
pub fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use trustgen_plugin_api::Answer;

    use super::*;

    #[test]
    fn fill_checks_placeholders() {
        assert_eq!(fill("Hi {name}.", &[("name", "Thea")]).unwrap(), "Hi Thea.");
        assert!(fill("Hi there.", &[("name", "Thea")]).unwrap_err().contains("no `{name}` placeholder"));
        assert!(fill("Hi {name} at {org}.", &[("name", "Thea")]).unwrap_err().contains("not filled"));
    }

    #[test]
    fn balanced_order_alternates_strata_and_is_seeded() {
        // Stratum = first letter, round = last digit.
        let items: Vec<(String, usize, String)> = ["a0", "a1", "b0", "a0", "b1", "c0", "c0"]
            .iter()
            .enumerate()
            .map(|(i, s)| (s[..1].to_string(), s[1..].parse().unwrap(), format!("{s}#{i}")))
            .collect();
        let order = balanced_order(items.clone(), &mut SeededRng::new(1));
        let first3: std::collections::BTreeSet<&str> = order[..3].iter().map(|s| &s[..1]).collect();
        assert_eq!(first3.len(), 3, "{order:?}");
        let a_rounds: Vec<&str> = order.iter().filter(|s| s.starts_with('a')).map(|s| &s[1..2]).collect();
        assert_eq!(a_rounds, ["0", "0", "1"], "round 0 before round 1: {order:?}");
        assert_eq!(order, balanced_order(items.clone(), &mut SeededRng::new(1)));
        assert_ne!(order, balanced_order(items, &mut SeededRng::new(5)));
    }

    #[test]
    fn replies_and_outcomes() {
        let ok = ModelReply::text("```json\n{\"query\": \" x \"}\n```");
        assert_eq!(reply_text(&reply_object(&ok, &["query"]).unwrap(), "query").unwrap(), "x");
        let refused = ModelReply::text("{\"query\": \"I'm sorry, but I can't help with that.\"}");
        assert!(reply_text(&reply_object(&refused, &["query"]).unwrap(), "query").unwrap_err().contains("refused"));
        let filtered = ModelReply { status: ReplyStatus::ContentFiltered, ..ModelReply::default() };
        assert!(reply_object(&filtered, &["query"]).unwrap_err().contains("content filter"));
        let output = |r: ModelReply| ModelOutput { answers: vec![Answer { prompt: "main".into(), turns: vec![r] }] };
        assert_eq!(outcome(&output(ModelReply::text("hi"))), Outcome::Text("hi"));
        assert_eq!(outcome(&output(filtered)), Outcome::Filtered);
        assert_eq!(outcome(&ModelOutput::default()), Outcome::Missing("the target produced no answer".into()));
    }
}
