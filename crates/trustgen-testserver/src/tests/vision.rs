//! Vision chat in the four API shapes: images decoded, checked, recorded and matched by hash.

use base64::Engine as _;
use expect_test::{Expect, expect};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{AZURE_PATH, GEMINI_PATH, send, spawn_script};
use crate::{Endpoint, image};

/// A PNG with only a header that claims `width` x `height`, padded to `bytes` (the server reads sizes
/// from headers, so this stands for a large image without rendering one).
fn padded_png(width: u32, height: u32, bytes: usize) -> Vec<u8> {
    let mut png = image::render_png(7, 1, 1);
    // IHDR's width and height follow the 8-byte signature, the chunk length and the chunk type.
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    png.resize(bytes.max(png.len()), 0);
    png
}

/// A baseline JPEG header (SOF0) of 32 x 16 pixels.
const JPEG: [u8; 23] = [
    0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x20, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03,
    0x11, 0x01, 0xff, 0xd9,
];

/// A GIF header of 4 x 4 pixels.
const GIF: &[u8] = b"GIF89a\x04\x00\x04\x00\x00\x00\x00;";

/// The declared media type and the bytes of a named fixture image (`None` bytes: invalid base64).
fn fixture(name: &str) -> (&'static str, Option<Vec<u8>>) {
    match name {
        "red" => ("image/png", Some(image::render_png(1, 8, 8))),
        "blue" => ("image/png", Some(image::render_png(2, 16, 8))),
        "jpeg" => ("image/jpeg", Some(JPEG.to_vec())),
        "jpg-alias" => ("image/jpg", Some(JPEG.to_vec())),
        "gif" => ("image/gif", Some(GIF.to_vec())),
        "bmp-label" => ("image/bmp", Some(image::render_png(1, 8, 8))),
        "png-as-jpeg" => ("image/jpeg", Some(image::render_png(1, 8, 8))),
        "not-image" => ("image/png", Some(b"hello, this is not an image".to_vec())),
        "not-base64" => ("image/png", None),
        "5mb+1" => ("image/png", Some(padded_png(100, 100, 5 * 1024 * 1024 + 1))),
        "20mb+1" => ("image/png", Some(padded_png(100, 100, 20 * 1024 * 1024 + 1))),
        "8001px" => ("image/png", Some(padded_png(8001, 10, 0))),
        "2001px" => ("image/png", Some(padded_png(2001, 10, 0))),
        other => panic!("unknown fixture image {other}"),
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A chat request of `endpoint` with one user message: the images (by fixture name), then `text`.
fn vision_request(
    endpoint: Endpoint,
    names: &[&str],
    text: &str,
) -> (&'static str, Vec<(&'static str, &'static str)>, Value) {
    let images: Vec<(&str, String)> = names
        .iter()
        .map(|name| {
            let (mime, bytes) = fixture(name);
            let data = bytes
                .map_or_else(|| "@@not base64@@".to_owned(), |b| base64::engine::general_purpose::STANDARD.encode(b));
            (mime, data)
        })
        .collect();
    match endpoint {
        Endpoint::Anthropic => {
            let mut content: Vec<Value> = images
                .iter()
                .map(|(mime, data)| json!({"type": "image", "source": {"type": "base64", "media_type": mime, "data": data}}))
                .collect();
            content.push(json!({"type": "text", "text": text}));
            let body = json!({"model": "claude-3-5-haiku-latest", "max_tokens": 100, "messages": [{"role": "user", "content": content}]});
            ("/v1/messages", vec![super::ANTHROPIC], body)
        }
        Endpoint::Gemini => {
            // The first image in camelCase, the others in snake_case: the API takes both.
            let mut parts: Vec<Value> = images
                .iter()
                .enumerate()
                .map(|(index, (mime, data))| {
                    if index == 0 {
                        json!({"inlineData": {"mimeType": mime, "data": data}})
                    } else {
                        json!({"inline_data": {"mime_type": mime, "data": data}})
                    }
                })
                .collect();
            parts.push(json!({"text": text}));
            (GEMINI_PATH, vec![], json!({"contents": [{"role": "user", "parts": parts}]}))
        }
        _ => {
            let mut content = vec![json!({"type": "text", "text": text})];
            content.extend(images.iter().map(
                |(mime, data)| json!({"type": "image_url", "image_url": {"url": format!("data:{mime};base64,{data}")}}),
            ));
            let messages = json!([{"role": "user", "content": content}]);
            if endpoint == Endpoint::Azure {
                (AZURE_PATH, vec![], json!({"messages": messages}))
            } else {
                ("/v1/chat/completions", vec![], json!({"model": "gpt-4o", "messages": messages}))
            }
        }
    }
}

/// Loads `script` (with `<name>` replaced by the sha256 of fixture `name`), sends one request per line
/// of `cases` (`endpoint | fixture names, comma-separated, `*N` repeats | user text`) and lists, per
/// request, the status, the rule, the reply text or the error message, and the images the server
/// recorded (first 12 hex digits of the sha256, media type, bytes, width x height).
async fn check(script: &str, cases: &str, expect: Expect) {
    let mut script = script.to_owned();
    for name in ["red", "blue", "jpeg"] {
        let (_, bytes) = fixture(name);
        script = script.replace(&format!("<{name}>"), &sha256(&bytes.unwrap_or_default()));
    }
    let server = spawn_script(&script);
    let mut out = String::new();
    for line in cases.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [endpoint, names, text] = fields[..] else {
            panic!("bad case line: {line}");
        };
        let endpoint: Endpoint = match serde_json::from_value(json!(endpoint)) {
            Ok(endpoint) => endpoint,
            Err(error) => panic!("{error}"),
        };
        let mut list = Vec::new();
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name.split_once('*') {
                Some((name, times)) => list.extend(std::iter::repeat_n(name, times.parse().unwrap_or(1))),
                None => list.push(name),
            }
        }
        let (path, headers, body) = vision_request(endpoint, &list, text);
        let sent = send(&server, path, &headers, &body).await;
        let value = sent.json();
        let answer = if sent.status == 200 {
            sent.text()
        } else {
            let message = value.pointer("/error/message").and_then(Value::as_str).unwrap_or("?");
            match value.pointer("/error/code").and_then(Value::as_str) {
                Some(code) => format!("{message} (code {code})"),
                None => message.to_owned(),
            }
        };
        let record = server.requests().pop().unwrap_or_else(|| panic!("no record for {line}"));
        let rule = record.rule.unwrap_or_else(|| "-".to_owned());
        let images: Vec<String> = record
            .images
            .iter()
            .map(|i| {
                let size = match (i.width, i.height) {
                    (Some(w), Some(h)) => format!("{w}x{h}"),
                    _ => "?".to_owned(),
                };
                format!("m{} {} {} {}B {size}", i.message, &i.sha256[..12], i.media_type, i.bytes)
            })
            .collect();
        out.push_str(&format!("{line}\n  => {} [{rule}] {answer}\n", sent.status));
        // Runs of identical images are shown once with their count.
        let mut runs: Vec<(usize, String)> = Vec::new();
        for image in images {
            match runs.last_mut() {
                Some((count, last)) if *last == image => *count += 1,
                _ => runs.push((1, image)),
            }
        }
        let runs: Vec<String> =
            runs.into_iter().map(|(n, image)| if n == 1 { image } else { format!("{n} x {image}") }).collect();
        if !runs.is_empty() {
            out.push_str(&format!("     recorded: {}\n", runs.join("; ")));
        }
    }
    expect.assert_eq(&out);
}

const SCRIPT: &str = r#"
[[rule]]
name = "both"
match = { image_sha256 = ["<red>", "<blue>"] }
reply = "Two images: {{image_sha256}}"

[[rule]]
name = "red-colour"
match = { image_sha256 = "<red>", last_user_contains = "colour" }
reply = "It is red."

[[rule]]
name = "red-other"
match = { image_sha256 = "<red>" }
reply = "A red picture ({{image_count}} image)."

[[rule]]
name = "no-image"
match = { image_count = 0 }
reply = "I see no image."
"#;

#[tokio::test]
async fn vision_chat_in_every_shape_answers_by_image_hash_and_text() {
    check(
        SCRIPT,
        "
        openai    | red       | What colour is it?
        openai    | red, blue | Compare them.
        azure     | red       | What colour is it?
        azure     | red, blue | Compare them.
        anthropic | red       | What colour is it?
        anthropic | red, blue | Compare them.
        gemini    | red       | Describe it.
        gemini    | red, blue | Compare them.
        gemini    |           | Any picture?
        openai    | jpeg      | Any picture?
        gemini    | jpg-alias | Any picture?
        ",
        expect![[r#"
            openai    | red       | What colour is it?
              => 200 [red-colour] It is red.
                 recorded: m0 0fb50a416e82 image/png 143B 8x8
            openai    | red, blue | Compare them.
              => 200 [both] Two images: 0fb50a416e824555781ebeefc8cad5e454ad6082935b047c94bf2f9198b329ed,c6fabdfe7ca2cc569845f275b86872386c6ff0703bd4dcc7106ee138786e3748
                 recorded: m0 0fb50a416e82 image/png 143B 8x8; m0 c6fabdfe7ca2 image/png 144B 16x8
            azure     | red       | What colour is it?
              => 200 [red-colour] It is red.
                 recorded: m0 0fb50a416e82 image/png 143B 8x8
            azure     | red, blue | Compare them.
              => 200 [both] Two images: 0fb50a416e824555781ebeefc8cad5e454ad6082935b047c94bf2f9198b329ed,c6fabdfe7ca2cc569845f275b86872386c6ff0703bd4dcc7106ee138786e3748
                 recorded: m0 0fb50a416e82 image/png 143B 8x8; m0 c6fabdfe7ca2 image/png 144B 16x8
            anthropic | red       | What colour is it?
              => 200 [red-colour] It is red.
                 recorded: m0 0fb50a416e82 image/png 143B 8x8
            anthropic | red, blue | Compare them.
              => 200 [both] Two images: 0fb50a416e824555781ebeefc8cad5e454ad6082935b047c94bf2f9198b329ed,c6fabdfe7ca2cc569845f275b86872386c6ff0703bd4dcc7106ee138786e3748
                 recorded: m0 0fb50a416e82 image/png 143B 8x8; m0 c6fabdfe7ca2 image/png 144B 16x8
            gemini    | red       | Describe it.
              => 200 [red-other] A red picture (1 image).
                 recorded: m0 0fb50a416e82 image/png 143B 8x8
            gemini    | red, blue | Compare them.
              => 200 [both] Two images: 0fb50a416e824555781ebeefc8cad5e454ad6082935b047c94bf2f9198b329ed,c6fabdfe7ca2cc569845f275b86872386c6ff0703bd4dcc7106ee138786e3748
                 recorded: m0 0fb50a416e82 image/png 143B 8x8; m0 c6fabdfe7ca2 image/png 144B 16x8
            gemini    |           | Any picture?
              => 200 [no-image] I see no image.
            openai    | jpeg      | Any picture?
              => 200 [-] True.
                 recorded: m0 4a31cc130e0e image/jpeg 23B 32x16
            gemini    | jpg-alias | Any picture?
              => 200 [-] True.
                 recorded: m0 4a31cc130e0e image/jpg 23B 32x16
        "#]],
    )
    .await;
}

#[tokio::test]
async fn malformed_images_get_the_providers_400_and_are_not_recorded() {
    check(
        SCRIPT,
        "
        openai    | not-base64  | x
        openai    | bmp-label   | x
        openai    | png-as-jpeg | x
        openai    | not-image   | x
        azure     | not-base64  | x
        anthropic | not-base64  | x
        anthropic | bmp-label   | x
        anthropic | jpg-alias   | x
        anthropic | png-as-jpeg | x
        anthropic | not-image   | x
        gemini    | not-base64  | x
        gemini    | gif         | x
        gemini    | png-as-jpeg | x
        gemini    | not-image   | x
        ",
        expect![[r#"
            openai    | not-base64  | x
              => 400 [-] You uploaded an unsupported image. Please make sure your image is valid (the data URL is not valid base64). (code invalid_image_format)
            openai    | bmp-label   | x
              => 400 [-] You uploaded an unsupported image. Please make sure your image has of one the following formats: ['png', 'jpeg', 'gif', 'webp']. (code invalid_image_format)
            openai    | png-as-jpeg | x
              => 400 [-] You uploaded an unsupported image. Please make sure your image is valid: the data URL says image/jpeg but the image is image/png. (code invalid_image_format)
            openai    | not-image   | x
              => 400 [-] You uploaded an unsupported image. Please make sure your image has of one the following formats: ['png', 'jpeg', 'gif', 'webp']. (code invalid_image_format)
            azure     | not-base64  | x
              => 400 [-] You uploaded an unsupported image. Please make sure your image is valid (the data URL is not valid base64). (code invalid_image_format)
            anthropic | not-base64  | x
              => 400 [-] messages.0.content.0.source.data: The image data is not valid base64.
            anthropic | bmp-label   | x
              => 400 [-] messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'
            anthropic | jpg-alias   | x
              => 400 [-] messages.0.content.0.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'
            anthropic | png-as-jpeg | x
              => 400 [-] messages.0.content.0.source.data: The image was specified using the image/jpeg media type, but the image appears to be a image/png image
            anthropic | not-image   | x
              => 400 [-] messages.0.content.0.source.data: Could not process image
            gemini    | not-base64  | x
              => 400 [-] Invalid value at 'contents[0].parts[0].inline_data.data' (TYPE_BYTES), Base64 decoding failed
            gemini    | gif         | x
              => 400 [-] Unsupported MIME type: image/gif
            gemini    | png-as-jpeg | x
              => 400 [-] Unable to process input image (contents[0].parts[0]: the mimeType is image/jpeg but the image is image/png).
            gemini    | not-image   | x
              => 400 [-] Unable to process input image (contents[0].parts[0]). Please retry or report in the Gemini API forum.
        "#]],
    )
    .await;
}

#[tokio::test]
async fn image_size_limits_per_api() {
    check(
        SCRIPT,
        "
        anthropic | 5mb+1       | x
        anthropic | 8001px      | x
        anthropic | 2001px*20   | x
        anthropic | 2001px*21   | x
        openai    | 8001px      | x
        openai    | 20mb+1      | x
        gemini    | 5mb+1       | x
        gemini    | 20mb+1      | x
        ",
        expect![[r#"
            anthropic | 5mb+1       | x
              => 400 [-] messages.0.content.0.source.base64: image exceeds 5 MB maximum: 5242881 bytes > 5242880 bytes
            anthropic | 8001px      | x
              => 400 [-] messages.0.content.0.source.base64.data: At least one of the image dimensions exceed max allowed size: 8000 pixels
            anthropic | 2001px*20   | x
              => 200 [-] Sure. Here is a careful and helpful answer: in general this holds, with the usual caveats.
                 recorded: 20 x m0 870d665dee12 image/png 72B 2001x10
            anthropic | 2001px*21   | x
              => 400 [-] images.0.source.base64.data: At least one of the image dimensions exceed max allowed size: 2000 pixels
            openai    | 8001px      | x
              => 200 [-] False.
                 recorded: m0 922926025277 image/png 72B 8001x10
            openai    | 20mb+1      | x
              => 400 [-] You uploaded an unsupported image. Please make sure your image is below 20 MB in size and is of one the following formats: ['png', 'jpeg', 'gif', 'webp']. (code invalid_image_format)
            gemini    | 5mb+1       | x
              => 200 [-] The answer is (A).
                 recorded: m0 d7d492e9dda2 image/png 5242881B 100x100
            gemini    | 20mb+1      | x
              => 400 [-] Request payload size exceeds the limit: 20971520 bytes.
        "#]],
    )
    .await;
}

#[test]
fn an_image_sha256_that_is_not_a_hash_is_a_script_error() {
    super::check_script_error(
        "[[rule]]\nname = \"r\"\nmatch = { image_sha256 = \"abc\" }\nreply = \"x\"\n",
        expect![
            "invalid script suite/script.toml: rule r: image_sha256 `abc` is not a hex sha256; hint: 64 hex digits of the sha256 of the image file's bytes (sha256sum image.png)"
        ],
    );
    super::check_script_error(
        "[[rule]]\nmatch = { image_sha256 = 3 }\n",
        expect![[r#"
        invalid script suite/script.toml: TOML parse error at line 2, column 26
          |
        2 | match = { image_sha256 = 3 }
          |                          ^
        expected a hex sha256 string or a list of them
        ; hint: see the script format in the trustgen-testserver crate docs"#]],
    );
}

/// The images endpoint refuses a scripted prompt and makes the same PNG for the same prompt, so a
/// chat about a generated image can be scripted by that image's hash.
#[tokio::test]
async fn generated_images_are_refused_by_script_or_answered_by_hash() {
    const REFUSE: &str = r#"
        [[rule]]
        name = "refuse"
        match = { endpoint = "images", last_user_contains = "weapon" }
        fault = { content_filter = "prompt" }
    "#;
    let server = spawn_script(REFUSE);
    let refused = send(&server, "/v1/images/generations", &[], &json!({"prompt": "draw a weapon"})).await;
    let request = json!({"prompt": "a red apple", "size": "64x64", "response_format": "b64_json"});
    let make = || async {
        let made = send(&server, "/v1/images/generations", &[], &request).await;
        let b64 = made.json()["data"][0]["b64_json"].as_str().unwrap_or_default().to_owned();
        (made.status, b64)
    };
    let (status, b64) = make().await;
    let (_, again) = make().await;
    let bytes = base64::engine::general_purpose::STANDARD.decode(&b64).unwrap_or_default();
    let script = format!(
        "{REFUSE}\n[[rule]]\nname = \"apple\"\nmatch = {{ image_sha256 = \"{}\" }}\nreply = \"An apple.\"\n",
        sha256(&bytes)
    );
    match crate::Script::from_toml(&script, "apple.toml") {
        Ok(script) => server.set_script(script),
        Err(error) => panic!("{error}"),
    }
    let chat = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{b64}")}},
    ]}]});
    let answer = send(&server, "/v1/chat/completions", &[], &chat).await;
    let out = format!(
        "refused: {} {}\nmade: {status} png: {} deterministic: {}\nchat: {} {}\n",
        refused.status,
        refused.json()["error"]["code"],
        crate::providers::sniff(&bytes).unwrap_or("-"),
        b64 == again,
        answer.status,
        answer.text()
    );
    expect![[r#"
        refused: 400 "content_policy_violation"
        made: 200 png: image/png deterministic: true
        chat: 200 An apple.
    "#]]
    .assert_eq(&out);
}
