//! Reading the fields of native-format rows that only the ethics data sets have (CSV cells
//! arrive as strings after conversion, JSON values as numbers or booleans), and the ethics
//! wording of a skipped row (the shared row helpers come from `trustgen_plugin_kit::rows`).

use serde_json::Value;
use trustgen_plugin_api::Skipped;
use trustgen_plugin_kit::rows::text;

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
    Skipped::new(item, reason)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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
}
