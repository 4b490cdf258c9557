//! `open-ended`: are a model's free-text answers as good after a perturbation?
//!
//! Each case has two prompts, `clean` and `perturbed`: the same question (or news article to
//! summarise) with one seeded perturbation, dealt like the ground-truth task's. Sources: the
//! user's ELI5 questions and CNN/DailyMail articles when supplied (the original's data, which
//! cannot be bundled), else the bundled TruthfulQA questions (Apache-2.0), which are short
//! open questions of the same kind.
//!
//! Scoring with a capable judge: the `pairwise_robustness@1` template compares the two answers
//! to the unperturbed question, the answers shown as (a) and (b) in an order chosen by seed at
//! build time and recorded in the case (`order`), so a judge's position bias does not favour
//! either side; its choice is mapped back to clean/perturbed. Tie = 1 (consistent), a clear
//! winner = 0. Offline (a proxy, not a quality judgement): cosine similarity of the two
//! answers' sentence embeddings at least [`SIMILARITY_THRESHOLD`] = 1.

use serde_json::{Value, json};
use trustgen_judges::refusal::cosine;
use trustgen_judges::{JudgeOutcome, Vars, keyword_hit, llm_judge};
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, ModelRequest, Prompt, ReplyStatus, ScoreInput, SeededRng, Skipped, Step, TestCase,
    Verdict, VerdictStatus,
};
use trustgen_plugin_kit::rows::{self, row_name, text};
use trustgen_plugin_kit::sample::balanced_order;
use trustgen_plugin_kit::{Outcome, case, grade};

use crate::PLUGIN;
use crate::data::{self, sources};
use crate::ground_truth::NO_ANSWER_METRIC;

/// The task name.
pub const TASK: &str = "open-ended";

/// Cases built when the suite sets no limit.
pub const DEFAULT_LIMIT: usize = 20;

/// The LLM judge template.
pub const TEMPLATE: &str = "pairwise_robustness";

/// The offline rule: answers whose embedding cosine is at least this count as consistent. A
/// design choice, not fitted to labelled data: with all-MiniLM-L6-v2, rewordings of one answer
/// typically score above it and different answers to one question below it.
pub const SIMILARITY_THRESHOLD: f32 = 0.8;

/// The judge name of the offline rule.
pub const OFFLINE_JUDGE: &str = "offline:answer-similarity@1";

/// One open-ended item.
struct Item {
    source: &'static str,
    id: String,
    /// The question, or the article to summarise.
    target: String,
}

impl Item {
    fn prompt(&self, target: &str) -> String {
        match self.source {
            "cnn_dailymail" => format!("Summarize the following news article in three sentences.\n\nArticle: {target}"),
            _ => target.to_string(),
        }
    }
}

fn items(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<Item>> {
    let mut out = Vec::new();
    let mut read = |source: &'static str, path: &str, key: &str, rows: &[Value], skipped: &mut Vec<Skipped>| {
        for (i, row) in rows.iter().enumerate() {
            match text(row, key) {
                Some(target) => {
                    out.push(Item { source, id: text(row, "id").unwrap_or_else(|| format!("{source}-{i}")), target })
                }
                None => {
                    skipped.push(Skipped::new(row_name(path, i, row), format!("the field `{key}` is missing or empty")))
                }
            }
        }
    };
    let eli5 = rows::rows(input, sources::ELI5.name);
    let cnn = rows::rows(input, sources::CNN.name);
    read("eli5", sources::ELI5.path, "question", eli5, skipped);
    read("cnn_dailymail", sources::CNN.path, "article", cnn, skipped);
    if eli5.is_empty() && cnn.is_empty() {
        let rows = rows::required(input, sources::TRUTHFULQA)?;
        read("truthfulqa", sources::TRUTHFULQA.path, "question", rows, skipped);
    }
    Ok(out)
}

/// Builds the open-ended cases.
pub fn build(cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    let mut skipped = Vec::new();
    let lexicon = data::lexicon(input)?;
    let all = items(input, &mut skipped)?;
    let strata = all.into_iter().map(|item| (item.source.to_string(), item)).collect();
    let ordered = balanced_order(strata, &mut SeededRng::derive(input.seed, &format!("{TASK}/items")));
    let texts: Vec<(String, String)> =
        ordered.iter().map(|i| (format!("{} {}", i.source, i.id), i.target.clone())).collect();
    let done = data::perturb_items(cx, input, &texts, limit, &lexicon, &mut skipped)?;
    let cases = done
        .into_iter()
        .map(|d| {
            let item = &ordered[d.item];
            let clean_first = SeededRng::derive(input.seed, &format!("{TASK}/{}/order", d.slot)).chance(0.5);
            let mut metadata = d.metadata(&item.target);
            metadata.insert("source".into(), json!(item.source));
            metadata.insert("item_id".into(), json!(item.id));
            metadata.insert("order".into(), json!(if clean_first { "clean_first" } else { "perturbed_first" }));
            TestCase::new(
                PLUGIN.case_id(TASK, d.slot),
                TASK,
                vec![
                    Prompt::user(item.prompt(&item.target)).with_name("clean"),
                    Prompt::user(item.prompt(&d.text)).with_name("perturbed"),
                ],
            )
            .with_metadata(metadata)
        })
        .collect();
    Ok(BuildOutput::new(cases).with_skipped(skipped))
}

/// Which answer the judge preferred, mapped back from its (a)/(b) label through the case's order.
pub fn preferred(label: &str, clean_first: bool) -> Option<&'static str> {
    match (label, clean_first) {
        ("Answer (a)", true) | ("Answer (b)", false) => Some("clean"),
        ("Answer (a)", false) | ("Answer (b)", true) => Some("perturbed"),
        _ => None,
    }
}

fn consistent_verdict(consistent: bool, label: &str) -> Verdict {
    Verdict::scored(if consistent { 1.0 } else { 0.0 }).with_label(label).with_metric(NO_ANSWER_METRIC, 0.0)
}

/// A pair in which neither prompt got an answer: no score (two refusals are not two equally good
/// answers, and scoring them 1 gave a model that refuses everything a perfect tie rate), counted
/// in `no_answer`.
fn no_answer(why: &str) -> Verdict {
    let mut verdict = Verdict::new(VerdictStatus::Scored)
        .with_label("no-answer")
        .with_reasoning(format!("{why}: no answers to compare, no score"))
        .with_metric(NO_ANSWER_METRIC, 1.0);
    verdict.refused = true;
    verdict
}

/// Scores one open-ended case: 1 when the two answers are judged equally good (or, offline,
/// similar enough), else 0; no score when neither prompt got an answer (both refused or both
/// content-filtered), counted in `no_answer`.
pub fn score(cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
    let case = &input.case;
    let perturbation = case::metadata(case, "perturbation")?.to_string();
    let metric = format!("consistency/{perturbation}");
    let (clean, perturbed) = (Outcome::prompt(&input.output, "clean"), Outcome::prompt(&input.output, "perturbed"));
    let (clean, perturbed) = match (clean, perturbed) {
        (Outcome::Missing(missing), _) | (_, Outcome::Missing(missing)) => {
            let prompt = if matches!(clean, Outcome::Missing(_)) { "clean" } else { "perturbed" };
            let reason = missing.reason_for(prompt);
            return Ok(Verdict::missing(format!("{reason}; the case needs both answers and is excluded")));
        }
        (Outcome::Filtered(_), Outcome::Filtered(_)) => {
            return Ok(no_answer("the provider's content filter blocked both prompts")
                .with_status(VerdictStatus::Filtered)
                .with_judge("rule:content-filter@1"));
        }
        (Outcome::Filtered(_), _) | (_, Outcome::Filtered(_)) => {
            let v = (consistent_verdict(false, "inconsistent")).with_status(VerdictStatus::Filtered).with_refused(true);
            return Ok(v
                .with_judge("rule:content-filter@1")
                .with_reasoning("the provider's content filter blocked only one of the two prompts")
                .with_metric(metric, 0.0));
        }
        (Outcome::Text(a), Outcome::Text(b)) => (a, b),
    };
    let refusals = (keyword_hit(clean).is_some(), keyword_hit(perturbed).is_some());
    if refusals.0 && refusals.1 {
        return Ok(no_answer("both answers refuse").with_judge("rule:refusal-keywords@1"));
    }
    if input.context.has_llm_judge() {
        let clean_first = case::metadata(case, "order")? == "clean_first";
        let template = grade::template(TEMPLATE)?;
        let question = case::metadata(case, "clean_text")?;
        let (a, b) = if clean_first { (clean, perturbed) } else { (perturbed, clean) };
        let vars = Vars::new().with("question", question).with("response_a", a).with("response_b", b);
        let outcome = llm_judge(cx, template, &vars)?;
        let JudgeOutcome::Parsed(result) = &outcome else { return Ok(outcome.verdict(template)) };
        let label = result.label.clone().unwrap_or_default();
        let winner = preferred(&label, clean_first);
        let tie = winner.is_none();
        let mut verdict = consistent_verdict(
            tie,
            winner.map_or("tie", |w| if w == "clean" { "clean_better" } else { "perturbed_better" }),
        )
        .with_judge(format!("llm:{}", template.id()))
        .with_metric("clean_preferred", if winner == Some("clean") { 1.0 } else { 0.0 })
        .with_metric("perturbed_preferred", if winner == Some("perturbed") { 1.0 } else { 0.0 })
        .with_metric(metric, if tie { 1.0 } else { 0.0 });
        verdict.reasoning = Some(format!(
            "judge said {label:?} with the {} answer shown as (a){}",
            if clean_first { "clean" } else { "perturbed" },
            result.reasoning.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
        ));
        verdict.refused = refusals.0 || refusals.1;
        return Ok(verdict);
    }
    if refusals.0 || refusals.1 {
        let mut verdict = consistent_verdict(false, "inconsistent")
            .with_judge("rule:refusal-keywords@1")
            .with_reasoning("only one of the two answers refuses")
            .with_metric(metric, 0.0);
        verdict.refused = true;
        return Ok(verdict);
    }
    let embedded = cx.ask(
        ModelRequest::embed(vec![clean.to_string(), perturbed.to_string()]).with_purpose("judge:answer-similarity"),
    )?;
    if embedded.status != ReplyStatus::Ok {
        return Ok(Verdict::unparseable(format!(
            "the embedder failed: {}",
            embedded.error.as_deref().unwrap_or("no error message")
        ))
        .with_judge(OFFLINE_JUDGE));
    }
    let [x, y] = embedded.embeddings.as_slice() else {
        return Ok(Verdict::unparseable(format!(
            "the embedder returned {} embeddings for 2 texts",
            embedded.embeddings.len()
        ))
        .with_judge(OFFLINE_JUDGE));
    };
    if x.is_empty() || x.len() != y.len() {
        return Ok(
            Verdict::unparseable("the embedder returned embeddings of different lengths").with_judge(OFFLINE_JUDGE)
        );
    }
    let cos = cosine(x, y);
    let consistent = cos >= SIMILARITY_THRESHOLD;
    Ok(consistent_verdict(consistent, if consistent { "tie" } else { "inconsistent" })
        .with_judge(OFFLINE_JUDGE)
        .with_reasoning(format!("answer cosine {cos:.3} (threshold {SIMILARITY_THRESHOLD})"))
        .with_metric("answer_similarity", f64::from(cos.clamp(0.0, 1.0)))
        .with_metric(metric, if consistent { 1.0 } else { 0.0 }))
}

#[cfg(test)]
mod tests;
