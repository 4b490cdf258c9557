//! Small statistics used to measure the judges: ROC AUC and seeded stratified k-fold splits.

use trustgen_plugin_api::SeededRng;

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
