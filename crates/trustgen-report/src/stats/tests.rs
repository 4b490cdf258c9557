//! Statistics checked against published values.

use expect_test::{Expect, expect};
use trustgen_plugin_api::SeededRng;

use super::*;

#[track_caller]
fn check_wilson(successes: usize, n: usize, expect: Expect) {
    let got = wilson(successes, n).map(|i| format!("{:.4}..{:.4}", i.low, i.high));
    expect.assert_eq(&format!("{got:?}"));
}

#[test]
fn wilson_matches_newcombe_1998() {
    // Newcombe, "Two-sided confidence intervals for the single proportion:
    // comparison of seven methods", Stat. Med. 17 (1998) 857-872, Table II,
    // method 3 (score interval without continuity correction).
    check_wilson(81, 263, expect![[r#"Some("0.2553..0.3662")"#]]);
    check_wilson(15, 148, expect![[r#"Some("0.0624..0.1605")"#]]);
    check_wilson(0, 20, expect![[r#"Some("0.0000..0.1611")"#]]);
    check_wilson(1, 29, expect![[r#"Some("0.0061..0.1718")"#]]);
    check_wilson(0, 0, expect![["None"]]);
    check_wilson(3, 2, expect![["None"]]);
}

#[test]
fn the_wilson_bounds_of_none_and_all_are_exactly_zero_and_one() {
    // Computed, the lower bound of 0/7 came out as 2.8e-17, which metrics.json and the reports
    // showed instead of 0.
    for n in 1..2000 {
        let none = wilson(0, n).unwrap();
        assert_eq!(none.low.to_bits(), 0.0f64.to_bits(), "0/{n}: {}", none.low);
        let all = wilson(n, n).unwrap();
        assert_eq!(all.high, 1.0, "{n}/{n}: {}", all.high);
    }
}

#[test]
fn mcnemar_matches_agresti() {
    // Agresti, "An Introduction to Categorical Data Analysis" (2nd ed. 2007),
    // §8.1, Table 8.1: presidential approval in two surveys of the same 1600
    // people; 150 approve then disapprove, 86 disapprove then approve.
    // Agresti reports z = 4.17, so z² = 17.36 (no continuity correction); the
    // corrected p-value is checked against erfc(sqrt(x / 2)), the chi-square(1) tail.
    assert_eq!(format!("{:.2}", mcnemar_chi2(150, 86, false)), "17.36");
    assert_eq!(format!("{:.2}", mcnemar_chi2(150, 86, true)), "16.82");
    let test = mcnemar(150, 86);
    assert_eq!(test.method, McNemarMethod::ChiSquareCorrected);
    expect!["statistic 16.8178 p 4.1146e-5"].assert_eq(&format!(
        "statistic {:.4} p {:.4e}",
        test.statistic.unwrap_or_default(),
        test.p_value
    ));
}

#[test]
fn mcnemar_is_exact_for_few_discordant_pairs() {
    // 1 vs 9 discordant pairs: p = 2 * P(X <= 1), X ~ Bin(10, 1/2) = 2 * 11 / 1024.
    let test = mcnemar(1, 9);
    assert_eq!(test.method, McNemarMethod::ExactBinomial);
    assert!((test.p_value - 22.0 / 1024.0).abs() < 1e-12, "{test:?}");
    // Symmetric, capped at 1, and no discordant pair means no evidence.
    assert_eq!(mcnemar(9, 1).p_value, test.p_value);
    assert_eq!(mcnemar(5, 5).p_value, 1.0);
    assert_eq!(mcnemar(0, 0).p_value, 1.0);
}

#[test]
fn bootstrap_is_seeded_and_stable() {
    let values: Vec<f64> = (0..50).map(|i| f64::from(i % 7) / 6.0).collect();
    let mean = mean(&values).unwrap_or_default();
    let a = bootstrap_mean(&values, BOOTSTRAP_ROUNDS, &mut SeededRng::new(7)).unwrap();
    let b = bootstrap_mean(&values, BOOTSTRAP_ROUNDS, &mut SeededRng::new(7)).unwrap();
    assert_eq!(a, b);
    assert!(a.low < mean && mean < a.high, "{a:?} {mean}");
    // The snapshots pin the draws (multinomial path here, index path below):
    // a change here changes every published interval.
    expect!["mean 0.4900 interval 0.3967..0.5867"]
        .assert_eq(&format!("mean {mean:.4} interval {:.4}..{:.4}", a.low, a.high));
    let continuous: Vec<f64> = (0..100).map(|i| (f64::from(i) * 0.618_034).fract()).collect();
    let c = bootstrap_mean(&continuous, BOOTSTRAP_ROUNDS, &mut SeededRng::new(7)).unwrap();
    expect!["interval 0.4359..0.5505"].assert_eq(&format!("interval {:.4}..{:.4}", c.low, c.high));
    // A different seed gives a slightly different interval.
    let c = bootstrap_mean(&values, BOOTSTRAP_ROUNDS, &mut SeededRng::new(8)).unwrap();
    assert_ne!(a, c);
    assert!(bootstrap_mean(&[], 10, &mut SeededRng::new(1)).is_none());
}

#[test]
fn bootstrap_of_a_proportion_is_close_to_wilson() {
    // 300 of 1000: both intervals are about ±0.028 around 0.3.
    let values: Vec<f64> = (0..1000).map(|i| if i < 300 { 1.0 } else { 0.0 }).collect();
    let boot = bootstrap_mean(&values, BOOTSTRAP_ROUNDS, &mut SeededRng::new(1)).unwrap();
    let score = wilson(300, 1000).unwrap();
    assert!((boot.low - score.low).abs() < 0.005 && (boot.high - score.high).abs() < 0.005, "{boot:?} {score:?}");
}

#[test]
fn quantiles_interpolate_like_r_type_7() {
    // R: quantile(1:11, c(.025, .975)) gives 1.25 and 10.75.
    let mut values: Vec<f64> = (1..=11).rev().map(f64::from).collect();
    let got = percentile_interval(&mut values).unwrap();
    assert_eq!((got.low, got.high), (1.25, 10.75));
}

#[test]
fn permutation_test_approximates_the_exact_p_value() {
    // Five equal positive differences: of the 32 sign patterns only all-plus
    // and all-minus are as extreme, so the exact p-value is 2/32 = 0.0625.
    let test = paired_permutation(&[0.5; 5], PERMUTATION_ROUNDS, &mut SeededRng::new(3));
    assert!((test.p_value - 0.0625).abs() < 0.01, "{test:?}");
    assert_eq!(test.mean_difference, 0.5);
    // No difference at all: nothing to test.
    assert_eq!(paired_permutation(&[0.0; 4], 100, &mut SeededRng::new(3)).p_value, 1.0);
    // A large consistent shift is significant; the p-value cannot be below 1/(rounds + 1).
    let shifted: Vec<f64> = (0..200).map(|i| 0.2 + f64::from(i % 5) / 100.0).collect();
    let strong = paired_permutation(&shifted, 999, &mut SeededRng::new(3));
    assert_eq!(strong.p_value, 1.0 / 1000.0);
}

#[track_caller]
fn check_adjust(p: &[f64], expect: Expect) {
    let fmt = |v: Vec<f64>| v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(" ");
    expect.assert_eq(&format!("holm {} | bh {}", fmt(holm(p)), fmt(benjamini_hochberg(p))));
}

#[test]
fn multiple_comparison_corrections() {
    // Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04,
    // made monotone: 0.02, 0.03, 0.06, 0.06. BH: times 4/1, 4/2, 4/3, 4/4 = 0.02,
    // 0.02, 0.04, 0.04, made monotone from the top: 0.02, 0.02, 0.04, 0.04.
    check_adjust(&[0.01, 0.04, 0.03, 0.005], expect![["holm 0.030 0.060 0.060 0.020 | bh 0.020 0.040 0.040 0.020"]]);
    check_adjust(&[0.5, 0.9], expect![["holm 1.000 1.000 | bh 0.900 0.900"]]);
    check_adjust(&[], expect![["holm  | bh "]]);
}

#[track_caller]
fn check_binomial(n: u64, p: f64, draws: usize) {
    // Chi-square goodness of fit of the sampler against the exact pmf, over
    // the outcomes with expected count >= 5 (the rest pooled).
    let mut rng = SeededRng::new(11);
    let mut counts = vec![0usize; n as usize + 1];
    for _ in 0..draws {
        counts[binomial(n, p, &mut rng) as usize] += 1;
    }
    let dist = statrs::distribution::Binomial::new(p, n).unwrap();
    let (mut chi2, mut cells, mut pooled_obs, mut pooled_exp) = (0.0, 0, 0.0, 0.0);
    for (k, observed) in counts.iter().enumerate() {
        let expected = draws as f64 * statrs::distribution::Discrete::pmf(&dist, k as u64);
        if expected >= 5.0 {
            chi2 += (*observed as f64 - expected).powi(2) / expected;
            cells += 1;
        } else {
            pooled_obs += *observed as f64;
            pooled_exp += expected;
        }
    }
    if pooled_exp >= 5.0 {
        chi2 += (pooled_obs - pooled_exp).powi(2) / pooled_exp;
        cells += 1;
    }
    // The 99.9% quantile of chi-square with `cells - 1` degrees of freedom.
    let critical = ChiSquared::new((cells - 1) as f64).unwrap().inverse_cdf(0.999);
    assert!(chi2 < critical, "Bin({n}, {p}): chi2 {chi2:.1} >= {critical:.1} over {cells} cells");
}

#[test]
fn binomial_sampler_has_the_binomial_distribution() {
    check_binomial(10, 0.3, 100_000);
    check_binomial(1, 0.5, 20_000);
    check_binomial(40, 0.97, 50_000);
    check_binomial(2000, 0.5, 50_000);
    check_binomial(100_000, 0.01, 20_000);
    let mut rng = SeededRng::new(1);
    assert_eq!(binomial(0, 0.5, &mut rng), 0);
    assert_eq!(binomial(7, 0.0, &mut rng), 0);
    assert_eq!(binomial(7, 1.0, &mut rng), 7);
}

#[test]
fn discrete_and_index_resampling_agree() {
    // 65 distinct levels take the index path, 64 the multinomial one; both
    // give intervals for the same kind of data within Monte Carlo error.
    let many: Vec<f64> = (0..650).map(|i| f64::from(i % 65) / 64.0).collect();
    let few: Vec<f64> = (0..640).map(|i| f64::from(i % 64) / 63.0).collect();
    let a = bootstrap_mean(&many, BOOTSTRAP_ROUNDS, &mut SeededRng::new(5)).unwrap();
    let b = bootstrap_mean(&few, BOOTSTRAP_ROUNDS, &mut SeededRng::new(5)).unwrap();
    // Both means are 0.5 with standard error about 0.0115, so the interval is about ±0.0226.
    for i in [a, b] {
        assert!((i.high - i.low - 0.045).abs() < 0.005 && ((i.low + i.high) / 2.0 - 0.5).abs() < 0.003, "{i:?}");
    }
    // The multinomial path ignores the order of the values.
    let mut shuffled = few.clone();
    SeededRng::new(9).shuffle(&mut shuffled);
    assert_eq!(
        bootstrap_mean(&shuffled, 500, &mut SeededRng::new(5)),
        bootstrap_mean(&few, 500, &mut SeededRng::new(5))
    );
}

#[test]
fn permutation_paths_agree() {
    // Continuous differences (index path) and quarter-step ones (level path):
    // both detect a shift of 0.1 over 400 pairs and find none in symmetric noise.
    let continuous: Vec<f64> = (0..400).map(|i| 0.1 + (f64::from(i) * 0.618).fract() - 0.5).collect();
    let stepped: Vec<f64> = (0..400).map(|i| [-0.25, 0.0, 0.25, 0.5][i % 4]).collect();
    let mut rng = SeededRng::new(4);
    assert!(paired_permutation(&continuous, 2000, &mut rng).p_value < 0.001);
    assert!(paired_permutation(&stepped, 2000, &mut rng).p_value < 0.001);
    let noise: Vec<f64> = (0..400).map(|i| [-0.25, 0.25][i % 2]).collect();
    assert!(paired_permutation(&noise, 2000, &mut rng).p_value > 0.5);
}

#[test]
fn wilson_at_a_mean_matches_wilson_at_counts_and_is_never_a_point() {
    for (k, n) in [(0usize, 3usize), (3, 3), (81, 263), (15, 148)] {
        let a = wilson(k, n).unwrap();
        let b = wilson_at(k as f64 / n as f64, n).unwrap();
        assert!((a.low - b.low).abs() < 1e-12 && (a.high - b.high).abs() < 1e-12);
    }
    // Three cases that all scored 0.5: not certainty.
    let i = wilson_at(0.5, 3).unwrap();
    assert!(i.low < 0.25 && i.high > 0.75, "{i:?}");
    assert!(wilson_at(1.5, 3).is_none() && wilson_at(0.5, 0).is_none());
}
