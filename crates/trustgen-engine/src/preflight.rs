//! The check before a run sends anything: every model the run will use is
//! configured (its key variable is set), reachable (a TCP connect to its
//! endpoint), and has its files (embedded weights, corpora).
//!
//! "Will use" means every model the suite names, plus the implicit ones the
//! engine adds when a plugin of the run declares (in its manifest's `models`)
//! that it may ask for that role: the default embedder (all-MiniLM-L6-v2) and
//! the bundled retrieval corpus. Every problem is collected and reported in
//! one error, so a user fixes them all at once; a dry run runs the same check.

use trustgen_plugin_api::ModelRole;
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
    [ModelRole::Target, ModelRole::Generator, ModelRole::Judge, ModelRole::Embedder, ModelRole::Retriever]
        .iter()
        .position(|r| *r == role)
        .unwrap_or(usize::MAX)
}
