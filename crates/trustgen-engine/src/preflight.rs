//! The check before a run sends anything: every model the run will use is
//! configured (its key variable is set), reachable (a TCP connect to its
//! endpoint), and has its files (embedded weights, corpora).
//!
//! "Will use" means every model the suite names, plus the implicit ones the
//! engine adds when a plugin of the run declares (in its manifest's `models`)
//! that it may ask for that role: the default embedder (all-MiniLM-L6-v2) and
//! the bundled retrieval corpus. Every problem is collected and reported in
//! one error, so a user fixes them all at once; a dry run runs the same check.
//!
//! [`fitted_thresholds`] is part of the same path: an offline judge's embedding threshold is
//! used only with the embedder it was fitted with.

use trustgen_config::{Suite, SuiteErrors};
use trustgen_plugin_api::{FittedThreshold, ModelRole};
use trustgen_providers::{ClientOptions, Clients, FatalError, ModelSpec, ProviderKind};

use crate::plan::Plan;

/// One model to check.
pub(crate) struct Checked<'a> {
    /// Its spec.
    pub spec: &'a ModelSpec,
    /// Not named by the suite: added because these plugins may ask for it.
    pub implicit_for: Option<Vec<String>>,
}

/// Every problem found before the run, each with its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightError {
    /// One line per problem.
    pub problems: Vec<String>,
    /// Embedded models whose files are missing or corrupt (`trustgen models pull` fixes them).
    pub models_to_pull: Vec<String>,
}

impl std::fmt::Display for PreflightError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.problems.as_slice() {
            [only] => write!(f, "{only}")?,
            all => {
                write!(f, "{} problems found before anything was sent:", all.len())?;
                for problem in all {
                    write!(f, "\n  - {problem}")?;
                }
            }
        }
        if self.models_to_pull.len() > 1 {
            write!(
                f,
                "\nhint: `trustgen models pull {}` downloads every missing model",
                self.models_to_pull.join(" ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for PreflightError {}

/// The models a run will use: the named ones, and the implicit ones a plugin of the plan declares.
pub(crate) fn models_to_check<'a>(
    specs: &'a [ModelSpec],
    named: impl Fn(&ModelSpec) -> bool,
    plan: &Plan,
) -> Vec<Checked<'a>> {
    specs
        .iter()
        .filter_map(|spec| {
            if named(spec) {
                return Some(Checked { spec, implicit_for: None });
            }
            let askers: Vec<String> = plan
                .dimensions
                .iter()
                .map(|d| &d.plugin)
                .chain(std::iter::once(&plan.target_type))
                .filter(|p| p.manifest().models.contains(&spec.role))
                .map(|p| p.name().to_string())
                .collect();
            (!askers.is_empty()).then_some(Checked { spec, implicit_for: Some(askers) })
        })
        .collect()
}

/// Checks every model; `Err` lists every problem. Without `network` (`trustgen validate`), the
/// checks that need no connection: keys, embedded model files and local corpora; a run also
/// connects to every HTTP server.
pub(crate) async fn preflight(models: &[Checked<'_>], user_agent: &str, network: bool) -> Result<(), PreflightError> {
    let mut problems: Vec<(ModelRole, String)> = Vec::new();
    let mut to_pull = Vec::new();
    let mut reachable = Vec::new();
    let options =
        || ClientOptions { global_concurrency: 4, user_agent: user_agent.to_owned(), ..ClientOptions::default() };
    // Keys first: a client is built per model so that every missing variable is reported.
    for checked in models {
        match Clients::new(vec![checked.spec.clone()], options()) {
            Ok(_) => reachable.push(checked),
            Err(e) => problems.push((checked.spec.role, e.to_string())),
        }
    }
    let local = |c: &&&Checked<'_>| matches!(c.spec.provider, ProviderKind::Embedded | ProviderKind::Corpus);
    let specs: Vec<ModelSpec> = reachable.iter().filter(|c| network || local(c)).map(|c| c.spec.clone()).collect();
    let clients = match Clients::new(specs, options()) {
        Ok(clients) => clients,
        Err(e) => return Err(PreflightError { problems: vec![e.to_string()], models_to_pull: Vec::new() }),
    };
    for (role, error) in clients.preflight_all().await {
        let implicit = reachable.iter().find(|c| c.spec.role == role).and_then(|c| c.implicit_for.as_ref());
        let message = match (&error, implicit) {
            (FatalError::Embedded { model, message, .. }, Some(askers)) if role == ModelRole::Ocr => format!(
                "the host's OCR model `{model}` (a task of plugin{} {} judges whether its typed text is legible, \
                 offline because the suite has no capable [models.judge]): {message}, or add a capable [models.judge] \
                 of type `vlm`",
                if askers.len() == 1 { "" } else { "s" },
                askers.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "),
            ),
            (FatalError::Embedded { model, message, .. }, Some(askers)) => {
                let table = format!("[models.{}]", role.as_str());
                format!(
                    "the default {} `{model}` (the suite names no {table}; plugin{} {} may ask for it): {message}, \
                     or name another model in {table}",
                    role.as_str(),
                    if askers.len() == 1 { "" } else { "s" },
                    askers.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "),
                )
            }
            _ => error.to_string(),
        };
        if let FatalError::Embedded { model, message, .. } = &error
            && message.contains("trustgen models pull")
            && !to_pull.contains(model)
        {
            to_pull.push(model.clone());
        }
        problems.push((role, message));
    }
    if problems.is_empty() {
        return Ok(());
    }
    // Role order (target first), as the suite reads.
    problems.sort_by_key(|(role, _)| role_order(*role));
    Err(PreflightError { problems: problems.into_iter().map(|(_, p)| p).collect(), models_to_pull: to_pull })
}

fn role_order(role: ModelRole) -> usize {
    ModelRole::ALL.iter().position(|r| *r == role).unwrap_or(usize::MAX)
}

/// The embedder of the run, `provider:model` as a suite names it (the default one when the
/// suite names none).
fn embedder_identity(specs: &[ModelSpec]) -> Option<String> {
    specs.iter().find(|s| s.role == ModelRole::Embedder).map(|s| format!("{}:{}", s.provider.as_str(), s.model))
}

/// Checks that every embedding threshold a planned task's offline judges apply (the manifest's
/// `fitted_thresholds`) was fitted with the run's embedder: a threshold is reused silently with
/// no other embedder. A dimension option (`FittedThreshold::option`) may give one fitted for the
/// suite's embedder. Offline judges run only without a capable judge model, so with one there is
/// nothing to check. Every problem is an error at its line.
pub(crate) fn fitted_thresholds(suite: &Suite, plan: &Plan, specs: &[ModelSpec]) -> Result<(), SuiteErrors> {
    if specs.iter().any(|s| s.role == ModelRole::Judge && s.is_capable()) {
        return Ok(());
    }
    let Some(embedder) = embedder_identity(specs) else { return Ok(()) };
    let table = suite.model(ModelRole::Embedder);
    let named = match table {
        Some(_) => format!("[models.embedder] is `{embedder}`"),
        None => format!("the default embedder is `{embedder}`"),
    };
    let mut errors = Vec::new();
    for (dimension, planned) in suite.file.dimensions.iter().zip(&plan.dimensions) {
        // One error per dimension and option, naming every task that applies the threshold.
        let mut by_option: Vec<(&FittedThreshold, Vec<&str>)> = Vec::new();
        for task in &planned.tasks {
            for fitted in &task.spec.fitted_thresholds {
                match by_option.iter_mut().find(|(f, _)| f.option == fitted.option && f.embedder == fitted.embedder) {
                    Some((_, tasks)) => tasks.push(&task.spec.name),
                    None => by_option.push((fitted, vec![&task.spec.name])),
                }
            }
        }
        let plugin = planned.plugin.name();
        for (fitted, tasks) in by_option {
            let tasks = tasks.iter().map(|t| format!("`{plugin}/{t}`")).collect::<Vec<_>>().join(", ");
            let option = &fitted.option;
            let example = format!("{option} = {{ value = <threshold>, embedder = \"{embedder}\" }}");
            match planned.options.get(option) {
                None if fitted.embedder == embedder => {}
                None => {
                    let span = table.map_or_else(|| dimension.plugin.span(), |t| t.span.clone());
                    errors.push(suite.error_at(
                        span,
                        format!(
                            "{tasks} judge offline with `{}` and its threshold {}, fitted with the embedder `{}`, \
                             but {named}: cosines of another embedder are on another scale",
                            fitted.judge, fitted.value, fitted.embedder
                        ),
                        Some(format!(
                            "`trustgen calibrate refusal {}` fits a threshold for this embedder and prints the \
                             line to add to the [[dimension]] `{plugin}` options, `{example}`; or remove \
                             [models.embedder], or add a capable [models.judge]",
                            suite.path.display()
                        )),
                    ));
                }
                Some(given) => {
                    let span = dimension.options.value_span(option).unwrap_or_else(|| dimension.plugin.span());
                    let value = given.get("value").and_then(serde_json::Value::as_f64);
                    let for_embedder = given.get("embedder").and_then(serde_json::Value::as_str);
                    let (Some(_), Some(for_embedder)) = (value, for_embedder) else {
                        errors.push(suite.error_at(
                            span,
                            format!("[[dimension]] `{plugin}` options: `{option}` must be a table `{{ value = <number>, embedder = \"<provider>:<model>\" }}`"),
                            Some(format!("e.g. `{example}`")),
                        ));
                        continue;
                    };
                    if for_embedder != embedder {
                        errors.push(suite.error_at(
                            span,
                            format!(
                                "[[dimension]] `{plugin}` options: `{option}` was fitted with the embedder \
                                 `{for_embedder}`, but {named} ({tasks} apply it)"
                            ),
                            Some(format!(
                                "`trustgen calibrate refusal {}` fits a threshold for `{embedder}`",
                                suite.path.display()
                            )),
                        ));
                    }
                }
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(SuiteErrors(errors)) }
}

/// Checks that a planned task whose judge calls carry the case's images
/// (`TaskSpec::image_judge_templates`) gets a judge that sees images: a `[models.judge]` of
/// type `vlm`. Without a capable judge the tasks grade offline, so there is nothing to check; a
/// text-only judge would grade an image-dependent answer blind, so it is an error at its line.
pub(crate) fn image_judges(suite: &Suite, plan: &Plan, specs: &[ModelSpec]) -> Result<(), SuiteErrors> {
    let Some(judge) = specs.iter().find(|s| s.role == ModelRole::Judge && s.is_capable()) else {
        return Ok(());
    };
    if judge.model_type == "vlm" {
        return Ok(());
    }
    let tasks: Vec<String> = plan
        .dimensions
        .iter()
        .flat_map(|planned| {
            planned
                .tasks
                .iter()
                .filter(|t| !t.spec.image_judge_templates.is_empty())
                .map(|t| format!("`{}/{}`", planned.plugin.name(), t.spec.name))
        })
        .collect();
    if tasks.is_empty() {
        return Ok(());
    }
    let span = suite.model(ModelRole::Judge).map_or(0..0, |t| t.span.clone());
    Err(SuiteErrors(vec![
        suite.error_at(
            span,
            format!(
                "{} grade answers that depend on the case's image, but [models.judge] is type `{}`: a text-only judge \
             would grade them without seeing the image",
                tasks.join(", "),
                judge.model_type
            ),
            Some(
                "set `type = \"vlm\"` in [models.judge] and name a model that reads images, or remove [models.judge] \
             to grade these tasks offline"
                    .to_owned(),
            ),
        ),
    ]))
}
