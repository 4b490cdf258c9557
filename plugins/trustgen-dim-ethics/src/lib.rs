//! `ethics`: the machine-ethics dimension of trustgen for LLMs.
//!
//! After TrustGen's machine-ethics dimension (Huang et al. 2025). Every task reads one public
//! data set in its native field names (optional, user-supplied, converted to JSONL) and falls
//! back to an authored seed set in the same field names; the ground truth always comes from the
//! data.
//!
//! | task | data set | question | truth |
//! | --- | --- | --- | --- |
//! | `social-norms` | Social-Chem-101 | Good / Neutral / Bad | `action-moral-judgment` ≤ −1 / 0 / ≥ 1 |
//! | `moral-choice` | MoralChoice, low ambiguity | which action would you do (A/B, shuffled) | action 1 |
//! | `ethics-commonsense` | ETHICS | Not wrong / Wrong (shuffled) | `label` |
//! | `ethics-deontology` | ETHICS | Reasonable / Unreasonable (shuffled) | `label` |
//! | `ethics-justice` | ETHICS | Reasonable / Unreasonable (shuffled) | `label` |
//! | `ethics-virtue` | ETHICS | which trait (the sentence's candidate traits, shuffled) | the trait labelled 1 |
//! | `ethics-utilitarianism` | ETHICS | which is more pleasant (A/B, shuffled) | the pair's first |
//! | `moral-stories` | Moral Stories | which action is right (A/B, shuffled) | the moral action |
//! | `normbank` | NormBank | Expected / Normal / Unexpected | NormBank's label |
//! | `culturebank` | CultureBank | open-ended | judgement basis entailed (`cultural@1`, or an embedding proxy) |
//! | `vlm-social-norms` (vlm) | Social-Chem-101 (as `social-norms`) | the action rendered as a scenario image: Good / Bad (A/B swapped in half the cases) | `action-moral-judgment` ≥ 1 / ≤ −1 |
//!
//! Multiple-choice tasks are scored by `with_groundtruth@1` with a capable judge, else by the
//! rule-based answer extractors; the metric is accuracy. The dimension score is the unweighted
//! mean of the tasks that ran.
//!
//! # Fixed bugs of the original
//!
//! - MoralChoice and Moral Stories ground truths were drawn at random, independent of the
//!   options; here they follow the data under every seed, and the letter follows the option
//!   shuffle (test `random_ethics_ground_truth_bug`).
//! - NormBank had no ground truth; here it is NormBank's label.
//! - The virtue metric read an unjudged file and scored 0; here virtue cases are scored and enter
//!   the aggregate (test `virtue_is_scored`).
//! - Utilitarianism's answer was always "A"; here positions are balanced (test
//!   `shuffled_tasks_are_position_balanced`).
//!
//! # Data
//!
//! None of the public sets ships in a registry package reachable here, so they are optional
//! user files (`suites/data/ethics/user/<set>.jsonl`, see [`sources`] for the native fields and
//! one-line conversions). The default run uses authored seed sets
//! (`suites/data/ethics/metadata/<set>.jsonl`, Apache-2.0, 20–24 items per task): original
//! everyday scenarios whose label follows from the text. They are not the public benchmarks, and
//! numbers on them are not comparable with the paper's.
//!
//! The offline culturebank proxy ([`scoring::SIMILARITY_THRESHOLD`]) is not an entailment judge:
//! its threshold was fitted on 100 hand-labelled responses (5-fold cross-validated accuracy 0.77,
//! against 0.60 for always "No"; see [`scoring`]), and an embedding cosine measures closeness of
//! meaning, so a contradicting answer in similar words can pass.

pub mod common;
pub mod items;
pub mod manifest;
pub mod scoring;
pub mod sources;
pub mod tasks;
pub mod vlm;

use trustgen_plugin_api::{BuildInput, BuildOutput, Cx, Dimension, Manifest, ScoreInput, Step, Verdict};
use trustgen_plugin_kit::Plugin;

/// The machine-ethics dimension plugin.
#[derive(Debug, Default)]
pub struct Ethics;

/// The task names, in manifest order.
const TASK_NAMES: [&str; tasks::TASKS.len() + 1] = {
    let mut names = [""; tasks::TASKS.len() + 1];
    let mut i = 0;
    while i < tasks::TASKS.len() {
        names[i] = tasks::TASKS[i].name;
        i += 1;
    }
    names[i] = vlm::TASK;
    names
};

/// The plugin's name and tasks.
pub const PLUGIN: Plugin = Plugin::new("ethics", &TASK_NAMES);

impl Dimension for Ethics {
    fn manifest(&self) -> Manifest {
        manifest::manifest()
    }

    fn build(&self, cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        if input.task == vlm::TASK {
            return vlm::build(cx, input);
        }
        match tasks::task(&input.task) {
            Some(task) => tasks::build(input, task),
            None => Err(PLUGIN.unknown_task(&input.task)),
        }
    }

    fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
        if input.case.task == vlm::TASK {
            return vlm::score(cx, input);
        }
        match tasks::task(&input.case.task) {
            Some(task) if task.open => scoring::cultural(cx, input),
            Some(task) => scoring::accuracy(cx, input, task),
            None => Err(PLUGIN.unknown_case_task(&input.case)),
        }
    }
}

trustgen_plugin_api::export_plugin!(name: "ethics", dimension: Ethics);

#[cfg(test)]
mod tests;
