//! Tests: the pure parts (CTC decoding, DB post-processing, reading order, CER) on made-up
//! data, and the whole pipeline with the real model on images rendered by `trustgen-image`
//! (the typography the VLM tasks show must be legible).

use std::sync::OnceLock;

use expect_test::{Expect, expect};
use trustgen_image::{Rgb, RgbImage, TextBox as Layout, caption_below, encode_png, figstep, render_text};

use super::*;

/// The real model, pulled into the cache on first use and loaded once per test binary.
fn ocr() -> &'static Ocr {
    static MODEL: OnceLock<Ocr> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = trustgen_embedded::ensure(OCR_MODEL).unwrap_or_else(|e| panic!("{e}"));
        Ocr::load(&dir).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// OCRs `image` (through PNG bytes, as a judge gets it), asserts that `expected` is found with a
/// CER of at most [`MAX_CER`], and snapshots the lines read (text and box) and the CER.
fn check(image: &RgbImage, expected: &str, expect: Expect) {
    let png = encode_png(image).unwrap();
    let lines = ocr().read_bytes(&png).unwrap();
    let verdict = ocr().contains_text(&png, expected).unwrap();
    let mut actual = String::new();
    for l in &lines {
        let b = l.bbox;
        actual.push_str(&format!("{:?} at {},{} {}x{}\n", l.text, b.left, b.top, b.width, b.height));
    }
    actual.push_str(&format!("found={} cer={:.2}", verdict.found, verdict.cer));
    expect.assert_eq(&actual);
    assert!(verdict.cer <= MAX_CER, "CER {} > {MAX_CER}: read {:?}, expected {expected:?}", verdict.cer, verdict.read);
    assert!(lines.iter().all(|l| (MIN_CONFIDENCE..=1.0).contains(&l.confidence)));
}

#[test]
fn figstep_title_and_numbered_list_are_legible() {
    let rendered = figstep("Steps to build a birdhouse from scrap wood.").unwrap();
    assert_eq!((rendered.image.width(), rendered.image.height()), (1000, 1000));
    check(
        &rendered.image,
        "Steps to build a birdhouse from scrap wood. 1. 2. 3.",
        expect![[r#"
        "Steps to build a" at 42,47 579x102
        "birdhouse from scrap" at 35,131 788x120
        "wood." at 37,238 237x87
        "1." at 44,336 78x79
        "2." at 39,421 86x91
        "3." at 42,516 83x82
        found=true cer=0.00"#]],
    );
}

#[test]
fn caption_under_an_image_is_legible() {
    let picture = RgbImage::from_fn(480, 320, |x, y| Rgb([(x / 2) as u8, (y / 2) as u8, 160]));
    let captioned = caption_below(&picture, "A blue gradient at dusk").unwrap();
    check(
        &captioned,
        "A blue gradient at dusk",
        expect![[r#"
        "A blue gradient at dusk" at 4,327 233x34
        found=true cer=0.00"#]],
    );
}

#[test]
fn wrapped_paragraph_is_legible() {
    let text = "The quick brown fox jumps over the lazy dog while 42 zebras watch quietly.";
    let rendered = render_text(text, &Layout::new(800, 300)).unwrap();
    check(
        &rendered.image,
        text,
        expect![[r#"
        "The quick brown fox jumps" at 7,10 785x88
        "over the lazy dog while 42" at 5,87 766x82
        "zebras watch quietly." at 1,158 619x92
        found=true cer=0.00"#]],
    );
}

#[test]
fn blank_image_reads_as_no_text() {
    let png = encode_png(&RgbImage::from_pixel(640, 480, Rgb([255, 255, 255]))).unwrap();
    assert_eq!(ocr().read_bytes(&png).unwrap(), Vec::new());
    let verdict = ocr().contains_text(&png, "anything").unwrap();
    assert_eq!((verdict.found, verdict.read.as_str(), verdict.cer), (false, "", 1.0));
}

#[test]
fn text_that_is_not_in_the_image_is_not_found() {
    let png = encode_png(&figstep("Steps to plant tomatoes.").unwrap().image).unwrap();
    let verdict = ocr().contains_text(&png, "Steps to launder money.").unwrap();
    assert!(!verdict.found && verdict.cer > 0.3, "{verdict:?}");
}

#[test]
fn tiny_huge_and_broken_inputs_give_nothing_or_a_clear_error() {
    for (w, h) in [(1, 1), (2, 300), (300, 2), (7, 7)] {
        assert_eq!(ocr().read(&RgbImage::from_pixel(w, h, Rgb([0, 0, 0]))).unwrap(), Vec::new(), "{w}x{h}");
    }
    // Noise (a fixed LCG): whatever it reads, it reads it without failing, and few boxes pass
    // the box score.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise = RgbImage::from_fn(640, 480, |_, _| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let v = (state >> 56) as u8;
        Rgb([v, v, v])
    });
    let lines = ocr().read(&noise).unwrap();
    assert!(lines.len() < 20, "{lines:?}");
    let black = ocr().read(&RgbImage::from_pixel(500, 500, Rgb([0, 0, 0]))).unwrap();
    assert_eq!(black, Vec::new());
    let huge = RgbImage::new(MAX_SIDE + 1, 1);
    let errors = [
        ocr().read(&huge).unwrap_err().to_string(),
        ocr().read_bytes(b"").unwrap_err().to_string(),
        ocr().read_bytes(b"GIF89a not really").unwrap_err().to_string(),
        ocr().contains_text(&encode_png(&RgbImage::new(4, 4)).unwrap(), " \n ").unwrap_err().to_string(),
    ];
    expect![[r#"
        cannot OCR a 8193x1 image: at most 8192x8192 pixels are read; downscale it first
        cannot OCR the image: unreadable image (0 bytes): no bytes; hint: the file may be truncated or corrupt, re-export it as PNG or JPEG
        cannot OCR the image: unsupported image format gif; hint: convert the image to PNG or JPEG
        the expected text " \n " is empty after normalisation (case and whitespace are ignored)"#]].assert_eq(&errors.join("\n"));
}

#[test]
fn a_directory_without_the_model_names_the_pull_command() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Ocr::load(tmp.path()).unwrap_err().to_string().replace(&tmp.path().display().to_string(), "$TMP");
    expect!["OCR model file $TMP/ppocrv5_det.onnx is missing; run `trustgen models pull ppocrv5-mobile` (or `cargo xtask setup`) and load it from the cache, or point at a directory holding ppocrv5_det.onnx, ppocrv5_rec.onnx, ppocr_keys_v5.txt"].assert_eq(&err);
}

#[test]
fn ctc_collapses_repeats_and_drops_blanks() {
    let keys: Vec<String> = ["blank", "a", "b", " "].iter().map(|s| s.to_string()).collect();
    // Frames: a a blank a b b space -> "aab " (the blank separates the two a's).
    let frames = [1, 1, 0, 1, 2, 2, 3];
    let mut probs = vec![0.0f32; frames.len() * 4];
    for (t, &k) in frames.iter().enumerate() {
        probs[t * 4 + k] = 0.9;
        probs[t * 4 + (k + 1) % 4] = 0.1;
    }
    let (text, confidence) = rec::ctc_greedy(&probs, frames.len(), 4, &keys);
    assert_eq!((text.as_str(), confidence), ("aab ", 0.9));
    assert_eq!(rec::ctc_greedy(&[0.9, 0.1], 1, 2, &keys), (String::new(), 0.0));
}

#[test]
fn db_postprocess_finds_boxes_with_a_margin() {
    // A 40x20 map with two text blobs and a speck; the image is twice the map's size.
    let (w, h) = (40usize, 20usize);
    let mut prob = vec![0.0f32; w * h];
    let mut fill = |x0: usize, y0: usize, x1: usize, y1: usize, p: f32| {
        for y in y0..y1 {
            for x in x0..x1 {
                prob[y * w + x] = p;
            }
        }
    };
    fill(2, 2, 12, 6, 0.9);
    fill(20, 10, 38, 16, 0.8);
    fill(30, 2, 31, 3, 1.0);
    let mut boxes = det::boxes_from_map(&prob, w, h, 0.5, 80, 40);
    det::reading_order(&mut boxes);
    expect![
        "[TextBox { left: 0, top: 0, width: 28, height: 16 }, TextBox { left: 33, top: 13, width: 47, height: 26 }]"
    ]
    .assert_eq(&format!("{boxes:?}"));
    assert_eq!(det::boxes_from_map(&[], 0, 0, 1.0, 10, 10), Vec::new());
    assert_eq!(det::boxes_from_map(&[0.9; 3], 2, 2, 1.0, 10, 10), Vec::new());
}

#[test]
fn reading_order_is_top_to_bottom_then_left_to_right() {
    let b = |left, top| TextBox { left, top, width: 50, height: 20 };
    let mut boxes = vec![b(300, 104), b(10, 100), b(10, 200), b(150, 98)];
    det::reading_order(&mut boxes);
    let order: Vec<(u32, u32)> = boxes.iter().map(|b| (b.left, b.top)).collect();
    assert_eq!(order, [(10, 100), (150, 98), (300, 104), (10, 200)]);
}
