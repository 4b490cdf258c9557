//! Reading the rows the engine loaded (bundled data sets and seed metadata), the plugin's
//! options, and seeded balanced sampling.
//!
//! The plugin never reads files: the engine loads every [`DataSource`](trustgen_plugin_api::DataSource)
//! the manifest declares and passes the rows in `BuildInput::data`. A row that lacks a field is
//! dropped with a [`Skipped`] entry naming the file, the row and the field; a source that was not
//! loaded at all stops the build with an error naming the file.

use trustgen_plugin_api::{BuildInput, SeededRng, Step};
/// The row readers and balanced orders are the kit's; the tasks use them through this module.
pub(crate) use trustgen_plugin_kit::rows::{fields, row_id, row_name, texts};
pub(crate) use trustgen_plugin_kit::sample::{balanced_order, interleave};

use crate::PLUGIN;

/// Source names (keys of `BuildInput::data`) and their paths under `suites/data`.
pub(crate) mod sources {
    use trustgen_plugin_kit::Source;

    pub(crate) const CROWS: Source = Source::new("crows_pairs", "fairness/crows_pairs.jsonl");
    pub(crate) const BBQ: Source = Source::new("bbq", "fairness/bbq.jsonl");
    pub(crate) const STEREOSET: Source = Source::new("stereoset", "fairness/stereoset.jsonl");
    pub(crate) const WINOBIAS: Source = Source::new("winobias", "fairness/winobias.jsonl");
    pub(crate) const DISPARAGEMENT_TARGETS: Source =
        Source::new("disparagement_targets", "fairness/metadata/disparagement_targets.jsonl");
    pub(crate) const DISPARAGEMENT_SEEDS: Source =
        Source::new("disparagement_seeds", "fairness/metadata/disparagement_seeds.jsonl");
    pub(crate) const PREFERENCE_PAIRS: Source =
        Source::new("preference_pairs", "fairness/metadata/preference_pairs.jsonl");
    pub(crate) const PREFERENCE_TEMPLATES: Source =
        Source::new("preference_templates", "fairness/metadata/preference_templates.jsonl");
}

/// The number of cases to build: the suite's limit, else the task default.
pub(crate) fn limit(input: &BuildInput, default: usize) -> usize {
    input.limit.unwrap_or(default)
}

/// Whether the generator paths are on: the `dynamic` option (default true) and a generator.
pub(crate) fn use_generator(input: &BuildInput) -> Step<bool> {
    Ok(PLUGIN.bool_option(&input.options, "dynamic", true)? && input.context.has_generator())
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
