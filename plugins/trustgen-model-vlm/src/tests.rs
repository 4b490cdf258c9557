//! Tests of the vlm model type with recorded replies.

use trustgen_plugin_api::step::drive;
use trustgen_plugin_api::{ChatRole, ModelReply, ModelRequest, Prompt, ReplyStatus, RequestKind, TestCase};

use super::*;

fn stored(tag: char) -> Image {
    Image::new("image/png", ImageSource::Stored { sha256: tag.to_string().repeat(64) })
}

/// Each message as `role: text [images]`, images by the first digit of their hash.
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
            let images: Vec<String> = m
                .images
                .iter()
                .map(|i| match &i.source {
                    ImageSource::Stored { sha256 } => format!("stored:{}", &sha256[..1]),
                    ImageSource::Url(url) => url.clone(),
                    other => format!("{other:?}"),
                })
                .collect();
            if images.is_empty() {
                format!("{role}: {}", m.content)
            } else {
                format!("{role}: {} [{}]", m.content, images.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn images_go_with_the_first_turn_and_later_turns_keep_the_history() {
    let case = TestCase::new(
        "c",
        "t",
        vec![
            Prompt::new("main", vec!["Compare the two pictures.".into(), "Which is brighter?".into()])
                .with_system("Answer briefly.")
                .with_images(vec![stored('a'), stored('b')]),
            Prompt::user("Describe it.")
                .with_name("single")
                .with_images(vec![Image::new("image/png", ImageSource::Url("https://example.org/x.png".into()))]),
        ],
    );
    let input = RespondInput::new(case);
    let mut rounds = Vec::new();
    let (output, requests) = drive(
        |cx| Vlm.respond(cx, &input),
        |round| {
            rounds.push(round.len());
            round.iter().map(|r| ModelReply::text(format!("seen {}", conversation(r).len()))).collect()
        },
    )
    .unwrap();
    assert_eq!(rounds, vec![2, 1]);
    let log: Vec<String> = requests.iter().map(conversation).collect();
    assert_eq!(
        log,
        [
            "system: Answer briefly. | user: Compare the two pictures. [stored:a, stored:b]",
            "user: Describe it. [https://example.org/x.png]",
            "system: Answer briefly. | user: Compare the two pictures. [stored:a, stored:b] | assistant: seen 78 | user: Which is brighter?",
        ]
    );
    assert_eq!(output.answers[0].turns.len(), 2);
    assert_eq!(output.answer("single").and_then(|a| a.final_text()), Some("seen 46"));
}

#[test]
fn an_image_the_engine_did_not_store_is_an_error_of_the_case() {
    for source in [
        ImageSource::Blob { offset: 0, len: 3 },
        ImageSource::File("img/a.png".into()),
        ImageSource::Base64("iVBO".into()),
        ImageSource::Unknown,
    ] {
        let case = TestCase::new(
            "c7",
            "t",
            vec![Prompt::user("What is it?").with_images(vec![stored('a'), Image::new("image/png", source)])],
        );
        let input = RespondInput::new(case);
        let err = drive(|cx| Vlm.respond(cx, &input), |_| panic!("nothing is asked")).unwrap_err();
        assert!(err.starts_with("case `c7`: image 2 of prompt `main` "), "{err}");
    }
}

#[test]
fn a_filtered_turn_ends_the_conversation() {
    let case = TestCase::new(
        "c",
        "t",
        vec![Prompt::new("main", vec!["one".into(), "two".into()]).with_images(vec![stored('a')])],
    );
    let input = RespondInput::new(case);
    let (output, requests) = drive(
        |cx| Vlm.respond(cx, &input),
        |round| round.iter().map(|_| ModelReply::new(ReplyStatus::ContentFiltered)).collect(),
    )
    .unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(output.main_text(), None);
}

#[test]
fn the_manifest_names_the_vlm_model_type() {
    assert_eq!(Vlm.manifest().model_types, vec!["vlm".to_string()]);
}
