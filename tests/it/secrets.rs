//! Secrets and untrusted bytes, end to end against the test server's fault-injection modes: a key
//! the server echoes in every kind of reply reaches no file and no output, an endless reply is cut
//! at `max_reply_bytes`, provider text on the terminal carries no control characters, and the HTML
//! report shows bidirectional overrides and NUL as visible escapes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use trustgen_testserver::{Fault, Rule, Script, ServerConfig, TestServer};

use crate::support::{self, run, run_dir, testdim_dir};

const KEY_VAR: &str = "TG_IT_SECRET_KEY";
/// A key no reply, file or log would contain by chance.
const KEY: &str = "sk-DISTINCT-7q3w9e1r5t-K3y";

fn server(rules: Vec<Rule>) -> TestServer {
    let script = Script::new(rules).unwrap_or_else(|e| panic!("{e}"));
    TestServer::spawn(ServerConfig::default().with_script(script)).unwrap()
}

/// A suite running `testdim` (`limit` cases) against the test server, no retries; `target_extra`
/// goes into `[models.target]`.
fn write_suite(dir: &Path, base: &str, limit: u32, target_extra: &str) -> PathBuf {
    let text = format!(
        r#"[run]
name = "secrets"
seed = 11
concurrency = 2
output_dir = "{out}"

[plugins]
dirs = ["{plugins}"]

[models.target]
provider = "openai"
model = "target-model"
base_url = "{base}/v1"
api_key_env = "{KEY_VAR}"
{target_extra}

[models.judge]
provider = "openai"
model = "judge-model"
base_url = "{base}/v1"
api_key_env = "{KEY_VAR}"
max_retries = 0

[[dimension]]
plugin = "testdim"
limit = {limit}
"#,
        out = dir.join("runs").display(),
        plugins = testdim_dir().display(),
        target_extra = if target_extra.contains("max_retries") {
            target_extra.to_owned()
        } else {
            format!("max_retries = 0\n{target_extra}")
        },
    );
    let path = dir.join("suite.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// [`support::trustgen_in`] with the test key set.
fn trustgen_in(dir: &Path) -> Command {
    let mut cmd = support::trustgen_in(dir);
    cmd.env(KEY_VAR, KEY);
    cmd
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { collect_files(&path, out) } else { out.push(path) }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_distinctive_key_appears_in_no_file_and_no_output() {
    // The key as sent and a prefix of it (an error message cut in the middle of the key).
    let needles = [KEY, &KEY[..KEY.len() - 4]];
    let faults = [
        ("5xx", Fault::status(500).echoing_key()),
        ("4xx", Fault::status(400).echoing_key()),
        ("2xx not json", Fault::malformed().echoing_key()),
        ("2xx no choices", Fault::no_choices().echoing_key()),
        ("2xx reply text", Fault::modifier().echoing_key()),
    ];
    let mut redacted_somewhere = Vec::new();
    for (name, fault) in faults {
        let server = server(vec![Rule::new().fault(fault)]);
        let dir = tempfile::tempdir().unwrap();
        let suite = write_suite(dir.path(), server.base_url(), 4, "");
        // The verbose log on, at its most detailed for trustgen's own crates.
        let (code, stdout, stderr) =
            run(trustgen_in(dir.path()).env("TRUSTGEN_LOG", "trace").args(["run", "--verbose"]).arg(&suite));
        let echoed = server.requests().iter().filter(|r| r.fault.is_some()).count();
        assert!(echoed >= 1, "{name}: the server echoed nothing (exit {code}):\n{stdout}{stderr}");
        for needle in needles {
            assert!(!stdout.contains(needle), "{name}: stdout holds the key:\n{stdout}");
            assert!(!stderr.contains(needle), "{name}: stderr (the verbose log) holds the key:\n{stderr}");
        }
        let mut files = Vec::new();
        collect_files(dir.path(), &mut files);
        let run = run_dir(dir.path());
        for file in ["requests.jsonl", "outputs.jsonl", "manifest.json"] {
            assert!(run.join(file).is_file(), "{name}: {file} missing; exit {code}:\n{stderr}");
        }
        let mut redacted = stderr.contains("[redacted]");
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            for needle in needles {
                assert!(!contains(&bytes, needle), "{name}: {} holds the key", file.display());
            }
            redacted |= contains(&bytes, "[redacted]");
        }
        redacted_somewhere.push((name, redacted));
    }
    // The echo reached trustgen every time and was replaced where it was quoted.
    expect_test::expect![[r#"
        [
            (
                "5xx",
                true,
            ),
            (
                "4xx",
                true,
            ),
            (
                "2xx not json",
                true,
            ),
            (
                "2xx no choices",
                true,
            ),
            (
                "2xx reply text",
                true,
            ),
        ]
    "#]]
    .assert_debug_eq(&redacted_somewhere);
}

#[test]
fn an_endless_reply_is_a_per_case_error_recording_its_size() {
    let server = server(vec![Rule::new().model("target-model").fault(Fault::endless())]);
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(dir.path(), server.base_url(), 2, "max_reply_bytes = 1048576\ntimeout_secs = 60");
    let started = Instant::now();
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert!(started.elapsed() < Duration::from_secs(45), "took {:?}", started.elapsed());
    let outputs = std::fs::read_to_string(run_dir(dir.path()).join("outputs.jsonl"))
        .unwrap_or_else(|e| panic!("{e}; exit {code}:\n{stdout}{stderr}"));
    let errors: Vec<String> = outputs
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap().to_string())
        .filter(|l| l.contains("reply exceeds 1 MiB limit (read "))
        .collect();
    assert_eq!(errors.len(), 2, "every case records the oversized reply with its size:\n{outputs}");
}

#[test]
fn max_reply_bytes_of_zero_is_rejected_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(dir.path(), "http://127.0.0.1:9", 1, "max_reply_bytes = 0");
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).arg("validate").arg(&suite));
    assert_ne!(code, 0, "{stdout}{stderr}");
    expect_test::expect![[r#"
        error: suite.toml:16:19: invalid `max_reply_bytes` in [models.target]: must be at least 1 (e.g. 8388608 for 8 MiB)
    "#]].assert_eq(&stderr.replace(&suite.display().to_string(), "suite.toml"));
}

/// Control characters the terminal must never receive from a provider.
const FORBIDDEN: [char; 9] = ['\u{1b}', '\u{7}', '\u{8}', '\r', '\u{0}', '\u{7f}', '\u{9b}', '\u{85}', '\u{9d}'];

#[test]
fn provider_error_text_on_the_terminal_has_no_control_characters() {
    // A fatal error (401) quoted on stderr, and retried 500s quoted in the verbose log.
    for (name, fault, verbose) in [
        ("401", Fault::status(401).with_control_chars(), false),
        ("500", Fault::status(500).with_control_chars(), true),
    ] {
        let server = server(vec![Rule::new().model("target-model").fault(fault)]);
        let dir = tempfile::tempdir().unwrap();
        let suite = write_suite(dir.path(), server.base_url(), 2, "max_retries = 1");
        let mut cmd = trustgen_in(dir.path());
        cmd.args(["run", "--no-cache"]);
        if verbose {
            cmd.arg("--verbose");
        }
        let (_, stdout, stderr) = run(cmd.arg(&suite));
        assert!(server.requests().iter().any(|r| r.fault.is_some()), "{name}: no fault applied:\n{stdout}{stderr}");
        // The message was printed, without its escapes and controls.
        assert!(
            stderr.contains("injected by trustgen-testserver") && stderr.contains(" bell"),
            "{name}: the provider's message is not on stderr:\n{stderr}"
        );
        for c in FORBIDDEN {
            assert!(!stderr.contains(c), "{name}: {c:?} reached the terminal:\n{stderr:?}");
            assert!(!stdout.contains(c), "{name}: {c:?} reached the terminal:\n{stdout:?}");
        }
    }
}

#[test]
fn the_html_report_shows_bidi_overrides_and_nul_as_visible_escapes() {
    let server = server(vec![
        Rule::new().model("target-model").reply("open gnp\u{202E}exe.scr now \u{2066}x\u{2069} nul\u{0} 7"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(dir.path(), server.base_url(), 2, "");
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let run = run_dir(dir.path());
    let outputs = std::fs::read_to_string(run.join("outputs.jsonl")).unwrap();
    assert!(outputs.contains("\\u202e") || outputs.contains('\u{202E}'), "the output is stored as sent: {outputs}");
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    for c in ['\u{202E}', '\u{2066}', '\u{2069}', '\u{0}'] {
        assert!(!html.contains(c), "{c:?} in report.html");
    }
    for escape in ["\\u202e", "\\u202E", "\\u2066", "\\u0000"] {
        assert!(!html.contains(escape), "report.html has the JSON escape {escape}, which reads back as the character");
    }
    assert!(html.contains("gnp\\\\u{202E}exe.scr"), "the override is shown as a visible escape");
}
