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
use trustgen_image::{Corruption, Flip, QuarterTurn, RgbImage, Scene, corrupt, encode_png, flip, rotate_quarter};
use trustgen_judges::answer::{Extraction, extract_bool, match_short_answer};
use trustgen_judges::refusal::keyword_hit;
use trustgen_judges::{JudgeOutcome, Vars, llm_judge_seeing};
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, Image, JsonMap, Prompt, QuestionFormat, ScoreInput, SeededRng, Step, Stop, TestCase,
    Verdict, VerdictStatus,
};
use trustgen_plugin_kit::Outcome;
use trustgen_plugin_kit::grade;
use trustgen_plugin_kit::window::Window;

use crate::perturb;

/// The task name.
pub const TASK: &str = "vlm-robust-vqa";
/// Default number of cases.
pub const DEFAULT_LIMIT: usize = 30;
/// The judge template that sees both images.
pub const PAIRWISE: &str = "image_pairwise_robustness";

/// The image operations: the 19 corruptions, then the geometric ones.
pub fn image_ops() -> Vec<String> {
    let mut ops: Vec<String> = Corruption::ALL.iter().map(|c| c.name().to_string()).collect();
    ops.extend(["rotate_90", "rotate_180", "rotate_270", "flip_horizontal"].map(String::from));
    ops
}

/// The text perturbations used on questions (pure code, seeded; see [`perturb`]).
const TEXT_OPS: [&str; 4] = ["spelling_missing", "spelling_incorrect", "spelling_swap", "spelling_repeated"];

/// The perturbation modes, dealt in rotation.
const MODES: [&str; 3] = ["image", "text", "image_text"];

fn apply_image(op: &str, image: &RgbImage, severity: u8, rng: &mut SeededRng) -> Result<RgbImage, String> {
    Ok(match op {
        "rotate_90" => rotate_quarter(image, QuarterTurn::Cw90),
        "rotate_180" => rotate_quarter(image, QuarterTurn::Cw180),
        "rotate_270" => rotate_quarter(image, QuarterTurn::Cw270),
        "flip_horizontal" => flip(image, Flip::Horizontal),
        name => {
            let corruption = Corruption::from_name(name).map_err(|e| e.to_string())?;
            corrupt(image, corruption, severity, rng).map_err(|e| e.to_string())?
        }
    })
}

fn apply_text(op: &str, text: &str, rng: &mut SeededRng) -> String {
    match op {
        "spelling_missing" => perturb::spelling_missing(text, rng),
        "spelling_incorrect" => perturb::spelling_incorrect(text, rng),
        "spelling_swap" => perturb::spelling_swap(text, rng),
        _ => perturb::spelling_repeated(text, rng),
    }
}

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
    let ops = image_ops();
    let mut deal = SeededRng::derive(input.seed, &format!("{TASK}/deal"));
    let start = deal.below(MODES.len());
    let mut order: Vec<usize> = (0..ops.len()).collect();
    deal.shuffle(&mut order);
    // This call renders only the window of cases the host asked for (one item = one case).
    let window = Window::of(input, limit);
    let mut cases = Vec::with_capacity(window.range().len());
    let mut image_cases = 0usize;
    for n in 0..window.range().end {
        let mode = MODES[(n + start) % MODES.len()];
        if !window.contains(n) {
            // A case before the window still takes its turn in the order of image operations.
            image_cases += usize::from(mode != "text");
            continue;
        }
        let mut rng = SeededRng::derive(input.seed, &format!("{TASK}/{n}"));
        let (kinds, with_sign) = (1 + rng.below(2), rng.chance(0.5));
        let scene =
            Scene::sample(&mut rng, kinds, with_sign).map_err(|e| Stop::Error(format!("{TASK}: case {n}: {e}")))?;
        let clean = scene.render().map_err(|e| Stop::Error(format!("{TASK}: case {n}: {e}")))?;
        let (kind, text, answer) = question(&scene, &mut rng);
        let mut metadata = JsonMap::new();
        let mut description = Vec::new();
        let perturbed_image = if mode == "text" {
            clean.clone()
        } else {
            // Every image operation in turn (a seeded order), so a run covers them evenly.
            let op = &ops[order[image_cases % order.len()]];
            image_cases += 1;
            let severity = 1 + rng.below(3) as u8;
            let geometric = op.starts_with("rotate") || op.starts_with("flip");
            let image = apply_image(op, &clean, severity, &mut rng)
                .map_err(|e| Stop::Error(format!("{TASK}: case {n}: {e}")))?;
            metadata.insert("image_op".into(), json!(op));
            if !geometric {
                metadata.insert("severity".into(), json!(severity));
                description.push(format!("{} at severity {severity}", op.replace('_', " ")));
            } else {
                description.push(op.replace('_', " "));
            }
            image
        };
        let perturbed_text = if mode == "image" {
            text.clone()
        } else {
            let op = TEXT_OPS[rng.below(TEXT_OPS.len())];
            metadata.insert("text_op".into(), json!(op));
            description.push(format!("question with typos ({})", op.replace('_', " ")));
            apply_text(op, &text, &mut rng)
        };
        let breakdown = metadata
            .get("image_op")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| "text_only".to_string());
        metadata.insert("mode".into(), json!(mode));
        metadata.insert("kind".into(), json!(kind));
        metadata.insert("perturbation".into(), json!(description.join("; ")));
        metadata.insert("breakdown".into(), json!(breakdown));
        let clean_image = cx.attach_image("image/png", &png(&clean, "clean image")?);
        let perturbed = if mode == "text" {
            clean_image.clone()
        } else {
            cx.attach_image("image/png", &png(&perturbed_image, "perturbed image")?)
        };
        let suffix = " Answer in one short sentence.";
        cases.push(
            TestCase::new(
                format!("robustness/{TASK}/{n}"),
                input.task.clone(),
                vec![
                    Prompt::user(format!("{text}{suffix}")).with_name("clean").with_images(vec![clean_image]),
                    Prompt::user(format!("{perturbed_text}{suffix}"))
                        .with_name("perturbed")
                        .with_images(vec![perturbed]),
                ],
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

fn meta<'a>(case: &'a TestCase, key: &str) -> &'a str {
    case.metadata.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Scores a case: both answers graded; 1 kept, 0 lost, no score when the clean answer is wrong.
pub fn score(cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
    let case = &input.case;
    let text = |name: &str| match Outcome::prompt(&input.output, name) {
        Outcome::Text(text) => Ok(text.to_string()),
        Outcome::Missing(missing) => Err((VerdictStatus::Missing, missing.reason_for(name))),
        Outcome::Filtered(blocked) => Err((VerdictStatus::Filtered, blocked.reason_for(name))),
    };
    let (clean, perturbed) = match (text("clean"), text("perturbed")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err((status, reason)), _) | (_, Err((status, reason))) => {
            // No pair to compare: excluded, whichever answer is absent.
            return Ok(Verdict::new(status).with_reasoning(reason).with_refused(status == VerdictStatus::Filtered));
        }
    };
    let (clean_ok, perturbed_ok, judge, reasoning) = if input.context.has_llm_judge() {
        let template = grade::template(PAIRWISE)?;
        let images: Vec<Image> = ["clean", "perturbed"]
            .iter()
            .filter_map(|name| case.prompt(name).and_then(|p| p.images.first().cloned()))
            .collect();
        let question = case.prompt("clean").and_then(|p| p.turns.first()).cloned().unwrap_or_default();
        let vars = Vars::new()
            .with("question", question)
            .with("perturbation", meta(case, "perturbation"))
            .with("ground_truth", grade::ground_truth(case)?)
            .with("response_a", clean.as_str())
            .with("response_b", perturbed.as_str());
        let outcome = llm_judge_seeing(cx, template, &vars, &images)?;
        match &outcome {
            JudgeOutcome::Parsed(result) => {
                let flag = |key: &str| result.values.get(key).and_then(Value::as_bool).unwrap_or(false);
                (
                    flag("original_correct"),
                    flag("perturbed_correct"),
                    format!("llm:{}", template.id()),
                    result.reasoning.clone(),
                )
            }
            _ => return Ok(outcome.verdict(template)),
        }
    } else {
        (correct(case, &clean)?, correct(case, &perturbed)?, "rule:vlm-value@1".to_string(), None)
    };
    let value = |b: bool| if b { 1.0 } else { 0.0 };
    let truth = grade::ground_truth(case)?;
    let reasoning = reasoning.unwrap_or_else(|| {
        format!(
            "clean answer {}, perturbed answer {} (expected `{truth}`)",
            if clean_ok { "right" } else { "wrong" },
            if perturbed_ok { "right" } else { "wrong" }
        )
    });
    let refused = (!clean_ok && keyword_hit(&clean).is_some()) || (!perturbed_ok && keyword_hit(&perturbed).is_some());
    let mut verdict = if clean_ok {
        Verdict::scored(value(perturbed_ok)).with_label(if perturbed_ok { "kept" } else { "lost" })
    } else {
        // Nothing to keep: counted in the accuracies, no robustness score.
        Verdict::new(VerdictStatus::Scored).with_label("clean-wrong")
    };
    verdict = verdict
        .with_judge(judge)
        .with_reasoning(reasoning)
        .with_refused(refused)
        .with_metric("clean_accuracy", value(clean_ok))
        .with_metric("perturbed_accuracy", value(perturbed_ok));
    if clean_ok {
        verdict = verdict.with_metric(format!("robustness/{}", meta(case, "breakdown")), value(perturbed_ok));
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests;
