//! What the target produced, shared by the scorers: a reply text, nothing (a failed request),
//! or a provider content-filter block. Each task applies its own policy to the last two.

use trustgen_plugin_api::ModelOutput;
use trustgen_plugin_kit::{Missing, Outcome};

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

/// Classifies the target's output for the `main` conversation (or the only one), with the
/// fairness plugin's wording of the reasons.
pub(crate) fn reply(output: &ModelOutput) -> Reply<'_> {
    match Outcome::main(output) {
        Outcome::Text(text) => Reply::Text(text),
        Outcome::Filtered(blocked) => {
            Reply::Filtered(format!("the provider's content filter blocked the reply: {}", blocked.error()))
        }
        Outcome::Missing(missing @ Missing::Failed(_)) => Reply::Missing(missing.reason()),
        Outcome::Missing(Missing::NoAnswer) => Reply::Missing("the target gave no answer".into()),
        Outcome::Missing(Missing::NoText) => Reply::Missing("the target gave no text".into()),
    }
}

/// The option letter of position `index` (0 → `A`).
pub(crate) fn letter(index: usize) -> char {
    char::from(b'A' + (index % 26) as u8)
}

#[cfg(test)]
mod tests {
    use trustgen_plugin_api::{Answer, ModelReply, ReplyStatus};

    use super::*;

    #[test]
    fn replies_are_classified() {
        let output = |reply: ModelReply| ModelOutput::new(vec![Answer::new("main", vec![reply])]);
        assert_eq!(reply(&output(ModelReply::text("hi"))), Reply::Text("hi"));
        let filtered = ModelReply::new(ReplyStatus::ContentFiltered).with_error("policy");
        assert_eq!(
            reply(&output(filtered)),
            Reply::Filtered("the provider's content filter blocked the reply: policy".into())
        );
        let failed = ModelReply::new(ReplyStatus::Error).with_error("timeout");
        assert_eq!(reply(&output(failed)), Reply::Missing("the target request failed: timeout".into()));
        assert_eq!(reply(&ModelOutput::default()), Reply::Missing("the target gave no answer".into()));
        assert_eq!(letter(0), 'A');
        assert_eq!(letter(2), 'C');
    }
}
