//! `vlm-robust-caption` and `vlm-robust-vqav2`: cases from rows and the images beside the input,
//! recorded skips, the judge that sees both images with the references, the VQA accuracy grading.

use expect_test::{Expect, expect};
use serde_json::{Value, json};
use trustgen_image::{Scene, encode_png};
use trustgen_plugin_api::{BuildInput, ChatRole, Cx, Image, ImageSource, ModelRequest, RequestKind, TestCase};
use trustgen_plugin_kit::testing::{self, Models, answers, show_verdict_compact as show};

use super::*;
use crate::Robustness;

/// Three drawn PNGs back to back (the bytes beside the input) and their images.
fn pictures() -> (Vec<u8>, Vec<Image>) {
    let mut bytes = Vec::new();
    let mut images = Vec::new();
    for seed in 0..3u64 {
        let scene = Scene::sample(&mut SeededRng::new(seed), 1, false).unwrap();
        let png = encode_png(&scene.render().unwrap()).unwrap();
        images.push(Image::new("image/png", ImageSource::Blob { offset: bytes.len(), len: png.len() }));
        bytes.extend_from_slice(&png);
    }
    (bytes, images)
}

/// A row as the host hands it over: with its image, or the reason it has none.
fn with_image(mut row: Value, image: Result<&Image, &str>) -> Value {
    match image {
        Ok(image) => row["_image"] = serde_json::to_value(image).unwrap(),
        Err(why) => row["_image_error"] = json!(why),
    }
    row
}

fn coco_rows(images: &[Image]) -> Vec<(&'static str, Vec<Value>)> {
    vec![
        (
            sources::COCO_IMAGES.name,
            vec![
                with_image(json!({"id": 1, "file_name": "COCO_val2014_000000000001.jpg"}), Ok(&images[0])),
                with_image(json!({"id": 2, "file_name": "COCO_val2014_000000000002.jpg"}), Ok(&images[1])),
                with_image(
                    json!({"id": 3, "file_name": "COCO_val2014_000000000003.jpg"}),
                    Err(
                        "coco_images image `coco/val2014/COCO_val2014_000000000003.jpg` is not a PNG, JPEG, GIF or WebP image",
                    ),
                ),
                json!({"id": 4, "file_name": "COCO_val2014_000000000004.jpg"}),
            ],
        ),
        (
            sources::COCO_CAPTIONS.name,
            vec![
                json!({"image_id": 1, "caption": "A red circle on a white background."}),
                json!({"image_id": 2, "caption": "Two shapes side by side."}),
                json!({"image_id": 1, "caption": "One round red shape."}),
                json!({"image_id": 3, "caption": "A broken file."}),
            ],
        ),
    ]
}

fn vqav2_rows(images: &[Image]) -> Vec<(&'static str, Vec<Value>)> {
    let answers =
        |a: &str, b: &str| json!((0..10).map(|i| json!({"answer": if i < 7 { a } else { b }})).collect::<Vec<_>>());
    vec![
        (
            sources::VQAV2_QUESTIONS.name,
            vec![
                with_image(
                    json!({"image_id": 1, "question": "What colour is the shape?", "question_id": 10}),
                    Ok(&images[0]),
                ),
                with_image(
                    json!({"image_id": 2, "question": "How many shapes are there?", "question_id": 20}),
                    Ok(&images[2]),
                ),
                with_image(json!({"image_id": 2, "question": "Is there a dog?", "question_id": 21}), Ok(&images[2])),
                with_image(json!({"image_id": 5, "question": "Where is it?", "question_id": 50}), Ok(&images[1])),
            ],
        ),
        (
            sources::VQAV2_ANNOTATIONS.name,
            vec![
                json!({"question_id": 10, "answers": answers("red", "orange"), "multiple_choice_answer": "red", "answer_type": "other"}),
                json!({"question_id": 20, "answers": answers("2", "3"), "multiple_choice_answer": "2", "answer_type": "number"}),
                json!({"question_id": 21, "answers": answers("no", "yes"), "multiple_choice_answer": "no", "answer_type": "yes/no"}),
            ],
        ),
    ]
}

fn input(task: &str, data: Vec<(&str, Vec<Value>)>, models: Models, options: Value) -> BuildInput {
    testing::build_input(task, 4, Some(5), data, models, options)
}

fn build(task: &str, data: Vec<(&str, Vec<Value>)>, models: Models, options: Value, bytes: Vec<u8>) -> BuildOutput {
    let input = input(task, data, models, options);
    let mut cx = Cx::with_input_bytes(bytes);
    let built = if task == CAPTION { build_caption(&mut cx, &input) } else { build_vqav2(&mut cx, &input) };
    built.unwrap_or_else(|e| panic!("{e:?}"))
}

/// The cases (id, mode, prompts, ground truth) and the skips of a build.
fn check(out: &BuildOutput, expected: Expect) {
    let mut lines: Vec<String> = out
        .cases
        .iter()
        .map(|c| {
            format!(
                "{} mode={} {:?} | {:?} | truth={:?}",
                c.id,
                c.metadata["mode"],
                c.prompts[0].turns[0],
                c.prompts[1].turns[0],
                c.ground_truth.as_deref().unwrap_or("").replace('\n', " / ")
            )
        })
        .collect();
    lines.extend(out.skipped.iter().map(|s| format!("skipped {}: {}", s.item, s.reason)));
    expected.assert_eq(&lines.join("\n"));
}

fn options() -> Value {
    json!({"coco_dir": "coco", "vqav2_dir": "vqa"})
}

#[test]
fn captions_pair_each_coco_image_with_a_perturbed_copy_and_skip_bad_images_by_file() {
    let (bytes, images) = pictures();
    let out = build(CAPTION, coco_rows(&images), Models::JUDGE, options(), bytes);
    check(
        &out,
        expect![[r#"
            robustness/vlm-robust-caption/0 mode="image_text" "Describe this image in one sentence." | "Descrie this imae in one sentece." | truth="1. A red circle on a white background. / 2. One round red shape."
            robustness/vlm-robust-caption/1 mode="image" "Describe this image in one sentence." | "Describe this image in one sentence." | truth="1. Two shapes side by side."
            skipped coco/annotations/captions_val2014.json images[4] (COCO_val2014_000000000004.jpg): no caption in `annotations` for this image
            skipped coco/val2014/COCO_val2014_000000000003.jpg: coco_images image `coco/val2014/COCO_val2014_000000000003.jpg` is not a PNG, JPEG, GIF or WebP image"#]],
    );
    for case in &out.cases {
        let (clean, perturbed) = (&case.prompts[0].images[0], &case.prompts[1].images[0]);
        assert_eq!(case.metadata["mode"] == "text", clean == perturbed, "{}", case.id);
    }
}

#[test]
fn vqav2_joins_questions_and_answers_by_question_id() {
    let (bytes, images) = pictures();
    let out = build(VQAV2, vqav2_rows(&images), Models::NONE, options(), bytes);
    check(
        &out,
        expect![[r#"
            robustness/vlm-robust-vqav2/0 mode="image_text" "What colour is the shape? Answer the question using a single word or phrase." | "What coloour is the sshape? Answer the question using a single word or phrase." | truth="red"
            robustness/vlm-robust-vqav2/1 mode="image" "How many shapes are there? Answer the question using a single word or phrase." | "How many shapes are there? Answer the question using a single word or phrase." | truth="2"
            robustness/vlm-robust-vqav2/2 mode="text" "Is there a dog? Answer the question using a single word or phrase." | "Is there a dig? Answer the question using a single word or phrase." | truth="no"
            skipped vqa/v2_OpenEnded_mscoco_val2014_questions.json questions[4] (question 50): no answers in vqa/v2_mscoco_val2014_annotations.json"#]],
    );
}

#[test]
fn without_the_folders_files_or_judge_the_tasks_build_nothing_and_say_why() {
    let (bytes, images) = pictures();
    let lines: Vec<String> = [
        (CAPTION, json!({}), Models::JUDGE, true),
        (CAPTION, options(), Models::NONE, true),
        (CAPTION, options(), Models::JUDGE, false),
        (VQAV2, json!({"coco_dir": "coco"}), Models::NONE, true),
        (VQAV2, json!({"vqav2_dir": "vqa"}), Models::NONE, true),
        (VQAV2, options(), Models::NONE, false),
    ]
    .into_iter()
    .map(|(task, options, models, data)| {
        let rows = match (data, task) {
            (false, _) => vec![],
            (true, CAPTION) => coco_rows(&images),
            (true, _) => vqav2_rows(&images),
        };
        let out = build(task, rows, models, options, bytes.clone());
        assert!(out.cases.is_empty());
        format!(
            "{task}: {}",
            out.skipped.iter().map(|s| format!("{} {}", s.item, s.reason)).collect::<Vec<_>>().join("; ")
        )
    })
    .collect();
    expect![[r#"
        vlm-robust-caption: (task) needs the user's COCO folder: set `coco_dir` in this dimension's options to a folder of the data directory holding annotations/captions_val2014.json and val2014/ (cocodataset.org; not bundled: the images are under their owners' Flickr terms)
        vlm-robust-caption: (task) needs a judge that sees images ([models.judge] of type vlm): captions have no offline answer key
        vlm-robust-caption: (task) coco/annotations/captions_val2014.json was not found in the data directory (option `coco_dir`)
        vlm-robust-vqav2: (task) needs the user's VQAv2 files: set `vqav2_dir` in this dimension's options to a folder of the data directory holding v2_OpenEnded_mscoco_val2014_questions.json and v2_mscoco_val2014_annotations.json, and `coco_dir` to the COCO folder with val2014/ (visualqa.org; not bundled)
        vlm-robust-vqav2: (task) needs the COCO images of the questions: set `coco_dir` to a folder of the data directory holding val2014/COCO_val2014_<12-digit id>.jpg
        vlm-robust-vqav2: (task) vqa/v2_OpenEnded_mscoco_val2014_questions.json was not found in the data directory (option `vqav2_dir`)"#]].assert_eq(&lines.join("\n"));
}

fn vqav2_case() -> TestCase {
    let (bytes, images) = pictures();
    build(VQAV2, vqav2_rows(&images), Models::NONE, options(), bytes).cases.remove(0)
}

#[test]
fn vqav2_answers_are_graded_by_the_vqa_accuracy_rule() {
    let case = vqav2_case();
    let lines: Vec<String> = [("Red", "red."), ("Red, I think.", "orange"), ("red", "blue"), ("blue", "red")]
        .iter()
        .map(|(clean, perturbed)| {
            let input = testing::score_input(
                &case,
                answers(&[("clean", &[clean]), ("perturbed", &[perturbed])]),
                Models::JUDGE,
                Value::Null,
            );
            let (verdict, asked) = testing::score(&Robustness, &input, |r| panic!("asked a model: {r:?}"));
            assert!(asked.is_empty());
            format!("{clean:?} / {perturbed:?} => {}", show(&verdict))
        })
        .collect();
    expect![[r#"
        "Red" / "red." => Scored score=Some(1.0) label="kept" judge="rule:vqa-accuracy@1" clean_accuracy=1 clean_vqa_accuracy=1 perturbed_accuracy=1 perturbed_vqa_accuracy=1 robustness/spatter=1
        "Red, I think." / "orange" => Scored score=Some(1.0) label="kept" judge="rule:vqa-accuracy@1" clean_accuracy=1 clean_vqa_accuracy=1 perturbed_accuracy=1 perturbed_vqa_accuracy=1 robustness/spatter=1
        "red" / "blue" => Scored score=Some(0.0) label="lost" judge="rule:vqa-accuracy@1" clean_accuracy=1 clean_vqa_accuracy=1 perturbed_accuracy=0 perturbed_vqa_accuracy=0 robustness/spatter=0
        "blue" / "red" => Scored score=None label="clean-wrong" judge="rule:vqa-accuracy@1" clean_accuracy=0 clean_vqa_accuracy=0 perturbed_accuracy=1 perturbed_vqa_accuracy=1"#]].assert_eq(&lines.join("\n"));
}

#[test]
fn the_caption_judge_sees_both_images_and_the_reference_captions() {
    let (bytes, images) = pictures();
    let out = build(CAPTION, coco_rows(&images), Models::JUDGE, options(), bytes);
    let case = &out.cases[0];
    let input = testing::score_input(
        case,
        answers(&[("clean", &["A red circle."]), ("perturbed", &["A blurry orange blob."])]),
        Models::JUDGE,
        Value::Null,
    );
    let mut seen: Vec<ModelRequest> = Vec::new();
    let (verdict, _) = testing::score(&Robustness, &input, |request| {
        seen.push(request.clone());
        testing::recorded(&[r#"{"reason": "b is not faithful", "original_correct": true, "perturbed_correct": false}"#])(
            request,
        )
    });
    expect![[r#"Scored score=Some(0.0) label="lost" judge="llm:image_pairwise_robustness@1" clean_accuracy=1 perturbed_accuracy=0 robustness/motion_blur=0"#]].assert_eq(&show(&verdict));
    let RequestKind::Chat(chat) = &seen[0].kind else { panic!("a chat request") };
    let user = chat.messages.iter().rev().find(|m| m.role == ChatRole::User).unwrap();
    let expected: Vec<_> = case.prompts.iter().map(|p| p.images[0].clone()).collect();
    assert_eq!(user.images, expected, "clean first, perturbed second");
    assert!(user.content.contains("One round red shape.") && user.content.contains("A blurry orange blob."));
}

/// Eight COCO images (drawn PNGs; the fourth's bytes cut short, so the host took it for a PNG but
/// it does not decode) and their rows, the sixth with the host's read error instead of an image.
fn many_coco_rows() -> (Vec<u8>, Vec<(&'static str, Vec<Value>)>) {
    let mut bytes = Vec::new();
    let (mut images, mut captions) = (Vec::new(), Vec::new());
    for id in 0..8u64 {
        let scene = Scene::sample(&mut SeededRng::new(id), 1, false).unwrap();
        let mut png = encode_png(&scene.render().unwrap()).unwrap();
        if id == 3 {
            png.truncate(40);
        }
        let image = Image::new("image/png", ImageSource::Blob { offset: bytes.len(), len: png.len() });
        bytes.extend_from_slice(&png);
        let row = json!({"id": id, "file_name": format!("COCO_val2014_{id:012}.jpg")});
        images.push(with_image(row, if id == 5 { Err("the file is missing") } else { Ok(&image) }));
        captions.push(json!({"image_id": id, "caption": format!("Picture {id}.")}));
    }
    (bytes, vec![(sources::COCO_IMAGES.name, images), (sources::COCO_CAPTIONS.name, captions)])
}

/// A build as the host makes it: windows of `len` items (none: one call), concatenated, until
/// the whole build's number of items or the case limit; the cases as JSON (images by their
/// size) and the skips, and the number of calls.
fn build_in_windows(
    task: &str,
    input: &BuildInput,
    bytes: &[u8],
    len: Option<usize>,
) -> ((Vec<String>, Vec<String>), usize) {
    let (mut cases, mut skipped) = (Vec::new(), Vec::new());
    let mut start = 0;
    let mut calls = 0;
    loop {
        calls += 1;
        let input = input.clone().with_window(len.map(|len| trustgen_plugin_api::BuildWindow::new(start, len)));
        let mut cx = Cx::with_input_bytes(bytes.to_vec());
        let out = if task == CAPTION { build_caption(&mut cx, &input) } else { build_vqav2(&mut cx, &input) };
        let out = out.unwrap_or_else(|e| panic!("{e:?}"));
        skipped.extend(out.skipped.iter().map(|s| format!("{}: {}", s.item, s.reason)));
        let room = input.limit.map_or(usize::MAX, |limit| limit.saturating_sub(cases.len()));
        cases.extend(out.cases.iter().take(room).map(|case| {
            let mut case = case.clone();
            for image in case.prompts.iter_mut().flat_map(|p| p.images.iter_mut()) {
                // The offsets are the call's own; the bytes are compared by the integration
                // test `plugins::windowed_builds_of_every_task_equal_the_whole_build`.
                if let ImageSource::Blob { len, .. } = image.source {
                    image.source = ImageSource::Base64(format!("{len} bytes"));
                }
            }
            serde_json::to_string(&case).unwrap()
        }));
        let (Some(len), Some(items)) = (len, out.items) else { return ((cases, skipped), calls) };
        start += len;
        if start >= items || input.limit.is_some_and(|limit| cases.len() >= limit) {
            return ((cases, skipped), calls);
        }
    }
}

#[test]
fn the_coco_and_vqav2_tasks_built_in_windows_equal_the_whole_build() {
    let (bytes, data) = many_coco_rows();
    let (pictures, images) = pictures();
    let vqav2 = vqav2_rows(&images);
    for (task, data, bytes) in [(CAPTION, data, bytes), (VQAV2, vqav2, pictures)] {
        let input = testing::build_input(task, 4, Some(5), data, Models::JUDGE, options());
        let (whole, _) = build_in_windows(task, &input, &bytes, None);
        assert!(!whole.0.is_empty(), "{task}: the whole build has cases");
        for len in [1, 2, 3, 32] {
            let (windowed, calls) = build_in_windows(task, &input, &bytes, Some(len));
            assert_eq!(windowed, whole, "{task}: windows of {len}");
            assert!(
                len > 1 || calls >= whole.0.len(),
                "{task}: windows of one item: {calls} calls, the window ignored"
            );
        }
        if task == CAPTION {
            // Ids from the whole build's count of cases; both bad images skipped, each once.
            let ids: Vec<Value> =
                whole.0.iter().map(|c| serde_json::from_str::<Value>(c).unwrap()["id"].clone()).collect();
            expect![[r#"[String("robustness/vlm-robust-caption/0"), String("robustness/vlm-robust-caption/1"), String("robustness/vlm-robust-caption/2"), String("robustness/vlm-robust-caption/3"), String("robustness/vlm-robust-caption/4")]"#]].assert_eq(&format!("{ids:?}"));
            expect![[r#"
                coco/val2014/COCO_val2014_000000000005.jpg: the file is missing
                coco/val2014/COCO_val2014_000000000003.jpg: unreadable image (40 bytes): unexpected end of file; hint: the file may be truncated or corrupt, re-export it as PNG or JPEG"#]].assert_eq(&whole.1.join("\n"));
        }
    }
    // Without the folder, the task is skipped once, whatever the window.
    let input = testing::build_input(CAPTION, 4, Some(5), Vec::new(), Models::JUDGE, json!({}));
    for len in [None, Some(1), Some(3)] {
        let ((cases, skipped), _) = build_in_windows(CAPTION, &input, &[], len);
        assert_eq!((cases.len(), skipped.len()), (0, 1), "windows of {len:?}");
    }
}
