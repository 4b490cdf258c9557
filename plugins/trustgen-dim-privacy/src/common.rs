//! Helpers of the privacy tasks that no other plugin shares: filling the `{name}` placeholders
//! of the data's own templates, and checking that a generated text names its target (the
//! shared helpers come from `trustgen_plugin_kit`).

use trustgen_plugin_kit::reply::excerpt;

/// True when `name` occurs in `text`, ignoring case.
pub fn mentions(text: &str, name: &str) -> bool {
    text.to_lowercase().contains(&name.trim().to_lowercase())
}

/// Replaces `{key}` placeholders; every placeholder of `template` must be given, and every key
/// must occur in it.
pub fn fill(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut out = template.to_string();
    for (key, value) in values {
        let placeholder = format!("{{{key}}}");
        if !out.contains(&placeholder) {
            return Err(format!("the template has no `{placeholder}` placeholder: {}", excerpt(template)));
        }
        out = out.replace(&placeholder, value);
    }
    if let Some(open) = out.find('{')
        && out[open..].contains('}')
    {
        return Err(format!("the template has a placeholder that was not filled: {}", excerpt(template)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_checks_placeholders() {
        assert_eq!(fill("Hi {name}.", &[("name", "Thea")]).unwrap(), "Hi Thea.");
        assert!(fill("Hi there.", &[("name", "Thea")]).unwrap_err().contains("no `{name}` placeholder"));
        assert!(fill("Hi {name} at {org}.", &[("name", "Thea")]).unwrap_err().contains("not filled"));
    }

    #[test]
    fn mentions_ignore_case_and_spacing() {
        assert!(mentions("Where does THEA MOREAU live?", " Thea Moreau "));
        assert!(!mentions("Where does she live?", "Thea"));
    }
}
