//! ImageNet-C's spatter: mud (severity 4–5, exact) and water drops (1–3), whose published code
//! calls OpenCV's Canny, 5×5 chamfer distance transform, histogram equalisation, `filter2D` and
//! box blurs; each is reimplemented here after OpenCV's definition.

use image::RgbImage;

use super::ops::{self, Border, Buf};
use super::random::Draws;

pub(super) fn spatter(x: &Buf, s: usize, draws: &mut Draws<'_>) -> RgbImage {
    let (loc, scale, sigma, threshold, intensity, mud) = [
        (0.65, 0.3, 4.0, 0.69, 0.6, false),
        (0.65, 0.3, 3.0, 0.68, 0.6, false),
        (0.65, 0.3, 2.0, 0.68, 0.5, false),
        (0.65, 0.3, 1.0, 0.65, 1.5, true),
        (0.67, 0.4, 1.0, 0.65, 1.5, true),
    ][s];
    let mut liquid = Buf::new(x.w, x.h, 1);
    liquid.d.iter_mut().for_each(|v| *v = (loc + scale * draws.normal()) as f32);
    let mut liquid = ops::gaussian(&liquid, sigma, Border::Nearest, 4.0);
    let threshold = threshold as f32;
    liquid.d.iter_mut().for_each(|v| {
        if *v < threshold {
            *v = 0.0;
        }
    });
    let mut out = x.clone();
    if mud {
        let mut m = Buf::new(x.w, x.h, 1);
        m.d.iter_mut().zip(&liquid.d).for_each(|(m, l)| *m = if *l > threshold { 1.0 } else { 0.0 });
        let mut m = ops::gaussian(&m, intensity, Border::Nearest, 4.0);
        m.d.iter_mut().for_each(|v| {
            if *v < 0.8 {
                *v = 0.0;
            }
        });
        let colour = [63.0 / 255.0, 42.0 / 255.0, 20.0 / 255.0];
        for (i, &mi) in m.d.iter().enumerate() {
            for (k, c) in colour.iter().enumerate() {
                out.d[i * 3 + k] = x.d[i * 3 + k] * (1.0 - mi) + c * mi;
            }
        }
        return out.to_rgb();
    }
    // (liquid * 255).astype(np.uint8): NumPy wraps values over 255 the way a cast does.
    let liquid8: Vec<u8> = liquid.d.iter().map(|v| ((v * 255.0) as i64).rem_euclid(256) as u8).collect();
    let edges = canny(&liquid8, x.w, x.h, 50.0, 150.0);
    let inverted: Vec<bool> = edges.iter().map(|e| !e).collect(); // 255 - canny: non-zero off edges
    let dist = chamfer_distance(&inverted, x.w, x.h);
    let truncated: Vec<f32> = dist.iter().map(|d| d.min(20.0)).collect();
    let blurred: Vec<u8> = box3(&truncated, x.w, x.h).iter().map(|v| *v as u8).collect();
    let equalised = equalize_hist(&blurred);
    let kernel = [-2.0, -1.0, 0.0, -1.0, 1.0, 1.0, 0.0, 1.0, 2.0];
    let embossed = filter3_u8(&equalised, x.w, x.h, &kernel);
    let embossed_f: Vec<f32> = embossed.iter().map(|&v| f32::from(v)).collect();
    let dist: Vec<f32> = box3(&embossed_f, x.w, x.h).iter().map(|v| v.round().clamp(0.0, 255.0)).collect();
    let m: Vec<f32> = liquid8.iter().zip(&dist).map(|(l, d)| f32::from(*l) * d).collect();
    let max = m.iter().copied().fold(0.0f32, f32::max);
    let colour = [175.0 / 255.0, 238.0 / 255.0, 238.0 / 255.0];
    for (i, &mv) in m.iter().enumerate() {
        let mi = if max > 0.0 { mv / max * intensity as f32 } else { 0.0 };
        for (k, c) in colour.iter().enumerate() {
            out.d[i * 3 + k] = x.d[i * 3 + k] + mi * c;
        }
    }
    out.to_rgb()
}

/// Index with OpenCV's default border (`BORDER_REFLECT_101`).
fn at<T: Copy>(v: &[T], w: usize, h: usize, x: isize, y: isize) -> T {
    v[ops::border_index(y, h, Border::Mirror) * w + ops::border_index(x, w, Border::Mirror)]
}

/// OpenCV `Canny` (3×3 Sobel, L1 gradient magnitude, non-maximum suppression, hysteresis).
fn canny(img: &[u8], w: usize, h: usize, low: f32, high: f32) -> Vec<bool> {
    let mut gx = vec![0f32; w * h];
    let mut gy = vec![0f32; w * h];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let p = |dx: isize, dy: isize| f32::from(at(img, w, h, x + dx, y + dy));
            let i = y as usize * w + x as usize;
            gx[i] = (p(1, -1) + 2.0 * p(1, 0) + p(1, 1)) - (p(-1, -1) + 2.0 * p(-1, 0) + p(-1, 1));
            gy[i] = (p(-1, 1) + 2.0 * p(0, 1) + p(1, 1)) - (p(-1, -1) + 2.0 * p(0, -1) + p(1, -1));
        }
    }
    let mag: Vec<f32> = gx.iter().zip(&gy).map(|(a, b)| a.abs() + b.abs()).collect();
    // 0: not an edge, 1: weak candidate, 2: strong.
    let mut class = vec![0u8; w * h];
    let tan22 = 0.414_213_56f32;
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let i = y * w + x;
            let m = mag[i];
            if m <= low {
                continue;
            }
            let (ax, ay) = (gx[i].abs(), gy[i].abs());
            let (a, b) = if ay <= ax * tan22 {
                (mag[i - 1], mag[i + 1])
            } else if ay >= ax / tan22 {
                (mag[i - w], mag[i + w])
            } else if (gx[i] > 0.0) == (gy[i] > 0.0) {
                (mag[i - w - 1], mag[i + w + 1])
            } else {
                (mag[i - w + 1], mag[i + w - 1])
            };
            if m > a && m >= b {
                class[i] = if m > high { 2 } else { 1 };
            }
        }
    }
    let mut edge = vec![false; w * h];
    let mut stack: Vec<usize> = (0..w * h).filter(|&i| class[i] == 2).collect();
    stack.iter().for_each(|&i| edge[i] = true);
    while let Some(i) = stack.pop() {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
                    continue;
                }
                let j = ny as usize * w + nx as usize;
                if class[j] == 1 && !edge[j] {
                    edge[j] = true;
                    stack.push(j);
                }
            }
        }
    }
    edge
}

/// OpenCV `distanceTransform(DIST_L2, 5)`: the 5×5 chamfer distance (weights 1, 1.4, 2.1969) of
/// every `true` pixel to the nearest `false` one.
fn chamfer_distance(inside: &[bool], w: usize, h: usize) -> Vec<f32> {
    const A: f32 = 1.0;
    const B: f32 = 1.4;
    const C: f32 = 2.1969;
    let big = 1e6f32;
    let mut d: Vec<f32> = inside.iter().map(|&v| if v { big } else { 0.0 }).collect();
    let forward = [(-1, 0, A), (0, -1, A), (-1, -1, B), (1, -1, B), (-2, -1, C), (-1, -2, C), (1, -2, C), (2, -1, C)];
    let get = |d: &[f32], x: isize, y: isize| {
        if x < 0 || y < 0 || x >= w as isize || y >= h as isize { big } else { d[y as usize * w + x as usize] }
    };
    for y in 0..h as isize {
        for x in 0..w as isize {
            let i = y as usize * w + x as usize;
            for (dx, dy, c) in forward {
                let v = get(&d, x + dx, y + dy) + c;
                if v < d[i] {
                    d[i] = v;
                }
            }
        }
    }
    for y in (0..h as isize).rev() {
        for x in (0..w as isize).rev() {
            let i = y as usize * w + x as usize;
            for (dx, dy, c) in forward {
                let v = get(&d, x - dx, y - dy) + c;
                if v < d[i] {
                    d[i] = v;
                }
            }
        }
    }
    d
}

/// OpenCV `blur(ksize = 3×3)`: the normalised box filter, `BORDER_REFLECT_101`.
fn box3(v: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0f32; w * h];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let mut s = 0.0;
            for dy in -1..=1 {
                for dx in -1..=1 {
                    s += at(v, w, h, x + dx, y + dy);
                }
            }
            out[y as usize * w + x as usize] = s / 9.0;
        }
    }
    out
}

/// OpenCV `equalizeHist`.
fn equalize_hist(v: &[u8]) -> Vec<u8> {
    let mut hist = [0usize; 256];
    v.iter().for_each(|&p| hist[p as usize] += 1);
    let Some(first) = hist.iter().position(|&c| c > 0) else { return v.to_vec() };
    if hist[first] == v.len() {
        return v.to_vec();
    }
    let scale = 255.0 / (v.len() - hist[first]) as f32;
    let mut lut = [0u8; 256];
    let mut sum = 0usize;
    for i in first + 1..256 {
        sum += hist[i];
        lut[i] = (sum as f32 * scale).round().clamp(0.0, 255.0) as u8;
    }
    v.iter().map(|&p| lut[p as usize]).collect()
}

/// OpenCV `filter2D` of a byte image with a 3×3 kernel to bytes (rounded, saturated).
fn filter3_u8(v: &[u8], w: usize, h: usize, kernel: &[f32; 9]) -> Vec<u8> {
    let mut out = vec![0u8; w * h];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let mut s = 0.0;
            for ky in 0..3 {
                for kx in 0..3 {
                    s += kernel[(ky * 3 + kx) as usize] * f32::from(at(v, w, h, x + kx - 1, y + ky - 1));
                }
            }
            out[y as usize * w + x as usize] = s.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}
