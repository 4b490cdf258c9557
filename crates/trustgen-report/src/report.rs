//! The structured report (`report.json`): runs, their metrics, the paired
//! comparisons and the threshold results. Every other output is rendered
//! from it (plus the run records, for the HTML case explorer).

use serde::{Deserialize, Serialize};
use trustgen_rundir::{Metrics, RunData, RunStatus};

use crate::compare::{self, CompareOptions, Comparisons};
use crate::error::ReportError;
use crate::metrics::{self, MetricsOptions};
use crate::threshold::{self, Threshold, ThresholdResult};

/// What a report is built with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportOptions {
    /// `--fail-under` thresholds.
    pub thresholds: Vec<Threshold>,
    /// Interval settings.
    pub metrics: MetricsOptions,
    /// Comparison settings (α, permutation rounds).
    pub compare: CompareOptions,
    /// The HTML page's limits.
    pub html: HtmlOptions,
}

/// Limits of the HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HtmlOptions {
    /// Characters kept of any one prompt, output or reasoning.
    pub max_text_chars: usize,
    /// Characters of case text embedded in the page in total; past it, the
    /// per-text limit is lowered (to no less than `min_text_chars`).
    pub text_budget_chars: usize,
    /// The per-text limit is never lowered below this.
    pub min_text_chars: usize,
    /// Failure cases shown per run and task.
    pub failures_per_task: usize,
    /// The case explorer's thumbnails: the longer side in pixels at most.
    pub thumb_max_side: u32,
    /// JPEG bytes of one thumbnail at most.
    pub thumb_max_bytes: usize,
    /// Thumbnails in the page at most (distinct images; the rest are named and left out).
    pub max_thumbnails: usize,
    /// JPEG bytes of all thumbnails at most (their `data:` URLs take 4/3 of it).
    pub thumb_budget_bytes: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            max_text_chars: 4000,
            text_budget_chars: 40_000_000,
            min_text_chars: 300,
            failures_per_task: 3,
            thumb_max_side: 160,
            thumb_max_bytes: 12 * 1024,
            max_thumbnails: 300,
            thumb_budget_bytes: 3 * 1024 * 1024,
        }
    }
}

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `trustgen-report <version>`.
    pub generator: String,
    /// The runs, in the order given.
    pub runs: Vec<RunSummary>,
    /// Paired comparisons of the runs.
    pub comparisons: Comparisons,
    /// `--fail-under` results, per threshold and run.
    pub thresholds: Vec<ThresholdResult>,
}

impl Report {
    /// True when any threshold failed (the CLI exits non-zero).
    pub fn failed(&self) -> bool {
        self.thresholds.iter().any(|t| !t.passed)
    }

    /// Display names of the runs: the target model, with the run id when two
    /// runs share a target.
    pub fn labels(&self) -> Vec<String> {
        self.runs
            .iter()
            .map(|r| {
                let shared = self.runs.iter().filter(|o| o.target == r.target).count() > 1;
                if shared { format!("{} ({})", r.target, r.run_id) } else { r.target.clone() }
            })
            .collect()
    }

    /// Dimension names across runs, in order of first appearance.
    pub fn dimensions(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for r in &self.runs {
            for d in &r.metrics.dimensions {
                if !names.contains(&d.dimension) {
                    names.push(d.dimension.clone());
                }
            }
        }
        names
    }

    /// (dimension, task) pairs across runs, in order of first appearance.
    pub fn tasks(&self) -> Vec<(String, String)> {
        let mut keys: Vec<(String, String)> = Vec::new();
        for r in &self.runs {
            for t in &r.metrics.tasks {
                let key = (t.dimension.clone(), t.task.clone());
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        keys
    }
}

/// One run in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Run id.
    pub run_id: String,
    /// The suite's run name.
    pub name: String,
    /// The run directory.
    pub dir: String,
    /// The target model (`provider/model`).
    pub target: String,
    /// The target's model type (`llm`, `vlm`, `t2i`).
    pub model_type: String,
    /// The judge model (`provider/model`), if one was configured.
    pub judge: Option<String>,
    /// Run seed.
    pub seed: u64,
    /// Suite file.
    pub suite_path: String,
    /// sha256 of the suite text.
    pub suite_sha256: String,
    /// trustgen version that ran it.
    pub trustgen_version: String,
    /// The git commit that trustgen was built from (none for runs that did not record it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trustgen_commit: Option<String>,
    /// Start time.
    pub started_at: String,
    /// End time.
    pub finished_at: Option<String>,
    /// Running, finished or failed.
    pub status: RunStatus,
    /// Cases built.
    pub cases: usize,
    /// Outputs recorded.
    pub outputs: usize,
    /// Verdicts recorded.
    pub verdicts: usize,
    /// Items builders dropped.
    pub skipped: usize,
    /// The metrics, recomputed from the verdicts.
    pub metrics: Metrics,
}

/// Builds the report of `runs` (metrics recomputed from each run's verdicts,
/// comparisons, thresholds).
pub fn build_report(runs: &[RunData], options: &ReportOptions) -> Result<Report, ReportError> {
    if runs.is_empty() {
        return Err(ReportError::NoRuns);
    }
    let summaries: Vec<RunSummary> = runs
        .iter()
        .map(|run| {
            let m = &run.manifest;
            let model = |role: &str| m.models.get(role).map(|r| format!("{}/{}", r.provider, r.model));
            RunSummary {
                run_id: m.run_id.clone(),
                name: m.name.clone(),
                dir: run.dir.display().to_string(),
                target: m.target_name(),
                model_type: m.models.get("target").map(|t| t.model_type.clone()).unwrap_or_default(),
                judge: model("judge"),
                seed: m.seed,
                suite_path: m.suite.path.clone(),
                suite_sha256: m.suite.sha256.clone(),
                trustgen_version: m.trustgen_version.clone(),
                trustgen_commit: m.trustgen_commit.clone(),
                started_at: m.started_at.clone(),
                finished_at: m.finished_at.clone(),
                status: m.status,
                cases: run.cases.len(),
                outputs: run.outputs.len(),
                verdicts: run.verdicts.len(),
                skipped: run.skipped.len(),
                metrics: metrics::compute_with(m, &run.cases, &run.verdicts, &options.metrics),
            }
        })
        .collect();
    let refs: Vec<&RunData> = runs.iter().collect();
    let comparisons = compare::compare(&refs, &options.compare)?;
    let metrics: Vec<&Metrics> = summaries.iter().map(|s| &s.metrics).collect();
    let thresholds = threshold::check(&options.thresholds, &metrics)?;
    Ok(Report {
        generator: format!("trustgen-report {}", env!("CARGO_PKG_VERSION")),
        runs: summaries,
        comparisons,
        thresholds,
    })
}
