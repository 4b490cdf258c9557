//! Tests of the streamed loader, the seeded row sample and row image paths.

use expect_test::{Expect, expect};
use serde_json::json;

use super::*;

/// Loads `text` as `file.json` with `array` and a sample of `keys` values of `key`; the kept rows
/// (compact JSON, one a line) and the record, or the error.
fn check(text: &str, array: Option<&str>, sample: Option<(&str, usize)>, expected: Expect) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.json");
    std::fs::write(&path, text).unwrap();
    let sample = sample.map(|(key, keys)| Sample { key: key.into(), keys, seed: 7 });
    let got = match load_json_streamed(&path, "file.json", array, sample.as_ref()) {
        Ok((rows, record)) => {
            let rows: Vec<String> = rows.iter().map(Value::to_string).collect();
            format!(
                "{}\nrows {} array {:?} sample {:?} sha256 ok {}",
                rows.join("\n"),
                record.rows,
                record.array,
                record.sample,
                record.sha256 == hex::encode(Sha256::digest(text.as_bytes()))
            )
        }
        Err(e) => e.to_string().replace(&dir.path().display().to_string(), "DIR"),
    };
    expected.assert_eq(&got);
}

#[test]
fn a_named_array_of_an_object_streams_and_other_members_are_skipped() {
    check(
        r#"{"info": {"year": 2014}, "images": [{"id": 1}, {"id": 2}], "annotations": [{"image_id": 1, "caption": "a"}]}"#,
        Some("images"),
        None,
        expect![[r#"
            {"id":1}
            {"id":2}
            rows 2 array Some("images") sample None sha256 ok true"#]],
    );
    check(
        r#"{"info": {}, "licenses": []}"#,
        Some("annotations"),
        None,
        expect![
            "DIR/file.json: the object has no array `annotations` (its members: info, licenses); hint: is this the benchmark's file?"
        ],
    );
    check(
        r#"[{"id": 1}]"#,
        Some("annotations"),
        None,
        expect![
            "DIR/file.json: invalid JSON: expected an object with the array `annotations`, found an array; hint: drop `array` from the data source at line 1 column 2"
        ],
    );
    check(
        r#"{"annotations": [{"id": 1}, }"#,
        Some("annotations"),
        None,
        expect!["DIR/file.json: invalid JSON: expected value at line 1 column 29"],
    );
}

#[test]
fn a_sample_keeps_every_row_of_the_same_keys_in_two_files() {
    // Ten items; captions come several per item, scattered, in another order.
    let images: Vec<Value> = (0..10).map(|id| json!({"id": id})).collect();
    let captions: Vec<Value> = (0..30).map(|n| json!({"image_id": (n * 7) % 10, "n": n})).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.json");
    std::fs::write(&path, json!({"images": images, "annotations": captions}).to_string()).unwrap();
    let pick = |array: &str, key: &str, keys: usize, seed: u64| {
        let sample = Sample { key: key.into(), keys, seed };
        let (rows, record) = load_json_streamed(&path, "c.json", Some(array), Some(&sample)).unwrap();
        assert_eq!(record.sample.as_ref().map(|s| s.rows_in_file), Some(if array == "images" { 10 } else { 30 }));
        rows
    };
    let ids = |rows: &[Value], key: &str| {
        let mut ids: Vec<i64> = rows.iter().map(|r| r[key].as_i64().unwrap()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let kept = pick("images", "id", 3, 7);
    let captions = pick("annotations", "image_id", 3, 7);
    assert_eq!(ids(&kept, "id"), ids(&captions, "image_id"));
    assert_eq!(captions.len(), 9, "every caption of the three kept images");
    // In file order; another seed keeps other items; the same seed the same.
    let order: Vec<i64> = captions.iter().map(|r| r["n"].as_i64().unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert_eq!(ids(&pick("images", "id", 3, 7), "id"), ids(&kept, "id"));
    let others: Vec<Vec<i64>> = (8..12).map(|seed| ids(&pick("images", "id", 3, seed), "id")).collect();
    assert!(others.iter().any(|o| *o != ids(&kept, "id")), "{others:?}");
    expect!["[3, 5, 7]"].assert_eq(&format!("{:?}", ids(&kept, "id")));
}

#[test]
fn an_image_path_takes_the_row_value() {
    let fill = |template: &str, value: Value| image_path(template, &value).unwrap_or_else(|e| format!("error: {e}"));
    expect!["coco/val2014/COCO_val2014_000000000042.jpg"]
        .assert_eq(&fill("coco/val2014/COCO_val2014_{:012}.jpg", json!(42)));
    expect!["coco/val2014/x.jpg"].assert_eq(&fill("coco/val2014/{}", json!("x.jpg")));
    expect!["error: is `4a`, not a whole number for `{:012}`"].assert_eq(&fill("c/{:012}.jpg", json!("4a")));
    expect!["error: is null, not a file name or number"].assert_eq(&fill("c/{}", json!(null)));
    expect!["error: the image path `c/{x}` has `{x}`; hint: use `{}` or `{:0N}`"].assert_eq(&fill("c/{x}", json!(1)));
}

#[test]
fn row_images_are_read_once_inside_the_data_directory_or_say_why_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let coco = dir.path().join("coco/val2014");
    std::fs::create_dir_all(&coco).unwrap();
    let png = b"\x89PNG\r\n\x1a\n0123456789".to_vec();
    std::fs::write(coco.join("COCO_val2014_000000000001.jpg"), &png).unwrap();
    std::fs::write(coco.join("COCO_val2014_000000000002.jpg"), b"text, not an image").unwrap();
    std::fs::write(dir.path().join("secret.jpg"), &png).unwrap();
    let mut rows = [
        json!({"image_id": 1}),
        json!({"image_id": 1}),
        json!({"image_id": 2}),
        json!({"image_id": 3}),
        json!({"file": "../secret.jpg"}),
        json!({"other": 1}),
    ];
    let images = Images::new(None, dir.path().to_path_buf());
    let mut bytes = Vec::new();
    let template = "coco/val2014/COCO_val2014_{:012}.jpg";
    attach_images(&mut rows[..4], "image_id", template, &images, &mut bytes, "vqav2_questions");
    attach_images(&mut rows[4..], "file", "coco/val2014/{}", &images, &mut bytes, "coco_images");
    assert_eq!(bytes, png, "the file read once, its bytes beside the input");
    let shown: Vec<String> = rows
        .iter()
        .map(|r| match (r.get(IMAGE_FIELD), r.get(IMAGE_ERROR_FIELD)) {
            (Some(image), None) => format!("image {image}"),
            (None, Some(why)) => {
                format!("error {}", why.as_str().unwrap().replace(&dir.path().display().to_string(), "DIR"))
            }
            other => panic!("{other:?}"),
        })
        .collect();
    expect![[r#"
        image {"media_type":"image/png","source":{"blob":{"len":18,"offset":0}}}
        image {"media_type":"image/png","source":{"blob":{"len":18,"offset":0}}}
        error vqav2_questions image `coco/val2014/COCO_val2014_000000000002.jpg` is not a PNG, JPEG, GIF or WebP image
        error vqav2_questions image `coco/val2014/COCO_val2014_000000000003.jpg`: cannot read DIR/coco/val2014/COCO_val2014_000000000003.jpg: no such file
        error coco_images image `coco/val2014/../secret.jpg`: `coco/val2014/../secret.jpg` is not a path inside the data directory; hint: give the image's path relative to DIR, without `..`
        error coco_images row 2: no field `file` naming its image"#]].assert_eq(&shown.join("\n"));
}
