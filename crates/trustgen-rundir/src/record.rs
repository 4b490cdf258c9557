//! The records of a run directory: one serde type per file or JSONL line.
//!
//! Every type here is a file format: a field may be added (with
//! `#[serde(default)]`) but never renamed or removed, so old run
//! directories keep reading.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trustgen_plugin_api::{Manifest, ModelOutput, ModelReply, ModelRequest, TestCase, Verdict};

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunManifest {
    /// The run's id (its directory name).
    pub run_id: String,
    /// The suite's `[run] name`.
    pub name: String,
    /// trustgen's version: that of the program that ran it (`trustgen --version`).
    pub trustgen_version: String,
    /// The git commit that program was built from, as `trustgen --version` shows it
    /// (`0123456789`, `0123456789-dirty` or `commit unknown`); none in manifests older than
    /// this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trustgen_commit: Option<String>,
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
    /// The data directory, absolute and canonical (none in manifests older
    /// than this field), so a resume from anywhere reads the same files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<String>,
    /// Differences in the inputs that a resume accepted with
    /// `--allow-changed-data`, with the original values: a run that has any
    /// mixes cases of more than one version of its inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted_changes: Vec<InputChange>,
    /// Unfinished last lines that opening the run directory repaired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repairs: Vec<RepairRecord>,
    /// The measured validity of the offline judges this trustgen ships, per judge and task
    /// family, from the committed results of `cargo xtask judge-eval` (none in manifests older
    /// than this field): how far an offline verdict in this run can be trusted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub judge_validity: Vec<JudgeValidityRecord>,
}

impl RunManifest {
    /// The target model's display name (`provider/model`).
    pub fn target_name(&self) -> String {
        self.models.get("target").map(|m| format!("{}/{}", m.provider, m.model)).unwrap_or_else(|| "unknown".into())
    }

    /// How the inputs recorded in `now` (the manifest a resume would write)
    /// differ from this one's: the suite text, each plugin's version, each
    /// data file's hash. A resume refuses to mix them unless told to.
    pub fn input_changes(&self, now: &RunManifest) -> Vec<InputChange> {
        let mut changes = Vec::new();
        let mut change = |kind, name: &str, old: Option<&str>, new: Option<&str>| {
            if old != new {
                changes.push(InputChange {
                    kind,
                    name: name.to_string(),
                    old: old.map(str::to_string),
                    new: new.map(str::to_string),
                });
            }
        };
        change(InputKind::Suite, &self.suite.path, Some(&self.suite.sha256), Some(&now.suite.sha256));
        let names = |plugins: &[PluginRecord]| plugins.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        let mut plugins = names(&self.plugins);
        plugins.extend(names(&now.plugins));
        plugins.sort();
        plugins.dedup();
        let version =
            |m: &RunManifest, name: &str| m.plugins.iter().find(|p| p.name == name).map(|p| p.version.clone());
        for name in &plugins {
            change(InputKind::Plugin, name, version(self, name).as_deref(), version(now, name).as_deref());
        }
        let mut files: Vec<&str> = self.data_files.iter().chain(&now.data_files).map(|f| f.path.as_str()).collect();
        files.sort();
        files.dedup();
        let hash =
            |m: &'_ RunManifest, path: &str| m.data_files.iter().find(|f| f.path == path).map(|f| f.sha256.clone());
        for path in files {
            change(InputKind::DataFile, path, hash(self, path).as_deref(), hash(now, path).as_deref());
        }
        changes
    }

    /// The manifest of the plugin named `name`.
    pub fn plugin(&self, name: &str) -> Option<&Manifest> {
        self.plugins.iter().find(|p| p.name == name).map(|p| &p.manifest)
    }
}

/// The suite file of a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SuiteRecord {
    /// Where it was read from: absolute and canonical (older manifests may
    /// hold the path as given), so the paths in the suite resolve the same
    /// on a resume from another directory.
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
    /// Rows read (kept, when the source is sampled).
    pub rows: usize,
    /// The member of a JSON object file whose array holds the rows, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array: Option<String>,
    /// The seeded sample the host drew while reading, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleRecord>,
}

/// How the rows of a sampled data file were chosen (`trustgen_plugin_api::RowSample`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SampleRecord {
    /// The field whose values identify items.
    pub key: String,
    /// The most key values kept.
    pub keys: usize,
    /// The seed of the hash that ranked the key values.
    pub seed: u64,
    /// Rows in the file (of the array).
    pub rows_in_file: usize,
}

/// An input of a run that differs between two sessions of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputChange {
    /// What kind of input.
    pub kind: InputKind,
    /// The suite's path, the plugin's name, or the data file's path relative
    /// to the data directory.
    pub name: String,
    /// The suite's or data file's sha256, or the plugin's version, before
    /// (none: it was not used).
    pub old: Option<String>,
    /// The same now (none: it is no longer used).
    pub new: Option<String>,
}

/// The kind of an [`InputChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// The suite text (sha256).
    Suite,
    /// A plugin (version).
    Plugin,
    /// A data file (sha256).
    DataFile,
}

impl std::fmt::Display for InputChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, value) = match self.kind {
            InputKind::Suite => ("suite", "sha256"),
            InputKind::Plugin => ("plugin", "version"),
            InputKind::DataFile => ("data file", "sha256"),
        };
        let name = &self.name;
        match (&self.old, &self.new) {
            (Some(old), Some(new)) => write!(f, "{what} `{name}`: {value} was {old}, is now {new}"),
            (Some(old), None) => write!(f, "{what} `{name}` ({value} {old}) is no longer used"),
            (None, Some(new)) => write!(f, "{what} `{name}` ({value} {new}) was not used before"),
            (None, None) => write!(f, "{what} `{name}`"),
        }
    }
}

/// One offline judge measured on one task family's labelled real replies
/// (`cargo xtask judge-eval`; positive class: e.g. "refused" for the refusal judge).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JudgeValidityRecord {
    /// The judge (`refusal`).
    pub judge: String,
    /// The task family its labelled replies come from.
    pub family: String,
    /// Labelled rows.
    pub n: usize,
    /// Share of rows the judge decided as labelled.
    pub accuracy: f64,
    /// The 95% Wilson interval of the accuracy: low.
    pub accuracy_low: f64,
    /// The 95% Wilson interval of the accuracy: high.
    pub accuracy_high: f64,
    /// Precision of the positive class (none when the judge never said positive).
    pub precision: Option<f64>,
    /// Recall of the positive class (none when no row is positive).
    pub recall: Option<f64>,
}

/// An unfinished last line that opening the run directory repaired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairRecord {
    /// The file's name in the run directory.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Bytes in the line (without a newline).
    pub bytes: u64,
    /// What was done.
    pub action: crate::RepairAction,
    /// RFC 3339 time of the repair.
    pub at: String,
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

/// One line of `requests.jsonl`: a request, its reply, and how it was got.
/// The engine appends it before anyone uses the reply; `--resume` serves
/// recorded replies from it by key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The content-addressed key.
    pub key: String,
    /// The request.
    pub request: ModelRequest,
    /// The reply.
    pub reply: ModelReply,
    /// Answered from the cache (not sent).
    pub cached: bool,
    /// HTTP attempts (retries + 1); 0 when cached.
    pub attempts: u32,
    /// Wall time of the call.
    pub latency_ms: u64,
}
