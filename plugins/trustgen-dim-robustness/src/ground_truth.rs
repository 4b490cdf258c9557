//! `ground-truth`: do a model's answers to labelled questions survive a perturbation?
//!
//! Each case has two prompts, `clean` and `perturbed`: the same item, with one seeded
//! perturbation of one field (the original's fields: SST-2 and IMDB the review, MNLI the
//! hypothesis, QQP the second question, QNLI the sentence, RACE the article), asking for a single
//! label. The 13 perturbations are dealt in a seeded, cycled order (the original applied all 13
//! to every item: 31,200 cases).
//!
//! Data: the user's GLUE SST-2 and MNLI files when supplied, else the authored sentiment and NLI
//! items of `metadata/classification_items.jsonl`; the user's QQP, QNLI, IMDB and RACE files
//! when supplied. Items are interleaved across the data sets present (seeded).
//!
//! Scoring: each answer is graded SEPARATELY against the dataset's label (the row's `label`
//! field; the original read a `ground_truth` key its robustness items did not have), by the `with_groundtruth@1` judge (each request sees only that one answer; the
//! original substituted the stringified dict of all models' responses) or offline by the label
//! matcher ([`crate::labels`]), yes/no extraction or option-letter extraction. Per case, the
//! primary value is the paired accuracy drop, clean correct − perturbed correct (lower is more
//! robust; its bootstrap over cases is a paired interval); consistent = (clean correct ==
//! perturbed correct), the original's "Tie", and the two correctness values are secondary. A
//! pair with no answer to either prompt has no score (see [`score`]).

use serde_json::{Value, json};
use trustgen_judges::answer::{extract_bool, extract_choice};
use trustgen_judges::{Extraction, JudgeOutcome, Vars, keyword_hit, llm_judge, truth_label};
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, Prompt, QuestionFormat, ScoreInput, SeededRng, Skipped, Step, Stop, TestCase, Verdict,
    VerdictStatus,
};
use trustgen_plugin_kit::sample::balanced_order;
use trustgen_plugin_kit::{Outcome, case, grade, rows};

use crate::PLUGIN;
use crate::data::{self, sources};
use crate::labels::match_label;

/// The task name.
pub const TASK: &str = "ground-truth";

/// Cases built when the suite sets no limit.
pub const DEFAULT_LIMIT: usize = 40;

/// The LLM judge template.
pub const TEMPLATE: &str = "with_groundtruth";

/// How a data set's question is asked and answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Review sentiment: `positive` / `negative`.
    Sentiment,
    /// Natural language inference: `entailment` / `neutral` / `contradiction`.
    Nli,
    /// Duplicate questions: yes / no.
    Duplicate,
    /// Does the sentence answer the question: yes / no.
    Answerable,
    /// Reading comprehension, options A–D.
    Reading,
}

impl Kind {
    /// The label words of a label task (empty for yes/no and multiple choice).
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            Kind::Sentiment => &["positive", "negative"],
            Kind::Nli => &["entailment", "neutral", "contradiction"],
            _ => &[],
        }
    }
}

/// A labelled item, with the field that is perturbed kept apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Data set name (`sst2`, `authored-sentiment`, `mnli`, ...).
    pub dataset: &'static str,
    /// The row id.
    pub id: String,
    /// How it is asked.
    pub kind: Kind,
    /// The other fields shown (premise, first question, question).
    pub context: Vec<String>,
    /// The field that is perturbed.
    pub target: String,
    /// Options of a multiple-choice item.
    pub options: Vec<String>,
    /// The right answer: a label word, `Yes`/`No`, or an option letter.
    pub truth: String,
}

impl Item {
    /// The prompt with `target` in place of the perturbed field.
    pub fn prompt(&self, target: &str) -> String {
        let ctx = |i: usize| self.context.get(i).map_or("", String::as_str);
        match self.kind {
            Kind::Sentiment => format!(
                "What is the sentiment of the following movie review? Answer with one word: positive or negative.\n\n\
                 Review: {target}"
            ),
            Kind::Nli => format!(
                "Read the premise and the hypothesis. Does the premise entail the hypothesis, contradict it, or \
                 neither? Answer with one word: entailment, neutral or contradiction.\n\nPremise: {}\nHypothesis: \
                 {target}",
                ctx(0)
            ),
            Kind::Duplicate => format!(
                "Do the two questions below ask the same thing? Answer with one word: yes or no.\n\nQuestion 1: \
                 {}\nQuestion 2: {target}",
                ctx(0)
            ),
            Kind::Answerable => format!(
                "Does the sentence below contain the answer to the question? Answer with one word: yes or no.\n\n\
                 Question: {}\nSentence: {target}",
                ctx(0)
            ),
            Kind::Reading => {
                let options: Vec<String> = self
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| format!("{}. {o}", (b'A' + i as u8) as char))
                    .collect();
                format!(
                    "Read the article and answer the question. Answer with the letter of the correct option only.\n\n\
                     Article: {target}\n\nQuestion: {}\n{}",
                    ctx(0),
                    options.join("\n")
                )
            }
        }
    }

    fn format(&self) -> QuestionFormat {
        match self.kind {
            Kind::Duplicate | Kind::Answerable => QuestionFormat::TrueFalse,
            Kind::Reading => QuestionFormat::MultipleChoice,
            Kind::Sentiment | Kind::Nli => QuestionFormat::None,
        }
    }
}

fn sentiment_label(value: Option<&Value>) -> Option<&'static str> {
    match value? {
        Value::Number(n) => match n.as_i64()? {
            0 => Some("negative"),
            1 => Some("positive"),
            _ => None,
        },
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "0" | "neg" | "negative" => Some("negative"),
            "1" | "pos" | "positive" => Some("positive"),
            _ => None,
        },
        Value::Bool(b) => Some(if *b { "positive" } else { "negative" }),
        _ => None,
    }
}

fn nli_label(value: Option<&Value>) -> Option<&'static str> {
    let text = match value? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_lowercase(),
        _ => return None,
    };
    match text.as_str() {
        "0" | "entailment" => Some("entailment"),
        "1" | "neutral" => Some("neutral"),
        "2" | "contradiction" => Some("contradiction"),
        _ => None,
    }
}

/// `Yes`/`No` from a duplicate label (1/true/`duplicate` = yes) or a QNLI label
/// (`entailment`/0 = yes, `not_entailment`/1 = no).
fn yes_no(value: Option<&Value>, qnli: bool) -> Option<&'static str> {
    let yes = match value? {
        Value::Bool(b) => *b,
        Value::Number(n) => match (n.as_i64()?, qnli) {
            (0, false) | (1, true) => false,
            (1, false) | (0, true) => true,
            _ => return None,
        },
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "entailment" if qnli => true,
            "not_entailment" | "not entailment" if qnli => false,
            "1" | "duplicate" | "yes" | "true" if !qnli => true,
            "0" | "not_duplicate" | "no" | "false" if !qnli => false,
            _ => return None,
        },
        _ => return None,
    };
    Some(if yes { "Yes" } else { "No" })
}

fn race_truth(row: &Value, options: usize) -> Option<String> {
    let index = match row.get("answer_index") {
        Some(Value::Number(n)) => n.as_u64().map(|i| i as usize),
        _ => match row.get("answer").and_then(Value::as_str).map(str::trim) {
            Some(letter) if letter.len() == 1 => {
                letter.chars().next().map(|c| (c.to_ascii_uppercase() as u8).wrapping_sub(b'A') as usize)
            }
            _ => None,
        },
    }?;
    (index < options).then(|| ((b'A' + index as u8) as char).to_string())
}

/// Parses one row of a data set; `Err` names the missing or bad field.
fn parse(dataset: &'static str, row: &Value) -> Result<Item, String> {
    let field = |key: &str| rows::text(row, key).ok_or_else(|| format!("the field `{key}` is missing or empty"));
    let id = rows::text(row, "id").unwrap_or_default();
    let bad_label = || {
        format!(
            "the field `label` is missing or not a label of {dataset}: {}",
            row.get("label").unwrap_or(&Value::Null)
        )
    };
    let item = |kind, context, target, truth: &str| Item {
        dataset,
        id: id.clone(),
        kind,
        context,
        target,
        options: Vec::new(),
        truth: truth.to_string(),
    };
    Ok(match dataset {
        "sst2" => {
            item(Kind::Sentiment, vec![], field("sentence")?, sentiment_label(row.get("label")).ok_or_else(bad_label)?)
        }
        "imdb" => {
            item(Kind::Sentiment, vec![], field("text")?, sentiment_label(row.get("label")).ok_or_else(bad_label)?)
        }
        "mnli" => item(
            Kind::Nli,
            vec![field("premise")?],
            field("hypothesis")?,
            nli_label(row.get("label")).ok_or_else(bad_label)?,
        ),
        "qqp" => item(
            Kind::Duplicate,
            vec![field("question1")?],
            field("question2")?,
            yes_no(row.get("label"), false).ok_or_else(bad_label)?,
        ),
        "qnli" => item(
            Kind::Answerable,
            vec![field("question")?],
            field("sentence")?,
            yes_no(row.get("label"), true).ok_or_else(bad_label)?,
        ),
        "race" => {
            let options: Vec<String> = match row.get("options") {
                Some(Value::Array(list)) => {
                    list.iter().filter_map(Value::as_str).map(|s| s.trim().to_string()).collect()
                }
                _ => Vec::new(),
            };
            if options.len() < 2 || options.iter().any(String::is_empty) {
                return Err("the field `options` must list at least two non-empty options".into());
            }
            let truth = race_truth(row, options.len())
                .ok_or("the field `answer_index` (or `answer`) is missing or out of range")?;
            Item { options, ..item(Kind::Reading, vec![field("question")?], field("article")?, &truth) }
        }
        "authored-sentiment" => {
            item(Kind::Sentiment, vec![], field("text")?, sentiment_label(row.get("label")).ok_or_else(bad_label)?)
        }
        "authored-nli" => {
            item(Kind::Nli, vec![field("text")?], field("text2")?, nli_label(row.get("label")).ok_or_else(bad_label)?)
        }
        other => return Err(format!("unknown data set {other}")),
    })
}

/// Every usable item of the data sets present, with the skipped rows.
pub fn items(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<Item>> {
    let mut out = Vec::new();
    let mut read = |dataset: &'static str, path: &str, rows: &[Value], skipped: &mut Vec<Skipped>| {
        for (i, row) in rows.iter().enumerate() {
            match parse(dataset, row) {
                Ok(mut item) => {
                    if item.id.is_empty() {
                        item.id = format!("{dataset}-{i}");
                    }
                    out.push(item);
                }
                Err(reason) => skipped.push(Skipped::new(rows::row_name(path, i, row), reason)),
            }
        }
    };
    let authored = rows::required(input, sources::ITEMS)?;
    let by_task = |task: &str| -> Vec<Value> {
        authored.iter().filter(|r| r.get("task").and_then(Value::as_str) == Some(task)).cloned().collect()
    };
    for (source, fallback, task) in
        [(sources::SST2, "authored-sentiment", "sentiment"), (sources::MNLI, "authored-nli", "nli")]
    {
        let user = rows::rows(input, source.name);
        if user.is_empty() {
            read(fallback, sources::ITEMS.path, &by_task(task), skipped);
        } else {
            read(source.name, source.path, user, skipped);
        }
    }
    for source in [sources::QQP, sources::QNLI, sources::IMDB, sources::RACE] {
        read(source.name, source.path, rows::rows(input, source.name), skipped);
    }
    Ok(out)
}

/// Builds the ground-truth cases.
pub fn build(cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    let mut skipped = Vec::new();
    let lexicon = data::lexicon(input)?;
    let all = items(input, &mut skipped)?;
    let strata = all.into_iter().map(|item| (item.dataset.to_string(), item)).collect();
    let ordered = balanced_order(strata, &mut SeededRng::derive(input.seed, &format!("{TASK}/items")));
    let texts: Vec<(String, String)> =
        ordered.iter().map(|i| (format!("{} {}", i.dataset, i.id), i.target.clone())).collect();
    let done = data::perturb_items(cx, input, &texts, limit, &lexicon, &mut skipped)?;
    let cases = done
        .into_iter()
        .map(|d| {
            let item = &ordered[d.item];
            let mut metadata = d.metadata(&item.target);
            metadata.insert("dataset".into(), json!(item.dataset));
            metadata.insert("item_id".into(), json!(item.id));
            if !item.kind.labels().is_empty() {
                metadata.insert("labels".into(), json!(item.kind.labels()));
            }
            TestCase::new(
                PLUGIN.case_id(TASK, d.slot),
                TASK,
                vec![
                    Prompt::user(item.prompt(&item.target)).with_name("clean"),
                    Prompt::user(item.prompt(&d.text)).with_name("perturbed"),
                ],
            )
            .with_format(item.format())
            .with_choices(item.options.clone())
            .with_ground_truth(item.truth.clone())
            .with_metadata(metadata)
        })
        .collect();
    Ok(BuildOutput::new(cases).with_skipped(skipped))
}

/// One graded answer.
#[derive(Debug, Clone, PartialEq)]
struct Graded {
    correct: bool,
    refused: bool,
    extracted: Option<String>,
    judge: String,
}

fn labels_of(case: &TestCase) -> Vec<String> {
    match case.metadata.get("labels") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// Grades one answer with the offline rules for the case's format.
fn offline(case: &TestCase, truth: &str, response: &str) -> Step<Graded> {
    let labels = labels_of(case);
    let (extraction, judge): (Extraction<String>, &str) = match case.format {
        QuestionFormat::MultipleChoice => {
            (map(extract_choice(response, &case.choices), |c| c.to_string()), "rule:choice@1")
        }
        QuestionFormat::TrueFalse => {
            (map(extract_bool(response), |b| if b { "Yes".into() } else { "No".into() }), "rule:true-false@1")
        }
        _ if !labels.is_empty() => (match_label(response, &labels), "rule:label@1"),
        _ => return Err(Stop::Error(format!("case `{}` has neither labels, options nor a yes/no format", case.id))),
    };
    let correct = match (&extraction, case.format) {
        (Extraction::Answer { value, .. }, QuestionFormat::TrueFalse) => truth_label(truth) == truth_label(value),
        (Extraction::Answer { value, .. }, _) => value.eq_ignore_ascii_case(truth),
        _ => false,
    };
    Ok(Graded {
        correct,
        refused: matches!(extraction, Extraction::Refused { .. }),
        extracted: extraction.answer().cloned(),
        judge: judge.into(),
    })
}

fn map<T, U>(e: Extraction<T>, f: impl Fn(T) -> U) -> Extraction<U> {
    match e {
        Extraction::Answer { value, how } => Extraction::Answer { value: f(value), how },
        Extraction::Refused { phrase } => Extraction::Refused { phrase },
        Extraction::Ambiguous { candidates } => {
            Extraction::Ambiguous { candidates: candidates.into_iter().map(f).collect() }
        }
        Extraction::NotFound => Extraction::NotFound,
    }
}

/// Grades the answer to prompt `prompt` with the LLM judge: the judge sees that prompt, the
/// ground truth and this ONE answer.
fn llm(cx: &mut Cx, case: &TestCase, prompt: &str, truth: &str, response: &str) -> Step<Result<Graded, Verdict>> {
    let template = grade::template(TEMPLATE)?;
    let truth = match case.format {
        QuestionFormat::MultipleChoice => {
            let index = truth.chars().next().map_or(0, |c| (c as u8).wrapping_sub(b'A') as usize);
            match case.choices.get(index) {
                Some(option) => format!("{truth}. {option}"),
                None => truth.to_string(),
            }
        }
        _ => truth.to_string(),
    };
    let vars = Vars::new()
        .with("question", case::prompt_text(case, prompt)?)
        .with("ground_truth", truth)
        .with("response", response);
    Ok(match llm_judge(cx, template, &vars)? {
        JudgeOutcome::Parsed(result) => Ok(Graded {
            correct: result.goal_met,
            refused: keyword_hit(response).is_some(),
            extracted: result.values.get("extracted_answer").and_then(Value::as_str).map(str::to_string),
            judge: format!("llm:{}", template.id()),
        }),
        outcome => Err(outcome.verdict(template)),
    })
}

/// The secondary metric counting pairs in which neither prompt got an answer.
pub const NO_ANSWER_METRIC: &str = "no_answer";

/// Whether a graded answer gives no answer at all: wrong, and refused, filtered or with no
/// answer the grader could read.
fn no_answer(g: &Graded) -> bool {
    !g.correct && (g.refused || g.extracted.is_none())
}

/// Scores one ground-truth case: the paired accuracy drop, clean correctness minus perturbed
/// correctness (1 lost, 0 unchanged, −1 gained; lower is more robust), with `consistency` (the
/// original's Tie: both right or both wrong), `clean_accuracy`, `perturbed_accuracy`,
/// `consistency/<perturbation>` and `no_answer` beside it. A pair in which NEITHER prompt got an
/// answer (refusals, content filters, unreadable replies) says nothing about robustness: it has
/// no score (so a model that refuses everything gets no robustness score, never a perfect one)
/// and is counted in `no_answer`.
pub fn score(cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
    let case = &input.case;
    let Some(truth) = case.ground_truth.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(Stop::Error(format!("case `{}` has no ground truth", case.id)));
    };
    let perturbation = case::metadata(case, "perturbation")?.to_string();
    let answers = ["clean", "perturbed"].map(|name| (name, Outcome::prompt(&input.output, name)));
    for (name, answer) in &answers {
        if let Outcome::Missing(missing) = answer {
            let reason = missing.reason_for(name);
            return Ok(Verdict::missing(format!("{reason}; the case needs both answers and is excluded")));
        }
    }
    let mut graded = Vec::new();
    let mut filtered = false;
    for (name, answer) in &answers {
        graded.push(match answer {
            Outcome::Text(text) if input.context.has_llm_judge() => match llm(cx, case, name, truth, text)? {
                Ok(g) => g,
                Err(verdict) => return Ok(verdict),
            },
            Outcome::Text(text) => offline(case, truth, text)?,
            Outcome::Filtered(_) | Outcome::Missing(_) => {
                filtered = true;
                Graded { correct: false, refused: true, extracted: None, judge: "rule:content-filter@1".into() }
            }
        });
    }
    let (clean, perturbed) = (&graded[0], &graded[1]);
    let consistent = clean.correct == perturbed.correct;
    let value = |b: bool| if b { 1.0 } else { 0.0 };
    let drop = value(clean.correct) - value(perturbed.correct);
    let unanswered = no_answer(clean) && no_answer(perturbed);
    let show = |g: &Graded| match (&g.extracted, g.refused) {
        (Some(x), _) => format!("{x} ({})", if g.correct { "right" } else { "wrong" }),
        (None, true) => "refused (wrong)".to_string(),
        (None, false) => "no answer (wrong)".to_string(),
    };
    let judge = if clean.judge.starts_with("llm:") { &clean.judge } else { &perturbed.judge };
    let label = match (unanswered, drop) {
        (true, _) => "no-answer",
        (false, d) if d > 0.0 => "lost",
        (false, d) if d < 0.0 => "gained",
        _ => "unchanged",
    };
    let mut verdict = Verdict::new(if filtered { VerdictStatus::Filtered } else { VerdictStatus::Scored })
        .with_score((!unanswered).then_some(drop))
        .with_refused(clean.refused || perturbed.refused)
        .with_extracted(format!("clean: {}; perturbed: {}", show(clean), show(perturbed)))
        .with_reasoning(format!("ground truth `{truth}`; {perturbation}"))
        .with_label(label)
        .with_judge(judge.clone())
        .with_metric("consistency", value(consistent))
        .with_metric("clean_accuracy", value(clean.correct))
        .with_metric("perturbed_accuracy", value(perturbed.correct))
        .with_metric(format!("consistency/{perturbation}"), value(consistent))
        .with_metric(NO_ANSWER_METRIC, value(unanswered));
    if filtered {
        verdict.reasoning = verdict.reasoning.map(|r| format!("{r}; a content-filtered answer counts as wrong"));
    }
    if unanswered {
        verdict.reasoning =
            verdict.reasoning.map(|r| format!("{r}; neither prompt got an answer: no accuracy to compare, no score"));
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests;
