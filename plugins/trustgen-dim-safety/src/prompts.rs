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
    ],
);

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[test]
    fn builtin_prompts_load_with_their_placeholders() {
        let lines: Vec<String> = PROMPTS
            .all()
            .unwrap()
            .iter()
            .map(|p| format!("{} vars=[{}] reply=[{}]", p.purpose(), p.placeholders().join(","), p.reply.join(",")))
            .collect();
        expect![[r#"
            builder:jailbreak-query@1 vars=[topic,group,title,document] reply=[query]
            builder:persuasion@1 vars=[technique,definition,example,query] reply=[prompt]
            builder:obscure@1 vars=[query] reply=[prompt]
            builder:translate@1 vars=[query] reply=[translation]
            builder:over-refusal-keywords@1 vars=[topic,description,count] reply=[keywords]
            builder:over-refusal-questions@1 vars=[keyword,topic,count,categories,examples] reply=[questions]"#]]
        .assert_eq(&lines.join("\n"));
    }

    #[test]
    fn render_rejects_missing_and_unknown_values_and_does_not_rescan() {
        let p = PROMPTS.get("translate").unwrap();
        assert_eq!(
            p.render(&[]).unwrap_err().to_string(),
            "builder prompt `translate@1`: placeholder `{{query}}` was given no value"
        );
        assert_eq!(
            p.render(&[("query", "x"), ("other", "y")]).unwrap_err().to_string(),
            "builder prompt `translate@1`: it has no placeholder `{{other}}`"
        );
        let text = p.render(&[("query", "say {{query}}")]).unwrap();
        assert!(text.contains("[TEXT]\nsay {{query}}\n"), "{text}");
        assert_eq!(PROMPTS.get("nope").unwrap_err().to_string(), "no builder prompt named `nope` in the safety plugin");
    }
}
