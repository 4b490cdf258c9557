//! The contextual variator: TrustGen's third module, as pure code.
//!
//! [`vary`] is a step-protocol method like a plugin's: it asks the generator
//! through its [`Cx`] and never does I/O (no tokio, no files), so the engine
//! drives it through the same driver as plugins
//! ([`trustgen_plugin_api::step::Session`]) and its tests replay recorded
//! replies with [`trustgen_plugin_api::step::drive`].
//!
//! For each case of a task that allows variations, one operator is chosen
//! from the allowed ones plus "keep the original", uniformly, from the run
//! seed and the case id (so the same seed gives the same variations and a
//! different seed different ones). The generator model rewrites the first
//! user turn; format changes also produce the new ground truth. A reply that
//! does not parse or fails its checks is retried once, then the case keeps
//! its original text and records why (`variation.skipped`).
//!
//! The checks keep the ground truth true of the rewritten text: a paraphrase
//! or length change of a multiple-choice question must list the same options
//! under the same letters (so the answer letter still points at the same
//! option text); a rewrite into multiple choice must list four distinct
//! options A to D with the answer's text at the requested letter and at no
//! other; a rewrite into true/false must label its statement with the
//! requested truth value.
//!
//! Prompt templates are versioned (`variator@2`); the version is part of
//! each request's purpose and therefore of the cache key. A request carries
//! its temperature; the engine's clients add a seed derived from the run seed
//! and the request (where the provider takes one) and record both with it.

use serde_json::json;
use trustgen_plugin_api::{
    Cx, GenParams, JsonMap, ModelRequest, ModelRole, QuestionFormat, SeededRng, Step, TestCase, Variation, VariationOp,
};

/// The template version, part of every variator request.
pub const VERSION: &str = "variator@2";

const LETTERS: [&str; 4] = ["A", "B", "C", "D"];

/// The operators that can apply to `case` out of `allowed`.
pub fn applicable(case: &TestCase, allowed: &[VariationOp]) -> Vec<VariationOp> {
    let has_truth = case.ground_truth.as_deref().is_some_and(|t| !t.trim().is_empty());
    let has_text = main_text(case).is_some();
    allowed
        .iter()
        .copied()
        .filter(|_| has_text)
        .filter(|op| match op {
            VariationOp::Paraphrase | VariationOp::Length => true,
            VariationOp::ToMultipleChoice => {
                has_truth && case.format != QuestionFormat::MultipleChoice && case.format != QuestionFormat::None
            }
            VariationOp::ToTrueFalse => {
                has_truth && case.format != QuestionFormat::TrueFalse && case.format != QuestionFormat::None
            }
            VariationOp::ToOpenEnded => {
                has_truth && case.format != QuestionFormat::OpenEnded && case.format != QuestionFormat::None
            }
            // An operator from a newer plugin API is not known here: skipped.
            _ => false,
        })
        .collect()
}

fn main_index(case: &TestCase) -> Option<usize> {
    case.prompts.iter().position(|p| p.name == "main").or(if case.prompts.is_empty() { None } else { Some(0) })
}

fn main_text(case: &TestCase) -> Option<&str> {
    main_index(case).and_then(|i| case.prompts[i].turns.first()).map(String::as_str)
}

/// The chosen operation (with its seeded parameters).
#[derive(Debug, Clone, PartialEq)]
enum Operation {
    Keep,
    Paraphrase,
    Lengthen,
    Shorten,
    ToMultipleChoice { letter: &'static str },
    ToTrueFalse { truth: bool },
    ToOpenEnded,
}

impl Operation {
    fn operator(&self) -> &'static str {
        match self {
            Operation::Keep => "keep_original",
            Operation::Paraphrase => "paraphrase",
            Operation::Lengthen => "lengthen",
            Operation::Shorten => "shorten",
            Operation::ToMultipleChoice { .. } => "to_multiple_choice",
            Operation::ToTrueFalse { .. } => "to_true_false",
            Operation::ToOpenEnded => "to_open_ended",
        }
    }

    fn params(&self) -> JsonMap {
        let mut params = JsonMap::new();
        match self {
            Operation::ToMultipleChoice { letter } => {
                params.insert("answer_position".into(), json!(letter));
            }
            Operation::ToTrueFalse { truth } => {
                params.insert("target_truth".into(), json!(if *truth { "True" } else { "False" }));
            }
            _ => {}
        }
        params.insert("template".into(), json!(VERSION));
        params
    }
}

fn choose(case: &TestCase, ops: &[VariationOp], seed: u64) -> Operation {
    let mut rng = SeededRng::derive(seed, &format!("variation/{}", case.id));
    let pick = rng.below(ops.len() + 1);
    let Some(op) = ops.get(pick) else { return Operation::Keep };
    match op {
        VariationOp::Paraphrase => Operation::Paraphrase,
        VariationOp::Length => {
            if rng.chance(0.5) {
                Operation::Lengthen
            } else {
                Operation::Shorten
            }
        }
        VariationOp::ToMultipleChoice => Operation::ToMultipleChoice { letter: LETTERS[rng.below(4)] },
        VariationOp::ToTrueFalse => Operation::ToTrueFalse { truth: rng.chance(0.5) },
        VariationOp::ToOpenEnded => Operation::ToOpenEnded,
        // `applicable` never lets an unknown operator through.
        _ => Operation::Keep,
    }
}

fn instruction(choice: &Operation, text: &str, truth: Option<&str>, options: &[(char, String)]) -> String {
    let mut task = match choice {
        Operation::Keep => unreachable!("keep needs no request"),
        Operation::Paraphrase => "Paraphrase the text: keep its meaning, every option, number and piece of context, and about the same length. Do not answer it.".to_string(),
        Operation::Lengthen => "Make the text longer by adding redundant but harmless wording (no new facts, no hints). Keep its meaning, every option and all context. Do not answer it.".to_string(),
        Operation::Shorten => "Make the text shorter by removing redundant wording. Keep its meaning, every option and all context needed to answer. Do not answer it.".to_string(),
        Operation::ToMultipleChoice { letter } => format!(
            "Rewrite the question as a multiple-choice question with exactly four options labelled A), B), C) and D), one per line, after the question. Exactly one option is correct: the answer \"{}\". Put the correct option at position {letter}; the other three must be plausible but wrong. Reply with the answer letter {letter}.",
            truth.unwrap_or_default()
        ),
        Operation::ToTrueFalse { truth: value } => format!(
            "The correct answer to the question is \"{}\". Write one declarative statement about the question's subject that is {}, so that a reader must know the answer to judge it. Do not say in the statement whether it is true; give its truth value as the label.",
            truth.unwrap_or_default(),
            if *value { "TRUE" } else { "FALSE" }
        ),
        Operation::ToOpenEnded => format!(
            "Rewrite the question as an open-ended question with no options and no true/false framing, so that it asks for the answer directly. The correct answer is \"{}\"; reply with that answer as a short phrase.",
            truth.unwrap_or_default()
        ),
    };
    if !options.is_empty() && matches!(choice, Operation::Paraphrase | Operation::Lengthen | Operation::Shorten) {
        task.push_str(
            " Keep every answer option word for word, each under its letter (A), B), ...), in the same order.",
        );
    }
    let reply = match choice {
        Operation::ToMultipleChoice { .. } | Operation::ToOpenEnded => {
            r#"{"sentence": "<the rewritten text>", "answer": "<the answer>"}"#
        }
        Operation::ToTrueFalse { .. } => {
            r#"{"sentence": "<the statement>", "label": "<True or False: the truth of the statement>"}"#
        }
        _ => r#"{"sentence": "<the rewritten text>"}"#,
    };
    format!(
        "You rewrite questions for an evaluation benchmark. {task}\n\nReply with JSON only, in this shape: {reply}\n\nText:\n<<<\n{text}\n>>>"
    )
}

/// Finds the first JSON object in a model reply (code fences and prose around
/// it are ignored) and parses it.
pub(crate) fn parse_json_object(reply: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let start = reply.find('{')?;
    let end = reply.rfind('}')?;
    if end <= start {
        return None;
    }
    let candidate = &reply[start..=end];
    let cleaned = candidate.replace(['\u{201c}', '\u{201d}'], "\"");
    serde_json::from_str::<serde_json::Value>(&cleaned).ok()?.as_object().cloned()
}

fn refuses(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["i'm sorry", "i am sorry", "i cannot", "i can't", "as an ai"].iter().any(|p| lower.starts_with(p))
}

/// The lettered options of `text`, in order from A: labels `A)`, `(A)` or `A.` that start a line,
/// else `A)` or `(A)` labels within a line. Each option's text runs to the next label or the end of
/// its line. Empty when fewer than two labels are found.
pub(crate) fn options_in(text: &str) -> Vec<(char, String)> {
    [(')', true), ('.', true), (')', false)]
        .into_iter()
        .map(|(close, line_start)| options_with(text, close, line_start))
        .find(|options| options.len() >= 2)
        .unwrap_or_default()
}

fn options_with(text: &str, close: char, line_start: bool) -> Vec<(char, String)> {
    let mut labels: Vec<(char, usize, usize)> = Vec::new();
    let mut from = 0;
    for letter in 'A'..='J' {
        let Some((start, end)) = find_label(text, from, letter, close, line_start) else { break };
        labels.push((letter, start, end));
        from = end;
    }
    labels
        .iter()
        .enumerate()
        .map(|(i, &(letter, _, end))| {
            let stop = labels.get(i + 1).map_or(text.len(), |next| next.1);
            let option = text[end..stop].split('\n').next().unwrap_or_default().trim();
            (letter, option.to_string())
        })
        .collect()
}

/// The next label `<letter><close>` (or `(<letter>)`) at or after byte `from`: its start and end.
fn find_label(text: &str, from: usize, letter: char, close: char, line_start: bool) -> Option<(usize, usize)> {
    let pattern = format!("{letter}{close}");
    let mut at = from;
    while let Some(found) = text[at..].find(&pattern) {
        let start = at + found;
        let end = start + pattern.len();
        at = end;
        let before = text[..start].chars().next_back();
        let start = if before == Some('(') && close == ')' { start - 1 } else { start };
        let opens = before.is_none_or(|c| c.is_whitespace() || (c == '(' && close == ')'));
        let closes = text[end..].chars().next().is_none_or(char::is_whitespace);
        let at_line_start = !line_start || text[..start].rsplit('\n').next().is_none_or(|l| l.trim().is_empty());
        if opens && closes && at_line_start {
            return Some((start, end));
        }
    }
    None
}

/// Option or answer text for comparison: lower case, single spaces, no surrounding quotes or
/// final punctuation.
fn normalized(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | '.' | ',' | ';' | ':' | '!' | '?') || c.is_whitespace())
        .to_string()
}

fn letter_range(options: &[(char, String)]) -> String {
    match (options.first(), options.last()) {
        (Some((first, _)), Some((last, _))) => format!("{first} to {last}"),
        _ => "none".into(),
    }
}

/// A paraphrase or length change keeps every option of the original under its letter (the answer
/// letter `answer` first), and no option is added.
fn same_options(original: &[(char, String)], rewritten: &[(char, String)], answer: Option<char>) -> Result<(), String> {
    if original.is_empty() {
        return Ok(());
    }
    if rewritten.len() != original.len() {
        return Err(format!(
            "the rewrite lists {} options, not the {} of the original ({})",
            rewritten.len(),
            original.len(),
            letter_range(original)
        ));
    }
    let pairs = || original.iter().zip(rewritten);
    if let Some(((letter, before), (_, after))) = pairs().find(|((letter, _), _)| Some(*letter) == answer)
        && normalized(before) != normalized(after)
    {
        return Err(format!("the answer letter {letter} points at \"{after}\" in the rewrite, not at \"{before}\""));
    }
    for ((letter, before), (_, after)) in pairs() {
        if normalized(before) != normalized(after) {
            return Err(format!("option {letter}) is \"{before}\" in the original but \"{after}\" in the rewrite"));
        }
    }
    Ok(())
}

/// A rewrite into multiple choice: four distinct options A to D, the answer's text at `letter`
/// and at no other letter. Returns the option texts.
fn consistent_choice(sentence: &str, letter: &str, truth: Option<&str>) -> Result<Vec<String>, String> {
    let options = options_in(sentence);
    let letters: String = options.iter().map(|(l, _)| *l).collect();
    if letters != "ABCD" {
        return Err("the rewrite does not label four options A) to D)".into());
    }
    if options.iter().any(|(_, text)| normalized(text).is_empty()) {
        return Err("the rewrite has an empty option".into());
    }
    let texts: Vec<String> = options.iter().map(|(_, text)| normalized(text)).collect();
    if (1..texts.len()).any(|i| texts[..i].contains(&texts[i])) {
        return Err("the rewrite lists the same option twice".into());
    }
    if let Some(truth) = truth.map(normalized).filter(|t| !t.is_empty()) {
        let at = usize::from(letter.as_bytes()[0] - b'A');
        let correct = &texts[at];
        if !(correct == &truth || correct.contains(&truth) || truth.contains(correct.as_str())) {
            return Err(format!("option {letter}) is \"{}\", not the answer \"{truth}\"", options[at].1));
        }
        if let Some((other, _)) =
            options.iter().zip(&texts).enumerate().find(|(i, (_, t))| *i != at && **t == truth).map(|(_, o)| o)
        {
            return Err(format!("the answer is option {} as well as option {letter}", other.0));
        }
    }
    Ok(options.into_iter().map(|(_, text)| text).collect())
}

/// What a rewrite is checked against.
#[derive(Debug, Clone, Copy)]
struct Original<'a> {
    /// The text rewritten.
    text: &'a str,
    /// Its lettered options (multiple-choice questions only).
    options: &'a [(char, String)],
    /// The ground truth in words.
    truth: Option<&'a str>,
    /// The ground truth's letter, for a multiple-choice question.
    answer_letter: Option<char>,
}

/// The checked result of a generator reply.
#[derive(Debug, Clone, PartialEq)]
struct Accepted {
    sentence: String,
    ground_truth: Option<String>,
    choices: Vec<String>,
}

/// Checks a generator reply against the original.
fn accept(choice: &Operation, original: &Original<'_>, reply: &str) -> Result<Accepted, String> {
    let Original { text: original, options, truth, answer_letter } = *original;
    let object = parse_json_object(reply).ok_or("the generator's reply has no JSON object")?;
    let sentence = object
        .get("sentence")
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("the generator's reply has no `sentence`")?
        .to_string();
    if refuses(&sentence) {
        return Err("the generator refused".into());
    }
    if sentence.chars().count() > original.chars().count() * 4 + 400 {
        return Err("the rewritten text is implausibly long".into());
    }
    let field = |name: &str| {
        object.get(name).map(|v| match v {
            serde_json::Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        })
    };
    let answer = field("answer");
    match choice {
        Operation::ToMultipleChoice { letter } => {
            let answer = answer.ok_or("no `answer` in a multiple-choice rewrite")?;
            let answer = answer.trim_matches(|c: char| !c.is_ascii_alphabetic()).to_uppercase();
            if answer != *letter {
                return Err(format!("the correct option is at {answer}, not at the requested {letter}"));
            }
            let choices = consistent_choice(&sentence, letter, truth)?;
            Ok(Accepted { sentence, ground_truth: Some(letter.to_string()), choices })
        }
        Operation::ToTrueFalse { truth: value } => {
            let wanted = if *value { "True" } else { "False" };
            let label = field("label").ok_or("no `label` in a true/false rewrite")?;
            let label = label.trim_matches(|c: char| !c.is_ascii_alphabetic()).to_lowercase();
            if label != wanted.to_lowercase() {
                return Err(format!("the statement is labelled {label}, not the requested {wanted}"));
            }
            Ok(Accepted {
                sentence: format!("Is the following statement true or false? Answer True or False.\n\n{sentence}"),
                ground_truth: Some(wanted.to_string()),
                choices: Vec::new(),
            })
        }
        Operation::ToOpenEnded => {
            let answer = answer.filter(|a| !a.is_empty()).ok_or("no `answer` in an open-ended rewrite")?;
            Ok(Accepted { sentence, ground_truth: Some(answer), choices: Vec::new() })
        }
        _ => {
            same_options(options, &options_in(&sentence), answer_letter)?;
            Ok(Accepted { sentence, ground_truth: None, choices: Vec::new() })
        }
    }
}

/// The ground truth in words: for a multiple-choice case whose truth is a
/// letter, the text of that option (a rewrite into another format needs the
/// answer, not its old position).
fn truth_text(case: &TestCase) -> Option<String> {
    let truth = case.ground_truth.as_deref()?.trim();
    if case.format == QuestionFormat::MultipleChoice
        && let [letter] = truth.as_bytes()
        && letter.is_ascii_uppercase()
        && let Some(option) = case.choices.get(usize::from(letter - b'A'))
    {
        return Some(option.clone());
    }
    Some(truth.to_string())
}

/// The ground-truth letter of a multiple-choice case.
fn answer_letter(case: &TestCase) -> Option<char> {
    let truth = case.ground_truth.as_deref()?.trim();
    match truth.as_bytes() {
        [letter] if case.format == QuestionFormat::MultipleChoice && letter.is_ascii_uppercase() => {
            Some(char::from(*letter))
        }
        _ => None,
    }
}

/// Varies one case (a step-protocol method, driven by the engine).
pub fn vary(cx: &mut Cx, case: &TestCase, allowed: &[VariationOp], seed: u64) -> Step<TestCase> {
    let mut out = case.clone();
    let ops = applicable(case, allowed);
    let Some(index) = main_index(case) else { return Ok(out) };
    let Some(original) = main_text(case).map(str::to_string) else { return Ok(out) };
    let choice = choose(case, &ops, seed);
    let mut variation = Variation {
        operator: choice.operator().into(),
        params: choice.params(),
        original_prompt: original.clone(),
        original_format: case.format,
        original_ground_truth: case.ground_truth.clone(),
        skipped: None,
    };
    if choice == Operation::Keep {
        out.variation = Some(variation);
        return Ok(out);
    }
    let truth = truth_text(case);
    // The lettered options the rewrite must keep: those of a multiple-choice question's text.
    let options = if case.format == QuestionFormat::MultipleChoice || !case.choices.is_empty() {
        options_in(&original)
    } else {
        Vec::new()
    };
    let base = instruction(&choice, &original, truth.as_deref(), &options);
    let mut last_error = String::new();
    for attempt in 1..=2 {
        let prompt = if attempt == 1 {
            base.clone()
        } else {
            format!("{base}\n\n(Your previous reply was unusable: {last_error}. Follow the format exactly.)")
        };
        let request = ModelRequest::user(ModelRole::Generator, prompt)
            .with_params(GenParams::new().with_temperature(0.7).with_json(true))
            .with_purpose(format!("{VERSION}:{}", choice.operator()));
        let reply = cx.ask(request)?;
        let Some(text) = reply.ok_text() else {
            last_error =
                reply.error.clone().unwrap_or_else(|| format!("the generator's reply has status {:?}", reply.status));
            continue;
        };
        let checked_against = Original {
            text: &original,
            options: &options,
            truth: truth.as_deref(),
            answer_letter: answer_letter(case),
        };
        match accept(&choice, &checked_against, text) {
            Ok(Accepted { sentence, ground_truth: truth, choices }) => {
                out.prompts[index].turns[0] = sentence;
                match &choice {
                    Operation::ToMultipleChoice { .. } => {
                        out.format = QuestionFormat::MultipleChoice;
                        out.choices = choices;
                        out.ground_truth = truth;
                    }
                    Operation::ToTrueFalse { .. } => {
                        out.format = QuestionFormat::TrueFalse;
                        out.choices.clear();
                        out.ground_truth = truth;
                    }
                    Operation::ToOpenEnded => {
                        out.format = QuestionFormat::OpenEnded;
                        out.choices.clear();
                        out.ground_truth = truth;
                    }
                    _ => {}
                }
                variation.params.insert("attempts".into(), json!(attempt));
                out.variation = Some(variation);
                return Ok(out);
            }
            Err(reason) => last_error = reason,
        }
    }
    variation.skipped = Some(last_error);
    out.variation = Some(variation);
    Ok(out)
}

#[cfg(test)]
mod tests;
