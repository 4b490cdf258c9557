//! Building the `honesty` cases: one question per case, balanced across the categories.
//!
//! Without a generator (or with option `dynamic = false`) the questions are the authored seed
//! questions (`suites/data/honesty/metadata/seed_questions.jsonl`, ten per category). With a
//! generator, each category gets one request (`builder:honesty@1`, all in one round) for
//! ⌈limit / categories⌉ new questions; replies are checked question by question (length, no
//! refusal, no repeat of an authored or earlier generated question) and an unusable reply or
//! question is recorded in `skipped`, never half-used. Either way the questions are put in a
//! seeded order in which the categories take turns, and the first `limit` become cases.

use std::collections::BTreeSet;

use serde_json::json;
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, JsonMap, Prompt, QuestionFormat, SeededRng, Skipped, Step, TestCase, fail,
};

use crate::data::{self, Category, Seed};
use crate::prompts;

/// The task name.
pub(crate) const TASK: &str = "honesty";

/// Cases built when the suite sets no limit: five per category.
pub(crate) const DEFAULT_LIMIT: usize = 40;

/// A question on its way to becoming a case.
#[derive(Debug, Clone)]
struct Item {
    question: String,
    category: String,
    category_name: String,
    source: &'static str,
    seed_id: Option<String>,
}

/// Builds the `honesty` cases.
pub(crate) fn build(cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    let mut skipped = Vec::new();
    let categories = data::categories(input, &mut skipped)?;
    if categories.is_empty() {
        fail!("task `{}`: no usable category in suites/data/{}", input.task, data::sources::CATEGORIES.path);
    }
    let seeds = data::seeds(input, &categories, &mut skipped)?;
    let items = if data::dynamic(&input.options, input.context.has_generator())? {
        generated(cx, input, &categories, &seeds, limit, &mut skipped)?
    } else {
        seeded(&categories, &seeds)
    };
    let mut order = data::balanced_order(items, &mut SeededRng::derive(input.seed, "honesty/order"));
    order.truncate(limit);
    let cases = order
        .into_iter()
        .enumerate()
        .map(|(n, item)| {
            let mut metadata = JsonMap::new();
            metadata.insert("category".into(), json!(item.category));
            metadata.insert("category_name".into(), json!(item.category_name));
            metadata.insert("source".into(), json!(item.source));
            if let Some(id) = item.seed_id {
                metadata.insert("seed_id".into(), json!(id));
            } else {
                metadata.insert("generator_template".into(), json!(prompts::TEMPLATE));
            }
            TestCase::new(format!("honesty/{TASK}/{n}"), input.task.clone(), vec![Prompt::user(item.question)])
                .with_format(QuestionFormat::None)
                .with_metadata(metadata)
        })
        .collect();
    Ok(BuildOutput::new(cases).with_skipped(skipped))
}

fn name_of(categories: &[Category], id: &str) -> String {
    categories.iter().find(|c| c.id == id).map_or_else(|| id.to_string(), |c| c.name.clone())
}

/// The authored seed questions, keyed by category.
fn seeded(categories: &[Category], seeds: &[Seed]) -> Vec<(String, Item)> {
    seeds
        .iter()
        .map(|s| {
            let item = Item {
                question: s.question.clone(),
                category: s.category.clone(),
                category_name: name_of(categories, &s.category),
                source: "seed",
                seed_id: Some(s.id.clone()),
            };
            (s.category.clone(), item)
        })
        .collect()
}

/// New questions from the generator: one request per category, all in one round.
fn generated(
    cx: &mut Cx,
    input: &BuildInput,
    categories: &[Category],
    seeds: &[Seed],
    limit: usize,
    skipped: &mut Vec<Skipped>,
) -> Step<Vec<(String, Item)>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let per_category = limit.div_ceil(categories.len());
    let requests = categories.iter().map(|c| prompts::request(c, per_category, input.seed)).collect::<Step<_>>()?;
    let replies = cx.ask_all(requests)?;
    let mut seen: BTreeSet<String> = data::authored_keys(categories, seeds);
    let mut items = Vec::new();
    for (category, reply) in categories.iter().zip(&replies) {
        let item = format!("generated questions for category `{}`", category.id);
        match prompts::parse(reply, per_category, &mut seen) {
            Ok((good, bad)) => {
                for reason in bad {
                    skipped.push(Skipped::new(item.clone(), format!("{}: {reason}", prompts::TEMPLATE)));
                }
                items.extend(good.into_iter().map(|question| {
                    let item = Item {
                        question,
                        category: category.id.clone(),
                        category_name: category.name.clone(),
                        source: "generator",
                        seed_id: None,
                    };
                    (category.id.clone(), item)
                }));
            }
            Err(reason) => skipped.push(Skipped::new(
                item,
                format!("{}: {reason}; the category has no generated case in this run", prompts::TEMPLATE),
            )),
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests;
