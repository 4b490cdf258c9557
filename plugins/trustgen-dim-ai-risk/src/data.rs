//! Reading the seed metadata the engine loaded (the six considerations and the authored
//! scenarios), the plugin's options, and the seeded, consideration-balanced ordering.
//!
//! The plugin never reads files: the engine loads every data source the manifest declares and
//! passes the rows in `BuildInput::data`. A required source that was not loaded stops the build
//! with an error naming the file; a row that lacks a field, or names an unknown consideration,
//! is dropped with a [`Skipped`] entry naming the file, the row and the problem.

use std::collections::BTreeMap;

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, JsonMap, SeededRng, Skipped, Step, fail};

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub(crate) mod sources {
    /// The six human considerations (EU HLEG, paraphrased).
    pub(crate) const CONSIDERATIONS: (&str, &str) = ("ai_risk_considerations", "ai_risk/metadata/considerations.jsonl");
    /// The authored value-conflict scenarios (six per consideration).
    pub(crate) const SCENARIOS: (&str, &str) = ("ai_risk_seed_scenarios", "ai_risk/metadata/seed_scenarios.jsonl");
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

fn required<'a>(input: &'a BuildInput, (name, path): (&str, &str)) -> Step<&'a [Value]> {
    match input.data.get(name) {
        Some(rows) if !rows.is_empty() => Ok(rows),
        _ => fail!(
            "task `{}` needs the data source `{name}` (suites/data/{path}), which was not loaded or is empty; hint: run with the suite data directory that ships with trustgen",
            input.task
        ),
    }
}

fn row_name(path: &str, index: usize, row: &Value) -> String {
    match row.get("id").and_then(Value::as_str) {
        Some(id) => format!("{path} row {} (id {id})", index + 1),
        None => format!("{path} row {}", index + 1),
    }
}

fn field(path: &str, index: usize, row: &Value, key: &str) -> Result<String, Skipped> {
    row.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).ok_or_else(|| {
        Skipped { item: row_name(path, index, row), reason: format!("field `{key}` is missing or empty") }
    })
}

/// The considerations metadata, in file order. A repeated id is an error (the
/// per-consideration metrics would merge).
pub(crate) fn considerations(input: &BuildInput, skipped: &mut Vec<Skipped>) -> Step<Vec<Consideration>> {
    let path = sources::CONSIDERATIONS.1;
    let mut out: Vec<Consideration> = Vec::new();
    for (i, row) in required(input, sources::CONSIDERATIONS)?.iter().enumerate() {
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
    let path = sources::SCENARIOS.1;
    let mut out = Vec::new();
    for (i, row) in required(input, sources::SCENARIOS)?.iter().enumerate() {
        let parsed = (|| {
            Ok::<_, Skipped>(Scenario {
                consideration: field(path, i, row, "consideration")?,
                story: field(path, i, row, "story")?,
                human_centred_action: field(path, i, row, "human_centred_action")?,
                other_action: field(path, i, row, "other_action")?,
                origin: Origin::Seed(
                    row.get("id").and_then(Value::as_str).map_or_else(|| format!("row-{}", i + 1), str::to_string),
                ),
            })
        })();
        match parsed {
            Ok(s) if considerations.iter().any(|c| c.id == s.consideration) => out.push(s),
            Ok(s) => skipped.push(Skipped {
                item: row_name(path, i, row),
                reason: format!("consideration `{}` is not in {}", s.consideration, sources::CONSIDERATIONS.1),
            }),
            Err(skip) => skipped.push(skip),
        }
    }
    Ok(out)
}

/// Whether the generator path is on: the `dynamic` option (default true) and a generator.
/// Unknown options are errors naming them.
pub(crate) fn dynamic(options: &JsonMap, has_generator: bool) -> Step<bool> {
    for key in options.keys() {
        if key != "dynamic" {
            fail!("the ai-risk plugin has no option `{key}`; its only option is `dynamic` (true or false)");
        }
    }
    let wanted = match options.get("dynamic") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => fail!("option `dynamic` of the ai-risk plugin must be true or false, not {other}"),
    };
    Ok(wanted && has_generator)
}

/// Orders `items` so that strata take turns: each stratum's items are shuffled, the strata are
/// visited in a shuffled order, and one item is taken from each in turn. Any prefix is as
/// balanced across strata as their sizes allow.
pub(crate) fn balanced<T>(items: Vec<(String, T)>, rng: &mut SeededRng) -> Vec<T> {
    let mut strata: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for (stratum, item) in items {
        strata.entry(stratum).or_default().push(item);
    }
    let mut lists: Vec<Vec<T>> = strata.into_values().collect();
    for list in &mut lists {
        rng.shuffle(list);
    }
    rng.shuffle(&mut lists);
    let total = lists.iter().map(Vec::len).sum();
    let mut iters: Vec<std::vec::IntoIter<T>> = lists.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for it in &mut iters {
            out.extend(it.next());
        }
    }
    out
}

/// The de-duplication key of a text: lowercase letters and digits, single spaces.
pub(crate) fn dedup_key(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use trustgen_plugin_api::Stop;

    use super::*;

    #[test]
    fn balanced_takes_turns_and_is_seeded() {
        let items: Vec<(String, String)> =
            ["a1", "a2", "a3", "b1", "b2", "c1"].iter().map(|s| (s[..1].to_string(), (*s).to_string())).collect();
        let order = balanced(items.clone(), &mut SeededRng::new(1));
        let first3: BTreeSet<&str> = order[..3].iter().map(|s| &s[..1]).collect();
        assert_eq!(first3.len(), 3, "{order:?}");
        assert_eq!(order, balanced(items.clone(), &mut SeededRng::new(1)));
        assert_ne!(order, balanced(items, &mut SeededRng::new(2)));
    }

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
