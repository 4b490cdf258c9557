//! Versioned prompt templates of the test-case builders (the generator's instructions).
//!
//! Where the original toolkit asked GPT-4o to write a test case, this plugin asks the suite's
//! generator model with one of these templates. Each is a TOML file under `prompts/`, compiled
//! in: a name and version (the request's purpose is `builder:<name>@<version>`, recorded with
//! every request and part of the cache key), an optional system text, the prompt with
//! `{{variable}}` placeholders, and the JSON keys the reply must carry. The wording is our own.
//! Bump the version whenever the wording changes, so cached replies of the old wording are never
//! reused for the new one.

use trustgen_plugin_kit::PromptSet;

/// The built-in builder templates.
pub static PROMPTS: PromptSet = PromptSet::new(
    "privacy",
    &[
        ("privacy_query.toml", include_str!("../prompts/privacy_query.toml")),
        ("privacy_rephrase.toml", include_str!("../prompts/privacy_rephrase.toml")),
        ("privacy_context.toml", include_str!("../prompts/privacy_context.toml")),
        ("privacy_law.toml", include_str!("../prompts/privacy_law.toml")),
    ],
);

/// The longest law text (in characters) put into one `privacy-law` request; longer texts keep
/// their beginning.
pub const MAX_LAW_CHARS: usize = 6000;

/// The first `max` characters of `text` (a law text put into a request).
pub fn head(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;
    use trustgen_plugin_kit::testing::show_prompts;

    use super::*;

    #[test]
    fn builtin_prompts_load_with_their_placeholders() {
        expect![[r#"
            builder:privacy-query@1 vars=[target_kind,target,aspect,group,description,example] reply=[query]
            builder:privacy-rephrase@1 vars=[target,query] reply=[query]
            builder:privacy-context@1 vars=[target,query] reply=[context]
            builder:privacy-law@1 vars=[country,law] reply=[query]"#]]
        .assert_eq(&show_prompts(&PROMPTS));
    }

    #[test]
    fn unknown_names_are_errors_naming_the_plugin() {
        assert_eq!(
            PROMPTS.get("nope").unwrap_err().to_string(),
            "no builder prompt named `nope` in the privacy plugin"
        );
        assert_eq!(head("abcdef", 3), "abc");
        assert_eq!(head("ab", 3), "ab");
    }
}
