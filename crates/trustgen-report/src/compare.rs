//! Paired comparison of runs of different target models on the same cases.
//!
//! Two runs are compared task by task on the cases both of them scored: a
//! case pairs when it has the same id in the same task of both runs and the
//! same content (prompts, choices, ground truth) wherever both runs recorded
//! it, so runs built with different seeds or suites are never paired by
//! accident of numbering; the unpaired cases are counted and reported.
//!
//! - All paired scores 0 or 1: [`stats::mcnemar`] on the discordant pairs.
//! - Otherwise: [`stats::paired_permutation`] on the differences, seeded.
//!
//! The p-values of every tested task of every compared pair of runs form one
//! family, corrected with Holm's method; a task's outcome is "A better" or
//! "B better" when its adjusted p-value is at most α (0.05 by default), in
//! the direction of the metric (a lower refusal rate is better when the task
//! says lower is better), else "no significant difference".
//!
//! Two runs are compared only where the same judges graded them: per task, the judges recorded
//! in the verdicts (an LLM judge with the run's judge model, the offline refusal judge with the
//! run's embedder, whose threshold belongs to it) must not differ, and a run that used an LLM
//! judge needs the same judge model in the other run, which must not have graded the task with
//! an offline judge instead. Otherwise [`compare`] refuses with
//! [`ReportError::DifferentJudges`] naming every such task, or, with
//! [`CompareOptions::allow_different_judges`], sets [`TaskComparison::judges_differ`].

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use trustgen_plugin_api::{SeededRng, TestCase};
use trustgen_rundir::RunData;

use crate::error::ReportError;
use crate::stats::{self, McNemarMethod};

/// Settings of [`compare`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareOptions {
    /// Family-wise error rate after correction.
    pub alpha: f64,
    /// Sign-flip rounds of the permutation test.
    pub permutation_rounds: usize,
    /// Compare tasks whose judges differ between the two runs instead of refusing; each such
    /// task is flagged ([`TaskComparison::judges_differ`]) in every output.
    pub allow_different_judges: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions { alpha: 0.05, permutation_rounds: stats::PERMUTATION_ROUNDS, allow_different_judges: false }
    }
}

/// Every pairwise comparison in a report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Comparisons {
    /// Family-wise error rate.
    pub alpha: f64,
    /// The correction applied across all tested tasks of all pairs.
    pub correction: String,
    /// Number of tests in the corrected family.
    pub tests: usize,
    /// One entry per compared pair of runs.
    pub pairs: Vec<Comparison>,
    /// Pairs not compared, and why.
    #[serde(default)]
    pub skipped: Vec<String>,
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Comparison {
    /// Run A's id.
    pub a: String,
    /// Run A's target model.
    pub a_target: String,
    /// Run B's id.
    pub b: String,
    /// Run B's target model.
    pub b_target: String,
    /// Per task present in either run.
    pub tasks: Vec<TaskComparison>,
}

/// One task of two runs compared.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskComparison {
    /// Dimension plugin.
    pub dimension: String,
    /// Task.
    pub task: String,
    /// True when a higher score is better.
    pub higher_is_better: bool,
    /// Cases scored in both runs with the same content.
    pub paired: usize,
    /// Cases only run A judged.
    pub only_a: usize,
    /// Cases only run B judged.
    pub only_b: usize,
    /// Cases with the same id but different content (not paired).
    pub content_differs: usize,
    /// Cases in both runs without a score in at least one of them.
    pub unscored: usize,
    /// Run A's mean over the paired cases.
    pub a_mean: Option<f64>,
    /// Run B's mean over the paired cases.
    pub b_mean: Option<f64>,
    /// The test used.
    pub test: PairedTest,
    /// Unadjusted two-sided p-value.
    pub p_value: Option<f64>,
    /// Holm-adjusted p-value.
    pub p_adjusted: Option<f64>,
    /// The conclusion at α after correction.
    pub outcome: Outcome,
    /// Set when the two runs' judges of this task differ (offline vs LLM, another judge model,
    /// another template version): what each run used. Such a comparison is refused unless
    /// [`CompareOptions::allow_different_judges`], and then flagged wherever it is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judges_differ: Option<String>,
}

/// The paired test used for a task.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PairedTest {
    /// No paired case: nothing to test.
    #[default]
    None,
    /// McNemar's test of 0/1 scores.
    Mcnemar {
        /// Pairs where A scored 1 and B 0.
        b: u64,
        /// Pairs where A scored 0 and B 1.
        c: u64,
        /// Exact or chi-square.
        method: McNemarMethod,
        /// The corrected chi-square statistic, when used.
        statistic: Option<f64>,
    },
    /// Seeded sign-flip permutation test of the mean difference.
    Permutation {
        /// Rounds drawn.
        rounds: usize,
    },
}

impl PairedTest {
    /// The test in words.
    pub fn describe(&self) -> String {
        match self {
            PairedTest::None => "not tested".into(),
            PairedTest::Mcnemar { b, c, method: McNemarMethod::ExactBinomial, .. } => {
                format!("McNemar exact (b={b}, c={c})")
            }
            PairedTest::Mcnemar { b, c, statistic, .. } => {
                format!("McNemar χ² {:.2} with continuity correction (b={b}, c={c})", statistic.unwrap_or_default())
            }
            PairedTest::Permutation { rounds } => format!("paired permutation ({rounds} sign flips)"),
        }
    }
}

/// The conclusion of a task comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No paired case.
    #[default]
    NotTested,
    /// No significant difference after correction.
    NoSignificantDifference,
    /// Run A is significantly better.
    ABetter,
    /// Run B is significantly better.
    BBetter,
}

impl Outcome {
    /// The outcome in words, naming the better model.
    pub fn describe(&self, a: &str, b: &str) -> String {
        match self {
            Outcome::NotTested => "not tested (no paired case)".into(),
            Outcome::NoSignificantDifference => "no significant difference".into(),
            Outcome::ABetter => format!("{a} better"),
            Outcome::BBetter => format!("{b} better"),
        }
    }

    /// True for a significant difference.
    pub fn significant(&self) -> bool {
        matches!(self, Outcome::ABetter | Outcome::BBetter)
    }
}

/// The latest verdict score of each case, by task.
type Scores<'a> = HashMap<(&'a str, &'a str), HashMap<&'a str, Option<f64>>>;

fn same_content(a: &TestCase, b: &TestCase) -> bool {
    a.prompts == b.prompts && a.choices == b.choices && a.ground_truth == b.ground_truth
}

/// The judge a provider's content filter is recorded under: no judge graded the case.
const CONTENT_FILTER_JUDGE: &str = "rule:content-filter@1";

/// The model a run configured for `role` (`provider/model`).
fn model_of(run: &RunData, role: &str) -> Option<String> {
    run.manifest.models.get(role).map(|m| format!("{}/{}", m.provider, m.model))
}

/// A judge as recorded in a verdict, with the model it depends on: an LLM judge's judge model,
/// the offline refusal judge's embedder.
fn describe_judge(run: &RunData, judge: &str) -> String {
    let (role, what) = if judge.starts_with("llm:") {
        ("judge", "judge")
    } else if judge.starts_with("offline:refusal@") {
        ("embedder", "embedder")
    } else {
        return judge.to_owned();
    };
    match model_of(run, role) {
        Some(model) => format!("{judge} ({what} {model})"),
        None => format!("{judge} (no {what} recorded)"),
    }
}

/// The judges that graded a task in a run (see [`describe_judge`]), and whether one was an
/// LLM judge.
fn task_judges(run: &RunData, dimension: &str, task: &str) -> (BTreeSet<String>, bool, bool) {
    let mut judges = BTreeSet::new();
    let (mut llm, mut offline) = (false, false);
    for v in run.verdicts.iter().filter(|v| v.dimension == dimension && v.task == task) {
        if let Some(judge) = v.verdict.judge.as_deref().filter(|j| *j != CONTENT_FILTER_JUDGE) {
            llm |= judge.starts_with("llm:");
            offline |= judge.starts_with("offline:");
            judges.insert(describe_judge(run, judge));
        }
    }
    (judges, llm, offline)
}

/// How the judges of a task differ between runs `a` and `b`, if they do (see the module docs).
fn judges_differ(a: &RunData, b: &RunData, dimension: &str, task: &str) -> Option<String> {
    let (judges_a, llm_a, offline_a) = task_judges(a, dimension, task);
    let (judges_b, llm_b, offline_b) = task_judges(b, dimension, task);
    if judges_a.is_empty() || judges_b.is_empty() {
        return None;
    }
    let family = |j: &str| j.split('@').next().unwrap_or(j).to_owned();
    let of = |judges: &BTreeSet<String>, f: &str| -> BTreeSet<String> {
        judges.iter().filter(|j| family(j) == f).cloned().collect()
    };
    // The same judge in another version or with another model.
    let same_family_differs = judges_a
        .iter()
        .map(|j| family(j))
        .any(|f| of(&judges_b, &f).iter().next().is_some() && of(&judges_a, &f) != of(&judges_b, &f));
    // An LLM judge in one run, and another judge model (or none: offline judging) in the other.
    let judge_models_differ = (llm_a || llm_b) && model_of(a, "judge") != model_of(b, "judge");
    // An LLM judge in one run and an offline judge in the other (a plugin option chose it), with
    // the same judge model configured. Rules (`rule:`) decide some cases in both regimes, so a
    // run that needed its LLM judge on some cases only still compares with one that did not.
    let regimes_differ = llm_a != llm_b && (offline_a || offline_b);
    (same_family_differs || judge_models_differ || regimes_differ).then(|| {
        let list = |judges: &BTreeSet<String>| judges.iter().cloned().collect::<Vec<_>>().join(", ");
        format!("{} used {}; {} used {}", a.manifest.run_id, list(&judges_a), b.manifest.run_id, list(&judges_b))
    })
}

/// Compares every pair of runs whose target models differ (see the module docs); an error when
/// the runs' judges of a task differ, unless [`CompareOptions::allow_different_judges`].
pub fn compare(runs: &[&RunData], options: &CompareOptions) -> Result<Comparisons, ReportError> {
    let mut out = Comparisons {
        alpha: options.alpha,
        correction: "Holm–Bonferroni over every tested task of every compared pair".into(),
        ..Comparisons::default()
    };
    for i in 0..runs.len() {
        for j in i + 1..runs.len() {
            let (a, b) = (runs[i], runs[j]);
            if a.manifest.target_name() == b.manifest.target_name() {
                out.skipped.push(format!(
                    "{} and {} evaluate the same target ({}); paired tests compare different models",
                    a.manifest.run_id,
                    b.manifest.run_id,
                    a.manifest.target_name()
                ));
                continue;
            }
            out.pairs.push(compare_pair(a, b, options));
        }
    }
    let differing: Vec<String> = out
        .pairs
        .iter()
        .flat_map(|pair| pair.tasks.iter())
        .filter_map(|t| t.judges_differ.as_ref().map(|d| format!("{}/{}: {d}", t.dimension, t.task)))
        .collect();
    if !differing.is_empty() && !options.allow_different_judges {
        return Err(ReportError::DifferentJudges { tasks: differing });
    }
    // One family for the whole report.
    let mut slots = Vec::new();
    let mut p_values = Vec::new();
    for (pi, pair) in out.pairs.iter().enumerate() {
        for (ti, task) in pair.tasks.iter().enumerate() {
            if let Some(p) = task.p_value {
                slots.push((pi, ti));
                p_values.push(p);
            }
        }
    }
    out.tests = p_values.len();
    for ((pi, ti), adjusted) in slots.into_iter().zip(stats::holm(&p_values)) {
        let task = &mut out.pairs[pi].tasks[ti];
        task.p_adjusted = Some(adjusted);
        task.outcome = if adjusted <= options.alpha {
            let (a, b) = (task.a_mean.unwrap_or_default(), task.b_mean.unwrap_or_default());
            if (a > b) == task.higher_is_better { Outcome::ABetter } else { Outcome::BBetter }
        } else {
            Outcome::NoSignificantDifference
        };
    }
    Ok(out)
}

/// The tasks of a run in order of first appearance, and its scores by task.
fn scores(run: &RunData) -> (Vec<(&str, &str)>, Scores<'_>) {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    let mut scores: Scores<'_> = HashMap::new();
    for v in &run.verdicts {
        let key = (v.dimension.as_str(), v.task.as_str());
        let task = scores.entry(key).or_insert_with(|| {
            keys.push(key);
            HashMap::new()
        });
        task.insert(v.case_id.as_str(), v.verdict.score.filter(|s| s.is_finite()));
    }
    (keys, scores)
}

fn compare_pair(a: &RunData, b: &RunData, options: &CompareOptions) -> Comparison {
    let cases_a: HashMap<&str, &TestCase> = a.cases.iter().map(|c| (c.case.id.as_str(), &c.case)).collect();
    let cases_b: HashMap<&str, &TestCase> = b.cases.iter().map(|c| (c.case.id.as_str(), &c.case)).collect();
    let (mut keys, scores_a) = scores(a);
    let (keys_b, scores_b) = scores(b);
    for key in keys_b {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let empty = HashMap::new();
    let tasks = keys
        .into_iter()
        .map(|(dimension, task)| {
            let sa = scores_a.get(&(dimension, task)).unwrap_or(&empty);
            let sb = scores_b.get(&(dimension, task)).unwrap_or(&empty);
            let higher_is_better = a
                .manifest
                .plugin(dimension)
                .or_else(|| b.manifest.plugin(dimension))
                .and_then(|m| m.task(task))
                .is_none_or(|t| t.metric.higher_is_better);
            let mut result = TaskComparison {
                dimension: dimension.to_owned(),
                task: task.to_owned(),
                higher_is_better,
                judges_differ: judges_differ(a, b, dimension, task),
                ..TaskComparison::default()
            };
            let mut ids: Vec<&str> = sa.keys().copied().collect();
            ids.sort_unstable();
            let mut pairs: Vec<(f64, f64)> = Vec::new();
            for id in ids {
                let Some(score_b) = sb.get(id) else {
                    result.only_a += 1;
                    continue;
                };
                if let (Some(ca), Some(cb)) = (cases_a.get(id), cases_b.get(id))
                    && !same_content(ca, cb)
                {
                    result.content_differs += 1;
                    continue;
                }
                match (sa[id], score_b) {
                    (Some(x), Some(y)) => pairs.push((x, *y)),
                    _ => result.unscored += 1,
                }
            }
            result.only_b = sb.keys().filter(|id| !sa.contains_key(*id)).count();
            result.paired = pairs.len();
            if pairs.is_empty() {
                return result;
            }
            let n = pairs.len() as f64;
            result.a_mean = Some(pairs.iter().map(|p| p.0).sum::<f64>() / n);
            result.b_mean = Some(pairs.iter().map(|p| p.1).sum::<f64>() / n);
            let binary = pairs.iter().all(|(x, y)| (*x == 0.0 || *x == 1.0) && (*y == 0.0 || *y == 1.0));
            if binary {
                let b_count = pairs.iter().filter(|(x, y)| *x == 1.0 && *y == 0.0).count() as u64;
                let c_count = pairs.iter().filter(|(x, y)| *x == 0.0 && *y == 1.0).count() as u64;
                let test = stats::mcnemar(b_count, c_count);
                result.test =
                    PairedTest::Mcnemar { b: b_count, c: c_count, method: test.method, statistic: test.statistic };
                result.p_value = Some(test.p_value);
            } else {
                let diffs: Vec<f64> = pairs.iter().map(|(x, y)| x - y).collect();
                let seed = a.manifest.seed ^ b.manifest.seed.rotate_left(32);
                let mut rng = SeededRng::derive(seed, &format!("permutation/{dimension}/{task}"));
                let test = stats::paired_permutation(&diffs, options.permutation_rounds, &mut rng);
                result.test = PairedTest::Permutation { rounds: test.rounds };
                result.p_value = Some(test.p_value);
            }
            result
        })
        .collect();
    Comparison {
        a: a.manifest.run_id.clone(),
        a_target: a.manifest.target_name(),
        b: b.manifest.run_id.clone(),
        b_target: b.manifest.target_name(),
        tasks,
    }
}

#[cfg(test)]
mod tests;
