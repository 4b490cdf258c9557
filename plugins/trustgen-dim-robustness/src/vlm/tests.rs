//! `vlm-robust-vqa`: two prompts per case with their images, a seeded deal of modes and image
//! operations, value grading, and the judge that sees both images.

use expect_test::expect;
use serde_json::Value;
use trustgen_plugin_api::{BuildOutput, ChatRole, ImageSource, ModelRequest, TestCase};
use trustgen_plugin_kit::testing::{self, Models, answers, show_verdict_compact as show};

use super::*;
use crate::Robustness;

fn cases(seed: u64, limit: usize) -> Vec<TestCase> {
    let input = testing::build_input(TASK, seed, Some(limit), vec![], Models::NONE, Value::Null);
    testing::build_offline(&Robustness, &input).cases
}

fn blob_len(image: &trustgen_plugin_api::Image) -> usize {
    match image.source {
        ImageSource::Blob { len, .. } => len,
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn each_case_asks_about_the_clean_and_the_perturbed_image() {
    let built = cases(7, 6);
    let lines: Vec<String> = built
        .iter()
        .map(|c| {
            format!(
                "{} truth={:?} mode={} op={} | {} | {}",
                c.id,
                c.ground_truth.as_deref().unwrap_or(""),
                c.metadata["mode"],
                c.metadata["perturbation"],
                c.prompts[0].turns[0],
                c.prompts[1].turns[0]
            )
        })
        .collect();
    expect![[r#"
        robustness/vlm-robust-vqa/0 truth="Yes" mode="text" op="question with typos (spelling repeated)" | Is there a yellow diamond in the image? Answer yes or no. Answer in one short sentence. | Is there a yelloww ddiamond in the image? Answerr yes or no. Answer in one short sentence.
        robustness/vlm-robust-vqa/1 truth="yellow" mode="image_text" op="brightness at severity 3; question with typos (spelling missing)" | What colour are the squares in the image? Answer in one short sentence. | What clour are the suares in the imge? Answer in one short sentence.
        robustness/vlm-robust-vqa/2 truth="3" mode="image" op="elastic transform at severity 1" | How many triangles are in the image? Answer in one short sentence. | How many triangles are in the image? Answer in one short sentence.
        robustness/vlm-robust-vqa/3 truth="4" mode="text" op="question with typos (spelling incorrect)" | How many squares are in the image? Answer in one short sentence. | How many sqjares are in the ikage? Answer in one short sentence.
        robustness/vlm-robust-vqa/4 truth="BOOK" mode="image_text" op="frost at severity 1; question with typos (spelling missing)" | What word is written on the red sign in the image? Answer in one short sentence. | What word is writtn on the red sin in the imae? Answer in one short sentence.
        robustness/vlm-robust-vqa/5 truth="2" mode="image" op="gaussian blur at severity 2" | How many triangles are in the image? Answer in one short sentence. | How many triangles are in the image? Answer in one short sentence."#]].assert_eq(&lines.join("\n"));
    for case in &built {
        let names: Vec<&str> = case.prompts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["clean", "perturbed"]);
        let (clean, perturbed) = (&case.prompts[0].images[0], &case.prompts[1].images[0]);
        if case.metadata["mode"] == "text" {
            assert_eq!(clean, perturbed, "{}: text mode keeps the image", case.id);
            assert_ne!(case.prompts[0].turns, case.prompts[1].turns, "{}: the question has typos", case.id);
        } else {
            assert_ne!(clean.source, perturbed.source, "{}: another image", case.id);
            assert!(blob_len(clean) > 1000 && blob_len(perturbed) > 1000);
        }
    }
    let same = |a: &[TestCase], b: &[TestCase]| {
        testing::fingerprint(&BuildOutput::new(a.to_vec())) == testing::fingerprint(&BuildOutput::new(b.to_vec()))
    };
    assert!(same(&built, &cases(7, 6)));
    assert!(!same(&built, &cases(8, 6)));
}

#[test]
fn a_run_of_the_default_size_covers_modes_and_many_operations() {
    let built = cases(3, DEFAULT_LIMIT);
    let mut ops: Vec<&str> = built.iter().filter_map(|c| c.metadata.get("image_op").and_then(Value::as_str)).collect();
    ops.sort_unstable();
    ops.dedup();
    assert_eq!(ops.len(), 20, "20 image-perturbed cases, each a different operation: {ops:?}");
}

/// Scores `case` with the clean and perturbed answers offline.
fn offline(case: &TestCase, clean: &str, perturbed: &str) -> String {
    let input = testing::score_input(
        case,
        answers(&[("clean", &[clean]), ("perturbed", &[perturbed])]),
        Models::NONE,
        Value::Null,
    );
    let (verdict, asked) = testing::score(&Robustness, &input, |r| panic!("asked {r:?}"));
    assert!(asked.is_empty());
    format!("{clean:?} / {perturbed:?} => {}", show(&verdict))
}

#[test]
fn kept_lost_and_clean_wrong_are_told_apart() {
    let built = cases(7, 6);
    let case = built.iter().find(|c| c.metadata["kind"] == "count").expect("a count question");
    let truth = case.ground_truth.clone().unwrap();
    let wrong = if truth == "1" { "2" } else { "1" };
    let lines = [
        offline(case, &format!("There are {truth}."), &format!("I count {truth}.")),
        offline(case, &format!("There are {truth}."), &format!("There are {wrong}.")),
        offline(case, &format!("There are {wrong}."), &format!("There are {truth}.")),
    ];
    expect![[r#"
        "There are 3." / "I count 3." => Scored score=Some(1.0) label="kept" judge="rule:vlm-value@1" clean_accuracy=1 perturbed_accuracy=1 robustness/elastic_transform=1
        "There are 3." / "There are 1." => Scored score=Some(0.0) label="lost" judge="rule:vlm-value@1" clean_accuracy=1 perturbed_accuracy=0 robustness/elastic_transform=0
        "There are 1." / "There are 3." => Scored score=None label="clean-wrong" judge="rule:vlm-value@1" clean_accuracy=0 perturbed_accuracy=1"#]].assert_eq(&lines.join("\n"));
}

#[test]
fn the_judge_sees_both_images_and_both_answers() {
    let built = cases(7, 6);
    let case = built.iter().find(|c| c.metadata["mode"] == "image").expect("an image case");
    let input = testing::score_input(
        case,
        answers(&[("clean", &["Red."]), ("perturbed", &["Blue."])]),
        Models::JUDGE,
        Value::Null,
    );
    let mut seen: Vec<ModelRequest> = Vec::new();
    let (verdict, _) = testing::score(&Robustness, &input, |request| {
        seen.push(request.clone());
        testing::recorded(&[r#"{"reason": "b is wrong", "original_correct": true, "perturbed_correct": false}"#])(
            request,
        )
    });
    expect![[r#"Scored score=Some(0.0) label="lost" judge="llm:image_pairwise_robustness@1" clean_accuracy=1 perturbed_accuracy=0 robustness/elastic_transform=0"#]].assert_eq(&show(&verdict));
    let trustgen_plugin_api::RequestKind::Chat(chat) = &seen[0].kind else { panic!("a chat request") };
    let user = chat.messages.iter().rev().find(|m| m.role == ChatRole::User).unwrap();
    let expected: Vec<_> = case.prompts.iter().map(|p| p.images[0].clone()).collect();
    assert_eq!(user.images, expected, "clean first, perturbed second");
    assert!(user.content.contains("Red.") && user.content.contains("Blue."));
}
