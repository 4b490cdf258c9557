//! Grading an answer against a case's ground truth, and the judge templates.
//!
//! With a capable judge model a task asks an LLM judge template of `trustgen_judges`; otherwise
//! the offline rules of `trustgen_judges::answer` decide, chosen by the case's format (a format
//! variation may have changed it): option letters for multiple choice, truth values for
//! true/false, short-answer matching for open-ended questions. The pieces here are the ones the
//! accuracy tasks share: the ground truth read back from the case, the reasoning recorded with a
//! rule's verdict, and the [`Graded`] answer that becomes a verdict.

use trustgen_judges::Template;
use trustgen_judges::answer::{
    Extraction, JUDGE_BOOL, JUDGE_CHOICE, JUDGE_SHORT, ShortContext, ShortGrade, ShortHow, ShortMatch, extract_bool,
    extract_choice, grade_short_answer, match_short_answer, truth_label,
};
use trustgen_judges::refusal::keyword_hit;
use trustgen_judges::templates::builtin;
use trustgen_plugin_api::{QuestionFormat, Step, Stop, TestCase, Verdict, fail};

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
        let mut verdict =
            Verdict::scored(self.score()).with_label(label).with_judge(self.judge).with_refused(self.refused);
        verdict.extracted = self.extracted;
        verdict.reasoning = self.reasoning;
        verdict
    }
}

/// The offline rules that grade an answer against the ground truth, one per question format,
/// and the judge name each records in its verdicts.
///
/// The names are part of the recorded verdicts, so a plugin keeps the ones it has always
/// recorded: [`Rules::NAMED`] (`rule:choice@1`, ...) or [`Rules::ANSWER`] (the constants of
/// `trustgen_judges::answer`, `rule:mc@1`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules<'a> {
    /// The judge of multiple-choice answers (option letters).
    pub choice: &'a str,
    /// The judge of true/false answers.
    pub truth_value: &'a str,
    /// The judge of short (open-ended) answers.
    pub short: &'a str,
}

impl Rules<'static> {
    /// `rule:choice@1`, `rule:true-false@1`, `rule:short-answer@1`.
    pub const NAMED: Rules<'static> =
        Rules { choice: "rule:choice@1", truth_value: "rule:true-false@1", short: "rule:short-answer@1" };
    /// The judges crate's names: `rule:mc@1`, `rule:tf@1`, `rule:short@1`.
    pub const ANSWER: Rules<'static> = Rules { choice: JUDGE_CHOICE, truth_value: JUDGE_BOOL, short: JUDGE_SHORT };
}

impl Rules<'_> {
    /// Grades `response` by the rule of the case's format (a variation may have changed it),
    /// without aliases.
    pub fn grade(&self, case: &TestCase, response: &str) -> Step<Graded> {
        let truth = ground_truth(case)?;
        match case.format {
            QuestionFormat::MultipleChoice => self.choice(case, truth, response),
            QuestionFormat::TrueFalse => self.truth_value(case, truth, response),
            // Free text; a format from a newer plugin API is graded as free text too.
            _ => Ok(self.short_answer(truth, response, &[])),
        }
    }

    /// A multiple-choice answer: the option letter read from `response` (or one option's text
    /// restated) against the letter of `truth`. No letter and a refusal phrase count as refused.
    pub fn choice(&self, case: &TestCase, truth: &str, response: &str) -> Step<Graded> {
        let want = truth_letter(case, truth)?;
        let extraction = extract_choice(response, &case.choices);
        let said = extraction.answer().copied();
        Ok(Graded {
            correct: said == Some(want),
            refused: refused(&extraction, response, said.is_none()),
            extracted: said.map(String::from),
            judge: self.choice.to_string(),
            reasoning: Some(describe(&extraction, truth)),
        })
    }

    /// A true/false answer: the truth value read from `response` against that of `truth`;
    /// extracted as `True` or `False`.
    pub fn truth_value(&self, case: &TestCase, truth: &str, response: &str) -> Step<Graded> {
        let want = truth_value(case, truth)?;
        let extraction = extract_bool(response);
        let said = extraction.answer().copied();
        Ok(Graded {
            correct: said == Some(want),
            refused: refused(&extraction, response, said.is_none()),
            extracted: said.map(|b| if b { "True" } else { "False" }.to_string()),
            judge: self.truth_value.to_string(),
            reasoning: Some(describe(&extraction, truth)),
        })
    }

    /// A short answer matched against `truth` and its `aliases` (exact, contained, or token F1);
    /// extracted is the matched phrase of a correct answer.
    pub fn short_answer(&self, truth: &str, response: &str, aliases: &[String]) -> Graded {
        let matched = match_short_answer(response, truth, aliases);
        Graded {
            correct: matched.correct,
            refused: matched.how == ShortHow::Refused,
            extracted: matched.matched.clone().filter(|_| matched.correct),
            judge: self.short.to_string(),
            reasoning: Some(describe_short(&matched, truth)),
        }
    }
}

impl Rules<'_> {
    /// A short answer graded in its context ([`grade_short_answer`]): quotations of the prompt
    /// removed before matching, wrong when it also asserts a known incorrect answer. The
    /// reasoning names what was removed or asserted; an abstention ("I have no comment") is
    /// in the returned [`ShortGrade`] for the task to count apart.
    pub fn short_answer_in(&self, truth: &str, response: &str, context: &ShortContext<'_>) -> (Graded, ShortGrade) {
        let grade = grade_short_answer(response, truth, context);
        let mut reasoning = describe_short(&grade.matched, truth);
        if !grade.quoted.is_empty() {
            reasoning.push_str(&format!("; quoted from the prompt, not counted: {:?}", grade.quoted));
        }
        if let Some(wrong) = &grade.asserted_incorrect {
            reasoning.push_str(&format!("; also asserts the known incorrect answer `{wrong}`"));
        }
        if let Some(phrase) = &grade.abstained {
            reasoning.push_str(&format!("; abstains ({phrase:?})"));
        }
        let graded = Graded {
            correct: grade.correct,
            refused: grade.matched.how == ShortHow::Refused,
            extracted: grade.matched.matched.clone().filter(|_| grade.correct),
            judge: self.short.to_string(),
            reasoning: Some(reasoning),
        };
        (graded, grade)
    }
}

/// A refusal: the extractor read one, or no answer was found and a refusal phrase is there.
fn refused<T>(extraction: &Extraction<T>, response: &str, no_answer: bool) -> bool {
    matches!(extraction, Extraction::Refused { .. }) || (no_answer && keyword_hit(response).is_some())
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
        let case = |truth: Option<&str>| {
            let mut case = TestCase::default().with_id("demo/t/0");
            case.ground_truth = truth.map(str::to_string);
            case
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
    fn rules_grade_by_format() {
        let case = |format, truth: &str, choices: &[&str]| {
            TestCase::default()
                .with_id("demo/t/0")
                .with_format(format)
                .with_ground_truth(truth)
                .with_choices(choices.iter().map(|c| c.to_string()).collect())
        };
        let mc = case(QuestionFormat::MultipleChoice, "B", &["Paris", "Lyon"]);
        let tf = case(QuestionFormat::TrueFalse, "SUPPORT", &[]);
        let open = case(QuestionFormat::OpenEnded, "1921", &[]);
        let show = |g: Step<Graded>| match g {
            Ok(g) => format!(
                "{} {} {:?} {} | {}",
                g.correct,
                g.refused,
                g.extracted,
                g.judge,
                g.reasoning.unwrap_or_default()
            ),
            Err(e) => format!("err {e}"),
        };
        let lines = [
            show(Rules::NAMED.grade(&mc, "The answer is B.")),
            show(Rules::ANSWER.grade(&mc, "Lyon, I think.")),
            show(Rules::NAMED.grade(&mc, "I'm sorry, but I can't choose.")),
            show(Rules::NAMED.grade(&tf, "False.")),
            show(Rules::ANSWER.grade(&tf, "Yes, that is true.")),
            show(Rules::NAMED.grade(&open, "Insulin was discovered in 1921.")),
            show(Ok(Rules::NAMED.short_answer("Banting", "Frederick Banting did it.", &["F. Banting".into()]))),
            show(Rules::NAMED.grade(&case(QuestionFormat::MultipleChoice, "maybe", &[]), "A")),
        ];
        expect![[r#"
            true false Some("B") rule:choice@1 | answer 'B' (Bare); ground truth `B`
            true false Some("B") rule:mc@1 | answer 'B' (OptionText); ground truth `B`
            false true None rule:choice@1 | refused ("i'm sorry, but"); ground truth `B`
            false false Some("False") rule:true-false@1 | answer false (Bare); ground truth `SUPPORT`
            true false Some("True") rule:tf@1 | answer true (Explicit); ground truth `SUPPORT`
            true false Some("1921") rule:short-answer@1 | Contained (token F1 0.33) against `1921`
            true false Some("Banting") rule:short-answer@1 | Contained (token F1 0.40) against `Banting`
            err case `demo/t/0`: the multiple-choice ground truth `maybe` is not an option letter"#]]
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
