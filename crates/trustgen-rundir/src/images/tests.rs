//! Tests of the image store: once per content, atomic, checked on reading.

use super::*;

/// The smallest PNG signature plus a few bytes: enough for the store, which
/// tells formats by their magic numbers.
fn png(tag: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(tag);
    bytes
}

#[test]
fn the_same_image_is_stored_once_under_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let store = ImageStore::new(dir.path());
    let a = store.put(&png(b"a"), "image a").unwrap();
    let again = store.put(&png(b"a"), "image a again").unwrap();
    let b = store.put(&png(b"b"), "image b").unwrap();
    assert_eq!(a, again);
    assert_ne!(a.sha256, b.sha256);
    assert_eq!(a.sha256, sha256_hex(&png(b"a")));
    assert_eq!(a.format.media_type, "image/png");
    let mut names: Vec<String> =
        std::fs::read_dir(store.dir()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let mut expected = vec![format!("{}.png", a.sha256), format!("{}.png", b.sha256)];
    expected.sort();
    assert_eq!(names, expected, "one file per image, no temporary file left");
    assert_eq!(store.load(&a.sha256, "image/png").unwrap(), png(b"a"));
}

#[test]
fn formats_are_told_by_their_bytes() {
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];
    assert_eq!(sniff_image(&jpeg).map(|f| f.extension), Some("jpg"));
    assert_eq!(sniff_image(b"GIF89a...").map(|f| f.media_type), Some("image/gif"));
    assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 ").map(|f| f.media_type), Some("image/webp"));
    assert_eq!(sniff_image(b"<svg xmlns=").map(|f| f.media_type), None);
    assert_eq!(format_of("image/jpg").map(|f| f.extension), Some("jpg"));
}

#[test]
fn an_unsupported_format_is_an_error_naming_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let err = ImageStore::new(dir.path()).put(b"<svg/>", "the image of case c1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the image of case c1 is not a PNG, JPEG, GIF or WebP image (its first bytes are 3c7376672f3e); hint: convert it to PNG or JPEG"
    );
    assert!(!dir.path().join("images").exists(), "nothing is written");
}

#[test]
fn a_name_that_is_not_a_hash_never_becomes_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = ImageStore::new(dir.path());
    let err = store.load("../../etc/passwd", "image/png").unwrap_err();
    assert!(matches!(err, ImageError::Name { .. }), "{err}");
    let err = store.load(&"A".repeat(64), "image/png").unwrap_err();
    assert!(matches!(err, ImageError::Name { .. }), "{err}");
}

#[test]
fn a_missing_or_changed_image_is_an_error_never_other_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = ImageStore::new(dir.path());
    let stored = store.put(&png(b"x"), "x").unwrap();
    let path = store.path(&stored.sha256, "image/png").unwrap();
    std::fs::write(&path, png(b"y")).unwrap();
    let err = store.load(&stored.sha256, "image/png").unwrap_err();
    assert!(matches!(err, ImageError::Changed { .. }), "{err}");
    std::fs::remove_file(&path).unwrap();
    let err = store.load(&stored.sha256, "image/png").unwrap_err();
    assert!(err.to_string().contains("is not in the run directory"), "{err}");
}

#[test]
fn stray_temporary_images_of_dead_writers_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = ImageStore::new(dir.path());
    std::fs::create_dir_all(store.dir()).unwrap();
    let sha = "a".repeat(64);
    // A pid that cannot be alive (above Linux's pid_max).
    let stray = store.dir().join(format!(".{sha}.png.4194399.0.tmp"));
    let live = store.dir().join(format!(".{sha}.png.{}.0.tmp", std::process::id()));
    std::fs::write(&stray, b"x").unwrap();
    std::fs::write(&live, b"x").unwrap();
    let removed = store.remove_stray_temps().unwrap();
    assert_eq!(removed, vec![stray.clone()]);
    assert!(live.exists());
}
