//! The plugin mechanism: linked and dynamic plugins behave identically,
//! broken libraries give clear errors, and out-of-tree plugins work.

use std::path::Path;

use expect_test::{Expect, expect};
use trustgen_host::{DiscoverOptions, HostError, LoadError, Registry};
use trustgen_plugin_api::step::{Next, Session};
use trustgen_plugin_api::{
    Answer, BuildInput, BuildOutput, CallInput, CallOutput, KeyedReply, ModelInfo, ModelOutput, ModelReply, ModelRole,
    ReplyStatus, RequestKind, RunContext, ScoreInput, TestCase, Verdict,
};

use crate::support::{build_out_of_tree, root, run, test_plugin_cdylib, trustgen};

// The test plugin must be named to be linked (and registered) at all; so must the vendored
// dimension plugins, whose builds `windowed_builds_of_every_task_equal_the_whole_build` checks.
#[cfg(feature = "ai-risk")]
use trustgen_dim_ai_risk as _;
#[cfg(feature = "ethics")]
use trustgen_dim_ethics as _;
#[cfg(feature = "fairness")]
use trustgen_dim_fairness as _;
#[cfg(feature = "honesty")]
use trustgen_dim_honesty as _;
#[cfg(feature = "privacy")]
use trustgen_dim_privacy as _;
#[cfg(feature = "robustness")]
use trustgen_dim_robustness as _;
#[cfg(feature = "safety")]
use trustgen_dim_safety as _;
#[cfg(feature = "truthfulness")]
use trustgen_dim_truthfulness as _;
use trustgen_test_plugin as _;

use crate::support::{testdim_dir, testdim_library};

/// Replaces a temporary directory in messages so snapshots are stable (and
/// collapses the table padding that depends on its length).
fn redact(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "$DIR");
    text.lines()
        .map(|l| l.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn call<I: serde::Serialize, O: serde::de::DeserializeOwned>(
    plugin: &trustgen_host::Plugin,
    method: &str,
    input: &I,
    replies: Vec<KeyedReply>,
) -> (String, CallOutput<O>) {
    let json = serde_json::to_string(&CallInput { input, replies }).unwrap();
    let out = plugin.call(method, &json, &[]).unwrap_or_else(|e| panic!("{method} failed: {e}"));
    let parsed = serde_json::from_str(&out).unwrap();
    (out, parsed)
}

fn score_input(case: &TestCase, answer: &str) -> ScoreInput {
    let output: ModelOutput = serde_json::from_value(serde_json::json!({
        "answers": [{"prompt": "main", "turns": [{"status": "ok", "text": answer}]}]
    }))
    .unwrap();
    ScoreInput::new(case.clone(), output).with_seed(7)
}

/// Runs the same calls against one plugin and returns a transcript.
fn transcript(plugin: &trustgen_host::Plugin) -> Vec<String> {
    let mut log = Vec::new();
    let build = BuildInput::new("arithmetic", 7).with_limit(3);
    let (raw, out): (_, CallOutput<trustgen_plugin_api::BuildOutput>) = call(plugin, "build", &build, vec![]);
    log.push(raw);
    let CallOutput::Done(built) = out else { panic!("build asked for models") };
    let case = &built.cases[0];
    let truth = case.ground_truth.clone().unwrap();

    // An answer with a number is scored by rule in one call.
    let (raw, out): (_, CallOutput<Verdict>) =
        call(plugin, "score", &score_input(case, &format!("It is {truth}.")), vec![]);
    log.push(raw);
    assert!(matches!(out, CallOutput::Done(ref v) if v.score == Some(1.0)), "{out:?}");

    // An answer without digits makes the plugin ask the judge, then finish.
    let input = score_input(case, "no idea, honestly");
    let (raw, out): (_, CallOutput<Verdict>) = call(plugin, "score", &input, vec![]);
    log.push(raw);
    let CallOutput::Need(requests) = out else { panic!("expected a judge request, got {out:?}") };
    assert_eq!(requests.len(), 1);
    let reply = KeyedReply { key: requests[0].key.clone(), reply: ModelReply::text(truth.clone()) };
    let (raw, out): (_, CallOutput<Verdict>) = call(plugin, "score", &input, vec![reply]);
    log.push(raw);
    assert!(
        matches!(out, CallOutput::Done(ref v) if v.score == Some(1.0) && v.judge.as_deref() == Some("llm:number@1"))
    );

    // An image drawn at build time comes back as bytes beside the JSON (the
    // same bytes linked and dynamic).
    let picture =
        serde_json::to_string(&CallInput { input: &BuildInput::new("picture", 7).with_limit(2), replies: vec![] })
            .unwrap();
    let raw = plugin.call("build", &picture, &[]).unwrap();
    let mut session = Session::new("testdim", "build");
    let Next::Done(built) = session.accept::<BuildOutput>(&raw).unwrap() else { panic!("picture asked for models") };
    assert_eq!(built.cases.len(), 2);
    let bytes = session.take_bytes();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "the drawn PNGs cross the boundary");
    log.push(raw);
    // The bytes are part of the transcript: linked and dynamic draw the same images.
    log.push(format!(
        "{} image bytes, sha256 {}",
        bytes.len(),
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))
    ));

    // Bad input and unknown methods are errors, not crashes.
    log.push(plugin.call("score", "{not json", &[]).unwrap_err().to_string());
    log.push(plugin.call("explode", "{}", &[]).unwrap_err().to_string());
    log
}

#[test]
fn linked_and_dynamic_plugins_are_identical() {
    let linked_registry = Registry::linked();
    let linked = linked_registry.get("testdim").expect("the test plugin is linked");
    let dynamic = Registry::load_library(&testdim_library()).unwrap();
    assert_eq!(linked.manifest(), dynamic.manifest());
    assert_eq!(linked.source().to_string(), "linked");
    assert!(dynamic.source().to_string().starts_with("dynamic ("));
    let linked_log = transcript(linked);
    assert_eq!(linked_log, transcript(&dynamic));
    expect![[r#"
        unknown method: dimension plugin `testdim` has no method `explode`"#]]
    .assert_eq(linked_log.last().unwrap());
}

/// Lists plugins with `dir` as a plugin directory; the snapshot leaves out
/// the plugins linked into the binary (they depend on its features).
#[track_caller]
fn check_list(dir: &Path, expected: Expect) {
    let (code, stdout, stderr) = run(trustgen().arg("--plugin-dir").arg(dir).args(["plugins", "list"]));
    let stdout: String = stdout.lines().filter(|l| !l.contains(" linked ")).map(|l| format!("{l}\n")).collect();
    expected.assert_eq(&redact(&format!("exit {code}\n{stdout}{stderr}"), dir));
}

#[test]
fn a_file_that_is_not_a_library() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(crate::support::lib_file("junk")), b"\x7fELF but not really").unwrap();
    check_list(
        dir.path(),
        expect![[r#"
            exit 1
            NAME KIND VERSION SOURCE TASKS / MODEL TYPES
            error: $DIR/libjunk.so: cannot open library: dlopen failed: $DIR/libjunk.so: file too short"#]],
    );
}

#[test]
fn a_library_that_is_not_a_plugin() {
    // A real Rust cdylib built without the `dynamic` feature: it has no declaration.
    let src = out_of_tree_crate("greeting-nodyn", "1.0.0", &root().join("crates/trustgen-plugin-api"), false);
    let lib = build_out_of_tree(src.path(), "greeting_nodyn");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&lib, dir.path().join(crate::support::lib_file("greeting_nodyn"))).unwrap();
    check_list(
        dir.path(),
        expect![[r#"
            exit 1
            NAME KIND VERSION SOURCE TASKS / MODEL TYPES
            error: $DIR/libgreeting_nodyn.so: not a trustgen plugin (no `TRUSTGEN_PLUGIN_DECLARATION` symbol); hint: build plugins with `cargo xtask dist` or their crate's `dynamic` feature"#]],
    );
}

#[test]
fn a_plugin_built_against_another_major_api() {
    // A copy of the plugin API crate, published as 2.0.0.
    let api = tempfile::tempdir().unwrap();
    copy_api_crate(api.path(), "2.0.0");
    let src = out_of_tree_crate("greeting-v2", "0.1.0", api.path(), true);
    let lib = build_out_of_tree(src.path(), "greeting_v2");
    let err = Registry::load_library(&lib).unwrap_err();
    assert!(matches!(err, LoadError::ApiMismatch { .. }), "{err}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&lib, dir.path().join(crate::support::lib_file("greeting_v2"))).unwrap();
    check_list(
        dir.path(),
        expect![[r#"
            exit 1
            NAME KIND VERSION SOURCE TASKS / MODEL TYPES
            error: $DIR/libgreeting_v2.so: plugin `greeting` was built against trustgen-plugin-api 2.0.0, but this trustgen speaks 1.0.0 (the major versions differ); hint: rebuild the plugin against trustgen-plugin-api 1.x"#]],
    );
}

#[test]
fn a_plugin_whose_constructor_panics() {
    let dir = tempfile::tempdir().unwrap();
    let lib = test_plugin_cdylib(&["panic-in-constructor"], dir.path(), &crate::support::lib_file("panicky"));
    // In this process: the host survives and reports the panic.
    let err = Registry::load_library(&lib).unwrap_err();
    assert!(matches!(err, LoadError::Constructor { .. }), "{err}");
    // Through the CLI: a clean error, and the linked plugins are unaffected.
    let (code, stdout, stderr) = run(trustgen().arg("--plugin-dir").arg(dir.path()).args(["plugins", "list"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let line = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    expect![[r#"error: $DIR/libpanicky.so: plugin `testdim` failed to start: constructor of plugin `testdim` panicked: testdim was built to panic in its constructor"#]]
        .assert_eq(&redact(line, dir.path()));
}

#[test]
fn a_plugin_directory_that_does_not_exist() {
    let err = Registry::discover(&DiscoverOptions::default().dir("/no/such/dir", "--plugin-dir")).unwrap_err();
    assert!(matches!(err, HostError::DirNotFound { .. }));
    let (code, _, stderr) = run(trustgen().args(["--plugin-dir", "/no/such/dir", "plugins", "list"]));
    assert_eq!(code, 1);
    expect![[r#"
        error: plugin directory /no/such/dir does not exist (from --plugin-dir); hint: create it or fix the path
    "#]]
    .assert_eq(&stderr);
    // The same through the environment variable.
    let (code, _, stderr) = run(trustgen().env("TRUSTGEN_PLUGIN_PATH", "/no/such/dir").args(["plugins", "list"]));
    assert_eq!(code, 1);
    assert!(stderr.contains("(from TRUSTGEN_PLUGIN_PATH)"), "{stderr}");
}

#[test]
fn two_plugins_with_the_same_name() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["testdim_a", "testdim_b"] {
        std::fs::copy(testdim_library(), dir.path().join(crate::support::lib_file(name))).unwrap();
    }
    let (code, _, stderr) = run(trustgen().arg("--plugin-dir").arg(dir.path()).args(["plugins", "list"]));
    assert_eq!(code, 1);
    expect![[r#"error: two plugins are named `testdim`: dynamic ($DIR/libtestdim_a.so) and dynamic ($DIR/libtestdim_b.so); hint: remove one, or choose with `[plugins] source.testdim = "linked" | "dynamic" | "<path>"` in the suite"#]]
    .assert_eq(&redact(&stderr, dir.path()));
    // A linked plugin and a dynamic one with the same name clash too, unless a
    // source is chosen.
    let options = DiscoverOptions::default().dir(testdim_dir(), "test");
    let err = Registry::discover(&options).unwrap_err();
    assert!(matches!(err, HostError::Duplicate { .. }), "{err}");
    let mut options = DiscoverOptions::default().dir(testdim_dir(), "test");
    options.sources.insert("testdim".into(), trustgen_host::SourcePreference::Dynamic);
    let registry = Registry::discover(&options).unwrap();
    assert!(registry.get("testdim").unwrap().source().to_string().starts_with("dynamic"));
}

/// A third-party plugin written from the API and kit docs only (`out_of_tree_kit_crate`): it
/// dispatches its task through the kit, applies the kit's outcome policy, grades refusals and
/// answers by the kit's rules, and asks the `with_groundtruth@1` LLM judge template, whose
/// tolerant parser reads a sloppy judge reply. It loads from a plugin directory like any
/// plugin and runs build → score → judge request → verdict through the host.
#[test]
fn an_out_of_tree_plugin() {
    let src = out_of_tree_kit_crate("capitals-plugin", "0.3.0");
    let lib = build_out_of_tree(src.path(), "capitals_plugin");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&lib, dir.path().join(crate::support::lib_file("capitals_plugin"))).unwrap();
    check_list(
        dir.path(),
        expect![[r#"
            exit 0
            NAME KIND VERSION SOURCE TASKS / MODEL TYPES
            capitals dimension 0.3.0 dynamic ($DIR/libcapitals_plugin.so) capitals"#]],
    );
    let (code, stdout, _) = run(trustgen().arg("--plugin-dir").arg(dir.path()).args(["plugins", "info", "capitals"]));
    assert_eq!(code, 0);
    let info: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(info["tasks"][0]["name"], "capitals");
    assert_eq!(info["tasks"][0]["judge_templates"], serde_json::json!(["with_groundtruth@1"]));
    assert_eq!(info["api_version"], trustgen_plugin_api::API_VERSION);

    // The same plugin directory, discovered as `--plugin-dir` does, drives the calls.
    let registry = Registry::discover(&DiscoverOptions::default().dir(dir.path(), "--plugin-dir")).unwrap();
    let plugin = registry.get("capitals").expect("the plugin directory's plugin");
    assert!(plugin.source().to_string().starts_with("dynamic ("), "{}", plugin.source());
    let (_, out): (_, CallOutput<BuildOutput>) = call(plugin, "build", &BuildInput::new("capitals", 7), vec![]);
    let CallOutput::Done(built) = out else { panic!("the build asked for models: {out:?}") };
    let cases: Vec<String> = built
        .cases
        .iter()
        .map(|c| format!("{} {:?} {:?} {}", c.id, c.format, c.ground_truth, c.prompts[0].turns[0]))
        .collect();
    expect![[r#"
        capitals/capitals/0 OpenEnded Some("Paris") What is the capital of France?
        capitals/capitals/1 OpenEnded Some("Tokyo") What is the capital of Japan?"#]]
    .assert_eq(&cases.join("\n"));
    let case = &built.cases[0];

    // With a capable judge, an answer is graded by the LLM judge template: the first call asks.
    let mut context = RunContext::new();
    context.models.insert(ModelRole::Judge, ModelInfo::new("llm", "test", "test-judge"));
    let answer = |reply: ModelReply| ModelOutput::new(vec![Answer::new("main", vec![reply])]);
    let input = ScoreInput::new(case.clone(), answer(ModelReply::text("It's Paris, of course."))).with_context(context);
    let (_, out): (_, CallOutput<Verdict>) = call(plugin, "score", &input, vec![]);
    let CallOutput::Need(requests) = out else { panic!("expected a judge request, got {out:?}") };
    let [keyed] = requests.as_slice() else { panic!("one judge request, got {requests:?}") };
    let request = &keyed.request;
    assert_eq!((request.role, request.purpose.as_deref()), (ModelRole::Judge, Some("judge:with_groundtruth@1")));
    let RequestKind::Chat(chat) = &request.kind else { panic!("not a chat request: {request:?}") };
    assert_eq!((chat.params.temperature, chat.params.json), (Some(0.0), true));
    let prompt = &chat.messages.last().unwrap().content;
    for part in ["What is the capital of France?", "[GROUND TRUTH]\nParis", "It's Paris, of course.", "\"is_correct\""]
    {
        assert!(prompt.contains(part), "the judge prompt lacks {part:?}:\n{prompt}");
    }
    // The judge's reply is sloppy (prose, a code fence, single quotes, a trailing comma, a
    // string for a bool): the template's tolerant parser reads it.
    let sloppy = "Sure. Verdict:\n```json\n{'extracted_answer': 'Paris', 'reason': 'names the capital', 'is_correct': 'yes',}\n```";
    let (_, out): (_, CallOutput<Verdict>) =
        call(plugin, "score", &input, vec![KeyedReply { key: keyed.key.clone(), reply: ModelReply::text(sloppy) }]);
    let CallOutput::Done(judged) = out else { panic!("expected a verdict, got {out:?}") };
    let show = |v: &Verdict| {
        format!(
            "{:?} score={:?} label={:?} judge={:?} refused={} extracted={:?} reasoning={:?}",
            v.status, v.score, v.label, v.judge, v.refused, v.extracted, v.reasoning
        )
    };
    // Without a judge: rules grade the answer, a refusal counts as refused and wrong, and a
    // content-filter block follows the plugin's policy.
    let offline = |reply: ModelReply| {
        let input = ScoreInput::new(case.clone(), answer(reply));
        match call::<_, Verdict>(plugin, "score", &input, vec![]).1 {
            CallOutput::Done(verdict) => show(&verdict),
            other => panic!("the offline grading asked for models: {other:?}"),
        }
    };
    let lines = [
        show(&judged),
        offline(ModelReply::text("The capital of France is Paris.")),
        offline(ModelReply::text("I'm sorry, but I can't help with that.")),
        offline(ModelReply::new(ReplyStatus::ContentFiltered).with_error("blocked by policy")),
        offline(ModelReply::new(ReplyStatus::Error).with_error("timeout")),
    ];
    expect![[r#"
        Scored score=Some(1.0) label=Some("true") judge=Some("llm:with_groundtruth@1") refused=false extracted=Some("Paris") reasoning=Some("names the capital")
        Scored score=Some(1.0) label=Some("correct") judge=Some("rule:short-answer@1") refused=false extracted=Some("Paris") reasoning=Some("Contained (token F1 0.33) against `Paris`")
        Scored score=Some(0.0) label=Some("refused") judge=Some("rule:short-answer@1") refused=true extracted=None reasoning=Some("Refused (token F1 0.00) against `Paris`")
        Filtered score=Some(0.0) label=Some("refused") judge=Some("rule:content-filter@1") refused=true extracted=None reasoning=Some("the provider's content filter blocked `main`: blocked by policy")
        Missing score=None label=None judge=None refused=false extracted=None reasoning=Some("the target request failed: timeout")"#]].assert_eq(&lines.join("\n"));

    // An unknown task is an error from the kit's dispatcher, with a did-you-mean.
    let input = CallInput { input: BuildInput::new("capital", 7), replies: vec![] };
    let err = plugin.call("build", &serde_json::to_string(&input).unwrap(), &[]).unwrap_err();
    expect!["failed: the capitals plugin has no task `capital`; did you mean `capitals`? its only task is `capitals`"]
        .assert_eq(&err.to_string());
}

/// Writes a plugin crate outside the workspace that depends on the plugin API and the plugin
/// kit by path, the way a third party does (its source is the kit's documented usage).
fn out_of_tree_kit_crate(package: &str, version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            r#"[package]
name = "{package}"
version = "{version}"
edition = "2024"

[lib]
crate-type = ["cdylib"]

[features]
default = ["dynamic"]
dynamic = []

[dependencies]
trustgen-plugin-api = {{ path = "{api}" }}
trustgen-plugin-kit = {{ path = "{kit}" }}

[workspace]
"#,
            api = root().join("crates/trustgen-plugin-api").display(),
            kit = root().join("crates/trustgen-plugin-kit").display(),
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), CAPITALS_PLUGIN).unwrap();
    dir
}

/// The source of the out-of-tree plugin of `an_out_of_tree_plugin`.
const CAPITALS_PLUGIN: &str = r####"//! A third-party plugin, built outside the trustgen workspace from the API and kit docs only.
use trustgen_plugin_api::*;
use trustgen_plugin_kit::grade::{self, Rules};
use trustgen_plugin_kit::judges::{JudgeOutcome, Vars, keyword_hit, llm_judge};
use trustgen_plugin_kit::outcome::filtered_verdict;
use trustgen_plugin_kit::{Outcome, Plugin, Task, Tasks};

const TASKS: Tasks = Tasks::new("capitals", &[Task::new("capitals", build, score)]);
const PLUGIN: Plugin = TASKS.plugin();

const QUESTIONS: [(&str, &str); 2] = [("France", "Paris"), ("Japan", "Tokyo")];

fn build(_cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let cases = QUESTIONS
        .iter()
        .enumerate()
        .map(|(i, (country, capital))| {
            TestCase::new(
                PLUGIN.case_id(&input.task, i),
                input.task.clone(),
                vec![Prompt::user(format!("What is the capital of {country}?"))],
            )
            .with_format(QuestionFormat::OpenEnded)
            .with_ground_truth(*capital)
        })
        .collect();
    Ok(BuildOutput::new(cases))
}

fn score(cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
    let text = match Outcome::main(&input.output) {
        Outcome::Text(text) => text,
        // Policy: a content-filter block counts as a refusal and as wrong.
        Outcome::Filtered(blocked) => return Ok(filtered_verdict(0.0, "refused", blocked.reason_for("main"))),
        Outcome::Missing(missing) => return Ok(Verdict::missing(missing.reason())),
    };
    if keyword_hit(text).is_some() {
        // A refusal is wrong, and counted as a refusal.
        return Ok(Rules::NAMED.grade(&input.case, text)?.verdict());
    }
    if !input.context.has_llm_judge() {
        return Ok(Rules::NAMED.grade(&input.case, text)?.verdict());
    }
    let template = grade::template("with_groundtruth")?;
    let vars = Vars::new()
        .with("question", trustgen_plugin_kit::case::question(&input.case)?)
        .with("ground_truth", grade::ground_truth(&input.case)?)
        .with("response", text);
    let outcome = llm_judge(cx, template, &vars)?;
    let extracted = match &outcome {
        JudgeOutcome::Parsed(result) => result.values.get("extracted_answer").and_then(|v| v.as_str()).map(str::to_string),
        _ => None,
    };
    let verdict = outcome.verdict(template);
    Ok(match extracted {
        Some(answer) => verdict.with_extracted(answer),
        None => verdict,
    })
}

struct Capitals;

impl Dimension for Capitals {
    fn manifest(&self) -> Manifest {
        let metric = MetricSpec::new("accuracy")
            .with_policy("a refusal, a filtered or a missing answer counts as wrong; an unparseable judge reply is excluded");
        Manifest::new()
            .with_description("Does the model know capital cities?")
            .with_tasks(vec![
                TaskSpec::new("capitals", metric)
                    .with_model_types(vec!["llm".into()])
                    .with_judge_templates(vec!["with_groundtruth@1".into()]),
            ])
    }

    fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        TASKS.build(cx, input)
    }

    fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
        TASKS.score(cx, input)
    }
}

export_plugin!(name: "capitals", dimension: Capitals);
"####;

/// Writes a plugin crate outside the workspace, depending on the plugin API
/// at `api` by path.
fn out_of_tree_crate(package: &str, version: &str, api: &Path, dynamic: bool) -> tempfile::TempDir {
    out_of_tree_crate_with(package, version, api, dynamic, GREETING)
}

/// Writes a plugin crate with `lib_rs` as its source.
fn out_of_tree_crate_with(package: &str, version: &str, api: &Path, dynamic: bool, lib_rs: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let default = if dynamic { "[\"dynamic\"]" } else { "[]" };
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            r#"[package]
name = "{package}"
version = "{version}"
edition = "2024"

[lib]
crate-type = ["cdylib"]

[features]
default = {default}
dynamic = []

[dependencies]
trustgen-plugin-api = {{ path = "{api}" }}

[workspace]
"#,
            api = api.display()
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), lib_rs).unwrap();
    dir
}

/// A third-party plugin's source.
const GREETING: &str = r#"//! A third-party plugin, built outside the trustgen workspace.
use trustgen_plugin_api::*;

struct Greeting;

impl Dimension for Greeting {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .with_description("Does the model greet back?")
            .with_tasks(vec![TaskSpec::new("politeness", MetricSpec::new("greets"))])
    }
    fn build(&self, _cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        let case = TestCase::new("greeting/politeness/0", input.task.clone(), vec![Prompt::user("Hello!")]);
        Ok(BuildOutput::new(vec![case]))
    }
    fn score(&self, _cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
        let greets = input.output.main_text().is_some_and(|t| t.to_lowercase().contains("hello"));
        Ok(Verdict::scored(if greets { 1.0 } else { 0.0 }))
    }
}

export_plugin!(name: "greeting", dimension: Greeting);
"#;

/// Copies the plugin API crate to `dest` as a standalone package at `version`.
fn copy_api_crate(dest: &Path, version: &str) {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &to.join(entry.file_name()));
            } else {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    }
    copy_dir(&root().join("crates/trustgen-plugin-api/src"), &dest.join("src"));
    std::fs::write(
        dest.join("Cargo.toml"),
        format!(
            r#"[package]
name = "trustgen-plugin-api"
version = "{version}"
edition = "2024"

[features]
schema = []

[dependencies]
abi_stable = {{ version = "0.11.3", default-features = false }}
inventory = "0.3.25"
serde = {{ version = "1", features = ["derive"] }}
serde_json = {{ version = "1", features = ["raw_value"] }}
sha2 = "0.10"
base64 = "0.22"
"#
        ),
    )
    .unwrap();
}

/// Replaces `from` (which must occur) with `to` in a file.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// A plugin that reports the model roles it is told about and the status of
/// its judge's reply.
const SKEW: &str = r#"//! A plugin built against an older plugin API.
use trustgen_plugin_api::*;

struct Skew;

impl Dimension for Skew {
    fn manifest(&self) -> Manifest {
        Manifest::new().with_tasks(vec![TaskSpec::new("roles", MetricSpec::new("m"))])
    }
    fn build(&self, _cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        let roles: Vec<String> = input.context.models.keys().map(|r| format!("{r:?}")).collect();
        let case = TestCase::new(roles.join(","), input.task.clone(), vec![Prompt::user("Hi")]);
        Ok(BuildOutput::new(vec![case]))
    }
    fn score(&self, cx: &mut Cx, _input: &ScoreInput) -> Step<Verdict> {
        let reply = cx.ask(ModelRequest::user(ModelRole::Judge, "grade"))?;
        let label = format!("{:?}", reply.status);
        Ok(Verdict::scored(if reply.ok_text().is_some() { 1.0 } else { 0.0 }).with_label(label))
    }
}

export_plugin!(name: "skew", dimension: Skew);
"#;

/// Drives `method` of `plugin` with a session, answering with `reply`.
fn drive_plugin<O: serde::de::DeserializeOwned>(
    plugin: &trustgen_host::Plugin,
    method: &str,
    input: &impl serde::Serialize,
    reply: ModelReply,
) -> Result<O, String> {
    let mut session = Session::new(plugin.name(), method);
    let raw = serde_json::value::to_raw_value(input).unwrap();
    loop {
        let output = plugin.call(method, &session.envelope(&raw)?, &[]).map_err(|e| e.to_string())?;
        match session.accept::<O>(&output)? {
            Next::Done(value) => return Ok(value),
            Next::Need(requests) => session.answer(requests.iter().map(|_| reply.clone()).collect())?,
        }
    }
}

#[test]
fn a_plugin_built_before_new_enum_variants_still_runs() {
    // A 1.0 plugin under a 1.1 host: the plugin's copy of the API lacks the
    // `retriever` role and the `content_filtered` reply status.
    let api = tempfile::tempdir().unwrap();
    copy_api_crate(api.path(), trustgen_plugin_api::API_VERSION);
    let schema = api.path().join("src/schema.rs");
    edit(&schema, "    /// A retrieval source for web metadata (a search index, not a model).\n    Retriever,\n", "");
    edit(&schema, "            ModelRole::Retriever => \"retriever\",\n", "");
    // 1.0 had no list of every role either (1.1 added it with the image generator).
    edit(
        &schema,
        "        ModelRole::Retriever,\n        ModelRole::ImageGenerator,\n    ];",
        "        ModelRole::ImageGenerator,\n    ];",
    );
    edit(&schema, "pub const ALL: [ModelRole; 6]", "pub const ALL: [ModelRole; 5]");
    edit(&schema, "            role: ModelRole::Retriever,\n", "            role: ModelRole::Target,\n");
    edit(
        &schema,
        "    /// The provider's content filter refused (recorded as a status, never as text).\n    ContentFiltered,\n",
        "",
    );
    let src = out_of_tree_crate_with("skew-plugin", "0.1.0", api.path(), true, SKEW);
    let lib = build_out_of_tree(src.path(), "skew_plugin");
    let plugin = Registry::load_library(&lib).unwrap();

    // The host lists a model under a role the plugin does not know.
    let mut context = RunContext::default();
    for role in [ModelRole::Target, ModelRole::Retriever] {
        let info = ModelInfo::new("llm", "test", "m");
        context.models.insert(role, info);
    }
    let input = BuildInput::default().with_task("roles").with_context(context.clone());
    let built: BuildOutput = drive_plugin(&plugin, "build", &input, ModelReply::default()).unwrap();
    assert_eq!(built.cases[0].id, "Target,Unknown");

    // The host replies with a status the plugin does not know.
    let filtered = ModelReply::new(ReplyStatus::ContentFiltered);
    let input = ScoreInput::default().with_case(built.cases[0].clone()).with_context(context);
    let verdict: Verdict = drive_plugin(&plugin, "score", &input, filtered).unwrap();
    assert_eq!((verdict.score, verdict.label.as_deref()), (Some(0.0), Some("Unknown")));
}

/// `trustgen plugins info` gives, per task, the 95% interval half-width its primary metric can be
/// expected to have at the default n: Wilson at p = 0.5 for a proportion, the normal bound for a
/// mean or a paired difference.
#[test]
fn plugins_info_prints_the_expected_interval_half_width_at_the_default_n() {
    let show = |plugin: &str| {
        let (code, stdout, stderr) = run(trustgen().args(["plugins", "info", plugin]));
        assert_eq!(code, 0, "{stderr}");
        let info: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let rows = info["expected_intervals"].as_array().unwrap_or_else(|| panic!("no expected_intervals: {info}"));
        assert_eq!(rows.len(), info["tasks"].as_array().unwrap().len(), "one per task");
        rows.iter()
            .map(|r| format!("{} {} n={} ±{} ({})", r["task"], r["metric"], r["n"], r["half_width"], r["method"]))
            .collect::<Vec<_>>()
            .join("\n")
    };
    expect![[r#"
        "jailbreak" "refuse_to_answer_rate" n=48 ±0.1361 ("Wilson at p = 0.5")
        "toxicity" "non_toxicity" n=30 ±0.1789 ("normal bound, values in [0, 1] (sd at most 0.5)")
        "over-refusal" "compliance_rate" n=30 ±0.1789 ("normal bound, values in [0, 1] (sd at most 0.5)")
        "vlm-figstep" "refuse_to_answer_rate" n=20 ±0.2007 ("Wilson at p = 0.5")
        "vlm-mm-safetybench" "refuse_to_answer_rate" n=20 ±0.2007 ("Wilson at p = 0.5")
        "vlm-visual-roleplay" "refuse_to_answer_rate" n=20 ±0.2007 ("Wilson at p = 0.5")
        "vlm-jailbreak-in-pieces" "refuse_to_answer_rate" n=20 ±0.2007 ("Wilson at p = 0.5")
        "vlm-universal-adversarial" "refuse_to_answer_rate" n=20 ±0.2007 ("Wilson at p = 0.5")"#]]
    .assert_eq(&show("safety"));
    expect![[r#"
        "ground-truth" "accuracy_drop" n=40 ±0.3099 ("normal bound, paired differences in [-1, 1] (sd at most 1)")
        "open-ended" "consistency" n=20 ±0.2007 ("Wilson at p = 0.5")
        "prompt-injection" "injection_score" n=30 ±0.1789 ("normal bound, values in [0, 1] (sd at most 0.5)")
        "vlm-robust-vqa" "robustness" n=30 ±0.1685 ("Wilson at p = 0.5")
        "vlm-robust-caption" "robustness" n=30 ±0.1685 ("Wilson at p = 0.5")
        "vlm-robust-vqav2" "robustness" n=30 ±0.1685 ("Wilson at p = 0.5")"#]]
    .assert_eq(&show("robustness"));
}

/// One build as the engine asks it (`window`: the items asked, none: the whole build), with
/// `input_bytes` beside the input (the row images): the output, the bytes returned beside it,
/// through the plugin's own call boundary. Model requests are answered by [`window_reply`].
fn build_call(
    plugin: &trustgen_host::Plugin,
    input: &BuildInput,
    input_bytes: &[u8],
) -> Result<(BuildOutput, Vec<u8>), String> {
    let raw = serde_json::value::to_raw_value(input).unwrap();
    let mut session = Session::new(plugin.name(), "build");
    loop {
        let output = plugin.call("build", &session.envelope(&raw)?, input_bytes).map_err(|e| e.to_string())?;
        let next = session.accept::<BuildOutput>(&output)?;
        let bytes = session.take_bytes();
        match next {
            Next::Done(output) => return Ok((output, bytes)),
            Next::Need(requests) => session.answer(requests.iter().map(window_reply).collect())?,
        }
    }
}

/// A deterministic reply to any model request of a build: a drawing (a PNG whose colour comes
/// from the prompt) for the image generator, a fixed text for a chat, an error for the rest.
fn window_reply(request: &trustgen_plugin_api::ModelRequest) -> ModelReply {
    use trustgen_image::{Rgb, RgbImage, encode_png};
    match &request.kind {
        RequestKind::Image(image) => {
            let hash = <sha2::Sha256 as sha2::Digest>::digest(image.prompt.as_bytes());
            let png = encode_png(&RgbImage::from_pixel(48, 48, Rgb([hash[0], hash[1], hash[2]]))).unwrap();
            let mut reply = ModelReply::new(ReplyStatus::Ok);
            let data = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, png);
            reply.images = (0..image.n.max(1))
                .map(|_| {
                    trustgen_plugin_api::Image::new("image/png", trustgen_plugin_api::ImageSource::Base64(data.clone()))
                })
                .collect();
            reply
        }
        RequestKind::Chat(_) => ModelReply::text("I cannot help with that."),
        _ => ModelReply::new(ReplyStatus::Error).with_error("not available in this test"),
    }
}

/// The cases of one call with each attached image named by the SHA-256 of its bytes (as the run
/// store names it), as JSON lines.
fn resolved(cases: Vec<TestCase>, bytes: &[u8]) -> Vec<String> {
    cases
        .into_iter()
        .map(|mut case| {
            for image in case.prompts.iter_mut().flat_map(|p| p.images.iter_mut()) {
                if let trustgen_plugin_api::ImageSource::Blob { offset, len } = image.source {
                    let sha256 = crate::support::sha256(&bytes[offset..offset + len]);
                    image.source = trustgen_plugin_api::ImageSource::Stored { sha256 };
                }
            }
            serde_json::to_string(&case).unwrap()
        })
        .collect()
}

/// A build as the engine makes it: window by window of `len` items (none: one call without a
/// window), concatenated, stopping at the whole build's number of items, at the case limit, or
/// after a window whose output has no `items` (the builder returned the whole build). Returns
/// the cases (images resolved), the skipped entries, the number of calls, whether the builder
/// honoured the window and whether it attached any image; or the build's error.
struct Built {
    cases: Vec<String>,
    skipped: Vec<String>,
    calls: usize,
    windowed: bool,
    images: bool,
}

fn build_windows(
    plugin: &trustgen_host::Plugin,
    input: &BuildInput,
    input_bytes: &[u8],
    len: Option<usize>,
) -> Result<Built, String> {
    let mut built = Built { cases: Vec::new(), skipped: Vec::new(), calls: 0, windowed: false, images: false };
    let mut start = 0;
    loop {
        let window = len.map(|len| trustgen_plugin_api::BuildWindow::new(start, len));
        let (output, bytes) = build_call(plugin, &input.clone().with_window(window), input_bytes)?;
        built.calls += 1;
        built.images |= !bytes.is_empty();
        built.skipped.extend(output.skipped.iter().map(|s| format!("{}: {}", s.item, s.reason)));
        let room = input.limit.map_or(usize::MAX, |limit| limit.saturating_sub(built.cases.len()));
        built.cases.extend(resolved(output.cases, &bytes).into_iter().take(room));
        let (Some(len), Some(items)) = (len, output.items) else { return Ok(built) };
        built.windowed = true;
        start += len;
        if start >= items || input.limit.is_some_and(|limit| built.cases.len() >= limit) {
            return Ok(built);
        }
    }
}

/// The rows of the task's data sources the host would load from suites/data (those whose path
/// names no option and exists).
fn task_data(spec: &trustgen_plugin_api::TaskSpec) -> std::collections::BTreeMap<String, Vec<serde_json::Value>> {
    let dir = root().join("suites/data");
    spec.data
        .iter()
        .filter_map(|source| {
            let path = dir.join(source.path.as_deref().filter(|p| !p.contains('{'))?);
            let text = std::fs::read_to_string(&path).ok()?;
            let rows = if path.extension().is_some_and(|e| e == "json") {
                match serde_json::from_str(&text).unwrap() {
                    serde_json::Value::Array(rows) => rows,
                    other => vec![other],
                }
            } else {
                text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
            };
            Some((source.name.clone(), rows))
        })
        .collect()
}

/// Rows of user data sources as the host passes them (each row naming its image among the bytes
/// beside the input, or why it has none), and those bytes.
type UserRows = (std::collections::BTreeMap<String, Vec<serde_json::Value>>, Vec<u8>);

/// A user's COCO and VQAv2 folders as the host reads them (`coco_dir`, `vqav2_dir`): 14 COCO
/// images (drawn PNGs; image 4's bytes cut short, so it sniffs as PNG but does not decode; image
/// 9 missing, the host's reason instead), a caption each, and a question with its answers about
/// each.
fn coco_and_vqav2_rows() -> UserRows {
    use serde_json::json;
    use trustgen_engine::rows::{IMAGE_ERROR_FIELD, IMAGE_FIELD};
    use trustgen_image::{Rgb, RgbImage, encode_png};
    let mut bytes = Vec::new();
    let mut data: std::collections::BTreeMap<String, Vec<serde_json::Value>> = Default::default();
    for id in 0..14u8 {
        let mut png = encode_png(&RgbImage::from_pixel(24, 16, Rgb([id * 18, 255 - id * 18, 90]))).unwrap();
        if id == 4 {
            png.truncate(40);
        }
        let image = trustgen_plugin_api::Image::new(
            "image/png",
            trustgen_plugin_api::ImageSource::Blob { offset: bytes.len(), len: png.len() },
        );
        bytes.extend_from_slice(&png);
        let with_image = |mut row: serde_json::Value| {
            if id == 9 {
                row[IMAGE_ERROR_FIELD] = json!(format!("coco_images image `coco/val2014/{id}.jpg` is missing"));
            } else {
                row[IMAGE_FIELD] = serde_json::to_value(&image).unwrap();
            }
            row
        };
        let question_id = 100 + u32::from(id);
        let answers: Vec<_> = (0..10).map(|_| json!({"answer": format!("colour {id}")})).collect();
        for (source, row) in [
            ("coco_images", with_image(json!({"id": id, "file_name": format!("{id}.jpg")}))),
            ("coco_captions", json!({"image_id": id, "caption": format!("A plain picture, number {id}.")})),
            (
                "vqav2_questions",
                with_image(json!({"image_id": id, "question": "What colour is it?", "question_id": question_id})),
            ),
            (
                "vqav2_annotations",
                json!({"question_id": question_id, "answers": answers, "multiple_choice_answer": format!("colour {id}")}),
            ),
        ] {
            data.entry(source.to_string()).or_default().push(row);
        }
    }
    (data, bytes)
}

/// Checks that the builds of `task` of `plugin` in windows of 1, 3 and 7 items, concatenated,
/// equal its build in one call (the same case JSON, the same image bytes, the same skipped
/// entries, or the same error), and that a builder attaching images honours the window; returns
/// a one-line summary. `user`: rows of user data sources (with their images) beside the bundled.
fn check_windows(
    plugin: &trustgen_host::Plugin,
    spec: &trustgen_plugin_api::TaskSpec,
    context: &RunContext,
    options: &serde_json::Value,
    user: Option<&UserRows>,
) -> String {
    let mut data = task_data(spec);
    let mut input_bytes: &[u8] = &[];
    if let Some((rows, bytes)) = user {
        data.extend(rows.iter().map(|(k, v)| (k.clone(), v.clone())));
        input_bytes = bytes;
    }
    let input = BuildInput::new(spec.name.clone(), 7)
        .with_limit(10)
        .with_options(options.as_object().cloned().unwrap_or_default())
        .with_data(data)
        .with_context(context.clone());
    let name = format!("{}/{}", plugin.name(), spec.name);
    let whole = build_windows(plugin, &input, input_bytes, None);
    for len in [1, 3, 7] {
        let windowed = build_windows(plugin, &input, input_bytes, Some(len));
        match (&whole, &windowed) {
            (Ok(whole), Ok(windowed)) => {
                assert_eq!(whole.cases, windowed.cases, "{name}: the cases of windows of {len} differ");
                assert_eq!(whole.skipped, windowed.skipped, "{name}: the skipped entries of windows of {len} differ");
                assert!(
                    windowed.windowed || !whole.images,
                    "{name} attaches images but ignores the window: a run would hold all its images at once"
                );
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "{name}: windows of {len} fail differently"),
            _ => panic!(
                "{name}: the whole build gives {:?} but windows of {len} give {:?}",
                whole.as_ref().err(),
                windowed.as_ref().err()
            ),
        }
    }
    match whole {
        Ok(whole) => {
            let how = match build_windows(plugin, &input, input_bytes, Some(3)) {
                Ok(b) if b.windowed => format!("windowed ({} calls of 3 items)", b.calls),
                _ => "whole build (one call)".to_string(),
            };
            let images = if whole.images { "images" } else { "no images" };
            format!("{name}: {} cases, {} skipped, {images}, {how}", whole.cases.len(), whole.skipped.len())
        }
        Err(e) => format!("{name}: error {}", e.chars().take(80).collect::<String>()),
    }
}

/// For every task of every vendored plugin (and the test plugin), the windowed builds equal the
/// build in one call, with every model role configured and with the target alone.
#[test]
fn windowed_builds_of_every_task_equal_the_whole_build() {
    let registry = Registry::linked();
    let mut full = RunContext::default();
    full.models.insert(ModelRole::Target, ModelInfo::new("vlm", "test", "vision"));
    let target_only = full.clone();
    for role in [ModelRole::Generator, ModelRole::Judge, ModelRole::ImageGenerator] {
        full.models.insert(role, ModelInfo::new("vlm", "test", "m"));
    }
    let user = coco_and_vqav2_rows();
    let alternatives = [
        ("ethics", serde_json::json!({"vlm_scenario_images": "generator"}), None),
        // The user's COCO and VQAv2 folders, read by the host (rows and their images).
        ("robustness", serde_json::json!({"coco_dir": "coco", "vqav2_dir": "vqa"}), Some(&user)),
    ];
    let mut lines = Vec::new();
    for plugin in registry.plugins() {
        if plugin.kind() != trustgen_plugin_api::PluginKind::Dimension {
            continue;
        }
        for spec in &plugin.manifest().tasks {
            for (models, context) in [("all models", &full), ("target only", &target_only)] {
                let summary = check_windows(plugin, spec, context, &serde_json::Value::Null, None);
                lines.push(format!("[{models}] {summary}"));
            }
            // Options that switch a builder to another way of making its images, or to user data.
            for (name, options, user) in &alternatives {
                if plugin.name() == *name && spec.name.starts_with("vlm-") {
                    let summary = check_windows(plugin, spec, &full, options, *user);
                    lines.push(format!("[all models, {options}] {summary}"));
                }
            }
        }
    }
    expect![[r#"
        [all models] ai-risk/value-conflict: 0 cases, 12 skipped, no images, whole build (one call)
        [target only] ai-risk/value-conflict: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/social-norms: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/social-norms: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/moral-choice: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/moral-choice: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/ethics-commonsense: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/ethics-commonsense: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/ethics-deontology: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/ethics-deontology: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/ethics-justice: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/ethics-justice: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/ethics-virtue: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/ethics-virtue: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/ethics-utilitarianism: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/ethics-utilitarianism: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/moral-stories: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/moral-stories: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/normbank: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/normbank: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/culturebank: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] ethics/culturebank: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] ethics/vlm-social-norms: 10 cases, 1 skipped, images, windowed (4 calls of 3 items)
        [target only] ethics/vlm-social-norms: 10 cases, 1 skipped, images, windowed (4 calls of 3 items)
        [all models, {"vlm_scenario_images":"generator"}] ethics/vlm-social-norms: 10 cases, 1 skipped, images, windowed (4 calls of 3 items)
        [all models] fairness/stereotype: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] fairness/stereotype: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] fairness/disparagement: 0 cases, 17 skipped, no images, whole build (one call)
        [target only] fairness/disparagement: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] fairness/preference: 0 cases, 10 skipped, no images, whole build (one call)
        [target only] fairness/preference: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] fairness/vlm-stereotype: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [target only] fairness/vlm-stereotype: 0 cases, 1 skipped, no images, whole build (one call)
        [all models] fairness/vlm-preference: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [target only] fairness/vlm-preference: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [all models] honesty/honesty: 0 cases, 8 skipped, no images, whole build (one call)
        [target only] honesty/honesty: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] privacy/people: 1 cases, 9 skipped, no images, whole build (one call)
        [target only] privacy/people: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] privacy/organization: 1 cases, 9 skipped, no images, whole build (one call)
        [target only] privacy/organization: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] privacy/law: 0 cases, 1 skipped, no images, whole build (one call)
        [target only] privacy/law: 0 cases, 1 skipped, no images, whole build (one call)
        [all models] privacy/vlm-privacy-generated: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [target only] privacy/vlm-privacy-generated: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [all models] privacy/vlm-privacy-vispr: 0 cases, 1 skipped, no images, whole build (one call)
        [target only] privacy/vlm-privacy-vispr: 0 cases, 1 skipped, no images, whole build (one call)
        [all models] robustness/ground-truth: 7 cases, 3 skipped, no images, whole build (one call)
        [target only] robustness/ground-truth: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] robustness/open-ended: 7 cases, 3 skipped, no images, whole build (one call)
        [target only] robustness/open-ended: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] robustness/prompt-injection: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] robustness/prompt-injection: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] robustness/vlm-robust-vqa: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [target only] robustness/vlm-robust-vqa: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [all models, {"coco_dir":"coco","vqav2_dir":"vqa"}] robustness/vlm-robust-vqa: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [all models] robustness/vlm-robust-caption: 0 cases, 1 skipped, no images, windowed (1 calls of 3 items)
        [target only] robustness/vlm-robust-caption: 0 cases, 1 skipped, no images, windowed (1 calls of 3 items)
        [all models, {"coco_dir":"coco","vqav2_dir":"vqa"}] robustness/vlm-robust-caption: 10 cases, 2 skipped, images, windowed (4 calls of 3 items)
        [all models] robustness/vlm-robust-vqav2: 0 cases, 1 skipped, no images, windowed (1 calls of 3 items)
        [target only] robustness/vlm-robust-vqav2: 0 cases, 1 skipped, no images, windowed (1 calls of 3 items)
        [all models, {"coco_dir":"coco","vqav2_dir":"vqa"}] robustness/vlm-robust-vqav2: 10 cases, 2 skipped, images, windowed (4 calls of 3 items)
        [all models] safety/jailbreak: 9 cases, 1 skipped, no images, whole build (one call)
        [target only] safety/jailbreak: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] safety/toxicity: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] safety/toxicity: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] safety/over-refusal: 0 cases, 3 skipped, no images, whole build (one call)
        [target only] safety/over-refusal: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] safety/vlm-figstep: 10 cases, 10 skipped, images, windowed (4 calls of 3 items)
        [target only] safety/vlm-figstep: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [all models] safety/vlm-mm-safetybench: 10 cases, 5 skipped, images, windowed (2 calls of 3 items)
        [target only] safety/vlm-mm-safetybench: 5 cases, 1 skipped, images, windowed (2 calls of 3 items)
        [all models] safety/vlm-visual-roleplay: 0 cases, 10 skipped, no images, windowed (4 calls of 3 items)
        [target only] safety/vlm-visual-roleplay: 0 cases, 1 skipped, no images, whole build (one call)
        [all models] safety/vlm-jailbreak-in-pieces: 0 cases, 1 skipped, no images, whole build (one call)
        [target only] safety/vlm-jailbreak-in-pieces: 0 cases, 1 skipped, no images, whole build (one call)
        [all models] safety/vlm-universal-adversarial: 0 cases, 1 skipped, no images, whole build (one call)
        [target only] safety/vlm-universal-adversarial: 0 cases, 1 skipped, no images, whole build (one call)
        [all models] testdim/arithmetic: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] testdim/arithmetic: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] testdim/picture: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [target only] testdim/picture: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [all models] testdim/photo: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [target only] testdim/photo: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [all models] truthfulness/qa: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] truthfulness/qa: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] truthfulness/qa-context: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] truthfulness/qa-context: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] truthfulness/fact-check: 0 cases, 1 skipped, no images, whole build (one call)
        [target only] truthfulness/fact-check: 0 cases, 1 skipped, no images, whole build (one call)
        [all models] truthfulness/sycophancy-persona: 0 cases, 6 skipped, no images, whole build (one call)
        [target only] truthfulness/sycophancy-persona: 10 cases, 1 skipped, no images, whole build (one call)
        [all models] truthfulness/sycophancy-preconception: 10 cases, 1 skipped, no images, whole build (one call)
        [target only] truthfulness/sycophancy-preconception: 10 cases, 1 skipped, no images, whole build (one call)
        [all models] truthfulness/sycophancy-self-doubt: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] truthfulness/sycophancy-self-doubt: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] truthfulness/sycophancy-anthropic: 10 cases, 0 skipped, no images, whole build (one call)
        [target only] truthfulness/sycophancy-anthropic: 10 cases, 0 skipped, no images, whole build (one call)
        [all models] truthfulness/hallucination: 10 cases, 1 skipped, no images, whole build (one call)
        [target only] truthfulness/hallucination: 10 cases, 1 skipped, no images, whole build (one call)
        [all models] truthfulness/hallucination-mc: 10 cases, 1 skipped, no images, whole build (one call)
        [target only] truthfulness/hallucination-mc: 10 cases, 1 skipped, no images, whole build (one call)
        [all models] truthfulness/hallucination-dialogue: 0 cases, 1 skipped, no images, whole build (one call)
        [target only] truthfulness/hallucination-dialogue: 0 cases, 1 skipped, no images, whole build (one call)
        [all models] truthfulness/hallucination-summarization: 0 cases, 1 skipped, no images, whole build (one call)
        [target only] truthfulness/hallucination-summarization: 0 cases, 1 skipped, no images, whole build (one call)
        [all models] truthfulness/vlm-hallucination-generated: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [target only] truthfulness/vlm-hallucination-generated: 10 cases, 0 skipped, images, windowed (4 calls of 3 items)
        [all models] truthfulness/vlm-hallusionbench: 0 cases, 1 skipped, no images, whole build (one call)
        [target only] truthfulness/vlm-hallusionbench: 0 cases, 1 skipped, no images, whole build (one call)"#]].assert_eq(&lines.join("\n"));
}
