//! The VQA accuracy rule: an answer scores min(#annotators who gave it / 3, 1), after the answer
//! normalisation of the VQA evaluation script (Antol et al. 2015; visualqa.org's vqaEval.py):
//! lower case; a punctuation mark is dropped when it touches a space or an end of the answer (or
//! is a comma between digits) and is a space otherwise; a period is kept only between digits;
//! number words become digits; the articles a, an and the are dropped; common contractions
//! without their apostrophe get it back.
//!
//! The VQAv2 evaluation averages the rule over the ten leave-one-out subsets of annotators; this
//! is the simpler form the benchmark states (it differs by less than 0.04 on a single answer).
//! A reply longer than the asked-for word or phrase is also tried up to its first `.`, `,`, `;`
//! or `!` (so "Yes, it is." counts as "yes"); the better score is kept.

/// The punctuation the VQA script treats (the period separately).
const PUNCTUATION: &[char] =
    &[';', '/', '[', ']', '"', '{', '}', '(', ')', '=', '+', '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!'];

const NUMBERS: [(&str, &str); 12] = [
    ("none", "0"),
    ("zero", "0"),
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
];

const CONTRACTIONS: [(&str, &str); 14] = [
    ("arent", "aren't"),
    ("cant", "can't"),
    ("couldnt", "couldn't"),
    ("didnt", "didn't"),
    ("doesnt", "doesn't"),
    ("dont", "don't"),
    ("hasnt", "hasn't"),
    ("isnt", "isn't"),
    ("shouldnt", "shouldn't"),
    ("thats", "that's"),
    ("wasnt", "wasn't"),
    ("whats", "what's"),
    ("wont", "won't"),
    ("youre", "you're"),
];

/// An answer normalised as the VQA evaluation does.
pub fn normalize(answer: &str) -> String {
    let text = answer.replace(['\n', '\t'], " ").trim().to_lowercase();
    let chars: Vec<char> = text.chars().collect();
    let digit = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(char::is_ascii_digit);
    let space_or_end = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_none_or(|c| *c == ' ');
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let (before, after) = (i.checked_sub(1), Some(i + 1));
        if c == '.' {
            if digit(before) && digit(after) {
                out.push(c);
            }
        } else if PUNCTUATION.contains(&c) {
            let glued = c == ',' && digit(before) && digit(after);
            if !(glued || space_or_end(before) || space_or_end(after)) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    let words: Vec<&str> = out
        .split_whitespace()
        .filter(|w| !matches!(*w, "a" | "an" | "the"))
        .map(|w| NUMBERS.iter().chain(&CONTRACTIONS).find(|(from, _)| *from == w).map_or(w, |(_, to)| *to))
        .collect();
    words.join(" ")
}

/// The VQA accuracy of `response` against the annotators' `answers` (see the module docs).
pub fn vqa_accuracy(response: &str, answers: &[String]) -> f64 {
    let gold: Vec<String> = answers.iter().map(|a| normalize(a)).collect();
    let score = |candidate: &str| {
        let candidate = normalize(candidate);
        if candidate.is_empty() {
            return 0.0;
        }
        let matches = gold.iter().filter(|g| **g == candidate).count();
        (matches as f64 / 3.0).min(1.0)
    };
    let first = response.trim().split(['.', ',', ';', '!']).next().unwrap_or_default();
    score(response).max(score(first))
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    /// Each `(response, answers)` scored, one line each.
    fn check(cases: &[(&str, &[&str])], expected: expect_test::Expect) {
        let lines: Vec<String> = cases
            .iter()
            .map(|(response, answers)| {
                let answers: Vec<String> = answers.iter().map(|a| a.to_string()).collect();
                format!("{response:?} -> {:?} {:.3}", normalize(response), vqa_accuracy(response, &answers))
            })
            .collect();
        expected.assert_eq(&lines.join("\n"));
    }

    #[test]
    fn the_vqa_accuracy_rule_counts_annotators_after_normalising() {
        let ten_yes: &[&str] = &["yes"; 10];
        let split: &[&str] = &["2", "2", "two", "3", "3", "4", "2 ", "several", "3", "3"];
        check(
            &[
                ("Yes", ten_yes),
                ("Yes, it is.", ten_yes),
                ("no", ten_yes),
                ("Two.", split),
                ("three", split),
                ("4", split),
                ("five", split),
                ("The red one!", &["red one", "red", "red", "red one", "red one"]),
                ("t-shirt", &["t shirt", "tshirt", "t-shirt"]),
                ("3.5", &["3.5", "35", "3.5"]),
                ("1,000", &["1000", "1000", "1000"]),
                ("dont know", &["don't know"; 3]),
                ("", ten_yes),
            ],
            expect![[r#"
                "Yes" -> "yes" 1.000
                "Yes, it is." -> "yes it is" 1.000
                "no" -> "no" 0.000
                "Two." -> "2" 1.000
                "three" -> "3" 1.000
                "4" -> "4" 0.333
                "five" -> "5" 0.000
                "The red one!" -> "red 1" 1.000
                "t-shirt" -> "t shirt" 0.667
                "3.5" -> "3.5" 0.667
                "1,000" -> "1000" 1.000
                "dont know" -> "don't know" 1.000
                "" -> "" 0.000"#]],
        );
    }
}
