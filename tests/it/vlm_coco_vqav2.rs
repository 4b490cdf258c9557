//! Robustness on the user's COCO captions and VQAv2 (`vlm-robust-caption`, `vlm-robust-vqav2`)
//! end to end against the test server: a hand-made COCO folder (JPEGs drawn with trustgen-image,
//! one file that is not an image) and VQAv2 files in the benchmarks' own JSON-object layout, read
//! by the host (named arrays, a seeded row sample recorded in the manifest, the images beside the
//! build input); the cases pair the clean and the perturbed image, the caption judge sees both
//! images and the reference captions, VQAv2 is graded by the VQA accuracy rule, the bad image is a
//! skip naming its file; without the folders the tasks say why.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use trustgen_image::{Scene, encode_jpeg};
use trustgen_plugin_api::SeededRng;

use crate::support::{jsonl, run_suite, scripted_server, vlm_suite};

/// `data/coco` (captions file, three drawn JPEGs, id 4 not an image) and `data/vqa`.
fn folders(data: &Path) {
    let images = data.join("coco/val2014");
    std::fs::create_dir_all(&images).unwrap();
    std::fs::create_dir_all(data.join("coco/annotations")).unwrap();
    std::fs::create_dir_all(data.join("vqa")).unwrap();
    for id in 1..=3u64 {
        let scene = Scene::sample(&mut SeededRng::new(id), 1, id == 2).unwrap();
        let jpeg = encode_jpeg(&scene.render().unwrap(), 90).unwrap();
        std::fs::write(images.join(format!("COCO_val2014_{id:012}.jpg")), jpeg).unwrap();
    }
    std::fs::write(images.join("COCO_val2014_000000000004.jpg"), b"not a jpeg at all").unwrap();
    let name = |id: u64| format!("COCO_val2014_{id:012}.jpg");
    let captions = json!({
        "info": {"description": "hand-made for trustgen's tests"},
        "images": (1..=4).map(|id| json!({"id": id, "file_name": name(id), "width": 384, "height": 384})).collect::<Vec<_>>(),
        "licenses": [],
        "annotations": [
            {"id": 11, "image_id": 1, "caption": "Coloured shapes drawn on a pale background."},
            {"id": 12, "image_id": 2, "caption": "A sign with a word next to some shapes."},
            {"id": 13, "image_id": 3, "caption": "Several geometric shapes in one colour."},
            {"id": 14, "image_id": 1, "caption": "Simple flat shapes, nothing else."},
            {"id": 15, "image_id": 4, "caption": "This file is broken."}
        ]
    });
    std::fs::write(data.join("coco/annotations/captions_val2014.json"), captions.to_string()).unwrap();
    let questions = json!({
        "info": {}, "task_type": "Open-Ended", "data_type": "mscoco", "data_subtype": "val2014",
        "questions": [
            {"image_id": 1, "question": "What colour are the shapes?", "question_id": 1000},
            {"image_id": 1, "question": "Is there a sign?", "question_id": 1001},
            {"image_id": 2, "question": "How many signs are there?", "question_id": 2000},
            {"image_id": 3, "question": "Is there a dog?", "question_id": 3000},
            {"image_id": 4, "question": "What is this?", "question_id": 4000}
        ]
    });
    std::fs::write(data.join("vqa/v2_OpenEnded_mscoco_val2014_questions.json"), questions.to_string()).unwrap();
    let answers = |a: &str, b: &str| {
        (0..10)
            .map(|i| json!({"answer": if i < 6 { a } else { b }, "answer_confidence": "yes", "answer_id": i + 1}))
            .collect::<Vec<_>>()
    };
    let annotations = json!({
        "info": {}, "license": {}, "data_subtype": "val2014",
        "annotations": [
            {"question_id": 1000, "image_id": 1, "question_type": "what color are the", "answers": answers("red", "blue"), "multiple_choice_answer": "red", "answer_type": "other"},
            {"question_id": 1001, "image_id": 1, "question_type": "is there a", "answers": answers("no", "yes"), "multiple_choice_answer": "no", "answer_type": "yes/no"},
            {"question_id": 2000, "image_id": 2, "question_type": "how many", "answers": answers("1", "2"), "multiple_choice_answer": "1", "answer_type": "number"},
            {"question_id": 3000, "image_id": 3, "question_type": "is there a", "answers": answers("no", "no"), "multiple_choice_answer": "no", "answer_type": "yes/no"},
            {"question_id": 4000, "image_id": 4, "question_type": "what is this", "answers": answers("shapes", "art"), "multiple_choice_answer": "shapes", "answer_type": "other"}
        ]
    });
    std::fs::write(data.join("vqa/v2_mscoco_val2014_annotations.json"), annotations.to_string()).unwrap();
}

fn suite(dir: &Path, base: &str, tasks: &str, options: &str) -> PathBuf {
    let dimensions = format!("[[dimension]]\nplugin = \"robustness\"\ntasks = [{tasks}]\nlimit = 5\n{options}\n");
    vlm_suite(dir, base, "vlm-coco", 11, true, &dimensions)
}

fn of_task<'a>(records: &'a [Value], task: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["case_id"].as_str().unwrap_or_default().contains(&format!("/{task}/"))).collect()
}

#[test]
fn coco_captions_and_vqav2_from_user_folders_run_end_to_end_and_the_judge_sees_both_images() {
    let server = scripted_server();
    let dir = tempfile::tempdir().unwrap();
    folders(&dir.path().join("data"));
    let suite = suite(
        dir.path(),
        server.base_url(),
        r#""vlm-robust-caption", "vlm-robust-vqav2""#,
        r#"options = { coco_dir = "coco", vqav2_dir = "vqa" }"#,
    );
    let run_dir = run_suite(dir.path(), &suite);
    let cases = jsonl(&run_dir.join("cases.jsonl"));
    let verdicts = jsonl(&run_dir.join("verdicts.jsonl"));
    let skipped = jsonl(&run_dir.join("skipped.jsonl"));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("manifest.json")).unwrap()).unwrap();
    let metrics: Value = serde_json::from_str(&std::fs::read_to_string(run_dir.join("metrics.json")).unwrap()).unwrap();

    // Four good images (three captioned items, four questions); the file that is not an image is
    // a skip naming it, in each task.
    let count = |task: &str| cases.iter().filter(|c| c["case"]["task"] == task).count();
    assert_eq!((count("vlm-robust-caption"), count("vlm-robust-vqav2")), (3, 4));
    for task in ["vlm-robust-caption", "vlm-robust-vqav2"] {
        let bad =
            skipped.iter().find(|s| s["task"] == task).unwrap_or_else(|| panic!("{task}: no skip in {skipped:?}"));
        let text = format!("{} {}", bad["item"], bad["reason"]);
        assert!(text.contains("COCO_val2014_000000000004.jpg") && text.contains("not a PNG, JPEG"), "{text}");
    }

    // Each case: a clean and a perturbed prompt, each image in the run store; pairs differ.
    let stored: BTreeSet<String> = std::fs::read_dir(run_dir.join("images"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut pairs = Vec::new();
    for case in &cases {
        let prompts = case["case"]["prompts"].as_array().unwrap();
        let names: Vec<&str> = prompts.iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["clean", "perturbed"]);
        let shas: Vec<String> = prompts
            .iter()
            .map(|p| p["images"][0]["source"]["stored"]["sha256"].as_str().unwrap().to_string())
            .collect();
        for sha in &shas {
            assert!(stored.contains(&format!("{sha}.png")), "{sha} is not in images/");
        }
        let texts: Vec<&str> = prompts.iter().map(|p| p["turns"][0].as_str().unwrap()).collect();
        assert!(shas[0] != shas[1] || texts[0] != texts[1], "{case}");
        pairs.push(shas);
    }

    // Verdicts: the caption judge sees both images (clean first) and the reference captions;
    // VQAv2 is graded by the VQA accuracy rule with no judge.
    assert_eq!(verdicts.len(), cases.len());
    assert!(
        of_task(&verdicts, "vlm-robust-caption")
            .iter()
            .all(|v| v["verdict"]["judge"] == "llm:image_pairwise_robustness@1")
    );
    let vqa = of_task(&verdicts, "vlm-robust-vqav2");
    assert!(vqa.iter().all(|v| v["verdict"]["judge"] == "rule:vqa-accuracy@1"), "{vqa:?}");
    let judged: Vec<_> =
        server.requests().into_iter().filter(|r| r.model.as_deref() == Some("tg-vision-judge")).collect();
    assert_eq!(judged.len(), 3, "one judge request per caption case, none for VQAv2");
    for request in &judged {
        let sent: Vec<String> = request.images.iter().map(|i| i.sha256.clone()).collect();
        assert!(pairs.contains(&sent), "the judge saw a case's clean and perturbed image: {sent:?}");
        let body = request.body.as_ref().map(Value::to_string).unwrap_or_default();
        assert!(
            [
                "Coloured shapes drawn on a pale background.",
                "A sign with a word next to some shapes.",
                "Several geometric shapes in one colour."
            ]
            .iter()
            .any(|c| body.contains(c)),
            "the reference captions go to the judge: {body}"
        );
    }

    // Metrics with n and a Wilson interval; the VQA accuracies beside them.
    for task in ["vlm-robust-caption", "vlm-robust-vqav2"] {
        let entry = metrics["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["task"] == task)
            .unwrap_or_else(|| panic!("no metrics of {task}: {metrics:#}; verdicts {verdicts:#?}"));
        let e = &entry["estimate"];
        assert!(e["n"].as_u64().unwrap_or_else(|| panic!("{entry:#}; {verdicts:#?}")) > 0, "{entry}");
        let (low, value, high) =
            (e["low"].as_f64().unwrap(), e["value"].as_f64().unwrap(), e["high"].as_f64().unwrap());
        assert!(low <= value && value <= high && high <= 1.0, "{entry}");
    }
    let vqa_scores: BTreeSet<String> = vqa
        .iter()
        .flat_map(|v| ["clean_vqa_accuracy", "perturbed_vqa_accuracy"].map(|m| v["verdict"]["metrics"][m].to_string()))
        .collect();
    assert!(vqa_scores.len() > 1, "the scripted answers are graded differently: {vqa_scores:?}");

    // The manifest records each file's array and the seeded sample (all rows fit: 5 cases x 2).
    let files = manifest["data_files"].as_array().unwrap();
    let file = |path: &str, array: &str| {
        files
            .iter()
            .find(|f| f["path"] == path && f["array"] == array)
            .unwrap_or_else(|| panic!("{path}#{array} in {files:?}"))
    };
    let questions = file("vqa/v2_OpenEnded_mscoco_val2014_questions.json", "questions");
    assert_eq!((questions["rows"].as_u64(), questions["sample"]["key"].as_str()), (Some(5), Some("question_id")));
    assert_eq!((questions["sample"]["keys"].as_u64(), questions["sample"]["seed"].as_u64()), (Some(10), Some(11)));
    let captions = file("coco/annotations/captions_val2014.json", "annotations");
    assert_eq!((captions["rows"].as_u64(), captions["sample"]["rows_in_file"].as_u64()), (Some(5), Some(5)));
    file("coco/annotations/captions_val2014.json", "images");
}

#[test]
fn coco_and_vqav2_without_their_folders_build_nothing_and_say_why() {
    let server = scripted_server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let suite = suite(
        dir.path(),
        server.base_url(),
        r#""vlm-robust-vqa", "vlm-robust-caption", "vlm-robust-vqav2""#,
        r#"options = { coco_dir = "no-such-folder" }"#,
    );
    let run_dir = run_suite(dir.path(), &suite);
    let cases = jsonl(&run_dir.join("cases.jsonl"));
    assert!(cases.iter().all(|c| c["case"]["task"] == "vlm-robust-vqa"), "only the generated set builds");
    let skipped = jsonl(&run_dir.join("skipped.jsonl"));
    let why = |task: &str| {
        skipped
            .iter()
            .find(|s| s["task"] == task && s["item"] == "(task)")
            .unwrap_or_else(|| panic!("no reason for {task} in {skipped:?}"))["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    expect_test::expect![[r#"
        no-such-folder/annotations/captions_val2014.json was not found in the data directory (option `coco_dir`)
        needs the user's VQAv2 files: set `vqav2_dir` in this dimension's options to a folder of the data directory holding v2_OpenEnded_mscoco_val2014_questions.json and v2_mscoco_val2014_annotations.json, and `coco_dir` to the COCO folder with val2014/ (visualqa.org; not bundled)"#]]
    .assert_eq(&format!("{}\n{}", why("vlm-robust-caption"), why("vlm-robust-vqav2")));
}
