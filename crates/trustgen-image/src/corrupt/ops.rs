//! The numeric building blocks of the corruptions, each following the library call the published
//! code makes (SciPy/scikit-image Gaussian filters, OpenCV `filter2D`, `scipy.ndimage.zoom`,
//! PIL's BOX resize, scikit-image's HSV conversion, the plasma fractal, the ImageMagick motion
//! blur as ported by the `imagecorruptions` package).

use image::{Rgb, RgbImage};

/// A float image, channels interleaved, values nominally in [0, 1].
#[derive(Debug, Clone)]
pub(crate) struct Buf {
    pub w: usize,
    pub h: usize,
    pub c: usize,
    pub d: Vec<f32>,
}

impl Buf {
    pub(crate) fn new(w: usize, h: usize, c: usize) -> Buf {
        Buf { w, h, c, d: vec![0.0; w * h * c] }
    }

    /// RGB bytes scaled to [0, 1].
    pub(crate) fn from_rgb(image: &RgbImage) -> Buf {
        let d = image.as_raw().iter().map(|&v| f32::from(v) / 255.0).collect();
        Buf { w: image.width() as usize, h: image.height() as usize, c: 3, d }
    }

    /// Back to bytes: clipped to [0, 1], times 255, truncated (NumPy's `np.uint8` of the result).
    pub(crate) fn to_rgb(&self) -> RgbImage {
        let raw: Vec<u8> = if self.c == 3 {
            self.d.iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0) as u8).collect()
        } else {
            self.d.iter().flat_map(|&v| [(v.clamp(0.0, 1.0) * 255.0) as u8; 3]).collect()
        };
        RgbImage::from_raw(self.w as u32, self.h as u32, raw)
            .unwrap_or_else(|| RgbImage::from_pixel(1, 1, Rgb([0, 0, 0])))
    }

    #[inline]
    pub(crate) fn at(&self, x: usize, y: usize, k: usize) -> f32 {
        self.d[(y * self.w + x) * self.c + k]
    }

    #[inline]
    pub(crate) fn set(&mut self, x: usize, y: usize, k: usize, v: f32) {
        self.d[(y * self.w + x) * self.c + k] = v;
    }
}

/// How a filter reads outside the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Border {
    /// Edge pixel repeated (SciPy `nearest`, scikit-image's default for `gaussian`).
    Nearest,
    /// Half-sample symmetric, `dcba|abcd|dcba` (SciPy `reflect`).
    Reflect,
    /// Whole-sample symmetric, `dcb|abcd|cba` (SciPy `mirror`, OpenCV `BORDER_REFLECT_101`).
    Mirror,
}

/// The index read for position `i` of a line of `n` under `border`.
#[inline]
pub(crate) fn border_index(i: isize, n: usize, border: Border) -> usize {
    let n_i = n as isize;
    if (0..n_i).contains(&i) {
        return i as usize;
    }
    match border {
        Border::Nearest => i.clamp(0, n_i - 1) as usize,
        Border::Reflect => {
            let p = 2 * n_i;
            let m = i.rem_euclid(p);
            (if m < n_i { m } else { p - 1 - m }) as usize
        }
        Border::Mirror => {
            if n == 1 {
                return 0;
            }
            let p = 2 * n_i - 2;
            let m = i.rem_euclid(p);
            (if m < n_i { m } else { p - m }) as usize
        }
    }
}

/// SciPy's Gaussian kernel: radius `int(truncate * sigma + 0.5)`, normalised.
pub(crate) fn gaussian_kernel(sigma: f64, truncate: f64) -> Vec<f32> {
    let radius = (truncate * sigma + 0.5) as i64;
    let weights: Vec<f64> = (-radius..=radius).map(|x| (-0.5 * (x as f64 / sigma).powi(2)).exp()).collect();
    let sum: f64 = weights.iter().sum();
    weights.iter().map(|w| (w / sum) as f32).collect()
}

/// Correlates every channel with `kernel` (odd length, centred) along x, then along y.
pub(crate) fn separable(buf: &Buf, kernel: &[f32], border: Border) -> Buf {
    let r = kernel.len() / 2;
    let mut tmp = Buf::new(buf.w, buf.h, buf.c);
    let mut line = vec![0f32; buf.w.max(buf.h) + 2 * r];
    for k in 0..buf.c {
        for y in 0..buf.h {
            for (i, slot) in line.iter_mut().take(buf.w + 2 * r).enumerate() {
                *slot = buf.at(border_index(i as isize - r as isize, buf.w, border), y, k);
            }
            for x in 0..buf.w {
                let s: f32 = kernel.iter().zip(&line[x..x + kernel.len()]).map(|(a, b)| a * b).sum();
                tmp.set(x, y, k, s);
            }
        }
    }
    let mut out = Buf::new(buf.w, buf.h, buf.c);
    for k in 0..buf.c {
        for x in 0..buf.w {
            for (i, slot) in line.iter_mut().take(buf.h + 2 * r).enumerate() {
                *slot = tmp.at(x, border_index(i as isize - r as isize, buf.h, border), k);
            }
            for y in 0..buf.h {
                let s: f32 = kernel.iter().zip(&line[y..y + kernel.len()]).map(|(a, b)| a * b).sum();
                out.set(x, y, k, s);
            }
        }
    }
    out
}

/// `skimage.filters.gaussian(x, sigma)` (SciPy `gaussian_filter`, truncate 4, per channel).
pub(crate) fn gaussian(buf: &Buf, sigma: f64, border: Border, truncate: f64) -> Buf {
    separable(buf, &gaussian_kernel(sigma, truncate), border)
}

/// OpenCV `filter2D` with a square kernel (`size`×`size`, row-major), `BORDER_REFLECT_101`.
pub(crate) fn filter2d(buf: &Buf, kernel: &[f32], size: usize) -> Buf {
    let r = size / 2;
    let (pw, ph) = (buf.w + 2 * r, buf.h + 2 * r);
    let mut out = Buf::new(buf.w, buf.h, buf.c);
    let mut padded = vec![0f32; pw * ph];
    for k in 0..buf.c {
        for py in 0..ph {
            let sy = border_index(py as isize - r as isize, buf.h, Border::Mirror);
            for px in 0..pw {
                padded[py * pw + px] = buf.at(border_index(px as isize - r as isize, buf.w, Border::Mirror), sy, k);
            }
        }
        for y in 0..buf.h {
            for x in 0..buf.w {
                let mut s = 0f32;
                for ky in 0..size {
                    let row = &padded[(y + ky) * pw + x..(y + ky) * pw + x + size];
                    s += kernel[ky * size..ky * size + size].iter().zip(row).map(|(a, b)| a * b).sum::<f32>();
                }
                out.set(x, y, k, s);
            }
        }
    }
    out
}

/// `clipped_zoom`: the centre `ceil(n / z)` crop zoomed by `z` (`scipy.ndimage.zoom`, order 1)
/// and trimmed back to the image size, both axes.
pub(crate) fn clipped_zoom(buf: &Buf, z: f64) -> Buf {
    let axis = |n: usize| {
        let crop = (n as f64 / z).ceil().max(1.0) as usize;
        let start = (n - crop.min(n)) / 2;
        let zoomed = ((crop as f64 * z).round() as usize).max(1);
        let trim = zoomed.saturating_sub(n) / 2;
        let scale = if zoomed > 1 { (crop as f64 - 1.0) / (zoomed as f64 - 1.0) } else { 0.0 };
        // For each output position: the two source indices and the weight of the second.
        (0..n)
            .map(|o| {
                let src = ((o + trim).min(zoomed - 1)) as f64 * scale;
                let i0 = src.floor() as usize;
                let i1 = (i0 + 1).min(crop - 1);
                (start + i0, start + i1, (src - i0 as f64) as f32)
            })
            .collect::<Vec<_>>()
    };
    let (xs, ys) = (axis(buf.w), axis(buf.h));
    let mut out = Buf::new(buf.w, buf.h, buf.c);
    for (y, &(y0, y1, fy)) in ys.iter().enumerate() {
        for (x, &(x0, x1, fx)) in xs.iter().enumerate() {
            for k in 0..buf.c {
                let top = buf.at(x0, y0, k) * (1.0 - fx) + buf.at(x1, y0, k) * fx;
                let bottom = buf.at(x0, y1, k) * (1.0 - fx) + buf.at(x1, y1, k) * fx;
                out.set(x, y, k, top * (1.0 - fy) + bottom * fy);
            }
        }
    }
    out
}

/// The ImageMagick motion blur as the `imagecorruptions` package ports it: a one-sided Gaussian
/// kernel of `2 * radius + 1` taps laid along `angle` degrees, edges replicated.
pub(crate) fn motion_blur(buf: &Buf, radius: usize, sigma: f64, angle: f64) -> Buf {
    let width = 2 * radius + 1;
    let weights: Vec<f64> = (0..width).map(|i| (-((i * i) as f64) / (2.0 * sigma * sigma)).exp()).collect();
    let total: f64 = weights.iter().sum();
    let (sin, cos) = angle.to_radians().sin_cos();
    let point = (width as f64 * sin, width as f64 * cos);
    let hypot = point.0.hypot(point.1);
    let mut out = Buf::new(buf.w, buf.h, buf.c);
    for (i, weight) in weights.iter().enumerate() {
        let dy = -((i as f64 * point.0 / hypot) - 0.5).ceil() as isize;
        let dx = -((i as f64 * point.1 / hypot) - 0.5).ceil() as isize;
        if dy.unsigned_abs() >= buf.h || dx.unsigned_abs() >= buf.w {
            break;
        }
        let weight = (weight / total) as f32;
        for y in 0..buf.h {
            let sy = (y as isize - dy).clamp(0, buf.h as isize - 1) as usize;
            for x in 0..buf.w {
                let sx = (x as isize - dx).clamp(0, buf.w as isize - 1) as usize;
                for k in 0..buf.c {
                    let v = out.at(x, y, k) + weight * buf.at(sx, sy, k);
                    out.set(x, y, k, v);
                }
            }
        }
    }
    out
}

/// scikit-image `rgb2hsv` of one pixel (ties resolved as it does: blue, then green, then red).
pub(crate) fn rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let v = r.max(g).max(b);
    let delta = v - r.min(g).min(b);
    let s = if v == 0.0 { 0.0 } else { delta / v };
    if delta == 0.0 {
        return (0.0, s, v);
    }
    let h = if b == v {
        4.0 + (r - g) / delta
    } else if g == v {
        2.0 + (b - r) / delta
    } else {
        (g - b) / delta
    };
    ((h / 6.0).rem_euclid(1.0), s, v)
}

/// scikit-image `hsv2rgb` of one pixel.
pub(crate) fn hsv_to_rgb(h: f32, s: f32, v: f32) -> (f32, f32, f32) {
    let hi = (h * 6.0).floor();
    let f = h * 6.0 - hi;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - f * s), v * (1.0 - (1.0 - f) * s));
    match (hi as i64).rem_euclid(6) {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    }
}

/// PIL's resampling with the BOX filter along one axis: for each output index, the source
/// indices and normalised weights.
fn box_weights(input: usize, output: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = input as f64 / output as f64;
    let filter_scale = scale.max(1.0);
    let support = 0.5 * filter_scale;
    (0..output)
        .map(|o| {
            let center = (o as f64 + 0.5) * scale;
            let min = ((center - support + 0.5).floor().max(0.0)) as usize;
            let max = ((center + support + 0.5).floor() as usize).min(input);
            let mut weights: Vec<f64> = (min..max)
                .map(|i| {
                    let x = (i as f64 - center + 0.5) / filter_scale;
                    if x > -0.5 && x <= 0.5 { 1.0 } else { 0.0 }
                })
                .collect();
            let sum: f64 = weights.iter().sum();
            if sum > 0.0 {
                weights.iter_mut().for_each(|w| *w /= sum);
            }
            (min, weights.into_iter().map(|w| w as f32).collect())
        })
        .collect()
}

/// PIL `Image.resize(size, BOX)`, horizontal pass then vertical, on bytes (rounded after each
/// pass as PIL does).
pub(crate) fn resize_box(image: &RgbImage, w: u32, h: u32) -> RgbImage {
    let (iw, ih) = image.dimensions();
    let xs = box_weights(iw as usize, w as usize);
    let ys = box_weights(ih as usize, h as usize);
    let pass1 = RgbImage::from_fn(w, ih, |x, y| {
        let (start, ref weights) = xs[x as usize];
        let mut acc = [0f32; 3];
        for (j, wgt) in weights.iter().enumerate() {
            let p = image.get_pixel(start as u32 + j as u32, y);
            for (a, v) in acc.iter_mut().zip(p.0) {
                *a += wgt * f32::from(v);
            }
        }
        Rgb(acc.map(|v| v.round().clamp(0.0, 255.0) as u8))
    });
    RgbImage::from_fn(w, h, |x, y| {
        let (start, ref weights) = ys[y as usize];
        let mut acc = [0f32; 3];
        for (j, wgt) in weights.iter().enumerate() {
            let p = pass1.get_pixel(x, start as u32 + j as u32);
            for (a, v) in acc.iter_mut().zip(p.0) {
                *a += wgt * f32::from(v);
            }
        }
        Rgb(acc.map(|v| v.round().clamp(0.0, 255.0) as u8))
    })
}

/// The diamond-square plasma fractal of ImageNet-C's fog, `size`×`size` (`size` a power of
/// two), normalised to [0, 1]. Random draws in NumPy's row-major order.
pub(crate) fn plasma_fractal(size: usize, wibble_decay: f64, draws: &mut super::random::Draws<'_>) -> Vec<f64> {
    let mut m = vec![0f64; size * size];
    let mut step = size;
    let mut wibble = 100.0f64;
    while step >= 2 {
        let n = size / step;
        let half = step / 2;
        // Squares: centre of each cell = mean of its four corners (wrapping) + noise.
        let corner = |m: &[f64], i: usize, j: usize| m[((i % n) * step) * size + (j % n) * step];
        for i in 0..n {
            for j in 0..n {
                let sum = corner(&m, i, j) + corner(&m, i + 1, j) + corner(&m, i, j + 1) + corner(&m, i + 1, j + 1);
                m[(half + i * step) * size + half + j * step] = sum / 4.0 + wibble * draws.uniform(-wibble, wibble);
            }
        }
        // Diamonds.
        let dr = |m: &[f64], i: usize, j: usize| m[(half + (i % n) * step) * size + half + (j % n) * step];
        let ul = |m: &[f64], i: usize, j: usize| m[((i % n) * step) * size + (j % n) * step];
        for i in 0..n {
            for j in 0..n {
                let sum = dr(&m, i, j) + dr(&m, i + n - 1, j) + ul(&m, i, j) + ul(&m, i, j + 1);
                m[(i * step) * size + half + j * step] = sum / 4.0 + wibble * draws.uniform(-wibble, wibble);
            }
        }
        for i in 0..n {
            for j in 0..n {
                let sum = dr(&m, i, j) + dr(&m, i, j + n - 1) + ul(&m, i, j) + ul(&m, i + 1, j);
                m[(half + i * step) * size + j * step] = sum / 4.0 + wibble * draws.uniform(-wibble, wibble);
            }
        }
        step /= 2;
        wibble /= wibble_decay;
    }
    let min = m.iter().copied().fold(f64::INFINITY, f64::min);
    m.iter_mut().for_each(|v| *v -= min);
    let max = m.iter().copied().fold(0.0, f64::max);
    if max > 0.0 {
        m.iter_mut().for_each(|v| *v /= max);
    }
    m
}

/// Bilinear sample of channel `k` at (`x`, `y`) with `border` applied to the neighbour indices.
#[inline]
pub(crate) fn sample(buf: &Buf, x: f32, y: f32, k: usize, border: Border) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as isize, y0 as isize);
    let xa = border_index(x0, buf.w, border);
    let xb = border_index(x0 + 1, buf.w, border);
    let ya = border_index(y0, buf.h, border);
    let yb = border_index(y0 + 1, buf.h, border);
    let top = buf.at(xa, ya, k) * (1.0 - fx) + buf.at(xb, ya, k) * fx;
    let bottom = buf.at(xa, yb, k) * (1.0 - fx) + buf.at(xb, yb, k) * fx;
    top * (1.0 - fy) + bottom * fy
}
