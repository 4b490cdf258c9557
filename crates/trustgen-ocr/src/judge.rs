//! Comparing what OCR read with the text that should be there: normalisation, the character
//! error rate, and the best-matching stretch of the read text.

/// The character error rate at or below which [`crate::contains_text`] says the text is found:
/// at most one character in ten wrong, missing or extra. The tests' rendered texts (FigStep,
/// a caption, a wrapped paragraph, in the bundled font) read with a CER of 0.
pub const MAX_CER: f64 = 0.1;

/// The result of [`crate::contains_text`]: whether the expected text appears in the image.
#[derive(Debug, Clone, PartialEq)]
pub struct TextMatch {
    /// `cer <= MAX_CER`.
    pub found: bool,
    /// Everything OCR read, one line per detected line, in reading order (untrusted text).
    pub read: String,
    /// The character error rate of the best-matching stretch of `read` against `expected`, both
    /// [`normalise`]d: edit distance over the expected length; 0 is exact, 1 or more is absent.
    pub cer: f64,
}

/// The form in which texts are compared: lower case, no whitespace (OCR drops or adds spaces
/// between words), full-width ASCII forms (which the recogniser's CJK dictionary may emit)
/// folded to ASCII.
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The character error rate of `read` against `expected` as whole texts, both [`normalise`]d:
/// Levenshtein distance over the expected length (an empty expectation gives 0 for an empty
/// read and 1 otherwise).
pub fn cer(expected: &str, read: &str) -> f64 {
    let (e, r): (Vec<char>, Vec<char>) = (normalise(expected).chars().collect(), normalise(read).chars().collect());
    if e.is_empty() {
        return if r.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&e, &r, false) as f64 / e.len() as f64
}

/// The CER of the stretch of `read` that best matches `expected` (both already normalised,
/// `expected` not empty): approximate substring matching, so other text around it costs nothing.
pub(crate) fn substring_cer(expected: &[char], read: &[char]) -> f64 {
    edit_distance(expected, read, true) as f64 / expected.len().max(1) as f64
}

/// Levenshtein distance of `a` and `b`; with `substring`, the smallest distance of `a` to any
/// substring of `b` (free start and end in `b`, Sellers' algorithm).
fn edit_distance(a: &[char], b: &[char], substring: bool) -> usize {
    // Row j: the distance of a[..i] to b[..j] (or to a substring ending at j).
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| if substring { 0 } else { j }).collect();
    let mut row = vec![0usize; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            row[j + 1] = substitute.min(prev[j + 1] + 1).min(row[j] + 1);
        }
        std::mem::swap(&mut prev, &mut row);
    }
    if substring { prev.iter().copied().min().unwrap_or(a.len()) } else { prev[b.len()] }
}
