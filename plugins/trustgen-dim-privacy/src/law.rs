//! `law`: malicious questions grounded in a country's privacy law.
//!
//! The original turned each of 585 country privacy-law texts into one malicious question naming
//! the country. That corpus has poor provenance (OCR and machine translation of unknown origin)
//! and is not bundled: the user supplies one JSONL file, `suites/data/privacy/user/privacy_law.jsonl`,
//! one law per line with `country` and `text` (optional `id`, `title`).
//!
//! With a generator: a seeded sample of laws balanced across countries; the generator writes one
//! question per law (`builder:privacy-law@1`, the law's first 6000 characters), which must name
//! the country, then rephrases it without semantic shift (`builder:privacy-rephrase@1`, the
//! country must stay named). An unusable reply skips that law with the reason. Without the
//! corpus or without a generator the task builds nothing and says why.

use serde_json::json;
use trustgen_plugin_api::{BuildInput, BuildOutput, Cx, Prompt, SeededRng, Skipped, Step, Stop, TestCase};
use trustgen_plugin_kit::NEEDS_GENERATOR;
use trustgen_plugin_kit::case::object;
use trustgen_plugin_kit::reply::{self, excerpt};
use trustgen_plugin_kit::rows;
use trustgen_plugin_kit::sample::balanced_rounds;

use crate::PLUGIN;
use crate::common::mentions;
use crate::prompts::{self, MAX_LAW_CHARS};
use crate::seeds::sources;

/// The task name.
pub const TASK: &str = "law";
/// Cases built when the suite sets no limit.
pub const DEFAULT_LIMIT: usize = 20;

struct Law {
    id: String,
    country: String,
    title: Option<String>,
    text: String,
}

fn generated(reply: &trustgen_plugin_api::ModelReply, country: &str) -> Result<String, String> {
    let query = reply::object_with_keys(reply, &["query"]).and_then(|o| reply::string(&o, "query"))?;
    if !mentions(&query, country) {
        return Err(format!("the question does not name the country \"{country}\": {}", excerpt(&query)));
    }
    Ok(query)
}

/// Builds the law-grounded cases.
pub fn build(cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let path = sources::LAW.path;
    let corpus = rows::rows(input, sources::LAW.name);
    let mut skipped = Vec::new();
    if corpus.is_empty() {
        skipped.push(Skipped::new(
            "(task)",
            format!(
                "needs a user-supplied privacy-law corpus at suites/data/{path} (one JSON object per line with \
                 `country` and `text`); the original's 585 law texts are not redistributed (unknown provenance)"
            ),
        ));
        return Ok(BuildOutput::new(Vec::new()).with_skipped(skipped));
    }
    if !input.context.has_generator() {
        skipped.push(Skipped::new("(task)", NEEDS_GENERATOR));
        return Ok(BuildOutput::new(Vec::new()).with_skipped(skipped));
    }
    let mut laws = Vec::new();
    for (i, row) in corpus.iter().enumerate() {
        let id = rows::string(row, "id").map_or_else(|| format!("law-row-{}", i + 1), str::to_string);
        match (rows::string(row, "country"), rows::string(row, "text")) {
            (Some(country), Some(body)) => laws.push((
                country.to_string(),
                0,
                Law {
                    id,
                    country: country.to_string(),
                    title: rows::string(row, "title").map(str::to_string),
                    text: body.to_string(),
                },
            )),
            _ => skipped.push(Skipped::new(
                format!("suites/data/{path} row {} ({id})", i + 1),
                "the fields `country` and `text` must be non-empty strings",
            )),
        }
    }
    let mut laws = balanced_rounds(laws, &mut SeededRng::derive(input.seed, "law/order"));
    laws.truncate(input.limit.unwrap_or(DEFAULT_LIMIT));

    let question = prompts::PROMPTS.get("privacy-law").map_err(|e| Stop::Error(e.to_string()))?;
    let requests = laws
        .iter()
        .map(|law| {
            let vars = [("country", law.country.as_str()), ("law", prompts::head(&law.text, MAX_LAW_CHARS))];
            question.request(&vars, Some(input.seed)).map_err(|e| Stop::Error(e.to_string()))
        })
        .collect::<Step<Vec<_>>>()?;
    let replies = if requests.is_empty() { Vec::new() } else { cx.ask_all(requests)? };
    let mut written = Vec::new();
    for ((n, law), reply) in laws.iter().enumerate().zip(&replies) {
        match generated(reply, &law.country) {
            Ok(query) => written.push((n, law, query)),
            Err(reason) => skipped.push(Skipped::new(
                format!("{} ({})", PLUGIN.case_id(TASK, n), law.id),
                format!("unusable generator reply ({}): {reason}", question.purpose()),
            )),
        }
    }

    let rephrase = prompts::PROMPTS.get("privacy-rephrase").map_err(|e| Stop::Error(e.to_string()))?;
    let requests = written
        .iter()
        .map(|(_, law, query)| {
            let vars = [("target", law.country.as_str()), ("query", query.as_str())];
            rephrase.request(&vars, Some(input.seed)).map_err(|e| Stop::Error(e.to_string()))
        })
        .collect::<Step<Vec<_>>>()?;
    let replies = if requests.is_empty() { Vec::new() } else { cx.ask_all(requests)? };
    let mut cases = Vec::new();
    for ((n, law, query), reply) in written.into_iter().zip(&replies) {
        let rephrased = match generated(reply, &law.country) {
            Ok(q) => q,
            Err(reason) => {
                skipped.push(Skipped::new(
                    format!("{} ({})", PLUGIN.case_id(TASK, n), law.id),
                    format!("unusable generator reply ({}): {reason}", rephrase.purpose()),
                ));
                continue;
            }
        };
        let metadata = object([
            ("source", json!("law")),
            ("law_id", json!(law.id)),
            ("country", json!(law.country)),
            ("title", json!(law.title)),
            ("query", json!(rephrased)),
            ("original_query", json!(query)),
            ("templates", json!([question.purpose(), rephrase.purpose()])),
        ]);
        cases.push(TestCase::new(PLUGIN.case_id(TASK, n), TASK, vec![Prompt::user(rephrased)]).with_metadata(metadata));
    }
    Ok(BuildOutput::new(cases).with_skipped(skipped))
}

#[cfg(test)]
mod tests;
