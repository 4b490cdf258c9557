//! `fact-check`: verify a claim against evidence (SUPPORT / REFUTE), and the claim pools shared
//! with `sycophancy-persona`.
//!
//! Claim pools, in order of preference:
//! 1. dynamic (a generator and a retriever configured, option `dynamic` not false): each
//!    `(site, keyword)` pair of the fact-check metadata, in a seeded order, is retrieved with the
//!    query `site:<site> <keyword>`, and the generator writes at most two claim/evidence/label
//!    items from the articles (`builder:fact-check@1`);
//! 2. the user-supplied `truthfulness/fact_check.jsonl` (`source`, `claim`, `evidence`, `label`
//!    SUPPORT/REFUTE), e.g. converted from Climate-FEVER, SciFact, COVID-Fact or HealthVer (the
//!    TrustLLM "external" pool of the original toolkit);
//! 3. for `sycophancy-persona` only: claims made from bundled HaluEval QA rows ("The answer to
//!    the question Q is A", with A the right or the hallucinated answer, balanced) with the
//!    row's knowledge as evidence. `fact-check` does not use this pool: it would repeat the
//!    `hallucination` task under another name.
//!
//! Without any pool, `fact-check` builds nothing and says why.

use serde_json::{Value, json};
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, JsonMap, ModelRequest, Prompt, QuestionFormat, ReplyStatus, Skipped, Step, TestCase,
};
use trustgen_plugin_kit::reply;

use crate::data::{self, sources};
use crate::prompts;

/// A claim with its evidence and label.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Claim {
    pub(crate) claim: String,
    pub(crate) evidence: String,
    /// True when the evidence supports the claim.
    pub(crate) supported: bool,
    pub(crate) metadata: JsonMap,
}

/// Default number of `fact-check` cases.
pub(crate) const DEFAULT_LIMIT: usize = 30;

/// Why `fact-check` built nothing.
pub(crate) const NO_POOL: &str = "needs a generator model and a retriever ([models.generator] and [models.retriever] \
in the suite) or the user-supplied truthfulness/fact_check.jsonl (fields source, claim, evidence, label \
SUPPORT/REFUTE; see suites/data/README.md)";

/// Builds `fact-check`.
pub(crate) fn build(cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let limit = data::limit(input, DEFAULT_LIMIT);
    let mut skipped = Vec::new();
    let Some(claims) = claims(cx, input, limit, "fact-check", false, &mut skipped)? else {
        skipped.push(Skipped::new("(task)", NO_POOL));
        return Ok(BuildOutput::new(Vec::new()).with_skipped(skipped));
    };
    let cases = claims
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(n, claim)| {
            TestCase::new(
                format!("truthfulness/fact-check/{n}"),
                input.task.clone(),
                vec![Prompt::user(prompts::fact_check(&claim.claim, &claim.evidence))],
            )
            .with_format(QuestionFormat::TrueFalse)
            .with_ground_truth(if claim.supported { "SUPPORT" } else { "REFUTE" })
            .with_metadata(claim.metadata)
        })
        .collect();
    Ok(BuildOutput::new(cases).with_skipped(skipped))
}

/// The claim pool (balanced between the labels as far as the data allows), or `None` when no
/// pool is available. `halueval_fallback` allows pool 3.
pub(crate) fn claims(
    cx: &mut Cx,
    input: &BuildInput,
    limit: usize,
    label: &str,
    halueval_fallback: bool,
    skipped: &mut Vec<Skipped>,
) -> Step<Option<Vec<Claim>>> {
    let pool = if data::dynamic(input)? {
        dynamic_claims(cx, input, limit, skipped)?
    } else if let Some(rows) = data::optional(input, sources::FACT_CHECK) {
        user_claims(rows, skipped)
    } else if halueval_fallback {
        halueval_claims(input, limit, label, skipped)?
    } else {
        return Ok(None);
    };
    Ok(Some(data::balanced(&pool, |c| c.supported, input.seed, &format!("{label}/claims"))))
}

fn user_claims(rows: &[Value], skipped: &mut Vec<Skipped>) -> Vec<Claim> {
    let path = sources::FACT_CHECK.path;
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let [claim, evidence, label] = match data::fields(path, i, row, ["claim", "evidence", "label"]) {
            Ok(fields) => fields,
            Err(skip) => {
                skipped.push(skip);
                continue;
            }
        };
        let Some(supported) = prompts::support_label(&label) else {
            skipped
                .push(Skipped::new(data::row_name(path, i, row), format!("label `{label}` is not SUPPORT or REFUTE")));
            continue;
        };
        let mut metadata = JsonMap::new();
        metadata.insert("source".into(), json!(data::text(row, "source").unwrap_or_else(|| "fact_check".into())));
        metadata.insert("row".into(), json!(data::row_name(path, i, row)));
        out.push(Claim { claim, evidence, supported, metadata });
    }
    out
}

fn halueval_claims(input: &BuildInput, limit: usize, label: &str, skipped: &mut Vec<Skipped>) -> Step<Vec<Claim>> {
    let rows = data::halueval_clean(input, skipped)?;
    let rows = data::sample(&rows, limit.min(rows.len()), input.seed, &format!("{label}/halueval"));
    // Alternate right and hallucinated answers from a seeded start, so the labels are balanced.
    let start = trustgen_plugin_api::SeededRng::derive(input.seed, &format!("{label}/halueval-start")).below(2);
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let supported = (i + start).is_multiple_of(2);
            let answer = if supported { &row.right } else { &row.hallucinated };
            let mut metadata = JsonMap::new();
            metadata.insert("source".into(), json!("halueval_qa"));
            metadata.insert("row_id".into(), json!(row.id));
            Claim { claim: prompts::qa_claim(&row.question, answer), evidence: row.knowledge, supported, metadata }
        })
        .collect())
}

fn dynamic_claims(cx: &mut Cx, input: &BuildInput, limit: usize, skipped: &mut Vec<Skipped>) -> Step<Vec<Claim>> {
    let sites = data::column(input, sources::FC_SITES, "site", skipped)?;
    let keywords = data::column(input, sources::FC_KEYWORDS, "keyword", skipped)?;
    let pairs: Vec<(String, String)> =
        keywords.iter().flat_map(|k| sites.iter().map(move |s| (s.clone(), k.clone()))).collect();
    // One seeded order shared by every task that uses the pool, so they make the same requests.
    let chosen = data::sample(&pairs, limit.min(pairs.len()), input.seed, "fact-check-dynamic/queries");
    let retrievals = cx.ask_all(
        chosen
            .iter()
            .map(|(site, keyword)| {
                ModelRequest::retrieve(format!("site:{site} {keyword}"), prompts::DOCUMENTS_PER_QUERY)
                    .with_purpose(prompts::FACT_CHECK_RETRIEVE)
            })
            .collect(),
    )?;
    let mut found = Vec::new();
    for ((site, keyword), reply) in chosen.iter().zip(retrievals) {
        let item = format!("query `site:{site} {keyword}`");
        match reply.status {
            ReplyStatus::Ok if !reply.documents.is_empty() => found.push((site, keyword, reply.documents)),
            ReplyStatus::Ok => skipped.push(Skipped::new(item, "the retriever found no documents")),
            _ => skipped.push(Skipped::new(
                item,
                format!("retrieval failed: {}", reply.error.as_deref().unwrap_or("no error message")),
            )),
        }
    }
    let replies = cx.ask_all(
        found
            .iter()
            .map(|(site, keyword, docs)| prompts::fact_check_request(site, keyword, docs))
            .collect::<Step<_>>()?,
    )?;
    let mut out = Vec::new();
    for ((site, keyword, docs), reply) in found.iter().zip(replies) {
        let item = format!("query `site:{site} {keyword}`");
        match reply::text(&reply).map_err(|e| e.with_status()).and_then(prompts::parse_fact_check) {
            Ok((good, bad)) => {
                for reason in bad {
                    skipped.push(Skipped::new(item.clone(), format!("{}: {reason}", prompts::FACT_CHECK_TEMPLATE)));
                }
                let urls: Vec<&str> = docs.iter().filter_map(|d| d.url.as_deref()).collect();
                for claim in good {
                    let mut metadata = JsonMap::new();
                    metadata.insert("source".into(), json!("dynamic"));
                    metadata.insert("site".into(), json!(site));
                    metadata.insert("keyword".into(), json!(keyword));
                    metadata.insert("urls".into(), json!(urls));
                    metadata.insert("template".into(), json!(prompts::FACT_CHECK_TEMPLATE));
                    out.push(Claim {
                        claim: claim.claim,
                        evidence: claim.evidence,
                        supported: claim.supported,
                        metadata,
                    });
                }
            }
            Err(reason) => skipped.push(Skipped::new(item, format!("{}: {reason}", prompts::FACT_CHECK_TEMPLATE))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
