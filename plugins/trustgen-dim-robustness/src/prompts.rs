//! Versioned prompt templates of the test-case builders (the generator's instructions).
//!
//! Where the original toolkit asked GPT-4o to perturb a text (multilingual blend, syntactic
//! disruption, recondite words, distractive text), this plugin asks the suite's generator model
//! with one of these templates. Each is a TOML file under `prompts/`, compiled
//! in: a name and version (the request's purpose is `builder:<name>@<version>`, recorded with
//! every request), an optional system text, the prompt with `{{variable}}` placeholders and the
//! JSON keys the reply must carry. The wording is our own. Bump the version whenever the
//! wording changes, so cached replies of the old wording are never reused for the new one.

use trustgen_plugin_kit::PromptSet;

/// The built-in builder templates.
pub static PROMPTS: PromptSet = PromptSet::new(
    "robustness",
    &[
        ("multilingual_blend.toml", include_str!("../prompts/multilingual_blend.toml")),
        ("recondite_word.toml", include_str!("../prompts/recondite_word.toml")),
        ("syntactic_disruption.toml", include_str!("../prompts/syntactic_disruption.toml")),
        ("distractive_text.toml", include_str!("../prompts/distractive_text.toml")),
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
            builder:multilingual-blend@1 vars=[text,items] reply=[translations]
            builder:recondite-word@1 vars=[text,words] reply=[replacements]
            builder:syntactic-disruption@1 vars=[text] reply=[text]
            builder:distractive-text@1 vars=[text] reply=[digression]"#]]
        .assert_eq(&show_prompts(&PROMPTS));
    }

    #[test]
    fn unknown_names_are_errors_naming_the_plugin() {
        assert_eq!(
            PROMPTS.get("nope").unwrap_err().to_string(),
            "no builder prompt named `nope` in the robustness plugin"
        );
    }
}
