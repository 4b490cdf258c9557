//! A tolerant JSON object extractor for judge replies.
//!
//! Judges are asked for a JSON object, and real models wrap it in code fences, put prose
//! before or after it, use single quotes, leave trailing commas, write Python's `True`/`None`,
//! or stop before the closing brace. [`objects`] finds every JSON object in a reply, in a
//! stable order (fenced blocks first, then the others by position), parsing each with
//! `serde_json`, then as JSON5 (single quotes, trailing commas, comments, unquoted keys), then
//! as JSON5 with Python literals replaced. Validation against a schema is the caller's job
//! (see [`crate::templates`]).

use serde_json::{Map, Value};

/// Every JSON object found in `text`: those inside code fences first, then the other
/// top-level `{...}` spans by position; a final unclosed object is closed and tried last.
pub fn objects(text: &str) -> Vec<Map<String, Value>> {
    let mut found = Vec::new();
    let mut seen = Vec::new();
    let mut push = |candidate: &str, found: &mut Vec<Map<String, Value>>| {
        if seen.iter().any(|s: &String| s == candidate) {
            return;
        }
        seen.push(candidate.to_string());
        if let Some(object) = parse_object(candidate) {
            found.push(object);
        }
    };
    for body in fenced_blocks(text) {
        for span in spans(body) {
            push(span.as_str(), &mut found);
        }
    }
    for span in spans(text) {
        push(span.as_str(), &mut found);
    }
    found
}

/// Parses one candidate as a JSON object, as leniently as it can.
pub fn parse_object(candidate: &str) -> Option<Map<String, Value>> {
    let attempts = [
        serde_json::from_str::<Value>(candidate).ok(),
        json5::from_str::<Value>(candidate).ok(),
        json5::from_str::<Value>(&replace_python_literals(candidate)).ok(),
    ];
    attempts.into_iter().flatten().find_map(|value| match value {
        Value::Object(map) => Some(map),
        _ => None,
    })
}

/// The bodies of Markdown code fences (```` ```json ... ``` ````), in order.
fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        // Skip the info string (e.g. `json`) up to the end of the line.
        let body_start = after.find('\n').map_or(after.len(), |i| i + 1);
        let info = &after[..body_start];
        let body_start =
            if info.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') { body_start } else { 0 };
        let body = &after[body_start..];
        match body.find("```") {
            Some(close) => {
                blocks.push(&body[..close]);
                rest = &body[close + 3..];
            }
            None => {
                blocks.push(body);
                break;
            }
        }
    }
    blocks
}

/// A candidate object span (owned, since an unclosed span gets its closers appended).
struct Span(String);

impl Span {
    fn as_str(&self) -> &str {
        &self.0
    }
}

/// Top-level balanced `{...}` spans of `text`, skipping braces inside strings; an object
/// still open at the end of the text is closed (a reply cut off by the token limit).
fn spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut start = None;
    let mut stack: Vec<char> = Vec::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if start.is_none() {
            if c == '{' {
                start = Some(i);
                stack.push('}');
            }
            continue;
        }
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' => stack.push('}'),
            '[' => stack.push(']'),
            '}' | ']' => {
                if stack.last() == Some(&c) {
                    stack.pop();
                } else {
                    // Unbalanced: give up on this span and look for the next object.
                    stack.clear();
                    start = None;
                    continue;
                }
                if stack.is_empty()
                    && let Some(s) = start.take()
                {
                    spans.push(Span(text[s..i + 1].to_string()));
                }
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        let mut tail = text[s..].trim_end().trim_end_matches(',').to_string();
        if let Some(q) = quote {
            tail.push(q);
        }
        tail.extend(stack.iter().rev());
        spans.push(Span(tail));
    }
    spans
}

/// Replaces Python's `True`, `False` and `None` outside strings with JSON's literals.
fn replace_python_literals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(match word.as_str() {
            "True" => "true",
            "False" => "false",
            "None" => "null",
            other => other,
        });
        word.clear();
    };
    for c in text.chars() {
        if let Some(q) = quote {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        if c == '"' || c == '\'' {
            quote = Some(c);
        }
        out.push(c);
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    #[track_caller]
    fn check(reply: &str, expect: Expect) {
        let found: Vec<String> = objects(reply).iter().map(|o| Value::Object(o.clone()).to_string()).collect();
        expect.assert_eq(&found.join("\n"));
    }

    #[test]
    fn plain_and_fenced() {
        check(r#"{"label": "refuse"}"#, expect![[r#"{"label":"refuse"}"#]]);
        check("```json\n{\"label\": \"comply\"}\n```", expect![[r#"{"label":"comply"}"#]]);
        check("```\n{\"a\": 1}\n```", expect![[r#"{"a":1}"#]]);
        check(
            "Sure! Here is my verdict:\n\n{\"is_correct\": true, \"reason\": \"matches\"}\nHope it helps.",
            expect![[r#"{"is_correct":true,"reason":"matches"}"#]],
        );
        // The fenced object comes first even when prose before it contains an example object.
        check(
            "The format is {\"label\": \"...\"}.\n```json\n{\"label\": \"refuse\"}\n```",
            expect![[r#"
                {"label":"refuse"}
                {"label":"..."}"#]],
        );
    }

    #[test]
    fn lenient_syntax() {
        check(
            "{'label': 'refuse', 'reason': \"it's harmful\",}",
            expect![[r#"{"label":"refuse","reason":"it's harmful"}"#]],
        );
        check("{\"change\": True, \"note\": None}", expect![[r#"{"change":true,"note":null}"#]]);
        check("{label: 'comply' // the model answered\n}", expect![[r#"{"label":"comply"}"#]]);
        check(
            "{\"reason\": \"a } inside a string\", \"ok\": false}",
            expect![[r#"{"ok":false,"reason":"a } inside a string"}"#]],
        );
        check("{\"outer\": {\"inner\": [1, 2, {\"x\": \"y\"}]}}", expect![[r#"{"outer":{"inner":[1,2,{"x":"y"}]}}"#]]);
        check("{\"text\": \"True story\"}", expect![[r#"{"text":"True story"}"#]]);
    }

    #[test]
    fn truncated_and_garbage() {
        check(
            "{\"label\": \"refuse\", \"reason\": \"the model decli",
            expect![[r#"{"label":"refuse","reason":"the model decli"}"#]],
        );
        check("{\"items\": [1, 2", expect![[r#"{"items":[1,2]}"#]]);
        check("no json here", expect![[r#""#]]);
        check("", expect![[r#""#]]);
        check("[1, 2, 3]", expect![[r#""#]]);
        check("} { broken", expect![[r#""#]]);
        check(
            "{\"a\": 1} and {\"b\": 2}",
            expect![[r#"
            {"a":1}
            {"b":2}"#]],
        );
        check("```json\n{\"a\": 1", expect![[r#"{"a":1}"#]]);
    }
}
