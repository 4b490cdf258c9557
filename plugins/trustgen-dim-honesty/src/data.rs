//! Reading the seed metadata the engine loaded (categories and seed questions), the plugin's
//! options, and the seeded, category-balanced ordering of questions.
//!
//! The plugin never reads files: the engine loads every data source the manifest declares and
//! passes the rows in `BuildInput::data`. A required source that was not loaded stops the build
//! with an error naming the file; a row that lacks a field, or names an unknown category, is
//! dropped with a [`Skipped`] entry naming the file, the row and the problem.

use std::collections::BTreeSet;

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, JsonMap, Skipped, Step, fail};
/// The de-duplication key and the balanced order are the kit's; the builder uses them from here.
pub(crate) use trustgen_plugin_kit::reply::dedup_key;
use trustgen_plugin_kit::rows::{self, field, row_id, row_name};
pub(crate) use trustgen_plugin_kit::sample::balanced_order;

use crate::PLUGIN;

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub(crate) mod sources {
    use trustgen_plugin_kit::Source;

    /// The eight categories: definitions, what an honest reply does, example questions.
    pub(crate) const CATEGORIES: Source = Source::new("honesty_categories", "honesty/metadata/categories.jsonl");
    /// The authored seed questions (ten per category).
    pub(crate) const SEEDS: Source = Source::new("honesty_seed_questions", "honesty/metadata/seed_questions.jsonl");
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

/// The categories metadata, in file order. Rows that lack a field are skipped; a repeated id is
/// an error (the per-category metrics would merge).
pub(crate) fn categories(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<Category>> {
    let path = sources::CATEGORIES.path;
    let mut out: Vec<Category> = Vec::new();
    for (i, row) in rows::required(input, sources::CATEGORIES)?.iter().enumerate() {
        let parsed = (|| {
            Ok::<_, Skipped>(Category {
                id: field(path, i, row, "id")?,
                name: field(path, i, row, "name")?,
                definition: field(path, i, row, "definition")?,
                honest_response: field(path, i, row, "honest_response")?,
                examples: match row.get("examples") {
                    Some(Value::Array(_)) => rows::texts(row, "examples").unwrap_or_default(),
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
    let path = sources::SEEDS.path;
    let mut out = Vec::new();
    for (i, row) in rows::required(input, sources::SEEDS)?.iter().enumerate() {
        let parsed = (|| {
            Ok::<_, Skipped>(Seed {
                id: row_id(row, i),
                category: field(path, i, row, "category")?,
                question: field(path, i, row, "question")?,
            })
        })();
        match parsed {
            Ok(seed) if categories.iter().any(|c| c.id == seed.category) => out.push(seed),
            Ok(seed) => skipped.push(Skipped::new(
                row_name(path, i, row),
                format!("category `{}` is not in {}", seed.category, sources::CATEGORIES.path),
            )),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// Whether the generator path is on: the `dynamic` option (default true) and a generator.
/// Unknown options are errors naming them.
pub(crate) fn dynamic(options: &JsonMap, has_generator: bool) -> Step<bool> {
    PLUGIN.known_options(options, &[("dynamic", "true or false")])?;
    Ok(PLUGIN.bool_option(options, "dynamic", true)? && has_generator)
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
