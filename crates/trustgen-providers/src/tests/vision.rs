//! Images in chat requests over real HTTP: each provider's shape carries base64 images the test
//! server decodes, records and answers by hash; images over a provider's limits, in a format it does
//! not take, or labelled with the wrong media type fail the case before anything is sent.

use base64::Engine as _;
use expect_test::{Expect, expect};
use sha2::{Digest, Sha256};
use trustgen_plugin_api::{ChatRole, Image, ImageSource, Message, ModelRequest, ModelRole};
use trustgen_testserver::{Rule, TestServer};

use super::{run_one, server, spec};
use crate::ProviderKind;

/// Two different valid 1x1 PNGs.
const RED: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const BLUE: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// A baseline JPEG header (SOF0) of 32 x 16 pixels.
const JPEG: [u8; 23] = [
    0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x20, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03,
    0x11, 0x01, 0xff, 0xd9,
];

fn decode(b64: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_else(|e| panic!("{e}"))
}

/// A GIF of 1x1 pixels with `frames` frames (one image descriptor each).
fn gif(frames: usize) -> Vec<u8> {
    let mut out = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
    for _ in 0..frames {
        // Graphic control extension, then the image descriptor and one data sub-block.
        out.extend_from_slice(&[0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00]);
        out.extend_from_slice(&[0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00]);
    }
    out.push(0x3b);
    out
}

/// The red PNG with a header claiming `width` x `height`, padded with zeros to `bytes` (limits are
/// read from headers, so this stands for a large image without rendering one).
fn padded_png(width: u32, height: u32, bytes: usize) -> Vec<u8> {
    let mut png = decode(RED);
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    png.resize(bytes.max(png.len()), 0);
    png
}

const MB: usize = 1024 * 1024;

/// A fixture image by name: its declared media type and its bytes (`None`: not base64 at all).
fn fixture(name: &str) -> (&'static str, Option<Vec<u8>>) {
    match name {
        "red" => ("image/png", Some(decode(RED))),
        "blue" => ("image/png", Some(decode(BLUE))),
        "jpeg" => ("image/jpeg", Some(JPEG.to_vec())),
        "jpg-alias" => ("image/jpg", Some(JPEG.to_vec())),
        "gif" => ("image/gif", Some(gif(1))),
        "animated-gif" => ("image/gif", Some(gif(3))),
        "bmp" => ("image/bmp", Some(b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00".to_vec())),
        "png-as-jpeg" => ("image/jpeg", Some(decode(RED))),
        "not-base64" => ("image/png", None),
        "5mb+1" => ("image/png", Some(padded_png(100, 100, 5 * MB + 1))),
        "8001px" => ("image/png", Some(padded_png(8001, 10, 0))),
        "2001px" => ("image/png", Some(padded_png(2001, 10, 0))),
        "16mb" => ("image/png", Some(padded_png(100, 100, 16 * MB))),
        "17mb" => ("image/png", Some(padded_png(100, 100, 17 * MB))),
        "20mb+1" => ("image/png", Some(padded_png(100, 100, 20 * MB + 1))),
        other => panic!("unknown fixture {other}"),
    }
}

fn image(name: &str) -> Image {
    let (mime, bytes) = fixture(name);
    let data =
        bytes.map_or_else(|| "@@ not base64 @@".to_owned(), |b| base64::engine::general_purpose::STANDARD.encode(b));
    Image::new(mime, ImageSource::Base64(data))
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The test server's script: answers by image hash and text.
fn vision_server() -> TestServer {
    let hash = |name: &str| sha256(&fixture(name).1.unwrap_or_default());
    server(vec![
        Rule::new().named("both").image_sha256(hash("red")).image_sha256(hash("blue")).reply("Two images."),
        Rule::new().named("red").image_sha256(hash("red")).last_user_contains("colour").reply("It is red."),
        Rule::new().named("any-image").reply("{{image_count}} image(s)."),
    ])
}

/// One request per line of `cases` (`provider | fixture names, `*N` repeats | user text`), each on a
/// fresh record list: the reply's status and text or error, and what the server received (the rule,
/// and per image the first 12 hex digits of its sha256, media type and size), or `nothing sent`.
async fn check(cases: &str, expect: Expect) {
    let server = vision_server();
    let mut out = String::new();
    for line in cases.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [provider, names, text] = fields[..] else { panic!("bad case line: {line}") };
        let provider: ProviderKind = match provider {
            "openai" => ProviderKind::OpenAi,
            "azure" => ProviderKind::Azure,
            "anthropic" => ProviderKind::Anthropic,
            "gemini" => ProviderKind::Gemini,
            other => panic!("unknown provider {other}"),
        };
        let mut images = Vec::new();
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name.split_once('*') {
                Some((name, n)) => images.extend((0..n.parse().unwrap_or(1)).map(|_| image(name))),
                None => images.push(image(name)),
            }
        }
        let request = ModelRequest::chat(
            ModelRole::Target,
            vec![Message::system("Answer briefly."), Message::new(ChatRole::User, text).with_images(images)],
        );
        server.reset();
        let (result, records) = run_one(&server, spec(&server, provider, "vlm"), &request).await;
        let executed = result.unwrap_or_else(|e| panic!("{line}: {e}"));
        let reply = &executed.reply;
        let said = reply.text.clone().or_else(|| reply.error.clone()).unwrap_or_default();
        out.push_str(&format!("{line}\n  => {:?}: {said}\n", reply.status));
        match records.as_slice() {
            [] => out.push_str("     nothing sent\n"),
            [record] => {
                // Runs of identical images are shown once with their count.
                let mut runs: Vec<(usize, String)> = Vec::new();
                for i in &record.images {
                    let shown = format!("m{} {} {} {}B", i.message, &i.sha256[..12], i.media_type, i.bytes);
                    match runs.last_mut() {
                        Some((count, last)) if *last == shown => *count += 1,
                        _ => runs.push((1, shown)),
                    }
                }
                let images: Vec<String> =
                    runs.into_iter().map(|(n, shown)| if n == 1 { shown } else { format!("{n} x {shown}") }).collect();
                out.push_str(&format!(
                    "     server: {} [{}] {}\n",
                    record.status.unwrap_or(0),
                    record.rule.clone().unwrap_or_default(),
                    images.join("; ")
                ));
            }
            more => panic!("{line}: {} requests sent", more.len()),
        }
    }
    expect.assert_eq(&out);
}

#[tokio::test]
async fn one_and_two_base64_images_reach_every_provider_and_get_the_scripted_answer() {
    check(
        "
        openai    | red       | What colour is it?
        openai    | red, blue | Compare them.
        azure     | red       | What colour is it?
        azure     | red, blue | Compare them.
        anthropic | red       | What colour is it?
        anthropic | red, blue | Compare them.
        gemini    | red       | What colour is it?
        gemini    | red, blue | Compare them.
        anthropic | jpg-alias | And this?
        openai    | gif       | And this?
        ",
        expect![[r#"
            openai    | red       | What colour is it?
              => Ok: It is red.
                 server: 200 [red] m1 bc09c2590d25 image/png 70B
            openai    | red, blue | Compare them.
              => Ok: Two images.
                 server: 200 [both] m1 bc09c2590d25 image/png 70B; m1 497790947d46 image/png 70B
            azure     | red       | What colour is it?
              => Ok: It is red.
                 server: 200 [red] m1 bc09c2590d25 image/png 70B
            azure     | red, blue | Compare them.
              => Ok: Two images.
                 server: 200 [both] m1 bc09c2590d25 image/png 70B; m1 497790947d46 image/png 70B
            anthropic | red       | What colour is it?
              => Ok: It is red.
                 server: 200 [red] m1 bc09c2590d25 image/png 70B
            anthropic | red, blue | Compare them.
              => Ok: Two images.
                 server: 200 [both] m1 bc09c2590d25 image/png 70B; m1 497790947d46 image/png 70B
            gemini    | red       | What colour is it?
              => Ok: It is red.
                 server: 200 [red] m1 bc09c2590d25 image/png 70B
            gemini    | red, blue | Compare them.
              => Ok: Two images.
                 server: 200 [both] m1 bc09c2590d25 image/png 70B; m1 497790947d46 image/png 70B
            anthropic | jpg-alias | And this?
              => Ok: 1 image(s).
                 server: 200 [any-image] m1 4a31cc130e0e image/jpeg 23B
            openai    | gif       | And this?
              => Ok: 1 image(s).
                 server: 200 [any-image] m1 e28c5b3d55b2 image/gif 37B
        "#]],
    )
    .await;
}

#[tokio::test]
async fn images_over_a_providers_limits_or_mislabelled_fail_the_case_before_sending() {
    check(
        "
        openai    | red, not-base64    | x
        openai    | png-as-jpeg        | x
        openai    | bmp                | x
        openai    | animated-gif       | x
        openai    | 20mb+1             | x
        openai    | 17mb*3             | x
        anthropic | 5mb+1              | x
        anthropic | red, 8001px        | x
        anthropic | 2001px*20          | x
        anthropic | 2001px*21          | x
        anthropic | red*101            | x
        gemini    | gif                | x
        gemini    | 16mb               | x
        gemini    | png-as-jpeg        | x
        ",
        expect![[r#"
            openai    | red, not-base64    | x
              => Error: image 2 of message 2 was not sent to OpenAI: its data is not valid base64 (Invalid symbol 64, offset 0.); hint: images must be standard base64 without a `data:` prefix
                 nothing sent
            openai    | png-as-jpeg        | x
              => Error: image 1 of message 2 was not sent to OpenAI: it is labelled image/jpeg but its bytes are image/png; hint: label it image/png where the image is made or listed (trustgen does not relabel images)
                 nothing sent
            openai    | bmp                | x
              => Error: image 1 of message 2 was not sent to OpenAI: it is labelled image/bmp but its bytes are not a PNG, JPEG, GIF, WebP or HEIF image (first bytes: 42 4d 3a 00 00 00 00 00); hint: check the image file; convert it to PNG or JPEG
                 nothing sent
            openai    | animated-gif       | x
              => Error: image 1 of message 2 was not sent to OpenAI: it is an animated GIF (3 frames); OpenAI accepts only non-animated GIFs; hint: use one frame, as PNG
                 nothing sent
            openai    | 20mb+1             | x
              => Error: image 1 of message 2 was not sent to OpenAI: it is 20.0 MB (20971521 bytes), over OpenAI's limit of 20.0 MB (20971520 bytes) per image; hint: resize or re-encode the image before the run (e.g. JPEG under a byte budget with the image tooling); trustgen never downscales an image silently
                 nothing sent
            openai    | 17mb*3             | x
              => Error: the request was not sent to OpenAI: its images total 51.0 MB (53477376 bytes), over the limit of 50.0 MB (52428800 bytes) of images per request; hint: send fewer or smaller images per request
                 nothing sent
            anthropic | 5mb+1              | x
              => Error: image 1 of message 2 was not sent to Anthropic: it is 5.0 MB (5242881 bytes), over Anthropic's limit of 5.0 MB (5242880 bytes) per image; hint: resize or re-encode the image before the run (e.g. JPEG under a byte budget with the image tooling); trustgen never downscales an image silently
                 nothing sent
            anthropic | red, 8001px        | x
              => Error: image 2 of message 2 was not sent to Anthropic: it is 8001x10 px, over Anthropic's limit of 8000 px a side; hint: resize or re-encode the image before the run (e.g. JPEG under a byte budget with the image tooling); trustgen never downscales an image silently
                 nothing sent
            anthropic | 2001px*20          | x
              => Ok: 20 image(s).
                 server: 200 [any-image] 20 x m1 65eb4cc4883d image/png 70B
            anthropic | 2001px*21          | x
              => Error: image 1 of message 2 was not sent to Anthropic: it is 2001x10 px, over Anthropic's limit of 2000 px a side when a request has more than 20 images (this one has 21); hint: resize or re-encode the image before the run (e.g. JPEG under a byte budget with the image tooling); trustgen never downscales an image silently
                 nothing sent
            anthropic | red*101            | x
              => Error: the request was not sent to Anthropic: it has 101 images, over the limit of 100 images per request; hint: split the case's images over several requests or use fewer
                 nothing sent
            gemini    | gif                | x
              => Error: image 1 of message 2 was not sent to Gemini: Gemini does not accept image/gif (it accepts image/png, image/jpeg, image/webp, image/heic, image/heif); hint: convert the image to PNG or JPEG before the run
                 nothing sent
            gemini    | 16mb               | x
              => Error: the request was not sent to Gemini: it is 21.3 MB (22369825 bytes), over its limit of 20.0 MB (20971520 bytes) per request (images travel as base64, a third larger than the files); hint: send fewer or smaller images per request
                 nothing sent
            gemini    | png-as-jpeg        | x
              => Error: image 1 of message 2 was not sent to Gemini: it is labelled image/jpeg but its bytes are image/png; hint: label it image/png where the image is made or listed (trustgen does not relabel images)
                 nothing sent
        "#]],
    )
    .await;
}
