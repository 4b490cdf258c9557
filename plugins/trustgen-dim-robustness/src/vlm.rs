//! `vlm-robust-vqa`: visual questions about generated scenes, asked about the clean image and
//! again about a perturbed copy (an ImageNet-C corruption at a seeded severity, a rotation or a
//! flip), with the question's text perturbed too in a seeded share of the cases.
//!
//! Each case is a seeded `trustgen_image::Scene` (counted, coloured shapes, sometimes a sign with
//! a word) and one question whose answer is known by construction (a colour, a count, the sign's
//! word, or yes for a shape that is there). The case has two prompts: `clean` (the clean image and
//! question) and `perturbed` (the perturbed image, and a typo'd question when the mode includes
//! text). The mode is dealt in a seeded rotation over `image`, `text` and `image_text`, as the
//! original's VQA set did; the image operation is drawn from the 19 corruptions (severity 1-3)
//! and four geometric ones (rotations by 90, 180 and 270 degrees, a horizontal flip).
//!
//! Scoring: each answer is graded against the ground truth (offline by value extraction; with a
//! capable judge by `image_pairwise_robustness@1`, which sees BOTH images). The case score is 1
//! when both answers are right and 0 when only the clean one is; a case whose clean answer is
//! wrong has no score (there is nothing to keep) and counts in `clean_accuracy`. So the primary
//! metric is the share of correctly answered questions that stay correct under perturbation.

use serde_json::{Value, json};
use trustgen_image::{RgbImage, Scene, encode_png};
use trustgen_judges::answer::{Extraction, extract_bool, match_short_answer};
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, QuestionFormat, ScoreInput, SeededRng, Step, Stop, TestCase, Verdict,
};
use trustgen_plugin_kit::grade;
use trustgen_plugin_kit::window::Window;

use crate::vlm_pair::{self, Deal, Graded};
pub use crate::vlm_pair::{PAIRWISE, image_ops};

/// The task name.
pub const TASK: &str = "vlm-robust-vqa";
/// Default number of cases.
pub const DEFAULT_LIMIT: usize = 30;

const NUMBER_WORDS: [&str; 8] = ["zero", "one", "two", "three", "four", "five", "six", "seven"];

/// A question about the scene with a known answer: (kind, question, answer).
fn question(scene: &Scene, rng: &mut SeededRng) -> (&'static str, String, String) {
    let group = &scene.groups[rng.below(scene.groups.len())];
    let n = group.cells.len();
    let kinds: &[&str] =
        if scene.sign.is_some() { &["colour", "count", "text", "exists"] } else { &["colour", "count", "exists"] };
    match kinds[rng.below(kinds.len())] {
        "colour" => (
            "colour",
            format!(
                "What colour {} the {} in the image?",
                if n == 1 { "is" } else { "are" },
                if n == 1 { group.shape.name() } else { group.shape.plural() }
            ),
            group.colour.name.to_string(),
        ),
        "count" => ("count", format!("How many {} are in the image?", group.shape.plural()), n.to_string()),
        "text" => {
            let (colour, word) = scene.sign.as_ref().map_or(("", ""), |s| (s.colour.name, s.word.as_str()));
            ("text", format!("What word is written on the {colour} sign in the image?"), word.to_string())
        }
        _ => (
            "exists",
            format!("Is there a {} {} in the image? Answer yes or no.", group.colour.name, group.shape.name()),
            "Yes".to_string(),
        ),
    }
}

fn png(image: &RgbImage, what: &str) -> Step<Vec<u8>> {
    encode_png(image).map_err(|e| Stop::Error(format!("{TASK}: {what}: {e}")))
}

/// Builds the generated cases (`clean` and `perturbed` prompts each).
pub fn build(cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    let deal = Deal::new(input.seed, TASK);
    // This call renders only the window of cases the host asked for (one item = one case).
    let window = Window::of(input, limit);
    let mut cases = Vec::with_capacity(window.range().len());
    for n in window.range() {
        let mut rng = SeededRng::derive(input.seed, &format!("{TASK}/{n}"));
        let (kinds, with_sign) = (1 + rng.below(2), rng.chance(0.5));
        let scene =
            Scene::sample(&mut rng, kinds, with_sign).map_err(|e| Stop::Error(format!("{TASK}: case {n}: {e}")))?;
        let clean = scene.render().map_err(|e| Stop::Error(format!("{TASK}: case {n}: {e}")))?;
        let (kind, text, answer) = question(&scene, &mut rng);
        let perturbed =
            deal.perturb(n, &clean, &text, &mut rng).map_err(|e| Stop::Error(format!("{TASK}: case {n}: {e}")))?;
        let mut metadata = perturbed.metadata;
        metadata.insert("kind".into(), json!(kind));
        let clean_image = cx.attach_image("image/png", &png(&clean, "clean image")?);
        let perturbed_image = match &perturbed.image {
            None => clean_image.clone(),
            Some(image) => cx.attach_image("image/png", &png(image, "perturbed image")?),
        };
        let suffix = " Answer in one short sentence.";
        cases.push(
            TestCase::new(
                format!("robustness/{TASK}/{n}"),
                input.task.clone(),
                vlm_pair::prompts(
                    format!("{text}{suffix}"),
                    clean_image,
                    format!("{}{suffix}", perturbed.text),
                    perturbed_image,
                ),
            )
            .with_format(if kind == "exists" { QuestionFormat::TrueFalse } else { QuestionFormat::OpenEnded })
            .with_ground_truth(answer)
            .with_metadata(metadata),
        );
    }
    Ok(window.output(cases, Vec::new()))
}

/// Whether `response` gives the case's answer (`rule:vlm-value@1`).
pub fn correct(case: &TestCase, response: &str) -> Step<bool> {
    let truth = grade::ground_truth(case)?;
    let kind = case.metadata.get("kind").and_then(Value::as_str).unwrap_or("");
    Ok(match kind {
        "exists" => matches!(extract_bool(response), Extraction::Answer { value: true, .. }),
        "count" => {
            let alias: Vec<String> = truth
                .parse::<usize>()
                .ok()
                .and_then(|n| NUMBER_WORDS.get(n))
                .map(|w| w.to_string())
                .into_iter()
                .collect();
            match_short_answer(response, truth, &alias).correct
        }
        _ => match_short_answer(response, &truth.to_lowercase(), &[]).correct,
    })
}

/// Scores a case: both answers graded; 1 kept, 0 lost, no score when the clean answer is wrong.
pub fn score(cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
    let case = &input.case;
    let (clean, perturbed) = match vlm_pair::answers(input) {
        Ok(pair) => pair,
        Err(verdict) => return Ok(*verdict),
    };
    let truth = grade::ground_truth(case)?;
    let graded = if input.context.has_llm_judge() {
        match vlm_pair::judge_pair(cx, case, truth, &clean, &perturbed)? {
            Ok(graded) => graded,
            Err(verdict) => return Ok(verdict),
        }
    } else {
        Graded {
            clean_ok: correct(case, &clean)?,
            perturbed_ok: correct(case, &perturbed)?,
            judge: "rule:vlm-value@1".to_string(),
            reasoning: None,
        }
    };
    Ok(vlm_pair::verdict(case, graded, &clean, &perturbed, &format!("`{truth}`")))
}

#[cfg(test)]
mod tests;
