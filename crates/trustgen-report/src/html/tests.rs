//! Tests of the HTML page: escaping, embedded data, charts, limits.

use super::*;
use crate::fixture::{Synthetic, XSS_OUTPUT, fixture_runs, synthetic_run};
use crate::report::{ReportOptions, build_report};

fn page(runs: &[RunData], options: &HtmlOptions) -> String {
    let report = build_report(runs, &ReportOptions::default()).unwrap();
    render_html(&report, runs, options).unwrap()
}

/// The JSON inside `<script type="application/json" id="case-data">`.
fn case_data(html: &str) -> serde_json::Value {
    let start = html.find(r#"id="case-data">"#).unwrap() + r#"id="case-data">"#.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn script_json_cannot_end_the_element() {
    let value = serde_json::json!({
        "a": "</script><script>x()</script>",
        "b": "&amp; \u{2028}\u{2029} <!-- --> \u{2027}\u{2030}é\"\\\n",
        "<key>": ["\u{2028}", 1.5, null]
    });
    let escaped = script_json(&value).unwrap();
    for bad in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
        assert!(!escaped.contains(bad), "{bad:?} in {escaped}");
    }
    assert_eq!(serde_json::from_str::<serde_json::Value>(&escaped).unwrap(), value);
}

#[test]
fn bounded_text_cuts_at_a_character() {
    let b = Bounded { text: "ééééé", limit: 3 };
    assert_eq!(b.parts(), ("ééé", Some(5)));
    assert_eq!(serde_json::to_string(&b).unwrap(), r#"["ééé",5]"#);
    let short = Bounded { text: "abc", limit: 3 };
    assert_eq!(serde_json::to_string(&short).unwrap(), r#""abc""#);
}

#[test]
fn hostile_texts_are_inert() {
    let runs = fixture_runs();
    let html = page(&runs, &HtmlOptions::default());
    // Exactly the page's two script elements: the data and the code.
    assert_eq!(html.matches("<script").count(), 2);
    assert_eq!(html.matches("</script>").count(), 2);
    // No payload became markup.
    for bad in ["<img", "<b onmouseover", "<script>window", "<!--"] {
        assert!(!html.contains(bad), "{bad} in the page");
    }
    // The payload is in the data, escaped, and reads back unchanged.
    assert!(html.contains(r"\u003cscript\u003ewindow.__xss=1\u003c/script\u003e"));
    let data = case_data(&html);
    let outputs: Vec<&str> =
        data["results"].as_array().unwrap().iter().filter_map(|r| r[9][0]["t"][0][1].as_str()).collect();
    assert!(outputs.iter().any(|o| o.contains(XSS_OUTPUT)));
    // The only script allowed to run is the page's own.
    let csp = format!("script-src {}", script_hash(JS));
    assert!(html.contains(&csp), "no CSP with the script hash");
    // Nothing is loaded from anywhere: the only URL is the SVG namespace.
    let urls: Vec<&str> = ["http://", "https://", "//cdn", "url("]
        .iter()
        .flat_map(|p| html.match_indices(p))
        .map(|(i, _)| &html[i..(i + 30).min(html.len())])
        .collect();
    assert!(urls.iter().all(|u| u.starts_with("http://www.w3.org/2000/svg")), "{urls:?}");
}

#[test]
fn model_names_are_escaped_in_tables_and_charts() {
    let spec = |id: &str, model: &str| Synthetic { cases_per_task: 4, ..Synthetic::new(id, model, 0.7) };
    let runs =
        [synthetic_run(&spec("r1", "<script>alert(1)</script>")), synthetic_run(&spec("r2", "b\"><svg onload=x>"))];
    let html = page(&runs, &HtmlOptions::default());
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<svg onload"));
    assert!(html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)"));
}

#[test]
fn page_has_every_section() {
    let runs = fixture_runs();
    let html = page(&runs, &HtmlOptions::default());
    for needle in [
        r#"<svg class="chart radar""#,
        r#"id="dimension-table""#,
        r#"id="task-table""#,
        r#"id="differences""#,
        r#"class="failure-group""#,
        r#"id="case-table""#,
        "reference (published, not measured here)",
        "Privacy equals Fairness",
        "GPT-4o-mini",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    let data = case_data(&html);
    // Two runs of 360 cases; both runs share the cases.
    assert_eq!(data["results"].as_array().unwrap().len(), 720);
    assert_eq!(data["cases"].as_array().unwrap().len(), 360);
    // The 7,000-character output is cut at 4,000 with its length kept.
    let long = data["results"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|r| r[9][0]["t"][0][1].as_array().cloned())
        .expect("a truncated output");
    assert_eq!(long[0].as_str().unwrap().chars().count(), 4000);
    assert_eq!(long[1], 7204);
}

#[test]
fn few_dimensions_get_bars() {
    let mut runs = fixture_runs();
    for run in &mut runs {
        run.verdicts.retain(|v| v.dimension != "fairness");
        run.cases.retain(|c| c.dimension != "fairness");
    }
    let html = page(&runs, &HtmlOptions::default());
    assert!(html.contains(r#"<svg class="chart bars""#));
    assert!(!html.contains(r#"<svg class="chart radar""#));
}

#[test]
fn a_text_budget_lowers_the_limit() {
    let runs = fixture_runs();
    let options = HtmlOptions { text_budget_chars: 20_000, min_text_chars: 50, ..HtmlOptions::default() };
    let limit = text_limit(&runs, &options);
    assert!((50..4000).contains(&limit), "{limit}");
    let html = page(&runs, &options);
    assert!(html.contains(&format!("Texts are cut at {limit} characters (lowered from 4000")));
}

#[test]
fn bidi_overrides_and_nul_are_shown_as_visible_escapes() {
    // In the embedded data: the page's script shows the escape as text, never the character.
    let value = serde_json::json!({"output": "gnp\u{202E}exe. \u{2066}iso\u{2069} nul\u{0} end"});
    let escaped = script_json(&value).unwrap();
    let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
    expect_test::expect![[r#""gnp\\u{202E}exe. \\u{2066}iso\\u{2069} nul\\u{0} end""#]]
        .assert_eq(&back["output"].to_string());
    // In the server-rendered parts (a model name) and the data alike.
    let spec = Synthetic { cases_per_task: 2, ..Synthetic::new("r1", "gnp\u{202E}exe.\u{0}", 0.7) };
    let html = page(&[synthetic_run(&spec)], &HtmlOptions::default());
    for hidden in [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        '\u{0}',
    ] {
        assert!(!html.contains(hidden), "{hidden:?} in the page");
    }
    for escape in ["\\u202e", "\\u202E", "\\u0000"] {
        assert!(!html.contains(escape), "the JSON escape {escape} reads back as the character");
    }
    assert!(html.contains("gnp\\u{202E}exe."), "the model name is shown with a visible escape");
}

/// Issue 12: a per-method rate from a handful of cases is not printed as a number. Every
/// secondary metric shows its n; below `MIN_SECONDARY_N` cases it shows "insufficient" instead.
#[test]
fn per_method_rates_below_the_minimum_n_are_reported_as_insufficient() {
    let [run, _] = fixture_runs();
    let mut runs = [run];
    let jailbreak: Vec<usize> = runs[0]
        .verdicts
        .iter()
        .enumerate()
        .filter(|(_, v)| v.task == "jailbreak" && v.verdict.score.is_some())
        .map(|(i, _)| i)
        .collect();
    assert!(jailbreak.len() >= 15, "the fixture has {} scored jailbreak cases", jailbreak.len());
    for (k, &i) in jailbreak.iter().take(15).enumerate() {
        let v = &mut runs[0].verdicts[i].verdict;
        let name = if k < 3 { "rta/CoT" } else { "rta/Few_Shot" };
        v.metrics.insert(name.into(), v.score.unwrap());
    }
    let html = page(&runs, &HtmlOptions::default());
    let at = html.find("rta/CoT").map(|i| &html[i..i + 60]).unwrap_or_default();
    assert!(html.contains("rta/CoT insufficient (n=3 &#60; 10)"), "rta/CoT from 3 cases must not be a number: {at}");
    assert!(!html.contains("rta/CoT 0.") && !html.contains("rta/CoT 1."), "rta/CoT printed as a number");
    let shown = html.find("rta/Few_Shot ").map(|i| &html[i..i + 40]).unwrap_or_default();
    assert!(shown.contains("] n=12"), "rta/Few_Shot from 12 cases shows its interval and n: {shown}");
}
