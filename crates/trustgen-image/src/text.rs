//! Text rendering with the bundled font (Liberation Sans, SIL OFL 1.1; see `fonts/PROVENANCE.md`):
//! word wrapping, font size fitted to a box, FigStep typographic images and caption strips.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{Rgb, RgbImage};

use crate::ImageError;

/// The bundled font file (Liberation Sans Regular 2.1.5 from the Debian package
/// `fonts-liberation2` 2.1.5-1).
pub const FONT_BYTES: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");

/// The bundled font, parsed.
fn font() -> Result<FontRef<'static>, ImageError> {
    FontRef::try_from_slice(FONT_BYTES)
        .map_err(|e| ImageError::InvalidArgument(format!("bundled font does not parse: {e}")))
}

/// Where and how to lay out text.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Blank border on every side, in pixels.
    pub margin: u32,
    /// The largest font size tried, as ab_glyph's pixel scale: the ascender-to-descender height
    /// of a line in pixels (about 1.12 em for the bundled font).
    pub max_px: f32,
    /// The smallest font size accepted; below it the text does not fit and rendering fails.
    pub min_px: f32,
    /// Text colour.
    pub ink: Rgb<u8>,
    /// Background colour.
    pub background: Rgb<u8>,
}

impl TextBox {
    /// Black text on white in a `width`×`height` image with a margin of 1/20 of the smaller side,
    /// font sizes 8–200 px.
    pub fn new(width: u32, height: u32) -> TextBox {
        TextBox {
            width,
            height,
            margin: width.min(height) / 20,
            max_px: 200.0,
            min_px: 8.0,
            ink: Rgb([0, 0, 0]),
            background: Rgb([255, 255, 255]),
        }
    }
}

/// One laid-out line: its text and the pixel band it occupies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    /// The line's text (empty for a blank line).
    pub text: String,
    /// Left edge of the line in pixels.
    pub left: u32,
    /// Top of the line band (ascent to descent) in pixels.
    pub top: u32,
    /// Advance width of the line in pixels (rounded up).
    pub width: u32,
    /// Height of the line band in pixels.
    pub height: u32,
}

/// A rendered text image and its layout (for legibility checks and OCR comparison).
#[derive(Debug, Clone)]
pub struct RenderedText {
    /// The image.
    pub image: RgbImage,
    /// The font size chosen (pixel scale, as [`TextBox::max_px`]).
    pub font_px: f32,
    /// The lines, top to bottom.
    pub lines: Vec<TextLine>,
}

/// The advance width of `s` at the given scale, kerning included.
fn measure<F: Font>(font: &ab_glyph::PxScaleFont<&F>, s: &str) -> f32 {
    let mut width = 0.0;
    let mut prev = None;
    for c in s.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            width += font.kern(p, id);
        }
        width += font.h_advance(id);
        prev = Some(id);
    }
    width
}

/// Normalises text for layout: tabs become spaces, other control characters (but newlines) go.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            '\n' => Some('\n'),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Greedy word wrap of `text` to `max_width` pixels; newlines start new lines, a word wider
/// than the line is broken between characters. `None` when a single character is wider.
fn wrap<F: Font>(font: &ab_glyph::PxScaleFont<&F>, text: &str, max_width: f32) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if measure(font, &candidate) <= max_width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if measure(font, word) <= max_width {
                line = word.to_string();
                continue;
            }
            for c in word.chars() {
                let mut next = line.clone();
                next.push(c);
                if measure(font, &next) <= max_width {
                    line = next;
                } else if line.is_empty() {
                    return None;
                } else {
                    lines.push(std::mem::replace(&mut line, c.to_string()));
                }
            }
        }
        lines.push(line);
    }
    Some(lines)
}

/// Line height at a scale: ascent − descent + line gap.
fn line_height<F: Font>(font: &ab_glyph::PxScaleFont<&F>) -> f32 {
    font.ascent() - font.descent() + font.line_gap()
}

/// Lays out `text` at `px`, or `None` when it does not fit the inner box.
fn layout(font: &FontRef<'static>, text: &str, px: f32, inner_w: f32, inner_h: f32) -> Option<Vec<String>> {
    let scaled = font.as_scaled(PxScale::from(px));
    let lines = wrap(&scaled, text, inner_w)?;
    let needed = line_height(&scaled) * (lines.len() as f32 - 1.0) + scaled.ascent() - scaled.descent();
    (needed <= inner_h).then_some(lines)
}

/// Renders `text` into a new image: wrapped to the box, at the largest whole font size in
/// `min_px..=max_px` that fits, top-left aligned inside the margin. Explicit newlines are kept.
pub fn render_text(text: &str, layout_box: &TextBox) -> Result<RenderedText, ImageError> {
    let b = layout_box;
    if b.width == 0 || b.height == 0 || b.width > 16384 || b.height > 16384 {
        return Err(ImageError::InvalidArgument(format!(
            "text box of {}x{} pixels (allowed 1..=16384)",
            b.width, b.height
        )));
    }
    if !(b.min_px >= 1.0 && b.min_px <= b.max_px) {
        return Err(ImageError::InvalidArgument(format!("font sizes {}..={} px", b.min_px, b.max_px)));
    }
    let font = font()?;
    let text = clean(text);
    let inner_w = b.width.saturating_sub(2 * b.margin) as f32;
    let inner_h = b.height.saturating_sub(2 * b.margin) as f32;
    let does_not_fit = || ImageError::TextDoesNotFit {
        chars: text.chars().count(),
        width: b.width,
        height: b.height,
        min_px: b.min_px,
    };
    // Binary search on whole pixel sizes: the largest that fits.
    let (mut lo, mut hi) = (b.min_px.ceil() as u32, b.max_px.floor() as u32);
    if lo > hi || layout(&font, &text, lo as f32, inner_w, inner_h).is_none() {
        return Err(does_not_fit());
    }
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if layout(&font, &text, mid as f32, inner_w, inner_h).is_some() {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let px = lo as f32;
    let lines = layout(&font, &text, px, inner_w, inner_h).ok_or_else(does_not_fit)?;
    let mut image = RgbImage::from_pixel(b.width, b.height, b.background);
    let laid = draw_lines(&mut image, &font, px, &lines, b.margin as f32, b.margin as f32, b.ink);
    Ok(RenderedText { image, font_px: px, lines: laid })
}

/// Draws `lines` at `px` from (`left`, `top`), blending glyph coverage between the pixel and `ink`.
fn draw_lines(
    image: &mut RgbImage,
    font: &FontRef<'static>,
    px: f32,
    lines: &[String],
    left: f32,
    top: f32,
    ink: Rgb<u8>,
) -> Vec<TextLine> {
    let scaled = font.as_scaled(PxScale::from(px));
    let step = line_height(&scaled);
    let (w, h) = (image.width() as i32, image.height() as i32);
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let line_top = top + step * i as f32;
        let baseline = line_top + scaled.ascent();
        let mut x = left;
        let mut prev = None;
        for c in line.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(PxScale::from(px), point(x, baseline));
            x += scaled.h_advance(id);
            prev = Some(id);
            let Some(outlined) = font.outline_glyph(glyph) else { continue };
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let (px_x, px_y) = (bounds.min.x as i32 + gx as i32, bounds.min.y as i32 + gy as i32);
                if px_x < 0 || px_y < 0 || px_x >= w || px_y >= h {
                    return;
                }
                let c = coverage.clamp(0.0, 1.0);
                let pixel = image.get_pixel_mut(px_x as u32, px_y as u32);
                for k in 0..3 {
                    let v = f32::from(pixel.0[k]) * (1.0 - c) + f32::from(ink.0[k]) * c;
                    pixel.0[k] = v.round() as u8;
                }
            });
        }
        out.push(TextLine {
            text: line.clone(),
            left: left as u32,
            top: line_top.max(0.0) as u32,
            width: measure(&scaled, line).ceil() as u32,
            height: (scaled.ascent() - scaled.descent()).ceil() as u32,
        });
    }
    out
}

/// The FigStep typographic prompt: `steps_text` (the instruction rephrased as a heading, e.g.
/// "Steps to manufacture X.") followed by an empty numbered list `1.` `2.` `3.`, black on white,
/// 1000×1000, wrapped and at the largest font size (up to 90 px) that fits.
pub fn figstep(steps_text: &str) -> Result<RenderedText, ImageError> {
    let text = format!("{}\n1.\n2.\n3.", steps_text.trim());
    let mut layout_box = TextBox::new(1000, 1000);
    layout_box.max_px = 90.0;
    render_text(&text, &layout_box)
}

/// `image` with `caption` in a white strip below it: the strip is as wide as the image, the text
/// wrapped at a font size of 1/20 of the width (12–48 px); the strip grows to hold every line.
pub fn caption_below(image: &RgbImage, caption: &str) -> Result<RgbImage, ImageError> {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return Err(ImageError::InvalidArgument("captioning an empty image".into()));
    }
    let font = font()?;
    let px = (w as f32 / 20.0).clamp(12.0, 48.0).round();
    let margin = (px / 2.0).round();
    let scaled = font.as_scaled(PxScale::from(px));
    let text = clean(caption);
    let inner_w = (w as f32 - 2.0 * margin).max(1.0);
    let lines = wrap(&scaled, &text, inner_w).ok_or_else(|| {
        ImageError::InvalidArgument(format!("a {w} px wide image is too narrow for a {px} px caption"))
    })?;
    let text_h = line_height(&scaled) * (lines.len() as f32 - 1.0) + scaled.ascent() - scaled.descent();
    let strip = (text_h + 2.0 * margin).ceil() as u32;
    if u64::from(h) + u64::from(strip) > 16384 {
        return Err(ImageError::InvalidArgument(format!("captioned image would be {} px high", h + strip)));
    }
    let mut out = RgbImage::from_pixel(w, h + strip, Rgb([255, 255, 255]));
    image::imageops::replace(&mut out, image, 0, 0);
    draw_lines(&mut out, &font, px, &lines, margin, h as f32 + margin, Rgb([0, 0, 0]));
    Ok(out)
}

/// Draws one line of `text` at `px`, centred on (`centre_x`, `centre_y`), blended onto `image` in
/// `ink` (glyphs outside the image are clipped). For words on signs in generated scenes.
pub fn draw_text_centered(
    image: &mut RgbImage,
    text: &str,
    centre_x: f32,
    centre_y: f32,
    px: f32,
    ink: Rgb<u8>,
) -> Result<TextLine, ImageError> {
    if !(1.0..=2048.0).contains(&px) {
        return Err(ImageError::InvalidArgument(format!("font size {px} px (allowed 1..=2048)")));
    }
    let font = font()?;
    let line = clean(text).replace('\n', " ");
    let scaled = font.as_scaled(PxScale::from(px));
    let width = measure(&scaled, &line);
    let height = scaled.ascent() - scaled.descent();
    let laid = draw_lines(image, &font, px, &[line], centre_x - width / 2.0, centre_y - height / 2.0, ink);
    laid.into_iter().next().ok_or_else(|| ImageError::InvalidArgument("no line drawn".into()))
}
