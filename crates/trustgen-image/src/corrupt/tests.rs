//! Tests of the ImageNet-C corruptions: determinism under the seed, severity tables, and the
//! numeric building blocks against properties the published code has.

use expect_test::expect;
use image::{Rgb, RgbImage};
use trustgen_plugin_api::SeededRng;

use super::ops::{self, Border, Buf};
use super::random::Draws;
use super::*;

/// A 48×40 test picture (not square, to catch swapped axes): gradients, a dark square, a bright
/// bar, so blurs, noise and colour changes all show.
fn picture() -> RgbImage {
    RgbImage::from_fn(48, 40, |x, y| {
        if (12..24).contains(&x) && (10..22).contains(&y) {
            Rgb([30, 40, 160])
        } else if (30..34).contains(&x) {
            Rgb([240, 230, 40])
        } else {
            Rgb([(x * 5) as u8 + 10, (y * 5) as u8 + 20, 128])
        }
    })
}

/// Mean absolute difference per value, in grey levels.
fn mad(a: &RgbImage, b: &RgbImage) -> f64 {
    let total: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    total as f64 / a.as_raw().len() as f64
}

/// Applies `corruption` at every severity to the test picture with seed 7, twice; checks the
/// size is kept and the same seed gives the same bytes; returns the mean change per severity.
fn check(corruption: Corruption) -> String {
    let image = picture();
    let mut row = format!("{:<18}", corruption.name());
    for severity in 1..=5 {
        let once = corrupt(&image, corruption, severity, &mut SeededRng::new(7)).unwrap();
        let twice = corrupt(&image, corruption, severity, &mut SeededRng::new(7)).unwrap();
        assert_eq!(once.dimensions(), image.dimensions(), "{} severity {severity}", corruption.name());
        assert_eq!(once, twice, "{} severity {severity} is not deterministic", corruption.name());
        row += &format!(" {:>6.1}", mad(&image, &once));
    }
    row.trim_end().to_string()
}

#[test]
fn every_corruption_is_deterministic_and_changes_the_image_by_severity() {
    let table: Vec<String> = Corruption::ALL.iter().map(|&c| check(c)).collect();
    expect![[r#"
        gaussian_noise       15.9   23.3   33.8   46.2   61.3
        shot_noise           17.4   26.2   36.8   53.7   68.2
        impulse_noise         3.9    7.3   11.2   20.8   35.0
        defocus_blur          6.7    8.8   12.4   14.6   16.4
        glass_blur            8.3    8.6   12.1   12.5   13.2
        motion_blur          11.8   17.2   22.7   27.4   30.7
        zoom_blur             5.2    6.8    8.1    9.2    9.9
        snow                 44.1   75.4   72.5   87.2  100.2
        frost                29.5   23.3   23.6   22.6   24.4
        fog                  34.1   37.8   42.2   44.7   47.0
        brightness           16.2   30.2   40.7   48.5   53.2
        contrast             28.8   33.8   38.5   43.4   45.7
        elastic_transform    54.0   68.9   21.7   21.6   22.1
        pixelate              3.1    1.4    4.5    6.1   11.3
        jpeg_compression      6.6    7.9    9.4   11.2   13.1
        speckle_noise        14.3   18.7   31.4   39.2   49.2
        gaussian_blur         3.8    7.9   10.8   12.7   15.0
        spatter               2.5    7.1    7.5   11.3   16.5
        saturate             37.2   47.9   26.7   34.6   35.2
    "#]]
    .assert_eq(&(table.join("\n") + "\n"));
}

#[test]
fn noise_corruptions_differ_between_seeds() {
    let image = picture();
    for corruption in [
        Corruption::GaussianNoise,
        Corruption::ShotNoise,
        Corruption::ImpulseNoise,
        Corruption::SpeckleNoise,
        Corruption::GlassBlur,
        Corruption::Snow,
        Corruption::Fog,
        Corruption::Frost,
        Corruption::Spatter,
        Corruption::ElasticTransform,
        Corruption::MotionBlur,
    ] {
        let a = corrupt(&image, corruption, 3, &mut SeededRng::new(1)).unwrap();
        let b = corrupt(&image, corruption, 3, &mut SeededRng::new(2)).unwrap();
        assert_ne!(a, b, "{} ignores the seed", corruption.name());
    }
    // The deterministic ones do not depend on it.
    for corruption in
        [Corruption::GaussianBlur, Corruption::Contrast, Corruption::Pixelate, Corruption::JpegCompression]
    {
        let a = corrupt(&image, corruption, 3, &mut SeededRng::new(1)).unwrap();
        let b = corrupt(&image, corruption, 3, &mut SeededRng::new(2)).unwrap();
        assert_eq!(a, b, "{}", corruption.name());
    }
}

#[test]
fn bad_arguments_are_errors() {
    let image = picture();
    let err = corrupt(&image, Corruption::Fog, 0, &mut SeededRng::new(1)).unwrap_err().to_string();
    expect!["invalid argument: severity 0 of fog is outside 1..=5"].assert_eq(&err);
    assert!(corrupt(&image, Corruption::Fog, 6, &mut SeededRng::new(1)).is_err());
    let tiny = RgbImage::new(1, 1);
    assert!(corrupt(&tiny, Corruption::GaussianBlur, 1, &mut SeededRng::new(1)).is_err());
    for c in Corruption::ALL {
        assert_eq!(Corruption::from_name(c.name()).unwrap(), c);
    }
    let err = Corruption::from_name("rain").unwrap_err().to_string();
    assert!(err.starts_with("invalid argument: unknown corruption `rain`; known: gaussian_noise, shot_noise"), "{err}");
    let exact = Corruption::ALL.iter().filter(|c| c.fidelity() == Fidelity::Exact).count();
    assert_eq!(exact, 13);
}

#[test]
fn gaussian_noise_has_the_published_spread() {
    let grey = RgbImage::from_pixel(200, 200, Rgb([128, 128, 128]));
    let noisy = corrupt(&grey, Corruption::GaussianNoise, 1, &mut SeededRng::new(3)).unwrap();
    let values: Vec<f64> = noisy.as_raw().iter().map(|&v| f64::from(v) / 255.0).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
    // Truncation to bytes lowers the mean by half a level.
    assert!((mean - 127.5 / 255.0).abs() < 0.004, "{mean}");
    assert!((sd - 0.08).abs() < 0.002, "{sd}");
}

#[test]
fn poisson_draws_have_the_right_mean_and_variance() {
    for lam in [0.5, 4.0, 12.0, 60.0] {
        let mut rng = SeededRng::new(9);
        let mut draws = Draws::new(&mut rng);
        let n = 40_000;
        let xs: Vec<f64> = (0..n).map(|_| draws.poisson(lam)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - lam).abs() < 0.05 * lam.max(1.0), "lam {lam}: mean {mean}");
        assert!((var - lam).abs() < 0.08 * lam.max(1.0), "lam {lam}: var {var}");
    }
}

#[test]
fn impulse_noise_flips_the_published_fraction() {
    let grey = RgbImage::from_pixel(100, 100, Rgb([128, 128, 128]));
    let noisy = corrupt(&grey, Corruption::ImpulseNoise, 5, &mut SeededRng::new(3)).unwrap();
    let raw = noisy.as_raw();
    let salt = raw.iter().filter(|&&v| v == 255).count() as f64 / raw.len() as f64;
    let pepper = raw.iter().filter(|&&v| v == 0).count() as f64 / raw.len() as f64;
    assert!((salt + pepper - 0.27).abs() < 0.01, "{salt} {pepper}");
    assert!((salt - pepper).abs() < 0.02, "{salt} {pepper}");
}

#[test]
fn colour_corruptions_match_the_published_formulas() {
    // Brightness adds c to V: black becomes grey 0.1 * 255 = 25.5, truncated to 25.
    let black = RgbImage::from_pixel(4, 4, Rgb([0, 0, 0]));
    let bright = corrupt(&black, Corruption::Brightness, 1, &mut SeededRng::new(0)).unwrap();
    assert_eq!(bright.get_pixel(0, 0), &Rgb([25, 25, 25]));
    // Contrast keeps the mean and scales deviations by c.
    let two = RgbImage::from_fn(2, 2, |x, _| if x == 0 { Rgb([0, 0, 0]) } else { Rgb([200, 200, 200]) });
    let flat = corrupt(&two, Corruption::Contrast, 1, &mut SeededRng::new(0)).unwrap();
    // mean 100/255; (0 - m) * 0.4 + m = 0.6 m -> 60; (200/255 - m) * 0.4 + m -> 140.
    assert_eq!(flat.get_pixel(0, 0), &Rgb([60, 60, 60]));
    assert_eq!(flat.get_pixel(1, 0), &Rgb([140, 140, 140]));
    // Saturate scales S: a grey pixel has none to scale; a coloured one at 0.1 becomes near-grey.
    let red = RgbImage::from_pixel(2, 2, Rgb([200, 100, 100]));
    let dull = corrupt(&red, Corruption::Saturate, 2, &mut SeededRng::new(0)).unwrap();
    // S 0.5 -> 0.05: V 200 stays, min = 200 * 0.95 = 190.
    assert_eq!(dull.get_pixel(0, 0), &Rgb([200, 190, 190]));
    for (r, g, b) in [(0.2, 0.4, 0.6), (0.9, 0.1, 0.1), (0.5, 0.5, 0.5), (0.3, 0.8, 0.8)] {
        let (h, s, v) = ops::rgb_to_hsv(r, g, b);
        let (r2, g2, b2) = ops::hsv_to_rgb(h, s, v);
        assert!((r - r2).abs() < 1e-5 && (g - g2).abs() < 1e-5 && (b - b2).abs() < 1e-5);
    }
}

#[test]
fn blurs_keep_a_flat_image_flat_and_kernels_sum_to_one() {
    let flat = RgbImage::from_pixel(40, 30, Rgb([90, 120, 200]));
    for c in [
        Corruption::GaussianBlur,
        Corruption::DefocusBlur,
        Corruption::ZoomBlur,
        Corruption::MotionBlur,
        Corruption::Pixelate,
        Corruption::ElasticTransform,
    ] {
        let out = corrupt(&flat, c, 5, &mut SeededRng::new(1)).unwrap();
        // Floating-point sums of 1 may land a hair under the level before truncation.
        assert!(mad(&flat, &out) <= 1.0, "{} changed a flat image by {}", c.name(), mad(&flat, &out));
    }
    // Inside its array the disk kernel sums to 1; at radius 10 it touches the array's edge and
    // OpenCV's reflecting border adds a little, as in the published code.
    let sums: Vec<String> = [(3.0, 0.1), (4.0, 0.5), (8.0, 0.5), (10.0, 0.5)]
        .iter()
        .map(|&(radius, blur)| {
            let (kernel, size) = disk(radius, blur);
            assert_eq!(kernel.len(), size * size);
            format!("{radius}: {size}x{size} sum {:.4}", kernel.iter().sum::<f32>())
        })
        .collect();
    expect![[r#"
        3: 17x17 sum 1.0000
        4: 17x17 sum 1.0000
        8: 17x17 sum 1.0130
        10: 21x21 sum 1.0108"#]]
    .assert_eq(&sums.join("\n"));
    assert_eq!(ops::gaussian_kernel(1.0, 4.0).len(), 9);
    assert_eq!(ops::gaussian_kernel(170.8, 3.0).len(), 1025);
}

#[test]
fn borders_follow_scipy_and_opencv() {
    let n = 4;
    let idx = |b| (-3..7).map(|i| ops::border_index(i, n, b)).collect::<Vec<_>>();
    assert_eq!(idx(Border::Nearest), vec![0, 0, 0, 0, 1, 2, 3, 3, 3, 3]);
    assert_eq!(idx(Border::Reflect), vec![2, 1, 0, 0, 1, 2, 3, 3, 2, 1]);
    assert_eq!(idx(Border::Mirror), vec![3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
}

#[test]
fn zoom_of_one_and_box_resize_to_the_same_size_are_identities() {
    let image = picture();
    let buf = Buf::from_rgb(&image);
    let same = ops::clipped_zoom(&buf, 1.0);
    assert!(buf.d.iter().zip(&same.d).all(|(a, b)| (a - b).abs() < 1e-6));
    assert_eq!(ops::resize_box(&image, 48, 40), image);
    // Halving averages 2x2 blocks.
    let checker = RgbImage::from_fn(4, 4, |x, y| if (x + y) % 2 == 0 { Rgb([0, 0, 0]) } else { Rgb([200, 200, 200]) });
    assert_eq!(ops::resize_box(&checker, 2, 2), RgbImage::from_pixel(2, 2, Rgb([100, 100, 100])));
}

#[test]
fn plasma_fractal_spans_zero_to_one() {
    let mut rng = SeededRng::new(5);
    let mut draws = Draws::new(&mut rng);
    let map = ops::plasma_fractal(64, 2.0, &mut draws);
    let min = map.iter().copied().fold(f64::INFINITY, f64::min);
    let max = map.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!((min, max), (0.0, 1.0));
    // Smooth: neighbours are closer than random pairs on average.
    let near: f64 = (0..63).map(|i| (map[i] - map[i + 1]).abs()).sum::<f64>() / 63.0;
    assert!(near < 0.1, "{near}");
}

#[test]
fn the_crate_doc_table_agrees_with_fidelity() {
    let doc = include_str!("../lib.rs");
    for c in Corruption::ALL {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("//! | {} |", c.name())))
            .unwrap_or_else(|| panic!("{} has no row in the crate doc table", c.name()));
        let status = row.split('|').nth(2).unwrap().trim();
        let expected = match c.fidelity() {
            Fidelity::Exact => "exact",
            Fidelity::Approximate(_) => "approximate",
        };
        assert_eq!(status, expected, "{}", c.name());
    }
}
