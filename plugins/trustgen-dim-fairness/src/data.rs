//! Reading the rows the engine loaded (bundled data sets and seed metadata), the plugin's
//! options, and seeded balanced sampling.
//!
//! The plugin never reads files: the engine loads every [`DataSource`](trustgen_plugin_api::DataSource)
//! the manifest declares and passes the rows in `BuildInput::data`. A row that lacks a field is
//! dropped with a [`Skipped`] entry naming the file, the row and the field; a source that was not
//! loaded at all stops the build with an error naming the file.

use std::collections::BTreeMap;

use serde_json::Value;
use trustgen_plugin_api::{BuildInput, SeededRng, Skipped, Step, fail};

/// The plugin name, the first part of every case id.
pub(crate) const PLUGIN: &str = "fairness";

/// `fairness/<task>/<n>`.
pub(crate) fn case_id(task: &str, n: usize) -> String {
    format!("{PLUGIN}/{task}/{n}")
}

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub(crate) mod sources {
    pub(crate) const CROWS: (&str, &str) = ("crows_pairs", "fairness/crows_pairs.jsonl");
    pub(crate) const BBQ: (&str, &str) = ("bbq", "fairness/bbq.jsonl");
    pub(crate) const STEREOSET: (&str, &str) = ("stereoset", "fairness/stereoset.jsonl");
    pub(crate) const WINOBIAS: (&str, &str) = ("winobias", "fairness/winobias.jsonl");
    pub(crate) const DISPARAGEMENT_TARGETS: (&str, &str) =
        ("disparagement_targets", "fairness/metadata/disparagement_targets.jsonl");
    pub(crate) const DISPARAGEMENT_SEEDS: (&str, &str) =
        ("disparagement_seeds", "fairness/metadata/disparagement_seeds.jsonl");
    pub(crate) const PREFERENCE_PAIRS: (&str, &str) = ("preference_pairs", "fairness/metadata/preference_pairs.jsonl");
    pub(crate) const PREFERENCE_TEMPLATES: (&str, &str) =
        ("preference_templates", "fairness/metadata/preference_templates.jsonl");
}

/// The rows of a source that must be there (bundled data or metadata).
pub(crate) fn required<'a>(input: &'a BuildInput, (name, path): (&str, &str)) -> Step<&'a [Value]> {
    match input.data.get(name) {
        Some(rows) => Ok(rows),
        None => fail!(
            "task `{}` needs the data source `{name}` (suites/data/{path}), which was not loaded; hint: run with the suite data directory that ships with trustgen",
            input.task
        ),
    }
}

/// How a row is named in skip reasons: `<path> row <n> (id <id>)`, `n` counted from 1.
pub(crate) fn row_name(path: &str, index: usize, row: &Value) -> String {
    match row.get("id").and_then(Value::as_str) {
        Some(id) => format!("{path} row {} (id {id})", index + 1),
        None => format!("{path} row {}", index + 1),
    }
}

/// A row's `id`, or `row-<n>` (counted from 1) when it has none.
pub(crate) fn row_id(index: usize, row: &Value) -> String {
    text(row, "id").unwrap_or_else(|| format!("row-{}", index + 1))
}

/// A non-empty, trimmed string field.
pub(crate) fn text(row: &Value, key: &str) -> Option<String> {
    match row.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A list of non-empty strings (a single string counts as a list of one).
pub(crate) fn texts(row: &Value, key: &str) -> Option<Vec<String>> {
    match row.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(vec![s.trim().to_string()]),
        Value::Array(items) => {
            let list: Vec<String> = items
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            (!list.is_empty()).then_some(list)
        }
        _ => None,
    }
}

/// Collects the fields `keys` of a row, or a skip entry naming the first missing one.
pub(crate) fn fields<const N: usize>(
    path: &str,
    index: usize,
    row: &Value,
    keys: [&str; N],
) -> Result<[String; N], Skipped> {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, key) in out.iter_mut().zip(keys) {
        *slot = text(row, key).ok_or_else(|| Skipped {
            item: row_name(path, index, row),
            reason: format!("field `{key}` is missing or empty"),
        })?;
    }
    Ok(out)
}

/// The number of cases to build: the suite's limit, else the task default.
pub(crate) fn limit(input: &BuildInput, default: usize) -> usize {
    input.limit.unwrap_or(default)
}

/// Whether the generator paths are on: the `dynamic` option (default true) and a generator.
pub(crate) fn use_generator(input: &BuildInput) -> Step<bool> {
    let wanted = match input.options.get("dynamic") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => fail!("option `dynamic` of the fairness plugin must be true or false, not {other}"),
    };
    Ok(wanted && input.context.has_generator())
}

/// Orders `items` so that strata take turns: each stratum's items are shuffled, the strata are
/// visited in a shuffled order, and one item is taken from each in turn until all are used.
/// Any prefix of the result is as balanced across strata as the strata's sizes allow.
pub(crate) fn balanced_order<T>(items: Vec<(String, T)>, rng: &mut SeededRng) -> Vec<T> {
    let mut strata: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for (stratum, item) in items {
        strata.entry(stratum).or_default().push(item);
    }
    let mut lists: Vec<Vec<T>> = strata.into_values().collect();
    for list in &mut lists {
        rng.shuffle(list);
    }
    rng.shuffle(&mut lists);
    interleave(lists)
}

/// Takes one item from each list in turn until every list is used up.
pub(crate) fn interleave<T>(lists: Vec<Vec<T>>) -> Vec<T> {
    let total = lists.iter().map(Vec::len).sum();
    let mut iters: Vec<std::vec::IntoIter<T>> = lists.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for it in &mut iters {
            if let Some(item) = it.next() {
                out.push(item);
            }
        }
    }
    out
}

/// Splits `total` into `parts` shares that differ by at most one; the larger shares go to the
/// parts listed first.
pub(crate) fn shares(total: usize, parts: usize) -> Vec<usize> {
    if parts == 0 {
        return Vec::new();
    }
    (0..parts).map(|i| total / parts + usize::from(i < total % parts)).collect()
}

/// `n` positions out of `0..k` (`k > 0`) with each position used `n / k` or `n / k + 1` times,
/// in a seeded order: the slot of the right answer for `n` questions with `k` options each.
pub(crate) fn balanced_positions(n: usize, k: usize, rng: &mut SeededRng) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..n).map(|i| i % k.max(1)).collect();
    // Which positions get the extra uses when `k` does not divide `n` is seeded too.
    let mut labels: Vec<usize> = (0..k.max(1)).collect();
    rng.shuffle(&mut labels);
    for p in &mut positions {
        *p = labels[*p];
    }
    rng.shuffle(&mut positions);
    positions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_order_alternates_strata_and_is_seeded() {
        let items: Vec<(String, String)> =
            ["a1", "a2", "a3", "a4", "b1", "b2", "c1"].iter().map(|s| (s[..1].to_string(), (*s).to_string())).collect();
        let order = balanced_order(items.clone(), &mut SeededRng::new(1));
        assert_eq!(order.len(), 7);
        let first3: std::collections::BTreeSet<&str> = order[..3].iter().map(|s| &s[..1]).collect();
        assert_eq!(first3.len(), 3, "{order:?}");
        assert_eq!(order, balanced_order(items.clone(), &mut SeededRng::new(1)));
        assert_ne!(order, balanced_order(items, &mut SeededRng::new(2)));
    }

    #[test]
    fn shares_differ_by_at_most_one() {
        assert_eq!(shares(40, 5), [8, 8, 8, 8, 8]);
        assert_eq!(shares(7, 3), [3, 2, 2]);
        assert_eq!(shares(2, 4), [1, 1, 0, 0]);
        assert!(shares(3, 0).is_empty());
    }

    #[test]
    fn balanced_positions_use_every_slot_equally_often() {
        for (n, k) in [(8, 2), (9, 2), (9, 3), (10, 3), (1, 3), (0, 2)] {
            for seed in 0..20 {
                let positions = balanced_positions(n, k, &mut SeededRng::new(seed));
                assert_eq!(positions.len(), n);
                let counts: Vec<usize> = (0..k).map(|p| positions.iter().filter(|&&x| x == p).count()).collect();
                let (min, max) = (counts.iter().min().copied(), counts.iter().max().copied());
                assert!(max.unwrap_or(0) - min.unwrap_or(0) <= 1, "n={n} k={k} seed={seed}: {counts:?}");
            }
        }
        // Seeded: the order differs between seeds.
        let a = balanced_positions(12, 3, &mut SeededRng::new(1));
        assert_ne!(a, balanced_positions(12, 3, &mut SeededRng::new(2)));
        assert_eq!(a, balanced_positions(12, 3, &mut SeededRng::new(1)));
    }
}
