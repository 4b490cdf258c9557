//! `llm`: the model type of large language models.
//!
//! A case's prompts become chat requests to the target: the system prompt
//! with the system role, each user turn with the user role, and the target's
//! own reply to a turn as the assistant message before the next turn (real
//! multi-turn chat, unlike the original toolkit, which flattened everything
//! into one user string). Prompts of one case are asked concurrently; turns
//! of one prompt in order. A conversation stops at the first turn that fails
//! or is refused by a content filter; the turns answered so far are kept.

use trustgen_plugin_api::{Cx, Manifest, ModelOutput, ModelType, RespondInput, Step};

/// The plugin.
#[derive(Debug, Default)]
pub struct Llm;

impl ModelType for Llm {
    fn manifest(&self) -> Manifest {
        Manifest::new()
            .with_description("Large language models: chat requests with system prompts and multi-turn conversations.")
            .with_model_types(vec!["llm".into()])
    }

    fn respond(&self, cx: &mut Cx, input: &RespondInput) -> Step<ModelOutput> {
        let prompts = &input.case.prompts;
        trustgen_plugin_kit::converse::converse(cx, prompts)
    }
}

trustgen_plugin_api::export_plugin!(name: "llm", model_type: Llm);

#[cfg(test)]
mod tests {
    use trustgen_plugin_api::step::drive;
    use trustgen_plugin_api::{ChatRole, ModelReply, ModelRequest, Prompt, RequestKind, TestCase};

    use super::*;

    fn conversation(request: &ModelRequest) -> String {
        let RequestKind::Chat(chat) = &request.kind else { panic!("not a chat request") };
        chat.messages
            .iter()
            .map(|m| {
                let role = match m.role {
                    ChatRole::System => "system",
                    ChatRole::User => "user",
                    ChatRole::Assistant => "assistant",
                    _ => "unknown",
                };
                format!("{role}: {}", m.content)
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    #[test]
    fn multi_turn_uses_real_roles_and_the_targets_replies() {
        let case = TestCase::default().with_id("c").with_prompts(vec![
            Prompt::new("main", vec!["What is 2+2?".into(), "Are you sure?".into()]).with_system("Be brief."),
            (Prompt::user("Baseline question")).with_name("baseline"),
        ]);
        let input = RespondInput::new(case);
        let mut rounds = Vec::new();
        let (output, requests) = drive(
            |cx| Llm.respond(cx, &input),
            |round| {
                rounds.push(round.len());
                round.iter().map(|r| ModelReply::text(format!("reply to <{}>", conversation(r)))).collect()
            },
        )
        .unwrap();
        // Round 1 asks both first turns concurrently; round 2 the second turn.
        assert_eq!(rounds, vec![2, 1]);
        let log: Vec<String> = requests.iter().map(conversation).collect();
        expect_log(&log);
        assert_eq!(output.answers.len(), 2);
        assert_eq!(output.answers[0].turns.len(), 2);
        assert_eq!(output.answers[1].prompt, "baseline");
        assert_eq!(output.answer("baseline").and_then(|a| a.final_text()), Some("reply to <user: Baseline question>"));
    }

    fn expect_log(log: &[String]) {
        assert_eq!(
            log,
            [
                "system: Be brief. | user: What is 2+2?",
                "user: Baseline question",
                "system: Be brief. | user: What is 2+2? | assistant: reply to <system: Be brief. | user: What is 2+2?> | user: Are you sure?",
            ]
        );
    }

    #[test]
    fn a_failed_turn_ends_the_conversation() {
        let case =
            TestCase::default().with_id("c").with_prompts(vec![Prompt::new("main", vec!["one".into(), "two".into()])]);
        let input = RespondInput::new(case);
        let (output, requests) = drive(
            |cx| Llm.respond(cx, &input),
            |round| round.iter().map(|_| ModelReply::new(trustgen_plugin_api::ReplyStatus::ContentFiltered)).collect(),
        )
        .unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(output.answers[0].turns.len(), 1);
        assert_eq!(output.main_text(), None);
    }
}
