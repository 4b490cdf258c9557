//! `qa` (closed-book questions) and `qa-context` (questions with a context passage).
//!
//! Dynamic path (a generator and a retriever configured, option `dynamic` not false): the QA
//! topic metadata gives keywords; each keyword (in a seeded order, as many as the limit) is
//! retrieved, and the generator turns the documents into at most two question/context/answer
//! triples (`builder:qa@1`). `qa` asks the question alone, `qa-context` with the context; both
//! tasks make the same requests for the same seed, so the engine's cache answers the second.
//!
//! Bundled path: `qa` asks TruthfulQA questions (ground truth: the first correct answer, the
//! others as aliases); `qa-context` asks HaluEval QA questions with their `knowledge` passage,
//! plus the user-supplied SQuAD 2.0, AdversarialQA and HotpotQA rows when present (unanswerable
//! SQuAD 2.0 questions are left out).

use serde_json::{Value, json};
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, JsonMap, ModelRequest, Prompt, QuestionFormat, ReplyStatus, Skipped, Step, TestCase,
};
use trustgen_plugin_kit::{reply, rows};

use crate::data::{self, sources};
use crate::prompts;
use crate::tasks;

/// Which of the two tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// `qa`: the question alone.
    Closed,
    /// `qa-context`: the question with its context.
    Context,
}

impl Variant {
    fn task(self) -> &'static str {
        match self {
            Variant::Closed => tasks::QA,
            Variant::Context => tasks::QA_CONTEXT,
        }
    }
}

/// One question of either path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub(crate) question: String,
    pub(crate) context: Option<String>,
    pub(crate) answer: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) metadata: JsonMap,
}

/// Default number of cases of each task.
pub(crate) const DEFAULT_LIMIT: usize = 30;

/// Builds `qa` or `qa-context`.
pub(crate) fn build(cx: &mut Cx, input: &BuildInput, variant: Variant) -> Step<BuildOutput> {
    let limit = data::limit(input, DEFAULT_LIMIT);
    let mut skipped = Vec::new();
    let items = if data::dynamic(input)? {
        dynamic_items(cx, input, limit, &mut skipped)?
    } else {
        match variant {
            Variant::Closed => truthfulqa_items(input, limit, &mut skipped)?,
            Variant::Context => context_items(input, limit, &mut skipped)?,
        }
    };
    let cases = items
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(n, item)| {
            let text = match (variant, &item.context) {
                (Variant::Context, Some(context)) => prompts::question_with_context(context, &item.question),
                _ => prompts::question(&item.question),
            };
            let mut metadata = item.metadata;
            if !item.aliases.is_empty() {
                metadata.insert("aliases".into(), json!(item.aliases));
            }
            TestCase::new(format!("truthfulness/{}/{n}", variant.task()), input.task.clone(), vec![Prompt::user(text)])
                .with_format(QuestionFormat::OpenEnded)
                .with_ground_truth(item.answer)
                .with_metadata(metadata)
        })
        .collect();
    Ok(BuildOutput::new(cases).with_skipped(skipped))
}

fn meta(pairs: &[(&str, Value)]) -> JsonMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn truthfulqa_items(input: &BuildInput, limit: usize, skipped: &mut Vec<Skipped>) -> Step<Vec<Item>> {
    let path = sources::TRUTHFULQA.path;
    let mut items = Vec::new();
    for (i, row) in rows::loaded(input, sources::TRUTHFULQA)?.iter().enumerate() {
        let question = data::text(row, "question");
        let answers = data::texts(row, "correct_answers");
        match (question, answers) {
            (Some(question), Some(mut answers)) => {
                let answer = answers.remove(0);
                items.push(Item {
                    question,
                    context: None,
                    answer,
                    aliases: answers,
                    metadata: meta(&[("source", json!("truthfulqa")), ("row", json!(data::row_name(path, i, row)))]),
                });
            }
            (None, _) => {
                skipped.push(Skipped::new(data::row_name(path, i, row), "field `question` is missing or empty"))
            }
            (_, None) => {
                skipped.push(Skipped::new(data::row_name(path, i, row), "field `correct_answers` is missing or empty"))
            }
        }
    }
    Ok(data::sample(&items, limit, input.seed, "qa/truthfulqa"))
}

/// HaluEval QA rows with their knowledge, plus the user-supplied reading-comprehension sets.
fn context_items(input: &BuildInput, limit: usize, skipped: &mut Vec<Skipped>) -> Step<Vec<Item>> {
    let mut items: Vec<Item> = data::halueval(input, skipped)?
        .into_iter()
        .map(|row| Item {
            question: row.question,
            context: Some(row.knowledge),
            answer: row.right,
            aliases: Vec::new(),
            metadata: meta(&[
                ("source", json!("halueval_qa")),
                ("row_id", json!(row.id)),
                ("hallucinated_answer", json!(row.hallucinated)),
            ]),
        })
        .collect();
    for source in [sources::SQUAD2, sources::ADVERSARIALQA, sources::HOTPOTQA] {
        let Some(rows) = data::optional(input, source) else { continue };
        let mut unanswerable = 0;
        for (i, row) in rows.iter().enumerate() {
            let answers = data::texts(row, "answers").or_else(|| data::texts(row, "answer"));
            let context = match row.get("context") {
                Some(Value::Array(parts)) => {
                    let text: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                    (!text.is_empty()).then(|| text.join(" "))
                }
                _ => data::text(row, "context"),
            };
            match (data::text(row, "question"), context, answers) {
                (Some(question), Some(context), Some(answers)) => {
                    let mut unique: Vec<String> = Vec::new();
                    for a in answers {
                        if !unique.contains(&a) {
                            unique.push(a);
                        }
                    }
                    let answer = unique.remove(0);
                    let answers = unique;
                    items.push(Item {
                        question,
                        context: Some(context),
                        answer,
                        aliases: answers,
                        metadata: meta(&[
                            ("source", json!(source.name)),
                            ("row", json!(data::row_name(source.path, i, row))),
                        ]),
                    });
                }
                (Some(_), Some(_), None) if matches!(row.get("answers"), Some(Value::Array(a)) if a.is_empty()) => {
                    unanswerable += 1;
                }
                _ => skipped.push(Skipped::new(
                    data::row_name(source.path, i, row),
                    "needs `question`, `context` (text or list of texts) and `answers` (list) or `answer`",
                )),
            }
        }
        if unanswerable > 0 {
            skipped.push(Skipped::new(
                format!("{} ({unanswerable} {})", source.path, if unanswerable == 1 { "row" } else { "rows" }),
                "unanswerable questions (empty `answers`) have no ground truth to check",
            ));
        }
    }
    Ok(data::sample(&items, limit, input.seed, "qa-context/bundled"))
}

/// The dynamic path: retrieval per keyword, then the generator's triples.
pub(crate) fn dynamic_items(
    cx: &mut Cx,
    input: &BuildInput,
    limit: usize,
    skipped: &mut Vec<Skipped>,
) -> Step<Vec<Item>> {
    let keywords = data::qa_keywords(input, skipped)?;
    // One seeded order shared by `qa` and `qa-context`, so both make the same requests.
    let chosen = data::sample(&keywords, limit.min(keywords.len()), input.seed, "qa-dynamic/keywords");
    let retrievals = cx.ask_all(
        chosen
            .iter()
            .map(|(_, keyword)| {
                ModelRequest::retrieve(keyword.clone(), prompts::DOCUMENTS_PER_QUERY).with_purpose(prompts::QA_RETRIEVE)
            })
            .collect(),
    )?;
    let mut found = Vec::new();
    for ((topic, keyword), reply) in chosen.iter().zip(retrievals) {
        let item = format!("keyword `{keyword}` ({topic})");
        match reply.status {
            ReplyStatus::Ok if !reply.documents.is_empty() => found.push((topic, keyword, reply.documents)),
            ReplyStatus::Ok => skipped.push(Skipped::new(item, "the retriever found no documents")),
            _ => skipped.push(Skipped::new(
                item,
                format!("retrieval failed: {}", reply.error.as_deref().unwrap_or("no error message")),
            )),
        }
    }
    let replies = cx.ask_all(
        found.iter().map(|(topic, keyword, docs)| prompts::qa_request(topic, keyword, docs)).collect::<Step<_>>()?,
    )?;
    let mut items = Vec::new();
    for ((topic, keyword, docs), reply) in found.iter().zip(replies) {
        let item = format!("keyword `{keyword}` ({topic})");
        let parsed = reply::text(&reply).map_err(|e| e.with_status()).and_then(prompts::parse_qa);
        match parsed {
            Ok((good, bad)) => {
                for reason in bad {
                    skipped.push(Skipped::new(item.clone(), format!("{}: {reason}", prompts::QA_TEMPLATE)));
                }
                let urls: Vec<&str> = docs.iter().filter_map(|d| d.url.as_deref()).collect();
                for triple in good {
                    items.push(Item {
                        question: triple.question,
                        context: Some(triple.context),
                        answer: triple.answer,
                        aliases: Vec::new(),
                        metadata: meta(&[
                            ("source", json!("dynamic")),
                            ("topic", json!(topic)),
                            ("keyword", json!(keyword)),
                            ("urls", json!(urls)),
                            ("template", json!(prompts::QA_TEMPLATE)),
                        ]),
                    });
                }
            }
            Err(reason) => skipped.push(Skipped::new(item, format!("{}: {reason}", prompts::QA_TEMPLATE))),
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests;
