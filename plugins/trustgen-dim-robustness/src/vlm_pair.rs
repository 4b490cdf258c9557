//! The clean/perturbed pair shared by the VLM robustness tasks (`vlm-robust-vqa`,
//! `vlm-robust-caption`, `vlm-robust-vqav2`): the seeded deal of perturbation modes and image
//! operations, the two prompts, the judge that sees both images, and the kept/lost verdict.
//!
//! The mode is dealt in a seeded rotation over `image`, `text` and `image_text`; the image
//! operation cycles through the 19 ImageNet-C corruptions of `trustgen_image` (severity 1-3) and
//! four geometric ones (rotations by 90, 180 and 270 degrees, a horizontal flip) in a seeded
//! order, so a run covers them evenly; the text perturbation is one of four typo kinds of
//! [`perturb`]. A case's score is 1 when both answers are right and 0 when only the clean one is;
//! a case whose clean answer is wrong has no score (there is nothing to keep).

use serde_json::{Value, json};
use trustgen_image::{Corruption, Flip, QuarterTurn, RgbImage, corrupt, flip, rotate_quarter};
use trustgen_judges::refusal::keyword_hit;
use trustgen_judges::{JudgeOutcome, Vars, llm_judge_seeing};
use trustgen_plugin_api::{Cx, Image, JsonMap, Prompt, ScoreInput, SeededRng, Step, TestCase, Verdict, VerdictStatus};
use trustgen_plugin_kit::{Outcome, grade};

use crate::perturb;

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
/// The index of the text-only mode in [`MODES`].
const TEXT_MODE: usize = 1;

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

/// The seeded deal of one task's build: where the mode rotation starts and the order of the
/// image operations.
pub(crate) struct Deal {
    start: usize,
    ops: Vec<String>,
    order: Vec<usize>,
}

/// A case's perturbation: the perturbed image (`None` in text mode: the clean image is shown
/// again), the perturbed text, and the metadata that describes them (`mode`, `image_op`,
/// `severity`, `text_op`, `perturbation`, `breakdown`).
pub(crate) struct Perturbed {
    pub(crate) image: Option<RgbImage>,
    pub(crate) text: String,
    pub(crate) metadata: JsonMap,
}

impl Deal {
    /// The deal of `task`'s build under `seed`.
    pub(crate) fn new(seed: u64, task: &str) -> Deal {
        let ops = image_ops();
        let mut deal = SeededRng::derive(seed, &format!("{task}/deal"));
        let start = deal.below(MODES.len());
        let mut order: Vec<usize> = (0..ops.len()).collect();
        deal.shuffle(&mut order);
        Deal { start, ops, order }
    }

    /// How many of the cases `0..n` perturb the image: case `n`'s turn in the order of image
    /// operations. It depends on `n` alone, so a windowed build deals case `n` as the whole
    /// build does.
    fn image_turn(&self, n: usize) -> usize {
        // The text-only cases among `0..n`: those `k` with `(k + start) % MODES.len()` the
        // text mode's index, the first of them `first`.
        let len = MODES.len();
        let first = (TEXT_MODE + len - self.start % len) % len;
        let texts = if n > first { (n - 1 - first) / len + 1 } else { 0 };
        n - texts
    }

    /// Perturbs case `n`: its `clean` image and/or its `text`, drawing from the case's `rng`.
    pub(crate) fn perturb(
        &self,
        n: usize,
        clean: &RgbImage,
        text: &str,
        rng: &mut SeededRng,
    ) -> Result<Perturbed, String> {
        let mode = MODES[(n + self.start) % MODES.len()];
        let mut metadata = JsonMap::new();
        let mut description = Vec::new();
        let image = if mode == "text" {
            None
        } else {
            let op = &self.ops[self.order[self.image_turn(n) % self.order.len()]];
            let severity = 1 + rng.below(3) as u8;
            let geometric = op.starts_with("rotate") || op.starts_with("flip");
            let image = apply_image(op, clean, severity, rng)?;
            metadata.insert("image_op".into(), json!(op));
            if geometric {
                description.push(op.replace('_', " "));
            } else {
                metadata.insert("severity".into(), json!(severity));
                description.push(format!("{} at severity {severity}", op.replace('_', " ")));
            }
            Some(image)
        };
        let text = if mode == "image" {
            text.to_string()
        } else {
            let op = TEXT_OPS[rng.below(TEXT_OPS.len())];
            metadata.insert("text_op".into(), json!(op));
            description.push(format!("question with typos ({})", op.replace('_', " ")));
            apply_text(op, text, rng)
        };
        let breakdown = metadata
            .get("image_op")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| "text_only".to_string());
        metadata.insert("mode".into(), json!(mode));
        metadata.insert("perturbation".into(), json!(description.join("; ")));
        metadata.insert("breakdown".into(), json!(breakdown));
        Ok(Perturbed { image, text, metadata })
    }
}

/// The case's two prompts: `clean` (`clean_text` about `clean`) and `perturbed`.
pub(crate) fn prompts(clean_text: String, clean: Image, perturbed_text: String, perturbed: Image) -> Vec<Prompt> {
    vec![
        Prompt::user(clean_text).with_name("clean").with_images(vec![clean]),
        Prompt::user(perturbed_text).with_name("perturbed").with_images(vec![perturbed]),
    ]
}

/// A case's metadata value as text ("" when absent).
pub(crate) fn meta<'a>(case: &'a TestCase, key: &str) -> &'a str {
    case.metadata.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The clean and the perturbed answer, or the verdict of a case without the pair (a missing or
/// filtered answer: excluded, whichever is absent).
pub(crate) fn answers(input: &ScoreInput) -> Result<(String, String), Box<Verdict>> {
    let text = |name: &str| match Outcome::prompt(&input.output, name) {
        Outcome::Text(text) => Ok(text.to_string()),
        Outcome::Missing(missing) => Err((VerdictStatus::Missing, missing.reason_for(name))),
        Outcome::Filtered(blocked) => Err((VerdictStatus::Filtered, blocked.reason_for(name))),
    };
    match (text("clean"), text("perturbed")) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err((status, reason)), _) | (_, Err((status, reason))) => {
            Err(Box::new(Verdict::new(status).with_reasoning(reason).with_refused(status == VerdictStatus::Filtered)))
        }
    }
}

/// Both answers graded.
pub(crate) struct Graded {
    pub(crate) clean_ok: bool,
    pub(crate) perturbed_ok: bool,
    pub(crate) judge: String,
    pub(crate) reasoning: Option<String>,
}

/// Grades both answers with `image_pairwise_robustness@1`, which sees the clean and the
/// perturbed image; `Err` is the verdict of a judge reply that does not fit.
pub(crate) fn judge_pair(
    cx: &mut Cx,
    case: &TestCase,
    answer_key: &str,
    clean: &str,
    perturbed: &str,
) -> Step<Result<Graded, Verdict>> {
    let template = grade::template(PAIRWISE)?;
    let images: Vec<Image> = ["clean", "perturbed"]
        .iter()
        .filter_map(|name| case.prompt(name).and_then(|p| p.images.first().cloned()))
        .collect();
    let question = case.prompt("clean").and_then(|p| p.turns.first()).cloned().unwrap_or_default();
    let vars = Vars::new()
        .with("question", question)
        .with("perturbation", meta(case, "perturbation"))
        .with("ground_truth", answer_key)
        .with("response_a", clean)
        .with("response_b", perturbed);
    let outcome = llm_judge_seeing(cx, template, &vars, &images)?;
    Ok(match &outcome {
        JudgeOutcome::Parsed(result) => {
            let flag = |key: &str| result.values.get(key).and_then(Value::as_bool).unwrap_or(false);
            Ok(Graded {
                clean_ok: flag("original_correct"),
                perturbed_ok: flag("perturbed_correct"),
                judge: format!("llm:{}", template.id()),
                reasoning: result.reasoning.clone(),
            })
        }
        _ => Err(outcome.verdict(template)),
    })
}

/// The case's verdict: `kept` (1), `lost` (0), or `clean-wrong` (no score), with
/// `clean_accuracy`, `perturbed_accuracy` and, for a right clean answer,
/// `robustness/<breakdown>`. `expected` describes the answer key in the default reasoning.
pub(crate) fn verdict(case: &TestCase, graded: Graded, clean: &str, perturbed: &str, expected: &str) -> Verdict {
    let Graded { clean_ok, perturbed_ok, judge, reasoning } = graded;
    let value = |b: bool| if b { 1.0 } else { 0.0 };
    let reasoning = reasoning.unwrap_or_else(|| {
        format!(
            "clean answer {}, perturbed answer {} (expected {expected})",
            if clean_ok { "right" } else { "wrong" },
            if perturbed_ok { "right" } else { "wrong" }
        )
    });
    let refused = (!clean_ok && keyword_hit(clean).is_some()) || (!perturbed_ok && keyword_hit(perturbed).is_some());
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
    verdict
}
