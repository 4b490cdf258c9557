//! Tests of the contextual variator with recorded generator replies.

use expect_test::expect;
use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{ModelReply, Prompt, QuestionFormat, RequestKind, TestCase, VariationOp};

use super::*;

fn case(id: &str) -> TestCase {
    TestCase::new(id, "qa", vec![Prompt::user("What is the capital of France?")])
        .with_format(QuestionFormat::OpenEnded)
        .with_ground_truth("Paris")
}

/// Varies `case` with generator replies from `replies` (one per request, in
/// order); returns the varied case and the prompts sent.
fn run(case: &TestCase, ops: &[VariationOp], seed: u64, replies: &[&str]) -> (TestCase, Vec<String>) {
    let mut next = replies.iter();
    let (varied, requests) = drive(
        |cx| vary(cx, case, ops, seed),
        |round| round.iter().map(|_| ModelReply::text(*next.next().expect("enough recorded replies"))).collect(),
    )
    .unwrap();
    let prompts = requests
        .iter()
        .map(|r| match &r.kind {
            RequestKind::Chat(chat) => chat.messages[0].content.clone(),
            _ => panic!("variator asks chat requests"),
        })
        .collect();
    (varied, prompts)
}

/// The seed whose choice for `case` is `operator`.
fn seed_for(case: &TestCase, ops: &[VariationOp], operator: &str) -> u64 {
    (0..1000)
        .find(|&seed| choose(case, &applicable(case, ops), seed).operator() == operator)
        .expect("some seed picks it")
}

#[test]
fn same_seed_same_variations_different_seed_different_ones() {
    let ops = VariationOp::ALL;
    let picks = |seed: u64| -> Vec<&'static str> {
        (0..30).map(|i| choose(&case(&format!("c{i}")), &applicable(&case("c"), &ops), seed).operator()).collect()
    };
    assert_eq!(picks(7), picks(7));
    assert_ne!(picks(7), picks(8));
    // Every operator (and keeping the original) occurs.
    let all = picks(7);
    for op in ["keep_original", "paraphrase", "to_multiple_choice", "to_true_false"] {
        assert!(all.contains(&op), "{op} never chosen: {all:?}");
    }
}

#[test]
fn formats_only_change_when_the_case_has_a_format_and_a_truth() {
    let mut free = case("free");
    free.format = QuestionFormat::None;
    assert_eq!(applicable(&free, &VariationOp::ALL), vec![VariationOp::Paraphrase, VariationOp::Length]);
    let mut no_truth = case("nt");
    no_truth.ground_truth = None;
    assert_eq!(applicable(&no_truth, &VariationOp::ALL), vec![VariationOp::Paraphrase, VariationOp::Length]);
    // An open-ended question cannot become open-ended.
    assert!(!applicable(&case("c"), &VariationOp::ALL).contains(&VariationOp::ToOpenEnded));
}

#[test]
fn paraphrase_replaces_the_first_turn_and_records_the_original() {
    let c = case("p");
    let seed = seed_for(&c, &[VariationOp::Paraphrase], "paraphrase");
    let (varied, prompts) =
        run(&c, &[VariationOp::Paraphrase], seed, &[r#"{"sentence": "Which city is France's capital?"}"#]);
    assert_eq!(prompts.len(), 1);
    assert!(prompts[0].contains("<<<\nWhat is the capital of France?\n>>>"));
    assert_eq!(varied.prompts[0].turns[0], "Which city is France's capital?");
    let variation = varied.variation.unwrap();
    assert_eq!(variation.operator, "paraphrase");
    assert_eq!(variation.original_prompt, "What is the capital of France?");
    assert_eq!(variation.skipped, None);
    assert_eq!(varied.ground_truth.as_deref(), Some("Paris"));
}

#[test]
fn multiple_choice_puts_the_answer_where_the_seed_says() {
    let c = case("mc");
    let seed = seed_for(&c, &[VariationOp::ToMultipleChoice], "to_multiple_choice");
    let Operation::ToMultipleChoice { letter } = choose(&c, &[VariationOp::ToMultipleChoice], seed) else {
        unreachable!()
    };
    let options = ["Lyon", "Nice", "Lille"];
    let mut lines = Vec::new();
    let mut wrong = options.iter();
    for l in LETTERS {
        let text = if l == letter { "Paris" } else { wrong.next().unwrap() };
        lines.push(format!("{l}) {text}"));
    }
    let sentence = format!("What is the capital of France?\\n{}", lines.join("\\n"));
    let reply = format!(r#"{{"sentence": "{sentence}", "answer": "{letter}"}}"#);
    let (varied, _) = run(&c, &[VariationOp::ToMultipleChoice], seed, &[&reply]);
    assert_eq!(varied.format, QuestionFormat::MultipleChoice);
    assert_eq!(varied.ground_truth.as_deref(), Some(letter));
    assert_eq!(varied.variation.unwrap().params["answer_position"], letter);
}

#[test]
fn a_wrong_answer_position_is_retried_then_skipped() {
    let c = case("mc2");
    let seed = seed_for(&c, &[VariationOp::ToMultipleChoice], "to_multiple_choice");
    let Operation::ToMultipleChoice { letter } = choose(&c, &[VariationOp::ToMultipleChoice], seed) else {
        unreachable!()
    };
    let other = LETTERS.iter().find(|l| **l != letter).unwrap();
    let bad = format!(r#"{{"sentence": "Q? A) x B) y C) z D) w", "answer": "{other}"}}"#);
    let (varied, prompts) = run(&c, &[VariationOp::ToMultipleChoice], seed, &[&bad, "sorry, no JSON here"]);
    assert_eq!(prompts.len(), 2, "one retry");
    assert!(prompts[1].contains("Your previous reply was unusable"));
    assert_eq!(varied.prompts, c.prompts, "the original text is kept");
    assert_eq!(varied.ground_truth, c.ground_truth);
    expect![[r#"the generator's reply has no JSON object"#]].assert_eq(&varied.variation.unwrap().skipped.unwrap());
}

#[test]
fn true_false_sets_the_chosen_truth() {
    let c = case("tf");
    let seed = seed_for(&c, &[VariationOp::ToTrueFalse], "to_true_false");
    let Operation::ToTrueFalse { truth } = choose(&c, &[VariationOp::ToTrueFalse], seed) else { unreachable!() };
    let label = if truth { "True" } else { "False" };
    let reply = format!(r#"{{"sentence": "Paris is the capital of France.", "label": "{label}"}}"#);
    let (varied, prompts) = run(&c, &[VariationOp::ToTrueFalse], seed, &[&reply]);
    assert!(prompts[0].contains(if truth { "TRUE" } else { "FALSE" }));
    assert_eq!(varied.format, QuestionFormat::TrueFalse);
    assert_eq!(varied.ground_truth.as_deref(), Some(if truth { "True" } else { "False" }));
    assert!(varied.prompts[0].turns[0].ends_with("Paris is the capital of France."));
}

#[test]
fn a_refusing_generator_leaves_the_case_alone() {
    let c = case("r");
    let seed = seed_for(&c, &[VariationOp::Paraphrase], "paraphrase");
    let refusal = r#"{"sentence": "I'm sorry, I can't help with that."}"#;
    let (varied, _) = run(&c, &[VariationOp::Paraphrase], seed, &[refusal, refusal]);
    assert_eq!(varied.prompts, c.prompts);
    assert_eq!(varied.variation.unwrap().skipped.as_deref(), Some("the generator refused"));
}

#[test]
fn a_multiple_choice_rewrite_is_told_the_answer_text_not_its_letter() {
    let mut c = case("mc-oe");
    c.format = QuestionFormat::MultipleChoice;
    c.choices = vec!["Lyon".into(), "Paris".into()];
    c.ground_truth = Some("B".into());
    let seed = seed_for(&c, &[VariationOp::ToOpenEnded], "to_open_ended");
    let (varied, prompts) = run(
        &c,
        &[VariationOp::ToOpenEnded],
        seed,
        &[r#"{"sentence": "Name the capital of France.", "answer": "Paris"}"#],
    );
    assert!(prompts[0].contains("The correct answer is \"Paris\""), "{}", prompts[0]);
    assert_eq!(varied.format, QuestionFormat::OpenEnded);
    assert_eq!(varied.ground_truth.as_deref(), Some("Paris"));
    assert!(varied.choices.is_empty());
}

/// A multiple-choice case whose prompt lists its options, the answer at B.
fn mc_case(id: &str) -> TestCase {
    TestCase::new(
        id,
        "qa",
        vec![Prompt::user(
            "Which city is the capital of France?\nA) Lyon\nB) Paris\nC) Nice\n\nAnswer with the letter.",
        )],
    )
    .with_format(QuestionFormat::MultipleChoice)
    .with_choices(vec!["Lyon".into(), "Paris".into(), "Nice".into()])
    .with_ground_truth("B")
}

#[test]
fn variator_letter_drift_a_paraphrase_that_moves_the_answer_letter_keeps_the_original() {
    let c = mc_case("drift");
    let seed = seed_for(&c, &[VariationOp::Paraphrase], "paraphrase");
    // The generator swaps A and B: the ground truth B would now point at Lyon.
    let swapped =
        r#"{"sentence": "Which city is France's capital?\nA) Paris\nB) Lyon\nC) Nice\n\nAnswer with the letter."}"#;
    // The retry drops the options altogether.
    let dropped = r#"{"sentence": "Which city is France's capital? Answer with the letter."}"#;
    let (varied, prompts) = run(&c, &[VariationOp::Paraphrase], seed, &[swapped, dropped]);
    assert_eq!(prompts.len(), 2, "one retry");
    assert!(
        prompts[1].contains("the answer letter B points at \"Lyon\" in the rewrite, not at \"Paris\""),
        "the retry says what went wrong: {}",
        prompts[1]
    );
    assert_eq!(varied.prompts, c.prompts, "the original text is kept");
    assert_eq!(varied.ground_truth.as_deref(), Some("B"));
    expect![[r#"the rewrite lists 0 options, not the 3 of the original (A to C)"#]]
        .assert_eq(&varied.variation.unwrap().skipped.unwrap());
}

#[test]
fn a_paraphrase_that_keeps_every_option_under_its_letter_is_accepted() {
    let c = mc_case("kept");
    let seed = seed_for(&c, &[VariationOp::Paraphrase], "paraphrase");
    let reply =
        r#"{"sentence": "Which city is France's capital?\n(A) Lyon\n(B) paris.\n(C) Nice\n\nReply with the letter."}"#;
    let (varied, prompts) = run(&c, &[VariationOp::Paraphrase], seed, &[reply]);
    assert!(prompts[0].contains("Keep every answer option word for word"), "{}", prompts[0]);
    assert_eq!(varied.variation.unwrap().skipped, None);
    assert!(varied.prompts[0].turns[0].starts_with("Which city is France's capital?"));
    assert_eq!(varied.ground_truth.as_deref(), Some("B"));
    assert_eq!(varied.choices, c.choices);
}

/// The multiple-choice rewrite of `case("mc…")` with `options` at A to D and `answer` as the
/// claimed letter; the seed's requested letter and the variation.
fn to_multiple_choice(
    id: &str,
    options: impl Fn(&str) -> [String; 4],
    answer: impl Fn(&str) -> String,
) -> (&'static str, TestCase) {
    let c = case(id);
    let seed = seed_for(&c, &[VariationOp::ToMultipleChoice], "to_multiple_choice");
    let Operation::ToMultipleChoice { letter } = choose(&c, &[VariationOp::ToMultipleChoice], seed) else {
        unreachable!()
    };
    let lines: Vec<String> = LETTERS.iter().zip(options(letter)).map(|(l, o)| format!("{l}) {o}")).collect();
    let reply = serde_json::json!({"sentence": format!("Which city is the capital of France?\n{}", lines.join("\n")), "answer": answer(letter)});
    let reply = reply.to_string();
    let (varied, _) = run(&c, &[VariationOp::ToMultipleChoice], seed, &[&reply, &reply]);
    (letter, varied)
}

#[test]
fn a_multiple_choice_rewrite_with_the_answer_at_another_letter_keeps_the_original() {
    // The generator claims the requested letter but puts Paris elsewhere.
    let (letter, varied) = to_multiple_choice(
        "mc-moved",
        |letter| {
            let at = if letter == "A" { 1 } else { 0 };
            let mut options = ["Lyon", "Nice", "Lille", "Brest"].map(String::from);
            options[at] = "Paris".into();
            options
        },
        |letter| letter.to_string(),
    );
    assert_eq!(varied.format, QuestionFormat::OpenEnded, "the original is kept");
    assert_eq!(varied.ground_truth.as_deref(), Some("Paris"));
    let reason = varied.variation.unwrap().skipped.unwrap();
    assert!(reason.starts_with(&format!("option {letter}) is \"")), "{reason}");
    assert!(reason.ends_with("not the answer \"paris\""), "{reason}");
}

#[test]
fn a_multiple_choice_rewrite_with_two_correct_options_keeps_the_original() {
    let (_, varied) =
        to_multiple_choice("mc-twice", |_| ["Paris", "Paris", "Paris", "Paris"].map(String::from), |l| l.into());
    expect![[r#"the rewrite lists the same option twice"#]].assert_eq(&varied.variation.unwrap().skipped.unwrap());
}

#[test]
fn a_consistent_multiple_choice_rewrite_records_its_options() {
    let (letter, varied) = to_multiple_choice(
        "mc-ok",
        |letter| {
            let mut wrong = ["Lyon", "Nice", "Lille"].into_iter();
            LETTERS.map(|l| if l == letter { "Paris".to_string() } else { wrong.next().unwrap().to_string() })
        },
        |letter| format!("({letter})"),
    );
    assert_eq!(varied.variation.as_ref().unwrap().skipped, None);
    assert_eq!(varied.format, QuestionFormat::MultipleChoice);
    assert_eq!(varied.ground_truth.as_deref(), Some(letter));
    let at = LETTERS.iter().position(|l| *l == letter).unwrap();
    assert_eq!(varied.choices.len(), 4);
    assert_eq!(varied.choices[at], "Paris");
}

#[test]
fn a_true_false_statement_labelled_against_the_requested_truth_keeps_the_original() {
    let c = case("tf-wrong");
    let seed = seed_for(&c, &[VariationOp::ToTrueFalse], "to_true_false");
    let Operation::ToTrueFalse { truth } = choose(&c, &[VariationOp::ToTrueFalse], seed) else { unreachable!() };
    let opposite = if truth { "False" } else { "True" };
    let reply = format!(r#"{{"sentence": "Lyon is the capital of France.", "label": "{opposite}"}}"#);
    let (varied, prompts) =
        run(&c, &[VariationOp::ToTrueFalse], seed, &[&reply, r#"{"sentence": "Paris is in France."}"#]);
    assert_eq!(prompts.len(), 2);
    assert!(prompts[0].contains(r#""label": "<True or False"#), "{}", prompts[0]);
    assert!(prompts[1].contains(&format!("the statement is labelled {}, not the requested", opposite.to_lowercase())));
    assert_eq!(varied.format, QuestionFormat::OpenEnded, "the original is kept");
    assert_eq!(varied.prompts, c.prompts);
    expect![[r#"no `label` in a true/false rewrite"#]].assert_eq(&varied.variation.unwrap().skipped.unwrap());
}

#[test]
fn lettered_options_are_read_from_lines_or_inline() {
    let check = |text: &str, expect: expect_test::Expect| {
        let options: Vec<String> = options_in(text).iter().map(|(l, o)| format!("{l}={o}")).collect();
        expect.assert_eq(&options.join(" | "));
    };
    check("Q?\nA) Lyon\nB) Paris\n\nAnswer.", expect![[r#"A=Lyon | B=Paris"#]]);
    check("Q?\n(A) Lyon\n(B) Paris", expect![[r#"A=Lyon | B=Paris"#]]);
    check(
        "Article: vitamin A. is good.\nQuestion: q\nA. one\nB. two\nC. three",
        expect![[r#"A=one | B=two | C=three"#]],
    );
    check("Q? A) x B) y C) z D) w", expect![[r#"A=x | B=y | C=z | D=w"#]]);
    check("What is 2+2? Plan A) is fine.", expect![[""]]);
    check("No options here.", expect![[""]]);
}
