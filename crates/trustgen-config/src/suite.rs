//! The suite file's types, and parsing it once into them.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use trustgen_plugin_api::{JsonMap, Manifest, ModelRole, TaskSpec, VariationOp};

use crate::bounds;
use crate::error::{SuiteError, SuiteErrors, line_col, suggestion};
use crate::models::{ModelConfig, RawModel, Role, check_model};

/// A parsed and checked suite file.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Where it was read from.
    pub path: PathBuf,
    /// The file's text (recorded in the run manifest).
    pub text: String,
    /// The parsed content.
    pub file: SuiteFile,
}

/// The content of a suite file.
#[derive(Debug, Clone, Default)]
pub struct SuiteFile {
    /// Run settings.
    pub run: RunConfig,
    /// Plugin directories and sources.
    pub plugins: PluginsConfig,
    /// Models by role.
    pub models: BTreeMap<Role, ModelConfig>,
    /// The dimensions to run.
    pub dimensions: Vec<DimensionConfig>,
}

/// `[run]`, checked: every number is within its bounds ([`crate::bounds`]).
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Run name (part of the run id).
    pub name: Option<String>,
    /// The run seed: every random choice derives from it.
    pub seed: u64,
    /// Requests in flight at once, over all models.
    pub concurrency: usize,
    /// Where run directories go (relative to the working directory).
    pub output_dir: PathBuf,
    /// Plugin calls running at once (on blocking threads).
    pub plugin_concurrency: Option<usize>,
    /// Seconds one plugin call may take.
    pub plugin_timeout_secs: u64,
    /// Where the tasks' data files are (relative to the suite file; default
    /// `data`, i.e. `suites/data` for the bundled suites), with its position in the suite text.
    pub data_dir: Option<Spanned<PathBuf>>,
}

impl Default for RunConfig {
    fn default() -> RunConfig {
        RunConfig {
            name: None,
            seed: 0,
            concurrency: default_concurrency(),
            output_dir: default_output_dir(),
            plugin_concurrency: None,
            plugin_timeout_secs: default_plugin_timeout(),
            data_dir: None,
        }
    }
}

fn default_concurrency() -> usize {
    32
}
fn default_output_dir() -> PathBuf {
    PathBuf::from("runs")
}
fn default_plugin_timeout() -> u64 {
    120
}

/// `[run]` as written: numbers keep their positions for range errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    concurrency: Option<Spanned<usize>>,
    #[serde(default)]
    output_dir: Option<PathBuf>,
    #[serde(default)]
    plugin_concurrency: Option<Spanned<usize>>,
    #[serde(default)]
    plugin_timeout_secs: Option<Spanned<u64>>,
    #[serde(default)]
    data_dir: Option<Spanned<PathBuf>>,
}

/// `[plugins]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsConfig {
    /// Plugin directories (relative to the suite file), each with its position in the suite text:
    /// libraries in them run native code, so they load only when the user trusts them.
    #[serde(default)]
    pub dirs: Vec<Spanned<PathBuf>>,
    /// Which source wins for a plugin name: `linked`, `dynamic` or a library path.
    #[serde(default)]
    pub source: BTreeMap<String, String>,
}

/// One `[[dimension]]`.
#[derive(Debug, Clone)]
pub struct DimensionConfig {
    /// The dimension plugin (checked against the registry).
    pub plugin: Spanned<String>,
    /// Tasks to run (all of the plugin's tasks when absent).
    pub tasks: Option<Vec<Spanned<String>>>,
    /// Cases per task at most.
    pub limit: Option<usize>,
    /// Contextual variations to apply (each case gets one, chosen by seed, or none).
    pub variations: Vec<Spanned<VariationOp>>,
    /// The plugin's `options` table.
    pub options: DimensionOptions,
}

/// A `[[dimension]] options` table: free-form for the suite, checked by the plugin; every key
/// keeps its position for errors.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct DimensionOptions(BTreeMap<Spanned<String>, Spanned<toml::Value>>);

impl DimensionOptions {
    /// The table as JSON (what plugins receive).
    pub fn to_json(&self) -> JsonMap {
        self.0
            .iter()
            .map(|(key, value)| {
                (key.get_ref().clone(), serde_json::to_value(value.get_ref()).unwrap_or(serde_json::Value::Null))
            })
            .collect()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Where `key` is written in the suite text.
    pub fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.0.keys().find(|k| k.get_ref() == key).map(Spanned::span)
    }

    /// Where the value of `key` is written in the suite text.
    pub fn value_span(&self, key: &str) -> Option<Range<usize>> {
        self.0.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v.span())
    }
}

/// The suite as written (before roles, providers and variations are typed).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    #[serde(default)]
    run: RawRun,
    #[serde(default)]
    plugins: PluginsConfig,
    #[serde(default)]
    models: BTreeMap<Spanned<String>, RawModel>,
    #[serde(default)]
    dimension: Vec<RawDimension>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDimension {
    plugin: Spanned<String>,
    #[serde(default)]
    tasks: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    limit: Option<Spanned<usize>>,
    #[serde(default)]
    variations: Vec<Spanned<String>>,
    #[serde(default)]
    options: DimensionOptions,
}

impl Suite {
    /// Reads and parses a suite file.
    pub fn load(path: &Path) -> Result<Suite, SuiteErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            SuiteErrors(vec![SuiteError {
                path: path.to_owned(),
                line: 0,
                column: 0,
                message: format!("cannot read suite file: {e}"),
                hint: Some("check the path; `trustgen run` with no argument runs suites/quick.toml".into()),
            }])
        })?;
        Suite::parse(path, text)
    }

    /// Parses suite text (for tests and `--set` overrides) and checks everything that needs no
    /// plugin: roles, providers and their model tables, variation names, `[run]` values.
    pub fn parse(path: &Path, text: String) -> Result<Suite, SuiteErrors> {
        let raw: RawSuite = toml::from_str(&text).map_err(|e| SuiteErrors(vec![toml_error(path, &text, &e)]))?;
        let mut errors = Vec::new();
        let at = |span: Range<usize>, message: String, hint: Option<String>| {
            SuiteError::at(path, &text, span, message, hint)
        };
        let mut models = BTreeMap::new();
        for (name, model) in &raw.models {
            let role_names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            let Some(role) = Role::parse(name.get_ref()) else {
                errors.push(at(
                    name.span(),
                    format!("unknown model role `{}` in [models]", name.get_ref()),
                    suggestion(name.get_ref(), &role_names),
                ));
                continue;
            };
            match check_model(role, name.span(), model) {
                Ok(config) => {
                    models.insert(role, config);
                }
                Err(problems) => {
                    errors.extend(problems.into_iter().map(|(span, message, hint)| at(span, message, hint)));
                }
            }
        }
        let variation_names: Vec<&str> = VariationOp::ALL.iter().map(|v| v.as_str()).collect();
        let mut dimensions = Vec::new();
        for dimension in raw.dimension {
            let mut variations = Vec::new();
            for variation in &dimension.variations {
                match VariationOp::ALL.iter().find(|op| op.as_str() == variation.get_ref()) {
                    Some(op) => variations.push(Spanned::new(variation.span(), *op)),
                    None => errors.push(at(
                        variation.span(),
                        format!("unknown variation `{}`", variation.get_ref()),
                        suggestion(variation.get_ref(), &variation_names),
                    )),
                }
            }
            if let Some(problem) = bounds::check(&bounds::LIMIT, "[[dimension]]", dimension.limit.as_ref()) {
                errors.push(at(problem.0, problem.1, problem.2));
            }
            dimensions.push(DimensionConfig {
                plugin: dimension.plugin,
                tasks: dimension.tasks,
                limit: dimension.limit.map(Spanned::into_inner),
                variations,
                options: dimension.options,
            });
        }
        let run = raw.run;
        for problem in [
            bounds::check(&bounds::RUN_CONCURRENCY, "[run]", run.concurrency.as_ref()),
            bounds::check(&bounds::PLUGIN_CONCURRENCY, "[run]", run.plugin_concurrency.as_ref()),
            bounds::check(&bounds::PLUGIN_TIMEOUT_SECS, "[run]", run.plugin_timeout_secs.as_ref()),
        ]
        .into_iter()
        .flatten()
        {
            errors.push(at(problem.0, problem.1, problem.2));
        }
        if !errors.is_empty() {
            // In the order of the file (models are checked before [run]); unpositioned last.
            errors.sort_by_key(|e: &SuiteError| (e.line == 0, e.line, e.column));
            return Err(SuiteErrors(errors));
        }
        let run = RunConfig {
            name: run.name,
            seed: run.seed,
            concurrency: run.concurrency.map_or_else(default_concurrency, Spanned::into_inner),
            output_dir: run.output_dir.unwrap_or_else(default_output_dir),
            plugin_concurrency: run.plugin_concurrency.map(Spanned::into_inner),
            plugin_timeout_secs: run.plugin_timeout_secs.map_or_else(default_plugin_timeout, Spanned::into_inner),
            data_dir: run.data_dir,
        };
        let file = SuiteFile { run, plugins: raw.plugins, models, dimensions };
        Ok(Suite { path: path.to_owned(), text, file })
    }

    /// An error at byte range `span` of this suite's text (`0..0`: no position).
    pub fn error_at(&self, span: Range<usize>, message: String, hint: Option<String>) -> SuiteError {
        SuiteError::at(&self.path, &self.text, span, message, hint)
    }

    /// The tasks a `[[dimension]]` selects: the ones it names, or, when it names none, every task
    /// for the target's model type (a task that declares no model types is for any), so an LLM suite
    /// does not run a dimension's VLM tasks.
    pub fn selected_tasks<'m>(&self, dimension: &DimensionConfig, manifest: &'m Manifest) -> Vec<&'m TaskSpec> {
        let target = self.model(ModelRole::Target).map(|m| m.model_type.get_ref().as_str());
        let for_target =
            |t: &&TaskSpec| t.model_types.is_empty() || target.is_none_or(|ty| t.model_types.iter().any(|m| m == ty));
        match &dimension.tasks {
            None => manifest.tasks.iter().filter(for_target).collect(),
            Some(tasks) => tasks.iter().filter_map(|t| manifest.task(t.get_ref())).collect(),
        }
    }

    /// The model configured for `role`.
    pub fn model(&self, role: ModelRole) -> Option<&ModelConfig> {
        self.file.models.values().find(|m| m.role.model_role() == role)
    }

    /// The directory of the suite file (relative paths in it are resolved against it).
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The data directory, resolved against the suite file's directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir().join(self.file.run.data_dir.as_ref().map_or(Path::new("data"), |d| d.get_ref().as_path()))
    }

    /// Plugin directories, resolved against the suite file's directory, each with where it is
    /// named (`suite.toml:line:col`).
    pub fn plugin_dirs(&self) -> Vec<(PathBuf, String)> {
        self.file.plugins.dirs.iter().map(|d| (self.dir().join(d.get_ref()), self.locate(d.span()))).collect()
    }

    /// `path:line:col` of byte range `span` of this suite's text (`path` alone for `0..0`).
    pub fn locate(&self, span: Range<usize>) -> String {
        if span == (0..0) {
            return self.path.display().to_string();
        }
        let (line, column) = line_col(&self.text, span.start);
        format!("{}:{line}:{column}", self.path.display())
    }
}

/// Converts a toml error into a positioned error with a suggestion.
fn toml_error(path: &Path, text: &str, err: &toml::de::Error) -> SuiteError {
    let (line, column) = err.span().map_or((0, 0), |s| line_col(text, s.start));
    let raw = err.message().trim().to_string();
    if let Some((field, expected)) = parse_unknown_field(&raw) {
        let candidates: Vec<&str> = expected.iter().map(String::as_str).collect();
        let table = table_at(text, err.span().map_or(0, |s| s.start));
        let place = if table.is_empty() { "at the top level".to_string() } else { format!("in [{table}]") };
        return SuiteError {
            path: path.to_owned(),
            line,
            column,
            message: format!("unknown key `{field}` {place}"),
            hint: suggestion(&field, &candidates),
        };
    }
    SuiteError { path: path.to_owned(), line, column, message: raw, hint: None }
}

/// Parses serde's "unknown field `x`, expected one of `a`, `b`" message.
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest.split('`').skip(1).step_by(2).map(str::to_string).collect();
    Some((field.to_string(), expected))
}

/// The name of the table header above `offset` (`run`, `models.target`, ...).
fn table_at(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| {
            l.trim_start_matches('[')
                .trim_end_matches(']')
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}
