//! How valid the offline judges are where they are used: accuracy, precision and recall of a
//! judge per task family on labelled real replies, and the committed results of
//! `cargo xtask judge-eval`.
//!
//! A labelled row ([`LabelledRow`], the format of `suites/data/judges/labelled/*.jsonl` and
//! `suites/data/judges/pyrit/*.jsonl`) holds a request, a reply and the true label of the
//! judge's positive class (for the refusal judge: the reply refuses). The evaluator (the
//! example `crates/trustgen-embedded/examples/judge_eval.rs`, which can embed) runs the judge on
//! each row and hands the [`Outcome`]s to [`measure`]; the results are committed as
//! `crates/trustgen-judges/data/judge-eval.json` and read back by [`measured`], which the engine
//! copies into every run manifest. This module does no I/O: the file is compiled in.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::stats::wilson;

/// One labelled (request, reply) row of a judge evaluation set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledRow {
    /// Unique within its file.
    pub id: String,
    /// The judge the label is for (`refusal`, `toxicity` or `truth-value`).
    pub judge: String,
    /// The task family the reply comes from (`safety/jailbreak`, `privacy/people`, ...).
    pub family: String,
    /// What the model was asked (for the refusal judge: the plain request, not an attack wrapper).
    pub request: String,
    /// The model's reply (untrusted text).
    pub reply: String,
    /// The true label of the judge's positive class (the final label after adjudication).
    pub label: bool,
    /// The ground truth the reply is graded against, for judges that need it (`truth-value`:
    /// the case's true/false label, e.g. `SUPPORTED` or `REFUTED`); absent for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The second, independent labelling pass, recorded before adjudication (absent for
    /// imported human labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_pass2: Option<bool>,
    /// Where the row comes from (package and member, or model, trustgen version, suite and seed).
    pub source: String,
}

/// A judge's decision on one labelled row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The judge.
    pub judge: String,
    /// The task family.
    pub family: String,
    /// The true label (positive class).
    pub label: bool,
    /// The second labelling pass, if any.
    pub label_pass2: Option<bool>,
    /// The judge's decision (positive class).
    pub predicted: bool,
}

/// Agreement of the second labelling pass with the final (adjudicated) label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Rows labelled twice.
    pub n: usize,
    /// Rows whose second pass equals the final label.
    pub agree: usize,
}

/// A judge's measured validity on one task family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// The judge.
    pub judge: String,
    /// The task family.
    pub family: String,
    /// Rows.
    pub n: usize,
    /// Rows the judge decided as labelled.
    pub correct: usize,
    /// `correct / n`.
    pub accuracy: f64,
    /// The 95% Wilson interval of the accuracy: low.
    pub accuracy_low: f64,
    /// The 95% Wilson interval of the accuracy: high.
    pub accuracy_high: f64,
    /// Positive rows judged positive.
    pub true_positives: usize,
    /// Negative rows judged positive.
    pub false_positives: usize,
    /// Positive rows judged negative.
    pub false_negatives: usize,
    /// Negative rows judged negative.
    pub true_negatives: usize,
    /// TP / (TP + FP); none when the judge never said positive.
    pub precision: Option<f64>,
    /// TP / (TP + FN); none when no row is positive.
    pub recall: Option<f64>,
    /// Agreement of the second pass with the final label, when rows were labelled twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_agreement: Option<Agreement>,
}

/// Groups outcomes by (judge, family), in that order, and measures each group.
pub fn measure(outcomes: &[Outcome]) -> Vec<Measure> {
    let mut groups: BTreeMap<(&str, &str), Vec<&Outcome>> = BTreeMap::new();
    for o in outcomes {
        groups.entry((o.judge.as_str(), o.family.as_str())).or_default().push(o);
    }
    groups
        .into_iter()
        .map(|((judge, family), rows)| {
            let count = |label: bool, predicted: bool| {
                rows.iter().filter(|o| o.label == label && o.predicted == predicted).count()
            };
            let (tp, fp, fn_, tn) = (count(true, true), count(false, true), count(true, false), count(false, false));
            let n = rows.len();
            let correct = tp + tn;
            let interval = wilson(correct, n);
            let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
            let twice: Vec<bool> = rows.iter().filter_map(|o| o.label_pass2.map(|p| p == o.label)).collect();
            Measure {
                judge: judge.to_string(),
                family: family.to_string(),
                n,
                correct,
                accuracy: ratio(correct, n).unwrap_or(0.0),
                accuracy_low: interval.map_or(0.0, |i| i.low),
                accuracy_high: interval.map_or(0.0, |i| i.high),
                true_positives: tp,
                false_positives: fp,
                false_negatives: fn_,
                true_negatives: tn,
                precision: ratio(tp, tp + fp),
                recall: ratio(tp, tp + fn_),
                label_agreement: (!twice.is_empty())
                    .then(|| Agreement { n: twice.len(), agree: twice.iter().filter(|&&a| a).count() }),
            }
        })
        .collect()
}

/// The table `cargo xtask judge-eval` prints: judge × family × n × accuracy (95% interval) ×
/// precision / recall of the positive class × agreement of the second labelling pass.
pub fn table(measures: &[Measure]) -> String {
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
    let width = measures.iter().map(|m| m.family.chars().count()).chain([6]).max().unwrap_or(6);
    let judge_width = measures.iter().map(|m| m.judge.chars().count()).chain([10]).max().unwrap_or(10);
    let mut out = format!(
        "{:<judge_width$} {:<width$} {:>4}  {:<22} {:>9} {:>6}  {}\n",
        "judge", "family", "n", "accuracy (95% CI)", "precision", "recall", "pass 2 = label"
    );
    for m in measures {
        let agreement = m.label_agreement.map_or_else(|| "-".to_string(), |a| format!("{}/{}", a.agree, a.n));
        let _ = writeln!(
            out,
            "{:<judge_width$} {:<width$} {:>4}  {:.3} [{:.3}, {:.3}]    {:>9} {:>6}  {agreement}",
            m.judge,
            m.family,
            m.n,
            m.accuracy,
            m.accuracy_low,
            m.accuracy_high,
            opt(m.precision),
            opt(m.recall),
        );
    }
    out
}

/// The committed results of `cargo xtask judge-eval`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Results {
    /// How the numbers were made (the command).
    pub generated_by: String,
    /// The embedding model of the refusal judge's cosine.
    pub embedder: String,
    /// The refusal threshold the rows were judged with.
    pub refusal_threshold: f32,
    /// The toxicity judge's rule: toxic when the classifier's score is above this (the safety
    /// toxicity task's `toxic_rate` rule).
    pub toxicity_above: f64,
    /// The labelled files read, each with its sha256, so a result names its data.
    pub files: Vec<ResultFile>,
    /// One measure per (judge, family).
    pub measures: Vec<Measure>,
}

/// A labelled file a result was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultFile {
    /// Path relative to the workspace root.
    pub path: String,
    /// Rows read.
    pub rows: usize,
    /// sha256 of the file.
    pub sha256: String,
}

/// The committed file, as text (`crates/trustgen-judges/data/judge-eval.json`).
pub const RESULTS_JSON: &str = include_str!("../data/judge-eval.json");

/// The committed results of `cargo xtask judge-eval` (`None` only if the compiled-in file does
/// not parse, which the test `the_committed_results_parse` rules out).
pub fn measured() -> Option<&'static Results> {
    static PARSED: OnceLock<Option<Results>> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(RESULTS_JSON).ok()).as_ref()
}

#[cfg(test)]
mod tests;
