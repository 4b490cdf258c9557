//! Small statistics used to measure the judges: ROC AUC, seeded stratified k-fold splits, and
//! the Wilson score interval of a proportion (which `trustgen-report` re-exports for its metrics).

use trustgen_plugin_api::SeededRng;

/// The 97.5% quantile of the standard normal distribution (a two-sided 95% interval).
pub const Z95: f64 = 1.959_963_984_540_054;

/// A two-sided 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// The Wilson score interval (z = [`Z95`], no continuity correction) of
/// `successes` out of `n`; `None` when `n` is 0 or `successes > n`.
pub fn wilson(successes: usize, n: usize) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    wilson_at(successes as f64 / n as f64, n)
}

/// The Wilson score interval around an observed mean `p` in [0, 1] of `n`
/// values. For values bounded in [0, 1] the variance is at most p·(1 − p),
/// so this is a conservative interval for their mean; the metrics use it
/// where a bootstrap would collapse to a point (every value the same).
pub fn wilson_at(p: f64, n: usize) -> Option<Interval> {
    if n == 0 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let n = n as f64;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At p = 0 the lower bound is exactly 0 (and at p = 1 the upper bound exactly 1); computed,
    // it comes out as a rounding error such as 2.8e-17 (n = 7), which reports would show.
    let low = if p == 0.0 { 0.0 } else { (center - half).max(0.0) };
    let high = if p == 1.0 { 1.0 } else { (center + half).min(1.0) };
    Some(Interval { low, high })
}

/// Area under the ROC curve of `scores` for the positives `labels`, by the Mann-Whitney
/// statistic with average ranks for ties (a tie between a positive and a negative counts a
/// half). `None` when there is no positive or no negative, or a score is NaN.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += average_rank * order[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    let p = positives as f64;
    let u = rank_sum - p * (p + 1.0) / 2.0;
    Some(u / (p * negatives as f64))
}

/// Splits `labels.len()` rows into `k` folds, stratified by label: each class is shuffled
/// with a generator derived from `seed` and dealt round-robin, so every fold gets about the
/// same share of each class. Returns the fold number of each row (`0..k`; `k` is at least 1).
pub fn stratified_folds(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let k = k.max(1);
    let mut fold_of = vec![0; labels.len()];
    let mut next = 0;
    for class in [true, false] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        SeededRng::derive(seed, if class { "folds/positive" } else { "folds/negative" }).shuffle(&mut rows);
        for row in rows {
            fold_of[row] = next % k;
            next += 1;
        }
    }
    fold_of
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[test]
    fn auc() {
        #[track_caller]
        fn check(scores: &[f64], labels: &[bool], expect: expect_test::Expect) {
            expect.assert_eq(&format!("{:?}", roc_auc(scores, labels)));
        }
        check(&[0.9, 0.8, 0.1, 0.2], &[true, true, false, false], expect![[r#"Some(1.0)"#]]);
        check(&[0.1, 0.2, 0.9, 0.8], &[true, true, false, false], expect![[r#"Some(0.0)"#]]);
        check(&[0.5, 0.5, 0.5, 0.5], &[true, false, true, false], expect![[r#"Some(0.5)"#]]);
        // One of the four positive-negative pairs is misordered, one is tied.
        check(&[0.9, 0.4, 0.4, 0.1], &[true, true, false, false], expect![[r#"Some(0.875)"#]]);
        check(&[0.3, 0.7, 0.5], &[false, true, false], expect![[r#"Some(1.0)"#]]);
        check(&[0.3, 0.7], &[true, true], expect![[r#"None"#]]);
        check(&[f64::NAN, 0.7], &[true, false], expect![[r#"None"#]]);
        check(&[0.3], &[true, false], expect![[r#"None"#]]);
    }

    #[test]
    fn folds_are_stratified_and_seeded() {
        let labels: Vec<bool> = (0..23).map(|i| i % 3 == 0).collect();
        let folds = stratified_folds(&labels, 5, 7);
        let sizes: Vec<(usize, usize)> = (0..5)
            .map(|f| {
                let rows = (0..labels.len()).filter(|&i| folds[i] == f);
                let (pos, neg): (Vec<usize>, Vec<usize>) = rows.partition(|&i| labels[i]);
                (pos.len(), neg.len())
            })
            .collect();
        expect!["[(2, 3), (2, 3), (2, 3), (1, 3), (1, 3)]"].assert_eq(&format!("{sizes:?}"));
        assert_eq!(folds, stratified_folds(&labels, 5, 7));
        assert_ne!(folds, stratified_folds(&labels, 5, 8));
    }
}
