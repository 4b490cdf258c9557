//! The one template renderer of trustgen: `{{name}}` placeholders filled in one pass.
//!
//! Both kinds of prompt template use it: the LLM judge templates of [`crate::templates`] and the
//! builder prompt templates of `trustgen-plugin-kit` (`prompt::BuilderPrompt`). Its rules:
//!
//! - a placeholder is `{{name}}` (spaces inside the braces are trimmed);
//! - every placeholder needs a value: a missing one is a [`RenderError`] naming the template and
//!   the placeholder, never a literal `{{name}}` sent to a model;
//! - values are inserted in one pass, so a value that itself contains `{{...}}` (a model's
//!   output, say) is never expanded;
//! - an unclosed `{{` is text and kept as it is.
//!
//! [`fill`] applies these rules with a lookup; [`render`] also rejects a value that has no
//! placeholder (a misspelt variable name would otherwise go unnoticed).

/// Errors of rendering a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A placeholder of the template was given no value.
    #[error("template `{template}`: placeholder `{{{{{placeholder}}}}}` was given no value")]
    Missing {
        /// The template (its id, e.g. `name@version`).
        template: String,
        /// The placeholder's name.
        placeholder: String,
    },
    /// A value was given for a name the template has no placeholder for.
    #[error("template `{template}`: it has no placeholder `{{{{{placeholder}}}}}`")]
    Unused {
        /// The template (its id, e.g. `name@version`).
        template: String,
        /// The name that was given a value.
        placeholder: String,
    },
}

impl RenderError {
    /// The template named in the error.
    pub fn template(&self) -> &str {
        match self {
            RenderError::Missing { template, .. } | RenderError::Unused { template, .. } => template,
        }
    }

    /// What is wrong, without the template's name.
    pub fn detail(&self) -> String {
        match self {
            RenderError::Missing { placeholder, .. } => {
                format!("placeholder `{{{{{placeholder}}}}}` was given no value")
            }
            RenderError::Unused { placeholder, .. } => format!("it has no placeholder `{{{{{placeholder}}}}}`"),
        }
    }
}

/// The `{{name}}` placeholders of `text`, in order of first use (an unclosed `{{` ends the scan).
pub fn placeholders(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let name = after[..close].trim().to_string();
        if !names.contains(&name) {
            names.push(name);
        }
        rest = &after[close + 2..];
    }
    names
}

/// `text` with every `{{name}}` placeholder replaced by `value(name)`, in one pass (inserted
/// values are not re-scanned); an unclosed `{{` is kept as text. A placeholder without a value
/// is an error naming `template` and the placeholder.
pub fn fill<'v>(template: &str, text: &str, value: impl Fn(&str) -> Option<&'v str>) -> Result<String, RenderError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            // An unclosed `{{` is text, kept as it is.
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = after[..close].trim();
        let Some(found) = value(name) else {
            return Err(RenderError::Missing { template: template.to_string(), placeholder: name.to_string() });
        };
        out.push_str(found);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `text` with every placeholder replaced by its value from `vars` (see [`fill`]); strict both
/// ways: every placeholder needs a value and every value a placeholder. The result is not
/// trimmed, so a fragment keeps its surrounding blank lines.
pub fn render(template: &str, text: &str, vars: &[(&str, &str)]) -> Result<String, RenderError> {
    let names = placeholders(text);
    if let Some((name, _)) = vars.iter().find(|(name, _)| !names.iter().any(|p| p == name)) {
        return Err(RenderError::Unused { template: template.to_string(), placeholder: (*name).to_string() });
    }
    fill(template, text, |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[track_caller]
    fn check(text: &str, vars: &[(&str, &str)], expected: expect_test::Expect) {
        let actual = match render("demo@1", text, vars) {
            Ok(text) => format!("ok {text:?}"),
            Err(err) => format!("err {err}"),
        };
        expected.assert_eq(&actual);
    }

    #[test]
    fn placeholders_are_filled_in_one_pass() {
        check("a {{x}} b {{ y }} {{x}}", &[("x", "1"), ("y", "2")], expect![[r#"ok "a 1 b 2 1""#]]);
        // A value containing a placeholder is not expanded.
        check("say {{x}}", &[("x", "{{x}} and {{y}}")], expect![[r#"ok "say {{x}} and {{y}}""#]]);
        // A fragment keeps its blank lines.
        check("\n\n{{a}}-{{a}}\n", &[("a", "x")], expect![[r#"ok "\n\nx-x\n""#]]);
        assert_eq!(placeholders("{{a}} {{ b }} {{a}} {{c"), ["a", "b"]);
    }

    #[test]
    fn missing_and_unused_values_name_the_template_and_the_placeholder() {
        check("Translate {{query}}", &[], expect!["err template `demo@1`: placeholder `{{query}}` was given no value"]);
        check(
            "Translate {{query}}",
            &[("query", "x"), ("other", "y")],
            expect!["err template `demo@1`: it has no placeholder `{{other}}`"],
        );
        let err = render("demo@1", "{{q}}", &[]).unwrap_err();
        assert_eq!((err.template(), err.detail().as_str()), ("demo@1", "placeholder `{{q}}` was given no value"));
    }

    /// Fixed bug: the plugins' former copies of the renderer wrote the text before an unclosed
    /// `{{` twice ("a {{b" became "a a {{b").
    #[test]
    fn an_unclosed_brace_pair_is_text_and_nothing_is_repeated() {
        check("a {{b}} c {{d", &[("b", "B")], expect![[r#"ok "a B c {{d""#]]);
        check("x {{", &[], expect![[r#"ok "x {{""#]]);
        // `fill` with a lookup follows the same rules.
        assert_eq!(fill("t", "{{a}} {{", |n| (n == "a").then_some("A")), Ok("A {{".to_string()));
    }
}
