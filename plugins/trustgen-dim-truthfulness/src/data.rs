//! Reading the rows the engine loaded (bundled data, user data, seed metadata) and seeded sampling.
//!
//! The plugin never reads files: the engine loads every [`DataSource`](trustgen_plugin_api::DataSource)
//! the manifest declares and passes the rows in `BuildInput::data`. A row that lacks a field is
//! dropped with a [`Skipped`] entry naming the file, the row and the field; a required source that
//! was not loaded at all stops the build with an error naming the file.

use serde_json::Value;
use trustgen_judges::answer::normalize_answer;
use trustgen_plugin_api::{BuildInput, ModelRole, SeededRng, Skipped, Step, fail};

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub(crate) mod sources {
    pub(crate) const TRUTHFULQA: (&str, &str) = ("truthfulqa", "truthfulness/truthfulqa.jsonl");
    pub(crate) const HALUEVAL_QA: (&str, &str) = ("halueval_qa", "truthfulness/halueval_qa.jsonl");
    pub(crate) const HALUEVAL_DIALOGUE: (&str, &str) = ("halueval_dialogue", "truthfulness/halueval_dialogue.jsonl");
    pub(crate) const HALUEVAL_SUMMARIZATION: (&str, &str) =
        ("halueval_summarization", "truthfulness/halueval_summarization.jsonl");
    pub(crate) const ANTHROPIC: (&str, &str) = ("sycophancy_anthropic", "truthfulness/sycophancy_anthropic.jsonl");
    pub(crate) const FACT_CHECK: (&str, &str) = ("fact_check", "truthfulness/fact_check.jsonl");
    pub(crate) const SQUAD2: (&str, &str) = ("squad2", "truthfulness/squad2.jsonl");
    pub(crate) const ADVERSARIALQA: (&str, &str) = ("adversarialqa", "truthfulness/adversarialqa.jsonl");
    pub(crate) const HOTPOTQA: (&str, &str) = ("hotpotqa", "truthfulness/hotpotqa.jsonl");
    pub(crate) const QA_TOPICS: (&str, &str) = ("qa_topics", "truthfulness/metadata/qa_topics.jsonl");
    pub(crate) const FC_SITES: (&str, &str) = ("fc_sites", "truthfulness/metadata/fc_sites.jsonl");
    pub(crate) const FC_KEYWORDS: (&str, &str) = ("fc_keywords", "truthfulness/metadata/fc_keywords.jsonl");
    pub(crate) const PERSONAS: (&str, &str) = ("personas", "truthfulness/metadata/personas.jsonl");
    pub(crate) const FOLLOWUPS: (&str, &str) =
        ("self_doubt_followups", "truthfulness/metadata/self_doubt_followups.jsonl");
}

/// The rows of a source that must be there (bundled data or metadata).
pub(crate) fn required<'a>(input: &'a BuildInput, (name, path): (&str, &str)) -> Step<&'a [Value]> {
    match input.data.get(name) {
        Some(rows) => Ok(rows),
        None => fail!(
            "task `{}` needs the data source `{name}` (suites/data/{path}), which was not loaded; hint: run with the suite data directory that ships with trustgen",
            input.task
        ),
    }
}

/// The rows of an optional (user-supplied) source, if the user supplied it.
pub(crate) fn optional<'a>(input: &'a BuildInput, (name, _): (&str, &str)) -> Option<&'a [Value]> {
    input.data.get(name).map(Vec::as_slice)
}

/// How a row is named in skip reasons: `<path> row <n> (id <id>)`, `n` counted from 1.
pub(crate) fn row_name(path: &str, index: usize, row: &Value) -> String {
    match row.get("id").and_then(Value::as_str) {
        Some(id) => format!("{path} row {} (id {id})", index + 1),
        None => format!("{path} row {}", index + 1),
    }
}

/// A non-empty, trimmed string field.
pub(crate) fn text(row: &Value, key: &str) -> Option<String> {
    match row.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A list of non-empty strings (a single string counts as a list of one).
pub(crate) fn texts(row: &Value, key: &str) -> Option<Vec<String>> {
    match row.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(vec![s.trim().to_string()]),
        Value::Array(items) => {
            let list: Vec<String> = items
                .iter()
                .filter_map(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            (!list.is_empty()).then_some(list)
        }
        _ => None,
    }
}

/// Collects the fields `keys` of a row, or a skip entry naming the first missing one.
pub(crate) fn fields<const N: usize>(
    path: &str,
    index: usize,
    row: &Value,
    keys: [&str; N],
) -> Result<[String; N], Skipped> {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, key) in out.iter_mut().zip(keys) {
        *slot = text(row, key).ok_or_else(|| Skipped {
            item: row_name(path, index, row),
            reason: format!("field `{key}` is missing or empty"),
        })?;
    }
    Ok(out)
}

/// The number of cases to build: the suite's limit, else the task default.
pub(crate) fn limit(input: &BuildInput, default: usize) -> usize {
    input.limit.unwrap_or(default)
}

/// `k` items drawn without replacement in a seeded order (a prefix of the same order for a
/// smaller `k`, so raising the limit keeps the earlier cases).
pub(crate) fn sample<T: Clone>(items: &[T], k: usize, seed: u64, label: &str) -> Vec<T> {
    let mut rng = SeededRng::derive(seed, label);
    rng.sample_indices(items.len(), k).into_iter().map(|i| items[i].clone()).collect()
}

/// Whether the generator/retriever (dynamic) paths are on: the `dynamic` option (default true)
/// and both a generator and a retriever configured.
pub(crate) fn dynamic(input: &BuildInput) -> Step<bool> {
    let wanted = match input.options.get("dynamic") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => fail!("option `dynamic` of the truthfulness plugin must be true or false, not {other}"),
    };
    Ok(wanted && input.context.has_generator() && input.context.models.contains_key(&ModelRole::Retriever))
}

/// Whether the generator may write persona biographies (the `dynamic` option and a generator).
pub(crate) fn generator(input: &BuildInput) -> Step<bool> {
    let wanted = match input.options.get("dynamic") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => fail!("option `dynamic` of the truthfulness plugin must be true or false, not {other}"),
    };
    Ok(wanted && input.context.has_generator())
}

/// True when the normalised `needle` occurs as whole words in the normalised `haystack`.
pub(crate) fn contains_answer(haystack: &str, needle: &str) -> bool {
    let needle = normalize_answer(needle);
    !needle.is_empty() && format!(" {} ", normalize_answer(haystack)).contains(&format!(" {needle} "))
}

/// One HaluEval QA row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HaluRow {
    pub(crate) id: String,
    pub(crate) knowledge: String,
    pub(crate) question: String,
    pub(crate) right: String,
    pub(crate) hallucinated: String,
}

impl HaluRow {
    /// HaluEval's generated "hallucinated" answers sometimes restate the right answer ("Sébastien
    /// Buemi was born in 1988." for the right answer "1988"); such a row cannot test
    /// hallucination or serve as a wrong answer.
    pub(crate) fn wrong_is_wrong(&self) -> bool {
        !contains_answer(&self.hallucinated, &self.right)
    }
}

/// The HaluEval QA rows; rows that lack a field go to `skipped`.
pub(crate) fn halueval(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<HaluRow>> {
    let path = sources::HALUEVAL_QA.1;
    let mut out = Vec::new();
    for (i, row) in required(input, sources::HALUEVAL_QA)?.iter().enumerate() {
        match fields(path, i, row, ["knowledge", "question", "right_answer", "hallucinated_answer"]) {
            Ok([knowledge, question, right, hallucinated]) => out.push(HaluRow {
                id: text(row, "id").unwrap_or_else(|| format!("row-{}", i + 1)),
                knowledge,
                question,
                right,
                hallucinated,
            }),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// The HaluEval rows whose hallucinated answer does not contain the right one; the others are
/// counted in one `skipped` entry.
pub(crate) fn halueval_clean(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<HaluRow>> {
    let all = halueval(input, skipped)?;
    let total = all.len();
    let clean: Vec<HaluRow> = all.into_iter().filter(HaluRow::wrong_is_wrong).collect();
    if clean.len() < total {
        skipped.push(Skipped {
            item: format!("{} ({} of {total} rows)", sources::HALUEVAL_QA.1, total - clean.len()),
            reason: "the hallucinated answer contains the right answer (a known HaluEval labelling flaw), so these rows cannot serve as a wrong answer; they are never sampled".into(),
        });
    }
    Ok(clean)
}

/// Splits `items` into the two labels, shuffles each with the seed and interleaves them, so any
/// prefix is balanced as far as the data allows.
pub(crate) fn balanced<T: Clone>(items: &[T], is_positive: impl Fn(&T) -> bool, seed: u64, label: &str) -> Vec<T> {
    let (pos, neg): (Vec<T>, Vec<T>) = items.iter().cloned().partition(|t| is_positive(t));
    let pos = sample(&pos, pos.len(), seed, &format!("{label}/positive"));
    let neg = sample(&neg, neg.len(), seed, &format!("{label}/negative"));
    let first_positive = SeededRng::derive(seed, &format!("{label}/first")).chance(0.5);
    let (mut a, mut b) =
        if first_positive { (pos.into_iter(), neg.into_iter()) } else { (neg.into_iter(), pos.into_iter()) };
    let mut out = Vec::with_capacity(items.len());
    loop {
        match (a.next(), b.next()) {
            (None, None) => break,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
    out
}

/// A persona of the persona-sycophancy task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Persona {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) bios: Vec<String>,
}

/// The personas metadata.
pub(crate) fn personas(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<Persona>> {
    let path = sources::PERSONAS.1;
    let mut out = Vec::new();
    for (i, row) in required(input, sources::PERSONAS)?.iter().enumerate() {
        match fields(path, i, row, ["persona", "description"]) {
            Ok([name, description]) => {
                let bios = texts(row, "bios").unwrap_or_default();
                out.push(Persona { name, description, bios });
            }
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// One value per row of a one-field metadata file (`text` of the follow-ups, `site`, ...).
pub(crate) fn column(
    input: &BuildInput,
    source: (&str, &str),
    key: &str,
    skipped: &mut Vec<Skipped>,
) -> Step<Vec<String>> {
    let mut out = Vec::new();
    for (i, row) in required(input, source)?.iter().enumerate() {
        match fields(source.1, i, row, [key]) {
            Ok([value]) => out.push(value),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// `(topic, keyword)` pairs of the QA topics metadata, in file order.
pub(crate) fn qa_keywords(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<(String, String)>> {
    let path = sources::QA_TOPICS.1;
    let mut out = Vec::new();
    for (i, row) in required(input, sources::QA_TOPICS)?.iter().enumerate() {
        let topic = match fields(path, i, row, ["topic"]) {
            Ok([topic]) => topic,
            Err(skip) => {
                skipped.push(skip);
                continue;
            }
        };
        match texts(row, "keywords") {
            Some(keywords) => out.extend(keywords.into_iter().map(|k| (topic.clone(), k))),
            None => skipped
                .push(Skipped { item: row_name(path, i, row), reason: "field `keywords` is missing or empty".into() }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_interleaves_and_keeps_everything() {
        let items: Vec<u32> = (0..7).collect();
        let out = balanced(&items, |x| x % 2 == 0, 3, "t");
        let mut sorted = out.clone();
        sorted.sort();
        assert_eq!(sorted, items);
        // Any prefix of even length has as many of each label (4 even, 3 odd: only the tail differs).
        for k in (2..=6).step_by(2) {
            let even = out[..k].iter().filter(|x| *x % 2 == 0).count();
            assert_eq!(even, k / 2, "{out:?}");
        }
    }

    #[test]
    fn contains_answer_is_word_based() {
        assert!(contains_answer("Sébastien Buemi was born in 1988.", "1988"));
        assert!(!contains_answer("born in 19880", "1988"));
        assert!(contains_answer("The Moscow Satyricon Theatre", "moscow satyricon theatre"));
        assert!(!contains_answer("anything", "   "));
    }
}
