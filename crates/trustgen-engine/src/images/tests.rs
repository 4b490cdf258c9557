//! Tests of storing the images of cases and requests.

use base64::Engine as _;
use trustgen_plugin_api::{Message, ModelRole, Prompt};

use super::*;

fn png(tag: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(tag);
    bytes
}

fn case(images: Vec<Image>) -> TestCase {
    TestCase::new("c1", "t", vec![Prompt::user("what is it?").with_images(images)])
}

fn stored_files(run: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(run.join("images"))
        .map(|d| d.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn blobs_data_urls_base64_and_files_become_one_stored_image_each() {
    let run = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir(data.path().join("img")).unwrap();
    std::fs::write(data.path().join("img/b.png"), png(b"b")).unwrap();
    let images = Images::new(Some(ImageStore::new(run.path())), data.path().to_owned());
    let b64 = base64::engine::general_purpose::STANDARD.encode(png(b"a"));
    let mut case = case(vec![
        Image::new("image/jpeg", ImageSource::Blob { offset: 0, len: 9 }),
        Image::new("image/png", ImageSource::Url(format!("data:image/png;base64,{b64}"))),
        Image::new("image/png", ImageSource::Base64(b64)),
        Image::new("image/png", ImageSource::File("img/b.png".into())),
        Image::new("image/png", ImageSource::Url("https://example.org/x.png".into())),
    ]);
    images.case(&mut case, &png(b"a")).unwrap();
    let sha_a = sha256_hex(&png(b"a"));
    let sha_b = sha256_hex(&png(b"b"));
    let sources: Vec<_> = case.prompts[0].images.iter().map(|i| (i.media_type.as_str(), i.source.clone())).collect();
    assert_eq!(
        sources,
        [
            // The declared type was wrong: the bytes decide.
            ("image/png", ImageSource::Stored { sha256: sha_a.clone() }),
            ("image/png", ImageSource::Stored { sha256: sha_a.clone() }),
            ("image/png", ImageSource::Stored { sha256: sha_a.clone() }),
            ("image/png", ImageSource::Stored { sha256: sha_b.clone() }),
            ("image/png", ImageSource::Url("https://example.org/x.png".into())),
        ]
    );
    let mut expected = vec![format!("{sha_a}.png"), format!("{sha_b}.png")];
    expected.sort();
    assert_eq!(stored_files(run.path()), expected);
    // Stored again (a resumed run re-building its cases): nothing changes.
    images.case(&mut case, &[]).unwrap();
    assert_eq!(stored_files(run.path()), expected);
}

#[test]
fn a_data_file_path_never_leaves_the_data_directory() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(root.path().join("secret.png"), png(b"s")).unwrap();
    std::os::unix::fs::symlink(root.path().join("secret.png"), data.join("link.png")).unwrap();
    let run = tempfile::tempdir().unwrap();
    let images = Images::new(Some(ImageStore::new(run.path())), data.clone());
    for (path, expected) in [
        ("../secret.png", "is not a path inside the data directory"),
        ("/etc/passwd", "is not a path inside the data directory"),
        ("link.png", "leads outside the data directory"),
        ("missing.png", "no such file"),
    ] {
        let mut c = case(vec![Image::new("image/png", ImageSource::File(path.into()))]);
        let err = images.case(&mut c, &[]).unwrap_err();
        assert!(err.starts_with("image 1 of prompt `main` of case `c1`: "), "{err}");
        assert!(err.contains(expected), "{path}: {err}");
    }
    assert!(stored_files(run.path()).is_empty());
}

#[test]
fn bad_images_are_errors_naming_the_case() {
    let run = tempfile::tempdir().unwrap();
    let images = Images::new(Some(ImageStore::new(run.path())), run.path().to_owned());
    let check = |image: Image, bytes: &[u8], expected: &str| {
        let mut c = case(vec![image]);
        let err = images.case(&mut c, bytes).unwrap_err();
        assert_eq!(err, expected);
    };
    check(
        Image::new("image/png", ImageSource::Blob { offset: 4, len: 10 }),
        b"abc",
        "image 1 of prompt `main` of case `c1` refers to bytes 4..14 but the call returned 3 bytes (a plugin bug)",
    );
    check(
        Image::new("image/png", ImageSource::Blob { offset: 0, len: 3 }),
        b"GIF",
        "image 1 of prompt `main` of case `c1` is not a PNG, JPEG, GIF or WebP image (its first bytes are 474946); hint: convert it to PNG or JPEG",
    );
    check(
        Image::new("image/png", ImageSource::Url("data:image/png,rawbytes".into())),
        b"",
        "image 1 of prompt `main` of case `c1` is a data URL that is not base64-encoded (`data:image/png;base64,...`)",
    );
    check(
        Image::new("image/png", ImageSource::Stored { sha256: "0".repeat(64) }),
        b"",
        &format!(
            "image 1 of prompt `main` of case `c1`: image {} is not in the run directory",
            run.path().join("images").join(format!("{}.png", "0".repeat(64))).display()
        ),
    );
}

#[test]
fn request_images_are_stored_and_a_dry_run_only_hashes() {
    let images = Images::new(None, PathBuf::from("."));
    let image = Image::new("image/png", ImageSource::Blob { offset: 0, len: 9 });
    let mut requests =
        vec![ModelRequest::chat(ModelRole::Judge, vec![Message::user("grade").with_images(vec![image])])];
    images.requests(&mut requests, &png(b"a"), "plugin `p` method `score`").unwrap();
    let RequestKind::Chat(chat) = &requests[0].kind else { panic!("a chat request") };
    assert_eq!(chat.messages[0].images[0].source, ImageSource::Stored { sha256: sha256_hex(&png(b"a")) });
}
