//! Tests of the run directory: the reader's line numbers, torn lines and
//! errors, appends, atomic writes, and the resume view.

use expect_test::{Expect, expect};
use trustgen_plugin_api::{ModelOutput, TestCase, Verdict};

use super::*;

/// Reads `text` as a JSONL file and renders every yielded item, then the
/// torn tail, one per line (the temp dir's path replaced by `$DIR`).
#[track_caller]
fn check(text: &str, expected: Expect) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    std::fs::write(&path, text).unwrap();
    let mut reader = JsonlReader::<serde_json::Value>::open(&path).unwrap();
    let mut out = String::new();
    for item in reader.by_ref() {
        match item {
            Ok(line) => out.push_str(&format!("{}@{}: {}\n", line.number, line.offset, line.record)),
            Err(err) => out.push_str(&format!("error: {err}\n")),
        }
    }
    if let Some(torn) = reader.torn() {
        out.push_str(&format!("torn: {torn:?}\n"));
    }
    expected.assert_eq(&out.replace(&dir.path().display().to_string(), "$DIR"));
}

#[test]
fn the_reader_numbers_lines_and_reports_a_torn_tail() {
    check("", expect![[""]]);
    check(
        "{\"a\":1}\n\n{\"a\":2}\n",
        expect![[r#"
            1@0: {"a":1}
            3@9: {"a":2}
        "#]],
    );
    check(
        "{\"a\":1}\n{\"a\":2}\n{\"a\":",
        expect![[r#"
            1@0: {"a":1}
            2@8: {"a":2}
            torn: Torn { line: 3, offset: 16, len: 5 }
        "#]],
    );
    check(
        "{\"a\":1}\nnope\n{\"a\":3}\n",
        expect![[r#"
            1@0: {"a":1}
            error: $DIR/x.jsonl:2: expected ident at line 1 column 2; hint: run directory files are written by trustgen only; restore the file from a copy or start a new run
        "#]],
    );
    check(
        "{\"a\":1}\n\u{0}\u{ff}\n",
        expect![[r#"
            1@0: {"a":1}
            error: $DIR/x.jsonl:2: expected value at line 1 column 1; hint: run directory files are written by trustgen only; restore the file from a copy or start a new run
        "#]],
    );
}

#[test]
fn a_missing_file_reads_as_empty_and_a_missing_manifest_is_named() {
    let dir = tempfile::tempdir().unwrap();
    assert!(read_jsonl::<serde_json::Value>(&dir.path().join("missing.jsonl")).unwrap().is_empty());
    let err = read_manifest(dir.path()).unwrap_err();
    assert_eq!(err.path(), dir.path().join(files::MANIFEST));
    assert!(err.to_string().starts_with("cannot read "), "{err}");
}

fn case(id: &str) -> CaseRecord {
    CaseRecord { dimension: "safety".into(), case: TestCase::new(id, "t", vec![]) }
}

fn verdict(id: &str, score: f64) -> VerdictRecord {
    VerdictRecord {
        case_id: id.into(),
        dimension: "safety".into(),
        task: "t".into(),
        verdict: Verdict::missing("x").with_score(score),
    }
}

#[test]
fn what_is_appended_reads_back_for_resume_and_for_reports() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("runs").join("r1");
    let run = RunDir::create(&dir).unwrap();
    assert!(RunDir::create(&dir).is_err(), "a run directory is never reused by create");
    let manifest = RunManifest { run_id: "r1".into(), seed: 7, ..RunManifest::default() };
    run.write_manifest(&manifest).unwrap();
    run.case(&case("a")).unwrap();
    run.case(&case("b")).unwrap();
    run.output(&OutputRecord { case_id: "a".into(), output: ModelOutput::default() }).unwrap();
    run.verdict(&verdict("a", 0.0)).unwrap();
    run.verdict(&verdict("a", 1.0)).unwrap();
    run.skipped(&SkippedRecord { dimension: "safety".into(), task: "t".into(), item: "3".into(), reason: "r".into() })
        .unwrap();
    drop(run);

    // Appending after a reopen keeps what was there.
    RunDir::open(&dir).unwrap().case(&case("c")).unwrap();
    let resume = Resume::read(&dir).unwrap();
    assert_eq!(resume.cases.len(), 3);
    assert_eq!(resume.outputs.len(), 1);
    assert_eq!(resume.verdicts["a"].verdict.score, Some(1.0), "the later line wins");
    assert_eq!(resume.skipped.len(), 1);
    assert!(resume.replies.is_empty());

    let data = RunData::read(&dir).unwrap();
    assert_eq!(data.manifest, manifest);
    assert_eq!(data.cases.iter().map(|c| c.case.id.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(data.verdicts.len(), 2, "a report sees every line, in file order");

    let metrics = Metrics { run_id: "r1".into(), seed: 7, ..Metrics::default() };
    write_metrics(&dir, &metrics).unwrap();
    assert_eq!(read_json::<Metrics>(&dir.join(files::METRICS)).unwrap(), metrics);
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            files::CASES,
            files::MANIFEST,
            files::METRICS,
            files::OUTPUTS,
            files::REQUESTS,
            files::SKIPPED,
            files::VERDICTS
        ],
        "no temporary file is left behind"
    );
}

#[test]
fn atomic_writes_use_one_temporary_name_per_output_and_call() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let json = dir.path().join("report.json");
    assert_ne!(temp_path(&html), temp_path(&json));
    assert_ne!(temp_path(&html), temp_path(&html), "two writers of one output never share a temporary file");
    let name = temp_path(&html).file_name().unwrap().to_string_lossy().into_owned();
    let pid = std::process::id().to_string();
    let parts: Vec<&str> = name.split('.').collect();
    assert_eq!(parts[..4], ["", "report", "html", pid.as_str()], "{name}");
    assert!(parts[4].parse::<u64>().is_ok() && parts[5] == "tmp" && parts.len() == 6, "{name}");
    write_atomic(&html, b"old").unwrap();
    write_atomic(&html, b"new").unwrap();
    assert_eq!(std::fs::read(&html).unwrap(), b"new");
    let err = write_atomic(&dir.path().join("no/such/dir/x.json"), b"").unwrap_err().to_string();
    assert!(err.starts_with("cannot create ") && err.contains("/.x.json.") && err.ends_with("(os error 2)"), "{err}");
    // A write whose rename fails (a directory is in the way) removes its temporary file.
    std::fs::create_dir_all(dir.path().join("occupied/inside")).unwrap();
    let err = write_atomic(&dir.path().join("occupied"), b"x").unwrap_err().to_string();
    assert!(err.starts_with("cannot replace "), "{err}");
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["occupied", "report.html"], "no temporary file is left behind");
}

/// A pid no process has (Linux pids stay below 2^22).
const GONE: u32 = 4_000_000_000;

#[test]
fn stray_temp_files_are_removed() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    RunDir::create(&dir).unwrap();
    let mine = std::process::id();
    let names = [
        format!(".manifest.json.{GONE}.0.tmp"), // an interrupted write of a gone process: removed
        "metrics.json.tmp".to_string(),         // the name earlier versions used: removed
        format!(".metrics.json.{mine}.7.tmp"),  // this process may be writing it: kept
        ".manifest.json.1.0.tmp".to_string(),   // pid 1 lives: kept
        format!(".notes.txt.{GONE}.0.tmp"),     // not an output of ours: kept
        "user.tmp".to_string(),                 // not ours: kept
        format!(".manifest.json.{GONE}.x.tmp"), // not our pattern: kept
    ];
    for name in &names {
        std::fs::write(dir.join(name), "partial").unwrap();
    }
    let run = RunDir::open(&dir).unwrap();
    let removed: Vec<String> =
        run.removed_temps().iter().map(|p| p.strip_prefix(&dir).unwrap().display().to_string()).collect();
    assert_eq!(removed, [format!(".manifest.json.{GONE}.0.tmp"), "metrics.json.tmp".to_string()]);
    for name in &names[2..] {
        assert!(dir.join(name).is_file(), "{name} was removed");
    }
    // The report's outputs, before a report is written.
    std::fs::write(dir.join(format!(".report.html.{GONE}.3.tmp")), "x").unwrap();
    let removed = remove_stray_temps(&dir, &["report.html", "report.json"]).unwrap();
    assert_eq!(removed, [dir.join(format!(".report.html.{GONE}.3.tmp"))]);
}

/// Writes `before` into a JSONL file, opens an appender on it, appends
/// `{"n":9}` and renders the repair and the file afterwards (`$DIR` for the
/// temp dir).
#[track_caller]
fn check_append(before: &str, expected: Expect) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    std::fs::write(&path, before).unwrap();
    let appender = Appender::open(path.clone()).unwrap();
    let repair = appender.repair().map(|r| format!("repair: {r}\n")).unwrap_or_default();
    appender.append(&serde_json::json!({"n": 9})).unwrap();
    drop(appender);
    let after = std::fs::read_to_string(&path).unwrap();
    let records = read_jsonl::<serde_json::Value>(&path).unwrap();
    assert_eq!(records.last(), Some(&serde_json::json!({"n": 9})), "what was appended reads back");
    expected.assert_eq(&format!("{repair}{after}").replace(&dir.path().display().to_string(), "$DIR"));
}

#[test]
fn a_torn_last_line_is_repaired_before_appending() {
    check_append(
        "{\"n\":1}\n{\"n\":2}\n{\"n\":",
        expect![[r#"
            repair: $DIR/x.jsonl:3: removed an unfinished last record (5 bytes, a write cut short by a crash or a full disk); it had not counted, so the run redoes it
            {"n":1}
            {"n":2}
            {"n":9}
        "#]],
    );
    check_append(
        "{\"n\":\"a long string cut sho",
        expect![[r#"
            repair: $DIR/x.jsonl:1: removed an unfinished last record (27 bytes, a write cut short by a crash or a full disk); it had not counted, so the run redoes it
            {"n":9}
        "#]],
    );
    // A long line: the start of the last line is found across read chunks.
    let long = format!("{{\"n\":\"{}\"}}\n{{\"n\":\"{}", "a".repeat(70_000), "b".repeat(150_000));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    std::fs::write(&path, &long).unwrap();
    let appender = Appender::open(path.clone()).unwrap();
    let repair = appender.repair().unwrap();
    assert_eq!((repair.line, repair.offset, repair.len), (2, 70_009, 150_006));
    assert_eq!(repair.action, RepairAction::Truncated);
    appender.append(&1).unwrap();
    assert_eq!(read_jsonl::<serde_json::Value>(&path).unwrap().len(), 2);
    // Nothing to repair: nothing is done.
    check_append(
        "",
        expect![[r#"
        {"n":9}
    "#]],
    );
    check_append(
        "{\"n\":1}\n",
        expect![[r#"
        {"n":1}
        {"n":9}
    "#]],
    );
}

#[test]
fn a_complete_last_line_without_newline_is_terminated() {
    check_append(
        "{\"n\":1}\n{\"n\":2}",
        expect![[r#"
            repair: $DIR/x.jsonl:2: the last record was complete but had no newline (a crash mid-write); the newline was added
            {"n":1}
            {"n":2}
            {"n":9}
        "#]],
    );
    // The reader agrees: the record counts, before and after the repair.
    check(
        "{\"a\":1}\n{\"a\":2}",
        expect![[r#"
            1@0: {"a":1}
            2@8: {"a":2}
        "#]],
    );
}

/// A file that takes `budget` more bytes, then fails as a full disk does.
#[derive(Debug)]
struct FullDisk {
    file: std::fs::File,
    budget: usize,
}

impl std::io::Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.budget == 0 {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        let n = self.file.write(&buf[..buf.len().min(self.budget)])?;
        self.budget -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl crate::write::Sink for FullDisk {
    fn set_len(&mut self, len: u64) -> std::io::Result<()> {
        self.file.set_len(len)
    }
}

#[test]
fn a_full_disk_mid_write_leaves_no_half_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(files::VERDICTS);
    let good = Appender::open(path.clone()).unwrap();
    good.append(&verdict("a", 1.0)).unwrap();
    drop(good);
    let before = std::fs::read(&path).unwrap();

    // The disk fills up 20 bytes into the next record, then frees again.
    let full = Appender::open_with(path.clone(), |file| Box::new(FullDisk { file, budget: 20 })).unwrap();
    let err = full.append(&verdict("b", 0.0)).unwrap_err();
    expect![[r#"
        cannot write $DIR/verdicts.jsonl: No space left on device (os error 28); the unfinished record was removed, the file holds every earlier record; hint: fix the cause (e.g. free disk space), then continue the run with `trustgen run --resume <run directory>`
    "#]]
    .assert_eq(&format!("{err}\n").replace(&dir.path().display().to_string(), "$DIR"));
    assert_eq!(err.path(), path);
    assert_eq!(std::fs::read(&path).unwrap(), before, "the half line is gone");
    drop(full);

    // A resumed run finds nothing to repair and appends after the last good record.
    let resumed = Appender::open(path.clone()).unwrap();
    assert_eq!(resumed.repair(), None);
    resumed.append(&verdict("b", 0.0)).unwrap();
    let ids: Vec<String> = read_jsonl::<VerdictRecord>(&path).unwrap().into_iter().map(|v| v.case_id).collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn run_data_leaves_out_a_torn_tail_and_names_it() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("r1");
    let run = RunDir::create(&dir).unwrap();
    run.write_manifest(&RunManifest { run_id: "r1".into(), ..RunManifest::default() }).unwrap();
    run.case(&case("a")).unwrap();
    run.verdict(&verdict("a", 1.0)).unwrap();
    drop(run);
    let mut file = std::fs::OpenOptions::new().append(true).open(dir.join(files::VERDICTS)).unwrap();
    std::io::Write::write_all(&mut file, b"{\"case_id\":\"b\",\"dimen").unwrap();
    let data = RunData::read(&dir).unwrap();
    assert_eq!(data.verdicts.len(), 1, "every line before the torn one is read");
    let warnings: Vec<String> =
        data.torn.iter().map(|t| t.to_string().replace(&root.path().display().to_string(), "$DIR")).collect();
    expect![[r#"
        [
            "$DIR/r1/verdicts.jsonl:2: the last line is torn (21 bytes, a write cut short by a crash) and was left out; the 1 lines before it were read; hint: `trustgen run --resume` on the run directory repairs it and redoes that record",
        ]
    "#]]
    .assert_debug_eq(&warnings);
}

/// A manifest with the suite hash `suite`, `(name, version)` plugins and
/// `(path, sha256)` data files.
fn inputs(suite: &str, plugins: &[(&str, &str)], data: &[(&str, &str)]) -> RunManifest {
    RunManifest {
        suite: SuiteRecord { path: "/p/suite.toml".into(), sha256: suite.into(), ..SuiteRecord::default() },
        plugins: plugins
            .iter()
            .map(|(name, version)| PluginRecord {
                name: (*name).into(),
                version: (*version).into(),
                ..PluginRecord::default()
            })
            .collect(),
        data_files: data
            .iter()
            .map(|(path, sha256)| DataFileRecord {
                path: (*path).into(),
                sha256: (*sha256).into(),
                rows: 1,
                ..DataFileRecord::default()
            })
            .collect(),
        ..RunManifest::default()
    }
}

#[test]
fn input_changes_list_every_difference_in_suite_plugins_and_data_files() {
    let before = inputs("s1", &[("safety", "0.1.0"), ("gone", "1.0.0")], &[("a.jsonl", "h1"), ("b.jsonl", "h2")]);
    assert_eq!(before.input_changes(&before), [], "the same inputs: nothing to refuse");
    let after = inputs(
        "s2",
        &[("safety", "0.2.0"), ("new", "2.0.0")],
        &[("a.jsonl", "h1"), ("b.jsonl", "h3"), ("c.jsonl", "h4")],
    );
    let changes: Vec<String> = before.input_changes(&after).iter().map(ToString::to_string).collect();
    expect![[r#"
        [
            "suite `/p/suite.toml`: sha256 was s1, is now s2",
            "plugin `gone` (version 1.0.0) is no longer used",
            "plugin `new` (version 2.0.0) was not used before",
            "plugin `safety`: version was 0.1.0, is now 0.2.0",
            "data file `b.jsonl`: sha256 was h2, is now h3",
            "data file `c.jsonl` (sha256 h4) was not used before",
        ]
    "#]]
    .assert_debug_eq(&changes);
}
