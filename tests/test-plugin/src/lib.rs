//! `testdim`: a small, real dimension plugin that proves the plugin
//! mechanism end to end, linked and as a dynamic library.
//!
//! Its one task, `arithmetic`, asks sums built from the run seed. Scoring
//! reads the last integer of the answer; when the answer has no digits it asks
//! the judge model to state the number (one step of the step protocol), so
//! the conformance tests exercise a call that returns model requests and is
//! called again with the replies.
//!
//! Its second task, `picture` (for the `vlm` model type), makes an image at
//! build time: a small solid-colour PNG drawn in code and attached to the
//! build's output as bytes ([`Cx::attach_image`]). Every case shows the same
//! red square, so the run store must hold it once; odd cases add a second,
//! blue one (multi-image prompts). It is graded by whether the answer names
//! the colour.
//!
//! Its third task, `photo` (for `vlm`, used by `cargo xtask bench --vlm`),
//! attaches one distinct image per case: a square of option `side` pixels
//! (default 64, at most 2048) in red, green or blue with the case number
//! drawn into its first row, stored uncompressed, so N cases make N images of
//! about 3·side² bytes each. It is graded like `picture`.
//!
//! `picture` and `photo` build only the window of cases the host asks for
//! ([`BuildInput::window`], one item = one case) and report the whole build's
//! number of cases, with the plugin API alone ([`BuildWindow::range`]); `arithmetic`
//! ignores the window and returns the whole build, as a plugin built before windows
//! existed does.

use trustgen_plugin_api::{
    BuildInput, BuildOutput, BuildWindow, Cx, Dimension, GenParams, Manifest, MetricKind, MetricSpec, ModelRequest,
    ModelRole, Prompt, QuestionFormat, ScoreInput, SeededRng, Step, TaskSpec, TestCase, VariationOp, Verdict, fail,
};

/// The plugin.
#[derive(Debug)]
pub struct TestDim;

impl TestDim {
    /// Constructs the plugin (panics under the `panic-in-constructor` feature).
    pub fn new() -> TestDim {
        if cfg!(feature = "panic-in-constructor") {
            panic!("testdim was built to panic in its constructor");
        }
        TestDim
    }
}

fn last_integer(text: &str) -> Option<i64> {
    let mut last = None;
    let mut current = String::new();
    for ch in text.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_digit() || (ch == '-' && current.is_empty()) {
            current.push(ch);
        } else {
            if let Ok(n) = current.parse::<i64>() {
                last = Some(n);
            }
            current.clear();
        }
    }
    last
}

impl Dimension for TestDim {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            // The models it may ask for: the engine checks them before a run sends anything.
            .with_models(vec![trustgen_plugin_api::ModelRole::Judge])
            .with_description("Test dimension: sums of two numbers, graded by the last integer in the answer.")
            .with_tasks(vec![
                TaskSpec::new(
                    "arithmetic",
                    MetricSpec::new("accuracy")
                        .with_description("fraction of sums answered correctly")
                        .with_kind(MetricKind::Proportion)
                        .with_policy("a missing answer counts as wrong"),
                )
                .with_description("What is a + b? Numbers are drawn from the run seed.")
                .with_model_types(vec!["llm".into()])
                .with_variations(vec![VariationOp::Paraphrase])
                .with_default_limit(5),
                TaskSpec::new(
                    "picture",
                    MetricSpec::new("accuracy")
                        .with_description("fraction of answers naming the colour of the first image")
                        .with_kind(MetricKind::Proportion)
                        .with_policy("a missing answer counts as wrong"),
                )
                .with_description("What colour is this square? The image is drawn at build time.")
                .with_model_types(vec!["vlm".into()])
                .with_default_limit(2),
                TaskSpec::new(
                    "photo",
                    MetricSpec::new("accuracy")
                        .with_description("fraction of answers naming the colour of the image")
                        .with_kind(MetricKind::Proportion)
                        .with_policy("a missing answer counts as wrong"),
                )
                .with_description("What colour is this square? One distinct image per case, drawn at build time.")
                .with_model_types(vec!["vlm".into()])
                .with_default_limit(2),
            ])
    }

    fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        if cfg!(feature = "slow-build") {
            std::thread::sleep(std::time::Duration::from_millis(1500));
        }
        if input.task == "picture" {
            return Ok(build_pictures(cx, input.limit.unwrap_or(2), input.window));
        }
        if input.task == "photo" {
            let side = match input.options.get("side") {
                None => 64,
                Some(v) => match v.as_u64().filter(|s| (1..=2048).contains(s)) {
                    Some(side) => side as u32,
                    None => fail!("testdim option `side` must be a whole number of pixels from 1 to 2048, got {v}"),
                },
            };
            return Ok(build_photos(cx, input.limit.unwrap_or(2), side, input.window));
        }
        if input.task != "arithmetic" {
            fail!("testdim has no task `{}`", input.task);
        }
        let n = input.limit.unwrap_or(5);
        let cases = (0..n)
            .map(|i| {
                let mut rng = SeededRng::derive(input.seed, &format!("arithmetic/{i}"));
                let (a, b) = (rng.below(1000) as i64, rng.below(1000) as i64);
                TestCase::new(
                    format!("testdim/arithmetic/{i}"),
                    "arithmetic",
                    vec![Prompt::user(format!("What is {a} + {b}? Reply with the number."))],
                )
                .with_format(QuestionFormat::OpenEnded)
                .with_ground_truth((a + b).to_string())
            })
            .collect();
        Ok(BuildOutput::new(cases))
    }

    fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
        if input.case.task == "picture" || input.case.task == "photo" {
            let truth = input.case.ground_truth.clone().unwrap_or_default();
            let Some(answer) = input.output.main_text() else {
                return Ok((Verdict::missing("the target gave no answer")).with_score(0.0));
            };
            let correct = answer.to_lowercase().contains(&truth);
            return Ok(Verdict::scored(if correct { 1.0 } else { 0.0 })
                .with_label(if correct { "correct" } else { "wrong" })
                .with_judge("rule:names-colour@1"));
        }
        let Some(truth) = input.case.ground_truth.as_deref().and_then(|t| t.parse::<i64>().ok()) else {
            fail!("case {} has no numeric ground truth", input.case.id);
        };
        let Some(answer) = input.output.main_text() else {
            return Ok((Verdict::missing("the target gave no answer")).with_score(0.0));
        };
        let (number, judge) = match last_integer(answer) {
            Some(n) => (Some(n), "rule:last-integer@1"),
            None => {
                let question = format!(
                    "What number does the following text state? Reply with digits only, or NONE.\n\nText: {answer}"
                );
                let reply = cx.ask(
                    ModelRequest::user(ModelRole::Judge, question)
                        .with_params(GenParams::greedy())
                        .with_purpose("judge:number@1"),
                )?;
                (reply.ok_text().and_then(last_integer), "llm:number@1")
            }
        };
        let correct = number == Some(truth);
        let mut verdict = Verdict::scored(if correct { 1.0 } else { 0.0 })
            .with_label(if correct { "correct" } else { "wrong" })
            .with_judge(judge);
        verdict.extracted = number.map(|n| n.to_string());
        Ok(verdict)
    }
}

/// The cases of `window` (all when none) among `n`, and the output of those cases: with the
/// whole build's number of cases when a window was asked.
fn windowed(
    n: usize,
    window: Option<BuildWindow>,
    cases: impl FnOnce(std::ops::Range<usize>) -> Vec<TestCase>,
) -> BuildOutput {
    let range = window.map_or(0..n, |w| w.range(n));
    BuildOutput::new(cases(range)).with_items(window.map(|_| n))
}

/// `n` cases asking the colour of a red square drawn now; odd cases add a blue one.
fn build_pictures(cx: &mut Cx, n: usize, window: Option<BuildWindow>) -> BuildOutput {
    windowed(n, window, |range| {
        range
            .map(|i| {
                let mut images = vec![cx.attach_image("image/png", &solid_png(4, 4, [255, 0, 0]))];
                if i % 2 == 1 {
                    images.push(cx.attach_image("image/png", &solid_png(4, 4, [0, 0, 255])));
                }
                let prompt = Prompt::user("What colour is the first square? Reply with one word.").with_images(images);
                TestCase::new(format!("testdim/picture/{i}"), "picture", vec![prompt])
                    .with_format(QuestionFormat::OpenEnded)
                    .with_ground_truth("red")
            })
            .collect()
    })
}

/// The colours of `photo` cases, by case number modulo 3.
const PHOTO_COLOURS: [(&str, [u8; 3]); 3] = [("red", [220, 20, 20]), ("green", [20, 200, 20]), ("blue", [20, 20, 220])];

/// `n` cases, each with its own `side`×`side` image (see the crate documentation).
fn build_photos(cx: &mut Cx, n: usize, side: u32, window: Option<BuildWindow>) -> BuildOutput {
    windowed(n, window, |range| {
        range
            .map(|i| {
                let (name, _) = PHOTO_COLOURS[i % 3];
                let image = cx.attach_image("image/png", &photo_png(side, i));
                let prompt = Prompt::user("What colour is this square? Reply with one word.").with_images(vec![image]);
                TestCase::new(format!("testdim/photo/{i}"), "photo", vec![prompt])
                    .with_format(QuestionFormat::OpenEnded)
                    .with_ground_truth(name)
            })
            .collect()
    })
}

/// The image of `photo` case `i`: a `side`×`side` square of its colour whose first row carries the
/// bytes of `i` (so every case's image differs).
pub fn photo_png(side: u32, i: usize) -> Vec<u8> {
    let (_, rgb) = PHOTO_COLOURS[i % 3];
    let mut pixels: Vec<u8> = (0..side * side).flat_map(|_| rgb).collect();
    for (k, byte) in (i as u64).to_le_bytes().iter().enumerate() {
        if let Some(p) = pixels.get_mut(k) {
            *p = *byte;
        }
    }
    png_of(side, side, &pixels)
}

/// A `width` x `height` PNG of one RGB colour: signature, IHDR, one IDAT of
/// uncompressed (stored) deflate blocks in a zlib stream, IEND.
pub fn solid_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let pixels: Vec<u8> = (0..width * height).flat_map(|_| rgb).collect();
    png_of(width, height, &pixels)
}

/// A PNG of `width` x `height` RGB `pixels` (row by row), stored uncompressed.
fn png_of(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    // Each row: filter type 0 (none), then the pixels.
    let raw: Vec<u8> =
        pixels.chunks(width as usize * 3).flat_map(|row| std::iter::once(0).chain(row.iter().copied())).collect();
    let mut zlib = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    while let Some(block) = blocks.next() {
        zlib.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(&data);
        let crc = crc32(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    png
}

/// CRC-32 (IEEE), as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

trustgen_plugin_api::export_plugin!(name: "testdim", dimension: TestDim::new());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drawn_png_has_valid_chunks() {
        let png = solid_png(4, 4, [255, 0, 0]);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        // The CRC of IEND (no data) is a published constant.
        assert_eq!(&png[png.len() - 4..], &[0xAE, 0x42, 0x60, 0x82]);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn pictures_share_the_red_square_and_odd_cases_add_a_blue_one() {
        let (built, requests) = trustgen_plugin_api::step::drive(
            |cx| TestDim.build(cx, &BuildInput::new("picture", 1).with_limit(2)),
            |_| Vec::new(),
        )
        .unwrap();
        assert!(requests.is_empty());
        let sources: Vec<Vec<String>> = built
            .cases
            .iter()
            .map(|c| c.prompts[0].images.iter().map(|i| format!("{:?}", i.source)).collect())
            .collect();
        let red = solid_png(4, 4, [255, 0, 0]).len();
        let blue = solid_png(4, 4, [0, 0, 255]).len();
        assert_eq!(
            sources,
            [
                vec![format!("Blob {{ offset: 0, len: {red} }}")],
                vec![format!("Blob {{ offset: 0, len: {red} }}"), format!("Blob {{ offset: {red}, len: {blue} }}")],
            ]
        );
    }

    #[test]
    fn every_photo_case_has_its_own_image_of_the_side_asked() {
        let build = |side: serde_json::Value| {
            let mut options = trustgen_plugin_api::JsonMap::new();
            options.insert("side".into(), side);
            trustgen_plugin_api::step::drive(
                |cx| TestDim.build(cx, &BuildInput::new("photo", 1).with_limit(4).with_options(options.clone())),
                |_| Vec::new(),
            )
        };
        let (built, _) = build(serde_json::json!(32)).unwrap();
        let lens: Vec<String> =
            built.cases.iter().map(|c| format!("{:?} {:?}", c.prompts[0].images[0].source, c.ground_truth)).collect();
        let len = photo_png(32, 0).len();
        assert_eq!(len, 8 + 25 + 12 + (2 + 5 + 32 * 97 + 4) + 12, "signature, IHDR, IDAT, IEND");
        assert_eq!(
            lens,
            (0..4)
                .map(|i| format!(
                    "Blob {{ offset: {}, len: {len} }} Some({:?})",
                    i * len,
                    ["red", "green", "blue"][i % 3]
                ))
                .collect::<Vec<_>>()
        );
        assert_ne!(photo_png(32, 0), photo_png(32, 3), "same colour, different case: different bytes");
        let err = build(serde_json::json!(0)).unwrap_err();
        assert!(format!("{err:?}").contains("option `side` must be a whole number of pixels from 1 to 2048, got 0"));
    }

    #[test]
    fn last_integer_reads_the_final_number() {
        assert_eq!(last_integer("2 + 3 is 5."), Some(5));
        assert_eq!(last_integer("-4"), Some(-4));
        assert_eq!(last_integer("none"), None);
    }
}
