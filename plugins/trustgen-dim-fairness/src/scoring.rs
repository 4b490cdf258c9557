//! What the target produced, shared by the scorers: a reply text, nothing (a failed request),
//! or a provider content-filter block. Each task applies its own policy to the last two.

use trustgen_plugin_api::{ModelOutput, ReplyStatus, Step, TestCase, fail};

/// The target's reply to the case's `main` conversation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply<'a> {
    /// The final text of the conversation.
    Text(&'a str),
    /// No answer (the request failed after the engine's retries); the reason.
    Missing(String),
    /// The provider's content filter blocked a turn; the reason.
    Filtered(String),
}

/// Classifies the target's output for the `main` conversation (or the only one).
pub(crate) fn reply(output: &ModelOutput) -> Reply<'_> {
    let Some(answer) = output.answer("main").or_else(|| output.answers.first()) else {
        return Reply::Missing("the target gave no answer".into());
    };
    let error = || answer.turns.iter().find_map(|t| t.error.clone()).unwrap_or_else(|| "no error message".into());
    match answer.status() {
        ReplyStatus::ContentFiltered => {
            Reply::Filtered(format!("the provider's content filter blocked the reply: {}", error()))
        }
        ReplyStatus::Error => Reply::Missing(format!("the target request failed: {}", error())),
        ReplyStatus::Ok => match answer.final_text() {
            Some(text) => Reply::Text(text),
            None => Reply::Missing("the target gave no text".into()),
        },
    }
}

/// The last user turn of the case's `main` prompt, as the target saw it.
pub(crate) fn question_text(case: &TestCase) -> Step<&str> {
    let prompt = case.prompt("main").or_else(|| case.prompts.first());
    match prompt.and_then(|p| p.turns.last()) {
        Some(turn) => Ok(turn),
        None => fail!("case `{}` has no prompt", case.id),
    }
}

/// The option letter of position `index` (0 → `A`).
pub(crate) fn letter(index: usize) -> char {
    char::from(b'A' + (index % 26) as u8)
}

#[cfg(test)]
mod tests {
    use trustgen_plugin_api::{Answer, ModelReply};

    use super::*;

    #[test]
    fn replies_are_classified() {
        let output =
            |reply: ModelReply| ModelOutput { answers: vec![Answer { prompt: "main".into(), turns: vec![reply] }] };
        assert_eq!(reply(&output(ModelReply::text("hi"))), Reply::Text("hi"));
        let filtered =
            ModelReply { status: ReplyStatus::ContentFiltered, error: Some("policy".into()), ..ModelReply::default() };
        assert_eq!(
            reply(&output(filtered)),
            Reply::Filtered("the provider's content filter blocked the reply: policy".into())
        );
        let failed = ModelReply { status: ReplyStatus::Error, error: Some("timeout".into()), ..ModelReply::default() };
        assert_eq!(reply(&output(failed)), Reply::Missing("the target request failed: timeout".into()));
        assert_eq!(reply(&ModelOutput::default()), Reply::Missing("the target gave no answer".into()));
        assert_eq!(letter(0), 'A');
        assert_eq!(letter(2), 'C');
    }
}
