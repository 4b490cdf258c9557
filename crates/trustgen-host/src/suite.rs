//! Validating a parsed suite ([`trustgen_config::Suite`]) against the registry: the plugins,
//! tasks, variations and model types it names, and each dimension plugin's `options` table,
//! which the plugin itself checks (`check_options`).

use trustgen_config::{DimensionConfig, Role, Suite, SuiteError, SuiteErrors, suggestion};
use trustgen_plugin_api::sdk::methods;
use trustgen_plugin_api::{CallErrorKind, OptionProblem, PluginKind};

use crate::registry::{Plugin, Registry};

/// Checks every named plugin, task, model type and variation against the registry, and asks
/// each dimension plugin to check its `options` table. All errors are reported, each with the
/// file, line and column it is about.
///
/// `trustgen validate` and run planning both call this (through the engine's `check`), so a
/// suite that `validate` accepts does not fail later for a reason found here: libraries that
/// could not be loaded, a suite without dimensions or without a target, a `data_dir` that does
/// not exist.
pub fn validate(suite: &Suite, registry: &Registry) -> Result<(), SuiteErrors> {
    let mut errors = load_problems(suite, registry);
    if let Some(dir) = &suite.file.run.data_dir {
        let resolved = suite.data_dir();
        if !resolved.is_dir() {
            errors.push(suite.error_at(
                dir.span(),
                format!("[run] data_dir {} is not a directory", resolved.display()),
                Some("data_dir is relative to the suite file; the bundled data sets are in suites/data".into()),
            ));
        }
    }
    if suite.file.dimensions.is_empty() {
        errors.push(suite.error_at(
            0..0,
            "the suite names no [[dimension]] to run".into(),
            Some("add one, e.g. `[[dimension]]` with `plugin = \"safety\"` (see `trustgen plugins list`)".into()),
        ));
    }
    let dimension_names: Vec<&str> =
        registry.plugins().iter().filter(|p| p.kind() == PluginKind::Dimension).map(|p| p.name()).collect();
    for dimension in &suite.file.dimensions {
        let name = dimension.plugin.get_ref();
        let Some(plugin) = registry.get(name).filter(|p| p.kind() == PluginKind::Dimension) else {
            errors.push(
                suite.error_at(
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
                errors.push(suite.error_at(
                    task.span(),
                    format!("plugin `{name}` has no task `{}`", task.get_ref()),
                    suggestion(task.get_ref(), &task_names),
                ));
            }
        }
        for variation in &dimension.variations {
            let allowed_anywhere =
                suite.selected_tasks(dimension, manifest).iter().any(|t| t.variations.contains(variation.get_ref()));
            if !allowed_anywhere {
                errors.push(suite.error_at(
                    variation.span(),
                    format!("no selected task of `{name}` allows the variation `{}`", variation.get_ref().as_str()),
                    Some("see `trustgen plugins info` for each task's variations".into()),
                ));
            }
        }
        errors.extend(check_options(suite, dimension, plugin));
    }
    let type_names: Vec<&str> = registry
        .plugins()
        .iter()
        .filter(|p| p.kind() == PluginKind::ModelType)
        .flat_map(|p| p.manifest().model_types.iter().map(String::as_str))
        .collect();
    for model in suite.file.models.values().filter(|m| m.role.has_model_type()) {
        let model_type = model.model_type.get_ref();
        if registry.model_type(model_type).is_none() {
            errors.push(suite.error_at(
                model.model_type.span(),
                format!("no model-type plugin provides type `{model_type}` for [models.{}]", model.role.as_str()),
                suggestion(model_type, &type_names),
            ));
        }
    }
    if let Some(first) = suite.file.dimensions.first()
        && !suite.file.models.contains_key(&Role::Target)
    {
        errors.push(suite.error_at(
            first.plugin.span(),
            format!(
                "dimension `{}` needs a target model, but the suite has no [models.target]",
                first.plugin.get_ref()
            ),
            Some("add a [models.target] table (e.g. provider = \"embedded\")".into()),
        ));
    }
    if errors.is_empty() { Ok(()) } else { Err(SuiteErrors(errors)) }
}

/// Every library that was found but could not be loaded is an error: at the suite's
/// `[plugins] dirs` entry that holds it, or without a position for the user's own directories.
fn load_problems(suite: &Suite, registry: &Registry) -> Vec<SuiteError> {
    let entries: Vec<_> =
        suite.file.plugins.dirs.iter().map(|d| (d.span(), suite.dir().join(d.get_ref()).canonicalize().ok())).collect();
    registry
        .problems()
        .iter()
        .map(|problem| {
            let parent = problem.library().and_then(|l| l.parent().and_then(|p| p.canonicalize().ok()));
            let entry = entries.iter().find(|(_, dir)| dir.is_some() && *dir == parent);
            match entry {
                Some((span, _)) => suite.error_at(
                    span.clone(),
                    format!("a library in this [plugins] dirs entry cannot be loaded: {problem}"),
                    None,
                ),
                None => suite.error_at(0..0, format!("a plugin library cannot be loaded: {problem}"), None),
            }
        })
        .collect()
}

/// Asks the dimension's plugin to check its `options` table (the `check_options` method) and
/// positions each problem at its key. A plugin built before the method existed answers
/// "unknown method" and is not checked.
fn check_options(suite: &Suite, dimension: &DimensionConfig, plugin: &Plugin) -> Vec<SuiteError> {
    let name = plugin.name();
    let input = serde_json::json!({ "options": dimension.options.to_json() }).to_string();
    let problems: Vec<OptionProblem> = match plugin.call(methods::CHECK_OPTIONS, &input, &[]) {
        Ok(json) => match serde_json::from_str(&json) {
            Ok(problems) => problems,
            Err(e) => {
                return vec![suite.error_at(
                    dimension.plugin.span(),
                    format!("plugin `{name}` answered its options check with malformed JSON: {e}"),
                    Some("this is a bug in the plugin; report it to its authors".into()),
                )];
            }
        },
        Err(err) if err.kind == CallErrorKind::UnknownMethod => return Vec::new(),
        Err(err) => {
            return vec![suite.error_at(
                dimension.plugin.span(),
                format!("plugin `{name}` could not check its options: {err}"),
                None,
            )];
        }
    };
    problems
        .into_iter()
        .map(|problem| {
            let unknown_key = problem.unknown.as_deref() == Some(problem.key.as_str());
            let span = if unknown_key {
                dimension.options.key_span(&problem.key)
            } else {
                dimension.options.value_span(&problem.key)
            };
            let expected: Vec<&str> = problem.expected.iter().map(String::as_str).collect();
            let hint = problem.unknown.as_deref().and_then(|word| suggestion(word, &expected));
            suite.error_at(
                span.unwrap_or_else(|| dimension.plugin.span()),
                format!("[[dimension]] `{name}` options: {}", problem.message),
                hint,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;
