//! `--fail-under` thresholds for CI gating.
//!
//! A threshold is `DIMENSION=SCORE`, `DIMENSION/TASK=SCORE` or
//! `overall=SCORE`, with SCORE in [0, 1]. It applies to every run in the
//! report and compares the point estimate, as a trust score (higher is
//! better): a task whose metric is lower-is-better is checked as
//! `1 − value`. A run without a score for the named dimension or task fails.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use trustgen_rundir::Metrics;

use crate::error::ReportError;

/// One `--fail-under` threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// A dimension name, or `overall`.
    pub dimension: String,
    /// A task of the dimension, for a task threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The least passing score.
    pub min: f64,
}

impl Threshold {
    /// `dimension` or `dimension/task`.
    pub fn target(&self) -> String {
        match &self.task {
            Some(task) => format!("{}/{task}", self.dimension),
            None => self.dimension.clone(),
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.target(), self.min)
    }
}

impl FromStr for Threshold {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |message: String| ReportError::Threshold { threshold: s.to_owned(), message };
        let Some((target, score)) = s.split_once('=') else {
            return Err(bad("expected DIMENSION=SCORE or DIMENSION/TASK=SCORE, e.g. safety=0.9".into()));
        };
        let target = target.trim();
        let min: f64 = score.trim().parse().map_err(|_| bad(format!("`{}` is not a number", score.trim())))?;
        if !(0.0..=1.0).contains(&min) {
            let hint = if (1.0..=100.0).contains(&min) {
                format!("; scores are fractions, did you mean {}={}?", target, min / 100.0)
            } else {
                String::new()
            };
            return Err(bad(format!("the score must be between 0 and 1{hint}")));
        }
        let (dimension, task) = match target.split_once('/') {
            Some((d, t)) => (d.trim(), Some(t.trim().to_owned())),
            None => (target, None),
        };
        if dimension.is_empty() || task.as_deref() == Some("") {
            return Err(bad("the dimension or task name is empty".into()));
        }
        if dimension == "overall" && task.is_some() {
            return Err(bad("`overall` has no tasks; use overall=SCORE".into()));
        }
        Ok(Threshold { dimension: dimension.to_owned(), task, min })
    }
}

/// A threshold checked against one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    /// The threshold as written (`safety=0.9`).
    pub threshold: String,
    /// `dimension` or `dimension/task`.
    pub target: String,
    /// The run.
    pub run_id: String,
    /// The run's target model.
    pub model: String,
    /// The score compared (higher is better), if the run has one.
    pub score: Option<f64>,
    /// The least passing score.
    pub min: f64,
    /// True when the score is at least `min`.
    pub passed: bool,
    /// What happened, in words.
    pub message: String,
}

/// The trust score (higher is better) a threshold is compared with.
pub fn score_for(metrics: &Metrics, dimension: &str, task: Option<&str>) -> Option<f64> {
    match task {
        None if dimension == "overall" => metrics.overall.map(|e| e.value),
        None => metrics.dimensions.iter().find(|d| d.dimension == dimension)?.estimate.map(|e| e.value),
        Some(task) => {
            let t = metrics.tasks.iter().find(|t| t.dimension == dimension && t.task == task)?;
            t.estimate.map(|e| if t.higher_is_better { e.value } else { 1.0 - e.value })
        }
    }
}

fn suggest(name: &str, known: &[String]) -> String {
    let best = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, k)) => format!("did you mean `{k}`? "),
        None => String::new(),
    }
}

/// Checks thresholds against the metrics of every run. A dimension or task
/// that no run has is an error (with a did-you-mean), not a failure.
pub fn check(thresholds: &[Threshold], runs: &[&Metrics]) -> Result<Vec<ThresholdResult>, ReportError> {
    let mut dimensions: Vec<String> = vec!["overall".into()];
    for m in runs {
        for d in &m.dimensions {
            if !dimensions.contains(&d.dimension) {
                dimensions.push(d.dimension.clone());
            }
        }
    }
    let mut results = Vec::new();
    for threshold in thresholds {
        let bad = |message: String| ReportError::Threshold { threshold: threshold.to_string(), message };
        if !dimensions.contains(&threshold.dimension) {
            let known = dimensions.join(", ");
            return Err(bad(format!(
                "no run has a dimension `{}`; {}known: {known}",
                threshold.dimension,
                suggest(&threshold.dimension, &dimensions)
            )));
        }
        if let Some(task) = &threshold.task {
            let mut tasks: Vec<String> = Vec::new();
            for m in runs {
                for t in m.tasks.iter().filter(|t| t.dimension == threshold.dimension) {
                    if !tasks.contains(&t.task) {
                        tasks.push(t.task.clone());
                    }
                }
            }
            if !tasks.contains(task) {
                return Err(bad(format!(
                    "dimension `{}` has no task `{task}`; {}known: {}",
                    threshold.dimension,
                    suggest(task, &tasks),
                    tasks.join(", ")
                )));
            }
        }
        for m in runs {
            let score = score_for(m, &threshold.dimension, threshold.task.as_deref());
            let target = threshold.target();
            let (passed, message) = match score {
                Some(s) if s >= threshold.min => (true, format!("{target} {s:.4} >= {}", threshold.min)),
                Some(s) => (false, format!("{target} {s:.4} is below {}", threshold.min)),
                None => (false, format!("{target} has no score in this run (not run, or no case scored)")),
            };
            results.push(ThresholdResult {
                threshold: threshold.to_string(),
                target,
                run_id: m.run_id.clone(),
                model: m.target.clone(),
                score,
                min: threshold.min,
                passed,
                message,
            });
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::fixture_runs;
    use crate::metrics;

    #[track_caller]
    fn check_parse(text: &str, expect: Expect) {
        let got = match text.parse::<Threshold>() {
            Ok(t) => format!("{:?} {:?} {}", t.dimension, t.task, t.min),
            Err(e) => e.to_string(),
        };
        expect.assert_eq(&got);
    }

    #[test]
    fn parsing() {
        check_parse("safety=0.9", expect![[r#""safety" None 0.9"#]]);
        check_parse(" safety / jailbreak = 0.75 ", expect![[r#""safety" Some("jailbreak") 0.75"#]]);
        check_parse("overall=0.5", expect![[r#""overall" None 0.5"#]]);
        check_parse(
            "safety=90",
            expect![
                "bad threshold `safety=90`: the score must be between 0 and 1; scores are fractions, did you mean safety=0.9?"
            ],
        );
        check_parse(
            "safety",
            expect!["bad threshold `safety`: expected DIMENSION=SCORE or DIMENSION/TASK=SCORE, e.g. safety=0.9"],
        );
        check_parse("safety=high", expect!["bad threshold `safety=high`: `high` is not a number"]);
        check_parse("=0.3", expect!["bad threshold `=0.3`: the dimension or task name is empty"]);
        check_parse(
            "overall/x=0.3",
            expect!["bad threshold `overall/x=0.3`: `overall` has no tasks; use overall=SCORE"],
        );
    }

    #[track_caller]
    fn check_against_fixture(thresholds: &[&str], expect: Expect) {
        let runs = fixture_runs();
        let metrics: Vec<Metrics> = runs.iter().map(|r| metrics::compute(&r.manifest, &r.cases, &r.verdicts)).collect();
        let refs: Vec<&Metrics> = metrics.iter().collect();
        let parsed: Vec<Threshold> = thresholds.iter().map(|t| t.parse().unwrap()).collect();
        let got = match check(&parsed, &refs) {
            Ok(results) => results
                .iter()
                .map(|r| format!("{} {}: {}", if r.passed { "pass" } else { "FAIL" }, r.model, r.message))
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => e.to_string(),
        };
        expect.assert_eq(&got);
    }

    #[test]
    fn checking() {
        // Fixture safety scores: model-a 0.894, model-b 0.619.
        check_against_fixture(
            &["safety=0.9", "safety=0.6", "safety/over-refusal=0.8", "overall=0.5"],
            expect![[r#"
                FAIL fixture/model-a: safety 0.8938 is below 0.9
                FAIL fixture/model-b: safety 0.6185 is below 0.9
                pass fixture/model-a: safety 0.8938 >= 0.6
                pass fixture/model-b: safety 0.6185 >= 0.6
                pass fixture/model-a: safety/over-refusal 0.8148 >= 0.8
                FAIL fixture/model-b: safety/over-refusal 0.5556 is below 0.8
                pass fixture/model-a: overall 0.8695 >= 0.5
                pass fixture/model-b: overall 0.6041 >= 0.5"#]],
        );
        check_against_fixture(
            &["safty=0.9"],
            expect![
                "bad threshold `safty=0.9`: no run has a dimension `safty`; did you mean `safety`? known: overall, safety, truthfulness, fairness"
            ],
        );
        check_against_fixture(
            &["safety/jailbrake=0.9"],
            expect![
                "bad threshold `safety/jailbrake=0.9`: dimension `safety` has no task `jailbrake`; did you mean `jailbreak`? known: jailbreak, over-refusal"
            ],
        );
        check_against_fixture(
            &["privacy=0.9"],
            expect![
                "bad threshold `privacy=0.9`: no run has a dimension `privacy`; known: overall, safety, truthfulness, fairness"
            ],
        );
    }
}
