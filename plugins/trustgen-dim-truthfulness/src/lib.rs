//! `truthfulness`: the truthfulness dimension of trustgen.
//!
//! After TrustGen's truthfulness dimension (Huang et al. 2025), for LLMs and (the `vlm-` tasks) VLMs. Every task score is
//! oriented so that higher is more truthful.
//!
//! | task | cases from | judge | score |
//! | --- | --- | --- | --- |
//! | `qa` | TruthfulQA; or retrieved documents + generator | `with_groundtruth@1`, else short-answer rule | accuracy |
//! | `qa-context` | HaluEval QA knowledge (+ user SQuAD 2.0 / AdversarialQA / HotpotQA); or retrieved | same | accuracy |
//! | `fact-check` | retrieved fact-check articles + generator; or user `fact_check.jsonl`; else skipped | `with_groundtruth@1`, else truth-value rule | accuracy |
//! | `sycophancy-persona` | persona bio (generator or authored) + claim; `baseline` and `main` prompts | same | accuracy on `main`; `baseline_accuracy`, `flip` |
//! | `sycophancy-preconception` | HaluEval question + "I (don't) think the answer is ..." | `with_groundtruth@1`, else short-answer rule | accuracy on `main`; `baseline_accuracy`, `flip` |
//! | `sycophancy-self-doubt` | HaluEval question, then a doubt follow-up (real 2-turn chat) | `self_doubt@1`, else per-turn extraction | 1 − change rate |
//! | `sycophancy-anthropic` | Anthropic sycophancy evals, with and without the biography | option-letter rule | 1 − switch-to-user-view rate |
//! | `hallucination` | HaluEval QA: knowledge, question, right or hallucinated answer | Yes/No rule | accuracy |
//! | `hallucination-mc` | HaluEval QA: right vs hallucinated answer as A/B | option-letter rule | accuracy |
//! | `hallucination-dialogue` | user-supplied HaluEval dialogue (else skipped) | Yes/No rule | accuracy |
//! | `hallucination-summarization` | user-supplied HaluEval summarization (else skipped) | Yes/No rule | accuracy |
//! | `vlm-hallucination-generated` (vlm) | scenes drawn at build time; 4 false-premise and 4 control kinds | `image_groundtruth@1` (sees the image), else premise/value rules | accuracy; `false_premise_accuracy`, `control_accuracy` |
//! | `vlm-hallusionbench` (vlm) | the user's HallusionBench folder (option `hallusionbench_dir`, else skipped) | `image_groundtruth@1` (sees the image), else Yes/No rule | accuracy |
//!
//! The dimension score is the unweighted mean of the task scores that ran (see the manifest's
//! aggregate for the differences from the original's `Truthfulness_ratio`).
//!
//! # Data
//!
//! Bundled: TruthfulQA (Apache-2.0), a 300-row HaluEval QA subset (MIT and CC-BY-SA-4.0), a
//! 150-item sample of Anthropic's sycophancy evals (CC-BY-4.0). Authored seed metadata (QA
//! topics, fact-check sites and keywords, personas with biographies, doubt follow-ups) is in
//! `suites/data/truthfulness/metadata/`. User-supplied, optional: `fact_check.jsonl`,
//! `squad2.jsonl`, `adversarialqa.jsonl`, `hotpotqa.jsonl`, `halueval_dialogue.jsonl`,
//! `halueval_summarization.jsonl`. The fixed method text (prompts,
//! the two preconception sentences, the generator templates `builder:qa@1`,
//! `builder:fact-check@1`, `builder:persona@1`) is compiled in (`prompts`).
//!
//! Not included: CODAH (no task fits commonsense completion), TrustLLM's sycophancy completions for
//! the embedding metric (the bundled Anthropic sample has letters only), and the honesty
//! sub-dimension (the original has no generator for it).
//!
//! # Fixed bugs of the original
//!
//! - Item 2: self-doubt counted the change rate as a positive score; here the score is
//!   1 − change rate (test `self_doubt_direction_bug_5_2_2`).
//! - The hallucination score divided two subsets by one shared count; here each task has its
//!   own denominator, and the multiple-choice answer is not always A.

mod anthropic;
mod data;
mod fact_check;
mod hallucination;
mod manifest;
mod persona;
mod preconception;
mod prompts;
mod qa;
mod scoring;
mod self_doubt;
mod vlm;

use trustgen_plugin_api::{BuildInput, BuildOutput, Cx, Dimension, Manifest, ScoreInput, Step, Verdict};
use trustgen_plugin_kit::{Plugin, Task, Tasks};

/// Task names.
pub mod tasks {
    /// Closed-book QA.
    pub const QA: &str = "qa";
    /// QA with a context passage.
    pub const QA_CONTEXT: &str = "qa-context";
    /// Claim verification against evidence.
    pub const FACT_CHECK: &str = "fact-check";
    /// Persona sycophancy.
    pub const PERSONA: &str = "sycophancy-persona";
    /// Preconception sycophancy.
    pub const PRECONCEPTION: &str = "sycophancy-preconception";
    /// Self-doubt sycophancy (two turns).
    pub const SELF_DOUBT: &str = "sycophancy-self-doubt";
    /// Opinion sycophancy on Anthropic's evals.
    pub const ANTHROPIC: &str = "sycophancy-anthropic";
    /// Hallucination detection (Yes/No).
    pub const HALLUCINATION: &str = "hallucination";
    /// Hallucination multiple choice.
    pub const HALLUCINATION_MC: &str = "hallucination-mc";
    /// Hallucination detection in dialogue responses (user-supplied HaluEval dialogue).
    pub const HALLUCINATION_DIALOGUE: &str = "hallucination-dialogue";
    /// Hallucination detection in summaries (user-supplied HaluEval summarization).
    pub const HALLUCINATION_SUMMARIZATION: &str = "hallucination-summarization";
    /// VLM: questions about generated scenes, half with a premise the image contradicts.
    pub const VLM_HALLUCINATION_GENERATED: &str = "vlm-hallucination-generated";
    /// VLM: HallusionBench from the user's folder.
    pub const VLM_HALLUSIONBENCH: &str = "vlm-hallusionbench";
}

/// The offline grading rules exactly as the tasks call them, public so that `cargo xtask
/// judge-eval` (`crates/trustgen-embedded/examples/judge_eval.rs`) measures them on labelled
/// replies: [`offline`](rules::offline) grades the accuracy tasks without an LLM judge (short
/// answers in `qa`, `qa-context` and `sycophancy-preconception` through
/// `trustgen_judges::answer::grade_short_answer` with the case's aliases, known incorrect answers
/// and prompt), [`grade_yes_no`](rules::grade_yes_no) the yes/no hallucination tasks
/// (`rule:yes-no@1`).
pub mod rules {
    pub use crate::hallucination::grade_yes_no;
    pub use crate::scoring::offline;
}

/// The tasks, in manifest order, with their builders and scorers.
pub(crate) const TASKS: Tasks = Tasks::new(
    "truthfulness",
    &[
        Task::new(tasks::QA, |cx, input| qa::build(cx, input, qa::Variant::Closed), scoring::accuracy),
        Task::new(tasks::QA_CONTEXT, |cx, input| qa::build(cx, input, qa::Variant::Context), scoring::accuracy),
        Task::new(tasks::FACT_CHECK, fact_check::build, scoring::accuracy),
        Task::new(tasks::PERSONA, persona::build, scoring::paired),
        Task::new(tasks::PRECONCEPTION, preconception::build, scoring::paired),
        Task::new(tasks::SELF_DOUBT, self_doubt::build, self_doubt::score),
        Task::new(tasks::ANTHROPIC, anthropic::build, anthropic::score),
        Task::new(
            tasks::HALLUCINATION,
            |cx, input| hallucination::build(cx, input, false),
            |_, input| hallucination::score_yes_no(input),
        ),
        Task::new(
            tasks::HALLUCINATION_MC,
            |cx, input| hallucination::build(cx, input, true),
            |_, input| scoring::rule_accuracy(input),
        ),
        Task::new(
            tasks::HALLUCINATION_DIALOGUE,
            |_, input| hallucination::build_user(input, hallucination::UserSet::Dialogue),
            |_, input| hallucination::score_yes_no(input),
        ),
        Task::new(
            tasks::HALLUCINATION_SUMMARIZATION,
            |_, input| hallucination::build_user(input, hallucination::UserSet::Summarization),
            |_, input| hallucination::score_yes_no(input),
        ),
        Task::new(tasks::VLM_HALLUCINATION_GENERATED, vlm::build_generated, vlm::score),
        Task::new(tasks::VLM_HALLUSIONBENCH, |_, input| vlm::build_hallusionbench(input), vlm::score),
    ],
);

/// The plugin's name and tasks.
pub(crate) const PLUGIN: Plugin = TASKS.plugin();

/// The plugin.
#[derive(Debug, Default)]
pub struct Truthfulness;

impl Dimension for Truthfulness {
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

trustgen_plugin_api::export_plugin!(name: "truthfulness", dimension: Truthfulness);

#[cfg(test)]
mod tests;
