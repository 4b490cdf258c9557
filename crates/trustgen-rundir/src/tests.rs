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
fn atomic_writes_use_one_temporary_name_per_output() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let json = dir.path().join("report.json");
    assert_ne!(temp_path(&html), temp_path(&json));
    assert_eq!(temp_path(&html), dir.path().join("report.html.tmp"));
    write_atomic(&html, b"old").unwrap();
    write_atomic(&html, b"new").unwrap();
    assert_eq!(std::fs::read(&html).unwrap(), b"new");
    let err = write_atomic(&dir.path().join("no/such/dir/x.json"), b"").unwrap_err().to_string();
    assert!(err.starts_with("cannot create ") && err.contains("x.json.tmp"), "{err}");
}
