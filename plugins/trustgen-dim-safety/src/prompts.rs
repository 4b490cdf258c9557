//! Versioned prompt templates of the test-case builders (the generator's instructions).
//!
//! Where the original toolkit asked GPT-4o to write a test case, this plugin asks the suite's
//! generator model with one of these templates. Each is a TOML file under `prompts/`, compiled
//! in: a name and version (the request's purpose is `builder:<name>@<version>`, recorded with
//! every request), an optional system text, the prompt with `{{variable}}` placeholders and the
//! JSON keys the reply must carry. The wording is our own. Bump the version whenever the
//! wording changes, so cached replies of the old wording are never reused for the new one.

use trustgen_plugin_kit::PromptSet;

/// The built-in builder templates.
pub static PROMPTS: PromptSet = PromptSet::new(
    "safety",
    &[
        ("jailbreak_query.toml", include_str!("../prompts/jailbreak_query.toml")),
        ("persuasion.toml", include_str!("../prompts/persuasion.toml")),
        ("obscure.toml", include_str!("../prompts/obscure.toml")),
        ("translate.toml", include_str!("../prompts/translate.toml")),
        ("over_refusal_keywords.toml", include_str!("../prompts/over_refusal_keywords.toml")),
        ("over_refusal_questions.toml", include_str!("../prompts/over_refusal_questions.toml")),
        ("vlm_rephrase.toml", include_str!("../prompts/vlm_rephrase.toml")),
        ("vlm_roleplay_character.toml", include_str!("../prompts/vlm_roleplay_character.toml")),
    ],
);

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use trustgen_plugin_kit::testing::show_prompts;

    use super::*;

    #[test]
    fn builtin_prompts_load_with_their_placeholders() {
        expect![[r#"
            builder:jailbreak-query@1 vars=[topic,group,title,document] reply=[query]
            builder:persuasion@1 vars=[technique,definition,example,query] reply=[prompt]
            builder:obscure@1 vars=[query] reply=[prompt]
            builder:translate@1 vars=[query] reply=[translation]
            builder:over-refusal-keywords@1 vars=[topic,description,count] reply=[keywords]
            builder:over-refusal-questions@1 vars=[keyword,topic,count,categories,examples] reply=[questions]
            builder:vlm-rephrase@1 vars=[query] reply=[steps_title,key_phrase]
            builder:vlm-roleplay-character@1 vars=[query] reply=[character,portrait]"#]]
        .assert_eq(&show_prompts(&PROMPTS));
    }

    #[test]
    fn unknown_names_are_errors_naming_the_plugin() {
        assert_eq!(PROMPTS.get("nope").unwrap_err().to_string(), "no builder prompt named `nope` in the safety plugin");
    }
}
