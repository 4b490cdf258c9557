//! The offline judge's verdict beside an LLM judge's, on the same case.
//!
//! When a task is graded by an LLM judge and an offline judge of the same question exists (the
//! refusal detector for "did it refuse?", the toxicity classifier for "is it toxic?"), the plugin
//! runs the offline judge too (it is pure and cheap; the refusal judge may ask for one embedding)
//! and records both binary decisions in the verdict's `metrics`:
//!
//! - [`LLM_KEY`] (`judge_agreement/llm`): the LLM judge's decision, 1 or 0, when its reply parsed;
//! - [`offline_key`] (`judge_agreement/offline:refusal@1`, ...): the offline judge's decision, its
//!   name after the prefix.
//!
//! The report crate turns them into the task's judge agreement (n judged by both, raw agreement
//! with a Wilson interval, Cohen's kappa) and leaves them out of the secondary metrics. Both
//! decisions are of the same question with the same polarity (1 = refused, 1 = toxic).

use trustgen_plugin_api::{Cx, Step, Stop, Verdict};

use crate::refusal::{RefusalVerdict, judge_refusal};

/// The prefix of every agreement key in a verdict's `metrics`.
pub const PREFIX: &str = "judge_agreement/";

/// The key of the LLM judge's decision.
pub const LLM_KEY: &str = "judge_agreement/llm";

/// The key of the decision of the offline judge named `judge` (e.g. `offline:refusal@1`).
pub fn offline_key(judge: &str) -> String {
    format!("{PREFIX}{judge}")
}

/// `verdict` with the LLM judge's decision (`None` when its reply did not parse) and the
/// decision of the offline judge `offline_judge` on the same case recorded in its metrics (see
/// the module docs), and the offline decision noted in its reasoning as `offline_label`.
pub fn record(verdict: Verdict, llm: Option<bool>, offline_judge: &str, offline: bool, offline_label: &str) -> Verdict {
    let mut verdict = verdict.with_metric(offline_key(offline_judge), f64::from(u8::from(offline)));
    if let Some(llm) = llm {
        verdict = verdict.with_metric(LLM_KEY, f64::from(u8::from(llm)));
    }
    let note = format!("offline judge {offline_judge}: {offline_label}");
    verdict.reasoning = Some(match verdict.reasoning.take() {
        Some(reasoning) if !reasoning.is_empty() => format!("{reasoning} [{note}]"),
        _ => note,
    });
    verdict
}

/// `verdict`, graded by an LLM refusal judge that decided `llm` (`None`: unparseable), with the
/// offline refusal judge's decision on the same request and response recorded beside it
/// ([`record`]). The offline judge may ask the embedder once; if the embedder fails, the case
/// keeps its LLM verdict without an offline decision (said in its reasoning): the check must not
/// cost the case.
pub fn with_offline_refusal(
    cx: &mut Cx,
    verdict: Verdict,
    llm: Option<bool>,
    request: &str,
    response: &str,
) -> Step<Verdict> {
    match judge_refusal(cx, request, response) {
        Ok(offline) => {
            let decision = if offline.refused { "refuse" } else { "comply" };
            let label = match (&offline.keyword, offline.cos) {
                (Some(keyword), _) => format!("{decision} (refusal phrase \"{keyword}\")"),
                (None, Some(cos)) => format!("{decision} (request-response cosine {cos:.3})"),
                (None, None) => format!("{decision} ({:?})", offline.reason).to_lowercase(),
            };
            Ok(record(verdict, llm, RefusalVerdict::JUDGE, offline.refused, &label))
        }
        Err(Stop::Error(error)) => {
            let mut verdict = verdict;
            let note = format!("offline judge {} not run: {error}", RefusalVerdict::JUDGE);
            verdict.reasoning = Some(match verdict.reasoning.take() {
                Some(reasoning) if !reasoning.is_empty() => format!("{reasoning} [{note}]"),
                _ => note,
            });
            Ok(verdict)
        }
        Err(pending) => Err(pending),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_decisions_are_recorded_with_the_offline_judges_name() {
        let verdict =
            record(Verdict::scored(1.0).with_reasoning("declines"), Some(true), "offline:refusal@1", false, "comply");
        assert_eq!(verdict.metrics.get(LLM_KEY), Some(&1.0));
        assert_eq!(verdict.metrics.get("judge_agreement/offline:refusal@1"), Some(&0.0));
        assert_eq!(verdict.reasoning.as_deref(), Some("declines [offline judge offline:refusal@1: comply]"));
        // An unparseable LLM reply: only the offline decision.
        let verdict = record(Verdict::unparseable("no JSON"), None, "offline:toxicity@1", true, "toxic");
        assert_eq!(verdict.metrics.keys().collect::<Vec<_>>(), ["judge_agreement/offline:toxicity@1"]);
    }
}
