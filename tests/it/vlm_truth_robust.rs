//! The VLM tasks of truthfulness (`vlm-hallucination-generated`, `vlm-hallusionbench`) and
//! robustness (`vlm-robust-vqa`) end to end against the test server and its committed script:
//! the cases, the images in the run store (drawn at build time, or read from a hand-made
//! HallusionBench folder), the outputs, the verdicts and the metrics; with a `vlm` judge, each judge
//! request carries the case's image (both images for the pairwise robustness judge); without a
//! judge the rules grade; without the folder option HallusionBench says why it built nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{jsonl, run_suite, scripted_server, sha256, vlm_suite};

const TASKS: [(&str, &str, usize); 3] = [
    ("truthfulness", "vlm-hallucination-generated", 8),
    ("truthfulness", "vlm-hallusionbench", 2),
    ("robustness", "vlm-robust-vqa", 6),
];

/// A HallusionBench-layout folder `data/hb`: the JSON list (two rows with an image, one without)
/// and two rendered PNGs; the hashes of the images by file name.
fn hallusionbench_folder(data: &Path) -> BTreeMap<String, String> {
    let hb = data.join("hb");
    let mut hashes = BTreeMap::new();
    for (file, rgb) in
        [("hallusion_bench/VS/chart/0_0.png", [200, 40, 40]), ("hallusion_bench/VD/illusion/1_0.png", [40, 40, 200])]
    {
        let png = trustgen_test_plugin::solid_png(24, 16, rgb);
        let path = hb.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &png).unwrap();
        hashes.insert(file.to_string(), sha256(&png));
    }
    let rows = serde_json::json!([
        {"category": "VS", "subcategory": "chart", "visual_input": "1", "set_id": "0", "figure_id": "0", "question_id": "0",
         "question": "Is the bar in the chart red?", "gt_answer": "1", "filename": "./hallusion_bench/VS/chart/0_0.png"},
        {"category": "VD", "subcategory": "illusion", "visual_input": "1", "set_id": "1", "figure_id": "0", "question_id": "0",
         "question": "Is the square in the image green?", "gt_answer": "0", "filename": "./hallusion_bench/VD/illusion/1_0.png"},
        {"category": "VS", "subcategory": "chart", "visual_input": "0", "set_id": "2", "figure_id": "0", "question_id": "0",
         "question": "Is Paris the capital of France?", "gt_answer": "1", "filename": null}
    ]);
    std::fs::write(hb.join("HallusionBench.json"), serde_json::to_string_pretty(&rows).unwrap()).unwrap();
    hashes
}

fn suite(dir: &Path, base: &str, judge: bool, folder: bool) -> PathBuf {
    let option = if folder { "options = { hallusionbench_dir = \"hb\" }\n" } else { "" };
    let dimensions = format!(
        r#"[[dimension]]
plugin = "truthfulness"
tasks = ["vlm-hallucination-generated", "vlm-hallusionbench"]
limit = 8
{option}
[[dimension]]
plugin = "robustness"
tasks = ["vlm-robust-vqa"]
limit = 6
"#
    );
    vlm_suite(dir, base, "vlm-tr", 5, judge, &dimensions)
}

/// The SHA-256 of each stored image of a case's prompts, prompt by prompt.
fn case_images(case: &Value) -> Vec<Vec<String>> {
    case["case"]["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["images"]
                .as_array()
                .map(|images| {
                    images
                        .iter()
                        .map(|i| i["source"]["stored"]["sha256"].as_str().expect("stored").to_string())
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// The verdicts of `task`: (judge, score) pairs.
fn verdicts_of<'a>(verdicts: &'a [Value], task: &str) -> Vec<(&'a str, Option<f64>)> {
    verdicts
        .iter()
        .filter(|v| v["case_id"].as_str().is_some_and(|id| id.contains(&format!("/{task}/"))))
        .map(|v| (v["verdict"]["judge"].as_str().unwrap_or("-"), v["verdict"]["score"].as_f64()))
        .collect()
}

#[test]
fn vlm_truthfulness_and_robustness_run_end_to_end_and_the_judge_sees_the_images() {
    let server = scripted_server();
    let dir = tempfile::tempdir().unwrap();
    let hashes = hallusionbench_folder(&dir.path().join("data"));
    let suite = suite(dir.path(), server.base_url(), true, true);
    let run_dir = run_suite(dir.path(), &suite);

    let cases = jsonl(&run_dir.join("cases.jsonl"));
    let outputs = jsonl(&run_dir.join("outputs.jsonl"));
    let verdicts = jsonl(&run_dir.join("verdicts.jsonl"));
    let metrics: Value = serde_json::from_str(&std::fs::read_to_string(run_dir.join("metrics.json")).unwrap()).unwrap();

    // Cases of each task, each with its images in the run store.
    let stored: BTreeSet<String> = std::fs::read_dir(run_dir.join("images"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut images_by_case: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for (dimension, task, n) in TASKS {
        let of_task: Vec<&Value> =
            cases.iter().filter(|c| c["dimension"] == dimension && c["case"]["task"] == task).collect();
        assert_eq!(of_task.len(), n, "{dimension}/{task}");
        for case in of_task {
            let images = case_images(case);
            let prompts = if task == "vlm-robust-vqa" { 2 } else { 1 };
            assert_eq!(images.len(), prompts, "{case}");
            for sha in images.iter().flatten() {
                assert!(stored.contains(&format!("{sha}.png")), "{sha} is not in images/");
            }
            images_by_case.insert(case["case"]["id"].as_str().unwrap().to_string(), images);
        }
    }
    // HallusionBench's images are the folder's files, read by the host.
    let hb: BTreeSet<String> = images_by_case
        .iter()
        .filter(|(id, _)| id.contains("vlm-hallusionbench"))
        .map(|(_, i)| i[0][0].clone())
        .collect();
    assert_eq!(hb, hashes.values().cloned().collect::<BTreeSet<_>>());
    // Robustness pairs differ in image (or, text mode, in the question).
    let differs =
        images_by_case.iter().filter(|(id, _)| id.contains("vlm-robust-vqa")).filter(|(_, i)| i[0] != i[1]).count();
    assert!(differs >= 4, "{differs} of 6 pairs show another image");

    // One output and one verdict per case; the judge that sees images graded every case.
    assert_eq!(outputs.len(), cases.len());
    assert_eq!(verdicts.len(), cases.len());
    for (task, judge) in [
        ("vlm-hallucination-generated", "llm:image_groundtruth@1"),
        ("vlm-hallusionbench", "llm:image_groundtruth@1"),
        ("vlm-robust-vqa", "llm:image_pairwise_robustness@1"),
    ] {
        let got = verdicts_of(&verdicts, task);
        assert!(got.iter().all(|(j, _)| *j == judge), "{task}: {got:?}");
    }
    let generated: BTreeSet<String> =
        verdicts_of(&verdicts, "vlm-hallucination-generated").iter().map(|(_, s)| format!("{s:?}")).collect();
    assert!(generated.contains("Some(1.0)") && generated.contains("Some(0.0)"), "verdicts vary: {generated:?}");

    // Metrics with n and a Wilson interval per task.
    for (dimension, task, _) in TASKS {
        let entry = metrics["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["dimension"] == dimension && t["task"] == task)
            .unwrap_or_else(|| panic!("no metrics for {task}"));
        let estimate = &entry["estimate"];
        assert!(estimate["n"].as_u64().unwrap() > 0, "{entry}");
        let (low, value, high) = (
            estimate["low"].as_f64().unwrap(),
            estimate["value"].as_f64().unwrap(),
            estimate["high"].as_f64().unwrap(),
        );
        assert!(low <= value && value <= high && high <= 1.0, "{entry}");
    }

    // The judge requests carried the case's image: one for image_groundtruth@1, the clean and the
    // perturbed one (in that order) for image_pairwise_robustness@1.
    let judged: Vec<_> =
        server.requests().into_iter().filter(|r| r.model.as_deref() == Some("tg-vision-judge")).collect();
    assert_eq!(judged.len(), cases.len(), "one judge request per case");
    let all_case_images: BTreeSet<Vec<String>> =
        images_by_case.values().map(|prompts| prompts.iter().map(|p| p[0].clone()).collect::<Vec<_>>()).collect();
    for request in &judged {
        let sent: Vec<String> = request.images.iter().map(|i| i.sha256.clone()).collect();
        let pairwise = request.rule.as_deref() == Some("judge:image_pairwise_robustness@1");
        assert!(pairwise || request.rule.as_deref() == Some("judge:image_groundtruth@1"), "{:?}", request.rule);
        assert_eq!(sent.len(), if pairwise { 2 } else { 1 });
        assert!(all_case_images.contains(&sent), "the judge saw a case's images: {sent:?}");
    }
}

#[test]
fn offline_the_rules_grade_and_hallusionbench_without_its_folder_says_why() {
    let server = scripted_server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let suite = suite(dir.path(), server.base_url(), false, false);
    let run_dir = run_suite(dir.path(), &suite);
    let verdicts = jsonl(&run_dir.join("verdicts.jsonl"));
    let skipped = jsonl(&run_dir.join("skipped.jsonl"));

    let generated = verdicts_of(&verdicts, "vlm-hallucination-generated");
    assert_eq!(generated.len(), 8);
    assert!(generated.iter().all(|(j, _)| *j == "rule:vlm-premise@1"), "{generated:?}");
    let scores: BTreeSet<String> = generated.iter().map(|(_, s)| format!("{s:?}")).collect();
    assert!(
        scores.contains("Some(1.0)") && scores.contains("Some(0.0)"),
        "the scripted answers are graded: {scores:?}"
    );
    let robust = verdicts_of(&verdicts, "vlm-robust-vqa");
    assert_eq!(robust.len(), 6);
    assert!(robust.iter().all(|(j, _)| *j == "rule:vlm-value@1"), "{robust:?}");

    assert!(verdicts_of(&verdicts, "vlm-hallusionbench").is_empty());
    let why = skipped
        .iter()
        .find(|s| s["task"] == "vlm-hallusionbench" && s["item"] == "(task)")
        .unwrap_or_else(|| panic!("no reason for vlm-hallusionbench in {skipped:?}"));
    assert!(why["reason"].as_str().unwrap().contains("hallusionbench_dir"), "{why}");
}
