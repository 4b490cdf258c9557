//! Suite files: the TOML that says what to run.
//!
//! ```toml
//! [run]
//! name = "llm-quick"
//! seed = 7
//! concurrency = 64
//!
//! [models.target]
//! type = "llm"
//! provider = "openai"
//! model = "gpt-4o-mini"
//! base_url = "https://api.openai.com/v1"
//! api_key_env = "OPENAI_API_KEY"
//!
//! [[dimension]]
//! plugin = "safety"
//! tasks = ["jailbreak", "over-refusal"]
//! limit = 100
//! variations = ["paraphrase", "length"]
//! ```
//!
//! Parsing rejects unknown keys; every error names the file, line and column
//! and, where it can, suggests the key or name that was meant.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;
use trustgen_plugin_api::{ModelRole, PluginKind, VariationOp};

use crate::registry::Registry;

/// Providers the engine knows, by role kind.
pub const MODEL_PROVIDERS: &[&str] = &["openai", "azure", "anthropic", "gemini", "embedded"];
/// Providers of the retriever role.
pub const RETRIEVER_PROVIDERS: &[&str] = &["corpus", "http"];
/// Model roles a suite may configure.
pub const ROLES: &[&str] = &["target", "generator", "judge", "embedder", "retriever"];

/// A parsed suite file.
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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFile {
    /// Run settings.
    #[serde(default)]
    pub run: RunConfig,
    /// Plugin directories and sources.
    #[serde(default)]
    pub plugins: PluginsConfig,
    /// Models by role: `target`, `generator`, `judge`, `embedder`, `retriever`.
    #[serde(default)]
    pub models: BTreeMap<Spanned<String>, ModelConfig>,
    /// The dimensions to run.
    #[serde(default, rename = "dimension")]
    pub dimensions: Vec<DimensionConfig>,
}

/// `[run]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Run name (part of the run id).
    #[serde(default)]
    pub name: Option<String>,
    /// The run seed: every random choice derives from it.
    #[serde(default)]
    pub seed: u64,
    /// Requests in flight at once, over all models.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Where run directories go (relative to the working directory).
    #[serde(default = "default_output_dir")]
    pub output_dir: PathBuf,
    /// Plugin calls running at once (on blocking threads).
    #[serde(default)]
    pub plugin_concurrency: Option<usize>,
    /// Seconds one plugin call may take.
    #[serde(default = "default_plugin_timeout")]
    pub plugin_timeout_secs: u64,
    /// Where the tasks' data files are (relative to the suite file; default
    /// `data`, i.e. `suites/data` for the bundled suites).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
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

/// `[plugins]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsConfig {
    /// Plugin directories (relative to the suite file).
    #[serde(default)]
    pub dirs: Vec<PathBuf>,
    /// Which source wins for a plugin name: `linked`, `dynamic` or a library path.
    #[serde(default)]
    pub source: BTreeMap<String, String>,
}

/// `[models.<role>]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Model type (`llm`, `vlm`, `t2i`): names a model-type plugin.
    #[serde(rename = "type", default = "default_type")]
    pub model_type: Spanned<String>,
    /// Provider: `openai` (any OpenAI-compatible endpoint), `azure`,
    /// `anthropic`, `gemini`, `embedded`; for the retriever `corpus` or `http`.
    pub provider: Spanned<String>,
    /// Model identifier (or embedded model name).
    #[serde(default)]
    pub model: Option<String>,
    /// Endpoint base URL.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Name of the environment variable holding the API key (never the key).
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Azure API version.
    #[serde(default)]
    pub api_version: Option<String>,
    /// Azure deployment name.
    #[serde(default)]
    pub deployment: Option<String>,
    /// A local file: the embedded model's weights, or the retriever's corpus.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Sampling temperature.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Maximum tokens to generate.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Provider sampling seed.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Stop sequences.
    #[serde(default)]
    pub stop: Vec<String>,
    /// Requests in flight at once for this model.
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// Requests-per-minute limit.
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Tokens-per-minute limit.
    #[serde(default)]
    pub tokens_per_minute: Option<u32>,
    /// Seconds one request may take.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Retries of a retryable failure.
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// Price per million input tokens (any currency; reports say "cost").
    #[serde(default)]
    pub input_price_per_million: Option<f64>,
    /// Price per million output tokens.
    #[serde(default)]
    pub output_price_per_million: Option<f64>,
    /// Whether the model can follow judge templates (defaults to true except
    /// for the embedded model).
    #[serde(default)]
    pub capable: Option<bool>,
}

fn default_type() -> Spanned<String> {
    Spanned::new(0..0, "llm".to_string())
}

/// One `[[dimension]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionConfig {
    /// The dimension plugin.
    pub plugin: Spanned<String>,
    /// Tasks to run (all of the plugin's tasks when absent).
    #[serde(default)]
    pub tasks: Option<Vec<Spanned<String>>>,
    /// Cases per task at most.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Contextual variations to apply (each case gets one, chosen by seed,
    /// or none).
    #[serde(default)]
    pub variations: Vec<Spanned<String>>,
    /// Plugin options, passed through as JSON.
    #[serde(default)]
    pub options: toml::Table,
}

/// An error in a suite file, with its position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct SuiteError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// A suggestion.
    pub hint: Option<String>,
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// All errors found in a suite file.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteErrors(pub Vec<SuiteError>);

impl fmt::Display for SuiteErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, err) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{err}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SuiteErrors {}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The closest candidate to `word`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn suggestion(word: &str, candidates: &[&str]) -> Option<String> {
    match did_you_mean(word, candidates.iter().copied()) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None if candidates.is_empty() => None,
        None => Some(format!(
            "expected one of {}",
            candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
        )),
    }
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

    /// Parses suite text (for tests and `--set` overrides).
    pub fn parse(path: &Path, text: String) -> Result<Suite, SuiteErrors> {
        let file: SuiteFile = toml::from_str(&text).map_err(|e| SuiteErrors(vec![toml_error(path, &text, &e)]))?;
        let suite = Suite { path: path.to_owned(), text, file };
        suite.check_shape()?;
        Ok(suite)
    }

    fn error_at(&self, span: Range<usize>, message: String, hint: Option<String>) -> SuiteError {
        let (line, column) = if span == (0..0) { (0, 0) } else { line_col(&self.text, span.start) };
        SuiteError { path: self.path.clone(), line, column, message, hint }
    }

    /// Checks what needs no registry: roles, providers, variation names.
    fn check_shape(&self) -> Result<(), SuiteErrors> {
        let mut errors = Vec::new();
        for (role, model) in &self.file.models {
            if !ROLES.contains(&role.get_ref().as_str()) {
                errors.push(self.error_at(
                    role.span(),
                    format!("unknown model role `{}` in [models]", role.get_ref()),
                    suggestion(role.get_ref(), ROLES),
                ));
                continue;
            }
            let providers = if role.get_ref() == "retriever" { RETRIEVER_PROVIDERS } else { MODEL_PROVIDERS };
            let provider = model.provider.get_ref();
            if !providers.contains(&provider.as_str()) {
                errors.push(self.error_at(
                    model.provider.span(),
                    format!("unknown provider `{provider}` for [models.{}]", role.get_ref()),
                    suggestion(provider, providers),
                ));
            }
        }
        for dimension in &self.file.dimensions {
            for variation in &dimension.variations {
                let names: Vec<&str> = VariationOp::ALL.iter().map(|v| v.as_str()).collect();
                if !names.contains(&variation.get_ref().as_str()) {
                    errors.push(self.error_at(
                        variation.span(),
                        format!("unknown variation `{}`", variation.get_ref()),
                        suggestion(variation.get_ref(), &names),
                    ));
                }
            }
        }
        if self.file.run.concurrency == 0 {
            errors.push(self.error_at(0..0, "[run] concurrency must be at least 1".into(), None));
        }
        if errors.is_empty() { Ok(()) } else { Err(SuiteErrors(errors)) }
    }

    /// Checks every named plugin, task, model type and variation against the
    /// registry.
    pub fn validate(&self, registry: &Registry) -> Result<(), SuiteErrors> {
        let mut errors = Vec::new();
        let dimension_names: Vec<&str> =
            registry.plugins().iter().filter(|p| p.kind() == PluginKind::Dimension).map(|p| p.name()).collect();
        for dimension in &self.file.dimensions {
            let name = dimension.plugin.get_ref();
            let Some(plugin) = registry.get(name).filter(|p| p.kind() == PluginKind::Dimension) else {
                errors.push(
                    self.error_at(
                        dimension.plugin.span(),
                        format!("no dimension plugin named `{name}`"),
                        suggestion(name, &dimension_names)
                            .map(|h| format!("{h} (see `trustgen plugins list`)"))
                            .or_else(|| Some("no dimension plugins are available; see `trustgen plugins list`".into())),
                    ),
                );
                continue;
            };
            let manifest = plugin.manifest();
            let task_names: Vec<&str> = manifest.tasks.iter().map(|t| t.name.as_str()).collect();
            for task in dimension.tasks.iter().flatten() {
                if manifest.task(task.get_ref()).is_none() {
                    errors.push(self.error_at(
                        task.span(),
                        format!("plugin `{name}` has no task `{}`", task.get_ref()),
                        suggestion(task.get_ref(), &task_names),
                    ));
                }
            }
            for variation in &dimension.variations {
                let allowed_anywhere = self
                    .selected_tasks(dimension, manifest)
                    .iter()
                    .any(|t| t.variations.iter().any(|v| v.as_str() == variation.get_ref()));
                if VariationOp::ALL.iter().any(|v| v.as_str() == variation.get_ref()) && !allowed_anywhere {
                    errors.push(self.error_at(
                        variation.span(),
                        format!("no selected task of `{name}` allows the variation `{}`", variation.get_ref()),
                        Some("see `trustgen plugins info` for each task's variations".into()),
                    ));
                }
            }
        }
        let type_names: Vec<&str> = registry
            .plugins()
            .iter()
            .filter(|p| p.kind() == PluginKind::ModelType)
            .flat_map(|p| p.manifest().model_types.iter().map(String::as_str))
            .collect();
        for (role, model) in &self.file.models {
            if matches!(role.get_ref().as_str(), "embedder" | "retriever") {
                continue;
            }
            let model_type = model.model_type.get_ref();
            if registry.model_type(model_type).is_none() {
                errors.push(self.error_at(
                    model.model_type.span(),
                    format!("no model-type plugin provides type `{model_type}` for [models.{}]", role.get_ref()),
                    suggestion(model_type, &type_names),
                ));
            }
        }
        if !self.file.dimensions.is_empty() && !self.file.models.keys().any(|r| r.get_ref() == "target") {
            errors.push(self.error_at(
                0..0,
                "the suite has dimensions but no [models.target]".into(),
                Some("add a [models.target] table (e.g. provider = \"embedded\")".into()),
            ));
        }
        if errors.is_empty() { Ok(()) } else { Err(SuiteErrors(errors)) }
    }

    /// The tasks a `[[dimension]]` selects (all tasks when it names none).
    pub fn selected_tasks<'m>(
        &self,
        dimension: &DimensionConfig,
        manifest: &'m trustgen_plugin_api::Manifest,
    ) -> Vec<&'m trustgen_plugin_api::TaskSpec> {
        match &dimension.tasks {
            None => manifest.tasks.iter().collect(),
            Some(tasks) => tasks.iter().filter_map(|t| manifest.task(t.get_ref())).collect(),
        }
    }

    /// The model configured for `role`.
    pub fn model(&self, role: ModelRole) -> Option<&ModelConfig> {
        self.file.models.iter().find(|(r, _)| r.get_ref() == role.as_str()).map(|(_, m)| m)
    }

    /// The data directory, resolved against the suite file's directory.
    pub fn data_dir(&self) -> PathBuf {
        let base = self.path.parent().unwrap_or(Path::new("."));
        base.join(self.file.run.data_dir.as_deref().unwrap_or(Path::new("data")))
    }

    /// Plugin directories, resolved against the suite file's directory.
    pub fn plugin_dirs(&self) -> Vec<PathBuf> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        self.file.plugins.dirs.iter().map(|d| base.join(d)).collect()
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

#[cfg(test)]
mod tests;
