//! Tests of the chat model: prompt rendering, parameters, tokenizer, and real generation with SmolLM2.

use expect_test::{Expect, expect};

use super::*;
use crate::test_models::chat;

/// SmolLM2-135M-Instruct's `tokenizer.chat_template`, as stored in its GGUF.
const SMOLLM2_TEMPLATE: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

fn check_render(messages: &[(ChatRole, &str)], template: &str, expect: Expect) {
    let messages: Vec<ChatMessage> = messages.iter().map(|(role, text)| ChatMessage::new(*role, *text)).collect();
    let system = default_system_prompt(template);
    expect.assert_eq(&render_chatml(&messages, system.as_deref()));
}

#[test]
fn renders_chatml_with_the_template_default_system_prompt() {
    check_render(
        &[(ChatRole::User, "Hi")],
        SMOLLM2_TEMPLATE,
        expect![[r#"
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            Hi<|im_end|>
            <|im_start|>assistant
        "#]],
    );
    check_render(
        &[
            (ChatRole::System, "Be brief."),
            (ChatRole::User, "Hi"),
            (ChatRole::Assistant, "Hello!"),
            (ChatRole::User, "Bye"),
        ],
        SMOLLM2_TEMPLATE,
        expect![[r#"
            <|im_start|>system
            Be brief.<|im_end|>
            <|im_start|>user
            Hi<|im_end|>
            <|im_start|>assistant
            Hello!<|im_end|>
            <|im_start|>user
            Bye<|im_end|>
            <|im_start|>assistant
        "#]],
    );
    // A template without a default system prompt gives none.
    check_render(
        &[(ChatRole::User, "Hi")],
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}",
        expect![[r#"
            <|im_start|>user
            Hi<|im_end|>
            <|im_start|>assistant
        "#]],
    );
}

fn check_params(params: GenerateParams, expect: Expect) {
    let actual = match sampling(&params) {
        Ok(sampling) => format!("{sampling:?}"),
        Err(e) => e.to_string(),
    };
    expect.assert_eq(&actual);
}

#[test]
fn chooses_the_sampler_and_rejects_bad_parameters() {
    let p = GenerateParams::default;
    check_params(p(), expect!["ArgMax"]);
    check_params(GenerateParams { temperature: Some(0.0), top_p: Some(0.5), ..p() }, expect!["ArgMax"]);
    check_params(GenerateParams { temperature: Some(0.7), ..p() }, expect!["All { temperature: 0.7 }"]);
    check_params(
        GenerateParams { temperature: Some(0.7), top_p: Some(1.0), ..p() },
        expect!["All { temperature: 0.7 }"],
    );
    check_params(
        GenerateParams { temperature: Some(0.7), top_p: Some(0.9), ..p() },
        expect!["TopP { p: 0.9, temperature: 0.7 }"],
    );
    check_params(
        GenerateParams { temperature: Some(-1.0), ..p() },
        expect!["invalid generation parameter `temperature`: -1 is not a finite number >= 0"],
    );
    check_params(
        GenerateParams { temperature: Some(f64::NAN), ..p() },
        expect!["invalid generation parameter `temperature`: NaN is not a finite number >= 0"],
    );
    check_params(
        GenerateParams { top_p: Some(0.0), ..p() },
        expect!["invalid generation parameter `top_p`: 0 is outside (0, 1]"],
    );
    check_params(
        GenerateParams { max_tokens: 0, ..p() },
        expect!["invalid generation parameter `max_tokens`: must be at least 1"],
    );
}

#[test]
fn finds_the_earliest_stop_string() {
    let stops = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(first_stop("one. two\nthree", &stops(&["\n", "."])), Some(3));
    assert_eq!(first_stop("one. two", &stops(&["", "four"])), None);
}

#[test]
fn chat_model_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ChatModel>();
}

#[test]
fn rebuilds_the_gguf_tokenizer() {
    let model = chat();
    // Special tokens are single ids, digits are split one by one, and decoding inverts encoding.
    let text = "<|im_start|>user\nIn 2024 I paid $15.<|im_end|>";
    let ids = model.tokenize(text).unwrap();
    expect!["[1, 4093, 198, 788, 216, 34, 32, 34, 36, 339, 5940, 1885, 33, 37, 30, 2]"].assert_eq(&format!("{ids:?}"));
    assert_eq!(model.tokenizer.decode(&ids, false).unwrap(), text);
    assert_eq!(model.name(), "SmolLM2-135M-Instruct.Q4_1");
    assert_eq!(model.context_len(), 4096);
    assert_eq!(
        model.default_system_prompt(),
        Some("You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    );
}

fn ask(question: &str, params: &GenerateParams) -> Generation {
    chat().generate(&[ChatMessage::new(ChatRole::User, question)], params).unwrap()
}

#[test]
fn greedy_answer_is_correct() {
    let params = GenerateParams { max_tokens: 32, ..GenerateParams::default() };
    let g = ask("What is the capital of France? Answer in one sentence.", &params);
    assert!(g.text.contains("Paris"), "{g:?}");
    assert_eq!(g.finish_reason, "stop", "{g:?}");
    assert!(g.prompt_tokens > 20 && g.completion_tokens > 0 && g.prompt_tokens_per_sec > 0.0, "{g:?}");

    // A stop string cuts the text before it.
    let stopped = ask(
        "What is the capital of France? Answer in one sentence.",
        &GenerateParams { stop: vec!["Paris".into()], ..params },
    );
    assert_eq!(stopped.finish_reason, "stop");
    assert!(!stopped.text.contains("Paris") && g.text.starts_with(&stopped.text), "{stopped:?}");
}

#[test]
fn requantized_model_answers_too() {
    let path = crate::ensure(crate::models::DEFAULT_CHAT_MODEL).unwrap();
    let model = ChatModel::load_requantized(&path).unwrap();
    assert_eq!(model.name(), "SmolLM2-135M-Instruct.Q4_1+q8_0");
    let question = [ChatMessage::new(ChatRole::User, "What is the capital of France? Answer in one sentence.")];
    let g = model.generate(&question, &GenerateParams { max_tokens: 32, ..GenerateParams::default() }).unwrap();
    assert!(g.text.contains("Paris"), "{g:?}");
}

#[test]
fn seeded_sampling_is_reproducible() {
    let params = GenerateParams { max_tokens: 24, temperature: Some(0.7), seed: 42, ..GenerateParams::default() };
    let question = "Write a short poem about the sea.";
    let first = ask(question, &params);
    let second = ask(question, &params);
    assert_eq!(first.text, second.text);
    assert_eq!(first.completion_tokens, second.completion_tokens);
    assert!(!first.text.trim().is_empty(), "{first:?}");
    // The seed matters: another one samples another text.
    let other = ask(question, &GenerateParams { seed: 7, ..params });
    assert_ne!(first.text, other.text);
}

#[test]
fn stops_at_max_tokens_with_length() {
    let g = ask("Tell me a long story about a dragon.", &GenerateParams { max_tokens: 3, ..GenerateParams::default() });
    assert_eq!((g.completion_tokens, g.finish_reason.as_str()), (3, "length"), "{g:?}");
}

#[test]
fn refuses_a_prompt_longer_than_the_context() {
    let long = "word ".repeat(5000);
    let err = chat().generate(&[ChatMessage::new(ChatRole::User, long)], &GenerateParams::default()).unwrap_err();
    expect!["the prompt is 5031 tokens but the model context holds 4096; shorten the messages (one token is about four characters of English)"]
        .assert_eq(&err.to_string());
}
