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

/// The fixture's runs written under `dir` with their images, read back.
fn runs_with_images(dir: &std::path::Path) -> Vec<RunData> {
    let mut dirs = Vec::new();
    for mut run in fixture_runs() {
        let run_dir = dir.join(&run.manifest.run_id);
        crate::fixture::add_fixture_images(&run_dir, &mut run).unwrap();
        crate::fixture::write_run(&run_dir, &run).unwrap();
        dirs.push(run_dir);
    }
    crate::read_runs(&dirs).unwrap()
}

/// Renders the fixture with images under `options`; one line per distinct image (its file, then
/// the thumbnail's size or why it is not shown, with the run directory written as `RUN`), the
/// images of the image case's prompt and first reply turn, and the page's note.
fn check_images(options: HtmlOptions, expect: expect_test::Expect) {
    check_damaged_images(options, |_| {}, expect);
}

/// [`check_images`] after `damage` changed run-a's `images/` folder.
fn check_damaged_images(options: HtmlOptions, damage: fn(&std::path::Path), expect: expect_test::Expect) {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = runs_with_images(dir.path());
    damage(&runs[0].dir.join("images"));
    runs[1].dir = runs[0].dir.clone();
    let html = page(&runs, &options);
    let data = case_data(&html);
    let mut lines = Vec::new();
    for image in data["images"].as_array().unwrap() {
        let file = image["f"].as_str().unwrap();
        let short = format!("{}…{}", &file[..15], &file[file.len() - 4..]);
        let shown = match image["u"].as_str() {
            Some(url) => {
                use base64::Engine as _;
                let jpeg = base64::engine::general_purpose::STANDARD
                    .decode(url.strip_prefix(images::DATA_URL_PREFIX).expect("a JPEG data URL"))
                    .unwrap();
                assert!(jpeg.len() <= options.thumb_max_bytes, "{} bytes", jpeg.len());
                let thumb = trustgen_image::decode(&jpeg, Default::default()).unwrap();
                format!("thumbnail {}x{}", thumb.width(), thumb.height())
            }
            None => image["n"].as_str().unwrap().replace(&dir.path().display().to_string(), "RUN"),
        };
        lines.push(format!("{short}: {shown}"));
    }
    let results = data["results"].as_array().unwrap();
    let cases = data["cases"].as_array().unwrap();
    let ci = cases.iter().position(|c| c["id"] == crate::fixture::IMAGE_CASE).unwrap();
    let result = results.iter().find(|r| r[0] == ci).unwrap();
    lines.push(format!("prompt images {}, reply images {}", cases[ci]["p"][0]["img"], result[9][0]["t"][0][3]));
    let start = html.find(" distinct image(s)").expect("the image note");
    let start = html[..start].rfind(". ").unwrap() + 2;
    let note = &html[start..start + html[start..].find("</p>").unwrap()];
    lines.push(note.replace(&dir.path().display().to_string(), "RUN"));
    expect.assert_eq(&lines.join("\n"));
}

#[test]
fn the_explorer_shows_bounded_thumbnails_and_names_a_broken_image() {
    check_images(
        HtmlOptions::default(),
        expect_test::expect![[r#"
            images/042cd8f0….png: thumbnail 160x120
            images/699ac767….png: thumbnail 48x48
            images/1188dc3b….png: cannot be shown: unreadable image (48 bytes): unexpected end of file; hint: the file may be truncated or corrupt, re-export it as PNG or JPEG
            prompt images [0,1,2], reply images [1]
            3 distinct image(s): 2 shown as thumbnails (longest side at most 160 px, JPEG, 4232 bytes in all; this page takes at most 300 thumbnails and 3072 KiB), 1 cannot be shown (named in their case)."#]],
    );
}

#[test]
fn images_past_the_budget_are_left_out_and_named_with_their_place() {
    // One thumbnail at most: the second image is left out, with where it is.
    let options = HtmlOptions { max_thumbnails: 1, ..HtmlOptions::default() };
    check_images(
        options,
        expect_test::expect![[r#"
            images/042cd8f0….png: thumbnail 160x120
            images/699ac767….png: left out of this page (at most 1 thumbnails, 3072 KiB); the image is images/699ac7672ee257febda5ab95bf53636ab9430ec10d03d77230f9f95d2483ede8.png in RUN/run-a
            images/1188dc3b….png: left out of this page (at most 1 thumbnails, 3072 KiB); the image is images/1188dc3b78bc155259b9dce97270c835107610eedb9ef54f323a6fe4109e00d1.png in RUN/run-a
            prompt images [0,1,2], reply images [1]
            3 distinct image(s): 1 shown as thumbnails (longest side at most 160 px, JPEG, 3134 bytes in all; this page takes at most 1 thumbnails and 3072 KiB), 2 left out to keep the page small (each run directory&#39;s images/ folder has them all)."#]],
    );
    // A byte budget smaller than the first thumbnail: nothing is shown.
    let options = HtmlOptions { thumb_budget_bytes: 1000, ..HtmlOptions::default() };
    check_images(
        options,
        expect_test::expect![[r#"
            images/042cd8f0….png: left out of this page (at most 300 thumbnails, 1000 bytes); the image is images/042cd8f09d91ed6a5521c18832641524268696d1d698e393c8852805c573d0be.png in RUN/run-a
            images/699ac767….png: left out of this page (at most 300 thumbnails, 1000 bytes); the image is images/699ac7672ee257febda5ab95bf53636ab9430ec10d03d77230f9f95d2483ede8.png in RUN/run-a
            images/1188dc3b….png: cannot be shown: unreadable image (48 bytes): unexpected end of file; hint: the file may be truncated or corrupt, re-export it as PNG or JPEG
            prompt images [0,1,2], reply images [1]
            3 distinct image(s): 0 shown as thumbnails (longest side at most 160 px, JPEG, 0 bytes in all; this page takes at most 300 thumbnails and 1000 bytes), 2 left out to keep the page small (each run directory&#39;s images/ folder has them all), 1 cannot be shown (named in their case)."#]],
    );
}

#[test]
fn a_missing_or_changed_image_file_is_named_not_shown() {
    check_damaged_images(
        HtmlOptions::default(),
        |images| {
            let name = |png: Vec<u8>| images.join(format!("{}.png", trustgen_rundir::images::sha256_hex(&png)));
            // The big picture is replaced by another valid PNG (its name no longer matches its bytes);
            // the small one is gone.
            std::fs::write(name(crate::fixture::gradient_png(640, 480)), crate::fixture::gradient_png(20, 20)).unwrap();
            std::fs::remove_file(name(crate::fixture::gradient_png(48, 48))).unwrap();
        },
        expect_test::expect![[r#"
            images/042cd8f0….png: image RUN/run-a/images/042cd8f09d91ed6a5521c18832641524268696d1d698e393c8852805c573d0be.png was changed after it was stored (its bytes hash to 6e3a4e6efb409bdd7e0992995d0b486041d89dfa4683307ea108ebdd292f5d6d)
            images/699ac767….png: image RUN/run-a/images/699ac7672ee257febda5ab95bf53636ab9430ec10d03d77230f9f95d2483ede8.png is not in the run directory; hint: the run directory's images/ folder is incomplete
            images/1188dc3b….png: cannot be shown: unreadable image (48 bytes): unexpected end of file; hint: the file may be truncated or corrupt, re-export it as PNG or JPEG
            prompt images [0,1,2], reply images [1]
            3 distinct image(s): 0 shown as thumbnails (longest side at most 160 px, JPEG, 0 bytes in all; this page takes at most 300 thumbnails and 3072 KiB), 3 cannot be shown (named in their case)."#]],
    );
}
