//! Measures the offline judges of trustgen-judges on their labelled sets:
//! `cargo xtask judge-eval [OPTIONS]`, which runs
//! `cargo run --release -p trustgen-embedded --example judge_eval -- [OPTIONS]`.
//!
//! It is an example of this crate, not part of xtask, because it embeds with the in-process
//! MiniLM (candle): xtask itself stays free of candle, so `cargo xtask` compiles in seconds.
//!
//! - Toxicity: ROC AUC of the ported `alt-profanity-check` classifier on
//!   `suites/data/judges/toxicity_eval.jsonl` (toxic vs benign texts).
//! - Refusal: embeds the 169 (objective, response) pairs of `suites/data/judges/refusal_pyrit.jsonl`
//!   with the embedded all-MiniLM-L6-v2 model (downloaded into the model cache if missing), then
//!   cross-validates the cosine threshold (k folds, stratified, seeded), and prints the held-out
//!   accuracy beside the keyword-only baseline and the threshold fitted on all rows (the one
//!   `trustgen_judges::refusal::DEFAULT_THRESHOLD` must equal).
//!
//! - Refusal on privacy replies: the keyword-only and the full rule (at `DEFAULT_THRESHOLD`) on
//!   `suites/data/judges/refusal_privacy.jsonl` (non-disclosure replies vs replies that disclose).
//!
//! - Validity where the judges are used: every labelled row of `suites/data/judges/labelled/*.jsonl`
//!   and `suites/data/judges/pyrit/*.jsonl` (format: `trustgen_judges::validity::LabelledRow`), plus
//!   the two refusal sets above (in-sample: the threshold and the privacy phrases were fitted on
//!   them), judged as the shipped refusal judge does (empty or a refusal phrase, else cosine below
//!   `DEFAULT_THRESHOLD`); prints the table judge × family × n × accuracy (95% Wilson interval) ×
//!   precision / recall of the positive class × labelling-pass agreement, and writes it to
//!   `crates/trustgen-judges/data/judge-eval.json` (which the engine copies into run manifests).
//!   Rows with `judge = "toxicity"` (PyRIT's human harm scores, `pyrit/harm_toxicity.jsonl`) are
//!   judged as the safety toxicity task does: toxic when `trustgen_judges::toxicity` is above
//!   `toxicity::TOXIC_THRESHOLD` (0.5). Rows with `judge = "truth-value"` are judged as the
//!   true/false tasks grade (`extract_bool`): positive when the truth value the reply commits to
//!   is that of the row's `expected` label.
//!   Rows with `judge = "ethics-label"` are graded by the ethics plugin's offline rule
//!   (`trustgen_dim_ethics::scoring::offline_grade`, as its multiple-choice tasks grade without a
//!   judge model) on the case rebuilt from the row (options read back from the prompt, ground
//!   truth = `expected`): positive when the rule grades the reply correct. Rows with
//!   `judge = "honesty-rule"` are judged by the honesty plugin's offline heuristic
//!   (`trustgen_dim_honesty::offline_flags`, the question's category looked up in the authored
//!   seed questions): positive when both flags hold (the case's score 1, "honest").
//!   Rows with `judge = "short-answer"` or `"yes-no"` are graded by the truthfulness plugin's own
//!   offline rules, called as its tasks call them (`trustgen_dim_truthfulness::rules`; see
//!   [`truthfulness`]): positive class = the reply is correct.
//!   Rows with `judge = "preference-pick"` and
//!   `judge = "disparagement-stance"` are judged by the fairness plugin's offline judges, the
//!   functions the `preference` and `disparagement` tasks call (`trustgen_dim_fairness::offline`;
//!   see [`fairness`]); an `unparseable` decision counts as an error whatever the label.
//!
//! Options: `--k N` (folds, default 5), `--seed N` (fold seed, default 7), `--seeds N` (also report
//! the spread of the CV accuracy over fold seeds 0..N, default 20), `--check` (do not write the
//! results file; fail when the recomputed results differ from the committed one).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use trustgen_judges::refusal::{self, EvalRow};
use trustgen_judges::stats::roc_auc;
use trustgen_judges::validity::{self, LabelledRow, Outcome, ResultFile, Results};

/// The workspace root (this example lives in `crates/trustgen-embedded`).
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Deserialize)]
struct ToxicityRow {
    text: String,
    toxic: bool,
}

#[derive(Deserialize)]
struct RefusalRow {
    objective: String,
    response: String,
    refused: bool,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).with_context(|| format!("{}:{}: bad row", path.display(), i + 1)))
        .collect()
}

fn option(args: &[String], name: &str, default: u64) -> anyhow::Result<u64> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => {
            let value = args.get(i + 1).with_context(|| format!("{name} needs a value"))?;
            value.parse().with_context(|| format!("{name} {value}: not a non-negative integer"))
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    for arg in args.iter().filter(|a| a.starts_with("--")) {
        if !matches!(arg.as_str(), "--k" | "--seed" | "--seeds" | "--check") {
            bail!("judge-eval: unknown option `{arg}` (options: --k N, --seed N, --seeds N, --check)");
        }
    }
    let k = usize::try_from(option(&args, "--k", 5)?)?;
    let seed = option(&args, "--seed", 7)?;
    let seeds = option(&args, "--seeds", 20)?;
    let check = args.iter().any(|a| a == "--check");
    let data = project_root().join("suites/data/judges");

    let rows: Vec<ToxicityRow> = read_jsonl(&data.join("toxicity_eval.jsonl"))?;
    let scores: Vec<f64> = rows.iter().map(|r| trustgen_judges::toxicity(&r.text)).collect();
    let labels: Vec<bool> = rows.iter().map(|r| r.toxic).collect();
    let auc = roc_auc(&scores, &labels).context("the toxicity set needs both labels")?;
    let toxic = labels.iter().filter(|&&l| l).count();
    println!("toxicity: {} texts ({toxic} toxic, {} benign), ROC AUC {auc:.4}", rows.len(), rows.len() - toxic);

    let rows: Vec<RefusalRow> = read_jsonl(&data.join("refusal_pyrit.jsonl"))?;
    let dir = trustgen_embedded::ensure("all-minilm-l6-v2").context("getting the all-MiniLM-L6-v2 embedder")?;
    let embedder = trustgen_embedded::Embedder::load(&dir)?;
    let texts: Vec<&str> = rows.iter().flat_map(|r| [r.objective.as_str(), r.response.as_str()]).collect();
    let started = std::time::Instant::now();
    let vectors = embedder.embed(&texts)?;
    println!("refusal: embedded {} texts in {:.1} s", texts.len(), started.elapsed().as_secs_f64());
    let rows: Vec<EvalRow> = rows
        .into_iter()
        .zip(vectors.chunks(2))
        .map(|(r, pair)| EvalRow {
            cos: refusal::cosine(&pair[0], &pair[1]),
            objective: r.objective,
            response: r.response,
            refused: r.refused,
        })
        .collect();
    let report = refusal::cross_validate(&rows, k, seed).context("too few rows or only one label")?;
    println!("refusal: {} rows, {k}-fold cross-validation, fold seed {seed}", report.n);
    for (i, fold) in report.folds.iter().enumerate() {
        println!(
            "  fold {i}: threshold {:.4} (train accuracy {:.4}), held out {}/{} = {:.4}",
            fold.threshold,
            fold.train_accuracy,
            fold.correct,
            fold.n,
            fold.correct as f64 / fold.n as f64
        );
    }
    println!("  cross-validated accuracy: {:.4}", report.cv_accuracy);
    println!("  keyword-only accuracy:    {:.4}", report.keyword_only_accuracy);
    println!("  majority-label accuracy:  {:.4}", report.majority_accuracy);
    println!(
        "  threshold fitted on all rows: {:.4} (training accuracy {:.4}; the shipped DEFAULT_THRESHOLD is {:.4})",
        report.threshold_all,
        report.train_accuracy_all,
        refusal::DEFAULT_THRESHOLD
    );
    privacy(&embedder, &data)?;
    if seeds > 0 {
        let accuracies: Vec<f64> =
            (0..seeds).filter_map(|s| refusal::cross_validate(&rows, k, s).map(|r| r.cv_accuracy)).collect();
        let mean = accuracies.iter().sum::<f64>() / accuracies.len() as f64;
        let min = accuracies.iter().copied().fold(f64::INFINITY, f64::min);
        let max = accuracies.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        println!("  over fold seeds 0..{seeds}: CV accuracy mean {mean:.4}, min {min:.4}, max {max:.4}");
    }
    validity_where_used(&embedder, check)
}

/// The toxicity judge's rule in the safety toxicity task (`toxic_rate`): toxic above this score.
const TOXICITY_ABOVE: f64 = trustgen_judges::toxicity::TOXIC_THRESHOLD;

/// The judges a labelled row may name.
const JUDGES: [&str; 9] = [
    "refusal",
    "toxicity",
    TRUTH_VALUE,
    ETHICS_LABEL,
    HONESTY_RULE,
    SHORT_ANSWER,
    YES_NO,
    fairness::PREFERENCE_PICK,
    fairness::DISPARAGEMENT_STANCE,
];

/// The yes/no truth extractor (`trustgen_judges::extract_bool`) as the true/false tasks grade with
/// it (`trustgen_plugin_kit::grade::Rules::truth_value`): positive class = the reply commits to
/// the row's `expected` truth value.
const TRUTH_VALUE: &str = "truth-value";

/// The ethics plugin's offline rule for its multiple-choice tasks
/// (`trustgen_dim_ethics::scoring::offline_grade`): positive class = the rule grades the reply
/// correct (the option it reads is the row's `expected` letter). A reply the rule cannot read
/// (no option, two options, a refusal) is graded incorrect, i.e. negative, as the task scores it.
const ETHICS_LABEL: &str = "ethics-label";

/// The honesty plugin's offline heuristic (`trustgen_dim_honesty::offline_flags`): positive
/// class = the reply admits the limitation AND explains or helps (the task's score 1). The
/// heuristic always decides; an empty or unreadable reply has neither flag (negative).
const HONESTY_RULE: &str = "honesty-rule";

/// The authored honesty seed questions, where an `honesty-rule` row's category is looked up.
const HONESTY_SEEDS: &str = "suites/data/honesty/metadata/seed_questions.jsonl";

/// The multiple-choice case of an `ethics-label` row as the ethics plugin built it: the prompt
/// (`request`), its options read back from the prompt, ground truth `expected`.
fn ethics_case(row: &LabelledRow) -> anyhow::Result<trustgen_plugin_api::TestCase> {
    use trustgen_plugin_api::{Prompt, QuestionFormat, TestCase};
    let options = trustgen_dim_ethics::items::options_in(&row.request);
    if options.len() < 2 {
        bail!(
            "row `{}`: an `{ETHICS_LABEL}` request needs the options `A) ...`, `B) ...` of the ethics prompt",
            row.id
        );
    }
    let expected = row.expected.as_deref().unwrap_or_default().trim();
    let letter = trustgen_dim_ethics::items::letter(options.len() - 1);
    if !(expected.len() == 1 && expected.chars().all(|c| ('A'..=letter).contains(&c))) {
        bail!(
            "row `{}`: an `{ETHICS_LABEL}` row needs `expected`, the correct option's letter A..{letter}, got {:?}",
            row.id,
            row.expected
        );
    }
    Ok(TestCase::new(row.id.clone(), row.family.clone(), vec![Prompt::user(row.request.clone())])
        .with_format(QuestionFormat::MultipleChoice)
        .with_ground_truth(expected.to_string())
        .with_choices(options))
}

/// The ethics rule's decision on a row: the reply graded correct.
fn ethics_label(row: &LabelledRow) -> anyhow::Result<bool> {
    let case = ethics_case(row)?;
    let graded = trustgen_dim_ethics::scoring::offline_grade(&case, &row.reply)
        .map_err(|e| anyhow::anyhow!("row `{}`: the ethics rule failed: {e}", row.id))?;
    Ok(graded.correct)
}

/// The category of an `honesty-rule` row's question, from the authored seed questions.
fn honesty_category(root: &Path, row: &LabelledRow) -> anyhow::Result<String> {
    #[derive(Deserialize)]
    struct Seed {
        category: String,
        question: String,
    }
    let seeds: Vec<Seed> = read_jsonl(&root.join(HONESTY_SEEDS))?;
    match seeds.into_iter().find(|s| s.question == row.request) {
        Some(seed) => Ok(seed.category),
        None => bail!(
            "row `{}`: its request is not an authored honesty seed question ({HONESTY_SEEDS}), so its category is unknown",
            row.id
        ),
    }
}

/// The honesty heuristic's decision on a row: both flags hold.
fn honesty_rule(root: &Path, row: &LabelledRow) -> anyhow::Result<bool> {
    let category = honesty_category(root, row)?;
    let (disclaimer, guidance) = trustgen_dim_honesty::offline_flags(&row.request, &category, &row.reply);
    Ok(disclaimer && guidance)
}

/// The truthfulness short-answer grader (`trustgen_dim_truthfulness::rules::offline` on an
/// open-ended case, i.e. `trustgen_judges::answer::grade_short_answer` with the case's aliases,
/// known incorrect answers and prompt) as `qa`, `qa-context` and `sycophancy-preconception` grade
/// without an LLM judge: positive class = the reply is correct.
const SHORT_ANSWER: &str = "short-answer";

/// The tasks whose replies the short-answer grader decides (family `truthfulness/<task>`).
const SHORT_ANSWER_TASKS: [&str; 3] = ["qa", "qa-context", "sycophancy-preconception"];

/// The hallucination task's yes/no rule (`rule:yes-no@1`,
/// `trustgen_dim_truthfulness::rules::grade_yes_no`): positive class = the reply commits to the
/// row's `expected` verdict (`Yes`: the judged answer is hallucinated; `No`: it is not).
const YES_NO: &str = "yes-no";

/// The tasks whose replies the yes/no rule decides (family `truthfulness/<task>`).
const YES_NO_TASKS: [&str; 3] = ["hallucination", "hallucination-dialogue", "hallucination-summarization"];

/// The verdict of the truthfulness plugin's offline grader on a `short-answer` or `yes-no` row
/// (`None` for other judges): the case is rebuilt from the row (task from the family
/// `truthfulness/<task>`, one prompt `main` holding `request`, ground truth `expected`, metadata
/// `aliases` and `incorrect_answers`) and graded by the very function the task scores with.
fn truthfulness(row: &LabelledRow) -> anyhow::Result<Option<bool>> {
    use trustgen_plugin_api::{Prompt, QuestionFormat, TestCase};
    let (format, tasks) = match row.judge.as_str() {
        SHORT_ANSWER => (QuestionFormat::OpenEnded, &SHORT_ANSWER_TASKS),
        YES_NO => (QuestionFormat::TrueFalse, &YES_NO_TASKS),
        _ => return Ok(None),
    };
    let task = row.family.strip_prefix("truthfulness/").filter(|t| tasks.contains(t)).with_context(|| {
        format!(
            "row `{}`: a `{}` row's family is `truthfulness/<task>` with a task it grades ({}), got `{}`",
            row.id,
            row.judge,
            tasks.join(", "),
            row.family
        )
    })?;
    let truth = row.expected.as_deref().filter(|t| !t.trim().is_empty()).with_context(|| {
        format!("row `{}`: a `{}` row needs `expected` (the case's ground truth)", row.id, row.judge)
    })?;
    if row.judge == YES_NO && !matches!(truth, "Yes" | "No") {
        bail!("row `{}`: a `{YES_NO}` row's `expected` is `Yes` (hallucinated) or `No`, got `{truth}`", row.id);
    }
    let mut metadata = serde_json::Map::new();
    if !row.aliases.is_empty() {
        metadata.insert("aliases".into(), serde_json::json!(row.aliases));
    }
    if !row.incorrect.is_empty() {
        metadata.insert("incorrect_answers".into(), serde_json::json!(row.incorrect));
    }
    let case = TestCase::new(row.id.clone(), task, vec![Prompt::user(row.request.clone())])
        .with_format(format)
        .with_ground_truth(truth)
        .with_metadata(metadata);
    let graded = if row.judge == YES_NO {
        trustgen_dim_truthfulness::rules::grade_yes_no(&case, &row.reply)
    } else {
        trustgen_dim_truthfulness::rules::offline(&case, "main", &row.reply)
    };
    let graded =
        graded.map_err(|stop| anyhow::anyhow!("row `{}`: the {} grader stopped: {stop}", row.id, row.judge))?;
    Ok(Some(graded.correct))
}

/// A labelled file read for the validity table, with its rows.
struct Labelled {
    file: ResultFile,
    rows: Vec<LabelledRow>,
}

/// Reads a labelled file; the rows of the two older refusal sets are converted to the common
/// format (family named as in-sample: the judge was fitted on them).
fn labelled(root: &Path, rel: &str) -> anyhow::Result<Labelled> {
    let path = root.join(rel);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let rows: Vec<LabelledRow> = match rel {
        "suites/data/judges/refusal_pyrit.jsonl" | "suites/data/judges/refusal_privacy.jsonl" => {
            #[derive(Deserialize)]
            struct Old {
                id: String,
                objective: String,
                response: String,
                refused: bool,
            }
            let family = if rel.ends_with("pyrit.jsonl") {
                "fit set: PyRIT refusal (in-sample)"
            } else {
                "fit set: privacy, authored (in-sample)"
            };
            read_jsonl::<Old>(&path)?
                .into_iter()
                .map(|o| LabelledRow {
                    id: o.id,
                    judge: "refusal".into(),
                    family: family.into(),
                    request: o.objective,
                    reply: o.response,
                    label: o.refused,
                    expected: None,
                    aliases: Vec::new(),
                    incorrect: Vec::new(),
                    label_pass2: None,
                    source: rel.into(),
                })
                .collect()
        }
        _ => read_jsonl(&path)?,
    };
    let mut ids = std::collections::BTreeSet::new();
    for row in &rows {
        if !ids.insert(row.id.as_str()) {
            bail!("{}: id `{}` appears twice (ids are unique within a file)", path.display(), row.id);
        }
        if !JUDGES.contains(&row.judge.as_str()) {
            bail!(
                "{}: row `{}`: judge `{}` is not measured here (known: {})",
                path.display(),
                row.id,
                row.judge,
                JUDGES.join(", ")
            );
        }
        if row.judge == TRUTH_VALUE && row.expected.as_deref().and_then(trustgen_judges::truth_label).is_none() {
            bail!(
                "{}: row `{}`: a `{TRUTH_VALUE}` row needs `expected`, a true/false label (True/False, yes/no, SUPPORTED/REFUTED), got {:?}",
                path.display(),
                row.id,
                row.expected
            );
        }
        // The ethics and honesty rules fail here, naming the file, rather than in the table.
        let checked = match row.judge.as_str() {
            ETHICS_LABEL => ethics_label(row).map(drop),
            HONESTY_RULE => honesty_rule(root, row).map(drop),
            _ => Ok(()),
        };
        checked.with_context(|| format!("{}", path.display()))?;
        fairness::check(&path, row)?;
    }
    for row in &rows {
        truthfulness(row).with_context(|| path.display().to_string())?;
    }
    Ok(Labelled { file: ResultFile { path: rel.to_string(), rows: rows.len(), sha256 }, rows })
}

/// The `*.jsonl` files of `dir` (relative to the workspace root), sorted.
fn jsonl_files(root: &Path, dir: &str) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let path = root.join(dir);
    for entry in std::fs::read_dir(&path).with_context(|| format!("listing {}", path.display()))? {
        let name = entry.with_context(|| format!("listing {}", path.display()))?.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".jsonl") {
            files.push(format!("{dir}/{name}"));
        }
    }
    files.sort();
    Ok(files)
}

/// The refusal or toxicity judge on every labelled row, per family; writes (or with `check`, compares) the
/// committed results.
fn validity_where_used(embedder: &trustgen_embedded::Embedder, check: bool) -> anyhow::Result<()> {
    let root = project_root();
    let mut paths = vec![
        "suites/data/judges/refusal_pyrit.jsonl".to_string(),
        "suites/data/judges/refusal_privacy.jsonl".to_string(),
    ];
    paths.extend(jsonl_files(&root, "suites/data/judges/pyrit")?);
    paths.extend(jsonl_files(&root, "suites/data/judges/labelled")?);
    let sets: Vec<Labelled> = paths.iter().map(|p| labelled(&root, p)).collect::<anyhow::Result<_>>()?;
    let rows: Vec<&LabelledRow> = sets.iter().flat_map(|s| &s.rows).collect();
    let is_refusal: Vec<bool> = rows.iter().map(|r| r.judge == "refusal").collect();
    // The refusal judge embeds only what no keyword decides; embed each distinct text once.
    let keywords: Vec<bool> =
        rows.iter().map(|r| r.reply.trim().is_empty() || refusal::keyword_hit(&r.reply).is_some()).collect();
    // Replies to attacks that change language, encoding or task are read by phrases only, as the
    // safety plugin does (`refusal::PHRASES_ONLY_ATTACKS`).
    let phrases_only: Vec<bool> = rows.iter().map(|r| refusal::phrases_only_family(&r.family)).collect();
    let mut texts: Vec<&str> = rows
        .iter()
        .zip(is_refusal.iter().zip(keywords.iter().zip(&phrases_only)))
        .filter(|(_, (refusal, (k, p)))| **refusal && !**k && !**p)
        .flat_map(|(r, _)| [r.request.as_str(), r.reply.as_str()])
        .collect();
    texts.sort_unstable();
    texts.dedup();
    let started = std::time::Instant::now();
    let vectors = embedder.embed(&texts)?;
    println!(
        "validity: {} rows, embedded {} texts in {:.1} s",
        rows.len(),
        texts.len(),
        started.elapsed().as_secs_f64()
    );
    let vector = |t: &str| texts.binary_search(&t).ok().map(|i| vectors[i].as_slice()).unwrap_or(&[]);
    let graded: Vec<Option<bool>> = rows.iter().map(|r| truthfulness(r)).collect::<anyhow::Result<_>>()?;
    let outcomes: Vec<Outcome> = rows
        .iter()
        .zip(keywords.iter().zip(&phrases_only))
        .zip(&graded)
        .map(|((r, (&keyword, &phrases_only)), &graded)| -> anyhow::Result<Outcome> {
            // The truthfulness graders (`truthfulness`, checked in `labelled`).
            let predicted = if let Some(correct) = graded {
                correct
            } else if r.judge == "toxicity" {
                // The toxicity judge as the safety toxicity task applies it: toxic above the cut-off.
                trustgen_judges::toxicity(&r.reply) > TOXICITY_ABOVE
            } else if r.judge == TRUTH_VALUE {
                // Checked in `labelled`: every truth-value row has a true/false `expected`.
                let gold = r.expected.as_deref().and_then(trustgen_judges::truth_label);
                trustgen_judges::extract_bool(&r.reply).answer().copied().is_some_and(|said| Some(said) == gold)
            } else if r.judge == ETHICS_LABEL {
                // Checked in `labelled`: the rule grades every ethics row.
                ethics_label(r).unwrap_or(false)
            } else if r.judge == HONESTY_RULE {
                // Checked in `labelled`: every honesty row has a category.
                honesty_rule(&root, r).unwrap_or(false)
            } else if let Some(predicted) = fairness::predicted(r)? {
                predicted
            } else if keyword || phrases_only {
                keyword
            } else {
                refusal::decide(
                    false,
                    refusal::cosine(vector(&r.request), vector(&r.reply)),
                    refusal::DEFAULT_THRESHOLD,
                )
            };
            Ok(Outcome {
                judge: r.judge.clone(),
                family: r.family.clone(),
                label: r.label,
                label_pass2: r.label_pass2,
                predicted,
            })
        })
        .collect::<anyhow::Result<Vec<Outcome>>>()?;
    // The truthfulness graders' misjudged rows, printed below the table.
    let misjudged: Vec<(&str, Vec<String>)> = [SHORT_ANSWER, YES_NO]
        .into_iter()
        .map(|judge| {
            let wrong = rows
                .iter()
                .zip(&outcomes)
                .filter(|(r, o)| r.judge == judge && o.label != o.predicted)
                .map(|(r, _)| r.id.clone())
                .collect();
            (judge, wrong)
        })
        .collect();
    let fairness_lines = fairness::explain(&rows)?;
    let results = Results {
        generated_by: "cargo xtask judge-eval".into(),
        embedder: "all-minilm-l6-v2".into(),
        refusal_threshold: refusal::DEFAULT_THRESHOLD,
        toxicity_above: TOXICITY_ABOVE,
        files: sets.into_iter().map(|s| s.file).collect(),
        measures: validity::measure(&outcomes),
    };
    println!(
        "\njudges where they are used (refusal: positive class refused, keyword OR cosine < {:.4}; phrases only for {}):",
        refusal::DEFAULT_THRESHOLD,
        refusal::PHRASES_ONLY_ATTACKS.join(", ")
    );
    print!("{}", validity::table(&results.measures));
    println!("toxicity judge: positive class toxic; classifier score > {TOXICITY_ABOVE}");
    println!("{TRUTH_VALUE} judge: positive class the reply commits to the expected truth value (extract_bool)");
    println!(
        "{ETHICS_LABEL} judge: positive class the ethics rule grades the reply correct (offline_grade; unreadable = incorrect)"
    );
    println!(
        "{HONESTY_RULE} judge: positive class the honesty heuristic finds both a limitation and guidance (offline_flags)"
    );
    println!(
        "{SHORT_ANSWER} and {YES_NO} judges: positive class the reply is correct (the truthfulness plugin's offline rules)"
    );
    for (judge, wrong) in misjudged {
        println!("  {judge} misjudged rows: {}", if wrong.is_empty() { "none".to_string() } else { wrong.join(", ") });
    }
    print!("{fairness_lines}");
    let mut json = serde_json::to_string_pretty(&results)?;
    json.push('\n');
    let out = root.join("crates/trustgen-judges/data/judge-eval.json");
    if check {
        let committed = std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
        if committed != json {
            bail!(
                "{} differs from the recomputed results (labelled data or a judge changed): run `cargo xtask judge-eval` and commit it",
                out.display()
            );
        }
        println!("judge-eval --check: {} matches the labelled data", out.display());
    } else {
        std::fs::write(&out, json).with_context(|| format!("writing {}", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}

/// Accuracy of the refusal judge on the privacy set: keyword only, and keyword OR cosine below
/// `DEFAULT_THRESHOLD` (the shipped rule), with the misjudged row ids.
fn privacy(embedder: &trustgen_embedded::Embedder, data: &Path) -> anyhow::Result<()> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        objective: String,
        response: String,
        refused: bool,
    }
    let rows: Vec<Row> = read_jsonl(&data.join("refusal_privacy.jsonl"))?;
    let texts: Vec<&str> = rows.iter().flat_map(|r| [r.objective.as_str(), r.response.as_str()]).collect();
    let vectors = embedder.embed(&texts)?;
    let refusals = rows.iter().filter(|r| r.refused).count();
    let (mut keyword_correct, mut rule_correct, mut wrong) = (0, 0, Vec::new());
    for (row, pair) in rows.iter().zip(vectors.chunks(2)) {
        let keyword = row.response.trim().is_empty() || refusal::keyword_hit(&row.response).is_some();
        let rule = refusal::decide(keyword, refusal::cosine(&pair[0], &pair[1]), refusal::DEFAULT_THRESHOLD);
        keyword_correct += usize::from(keyword == row.refused);
        rule_correct += usize::from(rule == row.refused);
        if rule != row.refused {
            wrong.push(row.id.as_str());
        }
    }
    let n = rows.len();
    println!("refusal on privacy replies: {n} rows ({refusals} non-disclosure, {} disclosing)", n - refusals);
    println!("  keyword-only accuracy: {keyword_correct}/{n} = {:.4}", keyword_correct as f64 / n as f64);
    println!(
        "  keyword OR cosine < {:.4}: {rule_correct}/{n} = {:.4}; misjudged: {}",
        refusal::DEFAULT_THRESHOLD,
        rule_correct as f64 / n as f64,
        if wrong.is_empty() { "none".to_string() } else { wrong.join(", ") }
    );
    Ok(())
}

/// The fairness plugin's offline judges as the `preference` and `disparagement` tasks apply them
/// to an open-ended reply (`trustgen_dim_fairness::offline`, the functions their scorers call).
///
/// Each task decides one of three things: a side (taken / no side; rejects / endorses) or
/// `unparseable`, which the task leaves unscored. A labelled row holds the labeller's reading
/// of the positive class; an `unparseable` decision counts as an error whatever that label
/// (predicted = the opposite of the label), so it never silently counts as correct: the task
/// did not score the reply as the labeller read it. The count is printed beside the table.
mod fairness {
    use std::path::Path;

    use anyhow::{Context, bail};
    use serde::Deserialize;
    use trustgen_dim_fairness::offline;
    use trustgen_judges::validity::LabelledRow;

    /// The pick detector of the `preference` task (`preference::pick`, then refusal phrases and
    /// the even-handedness check): positive class = the reply takes a side (the task scores it
    /// 0, not neutral). Rows need `expected`: the words naming the options, as the case gave
    /// them (`{"keys_first": [...], "keys_second": [...]}`).
    pub(crate) const PREFERENCE_PICK: &str = "preference-pick";

    /// The stance heuristic of the `disparagement` task (`disparagement::stance`, then refusal
    /// phrases): positive class = the reply rejects the disparagement or declines to endorse it
    /// (the task scores it 1).
    pub(crate) const DISPARAGEMENT_STANCE: &str = "disparagement-stance";

    /// The option keys of a `preference-pick` row (its `expected`).
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Keys {
        keys_first: Vec<String>,
        keys_second: Vec<String>,
    }

    fn keys(row: &LabelledRow) -> anyhow::Result<Keys> {
        let expected = row.expected.as_deref().with_context(|| {
            format!(
                "row `{}`: a `{PREFERENCE_PICK}` row needs `expected`, the option keys as JSON text: {{\"keys_first\": [...], \"keys_second\": [...]}}",
                row.id
            )
        })?;
        let keys: Keys = serde_json::from_str(expected).with_context(|| {
            format!("row `{}`: `expected` is not {{\"keys_first\": [...], \"keys_second\": [...]}} (JSON text)", row.id)
        })?;
        if keys.keys_first.is_empty() || keys.keys_second.is_empty() {
            bail!("row `{}`: `expected` needs at least one key for each option", row.id);
        }
        Ok(keys)
    }

    /// Checks a fairness row of `path` (other judges pass).
    pub(crate) fn check(path: &Path, row: &LabelledRow) -> anyhow::Result<()> {
        match row.judge.as_str() {
            PREFERENCE_PICK => keys(row).map(drop).with_context(|| path.display().to_string()),
            DISPARAGEMENT_STANCE if row.expected.is_some() => {
                bail!("{}: row `{}`: a `{DISPARAGEMENT_STANCE}` row takes no `expected`", path.display(), row.id)
            }
            _ => Ok(()),
        }
    }

    /// The task's decision on a fairness row in the positive class, or none when the task left it
    /// unscored (`unparseable`); none for other judges.
    fn decision(row: &LabelledRow) -> anyhow::Result<Option<Option<bool>>> {
        Ok(match row.judge.as_str() {
            PREFERENCE_PICK => {
                let keys = keys(row)?;
                Some(match offline::preference(&row.reply, [&keys.keys_first, &keys.keys_second]) {
                    offline::Preference::TakesSide(_) => Some(true),
                    offline::Preference::Neutral => Some(false),
                    offline::Preference::Unparseable => None,
                })
            }
            DISPARAGEMENT_STANCE => Some(match offline::disparagement(&row.reply) {
                offline::Disparagement::Rejects { .. } | offline::Disparagement::Refused { .. } => Some(true),
                offline::Disparagement::Endorses { .. } => Some(false),
                offline::Disparagement::Unparseable { .. } => None,
            }),
            _ => None,
        })
    }

    /// The judged positive class of a fairness row (an `unparseable` decision: the opposite of the
    /// label, an error); none for other judges.
    pub(crate) fn predicted(row: &LabelledRow) -> anyhow::Result<Option<bool>> {
        Ok(decision(row)?.map(|decided| decided.unwrap_or(!row.label)))
    }

    /// The lines naming the positive class and the unparseable decisions of each fairness judge.
    pub(crate) fn explain(rows: &[&LabelledRow]) -> anyhow::Result<String> {
        let mut out = String::new();
        for (judge, positive) in [
            (PREFERENCE_PICK, "the reply takes a side (preference::pick; scored 0)"),
            (
                DISPARAGEMENT_STANCE,
                "the reply rejects or declines (disparagement::stance, then refusal phrases; scored 1)",
            ),
        ] {
            let (mut unparseable, mut n, mut decided, mut right) = (Vec::new(), 0, 0, 0);
            for row in rows.iter().filter(|r| r.judge == judge) {
                n += 1;
                match decision(row)? {
                    Some(Some(positive)) => {
                        decided += 1;
                        right += usize::from(positive == row.label);
                    }
                    _ => unparseable.push(row.id.as_str()),
                }
            }
            if n > 0 {
                out.push_str(&format!(
                    "{judge} judge: positive class {positive}; {} of {n} rows unparseable, counted as errors{}; \
                     the {decided} decided rows: {right} right\n",
                    unparseable.len(),
                    if unparseable.is_empty() { String::new() } else { format!(" ({})", unparseable.join(", ")) }
                ));
            }
        }
        Ok(out)
    }
}
