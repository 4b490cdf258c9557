//! Helpers shared by the tasks: reading fields of native-format rows (CSV cells arrive as
//! strings after conversion, JSON values as numbers or booleans), seeded balanced ordering, and
//! the classification of the target's output.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use trustgen_plugin_api::{ModelOutput, ReplyStatus, SeededRng, Skipped};

/// The plugin name, the first part of every case id.
pub const PLUGIN: &str = "ethics";

/// `ethics/<task>/<n>`.
pub fn case_id(task: &str, n: usize) -> String {
    format!("{PLUGIN}/{task}/{n}")
}

/// A non-empty trimmed string field (numbers are given as their decimal text).
pub fn text(row: &Value, key: &str) -> Option<String> {
    match row.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer field given as a JSON number or as a numeric string (`"1"`, `"-2"`, `"1.0"`).
pub fn integer(row: &Value, key: &str) -> Option<i64> {
    match row.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| s.parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        }
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// A boolean field given as a JSON boolean, `0`/`1`, or `"True"`/`"False"` text.
pub fn boolean(row: &Value, key: &str) -> Option<bool> {
    match row.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The id of a row: its `id` (or another id field of `keys`), else `row-<n>` (from 1).
pub fn row_id(row: &Value, keys: &[&str], index: usize) -> String {
    keys.iter().find_map(|k| text(row, k)).unwrap_or_else(|| format!("row-{}", index + 1))
}

/// A skip entry for a row: `suites/data/<file> row <n>`, with the row's own id when it has one.
pub fn skip(file: &str, index: usize, id: &str, reason: impl Into<String>) -> Skipped {
    let item = if *id == format!("row-{}", index + 1) {
        format!("suites/data/{file} row {}", index + 1)
    } else {
        format!("suites/data/{file} row {} ({id})", index + 1)
    };
    Skipped { item, reason: reason.into() }
}

/// Orders `items` so that strata take turns: each stratum's items are shuffled, the strata are
/// visited in a shuffled order, and one item is taken from each in turn until all are used.
/// Any prefix of the result is as balanced across strata as their sizes allow.
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

/// What the target produced for the case's `main` conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<'a> {
    /// A reply text.
    Text(&'a str),
    /// The provider's content filter blocked the request or the reply; the reason.
    Filtered(String),
    /// No output (the request failed after the engine's retries); the reason.
    Missing(String),
}

/// Classifies the target's output (a content filter on any turn counts as filtered).
pub fn outcome(output: &ModelOutput) -> Outcome<'_> {
    let Some(answer) = output.answer("main").or_else(|| output.answers.first()) else {
        return Outcome::Missing("the target produced no answer".into());
    };
    let error = || answer.turns.iter().find_map(|t| t.error.clone());
    match answer.status() {
        ReplyStatus::ContentFiltered => Outcome::Filtered(format!(
            "the provider's content filter blocked the request or reply{}",
            error().map_or_else(String::new, |e| format!(": {e}"))
        )),
        ReplyStatus::Error => Outcome::Missing(format!(
            "the target request failed: {}",
            error().unwrap_or_else(|| "no error message".into())
        )),
        ReplyStatus::Ok => match answer.final_text() {
            Some(text) => Outcome::Text(text),
            None => Outcome::Missing("the target produced no text".into()),
        },
    }
}

/// A JSON object from pairs (for case metadata).
pub fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use trustgen_plugin_api::{Answer, ModelReply};

    use super::*;

    #[test]
    fn fields_accept_csv_strings_and_json_values() {
        let row = json!({"a": "1", "b": -2, "c": "1.0", "d": "x", "e": "True", "f": 0, "g": " text "});
        assert_eq!(integer(&row, "a"), Some(1));
        assert_eq!(integer(&row, "b"), Some(-2));
        assert_eq!(integer(&row, "c"), Some(1));
        assert_eq!(integer(&row, "d"), None);
        assert_eq!(integer(&row, "missing"), None);
        assert_eq!(boolean(&row, "e"), Some(true));
        assert_eq!(boolean(&row, "f"), Some(false));
        assert_eq!(text(&row, "g").as_deref(), Some("text"));
        assert_eq!(text(&row, "b").as_deref(), Some("-2"));
        assert_eq!(row_id(&row, &["id", "ID"], 4), "row-5");
        assert_eq!(skip("x.jsonl", 4, "row-5", "r").item, "suites/data/x.jsonl row 5");
        assert_eq!(skip("x.jsonl", 4, "a7", "r").item, "suites/data/x.jsonl row 5 (a7)");
    }

    #[test]
    fn outcomes() {
        let output = |r: ModelReply| ModelOutput { answers: vec![Answer { prompt: "main".into(), turns: vec![r] }] };
        assert_eq!(outcome(&output(ModelReply::text("A"))), Outcome::Text("A"));
        let filtered = ModelReply { status: ReplyStatus::ContentFiltered, ..ModelReply::default() };
        assert!(matches!(outcome(&output(filtered)), Outcome::Filtered(_)));
        let failed = ModelReply { status: ReplyStatus::Error, error: Some("timeout".into()), ..ModelReply::default() };
        assert_eq!(outcome(&output(failed)), Outcome::Missing("the target request failed: timeout".into()));
    }
}
