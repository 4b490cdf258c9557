//! Writing a run directory: JSONL appends (with the tail repaired on open and
//! a failed append rolled back) and atomic replacements through temporary
//! files of their own.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::RunDirError;
use crate::files;
use crate::images::ImageStore;
use crate::metrics::Metrics;
use crate::record::{CaseRecord, OutputRecord, RequestRecord, RunManifest, SkippedRecord, VerdictRecord};

/// What [`Appender::open`] did to a last line left unfinished by a crash,
/// before appending anything after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The file.
    pub path: PathBuf,
    /// 1-based number of the last line.
    pub line: usize,
    /// Byte offset of the last line.
    pub offset: u64,
    /// Bytes in the last line (without a newline).
    pub len: u64,
    /// What was done.
    pub action: RepairAction,
}

/// How a last line without its newline was repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairAction {
    /// It was not a whole record (a write cut short): its bytes were removed.
    /// The record had never counted, so nothing finished is lost.
    Truncated,
    /// It was a whole record missing only its newline: the newline was added.
    Terminated,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.action {
            RepairAction::Truncated => write!(
                f,
                "{}:{}: removed an unfinished last record ({} bytes, a write cut short by a crash or a full disk); \
                 it had not counted, so the run redoes it",
                self.path.display(),
                self.line,
                self.len
            ),
            RepairAction::Terminated => write!(
                f,
                "{}:{}: the last record was complete but had no newline (a crash mid-write); the newline was added",
                self.path.display(),
                self.line
            ),
        }
    }
}

/// Where an [`Appender`] writes: a file, or in tests a file that fails part-way.
pub(crate) trait Sink: Write + Send + fmt::Debug {
    /// Truncates (or extends) the file to `len` bytes.
    fn set_len(&mut self, len: u64) -> std::io::Result<()>;
}

impl Sink for File {
    fn set_len(&mut self, len: u64) -> std::io::Result<()> {
        File::set_len(self, len)
    }
}

#[derive(Debug)]
struct Inner {
    sink: Box<dyn Sink>,
    /// The file's length after the last complete record.
    len: u64,
}

/// An append-only JSONL file, shared between threads.
///
/// Every record is one line written with one `write` call and flushed before
/// [`Appender::append`] returns, so a process killed at any moment (SIGKILL
/// included) leaves at most an unfinished last line. Opening repairs that
/// line before anything is appended after it (see [`Repair`]); an append that
/// fails part-way (a full disk) cuts the file back to its length before the
/// write, so no half line is ever left between two records.
#[derive(Debug)]
pub struct Appender {
    path: PathBuf,
    inner: Mutex<Inner>,
    repair: Option<Repair>,
}

impl Appender {
    /// Opens `path` for appending, creating it if needed, and repairs an
    /// unfinished last line (see [`Appender::repair`]).
    pub fn open(path: PathBuf) -> Result<Appender, RunDirError> {
        Appender::open_with(path, |file| Box::new(file))
    }

    /// [`Appender::open`], writing through `wrap(file)`.
    pub(crate) fn open_with(path: PathBuf, wrap: impl FnOnce(File) -> Box<dyn Sink>) -> Result<Appender, RunDirError> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| RunDirError::io(&path, "open", e))?;
        let repair = repair_tail(&path, &mut file)?;
        let len = file.metadata().map_err(|e| RunDirError::io(&path, "read", e))?.len();
        Ok(Appender { path, inner: Mutex::new(Inner { sink: wrap(file), len }), repair })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening repaired, if the last line was unfinished.
    pub fn repair(&self) -> Option<&Repair> {
        self.repair.as_ref()
    }

    /// Appends one record as one line and flushes it. On failure the file is
    /// cut back to its length before the write and the error names the file.
    pub fn append<T: Serialize>(&self, record: &T) -> Result<(), RunDirError> {
        let mut line = serde_json::to_vec(record)
            .map_err(|e| RunDirError::Serialize { path: self.path.clone(), message: e.to_string() })?;
        line.push(b'\n');
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match inner.sink.write_all(&line).and_then(|()| inner.sink.flush()) {
            Ok(()) => {
                inner.len += line.len() as u64;
                Ok(())
            }
            Err(error) => {
                let len = inner.len;
                let rollback = inner.sink.set_len(len).err();
                Err(RunDirError::Append { path: self.path.clone(), error, rollback })
            }
        }
    }
}

/// Repairs a last line without its newline: a whole JSON value gets its
/// newline, anything else is cut off. Reads only the tail unless it repairs.
fn repair_tail(path: &Path, file: &mut File) -> Result<Option<Repair>, RunDirError> {
    let io = |e| RunDirError::io(path, "repair", e);
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8];
    file.seek(SeekFrom::Start(len - 1)).map_err(io)?;
    file.read_exact(&mut last).map_err(io)?;
    if last[0] == b'\n' {
        return Ok(None);
    }
    // The start of the last line: after the last newline before the end.
    let mut start = 0;
    let mut end = len;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let from = end.saturating_sub(chunk.len() as u64);
        let n = (end - from) as usize;
        file.seek(SeekFrom::Start(from)).map_err(io)?;
        file.read_exact(&mut chunk[..n]).map_err(io)?;
        if let Some(i) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            start = from + i as u64 + 1;
            break;
        }
        end = from;
    }
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    file.read_to_end(&mut tail).map_err(io)?;
    let whole = !tail.iter().all(u8::is_ascii_whitespace) && serde_json::from_slice::<serde_json::Value>(&tail).is_ok();
    let action = if whole {
        file.write_all(b"\n").and_then(|()| file.flush()).map_err(|e| RunDirError::io(path, "repair", e))?;
        RepairAction::Terminated
    } else {
        file.set_len(start).map_err(io)?;
        RepairAction::Truncated
    };
    // The line number: count the lines before it (only when repairing).
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut newlines = 0;
    let mut left = start;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        file.read_exact(&mut chunk[..n]).map_err(io)?;
        newlines += chunk[..n].iter().filter(|&&b| b == b'\n').count();
        left -= n as u64;
    }
    Ok(Some(Repair { path: path.to_owned(), line: newlines + 1, offset: start, len: len - start, action }))
}

/// Temporary files made by this process (the `<n>` of [`temp_path`]).
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary file for [`write_atomic`] to write before renaming it
/// over `path`: `.<file name>.<pid>.<n>.tmp` beside it, unique per process
/// and call, so two writers (threads or processes) never share one.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    name.push(format!(".{}.{n}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Replaces `path` atomically: writes a temporary file of its own beside it,
/// syncs it and renames it over `path`, so a reader sees the old file or the
/// new one, never a part. On failure the temporary file is removed.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), RunDirError> {
    let tmp = temp_path(path);
    let written = File::create(&tmp).map_err(|e| RunDirError::io(&tmp, "create", e)).and_then(|mut file| {
        file.write_all(contents).and_then(|()| file.sync_all()).map_err(|e| RunDirError::io(&tmp, "write", e))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(|e| RunDirError::io(path, "replace", e))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Removes the temporary files that an interrupted [`write_atomic`] of one of
/// `outputs` (file names) left in `dir`, and returns them. Only our own names
/// are touched: `.<output>.<pid>.<n>.tmp` whose process is gone, and
/// `<output>.tmp` (the name earlier versions used).
pub fn remove_stray_temps(dir: &Path, outputs: &[&str]) -> Result<Vec<PathBuf>, RunDirError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RunDirError::io(dir, "read", e)),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| RunDirError::io(dir, "read", e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !outputs.iter().any(|output| is_stray_temp(name, output)) {
            continue;
        }
        if !entry.file_type().map_err(|e| RunDirError::io(&entry.path(), "read", e))?.is_file() {
            continue;
        }
        let path = entry.path();
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            // Its writer renamed it meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(RunDirError::io(&path, "remove", e)),
        }
    }
    removed.sort();
    Ok(removed)
}

/// `name` is a temporary file of `output` left by a writer that is gone.
fn is_stray_temp(name: &str, output: &str) -> bool {
    if name.strip_suffix(".tmp") == Some(output) {
        return true;
    }
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_prefix(output)) else { return false };
    let Some(rest) = rest.strip_prefix('.').and_then(|r| r.strip_suffix(".tmp")) else { return false };
    let Some((pid, n)) = rest.split_once('.') else { return false };
    let (Ok(pid), Ok(_)) = (pid.parse::<u32>(), n.parse::<u64>()) else { return false };
    pid != std::process::id() && !process_alive(pid)
}

/// Whether a process `pid` runs (when this cannot be known: assume it does,
/// so a live writer's file is never removed).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") { Path::new("/proc").join(pid.to_string()).exists() } else { true }
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
    images: ImageStore,
    removed_temps: Vec<PathBuf>,
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

    /// Opens an existing run directory for appending: removes the temporary
    /// files an interrupted atomic write left (see [`remove_stray_temps`])
    /// and repairs each JSONL file's unfinished last line (see
    /// [`RunDir::repairs`]).
    pub fn open(dir: &Path) -> Result<RunDir, RunDirError> {
        let mut removed_temps = remove_stray_temps(dir, &[files::MANIFEST, files::METRICS])?;
        let images = ImageStore::new(dir);
        removed_temps.extend(images.remove_stray_temps()?);
        Ok(RunDir {
            dir: dir.to_owned(),
            cases: Appender::open(dir.join(files::CASES))?,
            requests: Appender::open(dir.join(files::REQUESTS))?,
            outputs: Appender::open(dir.join(files::OUTPUTS))?,
            verdicts: Appender::open(dir.join(files::VERDICTS))?,
            skipped: Appender::open(dir.join(files::SKIPPED))?,
            images,
            removed_temps,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The image store (`images/`): every image of a case or request once.
    pub fn images(&self) -> &ImageStore {
        &self.images
    }

    /// The unfinished last lines opening repaired, in file order.
    pub fn repairs(&self) -> Vec<&Repair> {
        [&self.cases, &self.requests, &self.outputs, &self.verdicts, &self.skipped]
            .into_iter()
            .filter_map(Appender::repair)
            .collect()
    }

    /// The stray temporary files opening removed.
    pub fn removed_temps(&self) -> &[PathBuf] {
        &self.removed_temps
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
