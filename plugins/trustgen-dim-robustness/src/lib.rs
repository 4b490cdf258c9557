//! `robustness`: the robustness dimension of trustgen for LLMs and (`vlm-robust-vqa`) VLMs.
//!
//! Six tasks; ground-truth's accuracy drop is lower = more robust, the others higher = more robust:
//!
//! | task | cases | judge | metric |
//! | --- | --- | --- | --- |
//! | `ground-truth` | labelled items (user SST-2/MNLI, else authored sentiment/NLI items; user QQP/QNLI/IMDB/RACE), each with `clean` and `perturbed` prompts, one seeded perturbation of 13 | `with_groundtruth@1` on each answer separately, else label matching | paired accuracy drop (clean correct − perturbed correct); `consistency` (the original's Tie), `clean_accuracy`, `perturbed_accuracy`, `no_answer`, `consistency/<perturbation>` |
//! | `open-ended` | questions (user ELI5 / CNN-DailyMail, else bundled TruthfulQA), `clean` and `perturbed` | `pairwise_robustness@1` with a seeded a/b order, else answer-embedding similarity (proxy) | tie rate |
//! | `vlm-robust-vqa` (vlm) | generated scenes with known answers; `clean` and `perturbed` prompts (an image corruption at severity 1-3, rotation or flip, and/or question typos) | `image_pairwise_robustness@1` seeing both images, else value extraction | share of right clean answers that stay right; `clean_accuracy`, `perturbed_accuracy`, `robustness/<operation>` |
//! | `vlm-robust-caption` (vlm) | the user's COCO captions (option `coco_dir`), `clean` and `perturbed` as above | `image_pairwise_robustness@1` seeing both images, with the reference captions (needs the judge) | share of faithful clean captions that stay faithful |
//! | `vlm-robust-vqav2` (vlm) | the user's VQAv2 questions (options `vqav2_dir`, `coco_dir`), `clean` and `perturbed` as above | the VQA accuracy rule (offline) | share of right clean answers that stay right; `clean_vqa_accuracy`, `perturbed_vqa_accuracy` |
//! | `prompt-injection` | 4 target tasks × (4 injected tasks + PromptInject goal hijacking) × 5 attacks, balanced by seed | `prompt_injection@1`, else label words | 1 / 0.5 / 0 mean |
//!
//! The dimension score is the mean of 1 − the ground-truth accuracy drop and the injection score
//! (see the manifest's aggregate). The 13 perturbations are in [`perturb`]: pure code, the
//! authored lexicon and pool, or the generator (`builder:*@1` templates in `prompts/`) with
//! deterministic fallbacks. Authored metadata is in `suites/data/robustness/metadata/`; the
//! fixed method text (task prompts, injection instructions, attack templates, stop words, the
//! fallback emojis) is compiled in.
//!
//! # Fixed bugs of the original
//!
//! - Ground-truth items carried `label` but were judged against a missing `ground_truth`: here
//!   the row's `label` is the case's ground truth (test `label_is_the_ground_truth_bug_5_2_5`).
//! - Judging the clean answers substituted the stringified dict of all models' responses into
//!   the judge prompt: here each judge request carries exactly one answer (test
//!   `each_judge_request_sees_one_answer_bug_5_2_5`).
//! - Pairwise judging had a random, unrecorded a/b swap: here the order is drawn by seed at build
//!   time, recorded, and mapped back (test `pairwise_order_is_seeded_recorded_and_mapped_back`).

pub mod data;
pub mod ground_truth;
pub mod injection;
pub mod labels;
pub mod manifest;
pub mod open_ended;
pub mod perturb;
pub mod prompts;
pub mod vlm;
pub mod vlm_pair;
pub mod vlm_user;

use trustgen_plugin_api::{BuildInput, BuildOutput, Cx, Dimension, Manifest, ScoreInput, Step, Verdict};
use trustgen_plugin_kit::{Plugin, Task, Tasks};

/// The robustness dimension plugin.
#[derive(Debug, Default)]
pub struct Robustness;

/// The tasks, in manifest order, with their builders and scorers.
pub const TASKS: Tasks = Tasks::new(
    "robustness",
    &[
        Task::new(ground_truth::TASK, ground_truth::build, ground_truth::score),
        Task::new(open_ended::TASK, open_ended::build, open_ended::score),
        Task::new(injection::TASK, |_, input| injection::build(input), injection::score),
        Task::new(vlm::TASK, vlm::build, vlm::score),
        Task::new(vlm_user::CAPTION, vlm_user::build_caption, vlm_user::score_caption),
        Task::new(vlm_user::VQAV2, vlm_user::build_vqav2, vlm_user::score_vqav2),
    ],
);

/// The plugin's name and tasks.
pub const PLUGIN: Plugin = TASKS.plugin();

impl Dimension for Robustness {
    fn manifest(&self) -> Manifest {
        manifest::manifest()
    }

    fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        TASKS.build(cx, input)
    }

    fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
        TASKS.score(cx, input)
    }
}

trustgen_plugin_api::export_plugin!(name: "robustness", dimension: Robustness);

#[cfg(test)]
mod tests;
