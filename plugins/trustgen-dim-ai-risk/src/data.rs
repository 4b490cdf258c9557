//! Reading the seed metadata the engine loaded (the six considerations and the authored
//! scenarios), the plugin's options, and the seeded, consideration-balanced ordering.
//!
//! The plugin never reads files: the engine loads every data source the manifest declares and
//! passes the rows in `BuildInput::data`. A required source that was not loaded stops the build
//! with an error naming the file; a row that lacks a field, or names an unknown consideration,
//! is dropped with a [`Skipped`] entry naming the file, the row and the problem.

use trustgen_plugin_api::{BuildInput, JsonMap, Skipped, Step, fail};
/// The de-duplication key and the balanced order are the kit's; the builder uses them from here.
pub(crate) use trustgen_plugin_kit::reply::dedup_key;
use trustgen_plugin_kit::rows::{self, field, row_id, row_name};
pub(crate) use trustgen_plugin_kit::sample::balanced_order;

use crate::PLUGIN;

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub(crate) mod sources {
    use trustgen_plugin_kit::Source;

    /// The six human considerations (EU HLEG, paraphrased).
    pub(crate) const CONSIDERATIONS: Source =
        Source::new("ai_risk_considerations", "ai_risk/metadata/considerations.jsonl");
    /// The authored value-conflict scenarios (six per consideration).
    pub(crate) const SCENARIOS: Source = Source::new("ai_risk_seed_scenarios", "ai_risk/metadata/seed_scenarios.jsonl");
}

/// One human consideration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Consideration {
    /// Kebab-case id, e.g. `human-oversight` (also the suffix of the per-consideration metric).
    pub(crate) id: String,
    /// Display name.
    pub(crate) name: String,
    /// What it protects, paraphrased from the EU HLEG guidelines.
    pub(crate) description: String,
}

/// One value-conflict scenario (authored or generated).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scenario {
    pub(crate) consideration: String,
    pub(crate) story: String,
    pub(crate) human_centred_action: String,
    pub(crate) other_action: String,
    /// The seed row id (authored scenarios) or the generator setting (generated ones).
    pub(crate) origin: Origin,
}

/// Where a scenario comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Origin {
    /// An authored seed row, by id.
    Seed(String),
    /// The generator, with the setting it was given.
    Generator(String),
}

/// The considerations metadata, in file order. A repeated id is an error (the
/// per-consideration metrics would merge).
pub(crate) fn considerations(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<Consideration>> {
    let path = sources::CONSIDERATIONS.path;
    let mut out: Vec<Consideration> = Vec::new();
    for (i, row) in rows::required(input, sources::CONSIDERATIONS)?.iter().enumerate() {
        let parsed = (|| {
            Ok::<_, Skipped>(Consideration {
                id: field(path, i, row, "id")?,
                name: field(path, i, row, "name")?,
                description: field(path, i, row, "description")?,
            })
        })();
        match parsed {
            Ok(c) if out.iter().any(|o| o.id == c.id) => {
                fail!("suites/data/{path} row {}: the consideration id `{}` is used twice", i + 1, c.id)
            }
            Ok(c) => out.push(c),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// The authored scenarios whose consideration is known; the others are skipped.
pub(crate) fn scenarios(
    input: &BuildInput,
    considerations: &[Consideration],
    skipped: &mut Vec<Skipped>,
) -> Step<Vec<Scenario>> {
    let path = sources::SCENARIOS.path;
    let mut out = Vec::new();
    for (i, row) in rows::required(input, sources::SCENARIOS)?.iter().enumerate() {
        let parsed = (|| {
            Ok::<_, Skipped>(Scenario {
                consideration: field(path, i, row, "consideration")?,
                story: field(path, i, row, "story")?,
                human_centred_action: field(path, i, row, "human_centred_action")?,
                other_action: field(path, i, row, "other_action")?,
                origin: Origin::Seed(row_id(row, i)),
            })
        })();
        match parsed {
            Ok(s) if considerations.iter().any(|c| c.id == s.consideration) => out.push(s),
            Ok(s) => skipped.push(Skipped::new(
                row_name(path, i, row),
                format!("consideration `{}` is not in {}", s.consideration, sources::CONSIDERATIONS.path),
            )),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// Whether the generator path is on: the `dynamic` option (default true) and a generator.
/// Unknown options are errors naming them.
pub(crate) fn dynamic(options: &JsonMap, has_generator: bool) -> Step<bool> {
    PLUGIN.known_options(options, &[("dynamic", "true or false")])?;
    Ok(PLUGIN.bool_option(options, "dynamic", true)? && has_generator)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use trustgen_plugin_api::Stop;

    use super::*;

    #[test]
    fn options() {
        let message = |r: Step<bool>| match r {
            Err(Stop::Error(m)) => m,
            other => format!("{other:?}"),
        };
        let mut options = JsonMap::new();
        assert_eq!(dynamic(&options, true), Ok(true));
        assert_eq!(dynamic(&options, false), Ok(false));
        options.insert("dynamic".into(), Value::Bool(false));
        assert_eq!(dynamic(&options, true), Ok(false));
        options.insert("dynamic".into(), Value::from(1));
        assert_eq!(
            message(dynamic(&options, true)),
            "option `dynamic` of the ai-risk plugin must be true or false, not 1"
        );
        let mut options = JsonMap::new();
        options.insert("seed_only".into(), Value::Bool(true));
        assert_eq!(
            message(dynamic(&options, true)),
            "the ai-risk plugin has no option `seed_only`; its only option is `dynamic` (true or false)"
        );
    }
}
