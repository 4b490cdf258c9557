//! The run directory: append-only records written before they count.
//!
//! Every JSONL line is written with one `write` call and flushed before the
//! caller goes on, so a run killed at any moment (SIGKILL included) leaves
//! at most a torn last line, which readers ignore. `manifest.json` is
//! replaced atomically (temp file + rename).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use trustgen_plugin_api::{ModelReply, ModelRequest};
use trustgen_report::record::{
    CaseRecord, OutputRecord, RunManifest, SkippedRecord, VerdictRecord, files, read_json, read_jsonl,
};

use crate::error::EngineError;

/// One line of `requests.jsonl`: a request, its reply, and how it was got.
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

/// What an earlier, interrupted run of this directory finished.
#[derive(Debug, Default)]
pub struct Done {
    /// Replies by request key.
    pub replies: HashMap<String, ModelReply>,
    /// Cases by id.
    pub cases: HashMap<String, CaseRecord>,
    /// Outputs by case id.
    pub outputs: HashMap<String, OutputRecord>,
    /// Verdicts by case id.
    pub verdicts: HashMap<String, VerdictRecord>,
    /// Skipped items already recorded.
    pub skipped: Vec<SkippedRecord>,
}

/// An append-only JSONL file.
#[derive(Debug)]
struct Appender {
    path: PathBuf,
    file: Mutex<File>,
}

impl Appender {
    fn open(path: PathBuf) -> Result<Appender, EngineError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| EngineError::io(&path, "opening", e))?;
        Ok(Appender { path, file: Mutex::new(file) })
    }

    fn append<T: Serialize>(&self, value: &T) -> Result<(), EngineError> {
        let mut line = serde_json::to_vec(value).map_err(|e| EngineError::io(&self.path, "serializing", e.into()))?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(&line).and_then(|()| file.flush()).map_err(|e| EngineError::io(&self.path, "writing", e))
    }
}

/// The files of one run directory.
#[derive(Debug)]
pub struct RunStore {
    dir: PathBuf,
    cases: Appender,
    requests: Appender,
    outputs: Appender,
    verdicts: Appender,
    skipped: Appender,
}

impl RunStore {
    /// Creates a new run directory (it must not exist).
    pub fn create(dir: &Path) -> Result<RunStore, EngineError> {
        std::fs::create_dir_all(dir.parent().unwrap_or(Path::new(".")))
            .map_err(|e| EngineError::io(dir, "creating", e))?;
        std::fs::create_dir(dir).map_err(|e| EngineError::io(dir, "creating the run directory", e))?;
        RunStore::open(dir)
    }

    /// Opens an existing run directory for appending.
    pub fn open(dir: &Path) -> Result<RunStore, EngineError> {
        Ok(RunStore {
            dir: dir.to_owned(),
            cases: Appender::open(dir.join(files::CASES))?,
            requests: Appender::open(dir.join(files::REQUESTS))?,
            outputs: Appender::open(dir.join(files::OUTPUTS))?,
            verdicts: Appender::open(dir.join(files::VERDICTS))?,
            skipped: Appender::open(dir.join(files::SKIPPED))?,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads what an earlier run of this directory finished.
    pub fn read_done(dir: &Path) -> Result<Done, EngineError> {
        let mut done = Done::default();
        for record in read_jsonl::<RequestRecord>(&dir.join(files::REQUESTS))? {
            done.replies.insert(record.key, record.reply);
        }
        for record in read_jsonl::<CaseRecord>(&dir.join(files::CASES))? {
            done.cases.insert(record.case.id.clone(), record);
        }
        for record in read_jsonl::<OutputRecord>(&dir.join(files::OUTPUTS))? {
            done.outputs.insert(record.case_id.clone(), record);
        }
        for record in read_jsonl::<VerdictRecord>(&dir.join(files::VERDICTS))? {
            done.verdicts.insert(record.case_id.clone(), record);
        }
        done.skipped = read_jsonl(&dir.join(files::SKIPPED))?;
        Ok(done)
    }

    /// Reads the manifest.
    pub fn read_manifest(dir: &Path) -> Result<RunManifest, EngineError> {
        Ok(read_json(&dir.join(files::MANIFEST))?)
    }

    /// Replaces `manifest.json` atomically.
    pub fn write_manifest(&self, manifest: &RunManifest) -> Result<(), EngineError> {
        write_json_atomic(&self.dir.join(files::MANIFEST), manifest)
    }

    /// Replaces `metrics.json` atomically.
    pub fn write_metrics(&self, metrics: &trustgen_report::record::Metrics) -> Result<(), EngineError> {
        write_json_atomic(&self.dir.join(files::METRICS), metrics)
    }

    /// Appends a request record.
    pub fn request(&self, record: &RequestRecord) -> Result<(), EngineError> {
        self.requests.append(record)
    }

    /// Appends a case.
    pub fn case(&self, record: &CaseRecord) -> Result<(), EngineError> {
        self.cases.append(record)
    }

    /// Appends an output.
    pub fn output(&self, record: &OutputRecord) -> Result<(), EngineError> {
        self.outputs.append(record)
    }

    /// Appends a verdict.
    pub fn verdict(&self, record: &VerdictRecord) -> Result<(), EngineError> {
        self.verdicts.append(record)
    }

    /// Appends a skipped item.
    pub fn skipped(&self, record: &SkippedRecord) -> Result<(), EngineError> {
        self.skipped.append(record)
    }
}

/// Writes JSON to a temp file beside `path` and renames it over `path`.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), EngineError> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(value).map_err(|e| EngineError::io(path, "serializing", e.into()))?;
    let mut file = File::create(&tmp).map_err(|e| EngineError::io(&tmp, "creating", e))?;
    file.write_all(&text).and_then(|()| file.sync_all()).map_err(|e| EngineError::io(&tmp, "writing", e))?;
    std::fs::rename(&tmp, path).map_err(|e| EngineError::io(path, "replacing", e))
}
