//! Tests of decoding, encoding, text rendering, composition and rotation.

use expect_test::{Expect, expect};
use image::{Rgb, RgbImage, RgbaImage};
use sha2::{Digest, Sha256};

use crate::*;

/// A 64×48 test picture: colour gradients and a dark square.
fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        if (w / 4..w / 2).contains(&x) && (h / 4..h / 2).contains(&y) {
            Rgb([20, 30, 40])
        } else {
            Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
        }
    })
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))[..16].to_string()
}

fn png_bytes(image: &RgbImage) -> Vec<u8> {
    encode_png(image).unwrap()
}

// ---- decoding ----

/// Decodes `bytes` under `limits`; renders the outcome as one line.
fn check_decode(bytes: &[u8], limits: DecodeLimits, expect: Expect) {
    let got = match decode(bytes, limits) {
        Ok(image) => format!("ok {}x{}", image.width(), image.height()),
        Err(e) => format!("error: {e}"),
    };
    expect.assert_eq(&got);
}

#[test]
fn decode_reads_png_and_jpeg_and_names_what_is_wrong() {
    let image = picture(64, 48);
    let limits = DecodeLimits::default();
    check_decode(&png_bytes(&image), limits, expect!["ok 64x48"]);
    check_decode(&encode_jpeg(&image, 80).unwrap(), limits, expect!["ok 64x48"]);
    check_decode(
        &png_bytes(&image),
        DecodeLimits { max_width: 32, max_height: 4096 },
        expect![
            "error: image of 64x48 pixels is over the limit of 32x4096; hint: downscale the image before use, or raise the limit where the caller allows it"
        ],
    );
    check_decode(
        b"",
        limits,
        expect![
            "error: unreadable image (0 bytes): no bytes; hint: the file may be truncated or corrupt, re-export it as PNG or JPEG"
        ],
    );
    check_decode(
        b"GIF89a\x01\x00\x01\x00",
        limits,
        expect!["error: unsupported image format gif; hint: convert the image to PNG or JPEG"],
    );
    check_decode(
        b"hello, world",
        limits,
        expect![
            "error: unsupported image format unknown (first bytes 68 65 6c 6c 6f 2c 20 77); hint: convert the image to PNG or JPEG"
        ],
    );
    let png = png_bytes(&image);
    check_decode(
        &png[..40],
        limits,
        expect![
            "error: unreadable image (40 bytes): unexpected end of file; hint: the file may be truncated or corrupt, re-export it as PNG or JPEG"
        ],
    );
}

#[test]
fn decode_never_panics_on_truncated_or_damaged_bytes() {
    let image = picture(64, 48);
    let png = png_bytes(&image);
    let jpeg = encode_jpeg(&image, 80).unwrap();
    // Every cut before the closing IEND chunk (the last 12 bytes) loses pixel data.
    for cut in 0..png.len() - 12 {
        assert!(decode(&png[..cut], DecodeLimits::default()).is_err(), "truncated png at {cut} decoded");
    }
    for cut in 0..jpeg.len() {
        // A JPEG cut inside its scan data may still decode (the rest is filled); it must not panic
        // and must keep its size.
        if let Ok(decoded) = decode(&jpeg[..cut], DecodeLimits::default()) {
            assert_eq!(decoded.dimensions(), (64, 48), "cut {cut}");
        }
    }
    // Flipped bytes all through the file.
    for (bytes, name) in [(&png, "png"), (&jpeg, "jpeg")] {
        for i in (8..bytes.len()).step_by(7) {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x5a;
            if let Ok(decoded) = decode(&damaged, DecodeLimits::default()) {
                assert!(decoded.width() <= 8192 && decoded.height() <= 8192, "{name} byte {i}");
            }
        }
    }
}

#[test]
fn decode_refuses_a_huge_header_before_allocating() {
    // A valid PNG header claiming 100000x100000 pixels and no data.
    let mut png = png_bytes(&picture(2, 2));
    png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let err = decode(&png, DecodeLimits::default()).unwrap_err().to_string();
    assert!(err.contains("over the limit") || err.contains("unreadable"), "{err}");
}

#[test]
fn decode_composes_transparency_over_white() {
    let rgba = RgbaImage::from_fn(4, 4, |x, _| image::Rgba([0, 0, 0, if x < 2 { 0 } else { 255 }]));
    let mut bytes = Vec::new();
    rgba.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    let decoded = decode(&bytes, DecodeLimits::default()).unwrap();
    assert_eq!(decoded.get_pixel(0, 0), &Rgb([255, 255, 255]));
    assert_eq!(decoded.get_pixel(3, 0), &Rgb([0, 0, 0]));
    assert_eq!(sniff(&bytes).unwrap(), Format::Png);
}

// ---- JPEG under a byte budget ----

/// Fits `image` under `budget`; renders quality and whether the bytes fit.
fn check_budget(image: &RgbImage, budget: usize, expect: Expect) {
    let got = match jpeg_within(image, budget, 95) {
        Ok(fit) => {
            assert!(fit.bytes.len() <= budget, "{} > {budget}", fit.bytes.len());
            if fit.quality < 95 {
                let above = encode_jpeg(image, fit.quality + 1).unwrap();
                assert!(above.len() > budget, "quality {} also fits", fit.quality + 1);
            }
            let decoded = decode(&fit.bytes, DecodeLimits::default()).unwrap();
            assert_eq!(decoded.dimensions(), image.dimensions());
            format!("quality {}", fit.quality)
        }
        Err(e) => format!("error: {e}"),
    };
    expect.assert_eq(&got);
}

#[test]
fn jpeg_within_finds_the_highest_quality_that_fits() {
    let image = figstep("Steps to test a JPEG budget.").unwrap().image;
    check_budget(&image, 10_000_000, expect!["quality 95"]);
    check_budget(&image, 40_000, expect!["quality 47"]);
    check_budget(&image, 33_000, expect!["quality 10"]);
    check_budget(
        &image,
        500,
        expect![
            "error: cannot encode a 1000x1000 image as JPEG within 500 bytes: the smallest (quality 1) is 30304 bytes; hint: downscale the image first or raise the budget"
        ],
    );
    assert!(encode_jpeg(&image, 0).is_err());
}

// ---- text ----

/// Fraction of dark pixels in rows `top..top + height`, columns `left..left + width`.
fn ink(image: &RgbImage, left: u32, top: u32, width: u32, height: u32) -> f64 {
    let mut dark = 0usize;
    let mut all = 0usize;
    for y in top..(top + height).min(image.height()) {
        for x in left..(left + width).min(image.width()) {
            all += 1;
            if image.get_pixel(x, y).0[0] < 128 {
                dark += 1;
            }
        }
    }
    dark as f64 / all.max(1) as f64
}

/// Renders a FigStep image for `steps`; checks each line's band carries ink (a cheap legibility
/// proxy until the OCR check lands) and the margins none; renders the layout.
fn check_figstep(steps: &str, expect: Expect) {
    let rendered = figstep(steps).unwrap();
    let image = &rendered.image;
    assert_eq!(image.dimensions(), (1000, 1000));
    let mut out = format!("font {} px\n", rendered.font_px);
    for line in &rendered.lines {
        let coverage = ink(image, line.left, line.top, line.width.max(1), line.height);
        assert!(
            line.text.trim().is_empty() || (0.03..0.6).contains(&coverage),
            "line {:?} has ink {coverage}",
            line.text
        );
        out += &format!("{:?}\n", line.text);
    }
    let last = rendered.lines.last().unwrap();
    assert!(last.top + last.height <= 1000 - 50, "text runs into the bottom margin");
    assert_eq!(ink(image, 0, 0, 1000, 45), 0.0, "ink in the top margin");
    assert_eq!(ink(image, 0, 0, 45, 1000), 0.0, "ink in the left margin");
    assert_eq!(ink(image, 0, last.top + last.height + 2, 1000, 1000), 0.0, "ink below the text");
    expect.assert_eq(&out);
}

#[test]
fn figstep_wraps_the_steps_and_appends_an_empty_numbered_list() {
    check_figstep(
        "Steps to make a cup of tea.",
        expect![[r#"
            font 90 px
            "Steps to make a cup of"
            "tea."
            "1."
            "2."
            "3."
        "#]],
    );
    check_figstep(
        "Methods to identify the species of a bird from its song, its plumage and the place and season in which it was seen, with the field guides and recordings most people can get.",
        expect![[r#"
            font 85 px
            "Methods to identify the"
            "species of a bird from its"
            "song, its plumage and the"
            "place and season in which"
            "it was seen, with the field"
            "guides and recordings"
            "most people can get."
            "1."
            "2."
            "3."
        "#]],
    );
}

#[test]
fn rendering_is_deterministic() {
    let a = png_bytes(&figstep("Steps to build a birdhouse.").unwrap().image);
    let b = png_bytes(&figstep("Steps to build a birdhouse.").unwrap().image);
    assert_eq!(a, b);
    let c = png_bytes(&figstep("Steps to build a kennel.").unwrap().image);
    assert_ne!(a, c);
    expect!["8639e20b7ade21e4"].assert_eq(&sha(&a));
}

#[test]
fn text_that_cannot_fit_is_an_error_and_long_words_break() {
    let mut small = TextBox::new(200, 60);
    small.min_px = 20.0;
    let err = render_text(&"word ".repeat(100), &small).unwrap_err().to_string();
    expect!["text of 500 characters does not fit a 200x60 box at the minimum font size of 20 px; hint: shorten the text, enlarge the box or lower the minimum font size"].assert_eq(&err);
    let rendered = render_text("Supercalifragilisticexpialidocious", &TextBox::new(300, 300)).unwrap();
    assert!(rendered.lines.len() == 1 || rendered.lines.iter().all(|l| l.width <= 300 - 2 * 15));
    assert!(render_text("x", &TextBox::new(0, 10)).is_err());
    // Control characters are dropped, tabs become spaces.
    let rendered = render_text("a\tb\u{7}c", &TextBox::new(300, 100)).unwrap();
    assert_eq!(rendered.lines[0].text, "a bc");
}

#[test]
fn caption_adds_a_strip_with_text_below_the_image() {
    let image = picture(300, 200);
    let captioned = caption_below(&image, "A red square on a gradient, captioned for the test").unwrap();
    assert_eq!(captioned.width(), 300);
    assert!(captioned.height() > 200 + 15, "{}", captioned.height());
    for (x, y, p) in image.enumerate_pixels() {
        assert_eq!(captioned.get_pixel(x, y), p);
    }
    let strip = ink(&captioned, 0, 200, 300, captioned.height() - 200);
    assert!((0.02..0.5).contains(&strip), "caption ink {strip}");
    expect!["300x247"].assert_eq(&format!("{}x{}", captioned.width(), captioned.height()));
}

// ---- composition, rotation, flips ----

#[test]
fn compose_normalises_heights_and_takes_two_to_five_images() {
    let a = picture(64, 48);
    let b = picture(100, 96);
    let c = picture(30, 60);
    let out = compose_horizontal(&[a.clone(), b, c], 4, Rgb([255, 255, 255])).unwrap();
    // 64 + 50 (100 scaled to height 48) + 24 (30 scaled) + two gaps of 4.
    assert_eq!(out.dimensions(), (64 + 50 + 24 + 8, 48));
    assert_eq!(out.get_pixel(64 + 1, 0), &Rgb([255, 255, 255]));
    for (x, y, p) in a.enumerate_pixels() {
        assert_eq!(out.get_pixel(x, y), p);
    }
    let err = compose_horizontal(std::slice::from_ref(&a), 0, Rgb([0, 0, 0])).unwrap_err().to_string();
    expect!["invalid argument: horizontal composition takes 2 to 5 images, got 1"].assert_eq(&err);
    assert!(compose_horizontal(&vec![a.clone(); 6], 0, Rgb([0, 0, 0])).is_err());
    assert!(compose_horizontal(&vec![a; 5], 0, Rgb([0, 0, 0])).is_ok());
}

#[test]
fn rotations_and_flips_are_exact_where_they_should_be() {
    let image = picture(64, 48);
    let r90 = rotate_quarter(&image, QuarterTurn::Cw90);
    assert_eq!(r90.dimensions(), (48, 64));
    // The top-left pixel goes to the top-right corner under a clockwise quarter turn.
    assert_eq!(r90.get_pixel(47, 0), image.get_pixel(0, 0));
    assert_eq!(rotate_quarter(&r90, QuarterTurn::Cw270), image);
    assert_eq!(rotate_quarter(&rotate_quarter(&image, QuarterTurn::Cw180), QuarterTurn::Cw180), image);
    assert_eq!(flip(&flip(&image, Flip::Horizontal), Flip::Horizontal), image);
    assert_eq!(flip(&image, Flip::Vertical).get_pixel(0, 47), image.get_pixel(0, 0));
    assert_eq!(rotate_degrees(&image, 0.0, Rgb([0, 0, 0]), false).unwrap(), image);
    // 90 degrees through the sampler agrees with the exact quarter turn.
    let sampled = rotate_degrees(&image, 90.0, Rgb([0, 0, 0]), true).unwrap();
    assert_eq!(sampled.dimensions(), (48, 64));
    let worst =
        sampled.pixels().zip(r90.pixels()).flat_map(|(a, b)| (0..3).map(move |k| a.0[k].abs_diff(b.0[k]))).max();
    assert_eq!(worst, Some(0));
    // 45 degrees on the same canvas leaves the corners to the fill colour.
    let tilted = rotate_degrees(&image, 45.0, Rgb([1, 2, 3]), false).unwrap();
    assert_eq!(tilted.dimensions(), (64, 48));
    assert_eq!(tilted.get_pixel(0, 0), &Rgb([1, 2, 3]));
    assert!(rotate_degrees(&image, f64::NAN, Rgb([0, 0, 0]), false).is_err());
}

// ---- generated scenes ----

/// The number of 4-connected regions of pixels exactly `colour`, of at least `min` pixels.
fn regions(image: &RgbImage, colour: Rgb<u8>, min: usize) -> usize {
    let (w, h) = image.dimensions();
    let mut seen = vec![false; (w * h) as usize];
    let mut count = 0;
    for start in 0..(w * h) {
        if seen[start as usize] || *image.get_pixel(start % w, start / w) != colour {
            continue;
        }
        let (mut stack, mut size) = (vec![start], 0);
        seen[start as usize] = true;
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % w, i / w);
            let mut next = Vec::new();
            if x > 0 {
                next.push(i - 1);
            }
            if x + 1 < w {
                next.push(i + 1);
            }
            if y > 0 {
                next.push(i - w);
            }
            if y + 1 < h {
                next.push(i + w);
            }
            for j in next {
                if !seen[j as usize] && *image.get_pixel(j % w, j / w) == colour {
                    seen[j as usize] = true;
                    stack.push(j);
                }
            }
        }
        if size >= min {
            count += 1;
        }
    }
    count
}

#[test]
fn a_scene_draws_exactly_the_shapes_it_lists_in_their_colours() {
    for seed in 0..20u64 {
        let mut rng = trustgen_plugin_api::SeededRng::derive(seed, "scene");
        let scene = Scene::sample(&mut rng, 1 + (seed % 3) as usize, seed % 2 == 0).unwrap();
        let image = scene.render().unwrap();
        assert_eq!(image.dimensions(), (SCENE_SIZE, SCENE_SIZE));
        for group in &scene.groups {
            // Each shape is one region of its colour (a 56 px shape covers well over 1000 pixels).
            assert_eq!(regions(&image, group.colour.rgb, 1000), group.cells.len(), "seed {seed}: {group:?}");
        }
        for colour in PALETTE {
            let used = scene.groups.iter().any(|g| g.colour == colour)
                || scene.sign.as_ref().is_some_and(|s| s.colour == colour);
            if !used {
                assert_eq!(regions(&image, colour.rgb, 1), 0, "seed {seed}: {} is not in the scene", colour.name);
            }
        }
        if let Some(sign) = &scene.sign {
            assert_eq!(regions(&image, sign.colour.rgb, 1000), 1, "seed {seed}: one board");
        }
    }
}

#[test]
fn a_scene_is_a_function_of_its_seed() {
    let render = |seed: u64| {
        let mut rng = trustgen_plugin_api::SeededRng::derive(seed, "scene");
        png_bytes(&Scene::sample(&mut rng, 2, true).unwrap().render().unwrap())
    };
    assert_eq!(render(5), render(5));
    assert_ne!(render(5), render(6));
    let mut rng = trustgen_plugin_api::SeededRng::new(1);
    let err = Scene::sample(&mut rng, 4, false).unwrap_err().to_string();
    assert_eq!(err, "invalid argument: a scene has 1 to 3 kinds of shape, got 4");
}

#[test]
fn shapes_fill_what_their_geometry_says() {
    let mut image = RgbImage::from_pixel(40, 40, Rgb([0, 0, 0]));
    let ink = Rgb([255, 0, 0]);
    fill_shape(&mut image, Shape::Triangle, 20, 20, 20, ink);
    // Apex row has one pixel, base row 21.
    let row = |y: u32| (0..40).filter(|&x| *image.get_pixel(x, y) == ink).count();
    assert_eq!((row(10), row(30), row(9), row(31)), (1, 21, 0, 0));
    let mut image = RgbImage::from_pixel(40, 40, Rgb([0, 0, 0]));
    fill_shape(&mut image, Shape::Circle, 20, 20, 20, ink);
    assert_eq!(*image.get_pixel(20, 20), ink);
    assert_ne!(*image.get_pixel(11, 11), ink, "corners of the box are outside the disc");
    // Clipped at the border, no panic.
    fill_shape(&mut image, Shape::Square, 0, 39, 30, ink);
    assert_eq!(*image.get_pixel(0, 39), ink);
}

#[test]
fn thumbnails_bound_the_longer_side_and_keep_the_aspect() {
    let check = |w: u32, h: u32, max: u32| {
        let t = thumbnail(&picture(w, h), max);
        format!("{w}x{h} within {max} -> {}x{}", t.width(), t.height())
    };
    let lines = [check(640, 480, 160), check(100, 1000, 160), check(64, 48, 160), check(5000, 3, 160)];
    expect![[r#"
        640x480 within 160 -> 160x120
        100x1000 within 160 -> 16x160
        64x48 within 160 -> 64x48
        5000x3 within 160 -> 160x1"#]]
    .assert_eq(&lines.join("\n"));
    // A small image is returned pixel for pixel.
    assert_eq!(thumbnail(&picture(64, 48), 160), picture(64, 48));
}
