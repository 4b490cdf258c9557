//! Deterministic PNG images whose colours and pattern derive from a seed.

use crate::conversation::mix;

/// The largest width or height accepted.
pub(crate) const MAX_SIDE: u32 = 2048;

/// Renders a `width` x `height` RGB PNG: two colours and a stripe, checker or diagonal pattern, all
/// picked from `seed`.
pub(crate) fn render_png(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let colour = |index: u64| {
        let bits = mix(seed, index);
        [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]
    };
    let background = colour(0);
    let foreground = colour(1);
    let cell = 8 + (mix(seed, 2) % 57) as u32;
    let pattern = mix(seed, 3) % 3;
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let on = match pattern {
                0 => (x / cell).is_multiple_of(2),
                1 => ((x / cell) + (y / cell)).is_multiple_of(2),
                _ => ((x + y) / cell).is_multiple_of(2),
            };
            pixels.extend_from_slice(if on { &foreground } else { &background });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Writing into a Vec cannot fail, and the dimensions and buffer length agree by construction.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(&pixels);
        let _ = writer.finish();
    }
    out
}

/// Parses an OpenAI `size` such as `"256x256"`.
pub(crate) fn parse_size(size: &str) -> Option<(u32, u32)> {
    let (width, height) = size.split_once('x')?;
    let width: u32 = width.parse().ok()?;
    let height: u32 = height.parse().ok()?;
    ((1..=MAX_SIDE).contains(&width) && (1..=MAX_SIDE).contains(&height)).then_some((width, height))
}

/// The file name of an image under `/files/`: seed and size, so the image can be rendered again
/// without keeping it.
pub(crate) fn file_name(seed: u64, width: u32, height: u32) -> String {
    format!("{seed:016x}-{width}x{height}.png")
}

/// Reads a file name written by [`file_name`].
pub(crate) fn parse_file_name(name: &str) -> Option<(u64, u32, u32)> {
    let stem = name.strip_suffix(".png")?;
    let (seed, size) = stem.split_once('-')?;
    if seed.len() != 16 {
        return None;
    }
    let seed = u64::from_str_radix(seed, 16).ok()?;
    let (width, height) = parse_size(size)?;
    Some((seed, width, height))
}
