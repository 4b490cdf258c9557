//! The files of a run directory.
//!
//! ```text
//! runs/<run-id>/
//!   manifest.json    what ran: suite text and hash, models (no secrets), plugins
//!                    and their manifests, data file hashes, seed, versions, times, usage
//!   cases.jsonl      one built (and varied) test case per line
//!   requests.jsonl   every model request and its reply, written before it counts
//!   outputs.jsonl    the target's answers, one case per line
//!   verdicts.jsonl   the grades, one case per line
//!   skipped.jsonl    items a builder dropped, with the reason
//!   metrics.json     per-task and per-dimension scores with intervals
//! ```
//!
//! JSONL files are append-only; each line is written and flushed before it
//! counts. A reader ignores a torn last line (a run killed mid-write).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use trustgen_plugin_api::{Manifest, MetricKind, ModelOutput, TestCase, Verdict};

/// File names inside a run directory.
pub mod files {
    /// The run manifest.
    pub const MANIFEST: &str = "manifest.json";
    /// Built cases.
    pub const CASES: &str = "cases.jsonl";
    /// Model requests and replies.
    pub const REQUESTS: &str = "requests.jsonl";
    /// Target outputs.
    pub const OUTPUTS: &str = "outputs.jsonl";
    /// Verdicts.
    pub const VERDICTS: &str = "verdicts.jsonl";
    /// Items dropped by builders.
    pub const SKIPPED: &str = "skipped.jsonl";
    /// Metrics.
    pub const METRICS: &str = "metrics.json";
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunManifest {
    /// The run's id (its directory name).
    pub run_id: String,
    /// The suite's `[run] name`.
    pub name: String,
    /// trustgen's version.
    pub trustgen_version: String,
    /// The plugin API version of this trustgen.
    pub plugin_api_version: String,
    /// The suite file.
    pub suite: SuiteRecord,
    /// The run seed.
    pub seed: u64,
    /// Configured models by role (no keys, no key values).
    pub models: BTreeMap<String, ModelRecord>,
    /// Plugins used, with their manifests.
    pub plugins: Vec<PluginRecord>,
    /// The `[[dimension]]` entries as resolved.
    pub dimensions: Vec<DimensionRecord>,
    /// Data files read, with hashes.
    pub data_files: Vec<DataFileRecord>,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time, once finished.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// Running, finished or failed.
    pub status: RunStatus,
    /// Requests, tokens and cost per role and model.
    #[serde(default)]
    pub usage: Vec<UsageRecord>,
    /// Why the run failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RunManifest {
    /// The target model's display name (`provider/model`).
    pub fn target_name(&self) -> String {
        self.models.get("target").map(|m| format!("{}/{}", m.provider, m.model)).unwrap_or_else(|| "unknown".into())
    }

    /// The manifest of the plugin named `name`.
    pub fn plugin(&self, name: &str) -> Option<&Manifest> {
        self.plugins.iter().find(|p| p.name == name).map(|p| &p.manifest)
    }
}

/// The suite file of a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SuiteRecord {
    /// Where it was read from.
    pub path: String,
    /// sha256 of its text.
    pub sha256: String,
    /// The text itself.
    pub text: String,
}

/// A configured model as recorded (never a key).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ModelRecord {
    /// Model type.
    pub model_type: String,
    /// Provider.
    pub provider: String,
    /// Model id.
    pub model: String,
    /// Endpoint, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The variable the key came from (its name only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// Generation parameters and limits as configured.
    #[serde(default)]
    pub settings: serde_json::Value,
}

/// A plugin used by a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PluginRecord {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// `linked` or `dynamic (<path>)`.
    pub source: String,
    /// Its manifest (task specs, metrics, policies).
    pub manifest: Manifest,
}

/// A resolved `[[dimension]]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DimensionRecord {
    /// The plugin.
    pub plugin: String,
    /// The tasks run.
    pub tasks: Vec<String>,
    /// Case limit per task.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Variations allowed.
    #[serde(default)]
    pub variations: Vec<String>,
    /// Plugin options.
    #[serde(default)]
    pub options: serde_json::Value,
}

/// A data file read by a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DataFileRecord {
    /// Path relative to the data directory.
    pub path: String,
    /// sha256 of the file.
    pub sha256: String,
    /// Rows read.
    pub rows: usize,
}

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Started and not finished (or killed; `--resume` continues it).
    #[default]
    Running,
    /// Finished; metrics are final.
    Finished,
    /// Stopped by a fatal error.
    Failed,
}

/// Usage of one model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UsageRecord {
    /// Role.
    pub role: String,
    /// Provider.
    pub provider: String,
    /// Model.
    pub model: String,
    /// Requests answered (network, cache or replay).
    pub requests: u64,
    /// Of those, answered from the cache or the run journal (not sent).
    pub cached: u64,
    /// Prompt tokens of requests actually sent.
    pub prompt_tokens: u64,
    /// Completion tokens of requests actually sent.
    pub completion_tokens: u64,
    /// Cost of requests actually sent, if prices are configured.
    #[serde(default)]
    pub cost: Option<f64>,
}

/// One line of `cases.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// The dimension plugin.
    pub dimension: String,
    /// The case (its `task` names the task).
    pub case: TestCase,
}

/// One line of `outputs.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// The case.
    pub case_id: String,
    /// The target's answers.
    pub output: ModelOutput,
}

/// One line of `verdicts.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictRecord {
    /// The case.
    pub case_id: String,
    /// The dimension plugin.
    pub dimension: String,
    /// The task.
    pub task: String,
    /// The grade.
    pub verdict: Verdict,
}

/// One line of `skipped.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedRecord {
    /// The dimension plugin.
    pub dimension: String,
    /// The task.
    pub task: String,
    /// Which item.
    pub item: String,
    /// Why.
    pub reason: String,
}

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

/// Cases by status.
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

/// An error reading a run directory.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A file could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS message.
        message: String,
    },
    /// A line or file is not valid JSON of the expected shape.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line (1 for whole-file JSON).
        line: usize,
        /// The parser's message.
        message: String,
    },
}

/// Reads a JSON file.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, RecordError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| RecordError::Io { path: path.to_owned(), message: e.to_string() })?;
    serde_json::from_str(&text).map_err(|e| RecordError::Parse {
        path: path.to_owned(),
        line: e.line(),
        message: e.to_string(),
    })
}

/// Reads a JSONL file; a missing file is empty. A last line without its
/// newline (a write cut short by a kill) is ignored; any other bad line is an
/// error naming the file and line.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, RecordError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RecordError::Io { path: path.to_owned(), message: e.to_string() }),
    };
    let mut reader = std::io::BufReader::new(file);
    let mut rows = Vec::new();
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|e| RecordError::Io { path: path.to_owned(), message: e.to_string() })?;
        if read == 0 {
            break;
        }
        number += 1;
        if !line.ends_with('\n') {
            // A torn final write: the record never counted.
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let row = serde_json::from_str(&line).map_err(|e| RecordError::Parse {
            path: path.to_owned(),
            line: number,
            message: e.to_string(),
        })?;
        rows.push(row);
    }
    Ok(rows)
}

/// Everything in a run directory.
#[derive(Debug, Clone)]
pub struct RunData {
    /// The directory.
    pub dir: PathBuf,
    /// `manifest.json`.
    pub manifest: RunManifest,
    /// `cases.jsonl`.
    pub cases: Vec<CaseRecord>,
    /// `outputs.jsonl`.
    pub outputs: Vec<OutputRecord>,
    /// `verdicts.jsonl`.
    pub verdicts: Vec<VerdictRecord>,
    /// `skipped.jsonl`.
    pub skipped: Vec<SkippedRecord>,
}

impl RunData {
    /// Reads a run directory.
    pub fn read(dir: &Path) -> Result<RunData, RecordError> {
        Ok(RunData {
            dir: dir.to_owned(),
            manifest: read_json(&dir.join(files::MANIFEST))?,
            cases: read_jsonl(&dir.join(files::CASES))?,
            outputs: read_jsonl(&dir.join(files::OUTPUTS))?,
            verdicts: read_jsonl(&dir.join(files::VERDICTS))?,
            skipped: read_jsonl(&dir.join(files::SKIPPED))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_last_line_is_ignored_but_bad_lines_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"a\":2}\n{\"a\":").unwrap();
        let rows: Vec<serde_json::Value> = read_jsonl(&path).unwrap();
        assert_eq!(rows.len(), 2);
        std::fs::write(&path, "{\"a\":1}\nnope\n{\"a\":3}\n").unwrap();
        let err = read_jsonl::<serde_json::Value>(&path).unwrap_err().to_string();
        assert!(err.contains("x.jsonl:2:"), "{err}");
        assert!(read_jsonl::<serde_json::Value>(&dir.path().join("missing.jsonl")).unwrap().is_empty());
    }
}
