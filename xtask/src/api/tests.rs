//! The API check on a fixture crate's real rustdoc JSON, its comparison rules, and the plugin API
//! against its committed baseline.

use expect_test::expect;

use super::{compare, public_items, read_baseline, write_baseline};

fn lines(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn removals_changes_and_exhaustive_growth_break_additions_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let write = |lib: &str| {
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"fixture\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\n[workspace]\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), lib).unwrap();
        public_items(dir.path(), "fixture").unwrap()
    };
    let v1 = write(
        "//! v1\npub enum E { A }\n#[non_exhaustive]\npub enum N { A }\npub struct S { pub a: u8 }\n\
         pub fn f(x: u8) -> u8 { x }\npub fn kept(x: u8) -> u8 { x }\n",
    );
    let v2 = write(
        "//! v2\npub enum E { A, B }\n#[non_exhaustive]\npub enum N { A, B }\npub struct S { pub a: u8, pub b: u8 }\n\
         pub fn kept(x: u16) -> u8 { x as u8 }\npub fn g() {}\n",
    );
    let comparison = compare(&v1, &v2);
    expect![[r#"
        Comparison {
            breaking: [
                "  removed or changed: pub fn fixture::f(u8) -> u8",
                "  removed or changed: pub fn fixture::kept(u8) -> u8",
                "  grows the exhaustive pub enum fixture::E: pub fixture::E::B",
                "  grows the exhaustive pub struct fixture::S: pub fixture::S::b: u8",
            ],
            added: [
                "pub fixture::N::B",
                "pub fn fixture::g()",
                "pub fn fixture::kept(u16) -> u8",
            ],
        }
    "#]]
    .assert_debug_eq(&comparison);
    assert_eq!(compare(&v2, &v2), super::Comparison::default());
}

#[test]
fn a_new_enum_or_struct_may_come_with_its_variants_and_fields() {
    let base = lines(&["pub enum a::E", "pub a::E::A"]);
    let now =
        lines(&["pub enum a::E", "pub a::E::A", "pub enum a::F", "pub a::F::A", "pub struct a::S", "pub a::S::x: u8"]);
    let comparison = compare(&base, &now);
    assert!(comparison.breaking.is_empty(), "{comparison:?}");
    assert_eq!(comparison.added.len(), 4);
}

#[test]
fn plugin_api_keeps_its_baseline() {
    let root = crate::project_root();
    let current = public_items(&root, "trustgen-plugin-api").unwrap();
    let baseline = super::read_baseline(&root.join(super::BASELINE)).unwrap();
    let comparison = compare(&baseline, &current);
    assert!(
        comparison.breaking.is_empty(),
        "trustgen-plugin-api breaks its 1.x baseline:\n{}\n(run `cargo xtask api --bless` if this is the accepted new shape)",
        comparison.breaking.join("\n")
    );
}

#[test]
fn a_baseline_reads_attribute_lines_as_items_and_skips_only_comments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("public-api.txt");
    write_baseline(&path, &lines(&["#[non_exhaustive] pub struct fixture::S", "pub fn fixture::f()"])).unwrap();
    assert_eq!(
        read_baseline(&path).unwrap(),
        lines(&["#[non_exhaustive] pub struct fixture::S", "pub fn fixture::f()"])
    );
}
