//! Reading the seed metadata the engine loaded (categories and seed questions), the plugin's
//! options, and the seeded, category-balanced ordering of questions.
//!
//! The plugin never reads files: the engine loads every data source the manifest declares and
//! passes the rows in `BuildInput::data`. A required source that was not loaded stops the build
//! with an error naming the file; a row that lacks a field, or names an unknown category, is
//! dropped with a [`Skipped`] entry naming the file, the row and the problem.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, JsonMap, SeededRng, Skipped, Step, fail};

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub(crate) mod sources {
    /// The eight categories: definitions, what an honest reply does, example questions.
    pub(crate) const CATEGORIES: (&str, &str) = ("honesty_categories", "honesty/metadata/categories.jsonl");
    /// The authored seed questions (ten per category).
    pub(crate) const SEEDS: (&str, &str) = ("honesty_seed_questions", "honesty/metadata/seed_questions.jsonl");
}

/// One category of requests that exceed what an assistant can know or do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Category {
    /// Kebab-case id, e.g. `latest-information` (also the suffix of the per-category metric).
    pub(crate) id: String,
    /// Display name.
    pub(crate) name: String,
    /// What makes a request belong to the category.
    pub(crate) definition: String,
    /// What an honest reply does.
    pub(crate) honest_response: String,
    /// Example questions (shown to the generator; never used as cases).
    pub(crate) examples: Vec<String>,
}

/// One authored seed question.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seed {
    pub(crate) id: String,
    pub(crate) category: String,
    pub(crate) question: String,
}

/// The rows of a required source, or an error naming its file.
fn required<'a>(input: &'a BuildInput, (name, path): (&str, &str)) -> Step<&'a [Value]> {
    match input.data.get(name) {
        Some(rows) if !rows.is_empty() => Ok(rows),
        _ => fail!(
            "task `{}` needs the data source `{name}` (suites/data/{path}), which was not loaded or is empty; hint: run with the suite data directory that ships with trustgen",
            input.task
        ),
    }
}

/// How a row is named in skip reasons: `<path> row <n> (id <id>)`, `n` counted from 1.
fn row_name(path: &str, index: usize, row: &Value) -> String {
    match row.get("id").and_then(Value::as_str) {
        Some(id) => format!("{path} row {} (id {id})", index + 1),
        None => format!("{path} row {}", index + 1),
    }
}

/// A non-empty, trimmed string field.
pub(crate) fn text(row: &Value, key: &str) -> Option<String> {
    row.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn field(path: &str, index: usize, row: &Value, key: &str) -> Result<String, Skipped> {
    text(row, key).ok_or_else(|| Skipped {
        item: row_name(path, index, row),
        reason: format!("field `{key}` is missing or empty"),
    })
}

/// The categories metadata, in file order. Rows that lack a field are skipped; a repeated id is
/// an error (the per-category metrics would merge).
pub(crate) fn categories(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<Category>> {
    let path = sources::CATEGORIES.1;
    let mut out: Vec<Category> = Vec::new();
    for (i, row) in required(input, sources::CATEGORIES)?.iter().enumerate() {
        let parsed = (|| {
            Ok::<_, Skipped>(Category {
                id: field(path, i, row, "id")?,
                name: field(path, i, row, "name")?,
                definition: field(path, i, row, "definition")?,
                honest_response: field(path, i, row, "honest_response")?,
                examples: match row.get("examples") {
                    Some(Value::Array(items)) => items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::trim)
                        .filter(|q| !q.is_empty())
                        .map(str::to_string)
                        .collect(),
                    _ => Vec::new(),
                },
            })
        })();
        match parsed {
            Ok(category) if out.iter().any(|c| c.id == category.id) => {
                fail!("suites/data/{path} row {}: the category id `{}` is used twice", i + 1, category.id)
            }
            Ok(category) => out.push(category),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// The seed questions whose category is one of `categories`; the others are skipped.
pub(crate) fn seeds(input: &BuildInput, categories: &[Category], skipped: &mut Vec<Skipped>) -> Step<Vec<Seed>> {
    let path = sources::SEEDS.1;
    let mut out = Vec::new();
    for (i, row) in required(input, sources::SEEDS)?.iter().enumerate() {
        let parsed = (|| {
            Ok::<_, Skipped>(Seed {
                id: text(row, "id").unwrap_or_else(|| format!("row-{}", i + 1)),
                category: field(path, i, row, "category")?,
                question: field(path, i, row, "question")?,
            })
        })();
        match parsed {
            Ok(seed) if categories.iter().any(|c| c.id == seed.category) => out.push(seed),
            Ok(seed) => skipped.push(Skipped {
                item: row_name(path, i, row),
                reason: format!("category `{}` is not in {}", seed.category, sources::CATEGORIES.1),
            }),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// Whether the generator path is on: the `dynamic` option (default true) and a generator.
/// Unknown options are errors naming them.
pub(crate) fn dynamic(options: &JsonMap, has_generator: bool) -> Step<bool> {
    for key in options.keys() {
        if key != "dynamic" {
            fail!("the honesty plugin has no option `{key}`; its only option is `dynamic` (true or false)");
        }
    }
    let wanted = match options.get("dynamic") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => fail!("option `dynamic` of the honesty plugin must be true or false, not {other}"),
    };
    Ok(wanted && has_generator)
}

/// Orders `items` so that categories take turns: each category's items are shuffled, the
/// categories are visited in a shuffled order, and one item is taken from each in turn. Any
/// prefix is as balanced across categories as their sizes allow.
pub(crate) fn balanced<T>(items: Vec<(String, T)>, rng: &mut SeededRng) -> Vec<T> {
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
            out.extend(it.next());
        }
    }
    out
}

/// The de-duplication key of a question: lowercase letters and digits, single spaces.
pub(crate) fn dedup_key(question: &str) -> String {
    question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The de-duplication keys of every authored question (seeds and examples), which generated
/// questions must not repeat.
pub(crate) fn authored_keys(categories: &[Category], seeds: &[Seed]) -> BTreeSet<String> {
    categories
        .iter()
        .flat_map(|c| c.examples.iter())
        .chain(seeds.iter().map(|s| &s.question))
        .map(|q| dedup_key(q))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_takes_turns_and_is_seeded() {
        let items: Vec<(String, String)> =
            ["a1", "a2", "a3", "a4", "b1", "b2", "c1"].iter().map(|s| (s[..1].to_string(), (*s).to_string())).collect();
        let order = balanced(items.clone(), &mut SeededRng::new(1));
        assert_eq!(order.len(), 7);
        let first3: BTreeSet<&str> = order[..3].iter().map(|s| &s[..1]).collect();
        assert_eq!(first3.len(), 3, "{order:?}");
        assert_eq!(order, balanced(items.clone(), &mut SeededRng::new(1)));
        assert_ne!(order, balanced(items, &mut SeededRng::new(2)));
    }

    #[test]
    fn dedup_keys_ignore_case_and_punctuation() {
        assert_eq!(dedup_key("What colour is my shirt?"), dedup_key("  what COLOUR is my shirt ...  "));
        assert_ne!(dedup_key("What colour is my shirt?"), dedup_key("What colour is my hat?"));
    }

    #[test]
    fn options() {
        let mut options = JsonMap::new();
        assert_eq!(dynamic(&options, true), Ok(true));
        assert_eq!(dynamic(&options, false), Ok(false));
        options.insert("dynamic".into(), Value::Bool(false));
        assert_eq!(dynamic(&options, true), Ok(false));
        options.insert("dynamic".into(), Value::from("yes"));
        let message = |r: Step<bool>| match r {
            Err(trustgen_plugin_api::Stop::Error(m)) => m,
            other => format!("{other:?}"),
        };
        assert_eq!(
            message(dynamic(&options, true)),
            "option `dynamic` of the honesty plugin must be true or false, not \"yes\""
        );
        let mut options = JsonMap::new();
        options.insert("dynamik".into(), Value::Bool(true));
        assert_eq!(
            message(dynamic(&options, true)),
            "the honesty plugin has no option `dynamik`; its only option is `dynamic` (true or false)"
        );
    }
}
