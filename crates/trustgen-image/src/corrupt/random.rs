//! The random draws the corruptions need (uniform, normal, Poisson), all from the caller's
//! [`SeededRng`], so a corruption is a pure function of image, severity and seed.

use trustgen_plugin_api::SeededRng;

/// A source of draws over a [`SeededRng`].
pub(crate) struct Draws<'a> {
    rng: &'a mut SeededRng,
    spare: Option<f64>,
}

impl<'a> Draws<'a> {
    pub(crate) fn new(rng: &'a mut SeededRng) -> Draws<'a> {
        Draws { rng, spare: None }
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        self.rng.next_f64()
    }

    /// Uniform in [`lo`, `hi`).
    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.rng.next_f64()
    }

    /// A uniform integer in [`lo`, `hi`) (NumPy's `randint` convention).
    pub(crate) fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.rng.below((hi - lo).max(1) as usize) as i64
    }

    /// A standard normal draw (Box–Muller, both values used).
    pub(crate) fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = 1.0 - self.rng.next_f64(); // (0, 1]
        let u2 = self.rng.next_f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }

    /// A Poisson draw with mean `lam` (NumPy's algorithms: multiplication below 10, Hörmann's
    /// PTRS transformed rejection from 10 on).
    pub(crate) fn poisson(&mut self, lam: f64) -> f64 {
        if lam <= 0.0 {
            return 0.0;
        }
        if lam < 10.0 {
            let limit = (-lam).exp();
            let (mut k, mut prod) = (0.0, 1.0);
            loop {
                prod *= self.unit();
                if prod > limit {
                    k += 1.0;
                } else {
                    return k;
                }
            }
        }
        let slam = lam.sqrt();
        let loglam = lam.ln();
        let b = 0.931 + 2.53 * slam;
        let a = -0.059 + 0.02483 * b;
        let invalpha = 1.1239 + 1.1328 / (b - 3.4);
        let vr = 0.9277 - 3.6224 / (b - 2.0);
        loop {
            let u = self.unit() - 0.5;
            let v = self.unit();
            let us = 0.5 - u.abs();
            let k = ((2.0 * a / us + b) * u + lam + 0.43).floor();
            if us >= 0.07 && v <= vr {
                return k;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            if v.ln() + invalpha.ln() - (a / (us * us) + b).ln() <= -lam + k * loglam - ln_factorial(k) {
                return k;
            }
        }
    }
}

/// ln(k!) (exact sum below 20, Stirling's series above).
fn ln_factorial(k: f64) -> f64 {
    if k < 20.0 {
        return (2..=k as u64).map(|i| (i as f64).ln()).sum();
    }
    let k2 = k * k;
    k * k.ln() - k + 0.5 * (std::f64::consts::TAU * k).ln() + 1.0 / (12.0 * k) - 1.0 / (360.0 * k2 * k)
        + 1.0 / (1260.0 * k2 * k2 * k)
}
