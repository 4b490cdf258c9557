//! Writing a run directory: JSONL appends and atomic replacements.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::error::RunDirError;
use crate::files;
use crate::metrics::Metrics;
use crate::record::{CaseRecord, OutputRecord, RequestRecord, RunManifest, SkippedRecord, VerdictRecord};

/// An append-only JSONL file, shared between threads.
///
/// Every record is one line written with one `write` call and flushed before
/// [`Appender::append`] returns, so a process killed at any moment (SIGKILL
/// included) leaves at most a torn last line, which
/// [`JsonlReader`](crate::JsonlReader) reports and does not yield.
#[derive(Debug)]
pub struct Appender {
    path: PathBuf,
    file: Mutex<File>,
}

impl Appender {
    /// Opens `path` for appending, creating it if needed.
    pub fn open(path: PathBuf) -> Result<Appender, RunDirError> {
        let file =
            OpenOptions::new().create(true).append(true).open(&path).map_err(|e| RunDirError::io(&path, "open", e))?;
        Ok(Appender { path, file: Mutex::new(file) })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one line and flushes it.
    pub fn append<T: Serialize>(&self, record: &T) -> Result<(), RunDirError> {
        let mut line = serde_json::to_vec(record)
            .map_err(|e| RunDirError::Serialize { path: self.path.clone(), message: e.to_string() })?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(&line).and_then(|()| file.flush()).map_err(|e| RunDirError::io(&self.path, "write", e))
    }
}

/// The temporary file [`write_atomic`] writes before renaming it over
/// `path`: `<file name>.tmp` beside it, so outputs written side by side never
/// share one.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Replaces `path` atomically: writes a temporary file beside it, syncs it
/// and renames it over `path`, so a reader sees the old file or the new one,
/// never a part.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), RunDirError> {
    let tmp = temp_path(path);
    let mut file = File::create(&tmp).map_err(|e| RunDirError::io(&tmp, "create", e))?;
    file.write_all(contents).and_then(|()| file.sync_all()).map_err(|e| RunDirError::io(&tmp, "write", e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| RunDirError::io(path, "replace", e))
}

/// Replaces `path` atomically with `value` as pretty-printed JSON.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), RunDirError> {
    let text = serde_json::to_vec_pretty(value)
        .map_err(|e| RunDirError::Serialize { path: path.to_owned(), message: e.to_string() })?;
    write_atomic(path, &text)
}

/// Replaces `manifest.json` of the run directory `dir`.
pub fn write_manifest(dir: &Path, manifest: &RunManifest) -> Result<(), RunDirError> {
    write_json_atomic(&dir.join(files::MANIFEST), manifest)
}

/// Replaces `metrics.json` of the run directory `dir`.
pub fn write_metrics(dir: &Path, metrics: &Metrics) -> Result<(), RunDirError> {
    write_json_atomic(&dir.join(files::METRICS), metrics)
}

/// A run directory open for writing: the appenders of its JSONL files.
#[derive(Debug)]
pub struct RunDir {
    dir: PathBuf,
    cases: Appender,
    requests: Appender,
    outputs: Appender,
    verdicts: Appender,
    skipped: Appender,
}

impl RunDir {
    /// Creates a new run directory (it must not exist; its parent may not
    /// exist yet).
    pub fn create(dir: &Path) -> Result<RunDir, RunDirError> {
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| RunDirError::io(parent, "create", e))?;
        std::fs::create_dir(dir).map_err(|e| RunDirError::io(dir, "create the run directory", e))?;
        RunDir::open(dir)
    }

    /// Opens an existing run directory for appending.
    pub fn open(dir: &Path) -> Result<RunDir, RunDirError> {
        Ok(RunDir {
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

    /// Replaces `manifest.json`.
    pub fn write_manifest(&self, manifest: &RunManifest) -> Result<(), RunDirError> {
        write_manifest(&self.dir, manifest)
    }

    /// Appends a request and its reply to `requests.jsonl`.
    pub fn request(&self, record: &RequestRecord) -> Result<(), RunDirError> {
        self.requests.append(record)
    }

    /// Appends a case to `cases.jsonl`.
    pub fn case(&self, record: &CaseRecord) -> Result<(), RunDirError> {
        self.cases.append(record)
    }

    /// Appends an output to `outputs.jsonl`.
    pub fn output(&self, record: &OutputRecord) -> Result<(), RunDirError> {
        self.outputs.append(record)
    }

    /// Appends a verdict to `verdicts.jsonl`.
    pub fn verdict(&self, record: &VerdictRecord) -> Result<(), RunDirError> {
        self.verdicts.append(record)
    }

    /// Appends a skipped item to `skipped.jsonl`.
    pub fn skipped(&self, record: &SkippedRecord) -> Result<(), RunDirError> {
        self.skipped.append(record)
    }
}
