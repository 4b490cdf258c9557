//! The conversation loop of the model-type plugins (`llm`, `vlm`): every prompt of a case is a
//! real multi-turn chat with the target, its turns sent one round at a time.

use trustgen_plugin_api::{Answer, Cx, Message, ModelOutput, ModelRequest, ModelRole, Prompt, Step};

/// Holds the conversations of `prompts` with the target model: each prompt's system message,
/// then its user turns one by one, each sent with the history so far (a prompt's images go on
/// its first user turn). All prompts' turn `n` are asked in one round; a prompt whose last
/// reply failed stops there.
pub fn converse(cx: &mut Cx, prompts: &[Prompt]) -> Step<ModelOutput> {
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
