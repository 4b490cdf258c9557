//! Planning: from a validated suite and the registry to what will run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use trustgen_config::Suite;
use trustgen_host::Plugin;
use trustgen_host::Registry;
use trustgen_plugin_api::{JsonMap, ModelRole, TaskSpec, VariationOp};
use trustgen_rundir::{DataFileRecord, DimensionRecord};

use crate::error::EngineError;

/// A dimension as it will run.
pub struct PlannedDimension {
    /// The plugin.
    pub plugin: Arc<Plugin>,
    /// Its tasks.
    pub tasks: Vec<PlannedTask>,
    /// The `options` table as JSON.
    pub options: JsonMap,
    /// As recorded in the manifest.
    pub record: DimensionRecord,
}

/// A task as it will run.
pub struct PlannedTask {
    /// The task's spec.
    pub spec: TaskSpec,
    /// Case limit.
    pub limit: Option<usize>,
    /// Variations that apply (suite ∩ task).
    pub variations: Vec<VariationOp>,
    /// The rows of its host-loaded data sources.
    pub data: BTreeMap<String, Vec<serde_json::Value>>,
}

/// Everything that will run.
pub struct Plan {
    /// Dimensions in suite order.
    pub dimensions: Vec<PlannedDimension>,
    /// The model-type plugin of the target.
    pub target_type: Arc<Plugin>,
    /// Data files read, with hashes.
    pub data_files: Vec<DataFileRecord>,
}

/// Builds the plan; every error here comes before any request is sent, including each plugin's
/// check of its `options` table.
pub fn plan(suite: &Suite, registry: &Registry) -> Result<Plan, EngineError> {
    trustgen_host::suite::validate(suite, registry)?;
    let target = suite
        .model(ModelRole::Target)
        .ok_or_else(|| EngineError::Invalid(format!("{}: the suite has no [models.target]", suite.path.display())))?;
    let target_type = registry
        .model_type(target.model_type.get_ref())
        .cloned()
        .ok_or_else(|| EngineError::Invalid(format!("no model-type plugin for `{}`", target.model_type.get_ref())))?;
    let data_dir = suite.data_dir();
    let mut data_cache: BTreeMap<String, (Vec<serde_json::Value>, DataFileRecord)> = BTreeMap::new();
    let mut dimensions = Vec::new();
    for dimension in &suite.file.dimensions {
        let plugin = registry.get(dimension.plugin.get_ref()).cloned().expect("validated");
        let manifest = plugin.manifest().clone();
        let requested: Vec<VariationOp> = dimension.variations.iter().map(|v| *v.get_ref()).collect();
        let mut tasks = Vec::new();
        for spec in suite.selected_tasks(dimension, &manifest) {
            let variations: Vec<VariationOp> =
                requested.iter().copied().filter(|v| spec.variations.contains(v)).collect();
            let mut data = BTreeMap::new();
            let mut missing_optional = None;
            for source in &spec.data {
                let Some(rel) = &source.path else { continue };
                if !data_cache.contains_key(rel) {
                    let path = data_dir.join(rel);
                    if !path.is_file() {
                        if source.optional {
                            missing_optional = Some(path);
                            continue;
                        }
                        return Err(EngineError::Data(format!(
                            "task `{}/{}` needs the data file {} ({}, {}), which does not exist; hint: {}",
                            plugin.name(),
                            spec.name,
                            path.display(),
                            source.origin,
                            source.license,
                            if source.bundled {
                                "the file ships with trustgen under suites/data; set [run] data_dir to that directory"
                                    .to_string()
                            } else {
                                "its licence does not allow bundling: obtain it yourself (see suites/data/README.md) and put it at that path".to_string()
                            }
                        )));
                    }
                    data_cache.insert(rel.clone(), load_jsonl(&path, rel)?);
                }
                if let Some((rows, _)) = data_cache.get(rel) {
                    data.insert(source.name.clone(), rows.clone());
                }
            }
            if let Some(path) = missing_optional {
                tracing::info!(
                    "task `{}/{}`: optional data file {} is absent; the task builds from its other sources",
                    plugin.name(),
                    spec.name,
                    path.display()
                );
            }
            tasks.push(PlannedTask { spec: spec.clone(), limit: dimension.limit, variations, data });
        }
        let options = dimension.options.to_json();
        let record = DimensionRecord {
            plugin: plugin.name().to_string(),
            tasks: tasks.iter().map(|t| t.spec.name.clone()).collect(),
            limit: dimension.limit,
            variations: requested.iter().map(|v| v.as_str().to_string()).collect(),
            options: serde_json::Value::Object(options.clone()),
        };
        dimensions.push(PlannedDimension { plugin, tasks, options, record });
    }
    let wants_variations = dimensions.iter().flat_map(|d| &d.tasks).any(|t| !t.variations.is_empty());
    if wants_variations && suite.model(ModelRole::Generator).is_none() {
        return Err(EngineError::Invalid(format!(
            "{}: variations need a generator model to rewrite prompts, but the suite has no [models.generator]; hint: add one, or remove `variations`",
            suite.path.display()
        )));
    }
    let data_files = data_cache.into_values().map(|(_, record)| record).collect();
    Ok(Plan { dimensions, target_type, data_files })
}

fn load_jsonl(path: &Path, rel: &str) -> Result<(Vec<serde_json::Value>, DataFileRecord), EngineError> {
    let bytes = std::fs::read(path).map_err(|e| EngineError::io(path, "reading", e))?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| EngineError::Data(format!("{}: not UTF-8 text", path.display())))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = serde_json::from_str(line)
            .map_err(|e| EngineError::Data(format!("{}:{}: invalid JSON line: {e}", path.display(), i + 1)))?;
        rows.push(row);
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let record = DataFileRecord { path: rel.to_string(), sha256, rows: rows.len() };
    Ok((rows, record))
}

/// The directory a new run is written to.
pub fn new_run_dir(output_dir: &Path, name: &str) -> PathBuf {
    let now = std::time::SystemTime::now();
    let stamp = humantime::format_rfc3339_seconds(now).to_string().replace([':', '-'], "").replace('Z', "");
    let nanos = now.duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let tag = hex::encode(&Sha256::digest(format!("{stamp}{nanos}{}", std::process::id()))[..2]);
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    output_dir.join(format!("{safe}-{stamp}-{tag}"))
}
