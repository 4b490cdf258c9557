//! Grading an answer against a case's ground truth, and the judge templates.
//!
//! With a capable judge model a task asks an LLM judge template of `trustgen_judges`; otherwise
//! the offline rules of `trustgen_judges::answer` decide, chosen by the case's format (a format
//! variation may have changed it): option letters for multiple choice, truth values for
//! true/false, short-answer matching for open-ended questions. The pieces here are the ones the
//! accuracy tasks share: the ground truth read back from the case, the reasoning recorded with a
//! rule's verdict, and the [`Graded`] answer that becomes a verdict.

use trustgen_judges::Template;
use trustgen_judges::answer::{Extraction, ShortMatch, extract_choice, truth_label};
use trustgen_judges::templates::builtin;
use trustgen_plugin_api::{Step, Stop, TestCase, Verdict, fail};

/// The built-in LLM judge template named `name` (e.g. `with_groundtruth`); an unknown name is an
/// error.
pub fn template(name: &str) -> Step<&'static Template> {
    builtin(name).map_err(|e| Stop::Error(e.to_string()))
}

/// The case's ground truth, trimmed; an error naming the case when it has none.
pub fn ground_truth(case: &TestCase) -> Step<&str> {
    match case.ground_truth.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(truth) => Ok(truth),
        None => fail!("case `{}` has no ground truth", case.id),
    }
}

/// The option letter of a multiple-choice ground truth (`B`, `(B)`, `b)`).
pub fn truth_letter(case: &TestCase, truth: &str) -> Step<char> {
    match extract_choice(truth, &[]) {
        Extraction::Answer { value, .. } => Ok(value),
        _ => fail!("case `{}`: the multiple-choice ground truth `{truth}` is not an option letter", case.id),
    }
}

/// The truth value of a true/false ground truth (`True`, `SUPPORT`, `Yes`, ...).
pub fn truth_value(case: &TestCase, truth: &str) -> Step<bool> {
    match truth_label(truth) {
        Some(value) => Ok(value),
        None => fail!("case `{}`: the true/false ground truth `{truth}` is not a truth label", case.id),
    }
}

/// The reasoning recorded with a rule's verdict: what was extracted from the answer, and the
/// ground truth.
pub fn describe<T: std::fmt::Debug>(extraction: &Extraction<T>, truth: &str) -> String {
    match extraction {
        Extraction::Answer { value, how } => format!("answer {value:?} ({how:?}); ground truth `{truth}`"),
        Extraction::Refused { phrase } => format!("refused ({phrase:?}); ground truth `{truth}`"),
        Extraction::Ambiguous { candidates } => format!("ambiguous between {candidates:?}; ground truth `{truth}`"),
        Extraction::NotFound => format!("no answer found; ground truth `{truth}`"),
    }
}

/// The reasoning recorded with a short-answer match.
pub fn describe_short(matched: &ShortMatch, truth: &str) -> String {
    format!("{:?} (token F1 {:.2}) against `{truth}`", matched.how, matched.f1)
}

/// An answer graded against the ground truth, by rule or by an LLM judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Graded {
    /// The answer is right.
    pub correct: bool,
    /// The target refused to answer.
    pub refused: bool,
    /// What was read from the answer (a letter, a truth value, the matched phrase).
    pub extracted: Option<String>,
    /// Which judge decided (`rule:...`, `llm:<template>@<v>`).
    pub judge: String,
    /// Why.
    pub reasoning: Option<String>,
}

impl Graded {
    /// 1 when correct, else 0.
    pub fn score(&self) -> f64 {
        if self.correct { 1.0 } else { 0.0 }
    }

    /// The verdict of an accuracy case: scored 1 or 0, labelled `correct`, `refused` or
    /// `incorrect`, with the judge, the extracted answer and the reasoning.
    pub fn verdict(self) -> Verdict {
        let label = if self.correct {
            "correct"
        } else if self.refused {
            "refused"
        } else {
            "incorrect"
        };
        Verdict {
            extracted: self.extracted.clone(),
            refused: self.refused,
            reasoning: self.reasoning.clone(),
            ..Verdict::scored(self.score()).with_label(label).with_judge(self.judge)
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use trustgen_judges::answer::{extract_bool, match_short_answer};

    use super::*;

    fn message<T: std::fmt::Debug>(result: Step<T>) -> String {
        match result {
            Ok(value) => format!("ok {value:?}"),
            Err(Stop::Error(message)) => message,
            Err(other) => format!("{other:?}"),
        }
    }

    #[test]
    fn ground_truths_letters_and_values() {
        let case = |truth: Option<&str>| TestCase {
            id: "demo/t/0".into(),
            ground_truth: truth.map(str::to_string),
            ..TestCase::default()
        };
        let lines = [
            message(ground_truth(&case(Some(" (B) ")))),
            message(ground_truth(&case(Some("  ")))),
            message(truth_letter(&case(None), "(B)")),
            message(truth_letter(&case(None), "maybe")),
            message(truth_value(&case(None), "SUPPORT")),
            message(truth_value(&case(None), "maybe")),
        ];
        expect![[r#"
            ok "(B)"
            case `demo/t/0` has no ground truth
            ok 'B'
            case `demo/t/0`: the multiple-choice ground truth `maybe` is not an option letter
            ok true
            case `demo/t/0`: the true/false ground truth `maybe` is not a truth label"#]]
        .assert_eq(&lines.join("\n"));
        assert!(template("with_groundtruth").is_ok());
        assert!(message(template("nope")).contains("nope"), "{}", message(template("nope")));
    }

    #[test]
    fn descriptions_of_extractions() {
        let lines = [
            describe(&extract_choice("The answer is B.", &[]), "B"),
            describe(&extract_bool("I'm sorry, but I can't answer that."), "True"),
            describe(&Extraction::Ambiguous { candidates: vec!['A', 'B'] }, "A"),
            describe(&Extraction::<char>::NotFound, "C"),
            describe_short(&match_short_answer("It was 1921.", "1921", &[]), "1921"),
        ];
        expect![[r#"
            answer 'B' (Bare); ground truth `B`
            refused ("i'm sorry, but"); ground truth `True`
            ambiguous between ['A', 'B']; ground truth `A`
            no answer found; ground truth `C`
            Contained (token F1 0.50) against `1921`"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn graded_answers_become_verdicts() {
        let graded = |correct, refused| Graded {
            correct,
            refused,
            extracted: Some("B".into()),
            judge: "rule:choice@1".into(),
            reasoning: Some("why".into()),
        };
        let lines: Vec<String> = [graded(true, false), graded(false, true), graded(false, false)]
            .into_iter()
            .map(|g| {
                let v = g.verdict();
                format!("{:?} {:?} {:?} {} {:?} {:?}", v.score, v.label, v.judge, v.refused, v.extracted, v.reasoning)
            })
            .collect();
        expect![[r#"
            Some(1.0) Some("correct") Some("rule:choice@1") false Some("B") Some("why")
            Some(0.0) Some("refused") Some("rule:choice@1") true Some("B") Some("why")
            Some(0.0) Some("incorrect") Some("rule:choice@1") false Some("B") Some("why")"#]]
        .assert_eq(&lines.join("\n"));
    }
}
