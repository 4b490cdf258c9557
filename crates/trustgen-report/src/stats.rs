//! Interval estimates and significance tests.
//!
//! - [`wilson`]: the Wilson score interval of a proportion (no continuity
//!   correction), as recommended by Newcombe (1998) and Brown, Cai and
//!   DasGupta (2001) over the Wald interval.
//! - [`bootstrap_mean`]: the percentile bootstrap interval of a mean, with
//!   every draw taken from a [`SeededRng`], so the same values and seed give
//!   the same interval in every trustgen release.
//! - [`mcnemar`]: McNemar's test of paired 0/1 outcomes; exact binomial when
//!   there are fewer than [`MCNEMAR_EXACT_BELOW`] discordant pairs, else the
//!   chi-square statistic with Edwards' continuity correction.
//! - [`paired_permutation`]: a seeded sign-flip permutation test of the mean
//!   of paired differences.
//! - [`holm`] and [`benjamini_hochberg`]: corrections for many comparisons.
//! - [`cohen_kappa`]: agreement of two raters beyond chance (a judge against another).

use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, DiscreteCDF};
pub use trustgen_judges::stats::{Interval, Z95, wilson, wilson_at};
use trustgen_plugin_api::SeededRng;

/// Bootstrap resamples drawn by default.
pub const BOOTSTRAP_ROUNDS: usize = 2000;

/// Random sign flips drawn by default in a paired permutation test.
pub const PERMUTATION_ROUNDS: usize = 9999;

/// McNemar's test is exact (binomial) below this many discordant pairs and a
/// continuity-corrected chi-square test from it on (the usual rule of thumb,
/// e.g. in Fagerland, Lydersen and Laake 2013).
pub const MCNEMAR_EXACT_BELOW: u64 = 25;

/// Cohen's kappa of two raters' binary decisions from their 2×2 table: `both` cases both
/// called positive, `only_a` and `only_b` cases only one did, `neither` cases neither did.
/// `None` without cases or when chance agreement is 1 (both raters gave one and the same label
/// throughout), where kappa is undefined.
pub fn cohen_kappa(both: usize, only_a: usize, only_b: usize, neither: usize) -> Option<f64> {
    let n = (both + only_a + only_b + neither) as f64;
    if n == 0.0 {
        return None;
    }
    let observed = (both + neither) as f64 / n;
    let (a, b) = ((both + only_a) as f64 / n, (both + only_b) as f64 / n);
    let chance = a * b + (1.0 - a) * (1.0 - b);
    (chance < 1.0 - 1e-12).then(|| (observed - chance) / (1.0 - chance))
}

/// Draws uniform indices below a bound from a [`SeededRng`], two per 64-bit
/// draw, with Lemire's multiply-shift method and its rejection step (so every
/// index is exactly equally likely; "Fast Random Integer Generation in an
/// Interval", ACM TOMACS 2019).
struct IndexDraw<'a> {
    rng: &'a mut SeededRng,
    spare: Option<u32>,
}

impl<'a> IndexDraw<'a> {
    fn new(rng: &'a mut SeededRng) -> Self {
        IndexDraw { rng, spare: None }
    }

    fn next_u32(&mut self) -> u32 {
        if let Some(x) = self.spare.take() {
            return x;
        }
        let x = self.rng.next_u64();
        self.spare = Some((x >> 32) as u32);
        x as u32
    }

    /// A uniform index in `0..n` (`0 < n <= u32::MAX`); `threshold` is
    /// `n.wrapping_neg() % n`.
    fn below(&mut self, n: u32, threshold: u32) -> usize {
        loop {
            let m = u64::from(self.next_u32()) * u64::from(n);
            if (m as u32) >= threshold {
                return (m >> 32) as usize;
            }
        }
    }
}

/// Values with at most this many distinct levels are resampled through
/// multinomial counts (see [`bootstrap_replicates`]).
pub const DISCRETE_LEVELS: usize = 64;

/// A draw from Binomial(`n`, `p`), exact up to floating point: the outcomes
/// are enumerated from the mode outwards (mode, mode + 1, mode − 1, ...) with
/// their probabilities (from the mode's, by the ratio recurrence) until the
/// running total passes one uniform draw. This is inversion in a fixed order,
/// so it is exact, and it takes O(√(np(1−p))) steps.
pub fn binomial(n: u64, p: f64, rng: &mut SeededRng) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let q = 1.0 - p;
    let mode = (((n + 1) as f64) * p).floor().min(n as f64) as u64;
    let ln_mode = statrs::function::factorial::ln_binomial(n, mode) + mode as f64 * p.ln() + (n - mode) as f64 * q.ln();
    let pmf_mode = ln_mode.exp();
    let u = rng.next_f64();
    let mut total = pmf_mode;
    if u < total {
        return mode;
    }
    let (ratio_up, ratio_down) = (p / q, q / p);
    let (mut up, mut up_pmf) = (mode, pmf_mode);
    let (mut down, mut down_pmf) = (mode, pmf_mode);
    loop {
        let can_up = up < n && up_pmf > 0.0;
        let can_down = down > 0 && down_pmf > 0.0;
        if !can_up && !can_down {
            // Only rounding error is left (the probabilities summed to just under u).
            return mode;
        }
        if can_up {
            up_pmf *= (n - up) as f64 / (up + 1) as f64 * ratio_up;
            up += 1;
            total += up_pmf;
            if u < total {
                return up;
            }
        }
        if can_down {
            down_pmf *= down as f64 / (n - down + 1) as f64 * ratio_down;
            down -= 1;
            total += down_pmf;
            if u < total {
                return down;
            }
        }
    }
}

/// Distinct values and how often each occurs, in increasing order, or
/// `None` when there are more than `max` levels.
fn levels(values: &[f64], max: usize) -> Option<Vec<(f64, u64)>> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut out: Vec<(f64, u64)> = Vec::new();
    for v in sorted {
        match out.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => {
                if out.len() == max {
                    return None;
                }
                out.push((v, 1));
            }
        }
    }
    Some(out)
}

/// The means of `rounds` bootstrap resamples of `values` (each resample draws
/// `values.len()` values with replacement). Empty when `values` is empty.
///
/// When the values have at most [`DISCRETE_LEVELS`] distinct levels (every
/// proportion, most judge scales), a resample's mean depends only on how
/// often it drew each level, a multinomial count; it is drawn exactly as a
/// chain of binomials (level j gets Bin(remaining draws, c_j / remaining
/// count)), which costs O(levels · √n) per resample instead of O(n). The
/// result is then also independent of the order of `values`. Otherwise each
/// resample draws `n` uniform indices.
pub fn bootstrap_replicates(values: &[f64], rounds: usize, rng: &mut SeededRng) -> Vec<f64> {
    let n = values.len();
    if n == 0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(rounds);
    if let Some(levels) = levels(values, DISCRETE_LEVELS) {
        for _ in 0..rounds {
            let (mut draws_left, mut count_left) = (n as u64, n as u64);
            let mut sum = 0.0;
            for (i, (value, count)) in levels.iter().enumerate() {
                let drawn = if i + 1 == levels.len() {
                    draws_left
                } else {
                    binomial(draws_left, *count as f64 / count_left as f64, rng)
                };
                sum += value * drawn as f64;
                draws_left -= drawn;
                count_left -= count;
            }
            out.push(sum / n as f64);
        }
    } else if let Ok(n32) = u32::try_from(n) {
        let threshold = n32.wrapping_neg() % n32;
        let mut draw = IndexDraw::new(rng);
        for _ in 0..rounds {
            let mut sum = 0.0;
            for _ in 0..n {
                sum += values[draw.below(n32, threshold)];
            }
            out.push(sum / n as f64);
        }
    } else {
        for _ in 0..rounds {
            let sum: f64 = (0..n).map(|_| values[rng.below(n)]).sum();
            out.push(sum / n as f64);
        }
    }
    out
}

/// The 2.5% and 97.5% quantiles of `replicates` (sorted in place), linearly
/// interpolated between order statistics (Hyndman and Fan's type 7, the
/// default of R and NumPy). `None` when empty.
pub fn percentile_interval(replicates: &mut [f64]) -> Option<Interval> {
    if replicates.is_empty() {
        return None;
    }
    replicates.sort_by(f64::total_cmp);
    Some(Interval { low: quantile_sorted(replicates, 0.025), high: quantile_sorted(replicates, 0.975) })
}

fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The percentile bootstrap 95% interval of the mean of `values`, from
/// `rounds` resamples drawn from `rng`. `None` when `values` is empty.
pub fn bootstrap_mean(values: &[f64], rounds: usize, rng: &mut SeededRng) -> Option<Interval> {
    percentile_interval(&mut bootstrap_replicates(values, rounds, rng))
}

/// The plain mean; `None` when empty.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() { None } else { Some(values.iter().sum::<f64>() / values.len() as f64) }
}

/// How a McNemar p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McNemarMethod {
    /// Two-sided exact binomial test of the discordant pairs (b ~ Bin(b + c, 1/2)).
    ExactBinomial,
    /// Chi-square with one degree of freedom, with continuity correction:
    /// (|b − c| − 1)² / (b + c).
    ChiSquareCorrected,
}

/// The result of McNemar's test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McNemar {
    /// Pairs where only the first run scored 1.
    pub b: u64,
    /// Pairs where only the second run scored 1.
    pub c: u64,
    /// The chi-square statistic (corrected), when that method was used.
    pub statistic: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// How `p_value` was computed.
    pub method: McNemarMethod,
}

/// McNemar's chi-square statistic for discordant counts `b` and `c`, with or
/// without the continuity correction; 0 when `b + c` is 0.
pub fn mcnemar_chi2(b: u64, c: u64, continuity: bool) -> f64 {
    let total = (b + c) as f64;
    if total == 0.0 {
        return 0.0;
    }
    let diff = (b as f64 - c as f64).abs();
    let diff = if continuity { (diff - 1.0).max(0.0) } else { diff };
    diff * diff / total
}

/// McNemar's test of `b` (first run 1, second 0) against `c` (first 0,
/// second 1): exact binomial below [`MCNEMAR_EXACT_BELOW`] discordant pairs,
/// continuity-corrected chi-square otherwise.
pub fn mcnemar(b: u64, c: u64) -> McNemar {
    let total = b + c;
    if total == 0 {
        return McNemar { b, c, statistic: None, p_value: 1.0, method: McNemarMethod::ExactBinomial };
    }
    if total < MCNEMAR_EXACT_BELOW {
        // Binomial::new only fails for p outside [0, 1].
        let p = match Binomial::new(0.5, total) {
            Ok(binomial) => (2.0 * binomial.cdf(b.min(c))).min(1.0),
            Err(_) => 1.0,
        };
        return McNemar { b, c, statistic: None, p_value: p, method: McNemarMethod::ExactBinomial };
    }
    let statistic = mcnemar_chi2(b, c, true);
    let p = match ChiSquared::new(1.0) {
        Ok(chi2) => chi2.sf(statistic),
        Err(_) => 1.0,
    };
    McNemar { b, c, statistic: Some(statistic), p_value: p, method: McNemarMethod::ChiSquareCorrected }
}

/// The result of a paired permutation test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Permutation {
    /// Mean of the paired differences (first minus second).
    pub mean_difference: f64,
    /// Two-sided p-value, (1 + extreme) / (1 + rounds).
    pub p_value: f64,
    /// Random sign-flip rounds drawn.
    pub rounds: usize,
}

/// A two-sided paired permutation (sign-flip) test of the mean of the
/// differences `diffs`: under the null hypothesis each difference is as
/// likely to have the opposite sign. The p-value counts resamples whose
/// absolute mean is at least the observed one, plus one (so it is never 0).
///
/// The sign-flipped sum only depends on how many differences of each
/// absolute size are flipped; with at most [`DISCRETE_LEVELS`] sizes that
/// count is drawn as a Bin(m, 1/2) per size, so a round costs O(levels · √n)
/// instead of O(n).
pub fn paired_permutation(diffs: &[f64], rounds: usize, rng: &mut SeededRng) -> Permutation {
    let Some(observed) = mean(diffs) else {
        return Permutation { mean_difference: 0.0, p_value: 1.0, rounds: 0 };
    };
    // Zero differences do not change under a sign flip.
    let nonzero: Vec<f64> = diffs.iter().copied().filter(|d| *d != 0.0).collect();
    if nonzero.is_empty() {
        return Permutation { mean_difference: observed, p_value: 1.0, rounds: 0 };
    }
    let total: f64 = nonzero.iter().sum();
    let target = total.abs() * (1.0 - 1e-12);
    let mut extreme = 0usize;
    let sizes: Vec<f64> = nonzero.iter().map(|d| d.abs()).collect();
    if let Some(levels) = levels(&sizes, DISCRETE_LEVELS) {
        // Σ s_i |d_i| over random signs: for each size a, (2 B − m) a with B ~ Bin(m, 1/2).
        for _ in 0..rounds {
            let sum: f64 = levels.iter().map(|(a, m)| a * (2.0 * binomial(*m, 0.5, rng) as f64 - *m as f64)).sum();
            if sum.abs() >= target {
                extreme += 1;
            }
        }
    } else {
        for _ in 0..rounds {
            // Flipping the signs of a subset S changes the sum to total - 2 * sum(S).
            let mut flipped = 0.0;
            for chunk in nonzero.chunks(64) {
                let bits = rng.next_u64();
                for (i, d) in chunk.iter().enumerate() {
                    if bits >> i & 1 == 1 {
                        flipped += d;
                    }
                }
            }
            if (total - 2.0 * flipped).abs() >= target {
                extreme += 1;
            }
        }
    }
    Permutation { mean_difference: observed, p_value: (1 + extreme) as f64 / (1 + rounds) as f64, rounds }
}

/// Holm–Bonferroni adjusted p-values, in the order given: the i-th smallest
/// p-value is multiplied by (m − i + 1), made monotone and capped at 1.
/// Rejecting where the adjusted value is at most α controls the
/// family-wise error rate at α.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let value = ((m - rank) as f64 * p_values[i]).min(1.0);
        running = running.max(value);
        adjusted[i] = running;
    }
    adjusted
}

/// Benjamini–Hochberg adjusted p-values (false discovery rate), in the order
/// given: the i-th smallest p-value times m / i, made monotone from the
/// largest down and capped at 1.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        let value = (p_values[i] * m as f64 / (rank + 1) as f64).min(1.0);
        running = running.min(value);
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests;
