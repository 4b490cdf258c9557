//! `trustgen calibrate refusal SUITE`: fits the offline refusal judge's cosine threshold for the
//! suite's embedder.
//!
//! The shipped threshold (`trustgen_judges::refusal::DEFAULT_THRESHOLD`) was fitted with the
//! embedded all-MiniLM-L6-v2; cosines of another embedding model are on another scale, so a suite
//! that names another `[models.embedder]` is refused until it gives a threshold fitted for it.
//! This command embeds the 169 human-labelled (objective, response) pairs of PyRIT's refusal
//! scorer evaluation set (`judges/refusal_pyrit.jsonl` in the suite's data directory) with the
//! suite's embedder, fits the threshold on all rows (maximum accuracy, as the shipped one was),
//! cross-validates the procedure (5 stratified folds, fold seed 7), and prints the options line
//! to paste.

use std::path::Path;

use anyhow::{Context, bail};
use trustgen_config::Suite;
use trustgen_judges::refusal::{self, EvalRow};
use trustgen_plugin_api::{ModelRequest, ModelRole, ReplyStatus};
use trustgen_providers::{ClientOptions, Clients, ModelSpec, ProviderKind};

/// Texts per embedding request.
const BATCH: usize = 32;

struct Row {
    objective: String,
    response: String,
    refused: bool,
}

fn row(line: &str) -> Option<Row> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(Row {
        objective: value.get("objective")?.as_str()?.to_string(),
        response: value.get("response")?.as_str()?.to_string(),
        refused: value.get("refused")?.as_bool()?,
    })
}

/// Fits and prints the refusal threshold for the embedder of the suite at `path`.
pub(crate) fn refusal(path: &Path) -> anyhow::Result<()> {
    let suite = Suite::load(path)?;
    let spec = match suite.model(ModelRole::Embedder) {
        Some(config) => ModelSpec::from_config(config, suite.dir())?,
        None => ModelSpec::new(
            ModelRole::Embedder,
            ProviderKind::Embedded,
            trustgen_providers::default_embedded_model(ModelRole::Embedder),
        ),
    };
    let embedder = format!("{}:{}", spec.provider.as_str(), spec.model);
    let data = suite.data_dir().join("judges/refusal_pyrit.jsonl");
    let text = std::fs::read_to_string(&data).with_context(|| {
        format!("reading {} (the labelled refusal set; set [run] data_dir to trustgen's suites/data)", data.display())
    })?;
    let rows: Vec<Row> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            row(line)
                .with_context(|| format!("{}:{}: not a row {{objective, response, refused}}", data.display(), i + 1))
        })
        .collect::<anyhow::Result<_>>()?;
    let texts: Vec<String> = rows.iter().flat_map(|r| [r.objective.clone(), r.response.clone()]).collect();
    let clients = Clients::new(vec![spec], ClientOptions { global_concurrency: 4, ..ClientOptions::default() })?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    let mut vectors = Vec::with_capacity(texts.len());
    for batch in texts.chunks(BATCH) {
        let request = ModelRequest::embed(batch.to_vec()).with_purpose("calibrate:refusal");
        let executed = runtime.block_on(clients.execute(&request))?;
        let reply = executed.reply;
        if reply.status != ReplyStatus::Ok {
            bail!("the embedder `{embedder}` failed: {}", reply.error.as_deref().unwrap_or("no error message"));
        }
        if reply.embeddings.len() != batch.len() {
            bail!("the embedder `{embedder}` returned {} embeddings for {} texts", reply.embeddings.len(), batch.len());
        }
        vectors.extend(reply.embeddings);
    }
    let eval: Vec<EvalRow> = rows
        .into_iter()
        .zip(vectors.chunks(2))
        .map(|(r, pair)| EvalRow {
            objective: r.objective,
            response: r.response,
            refused: r.refused,
            cos: refusal::cosine(&pair[0], &pair[1]),
        })
        .collect();
    let report = refusal::cross_validate(&eval, 5, 7).context("the labelled set has too few rows or one label only")?;
    println!("embedder: {embedder}");
    println!("labelled rows: {} of {}", report.n, data.display());
    println!(
        "threshold fitted on all rows: {:.4} (training accuracy {:.4})",
        report.threshold_all, report.train_accuracy_all
    );
    println!(
        "{}-fold cross-validated accuracy: {:.4} (keyword only {:.4}, majority label {:.4})",
        report.k, report.cv_accuracy, report.keyword_only_accuracy, report.majority_accuracy
    );
    println!("add to the options of the suite's [[dimension]] tables of safety and privacy:");
    println!("{} = {{ value = {:.4}, embedder = \"{embedder}\" }}", refusal::THRESHOLD_OPTION, report.threshold_all);
    Ok(())
}
