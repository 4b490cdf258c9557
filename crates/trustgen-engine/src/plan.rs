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
    /// The images its rows name, read at build time ([`trustgen_plugin_api::RowImage`]).
    pub row_images: Vec<RowImages>,
}

/// The images the rows of one data source name: `template` (options substituted) with each
/// row's `field`.
pub struct RowImages {
    /// The data source's name.
    pub source: String,
    /// The row field naming the image.
    pub field: String,
    /// The path template under the data directory.
    pub template: String,
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
        let options = dimension.options.to_json();
        let mut tasks = Vec::new();
        for spec in suite.selected_tasks(dimension, &manifest) {
            let variations: Vec<VariationOp> =
                requested.iter().copied().filter(|v| spec.variations.contains(v)).collect();
            let mut data = BTreeMap::new();
            let mut row_images = Vec::new();
            let mut missing_optional = None;
            for source in &spec.data {
                let Some(template) = &source.path else { continue };
                let rel = match source_path(template, &options) {
                    Ok(Some(rel)) => rel,
                    // An option the path names is not set: the source is absent.
                    Ok(None) if source.optional => continue,
                    Ok(None) => {
                        return Err(EngineError::Invalid(format!(
                            "task `{}/{}` needs the data file {template}, but the option it names is not set in the [[dimension]] options of `{}`",
                            plugin.name(),
                            spec.name,
                            plugin.name()
                        )));
                    }
                    Err(message) => {
                        return Err(EngineError::Invalid(format!(
                            "task `{}/{}`, data file {template}: {message}",
                            plugin.name(),
                            spec.name
                        )));
                    }
                };
                let rel = &rel;
                // A sampled source keeps `per_case` key values per case of the task's limit.
                let sample = source.sample.as_ref().and_then(|sample| {
                    let limit = dimension.limit.or(spec.default_limit)?;
                    Some(crate::rows::Sample {
                        key: sample.key.clone(),
                        keys: limit.saturating_mul(sample.per_case.max(1)),
                        seed: suite.file.run.seed,
                    })
                });
                let streamed = source.array.is_some() || sample.is_some();
                let cache_key = match (&source.array, &sample) {
                    (None, None) => rel.clone(),
                    (array, sample) => format!("{rel}#{array:?}#{sample:?}"),
                };
                if !data_cache.contains_key(&cache_key) {
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
                    let loaded = if streamed {
                        if !rel.ends_with(".json") {
                            return Err(EngineError::Invalid(format!(
                                "task `{}/{}`, data file {rel}: a named array or a row sample needs a `.json` file",
                                plugin.name(),
                                spec.name
                            )));
                        }
                        crate::rows::load_json_streamed(&path, rel, source.array.as_deref(), sample.as_ref())?
                    } else if rel.ends_with(".json") {
                        load_json(&path, rel)?
                    } else {
                        load_jsonl(&path, rel)?
                    };
                    data_cache.insert(cache_key.clone(), loaded);
                }
                if let Some((rows, _)) = data_cache.get(&cache_key) {
                    data.insert(source.name.clone(), rows.clone());
                }
                if let Some(image) = &source.image {
                    match source_path(&image.path, &options) {
                        Ok(Some(template)) => row_images.push(RowImages {
                            source: source.name.clone(),
                            field: image.field.clone(),
                            template,
                        }),
                        Ok(None) => {}
                        Err(message) => {
                            return Err(EngineError::Invalid(format!(
                                "task `{}/{}`, images of data file {rel}: {message}",
                                plugin.name(),
                                spec.name
                            )));
                        }
                    }
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
            tasks.push(PlannedTask { spec: spec.clone(), limit: dimension.limit, variations, data, row_images });
        }
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

/// The path of a data source under the data directory: each `{options.KEY}` of `template` is
/// replaced by the dimension's option `KEY` (a folder the user names, e.g. a benchmark's
/// download). `Ok(None)` when such an option is not set; an error when it is not a relative
/// path inside the data directory.
fn source_path(template: &str, options: &JsonMap) -> Result<Option<String>, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{options.") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{options.".len()..];
        let Some(end) = after.find('}') else { return Err("an unclosed `{options.` placeholder".to_string()) };
        let key = &after[..end];
        let Some(value) = options.get(key) else { return Ok(None) };
        let Some(value) = value.as_str() else {
            return Err(format!(
                "option `{key}` is {value}, not a path; hint: give a folder relative to the data directory"
            ));
        };
        let value = value.trim().trim_end_matches('/');
        let plain =
            !value.is_empty() && Path::new(value).components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain {
            return Err(format!(
                "option `{key}` = `{value}` is not a folder inside the data directory; hint: give a relative path without `..`"
            ));
        }
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Some(out))
}

/// Loads a `.json` data file: an array of rows (a benchmark's own file, e.g. HallusionBench.json).
fn load_json(path: &Path, rel: &str) -> Result<(Vec<serde_json::Value>, DataFileRecord), EngineError> {
    let bytes = std::fs::read(path).map_err(|e| EngineError::io(path, "reading", e))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| EngineError::Data(format!("{}: invalid JSON: {e}", path.display())))?;
    let serde_json::Value::Array(rows) = value else {
        return Err(EngineError::Data(format!(
            "{}: expected a JSON array of rows; hint: the file should be the benchmark's list of items",
            path.display()
        )));
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let record = DataFileRecord { path: rel.to_string(), sha256, rows: rows.len(), ..DataFileRecord::default() };
    Ok((rows, record))
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
    let record = DataFileRecord { path: rel.to_string(), sha256, rows: rows.len(), ..DataFileRecord::default() };
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(template: &str, options: serde_json::Value, expected: Result<Option<&str>, &str>) {
        let options = options.as_object().cloned().unwrap_or_default();
        let got = source_path(template, &options);
        assert_eq!(got.as_ref().map(|o| o.as_deref()).map_err(String::as_str), expected, "{template}");
    }

    #[test]
    fn a_data_path_takes_the_folder_an_option_names() {
        check("truthfulness/a.jsonl", json!({}), Ok(Some("truthfulness/a.jsonl")));
        check("{options.dir}/B.json", json!({"dir": "hb/"}), Ok(Some("hb/B.json")));
        check("{options.dir}/B.json", json!({}), Ok(None));
        check(
            "{options.dir}/B.json",
            json!({"dir": "../up"}),
            Err(
                "option `dir` = `../up` is not a folder inside the data directory; hint: give a relative path without `..`",
            ),
        );
        check(
            "{options.dir}/B.json",
            json!({"dir": "/abs"}),
            Err(
                "option `dir` = `/abs` is not a folder inside the data directory; hint: give a relative path without `..`",
            ),
        );
        check(
            "{options.dir}/B.json",
            json!({"dir": 3}),
            Err("option `dir` is 3, not a path; hint: give a folder relative to the data directory"),
        );
    }
}
