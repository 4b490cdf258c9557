//! `llm`: the model type of large language models.
//!
//! A case's prompts become chat requests to the target: the system prompt
//! with the system role, each user turn with the user role, and the target's
//! own reply to a turn as the assistant message before the next turn (real
//! multi-turn chat, unlike the original toolkit, which flattened everything
//! into one user string). Prompts of one case are asked concurrently; turns
//! of one prompt in order. A conversation stops at the first turn that fails
//! or is refused by a content filter; the turns answered so far are kept.

use trustgen_plugin_api::{
    Answer, Cx, Manifest, Message, ModelOutput, ModelRequest, ModelRole, ModelType, RespondInput, Step,
};

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
        let mut histories: Vec<Vec<Message>> =
            prompts.iter().map(|p| p.system.iter().map(Message::system).collect()).collect();
        let mut answers: Vec<Answer> = prompts.iter().map(|p| Answer::new(p.name.clone(), Vec::new())).collect();
        let max_turns = prompts.iter().map(|p| p.turns.len()).max().unwrap_or(0);
        for turn in 0..max_turns {
            let active: Vec<usize> = (0..prompts.len())
                .filter(|&i| turn < prompts[i].turns.len())
                .filter(|&i| answers[i].turns.last().is_none_or(|r| r.ok_text().is_some()))
                .collect();
            if active.is_empty() {
                break;
            }
            let requests = active
                .iter()
                .map(|&i| {
                    let mut message = Message::user(&prompts[i].turns[turn]);
                    if turn == 0 {
                        message.images = prompts[i].images.clone();
                    }
                    histories[i].push(message);
                    ModelRequest::chat(ModelRole::Target, histories[i].clone()).with_purpose(format!(
                        "target:{}:turn{}",
                        prompts[i].name,
                        turn + 1
                    ))
                })
                .collect();
            let replies = cx.ask_all(requests)?;
            for (&i, reply) in active.iter().zip(replies) {
                histories[i].push(Message::assistant(reply.text.clone().unwrap_or_default()));
                answers[i].turns.push(reply);
            }
        }
        Ok(ModelOutput::new(answers))
    }
}

trustgen_plugin_api::export_plugin!(name: "llm", model_type: Llm);

#[cfg(test)]
mod tests {
    use trustgen_plugin_api::step::drive;
    use trustgen_plugin_api::{ChatRole, ModelReply, Prompt, RequestKind, TestCase};

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
