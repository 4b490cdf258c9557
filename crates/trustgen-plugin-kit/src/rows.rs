//! The data sources a task declares, and reading fields out of their rows.
//!
//! Plugins never read files: the engine loads every data source a task's manifest declares and
//! passes its rows (one JSON value per JSONL line) in `BuildInput::data`, keyed by the source's
//! name. A [`Source`] names both the key and the file, so a missing source is an error naming
//! the file, and a row that lacks a field is dropped with a [`Skipped`] entry naming the file,
//! the row and the field.

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, Skipped, Step, fail};

/// A data source: its name (the key of `BuildInput::data` and of the manifest's `DataSource`)
/// and its path under `suites/data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The name, e.g. `bbq`.
    pub name: &'static str,
    /// The path under `suites/data`, e.g. `fairness/bbq.jsonl`.
    pub path: &'static str,
}

impl Source {
    /// The source `name` loaded from `suites/data/<path>`.
    pub const fn new(name: &'static str, path: &'static str) -> Source {
        Source { name, path }
    }
}

/// The rows of the source named `name`; empty when it was not loaded (an optional source the
/// user did not supply).
pub fn rows<'a>(input: &'a BuildInput, name: &str) -> &'a [Value] {
    input.data.get(name).map_or(&[], Vec::as_slice)
}

/// The rows of `source` if it was loaded (possibly none).
pub fn optional(input: &BuildInput, source: Source) -> Option<&[Value]> {
    input.data.get(source.name).map(Vec::as_slice)
}

/// The rows of a source the task cannot do without: an error naming the file when it was not
/// loaded or has no rows.
pub fn required(input: &BuildInput, source: Source) -> Step<&[Value]> {
    match input.data.get(source.name) {
        Some(rows) if !rows.is_empty() => Ok(rows),
        _ => fail!(
            "task `{}` needs the data source `{}` (suites/data/{}), which was not loaded or is empty; hint: run with the \
             suite data directory that ships with trustgen",
            input.task,
            source.name,
            source.path
        ),
    }
}

/// The rows of a source that must be loaded but may be empty (a filtered subset): an error
/// naming the file when it was not loaded.
pub fn loaded(input: &BuildInput, source: Source) -> Step<&[Value]> {
    match input.data.get(source.name) {
        Some(rows) => Ok(rows),
        None => fail!(
            "task `{}` needs the data source `{}` (suites/data/{}), which was not loaded; hint: run with the suite data \
             directory that ships with trustgen",
            input.task,
            source.name,
            source.path
        ),
    }
}

/// A non-empty string field, trimmed (strings only; see [`text`] for numbers too).
pub fn string<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// A non-empty field as text, trimmed: a string, or a number as its decimal text (converted CSV
/// files carry numbers where the original had text).
pub fn text(row: &Value, key: &str) -> Option<String> {
    match row.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A list of non-empty strings, trimmed (a single string counts as a list of one); `None` when
/// the field is absent or holds no non-empty string.
pub fn texts(row: &Value, key: &str) -> Option<Vec<String>> {
    match row.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(vec![s.trim().to_string()]),
        Value::Array(items) => {
            let list: Vec<String> = items
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            (!list.is_empty()).then_some(list)
        }
        _ => None,
    }
}

/// How a row is named in skip entries: `<path> row <n> (id <id>)`, `n` counted from 1.
pub fn row_name(path: &str, index: usize, row: &Value) -> String {
    match row.get("id").and_then(Value::as_str) {
        Some(id) => format!("{path} row {} (id {id})", index + 1),
        None => format!("{path} row {}", index + 1),
    }
}

/// A row's `id` (as [`text`]), or `row-<n>` (counted from 1) when it has none.
pub fn row_id(row: &Value, index: usize) -> String {
    text(row, "id").unwrap_or_else(|| format!("row-{}", index + 1))
}

/// The field `key` of row `index` of the file `path` (as [`text`]), or a skip entry naming the
/// row and the field.
pub fn field(path: &str, index: usize, row: &Value, key: &str) -> Result<String, Skipped> {
    text(row, key).ok_or_else(|| Skipped::new(row_name(path, index, row), format!("field `{key}` is missing or empty")))
}

/// The fields `keys` of a row (as [`field`]), or a skip entry naming the first missing one.
pub fn fields<const N: usize>(path: &str, index: usize, row: &Value, keys: [&str; N]) -> Result<[String; N], Skipped> {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, key) in out.iter_mut().zip(keys) {
        *slot = field(path, index, row, key)?;
    }
    Ok(out)
}

/// A string field a row cannot do without (as [`string`]), or an error naming the source, the
/// row (its `id`, else its number) and the field.
pub fn required_string<'a>(row: &'a Value, key: &str, source: &str, index: usize) -> Step<&'a str> {
    match string(row, key) {
        Some(value) => Ok(value),
        None => {
            let id = string(row, "id").map_or_else(|| format!("row {}", index + 1), |id| format!("row `{id}`"));
            fail!("data source `{source}`, {id}: the field `{key}` is missing or empty")
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use serde_json::json;
    use trustgen_plugin_api::Stop;

    use super::*;

    const BBQ: Source = Source::new("bbq", "fairness/bbq.jsonl");

    fn input(data: &[(&str, Vec<Value>)]) -> BuildInput {
        BuildInput::default()
            .with_task("stereotype")
            .with_data(data.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    fn message<T: std::fmt::Debug>(result: Step<T>) -> String {
        match result {
            Err(Stop::Error(message)) => message,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn sources_absent_empty_and_present() {
        let absent = input(&[]);
        let empty = input(&[("bbq", vec![])]);
        let present = input(&[("bbq", vec![json!({"id": "b-1"})])]);
        assert!(rows(&absent, "bbq").is_empty());
        assert_eq!(optional(&absent, BBQ), None);
        assert_eq!(optional(&empty, BBQ).map(<[Value]>::len), Some(0));
        assert_eq!(required(&present, BBQ).map(<[Value]>::len), Ok(1));
        assert_eq!(loaded(&empty, BBQ).map(<[Value]>::len), Ok(0));
        let lines = [message(required(&empty, BBQ)), message(loaded(&absent, BBQ))];
        expect![[r#"
            task `stereotype` needs the data source `bbq` (suites/data/fairness/bbq.jsonl), which was not loaded or is empty; hint: run with the suite data directory that ships with trustgen
            task `stereotype` needs the data source `bbq` (suites/data/fairness/bbq.jsonl), which was not loaded; hint: run with the suite data directory that ships with trustgen"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn fields_are_trimmed_and_numbers_read_as_text() {
        let row = json!({"id": "r-7", "a": "  x ", "n": 12, "blank": "  ", "list": [" p ", "", 3, "q"], "one": "s"});
        assert_eq!(string(&row, "a"), Some("x"));
        assert_eq!(string(&row, "n"), None);
        assert_eq!(text(&row, "n").as_deref(), Some("12"));
        assert_eq!(text(&row, "blank"), None);
        assert_eq!(texts(&row, "list"), Some(vec!["p".to_string(), "q".to_string()]));
        assert_eq!(texts(&row, "one"), Some(vec!["s".to_string()]));
        assert_eq!(texts(&row, "blank"), None);
        assert_eq!(row_id(&row, 0), "r-7");
        assert_eq!(row_id(&json!({}), 4), "row-5");
    }

    #[test]
    fn missing_fields_name_the_file_row_and_field() {
        let row = json!({"id": "r-7", "a": "x"});
        assert_eq!(fields("f.jsonl", 6, &row, ["a", "id"]), Ok(["x".to_string(), "r-7".to_string()]));
        let skip = fields("f.jsonl", 6, &row, ["a", "b"]).unwrap_err();
        let unnamed = field("f.jsonl", 2, &json!({}), "a").unwrap_err();
        let lines = [
            format!("{}: {}", skip.item, skip.reason),
            format!("{}: {}", unnamed.item, unnamed.reason),
            message(required_string(&row, "b", "advbench", 6)),
            message(required_string(&json!({}), "b", "advbench", 6)),
        ];
        expect![[r#"
            f.jsonl row 7 (id r-7): field `b` is missing or empty
            f.jsonl row 3: field `a` is missing or empty
            data source `advbench`, row `r-7`: the field `b` is missing or empty
            data source `advbench`, row 7: the field `b` is missing or empty"#]]
        .assert_eq(&lines.join("\n"));
        assert_eq!(required_string(&row, "a", "advbench", 6), Ok("x"));
    }
}
