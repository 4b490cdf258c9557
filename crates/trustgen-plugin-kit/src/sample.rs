//! Seeded, balanced orders: strata (topics, categories, labels) take turns, so that any prefix of
//! the order (the first `limit` cases) is as balanced across strata as their sizes allow.
//!
//! The randomness comes only from the [`SeededRng`] the caller derives from the run seed and a
//! label, so the same seed gives the same order.

use std::collections::BTreeMap;

use trustgen_plugin_api::SeededRng;

/// Orders `items` (each with its stratum) so that strata take turns: each stratum's items are
/// shuffled, the strata are visited in a shuffled order, and one item is taken from each in
/// turn until all are used.
pub fn balanced_order<T>(items: Vec<(String, T)>, rng: &mut SeededRng) -> Vec<T> {
    balanced_rounds(items.into_iter().map(|(stratum, item)| (stratum, 0, item)).collect(), rng)
}

/// Like [`balanced_order`], with each item in a round of its stratum: within a stratum every
/// item of round 0 comes before any of round 1 (shuffled within the round), so e.g. every
/// aspect of a person is asked once before one is asked twice. With every item in round 0 it
/// is exactly [`balanced_order`].
pub fn balanced_rounds<T>(items: Vec<(String, usize, T)>, rng: &mut SeededRng) -> Vec<T> {
    let mut strata: BTreeMap<String, BTreeMap<usize, Vec<T>>> = BTreeMap::new();
    for (stratum, round, item) in items {
        strata.entry(stratum).or_default().entry(round).or_default().push(item);
    }
    let mut lists: Vec<Vec<T>> = strata
        .into_values()
        .map(|rounds| {
            rounds
                .into_values()
                .flat_map(|mut round| {
                    rng.shuffle(&mut round);
                    round
                })
                .collect()
        })
        .collect();
    rng.shuffle(&mut lists);
    interleave(lists)
}

/// Takes one item from each list in turn until every list is used up.
pub fn interleave<T>(lists: Vec<Vec<T>>) -> Vec<T> {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn items(names: &[&str]) -> Vec<(String, String)> {
        names.iter().map(|s| (s[..1].to_string(), (*s).to_string())).collect()
    }

    #[test]
    fn balanced_order_alternates_strata_and_is_seeded() {
        let items = items(&["a1", "a2", "a3", "a4", "b1", "b2", "c1"]);
        let order = balanced_order(items.clone(), &mut SeededRng::new(1));
        assert_eq!(order.len(), 7);
        let first3: BTreeSet<&str> = order[..3].iter().map(|s| &s[..1]).collect();
        assert_eq!(first3.len(), 3, "{order:?}");
        assert_eq!(order, balanced_order(items.clone(), &mut SeededRng::new(1)));
        assert_ne!(order, balanced_order(items, &mut SeededRng::new(2)));
    }

    #[test]
    fn balanced_rounds_use_round_0_first_and_equal_balanced_order_with_one_round() {
        // Stratum = first letter, round = last digit.
        let items: Vec<(String, usize, String)> = ["a0", "a1", "b0", "a0", "b1", "c0", "c0"]
            .iter()
            .enumerate()
            .map(|(i, s)| (s[..1].to_string(), usize::from(s.as_bytes()[1] - b'0'), format!("{s}#{i}")))
            .collect();
        let order = balanced_rounds(items.clone(), &mut SeededRng::new(1));
        let first3: BTreeSet<&str> = order[..3].iter().map(|s| &s[..1]).collect();
        assert_eq!(first3.len(), 3, "{order:?}");
        let a_rounds: Vec<&str> = order.iter().filter(|s| s.starts_with('a')).map(|s| &s[1..2]).collect();
        assert_eq!(a_rounds, ["0", "0", "1"], "round 0 before round 1: {order:?}");
        assert_eq!(order, balanced_rounds(items.clone(), &mut SeededRng::new(1)));
        assert_ne!(order, balanced_rounds(items, &mut SeededRng::new(5)));

        let flat = self::items(&["a1", "a2", "b1", "c1", "c2", "c3"]);
        let rounds: Vec<(String, usize, String)> = flat.iter().map(|(s, t)| (s.clone(), 0, t.clone())).collect();
        assert_eq!(balanced_order(flat, &mut SeededRng::new(9)), balanced_rounds(rounds, &mut SeededRng::new(9)));
    }

    #[test]
    fn interleave_takes_turns_until_every_list_is_used() {
        assert_eq!(interleave(vec![vec![1, 2, 3], vec![], vec![10, 20]]), [1, 10, 2, 20, 3]);
        assert!(interleave(Vec::<Vec<u8>>::new()).is_empty());
    }
}
