//! Reading a run directory: one JSONL reader that knows where each record
//! came from, and the two views built on it (what the engine resumes from,
//! what a report reads).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use trustgen_plugin_api::ModelReply;

use crate::error::RunDirError;
use crate::files;
use crate::record::{CaseRecord, OutputRecord, RequestRecord, RunManifest, SkippedRecord, VerdictRecord};

/// Reads a whole-file JSON record (`manifest.json`, `metrics.json`).
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, RunDirError> {
    let text = std::fs::read_to_string(path).map_err(|e| RunDirError::io(path, "read", e))?;
    serde_json::from_str(&text).map_err(|e| RunDirError::Parse {
        path: path.to_owned(),
        line: e.line(),
        message: e.to_string(),
    })
}

/// Reads `manifest.json` of the run directory `dir`.
pub fn read_manifest(dir: &Path) -> Result<RunManifest, RunDirError> {
    read_json(&dir.join(files::MANIFEST))
}

/// Reads every record of a JSONL file; a missing file is empty and a torn
/// last line is left out (see [`JsonlReader`]; [`read_jsonl_tail`] also says
/// whether there was one).
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, RunDirError> {
    Ok(read_jsonl_tail(path)?.0)
}

/// Reads every record of a JSONL file, and its torn last line if it has one.
pub fn read_jsonl_tail<T: DeserializeOwned>(path: &Path) -> Result<(Vec<T>, Option<TornTail>), RunDirError> {
    let mut reader = JsonlReader::open(path)?;
    let records = reader.by_ref().map(|line| line.map(|l| l.record)).collect::<Result<Vec<T>, _>>()?;
    let torn = reader.torn().map(|torn| TornTail { path: path.to_owned(), torn });
    Ok((records, torn))
}

/// A torn last line of a file, as a report reads it: every line before it
/// was read, the torn line was not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The file.
    pub path: PathBuf,
    /// The line.
    pub torn: Torn,
}

impl std::fmt::Display for TornTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: the last line is torn ({} bytes, a write cut short by a crash) and was left out; \
             the {} lines before it were read; hint: `trustgen run --resume` on the run directory repairs it and \
             redoes that record",
            self.path.display(),
            self.torn.line,
            self.torn.len,
            self.torn.line - 1
        )
    }
}

/// A record and the line it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<T> {
    /// 1-based line number.
    pub number: usize,
    /// Byte offset of the line's start.
    pub offset: u64,
    /// The record.
    pub record: T,
}

/// A last line without its newline that is not a whole record: a write cut
/// short by a kill or a full disk. The record never counted; its bytes start
/// at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Torn {
    /// 1-based line number.
    pub line: usize,
    /// Byte offset of the torn line (the length of the good prefix).
    pub offset: u64,
    /// Bytes in the torn line.
    pub len: usize,
}

/// Reads a JSONL file record by record, with line numbers.
///
/// A missing file reads as empty. Blank lines are skipped. A last line
/// without its newline is yielded when it is a whole record (only the newline
/// was lost, as [`Appender::open`](crate::Appender::open) also decides);
/// otherwise it is torn (cut short by a kill and never counted): it is not
/// yielded, every line before it is, and [`JsonlReader::torn`] reports it once
/// the reader is exhausted. Any other bad line is an error naming the file and
/// line; the reader yields nothing after an error.
#[derive(Debug)]
pub struct JsonlReader<T> {
    path: PathBuf,
    reader: Option<BufReader<File>>,
    number: usize,
    offset: u64,
    torn: Option<Torn>,
    buf: Vec<u8>,
    record: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> JsonlReader<T> {
    /// Opens `path` (a missing file reads as empty).
    pub fn open(path: &Path) -> Result<JsonlReader<T>, RunDirError> {
        let reader = match File::open(path) {
            Ok(file) => Some(BufReader::new(file)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(RunDirError::io(path, "read", e)),
        };
        Ok(JsonlReader {
            path: path.to_owned(),
            reader,
            number: 0,
            offset: 0,
            torn: None,
            buf: Vec::new(),
            record: PhantomData,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The torn last line, once the reader is exhausted (if there was one).
    pub fn torn(&self) -> Option<Torn> {
        self.torn
    }

    fn next_line(&mut self) -> Result<Option<Line<T>>, RunDirError> {
        loop {
            let Some(reader) = self.reader.as_mut() else { return Ok(None) };
            self.buf.clear();
            let read = reader.read_until(b'\n', &mut self.buf).map_err(|e| RunDirError::io(&self.path, "read", e))?;
            if read == 0 {
                self.reader = None;
                return Ok(None);
            }
            self.number += 1;
            let offset = self.offset;
            self.offset += read as u64;
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if self.buf.last() != Some(&b'\n') {
                // The last line, without its newline: a whole record (only the
                // newline was lost) counts; anything else is torn.
                self.reader = None;
                return match serde_json::from_slice(&self.buf) {
                    Ok(record) => Ok(Some(Line { number: self.number, offset, record })),
                    Err(_) => {
                        self.torn = Some(Torn { line: self.number, offset, len: read });
                        Ok(None)
                    }
                };
            }
            let record = serde_json::from_slice(&self.buf).map_err(|e| RunDirError::Parse {
                path: self.path.clone(),
                line: self.number,
                message: e.to_string(),
            })?;
            return Ok(Some(Line { number: self.number, offset, record }));
        }
    }
}

impl<T: DeserializeOwned> Iterator for JsonlReader<T> {
    type Item = Result<Line<T>, RunDirError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_line() {
            Ok(line) => line.map(Ok),
            Err(err) => {
                self.reader = None;
                Some(Err(err))
            }
        }
    }
}

/// What an earlier, interrupted session of a run directory finished: what
/// the engine reads to resume.
#[derive(Debug, Default)]
pub struct Resume {
    /// Recorded replies by request key.
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

impl Resume {
    /// Reads the records of the run directory `dir` (a later line for the
    /// same key or case wins).
    pub fn read(dir: &Path) -> Result<Resume, RunDirError> {
        let mut resume = Resume::default();
        for record in read_jsonl::<RequestRecord>(&dir.join(files::REQUESTS))? {
            resume.replies.insert(record.key, record.reply);
        }
        for record in read_jsonl::<CaseRecord>(&dir.join(files::CASES))? {
            resume.cases.insert(record.case.id.clone(), record);
        }
        for record in read_jsonl::<OutputRecord>(&dir.join(files::OUTPUTS))? {
            resume.outputs.insert(record.case_id.clone(), record);
        }
        for record in read_jsonl::<VerdictRecord>(&dir.join(files::VERDICTS))? {
            resume.verdicts.insert(record.case_id.clone(), record);
        }
        resume.skipped = read_jsonl(&dir.join(files::SKIPPED))?;
        Ok(resume)
    }
}

/// Everything a report reads of a run directory, in file order.
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
    /// Torn last lines left out (a run killed mid-write and not resumed):
    /// what a report warns about.
    pub torn: Vec<TornTail>,
}

impl RunData {
    /// Reads the run directory `dir`; a torn last line is left out and
    /// reported in [`RunData::torn`].
    pub fn read(dir: &Path) -> Result<RunData, RunDirError> {
        fn read<T: DeserializeOwned>(dir: &Path, name: &str, torn: &mut Vec<TornTail>) -> Result<Vec<T>, RunDirError> {
            let (records, tail) = read_jsonl_tail(&dir.join(name))?;
            torn.extend(tail);
            Ok(records)
        }
        let manifest = read_manifest(dir)?;
        let mut torn = Vec::new();
        let cases = read(dir, files::CASES, &mut torn)?;
        let outputs = read(dir, files::OUTPUTS, &mut torn)?;
        let verdicts = read(dir, files::VERDICTS, &mut torn)?;
        let skipped = read(dir, files::SKIPPED, &mut torn)?;
        Ok(RunData { dir: dir.to_owned(), manifest, cases, outputs, verdicts, skipped, torn })
    }
}
