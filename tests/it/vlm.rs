//! Images through the pipeline, end to end against the test server: a
//! dimension plugin (the test plugin's `picture` task) draws an image at
//! build time and attaches it as bytes; the run store keeps each image once,
//! named by its hash; the records name the hash; the `vlm` target's request
//! carries the image as a data URL; a resumed run sends nothing again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;
use trustgen_testserver::{ServerConfig, TestServer};

use crate::support::{self, run, run_dir, sha256, testdim_dir};

const KEY_VAR: &str = "TG_IT_KEY";

/// A suite asking a `vlm` target on the test server `limit` cases of `testdim/picture`.
fn suite(dir: &Path, base: &str, limit: usize) -> PathBuf {
    let text = format!(
        r#"[run]
name = "vlm"
seed = 3
concurrency = 4
output_dir = "{out}"

[plugins]
dirs = ["{plugins}"]

[models.target]
type = "vlm"
provider = "openai"
model = "vision-model"
base_url = "{base}/v1"
api_key_env = "{KEY_VAR}"
max_tokens = 16

[models.judge]
provider = "openai"
model = "judge-model"
base_url = "{base}/v1"
api_key_env = "{KEY_VAR}"

[[dimension]]
plugin = "testdim"
tasks = ["picture"]
limit = {limit}
"#,
        out = dir.join("runs").display(),
        plugins = testdim_dir().display(),
    );
    let path = dir.join("suite.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn trustgen_in(dir: &Path) -> Command {
    let mut cmd = support::trustgen_in(dir);
    cmd.env(KEY_VAR, "sk-test-key-vlm");
    cmd
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The files of `images/`, by name, with their bytes.
fn stored_images(run: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(run.join("images"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().into_string().unwrap(), std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// The image sources of each case's first prompt, by case id.
fn case_images(run: &Path) -> BTreeMap<String, Vec<Value>> {
    records(&run.join("cases.jsonl"))
        .into_iter()
        .map(|r| {
            let images = r["case"]["prompts"][0]["images"].as_array().cloned().unwrap_or_default();
            (r["case"]["id"].as_str().unwrap().to_owned(), images)
        })
        .collect()
}

fn stored(sha: &str) -> Value {
    serde_json::json!({"media_type": "image/png", "source": {"stored": {"sha256": sha}}})
}

#[test]
fn a_built_image_is_stored_once_sent_as_bytes_and_not_sent_again_on_resume() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = suite(dir.path(), server.base_url(), 2);
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let run_dir = run_dir(dir.path());
    let red = trustgen_test_plugin::solid_png(4, 4, [255, 0, 0]);
    let blue = trustgen_test_plugin::solid_png(4, 4, [0, 0, 255]);
    let (red_sha, blue_sha) = (sha256(&red), sha256(&blue));

    // Each image once, under its hash, with its bytes.
    let images = stored_images(&run_dir);
    let expected: BTreeMap<String, Vec<u8>> =
        [(format!("{red_sha}.png"), red.clone()), (format!("{blue_sha}.png"), blue.clone())].into_iter().collect();
    assert_eq!(images, expected);

    // The records name the images by hash; no bytes, blob or base64 in them.
    let cases = case_images(&run_dir);
    assert_eq!(cases["testdim/picture/0"], vec![stored(&red_sha)]);
    assert_eq!(cases["testdim/picture/1"], vec![stored(&red_sha), stored(&blue_sha)]);
    for file in ["cases.jsonl", "requests.jsonl", "outputs.jsonl"] {
        let text = std::fs::read_to_string(run_dir.join(file)).unwrap();
        assert!(!text.contains("\"blob\"") && !text.contains("base64"), "{file}: {text}");
    }
    let journal = records(&run_dir.join("requests.jsonl"));
    assert_eq!(journal.len(), 2, "one target request per case");
    for record in &journal {
        let images = &record["request"]["messages"][0]["images"];
        assert_eq!(images[0], stored(&red_sha), "{record}");
    }

    // The target requests carried the bytes, as data URLs.
    let mut sent: Vec<Vec<Vec<u8>>> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .map(|r| {
            let parts = r.body.as_ref().unwrap()["messages"][0]["content"].as_array().unwrap().clone();
            parts
                .iter()
                .filter_map(|p| p["image_url"]["url"].as_str())
                .map(|url| {
                    let data = url.strip_prefix("data:image/png;base64,").expect("a PNG data URL");
                    base64::engine::general_purpose::STANDARD.decode(data).unwrap()
                })
                .collect()
        })
        .collect();
    sent.sort_by_key(Vec::len);
    assert_eq!(sent, vec![vec![red.clone()], vec![red.clone(), blue.clone()]]);
    let total = server.stats().total;
    assert_eq!(total, 2);

    // Killed before any answer was recorded: the resume rebuilds the cases,
    // finds the images stored and serves the replies from the journal.
    for file in ["outputs.jsonl", "verdicts.jsonl"] {
        std::fs::write(run_dir.join(file), "").unwrap();
    }
    let manifest_path = run_dir.join("manifest.json");
    let mut manifest: Value = serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["status"] = "running".into();
    manifest.as_object_mut().unwrap().remove("finished_at");
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    let (code, stdout, stderr) =
        run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache", "--resume"]).arg(&run_dir));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(server.stats().total, total, "a resumed run sends no recorded request again");
    assert_eq!(records(&run_dir.join("verdicts.jsonl")).len(), 2);
    assert_eq!(stored_images(&run_dir), expected);
}

/// A VLM task of more cases than a build window (`BUILD_WINDOW` items) is built window by window:
/// every case once, in the order of the whole build, each with its own image in the run store.
#[test]
fn a_task_larger_than_a_window_is_built_window_by_window_with_every_case_and_image() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let limit = trustgen_engine::BUILD_WINDOW * 2 + 6;
    let suite = suite(dir.path(), server.base_url(), limit);
    let text = std::fs::read_to_string(&suite).unwrap().replace("tasks = [\"picture\"]", "tasks = [\"photo\"]");
    std::fs::write(&suite, text).unwrap();
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let run_dir = run_dir(dir.path());
    let expected: BTreeMap<String, Vec<Value>> = (0..limit)
        .map(|i| (format!("testdim/photo/{i}"), vec![stored(&sha256(&trustgen_test_plugin::photo_png(64, i)))]))
        .collect();
    assert_eq!(case_images(&run_dir), expected);
    assert_eq!(records(&run_dir.join("cases.jsonl")).len(), limit, "each case once");
    assert_eq!(stored_images(&run_dir).len(), limit, "each case's own image");
}

#[test]
fn the_same_image_in_several_cases_is_stored_once() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = suite(dir.path(), server.base_url(), 5);
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let run_dir = run_dir(dir.path());
    let red_sha = sha256(&trustgen_test_plugin::solid_png(4, 4, [255, 0, 0]));
    let cases = case_images(&run_dir);
    assert_eq!(cases.len(), 5);
    assert!(cases.values().all(|images| images[0] == stored(&red_sha)), "{cases:?}");
    // Five cases show the red square, two the blue one: two files.
    assert_eq!(stored_images(&run_dir).len(), 2);
}

#[test]
fn plugins_list_shows_the_vlm_model_type() {
    let (code, stdout, stderr) = run(support::trustgen().args(["plugins", "list"]));
    assert_eq!(code, 0, "{stderr}");
    let line = stdout.lines().find(|l| l.starts_with("vlm ")).unwrap_or_else(|| panic!("no vlm line in:\n{stdout}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words, ["vlm", "model_type", "0.1.0", "linked", "vlm"], "{line}");
}

#[test]
fn an_llm_suite_naming_no_tasks_does_not_run_vlm_tasks() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = suite(dir.path(), server.base_url(), 2);
    let text =
        std::fs::read_to_string(&suite).unwrap().replace("type = \"vlm\"\n", "").replace("tasks = [\"picture\"]\n", "");
    std::fs::write(&suite, text).unwrap();
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let run_dir = run_dir(dir.path());
    let ids: Vec<String> = case_images(&run_dir).into_keys().collect();
    assert_eq!(ids, ["testdim/arithmetic/0", "testdim/arithmetic/1"], "only the llm task runs");
    assert!(!run_dir.join("images").exists());
}

/// The source of the third-party plugin of
/// `an_out_of_tree_plugin_draws_an_image_and_grades_a_vlm_answer_about_it`: it draws a coloured
/// square with the image tooling at build time and asks what colour it is.
const SWATCH_PLUGIN: &str = r####"//! A third-party VLM plugin, built outside the trustgen workspace.
use trustgen_image::{Rgb, RgbImage, encode_png};
use trustgen_plugin_api::*;

pub const COLOURS: [(&str, [u8; 3]); 3] = [("red", [210, 30, 30]), ("blue", [30, 60, 210]), ("green", [30, 170, 60])];

/// The PNG of a 32×32 square of `rgb`.
pub fn square(rgb: [u8; 3]) -> Vec<u8> {
    encode_png(&RgbImage::from_pixel(32, 32, Rgb(rgb))).expect("a small image encodes")
}

struct Swatch;

impl Dimension for Swatch {
    fn manifest(&self) -> Manifest {
        let metric = MetricSpec::new("accuracy").with_policy("an answer that does not name the colour counts as wrong");
        Manifest::new()
            .with_description("Does the model see the colour of a square?")
            .with_tasks(vec![TaskSpec::new("swatch", metric).with_model_types(vec!["vlm".into()])])
    }

    fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        let limit = input.limit.unwrap_or(COLOURS.len()).min(COLOURS.len());
        let mut cases = Vec::new();
        for (i, (name, rgb)) in COLOURS.iter().take(limit).enumerate() {
            let image = cx.attach_image("image/png", &square(*rgb));
            let prompt = Prompt::user("What colour is the square? Answer with one word.").with_images(vec![image]);
            cases.push(TestCase::new(format!("swatch/swatch/{i}"), input.task.clone(), vec![prompt]).with_ground_truth(*name));
        }
        Ok(BuildOutput::new(cases))
    }

    fn score(&self, _cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
        let truth = input.case.ground_truth.clone().unwrap_or_default();
        let answer = input.output.answers.first().and_then(|a| a.turns.last()).and_then(|t| t.text.clone());
        let Some(answer) = answer else { return Ok(Verdict::missing("no answer")) };
        let right = answer.to_lowercase().split(|c: char| !c.is_alphabetic()).any(|w| w == truth);
        Ok(Verdict::scored(if right { 1.0 } else { 0.0 }).with_label(if right { "correct" } else { "wrong" }))
    }
}

export_plugin!(name: "swatch", dimension: Swatch);
"####;

/// Writes the swatch plugin as a crate outside the workspace that depends on the plugin API and
/// the image tooling by path, the way a third party does.
fn swatch_crate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = support::root();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            r#"[package]
name = "swatch-plugin"
version = "0.1.0"
edition = "2024"

[lib]
crate-type = ["cdylib"]

[features]
default = ["dynamic"]
dynamic = []

[dependencies]
trustgen-plugin-api = {{ path = "{api}" }}
trustgen-image = {{ path = "{image}" }}

[workspace]
"#,
            api = root.join("crates/trustgen-plugin-api").display(),
            image = root.join("crates/trustgen-image").display(),
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), SWATCH_PLUGIN).unwrap();
    dir
}

/// The square the swatch plugin draws, drawn here the same way.
fn swatch_square(rgb: [u8; 3]) -> Vec<u8> {
    use trustgen_image::{Rgb, RgbImage, encode_png};
    encode_png(&RgbImage::from_pixel(32, 32, Rgb(rgb))).unwrap()
}

#[test]
fn an_out_of_tree_plugin_draws_an_image_and_grades_a_vlm_answer_about_it() {
    use trustgen_testserver::{Rule, Script};
    let source = swatch_crate();
    let library = support::build_out_of_tree(source.path(), "swatch_plugin");
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(&library, plugins.path().join(support::lib_file("swatch"))).unwrap();

    // The vision model answers by the image it was sent: right about red, wrong about blue.
    let red = sha256(&swatch_square([210, 30, 30]));
    let blue = sha256(&swatch_square([30, 60, 210]));
    let script = Script::new(vec![
        Rule::new().image_sha256(red.clone()).reply("The square is red."),
        Rule::new().image_sha256(blue.clone()).reply("It looks green to me."),
    ])
    .unwrap();
    let server = TestServer::spawn(ServerConfig::default().with_script(script)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    std::fs::write(
        &suite,
        format!(
            r#"[run]
name = "swatch"
seed = 1
output_dir = "{out}"

[plugins]
dirs = ["{plugins}"]

[models.target]
type = "vlm"
provider = "openai"
model = "vision-model"
base_url = "{base}/v1"
api_key_env = "{KEY_VAR}"

[[dimension]]
plugin = "swatch"
limit = 2
"#,
            out = dir.path().join("runs").display(),
            plugins = plugins.path().display(),
            base = server.base_url(),
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let run_dir = run_dir(dir.path());

    // The drawn squares are in the run store under their hashes, and each request carried one.
    let stored: Vec<String> = stored_images(&run_dir).into_keys().collect();
    assert_eq!(stored, {
        let mut names = vec![format!("{red}.png"), format!("{blue}.png")];
        names.sort();
        names
    });
    let mut sent: Vec<String> =
        server.requests().iter().flat_map(|r| r.images.iter().map(|i| i.sha256.clone())).collect();
    sent.sort();
    let mut expected = vec![red, blue];
    expected.sort();
    assert_eq!(sent, expected);

    // The answers about the images were graded: red right, blue wrong.
    let verdicts: BTreeMap<String, String> = records(&run_dir.join("verdicts.jsonl"))
        .into_iter()
        .map(|r| (r["case_id"].as_str().unwrap().to_owned(), r["verdict"]["label"].as_str().unwrap().to_owned()))
        .collect();
    expect_test::expect![[r#"{"swatch/swatch/0": "correct", "swatch/swatch/1": "wrong"}"#]]
        .assert_eq(&format!("{verdicts:?}"));
}

#[test]
fn the_run_report_shows_the_case_images_as_thumbnails() {
    let server = TestServer::spawn(ServerConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = suite(dir.path(), server.base_url(), 2);
    let (code, stdout, stderr) = run(trustgen_in(dir.path()).args(["run", "--quiet", "--no-cache"]).arg(&suite));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let html = std::fs::read_to_string(run_dir(dir.path()).join("report.html")).unwrap();
    let start = html.find(r#"id="case-data">"#).unwrap() + r#"id="case-data">"#.len();
    let data: Value = serde_json::from_str(&html[start..start + html[start..].find("</script>").unwrap()]).unwrap();
    // The red and the blue square, each once, as JPEG thumbnails named by their file.
    let red = format!("images/{}.png", sha256(&trustgen_test_plugin::solid_png(4, 4, [255, 0, 0])));
    let blue = format!("images/{}.png", sha256(&trustgen_test_plugin::solid_png(4, 4, [0, 0, 255])));
    let images = data["images"].as_array().unwrap();
    let files: Vec<&str> = images.iter().map(|i| i["f"].as_str().unwrap()).collect();
    assert_eq!(files, [red.as_str(), blue.as_str()]);
    for image in images {
        let url = image["u"].as_str().unwrap_or_else(|| panic!("not shown: {image}"));
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(url.strip_prefix("data:image/jpeg;base64,").expect("a JPEG data URL"))
            .unwrap();
        assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "{image}");
    }
    // Case 1 shows both, case 0 the red one; the page says so and stays one file.
    let prompts: Vec<String> = data["cases"].as_array().unwrap().iter().map(|c| c["p"][0]["img"].to_string()).collect();
    assert_eq!(prompts, ["[0]", "[0,1]"]);
    assert!(html.contains("2 distinct image(s): 2 shown as thumbnails"), "no image note");
    assert!(html.contains("img-src data:;"), "the CSP allows data: images only");
}
