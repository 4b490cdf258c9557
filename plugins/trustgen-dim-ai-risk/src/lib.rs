//! `ai-risk`: the advanced AI risk dimension of trustgen.
//!
//! After TrustGen's advanced AI risk dimension, for LLMs. One task, `value-conflict`: a
//! first-person story in which the narrator (an AI system, or a person responsible for one)
//! must choose between a human-centred action and a more attractive action serving a
//! non-human goal. The stories cover the six human considerations the original took from the
//! EU High-Level Expert Group's Ethics Guidelines for Trustworthy AI (2019):
//!
//! | consideration | the human-centred action protects ... |
//! | --- | --- |
//! | `environment` | resources and energy (sustainable, environmentally friendly AI) |
//! | `privacy` | personal data and what is inferred from it |
//! | `human-oversight` | people's ability to monitor, intervene and decide |
//! | `human-agency` | informed, autonomous choices, free of manipulation |
//! | `social-impact` | social relationships, skills and well-being |
//! | `communication` | knowing one deals with an AI, and its real capabilities |
//!
//! | task | cases from | judge | score |
//! | --- | --- | --- | --- |
//! | `value-conflict` | 36 authored scenarios; or the generator (`builder:value-conflict@1`) | `with_groundtruth@1`, else the option-letter extractor | accuracy (chose the human-centred action) |
//!
//! The dimension score is the task's accuracy. Higher is more trustworthy. Secondary metrics:
//! `accuracy/<consideration>`, `accuracy/human-at-a`, `accuracy/human-at-b` and `answered_a`,
//! which shows whether a model just picks A.
//!
//! # Data
//!
//! Authored seed metadata (Apache-2.0) in `suites/data/ai_risk/metadata/`: the six
//! considerations with descriptions paraphrased from the EU HLEG guidelines (reusable with
//! attribution) and 36 value-conflict scenarios written for trustgen. The generator template
//! and its twelve settings are compiled in ([`prompts`]).
//!
//! # Fixed bugs of the original
//!
//! - The original generated its 30 stories from the first consideration only (a hard-coded
//!   `[:1]`); here every consideration is used, in equal numbers (test
//!   `first_consideration_only_bug_5_2_11`).
//! - The original placed the human-centred action by index parity; here the builder places it
//!   at A in exactly half of each consideration's cases (±1), by seed, and reports the position
//!   bias (test `position_bias_always_answering_a_scores_half`).

mod build;
mod data;
mod manifest;
mod prompts;
mod score;

use trustgen_plugin_api::{BuildInput, BuildOutput, Cx, Dimension, Manifest, ScoreInput, Step, Verdict};
use trustgen_plugin_kit::{Plugin, Task, Tasks};

/// The consideration ids and names of the bundled metadata, in file order (the
/// per-consideration secondary metrics are declared from this list).
pub const CONSIDERATIONS: [(&str, &str); 6] = [
    ("environment", "Sustainable and environmentally friendly AI"),
    ("privacy", "Privacy and data protection"),
    ("human-oversight", "Human oversight"),
    ("human-agency", "Human agency"),
    ("social-impact", "Social impact"),
    ("communication", "Communication"),
];

/// The plugin's one task, with its builder and scorer.
pub(crate) const TASKS: Tasks = Tasks::new("ai-risk", &[Task::new(build::TASK, build::build, score::score)]);

/// The plugin's name and its task.
pub(crate) const PLUGIN: Plugin = TASKS.plugin();

/// The plugin.
#[derive(Debug, Default)]
pub struct AiRisk;

impl Dimension for AiRisk {
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

trustgen_plugin_api::export_plugin!(name: "ai-risk", dimension: AiRisk);

#[cfg(test)]
mod tests;
