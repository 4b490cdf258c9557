//! The run: build, vary, ask the target, judge, aggregate.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use trustgen_config::Suite;
use trustgen_host::{Plugin, Registry};
use trustgen_plugin_api::sdk::methods;
use trustgen_plugin_api::{
    BuildInput, BuildOutput, BuildWindow, ModelOutput, ModelRole, RespondInput, RunContext, ScoreInput, TestCase,
    Verdict, VerdictStatus,
};
use trustgen_providers::{Cache, ClientOptions, Clients, ModelSpec, ProviderKind, RetryWait};
use trustgen_rundir::{
    CaseRecord, JudgeValidityRecord, ModelRecord, OutputRecord, PluginRecord, RepairRecord, RequestRecord, Resume,
    RunDir, RunManifest, RunStatus, SkippedRecord, SuiteRecord, UsageRecord, VerdictRecord, files, read_jsonl,
    read_manifest,
};

use crate::drive::{PluginRunner, drive_local};
use crate::error::EngineError;
use crate::event::{Event, Observer, Stage};
use crate::exec::Executor;
use crate::images::{Images, StoreLoader};
use crate::plan::{Plan, PlannedTask, new_run_dir, plan};
use crate::preflight;

/// Where the request cache lives.
#[derive(Debug, Clone, Default)]
pub enum CacheChoice {
    /// The user cache directory (`TRUSTGEN_CACHE_DIR` overrides it).
    #[default]
    Default,
    /// No cache.
    Off,
    /// A cache file at this path.
    At(PathBuf),
}

/// What to run.
pub struct RunRequest {
    /// The suite (for `--resume`, the suite recorded in the run directory).
    pub suite: Suite,
    /// The plugins.
    pub registry: Registry,
    /// Continue this run directory instead of starting a new one.
    pub resume: Option<PathBuf>,
    /// On resume, accept inputs (suite text, plugin versions, data files)
    /// that differ from the ones the run started with, and record the
    /// differences in the manifest; without it such a resume is refused.
    pub allow_changed_data: bool,
    /// Count requests, tokens and cost without sending anything.
    pub dry_run: bool,
    /// Receives the run's progress events (none: nobody listens).
    pub observer: Option<Arc<dyn Observer>>,
    /// The request cache.
    pub cache: CacheChoice,
    /// The version of the program that runs (the manifest's `trustgen_version`), e.g. `0.1.0`.
    pub trustgen_version: String,
    /// The git commit that program was built from (the manifest's `trustgen_commit`), if known.
    pub trustgen_commit: Option<String>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The run directory (none for a dry run).
    pub run_dir: Option<PathBuf>,
    /// The final manifest: status `finished`, or `failed` with the reason in
    /// `error` when the run measured nothing (no task built a case, or no case
    /// got a scored or filtered verdict); either way its work is on disk and
    /// the metrics are the caller's to compute from the run directory.
    pub manifest: RunManifest,
    /// Requests, estimated tokens and cost per role (dry run), or the real
    /// usage.
    pub usage: Vec<UsageRecord>,
}

/// Everything the per-case tasks share.
struct Shared {
    executor: Executor,
    runner: PluginRunner,
    store: Option<Arc<RunDir>>,
    target_type: Arc<Plugin>,
    context: RunContext,
    seed: u64,
    done: Resume,
    observer: Option<Arc<dyn Observer>>,
    cases_in_flight: usize,
    /// Items per window of a windowed build ([`BUILD_WINDOW`]).
    build_window: usize,
    tally: Tally,
}

/// What a run measured, for the rule that decides whether it failed (see [`Tally::failure`]).
#[derive(Default)]
struct Tally {
    /// Tasks whose builder failed (or timed out).
    failed_builds: AtomicUsize,
    /// Cases with a verdict, this session's and earlier ones'.
    verdicts: AtomicUsize,
    /// Verdicts that measured the target: status `scored` or `filtered` (a provider's content
    /// filter is the model's answer); `missing` and `unparseable` measured nothing.
    measured: AtomicUsize,
    /// The first reason a build failed and the first reason a verdict measured nothing.
    first_build_error: std::sync::Mutex<Option<String>>,
    first_unmeasured: std::sync::Mutex<Option<String>>,
}

impl Tally {
    fn build_failed(&self, task: &str, message: &str) {
        self.failed_builds.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_build_error.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert_with(|| format!("task `{task}`: {message}"));
    }

    fn verdict(&self, case_id: &str, verdict: &Verdict) {
        self.verdicts.fetch_add(1, Ordering::Relaxed);
        if matches!(verdict.status, VerdictStatus::Scored | VerdictStatus::Filtered) {
            self.measured.fetch_add(1, Ordering::Relaxed);
        } else {
            let mut first = self.first_unmeasured.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert_with(|| {
                format!(
                    "case {case_id} is {}: {}",
                    format!("{:?}", verdict.status).to_lowercase(),
                    verdict.reasoning.as_deref().unwrap_or("no reason given")
                )
            });
        }
    }

    /// The rule: a run that measured nothing failed. That is a run in which no task built a
    /// case (every build failed or timed out), or in which no case got a verdict that measured
    /// the target (every request failed, every judge reply was unreadable). Its finished work
    /// stays on disk; the caller still writes the metrics and the report.
    fn failure(&self, tasks: usize) -> Option<String> {
        let load = |c: &AtomicUsize| c.load(Ordering::Relaxed);
        if load(&self.measured) > 0 {
            return None;
        }
        let verdicts = load(&self.verdicts);
        if verdicts == 0 {
            let failed = load(&self.failed_builds);
            let first = self.first_build_error.lock().unwrap_or_else(|p| p.into_inner()).clone();
            return Some(match first {
                Some(first) => format!(
                    "nothing was measured: {failed} of {tasks} tasks could not be built and the others built no case \
                     (e.g. {first}); the reasons are in skipped.jsonl"
                ),
                None => format!("nothing was measured: the {tasks} tasks built no case"),
            });
        }
        let first = self.first_unmeasured.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_default();
        Some(format!(
            "nothing was measured: none of the {verdicts} cases has a scored or filtered verdict (e.g. {first}); \
             the verdicts are in verdicts.jsonl"
        ))
    }
}

impl Shared {
    fn emit(&self, event: Event) {
        if let Some(observer) = &self.observer {
            observer.event(event);
        }
    }
}

/// One case to run, with where it came from.
struct Job {
    dimension: Arc<Plugin>,
    options: trustgen_plugin_api::JsonMap,
    variations: Vec<trustgen_plugin_api::VariationOp>,
    case: TestCase,
}

/// Checks a suite the way a run does before it sends anything: the suite against the registry
/// (trustgen-host), the plan (data files included), every model table, and the preflight of every
/// model the run would use that needs no connection (keys, embedded model files, corpora).
/// `trustgen validate` calls this and [`run`] makes the same checks (and connects to every HTTP
/// server too), so what one rejects the other does; `validate` works without the servers.
pub async fn check(suite: &Suite, registry: &Registry) -> Result<(), EngineError> {
    let (plan, specs) = prepare(suite, registry)?;
    // Without the network nothing is sent, so no User-Agent is either.
    preflight_models(suite, &plan, &specs, "trustgen", false).await
}

/// The preflight of every model the suite names, and of the implicit embedder and corpus when a
/// plugin of the plan declares it may ask for them.
async fn preflight_models(
    suite: &Suite,
    plan: &Plan,
    specs: &[ModelSpec],
    user_agent: &str,
    network: bool,
) -> Result<(), EngineError> {
    let to_check = preflight::models_to_check(specs, |s| is_named(suite, s), plan);
    preflight::preflight(&to_check, user_agent, network).await?;
    Ok(())
}

/// The `User-Agent` of every request trustgen sends: the program's version (the engine crate's
/// own is not the product's).
fn user_agent(build: &Build) -> String {
    format!("trustgen/{}", build.version)
}

/// The one checking path of [`check`] and [`run`]: the plan and the model specs.
fn prepare(suite: &Suite, registry: &Registry) -> Result<(Plan, Vec<ModelSpec>), EngineError> {
    let plan = plan(suite, registry)?;
    let mut specs = model_specs(suite)?;
    add_ocr(&mut specs, &plan);
    preflight::fitted_thresholds(suite, &plan, &specs)?;
    preflight::image_judges(suite, &plan, &specs)?;
    Ok((plan, specs))
}

/// Runs a suite to the end (or resumes one).
pub async fn run(request: RunRequest) -> Result<RunOutcome, EngineError> {
    let RunRequest {
        suite,
        registry,
        resume,
        allow_changed_data,
        dry_run,
        observer,
        cache,
        trustgen_version,
        trustgen_commit,
    } = request;
    let build = Build { version: trustgen_version, commit: trustgen_commit };
    // On resume: the manifest of the run so far, and where its data was.
    let previous = match &resume {
        Some(dir) if !dry_run => {
            let previous = read_manifest(dir)?;
            check_data_dir(dir, &previous)?;
            Some(previous)
        }
        _ => None,
    };
    let (plan, specs) = prepare(&suite, &registry)?;
    // Resume only over the inputs the run started with (before anything is
    // sent or written): mixing two versions of a data set is refused unless
    // the caller accepts it, and then it is recorded.
    let mut accepted = Vec::new();
    if let (Some(dir), Some(previous)) = (&resume, &previous) {
        let now = base_manifest(&suite, &plan, &specs, &build, previous.run_id.clone());
        let changes = previous.input_changes(&now);
        if !changes.is_empty() && !allow_changed_data {
            return Err(EngineError::ChangedInputs { dir: dir.clone(), changes });
        }
        for change in &changes {
            tracing::warn!("resuming {} with a changed input (--allow-changed-data): {change}", dir.display());
        }
        accepted = changes;
    }
    let cache = if dry_run {
        None
    } else {
        match cache {
            CacheChoice::Off => None,
            CacheChoice::Default => Some(Cache::open_default()?),
            CacheChoice::At(path) => Some(Cache::open(&path)?),
        }
    };
    let options = ClientOptions {
        global_concurrency: suite.file.run.concurrency,
        cache,
        dry_run,
        user_agent: user_agent(&build),
        seed: suite.file.run.seed,
    };
    // Before anything is sent (a dry run included).
    preflight_models(&suite, &plan, &specs, &user_agent(&build), true).await?;
    let mut clients = Clients::new(specs.clone(), options)?;
    if let Some(observer) = &observer {
        let observer = observer.clone();
        let models: BTreeMap<ModelRole, String> =
            specs.iter().map(|s| (s.role, s.deployment.clone().unwrap_or_else(|| s.model.clone()))).collect();
        clients = clients.with_retry_observer(Arc::new(move |wait: RetryWait| {
            observer.event(Event::RetryWait {
                role: wait.role,
                model: models.get(&wait.role).cloned().unwrap_or_default(),
                attempt: wait.attempt,
                wait: wait.wait,
                retry_after: wait.retry_after,
            })
        }));
    }
    let mut context = RunContext::default();
    for role in ModelRole::ALL.into_iter().chain([ModelRole::Ocr]) {
        if let Some(info) = clients.info(role) {
            context.models.insert(role, info);
        }
    }

    // The run directory: new, or the interrupted one.
    let (store, done, mut manifest) = if dry_run {
        (None, Resume::default(), base_manifest(&suite, &plan, &specs, &build, String::new()))
    } else if let (Some(dir), Some(previous)) = (&resume, previous) {
        if previous.status == RunStatus::Finished {
            tracing::info!("{} already finished; nothing is sent again and its metrics are recomputed", dir.display());
        }
        let done = Resume::read(dir)?;
        let store = RunDir::open(dir)?;
        let mut manifest = base_manifest(&suite, &plan, &specs, &build, previous.run_id.clone());
        manifest.started_at = previous.started_at;
        manifest.accepted_changes = previous.accepted_changes;
        manifest.accepted_changes.extend(accepted);
        manifest.repairs = previous.repairs;
        manifest.repairs.extend(repair_records(&store));
        (Some(Arc::new(store)), done, manifest)
    } else {
        let name = suite.file.run.name.clone().unwrap_or_else(|| "run".into());
        let dir = new_run_dir(&suite.file.run.output_dir, &name);
        let store = RunDir::create(&dir)?;
        let run_id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        (Some(Arc::new(store)), Resume::default(), base_manifest(&suite, &plan, &specs, &build, run_id))
    };
    if let Some(store) = &store {
        store.write_manifest(&manifest)?;
        // Stored images become bytes only when a request is sent.
        clients = clients.with_images(Arc::new(StoreLoader(store.images().clone())));
    }
    let clients = Arc::new(clients);
    let images = Images::new(store.as_ref().map(|s| s.images().clone()), absolute(&suite.data_dir()));

    let mut done = done;
    let journal = std::mem::take(&mut done.replies);
    let shared = Arc::new(Shared {
        executor: Executor::new(clients.clone(), store.clone(), journal)
            .with_observer(observer.clone())
            .with_images(images),
        runner: PluginRunner::new(
            suite
                .file
                .run
                .plugin_concurrency
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()) * 2),
            Duration::from_secs(suite.file.run.plugin_timeout_secs),
        ),
        store: store.clone(),
        target_type: plan.target_type.clone(),
        context,
        seed: suite.file.run.seed,
        done,
        observer,
        cases_in_flight: (suite.file.run.concurrency * 4).max(64),
        build_window: BUILD_WINDOW,
        tally: Tally::default(),
    });

    let result = execute_plan(&shared, &plan).await;
    let usage = if dry_run { usage_from_clients(&clients) } else { usage_from_journal(&shared, &specs)? };
    manifest.usage = usage.clone();
    match result {
        Ok(()) => {}
        Err(err) => {
            manifest.status = RunStatus::Failed;
            manifest.error = Some(err.to_string());
            manifest.finished_at = Some(now());
            if let Some(store) = &store
                && let Err(write) = store.write_manifest(&manifest)
            {
                // The run's own error (e.g. a full disk) is the one to report.
                tracing::error!("recording the failure in the manifest: {write}");
            }
            return Err(err);
        }
    }
    if dry_run {
        return Ok(RunOutcome { run_dir: None, manifest, usage });
    }
    let store = store.expect("a store outside dry runs");
    let tasks = plan.dimensions.iter().map(|d| d.tasks.len()).sum();
    match shared.tally.failure(tasks) {
        Some(reason) => {
            manifest.status = RunStatus::Failed;
            manifest.error = Some(reason);
        }
        None => manifest.status = RunStatus::Finished,
    }
    manifest.finished_at = Some(now());
    store.write_manifest(&manifest)?;
    Ok(RunOutcome { run_dir: Some(store.dir().to_owned()), manifest, usage })
}

/// A resumed run reads its data from the directory recorded when it started;
/// when that is gone, say so instead of reading another one (a run that read
/// no data file needs none).
fn check_data_dir(dir: &Path, previous: &RunManifest) -> Result<(), EngineError> {
    match &previous.data_dir {
        Some(data) if !previous.data_files.is_empty() && !Path::new(data).is_dir() => {
            Err(EngineError::Resume(format!(
                "cannot resume {}: its data directory {data} (recorded in {}) does not exist; hint: restore the data \
             there (the run checks every file's sha256 against the manifest) or start a new run",
                dir.display(),
                dir.join(files::MANIFEST).display()
            )))
        }
        _ => Ok(()),
    }
}

/// The repairs of a run directory opened for appending, as the manifest
/// records them (each also a warning).
fn repair_records(store: &RunDir) -> Vec<RepairRecord> {
    for path in store.removed_temps() {
        tracing::info!("removed {}, left by an interrupted write", path.display());
    }
    store
        .repairs()
        .into_iter()
        .map(|repair| {
            tracing::warn!("{repair}");
            RepairRecord {
                file: repair.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                line: repair.line,
                bytes: repair.len,
                action: repair.action,
                at: now(),
            }
        })
        .collect()
}

/// `path` made absolute, through symbolic links when it exists.
fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).or_else(|_| std::path::absolute(path)).unwrap_or_else(|_| path.to_owned())
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn is_named(suite: &Suite, spec: &ModelSpec) -> bool {
    suite.model(spec.role).is_some()
}

fn model_specs(suite: &Suite) -> Result<Vec<ModelSpec>, EngineError> {
    let base = suite.path.parent().map(PathBuf::from).unwrap_or_default();
    let mut specs = Vec::new();
    for config in suite.file.models.values() {
        specs.push(ModelSpec::from_config(config, &base)?);
    }
    if !specs.iter().any(|s| s.role == ModelRole::Embedder) {
        // Similarity judges use the embedded sentence-embedding model unless
        // the suite names another; it loads only if a plugin asks.
        specs.push(ModelSpec::new(
            ModelRole::Embedder,
            ProviderKind::Embedded,
            trustgen_providers::default_embedded_model(ModelRole::Embedder),
        ));
    }
    if !specs.iter().any(|s| s.role == ModelRole::Retriever) {
        let corpus = suite.data_dir().join("corpus/corpus.jsonl");
        if corpus.is_file() {
            let mut spec = ModelSpec::new(ModelRole::Retriever, ProviderKind::Corpus, "corpus");
            spec.path = Some(corpus);
            specs.push(spec);
        }
    }
    Ok(specs)
}

/// The judge template the host's OCR model answers offline (`trustgen_judges::image_text`).
const IMAGE_TEXT_TEMPLATE: &str = "image_text@1";

/// The `ocr` role (the embedded PP-OCRv5 mobile model) when a planned task declares the
/// `image_text@1` judge and no capable judge answers it: the offline image-text judge reads the
/// image with it. Suites do not configure the role; the manifest records it with the models.
fn add_ocr(specs: &mut Vec<ModelSpec>, plan: &Plan) {
    let capable_judge = specs.iter().any(|s| s.role == ModelRole::Judge && s.is_capable());
    let asked = plan
        .dimensions
        .iter()
        .flat_map(|d| &d.tasks)
        .any(|t| t.spec.judge_templates.iter().any(|j| j == IMAGE_TEXT_TEMPLATE));
    if asked && !capable_judge && !specs.iter().any(|s| s.role == ModelRole::Ocr) {
        let mut spec = ModelSpec::new(ModelRole::Ocr, ProviderKind::Embedded, trustgen_providers::OCR_MODEL);
        spec.model_type = "ocr".into();
        specs.push(spec);
    }
}

/// The program that runs, as recorded in the manifest.
struct Build {
    version: String,
    commit: Option<String>,
}

fn base_manifest(suite: &Suite, plan: &Plan, specs: &[ModelSpec], build: &Build, run_id: String) -> RunManifest {
    let models = specs
        .iter()
        .map(|spec| {
            let settings = serde_json::json!({
                "defaults": spec.defaults,
                "limits": {
                    "concurrency": spec.limits.concurrency,
                    "requests_per_minute": spec.limits.requests_per_minute,
                    "tokens_per_minute": spec.limits.tokens_per_minute,
                    "timeout_secs": spec.limits.timeout.as_secs(),
                    "max_retries": spec.limits.max_retries,
                    "max_retry_wait_secs": spec.limits.max_retry_wait.as_secs(),
                },
                "price": spec.price.as_ref().map(|p| serde_json::json!({
                    "input_per_million": p.input_per_million,
                    "output_per_million": p.output_per_million,
                })),
            });
            (
                spec.role.as_str().to_string(),
                ModelRecord {
                    model_type: spec.model_type.clone(),
                    provider: spec.provider.as_str().to_string(),
                    model: spec.model.clone(),
                    base_url: spec.base_url.clone(),
                    api_key_env: spec.api_key_env.clone(),
                    settings,
                },
            )
        })
        .collect();
    let mut plugins: Vec<PluginRecord> = plan
        .dimensions
        .iter()
        .map(|d| &d.plugin)
        .chain(std::iter::once(&plan.target_type))
        .map(|p| PluginRecord {
            name: p.name().to_string(),
            version: p.manifest().version.clone(),
            source: p.source().to_string(),
            manifest: p.manifest().clone(),
        })
        .collect();
    plugins.sort_by(|a, b| a.name.cmp(&b.name));
    plugins.dedup_by(|a, b| a.name == b.name);
    RunManifest {
        run_id,
        name: suite.file.run.name.clone().unwrap_or_else(|| "run".into()),
        trustgen_version: build.version.clone(),
        trustgen_commit: build.commit.clone(),
        plugin_api_version: trustgen_plugin_api::API_VERSION.to_string(),
        suite: SuiteRecord {
            path: absolute(&suite.path).display().to_string(),
            sha256: hex::encode(Sha256::digest(suite.text.as_bytes())),
            text: suite.text.clone(),
        },
        seed: suite.file.run.seed,
        models,
        plugins,
        dimensions: plan.dimensions.iter().map(|d| d.record.clone()).collect(),
        data_files: plan.data_files.clone(),
        started_at: now(),
        finished_at: None,
        status: RunStatus::Running,
        usage: Vec::new(),
        error: None,
        data_dir: Some(absolute(&suite.data_dir()).display().to_string()),
        accepted_changes: Vec::new(),
        repairs: Vec::new(),
        judge_validity: judge_validity(),
    }
}

/// The committed measurements of the offline judges (`cargo xtask judge-eval`), compiled into
/// trustgen-judges, as manifest records.
fn judge_validity() -> Vec<JudgeValidityRecord> {
    trustgen_judges::validity::measured()
        .map(|results| {
            results
                .measures
                .iter()
                .map(|m| JudgeValidityRecord {
                    judge: m.judge.clone(),
                    family: m.family.clone(),
                    n: m.n,
                    accuracy: m.accuracy,
                    accuracy_low: m.accuracy_low,
                    accuracy_high: m.accuracy_high,
                    precision: m.precision,
                    recall: m.recall,
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn execute_plan(shared: &Arc<Shared>, plan: &Plan) -> Result<(), EngineError> {
    // Build every task's cases (concurrently across tasks).
    let total_tasks: usize = plan.dimensions.iter().map(|d| d.tasks.len()).sum();
    shared.emit(Event::StageStarted { stage: Stage::Build, total: total_tasks });
    let mut builds = JoinSet::new();
    for dimension in &plan.dimensions {
        for task in &dimension.tasks {
            let shared = shared.clone();
            let plugin = dimension.plugin.clone();
            let options = dimension.options.clone();
            let input = build_input(task, shared.seed, &options, &shared.context);
            let variations = task.variations.clone();
            let row_images: Vec<(String, String, String)> =
                task.row_images.iter().map(|r| (r.source.clone(), r.field.clone(), r.template.clone())).collect();
            builds.spawn(async move {
                // The images the rows name, read now (not at plan time) so they are held only
                // while this task builds. Every window call of the build gets these same bytes
                // (one `Arc`): a task's sampled row images are held for its whole build, bounded
                // by the row sample's size, not by a window.
                let mut input = input;
                let mut bytes = Vec::new();
                for (source, field, template) in &row_images {
                    if let Some(rows) = input.data.get_mut(source) {
                        crate::rows::attach_images(rows, field, template, shared.executor.images(), &mut bytes, source);
                    }
                }
                build_task(&shared, &plugin, &input, Arc::new(bytes))
                    .await
                    .map(|cases| (plugin, options, variations, cases))
            });
        }
    }
    let mut jobs: Vec<Job> = Vec::new();
    let mut seen = HashSet::new();
    while let Some(joined) = builds.join_next().await {
        let (plugin, options, variations, cases) = joined.map_err(|e| EngineError::Plugin(e.to_string()))??;
        for case in cases {
            if !seen.insert(case.id.clone()) {
                return Err(EngineError::Plugin(format!(
                    "plugin `{}` built two cases with the id `{}`; case ids must be unique",
                    plugin.name(),
                    case.id
                )));
            }
            jobs.push(Job {
                dimension: plugin.clone(),
                options: options.clone(),
                variations: variations.clone(),
                case,
            });
        }
    }
    // A stable order (builds finish in any order).
    jobs.sort_by(|a, b| a.case.id.cmp(&b.case.id));
    shared.emit(Event::StageStarted { stage: Stage::Target, total: jobs.len() });
    shared.emit(Event::StageStarted { stage: Stage::Judge, total: jobs.len() });

    // Each case: vary, answer, judge. Bounded so memory stays flat.
    let in_flight = Arc::new(Semaphore::new(shared.cases_in_flight));
    let mut tasks = JoinSet::new();
    for job in jobs {
        let permit = in_flight.clone().acquire_owned().await.expect("never closed");
        let shared = shared.clone();
        tasks.spawn(async move {
            let result = run_case(&shared, job).await;
            drop(permit);
            result
        });
        // Surface fatal errors early instead of after spawning everything.
        while let Some(joined) = tasks.try_join_next() {
            joined.map_err(|e| EngineError::Plugin(e.to_string()))??;
        }
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(err) = joined.map_err(|e| EngineError::Plugin(e.to_string())).and_then(|r| r) {
            tasks.abort_all();
            return Err(err);
        }
    }
    Ok(())
}

fn build_input(
    task: &PlannedTask,
    seed: u64,
    options: &trustgen_plugin_api::JsonMap,
    context: &RunContext,
) -> BuildInput {
    BuildInput::new(task.spec.name.clone(), seed)
        .with_limit(task.limit.or(task.spec.default_limit))
        .with_options(options.clone())
        .with_data(task.data.clone())
        .with_context(context.clone())
}

/// Items per window of a windowed build ([`BuildInput::window`]). A task that attaches images is
/// built window by window, and each window's images are stored in the run store and dropped
/// before the next window is asked, so a build holds at most one window of images (32 images of
/// 1024×1024 PNG are about 100 MB at worst, typical VLM cases far less) while a window is still
/// large enough that the per-call cost (the input with its data rows, serialized once per call)
/// stays small next to building the window.
pub const BUILD_WINDOW: usize = 32;

/// Builds one task, window by window (see [`BUILD_WINDOW`]): the cases of every window in
/// order, which are the cases of the whole build. A builder that ignores the window (its output
/// has no `items`: text-only tasks, plugins built against an older API) is built once.
///
/// `input_bytes` are the task's row images (the images its sampled data rows name, read from the
/// data directory): every window call gets the same bytes (the same `Arc`, not a copy), because
/// a row's image is addressed by its offset in them. So a task's row images are held for its
/// whole build, bounded by the row sample's size (the manifest's `sample`), not by a window; the
/// images the builder attaches to its cases are still held one window at a time.
async fn build_task(
    shared: &Shared,
    plugin: &Arc<Plugin>,
    input: &BuildInput,
    input_bytes: Arc<Vec<u8>>,
) -> Result<Vec<TestCase>, EngineError> {
    let mut cases: Vec<TestCase> = Vec::new();
    // Cases taken from the builder so far, including those whose images could not be stored:
    // the limit counts them, as it does in a build of one call.
    let mut taken = 0;
    let mut start = 0;
    let mut total: Option<usize> = None;
    loop {
        let window = input.clone().with_window(BuildWindow::new(start, shared.build_window));
        match build_window(shared, plugin, &window, input_bytes.clone(), &mut cases, &mut taken).await? {
            Ok(None) => break,
            Ok(Some(items)) => {
                if let Some(first) = total
                    && first != items
                {
                    let message = format!(
                        "plugin `{}` reported {first} items for the build of task `{}` and then {items} for the window \
                         starting at item {start}; a windowed build must select the same items in every window \
                         (take randomness from the run seed only)",
                        plugin.name(),
                        input.task
                    );
                    return task_failed(shared, plugin, &input.task, &message);
                }
                total = Some(items);
                start += shared.build_window;
                let full = input.limit.is_some_and(|limit| taken >= limit);
                if start >= items || full {
                    break;
                }
            }
            Err(message) if start == 0 => return task_failed(shared, plugin, &input.task, &message),
            Err(message) => {
                let end = start + shared.build_window;
                let message = format!(
                    "{message} (while building items {start}..{end}; the whole task is left out, as a build in one call would be)"
                );
                return task_failed(shared, plugin, &input.task, &message);
            }
        }
    }
    shared.emit(Event::TaskBuilt {
        dimension: plugin.name().to_string(),
        task: input.task.clone(),
        cases: cases.len(),
        failed: false,
    });
    Ok(cases)
}

/// Builds one window of a task into `cases` (`taken`: the cases taken so far): its skipped items
/// recorded, its images stored (a case whose image cannot be stored is skipped with the reason)
/// and their bytes dropped.
/// Returns the whole build's number of items (none: the builder returned the whole build), or
/// the reason the build failed.
async fn build_window(
    shared: &Shared,
    plugin: &Arc<Plugin>,
    input: &BuildInput,
    input_bytes: Arc<Vec<u8>>,
    cases: &mut Vec<TestCase>,
    taken: &mut usize,
) -> Result<Result<Option<usize>, String>, EngineError> {
    let outcome: Result<(BuildOutput, Vec<u8>), String> =
        shared.runner.drive_with_bytes(&shared.executor, plugin, methods::BUILD, input, input_bytes).await?;
    let (output, bytes) = match outcome {
        Ok(output) => output,
        Err(message) => return Ok(Err(message)),
    };
    for skipped in &output.skipped {
        record_skipped(shared, plugin.name(), &input.task, &skipped.item, &skipped.reason)?;
    }
    let room = input.limit.map_or(usize::MAX, |limit| limit.saturating_sub(*taken));
    for mut case in output.cases.into_iter().take(room) {
        *taken += 1;
        if case.task.is_empty() {
            case.task = input.task.clone();
        }
        match shared.executor.images().case(&mut case, &bytes) {
            Ok(()) => cases.push(case),
            Err(reason) => {
                tracing::warn!("task `{}/{}`: {reason}", plugin.name(), input.task);
                record_skipped(shared, plugin.name(), &input.task, &case.id, &reason)?;
            }
        }
    }
    drop(bytes);
    Ok(Ok(output.items))
}

/// A task whose build failed: the reason in skipped.jsonl and the tally, no cases.
fn task_failed(shared: &Shared, plugin: &Arc<Plugin>, task: &str, message: &str) -> Result<Vec<TestCase>, EngineError> {
    tracing::error!("task `{}/{task}` could not be built: {message}", plugin.name());
    record_skipped(shared, plugin.name(), task, "(whole task)", message)?;
    shared.tally.build_failed(&format!("{}/{task}", plugin.name()), message);
    shared.emit(Event::TaskBuilt {
        dimension: plugin.name().to_string(),
        task: task.to_string(),
        cases: 0,
        failed: true,
    });
    Ok(Vec::new())
}

fn record_skipped(shared: &Shared, dimension: &str, task: &str, item: &str, reason: &str) -> Result<(), EngineError> {
    let already = shared.done.skipped.iter().any(|s| s.dimension == dimension && s.task == task && s.item == item);
    if let (Some(store), false) = (&shared.store, already) {
        store.skipped(&SkippedRecord {
            dimension: dimension.into(),
            task: task.into(),
            item: item.into(),
            reason: reason.into(),
        })?;
    }
    Ok(())
}

async fn run_case(shared: &Shared, job: Job) -> Result<(), EngineError> {
    let id = job.case.id.clone();
    if let Some(record) = shared.done.verdicts.get(&id) {
        shared.tally.verdict(&id, &record.verdict);
        shared.emit(Event::CaseAnswered { case_id: id.clone(), resumed: true });
        shared.emit(Event::CaseFinished { case_id: id, status: record.verdict.status, resumed: true });
        return Ok(());
    }
    // The case as recorded, or varied now.
    let case = match shared.done.cases.get(&id) {
        Some(record) => record.case.clone(),
        None => {
            let case = if job.variations.is_empty() {
                job.case
            } else {
                let case = job.case;
                let allowed = job.variations.clone();
                let seed = shared.seed;
                let vary = |cx: &mut trustgen_plugin_api::Cx| trustgen_variator::vary(cx, &case, &allowed, seed);
                match drive_local(&shared.executor, "variator", "vary", vary).await? {
                    Ok(varied) => varied,
                    Err(message) => {
                        tracing::warn!("case {id}: variation failed: {message}");
                        case
                    }
                }
            };
            if let Some(store) = &shared.store {
                store.case(&CaseRecord { dimension: job.dimension.name().to_string(), case: case.clone() })?;
            }
            case
        }
    };
    // The target's answers.
    let output = match shared.done.outputs.get(&id) {
        Some(record) => {
            shared.emit(Event::CaseAnswered { case_id: id.clone(), resumed: true });
            record.output.clone()
        }
        None => {
            let input = RespondInput::new(case.clone()).with_context(shared.context.clone());
            let output: Result<ModelOutput, String> =
                shared.runner.drive(&shared.executor, &shared.target_type, methods::RESPOND, &input).await?;
            match output {
                Ok(output) => {
                    if let Some(store) = &shared.store {
                        store.output(&OutputRecord { case_id: id.clone(), output: output.clone() })?;
                    }
                    shared.emit(Event::CaseAnswered { case_id: id.clone(), resumed: false });
                    output
                }
                Err(message) => {
                    shared.emit(Event::CaseAnswered { case_id: id.clone(), resumed: false });
                    return finish_case(shared, &job.dimension, &case, Verdict::missing(format!("engine: {message}")));
                }
            }
        }
    };
    // The grade.
    let input = ScoreInput::new(case.clone(), output)
        .with_options(job.options.clone())
        .with_seed(shared.seed)
        .with_context(shared.context.clone());
    let verdict: Result<Verdict, String> =
        shared.runner.drive(&shared.executor, &job.dimension, methods::SCORE, &input).await?;
    let verdict = verdict.unwrap_or_else(|message| Verdict::missing(format!("engine: {message}")));
    finish_case(shared, &job.dimension, &case, verdict)
}

fn finish_case(shared: &Shared, dimension: &Arc<Plugin>, case: &TestCase, verdict: Verdict) -> Result<(), EngineError> {
    let record = VerdictRecord {
        case_id: case.id.clone(),
        dimension: dimension.name().to_string(),
        task: case.task.clone(),
        verdict,
    };
    if let Some(store) = &shared.store {
        store.verdict(&record)?;
    }
    shared.tally.verdict(&record.case_id, &record.verdict);
    shared.emit(Event::CaseFinished { case_id: record.case_id, status: record.verdict.status, resumed: false });
    Ok(())
}

fn usage_from_clients(clients: &Clients) -> Vec<UsageRecord> {
    clients
        .usage()
        .into_iter()
        .map(|u| UsageRecord {
            role: u.role.as_str().to_string(),
            provider: u.provider.as_str().to_string(),
            model: u.model,
            requests: u.requests,
            cached: u.cached,
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            cost: u.cost,
        })
        .collect()
}

/// Usage over the whole run directory (all sessions of a resumed run),
/// from the request journal: the canonical record of what was paid for.
fn usage_from_journal(shared: &Shared, specs: &[ModelSpec]) -> Result<Vec<UsageRecord>, EngineError> {
    let Some(store) = &shared.store else { return Ok(Vec::new()) };
    let records: Vec<RequestRecord> = read_jsonl(&store.dir().join(files::REQUESTS))?;
    let mut by_role: BTreeMap<String, UsageRecord> = BTreeMap::new();
    for record in records {
        let role = record.request.role;
        let spec = specs.iter().find(|s| s.role == role);
        let entry = by_role.entry(role.as_str().to_string()).or_insert_with(|| UsageRecord {
            role: role.as_str().to_string(),
            provider: spec.map(|s| s.provider.as_str().to_string()).unwrap_or_default(),
            model: spec.map(|s| s.model.clone()).unwrap_or_default(),
            ..UsageRecord::default()
        });
        entry.requests += 1;
        if record.cached {
            entry.cached += 1;
        } else {
            entry.prompt_tokens += record.reply.usage.prompt_tokens;
            entry.completion_tokens += record.reply.usage.completion_tokens;
        }
    }
    for entry in by_role.values_mut() {
        let price = specs.iter().find(|s| s.role.as_str() == entry.role).and_then(|s| s.price.as_ref());
        entry.cost = price.map(|p| {
            entry.prompt_tokens as f64 * p.input_per_million / 1e6
                + entry.completion_tokens as f64 * p.output_per_million / 1e6
        });
    }
    Ok(by_role.into_values().collect())
}
