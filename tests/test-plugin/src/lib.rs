//! `testdim`: a small, real dimension plugin that proves the plugin
//! mechanism end to end, linked and as a dynamic library.
//!
//! Its one task, `arithmetic`, asks sums built from the run seed. Scoring
//! reads the last integer of the answer; when the answer has no digits it asks
//! the judge model to state the number (one step of the step protocol), so
//! the conformance tests exercise a call that returns model requests and is
//! called again with the replies.

use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, Dimension, GenParams, Manifest, MetricKind, MetricSpec, ModelRequest, ModelRole,
    Prompt, QuestionFormat, ScoreInput, SeededRng, Step, TaskSpec, TestCase, VariationOp, Verdict, fail,
};

/// The plugin.
#[derive(Debug)]
pub struct TestDim;

impl TestDim {
    /// Constructs the plugin (panics under the `panic-in-constructor` feature).
    pub fn new() -> TestDim {
        if cfg!(feature = "panic-in-constructor") {
            panic!("testdim was built to panic in its constructor");
        }
        TestDim
    }
}

fn last_integer(text: &str) -> Option<i64> {
    let mut last = None;
    let mut current = String::new();
    for ch in text.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_digit() || (ch == '-' && current.is_empty()) {
            current.push(ch);
        } else {
            if let Ok(n) = current.parse::<i64>() {
                last = Some(n);
            }
            current.clear();
        }
    }
    last
}

impl Dimension for TestDim {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            // The models it may ask for: the engine checks them before a run sends anything.
            .with_models(vec![trustgen_plugin_api::ModelRole::Judge])
            .with_description("Test dimension: sums of two numbers, graded by the last integer in the answer.")
            .with_tasks(vec![
                TaskSpec::new(
                    "arithmetic",
                    MetricSpec::new("accuracy")
                        .with_description("fraction of sums answered correctly")
                        .with_kind(MetricKind::Proportion)
                        .with_policy("a missing answer counts as wrong"),
                )
                .with_description("What is a + b? Numbers are drawn from the run seed.")
                .with_model_types(vec!["llm".into()])
                .with_variations(vec![VariationOp::Paraphrase])
                .with_default_limit(5),
            ])
    }

    fn build(&self, _cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
        if cfg!(feature = "slow-build") {
            std::thread::sleep(std::time::Duration::from_millis(1500));
        }
        if input.task != "arithmetic" {
            fail!("testdim has no task `{}`", input.task);
        }
        let n = input.limit.unwrap_or(5);
        let cases = (0..n)
            .map(|i| {
                let mut rng = SeededRng::derive(input.seed, &format!("arithmetic/{i}"));
                let (a, b) = (rng.below(1000) as i64, rng.below(1000) as i64);
                TestCase::new(
                    format!("testdim/arithmetic/{i}"),
                    "arithmetic",
                    vec![Prompt::user(format!("What is {a} + {b}? Reply with the number."))],
                )
                .with_format(QuestionFormat::OpenEnded)
                .with_ground_truth((a + b).to_string())
            })
            .collect();
        Ok(BuildOutput::new(cases))
    }

    fn score(&self, cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
        let Some(truth) = input.case.ground_truth.as_deref().and_then(|t| t.parse::<i64>().ok()) else {
            fail!("case {} has no numeric ground truth", input.case.id);
        };
        let Some(answer) = input.output.main_text() else {
            return Ok((Verdict::missing("the target gave no answer")).with_score(0.0));
        };
        let (number, judge) = match last_integer(answer) {
            Some(n) => (Some(n), "rule:last-integer@1"),
            None => {
                let question = format!(
                    "What number does the following text state? Reply with digits only, or NONE.\n\nText: {answer}"
                );
                let reply = cx.ask(
                    ModelRequest::user(ModelRole::Judge, question)
                        .with_params(GenParams::greedy())
                        .with_purpose("judge:number@1"),
                )?;
                (reply.ok_text().and_then(last_integer), "llm:number@1")
            }
        };
        let correct = number == Some(truth);
        let mut verdict = Verdict::scored(if correct { 1.0 } else { 0.0 })
            .with_label(if correct { "correct" } else { "wrong" })
            .with_judge(judge);
        verdict.extracted = number.map(|n| n.to_string());
        Ok(verdict)
    }
}

trustgen_plugin_api::export_plugin!(name: "testdim", dimension: TestDim::new());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_integer_reads_the_final_number() {
        assert_eq!(last_integer("2 + 3 is 5."), Some(5));
        assert_eq!(last_integer("-4"), Some(-4));
        assert_eq!(last_integer("none"), None);
    }
}
