//! Each perturbation on a fixed sentence and seed, the lexicon, and the generator path.

use expect_test::{Expect, expect};
use serde_json::Value;
use trustgen_plugin_api::{ModelReply, RequestKind, SeededRng};

use super::generator::{finish, plan};
use super::*;

/// The authored lexicon and digressions, as the engine would load them.
pub(crate) fn lexicon() -> Lexicon {
    let rows = |text: &str| -> Vec<Value> { text.lines().map(|l| serde_json::from_str(l).unwrap()).collect() };
    Lexicon::from_rows(
        &rows(include_str!("../../../../suites/data/robustness/metadata/lexicon.jsonl")),
        &rows(include_str!("../../../../suites/data/robustness/metadata/distractions.jsonl")),
    )
    .unwrap()
}

const SENTENCE: &str = "The brilliant actress Emma Stone delivers a wonderful performance in this charming musical about dreams and love in Los Angeles.";
const PLAIN: &str = "A dull and predictable film that wastes a talented cast on a lazy script.";
const SEED: u64 = 7;

fn check(p: Perturbation, text: &str, expect: Expect) {
    let out = apply(p, text, &mut SeededRng::new(SEED), &lexicon()).unwrap();
    expect.assert_eq(&format!("[{}] {}", out.how, out.text));
    // Same text and seed, same output; the function is deterministic.
    assert_eq!(apply(p, text, &mut SeededRng::new(SEED), &lexicon()).unwrap(), out);
}

#[test]
fn spelling_missing_on_a_fixed_sentence() {
    check(
        Perturbation::SpellingMissing,
        SENTENCE,
        expect![
            "[code] The brillian actress Emma Stone deliers a wondrful perforance in this chrming musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn spelling_incorrect_on_a_fixed_sentence() {
    check(
        Perturbation::SpellingIncorrect,
        SENTENCE,
        expect![
            "[code] The brjlliant actress Emma Stone delkvers a wondertul performahce in this charning musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn spelling_repeated_on_a_fixed_sentence() {
    check(
        Perturbation::SpellingRepeated,
        SENTENCE,
        expect![
            "[code] The briilliant actress Emma Stone dellivers a wonderfull perfformance in this charminng musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn spelling_capitalize_on_a_fixed_sentence() {
    check(
        Perturbation::SpellingCapitalize,
        SENTENCE,
        expect![
            "[code] The brIlliant actress Emma Stone deLivers a wonderfuL perFormance in this charmiNg musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn spelling_insert_space_on_a_fixed_sentence() {
    check(
        Perturbation::SpellingInsertSpace,
        SENTENCE,
        expect![
            "[code] The brillian t actress Emma Stone deli vers a wond erful perfor mance in this ch arming musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn spelling_swap_on_a_fixed_sentence() {
    check(
        Perturbation::SpellingSwap,
        SENTENCE,
        expect![
            "[code] The brililant actress Emma Stone delviers a wonedrful perfomrance in this cahrming musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn emoji_insertion_on_a_fixed_sentence() {
    check(
        Perturbation::EmojiInsertion,
        SENTENCE,
        expect![
            "[authored] The brilliant ✨ actress Emma Stone delivers 📦 a wonderful 🌈 performance 🎭 in this charming 😊 musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn social_tagging_on_a_fixed_sentence() {
    check(
        Perturbation::SocialTagging,
        SENTENCE,
        expect![
            "[code] The brilliant actress @EmmaStone delivers a wonderful performance in this charming musical about dreams and love in @LosAngeles."
        ],
    );
    // Without a name, hashtags made of the top keywords are appended.
    check(
        Perturbation::SocialTagging,
        PLAIN,
        expect!["[code] A dull and predictable film that wastes a talented cast on a lazy script. #Predictable"],
    );
}

#[test]
fn spaced_uppercase_on_a_fixed_sentence() {
    check(
        Perturbation::SpacedUppercase,
        SENTENCE,
        expect![
            "[code] The B R I L L I A N T actress Emma Stone D E L I V E R S a W O N D E R F U L P E R F O R M A N C E in this C H A R M I N G musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn multilingual_blend_fallback_on_a_fixed_sentence() {
    check(
        Perturbation::MultilingualBlend,
        SENTENCE,
        expect![[
            r#"[fallback] The 精彩 actress Emma Stone 呈现 a 精彩 表演 in this 迷人 musical about dreams and love in Los Angeles."#
        ]],
    );
}

#[test]
fn distractive_text_on_a_fixed_sentence() {
    check(
        Perturbation::DistractiveText,
        SENTENCE,
        expect![
            "[authored] Someone in the building is baking bread and it smells wonderful. The brilliant actress Emma Stone delivers a wonderful performance in this charming musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn syntactic_disruption_fallback_on_a_fixed_sentence() {
    check(
        Perturbation::SyntacticDisruption,
        SENTENCE,
        expect![
            "[fallback] brilliant actress Emma Stone delivers wonderful a performance in this charming musical about dreams and love in Los Angeles."
        ],
    );
    check(
        Perturbation::SyntacticDisruption,
        PLAIN,
        expect!["[fallback] A dull and predictable film that a wastes talented cast on a lazy script."],
    );
}

#[test]
fn recondite_word_fallback_on_a_fixed_sentence() {
    check(
        Perturbation::ReconditeWord,
        SENTENCE,
        expect![
            "[fallback] The resplendent actress Emma Stone renders a marvellous portrayal in this winsome musical about dreams and love in Los Angeles."
        ],
    );
}

#[test]
fn every_perturbation_changes_the_text_and_differs_by_seed() {
    let lexicon = lexicon();
    for p in Perturbation::ALL {
        assert_eq!(Perturbation::parse(p.name()), Some(p));
        let mut varies = false;
        for text in [SENTENCE, PLAIN] {
            let outputs: std::collections::BTreeSet<String> =
                (0..8).map(|seed| apply(p, text, &mut SeededRng::new(seed), &lexicon).unwrap().text).collect();
            assert!(!outputs.contains(text), "{} changes the text", p.name());
            varies |= outputs.len() > 1;
        }
        assert!(varies, "{} depends on the seed", p.name());
    }
}

#[test]
fn perturbations_that_cannot_apply_say_why() {
    let lexicon = lexicon();
    let err = apply(Perturbation::SpellingSwap, "It is so.", &mut SeededRng::new(1), &lexicon).unwrap_err();
    assert_eq!(err, "spelling_swap left the text unchanged: the text has no keyword to perturb");
    let err = apply(Perturbation::ReconditeWord, "Zyxt qwopl vrmmb.", &mut SeededRng::new(1), &lexicon).unwrap_err();
    assert_eq!(
        err,
        "recondite_word left the text unchanged: no word of the text is in the lexicon (or the pool is empty)"
    );
}

#[test]
fn lexicon_is_large_and_looks_up_inflections() {
    let lexicon = lexicon();
    assert!(lexicon.len() >= 250, "a few hundred words: {}", lexicon.len());
    assert!(lexicon.distractions().len() >= 30);
    assert_eq!(lexicon.lookup("Movies").and_then(|e| e.emoji.as_deref()), Some("🎬"));
    assert_eq!(lexicon.lookup("loved").and_then(|e| e.zh.as_deref()), Some("爱"));
    assert_eq!(lexicon.lookup("dreaming").and_then(|e| e.rare.as_deref()), Some("reverie"));
    assert_eq!(lexicon.lookup("running").and_then(|e| e.rare.as_deref()), Some("sprint"));
    assert!(lexicon.lookup("zyxt").is_none());
    let bad = Lexicon::from_rows(&[serde_json::json!({"emoji": "x"})], &[]).unwrap_err();
    assert_eq!(
        bad,
        trustgen_plugin_api::Stop::Error(
            "robustness/metadata/lexicon.jsonl row 1: the field `word` is missing or empty".into()
        )
    );
    let long = serde_json::json!({"text": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"});
    assert!(Lexicon::from_rows(&[], &[long]).is_err(), "digressions are at most 15 words");
}

#[test]
fn names_are_capitalised_runs_that_do_not_start_a_sentence() {
    let found: Vec<String> = names("Yesterday Anna met Mr Bob Ray. Then they went to Paris! I liked it.")
        .into_iter()
        .map(|(_, _, n)| n)
        .collect();
    assert_eq!(found, ["Anna", "MrBobRay", "Paris"]);
}

fn user_prompt(request: &trustgen_plugin_api::ModelRequest) -> String {
    match &request.kind {
        RequestKind::Chat(chat) => chat.messages.last().map(|m| m.content.clone()).unwrap_or_default(),
        _ => String::new(),
    }
}

/// Plans the generator request, checks its purpose, and finishes it with `reply`.
fn generated(p: Perturbation, text: &str, seed: u64, reply: &str) -> (String, Result<String, String>) {
    let pending = plan(p, text, &mut SeededRng::new(seed)).unwrap();
    let purpose = pending.request.purpose.clone().unwrap_or_default();
    (format!("{purpose} {}", Value::Object(pending.params.clone())), finish(&pending, text, &ModelReply::text(reply)))
}

#[test]
fn generator_path_with_recorded_replies() {
    let two = "The plot is thin. The songs are lovely and the dancing is superb.";
    let lines: Vec<String> = [
        (
            Perturbation::MultilingualBlend,
            two,
            1,
            r#"{"translations": {"The songs are lovely and the dancing is superb.": "歌曲很美，舞蹈也很精彩。"}}"#,
        ),
        (
            Perturbation::MultilingualBlend,
            two,
            3,
            r#"{"translations": {"songs": "歌曲", "lovely": "可爱", "dancing": "舞蹈", "superb": "极好"}}"#,
        ),
        (
            Perturbation::ReconditeWord,
            PLAIN,
            1,
            r#"{"replacements": {"predictable": "prognosticable", "talented": "gifted"}}"#,
        ),
        (
            Perturbation::SyntacticDisruption,
            PLAIN,
            1,
            r#"{"text": "A dull and predictable film who waste a talented cast on lazy script."}"#,
        ),
        (Perturbation::DistractiveText, PLAIN, 1, r#"{"digression": "My cat sat on the keyboard all morning."}"#),
        (Perturbation::DistractiveText, PLAIN, 4, r#"{"digression": "My cat sat on the keyboard all morning."}"#),
    ]
    .into_iter()
    .map(|(p, text, seed, reply)| {
        let (request, out) = generated(p, text, seed, reply);
        format!("{request}\n  -> {}", out.unwrap_or_else(|e| format!("ERROR {e}")))
    })
    .collect();
    expect![[r#"
        builder:multilingual-blend@1 {"items":["The songs are lovely and the dancing is superb."],"mode":"sentence"}
          -> The plot is thin. 歌曲很美，舞蹈也很精彩。
        builder:multilingual-blend@1 {"items":["lovely","dancing","superb"],"mode":"keywords"}
          -> The plot is thin. The songs are 可爱 and the 舞蹈 is 极好.
        builder:recondite-word@1 {"items":["predictable","wastes","talented"]}
          -> A dull and prognosticable film that wastes a gifted cast on a lazy script.
        builder:syntactic-disruption@1 {}
          -> A dull and predictable film who waste a talented cast on lazy script.
        builder:distractive-text@1 {}
          -> A dull and predictable film that wastes a talented cast on a lazy script. My cat sat on the keyboard all morning.
        builder:distractive-text@1 {}
          -> My cat sat on the keyboard all morning. A dull and predictable film that wastes a talented cast on a lazy script."#]].assert_eq(&lines.join("\n"));
}

#[test]
fn unusable_generator_replies_are_errors_with_the_reason() {
    let lines: Vec<String> = [
        (Perturbation::MultilingualBlend, PLAIN, r#"{"translations": {"film": "movie"}}"#),
        (Perturbation::MultilingualBlend, PLAIN, "Sure! Here you go."),
        (Perturbation::ReconditeWord, PLAIN, r#"{"replacements": {"predictable": "predictable"}}"#),
        (Perturbation::SyntacticDisruption, PLAIN, &format!(r#"{{"text": "{PLAIN}"}}"#)),
        (Perturbation::SyntacticDisruption, PLAIN, r#"{"text": "Dull film."}"#),
        (Perturbation::SyntacticDisruption, PLAIN, r#"{"text": "I'm sorry, but I can't help with rewriting this text in that way."}"#),
        (Perturbation::DistractiveText, PLAIN, r#"{"digression": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"}"#),
    ]
    .into_iter()
    .map(|(p, text, reply)| format!("{}: {}", p.name(), generated(p, text, 1, reply).1.unwrap_err()))
    .collect();
    expect![[r#"
        multilingual_blend: no translation of "predictable"
        multilingual_blend: the generator's reply contains no JSON object: Sure! Here you go.
        recondite_word: no usable synonym (each must differ from its word and have at most three words)
        syntactic_disruption: the rewrite is empty or identical to the text
        syntactic_disruption: the rewrite has 2 words for 14 (60-150 % allowed)
        syntactic_disruption: the generator refused ("i'm sorry, but")
        distractive_text: the digression has 16 words (1 to 15 allowed)"#]]
    .assert_eq(&lines.join("\n"));
    let filtered = ModelReply::new(trustgen_plugin_api::ReplyStatus::ContentFiltered);
    let pending = plan(Perturbation::DistractiveText, PLAIN, &mut SeededRng::new(1)).unwrap();
    assert_eq!(
        finish(&pending, PLAIN, &filtered).unwrap_err(),
        "the generator's provider blocked the request (content filter)"
    );
    assert!(plan(Perturbation::SpellingSwap, PLAIN, &mut SeededRng::new(1)).is_err());
}

#[test]
fn generator_requests_show_the_text_and_the_items() {
    let pending = plan(Perturbation::ReconditeWord, PLAIN, &mut SeededRng::new(1)).unwrap();
    let prompt = user_prompt(&pending.request);
    assert!(prompt.contains(PLAIN), "{prompt}");
    assert!(prompt.contains("[WORDS]\n[\"predictable\",\"wastes\",\"talented\"]"), "{prompt}");
    let RequestKind::Chat(chat) = &pending.request.kind else { panic!("chat") };
    assert_eq!(chat.params.temperature, Some(0.7));
    assert!(chat.params.json && chat.params.seed.is_some());
}
