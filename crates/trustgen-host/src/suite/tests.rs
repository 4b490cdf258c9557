//! Tests of suite parsing and its error messages.

use std::path::Path;

use expect_test::{Expect, expect};

use super::Suite;

#[track_caller]
fn check(text: &str, expected: Expect) {
    let got = match Suite::parse(Path::new("suite.toml"), text.to_string()) {
        Ok(suite) => format!("ok: {} dimension(s), {} model(s)", suite.file.dimensions.len(), suite.file.models.len()),
        Err(errors) => errors.to_string(),
    };
    expected.assert_eq(&got);
}

#[test]
fn valid_suite() {
    check(
        r#"
[run]
name = "x"
seed = 7

[models.target]
provider = "openai"
model = "gpt-4o-mini"
api_key_env = "OPENAI_API_KEY"

[[dimension]]
plugin = "safety"
tasks = ["jailbreak"]
variations = ["paraphrase"]
"#,
        expect![[r#"ok: 1 dimension(s), 1 model(s)"#]],
    );
}

#[test]
fn unknown_key_with_suggestion() {
    check(
        r#"
[run]
concurency = 4
"#,
        expect![[r#"suite.toml:3:1: unknown key `concurency` in [run]; did you mean `concurrency`?"#]],
    );
}

#[test]
fn unknown_table_with_suggestion() {
    check(
        r#"
[modles.target]
provider = "openai"
"#,
        expect![[r#"suite.toml:2:2: unknown key `modles` at the top level; did you mean `models`?"#]],
    );
}

#[test]
fn unknown_model_key() {
    check(
        r#"
[models.target]
provider = "openai"
api_key = "sk-secret"
"#,
        expect![[r#"suite.toml:4:1: unknown key `api_key` in [models.target]; did you mean `api_key_env`?"#]],
    );
}

#[test]
fn bad_role_provider_and_variation() {
    check(
        r#"
[models.targte]
provider = "openai"

[models.judge]
provider = "opnai"

[[dimension]]
plugin = "safety"
variations = ["paraphrse"]
"#,
        expect![[r#"
            suite.toml:6:12: unknown provider `opnai` for [models.judge]; did you mean `openai`?
            suite.toml:2:9: unknown model role `targte` in [models]; did you mean `target`?
            suite.toml:10:15: unknown variation `paraphrse`; did you mean `paraphrase`?"#]],
    );
}

#[test]
fn bad_toml_syntax() {
    check(
        r#"
[run
seed = 1
"#,
        expect![[r#"suite.toml:2:5: unclosed table, expected `]`"#]],
    );
}

#[test]
fn wrong_type() {
    check(
        r#"
[run]
seed = "seven"
"#,
        expect![[r#"suite.toml:3:8: invalid type: string "seven", expected u64"#]],
    );
}
