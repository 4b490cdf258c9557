//! `vlm-robust-caption` (COCO captions) and `vlm-robust-vqav2` (VQAv2): the robustness pair of
//! [`vlm_pair`] on the user's copies of the two benchmarks.
//!
//! Data (never bundled; the host reads it, the plugin reads no file): the dimension option
//! `coco_dir` names a folder of the data directory holding `annotations/captions_val2014.json`
//! (`{"images": [{id, file_name}], "annotations": [{image_id, caption}]}`) and the images
//! `val2014/COCO_val2014_<12-digit id>.jpg`; `vqav2_dir` names a folder holding
//! `v2_OpenEnded_mscoco_val2014_questions.json` (`{"questions": [{image_id, question,
//! question_id}]}`) and `v2_mscoco_val2014_annotations.json` (`{"annotations": [{question_id,
//! answers: [{answer}] (10), multiple_choice_answer, answer_type}]}`); VQAv2's images are COCO's.
//! The host streams each file and keeps a seeded sample of two items per case (keyed by the
//! COCO image id or the VQAv2 question id, so the two files of a task keep the same items), and
//! reads the kept rows' images, which arrive beside the build input. Each image is shown at most
//! [`MAX_SIDE`] pixels on its longer side (as PNG, clean and perturbed alike), which also bounds
//! the cost of the corruptions.
//!
//! `vlm-robust-caption`: "Describe this image in one sentence." about the clean and the
//! perturbed image (and prompt); `image_pairwise_robustness@1` sees both images and gets the
//! reference captions as its answer key, and decides whether each caption is faithful. It needs
//! that judge: captions have no offline answer key, so without a capable judge the task builds
//! nothing and says why. `vlm-robust-vqav2`: the question (and "Answer the question using a
//! single word or phrase.") about the clean and the perturbed image and question, graded offline
//! by the VQA accuracy rule ([`vqa_accuracy`]); an answer is right at full credit (at least three
//! of the ten annotators gave it), and `clean_vqa_accuracy`/`perturbed_vqa_accuracy` are the
//! standard means.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use trustgen_image::{DecodeLimits, RgbImage, decode, encode_png, fit_within};
use trustgen_plugin_api::{
    BuildInput, BuildOutput, Cx, Image, ImageSource, JsonMap, QuestionFormat, ScoreInput, SeededRng, Skipped, Step,
    Stop, TestCase, Verdict,
};
use trustgen_plugin_kit::Source;
use trustgen_plugin_kit::window::Window;

use crate::vlm_pair::{self, Deal, Graded};

pub mod vqa;

pub use vqa::vqa_accuracy;

/// The COCO captioning task.
pub const CAPTION: &str = "vlm-robust-caption";
/// The VQAv2 task.
pub const VQAV2: &str = "vlm-robust-vqav2";
/// Default number of cases of each task.
pub const DEFAULT_LIMIT: usize = 30;
/// The option naming the user's COCO folder.
pub const COCO_DIR: &str = "coco_dir";
/// The option naming the user's VQAv2 folder.
pub const VQAV2_DIR: &str = "vqav2_dir";
/// The longest side an image is shown at.
pub const MAX_SIDE: u32 = 512;
/// Items the host keeps per case (slack for rows skipped for a bad image).
pub const PER_CASE: usize = 2;

/// The data sources (keys of `BuildInput::data`, paths under the data directory).
pub mod sources {
    use trustgen_plugin_kit::Source;

    /// COCO's images (`id`, `file_name`).
    pub const COCO_IMAGES: Source = Source::new("coco_images", "{options.coco_dir}/annotations/captions_val2014.json");
    /// COCO's captions (`image_id`, `caption`): the same file's other array.
    pub const COCO_CAPTIONS: Source =
        Source::new("coco_captions", "{options.coco_dir}/annotations/captions_val2014.json");
    /// VQAv2's questions.
    pub const VQAV2_QUESTIONS: Source =
        Source::new("vqav2_questions", "{options.vqav2_dir}/v2_OpenEnded_mscoco_val2014_questions.json");
    /// VQAv2's answers.
    pub const VQAV2_ANNOTATIONS: Source =
        Source::new("vqav2_annotations", "{options.vqav2_dir}/v2_mscoco_val2014_annotations.json");
    /// Where the COCO image a row names is: by file name, or by the 12-digit image id.
    pub const COCO_IMAGE_BY_NAME: &str = "{options.coco_dir}/val2014/{}";
    /// The COCO image of a VQAv2 question.
    pub const COCO_IMAGE_BY_ID: &str = "{options.coco_dir}/val2014/COCO_val2014_{:012}.jpg";
}

/// The option `key` as a folder name (the engine has checked it is inside the data directory).
fn folder(input: &BuildInput, key: &str) -> Option<String> {
    input.options.get(key).and_then(Value::as_str).map(|dir| dir.trim().trim_end_matches('/').to_string())
}

/// The whole task skipped: no items, the reason reported with the first window only.
fn skip_task(input: &BuildInput, reason: String) -> BuildOutput {
    let window = Window::of(input, 0);
    window.output(Vec::new(), window.once(vec![Skipped::new("(task)", reason)]))
}

fn rows(input: &BuildInput, source: Source) -> Option<&[Value]> {
    input.data.get(source.name).map(Vec::as_slice)
}

/// A row field as text (a string, or a number written out).
fn field(row: &Value, key: &str) -> Option<String> {
    match row.get(key)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The row's image as the host read it (bytes beside the input), decoded (not yet fitted); the
/// error names the file.
fn row_image(cx: &Cx, row: &Value) -> Result<RgbImage, String> {
    if let Some(why) = row.get("_image_error").and_then(Value::as_str) {
        return Err(why.to_string());
    }
    let image: Image = row
        .get("_image")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or("the host passed no image for this row (is the option naming the image folder set?)")?;
    let ImageSource::Blob { offset, len } = image.source else {
        return Err("the row's image is not bytes beside the input".into());
    };
    let bytes = offset
        .checked_add(len)
        .and_then(|end| cx.bytes().get(offset..end))
        .ok_or("the row's image refers to bytes the call did not receive")?;
    decode(bytes, DecodeLimits::default()).map_err(|e| e.to_string())
}

/// An item of the user's benchmark, ready to perturb.
struct Item<'a> {
    /// The row with the image.
    row: &'a Value,
    /// What the row is called in a skip (file and identifier).
    at: String,
    /// The prompt text to perturb, and what follows it unperturbed.
    text: String,
    suffix: &'static str,
    ground_truth: String,
    metadata: JsonMap,
}

/// Builds up to `limit` cases from `items` in a seeded order: an item whose image cannot be used
/// is skipped (naming the file) and the next one taken.
///
/// Windowed ([`Window`]): an item is a place in the seeded order, and this call builds only the
/// window's items. Case `n`'s id, seed and perturbation come from `n`, the number of usable items
/// before it in the whole build, so the items before the window are still decoded (and dropped)
/// to count them: a decoding failure is a skip wherever the window starts. Skipped items are
/// reported by the window holding them; the rows dropped before the order (`skipped`, about the
/// whole build) with the first window only.
fn build_pairs(
    cx: &mut Cx,
    input: &BuildInput,
    task: &str,
    items: Vec<Item>,
    skipped: Vec<Skipped>,
) -> Step<BuildOutput> {
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    let deal = Deal::new(input.seed, task);
    let mut order = SeededRng::derive(input.seed, &format!("{task}/rows"));
    let order = order.sample_indices(items.len(), items.len());
    let window = Window::of(input, order.len());
    let mut skipped = window.once(skipped);
    let mut cases = Vec::with_capacity(window.range().len().min(limit));
    // The cases of the whole build before the current item.
    let mut n = 0;
    for (place, &i) in order.iter().enumerate().take(window.range().end) {
        if n == limit {
            break;
        }
        let item = &items[i];
        let decoded = match row_image(cx, item.row) {
            Ok(image) => image,
            Err(why) => {
                if window.contains(place) {
                    skipped.push(Skipped::new(item.at.clone(), why));
                }
                continue;
            }
        };
        if !window.contains(place) {
            // An item before the window: only its place in the count of cases.
            n += 1;
            continue;
        }
        let clean = fit_within(&decoded, MAX_SIDE);
        drop(decoded);
        let mut rng = SeededRng::derive(input.seed, &format!("{task}/{n}"));
        let perturbed = deal
            .perturb(n, &clean, &item.text, &mut rng)
            .map_err(|e| Stop::Error(format!("{task}: {}: {e}", item.at)))?;
        let png = |image: &RgbImage| encode_png(image).map_err(|e| Stop::Error(format!("{task}: {}: {e}", item.at)));
        let clean_image = cx.attach_image("image/png", &png(&clean)?);
        let perturbed_image = match &perturbed.image {
            None => clean_image.clone(),
            Some(image) => cx.attach_image("image/png", &png(image)?),
        };
        let mut metadata = perturbed.metadata;
        metadata.extend(item.metadata.clone());
        cases.push(
            TestCase::new(
                format!("robustness/{task}/{n}"),
                input.task.clone(),
                vlm_pair::prompts(
                    format!("{}{}", item.text, item.suffix),
                    clean_image,
                    format!("{}{}", perturbed.text, item.suffix),
                    perturbed_image,
                ),
            )
            .with_format(QuestionFormat::OpenEnded)
            .with_ground_truth(item.ground_truth.clone())
            .with_metadata(metadata),
        );
        n += 1;
    }
    Ok(window.output(cases, skipped))
}

/// Builds `vlm-robust-caption` from the user's COCO folder.
pub fn build_caption(cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let Some(dir) = folder(input, COCO_DIR) else {
        return Ok(skip_task(
            input,
            format!(
                "needs the user's COCO folder: set `{COCO_DIR}` in this dimension's options to a folder of the data directory holding annotations/captions_val2014.json and val2014/ (cocodataset.org; not bundled: the images are under their owners' Flickr terms)"
            ),
        ));
    };
    if !input.context.has_llm_judge() {
        return Ok(skip_task(
            input,
            "needs a judge that sees images ([models.judge] of type vlm): captions have no offline answer key".into(),
        ));
    }
    let file = format!("{dir}/annotations/captions_val2014.json");
    let (Some(images), Some(captions)) = (rows(input, sources::COCO_IMAGES), rows(input, sources::COCO_CAPTIONS))
    else {
        return Ok(skip_task(input, format!("{file} was not found in the data directory (option `{COCO_DIR}`)")));
    };
    let mut references: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in captions {
        if let (Some(id), Some(caption)) = (field(row, "image_id"), field(row, "caption")) {
            references.entry(id).or_default().push(caption);
        }
    }
    let mut skipped = Vec::new();
    let mut items = Vec::new();
    for (i, row) in images.iter().enumerate() {
        let at = format!("{file} images[{}]", i + 1);
        let (Some(id), Some(name)) = (field(row, "id"), field(row, "file_name")) else {
            skipped.push(Skipped::new(at, "field `id` or `file_name` is missing"));
            continue;
        };
        let Some(refs) = references.get(&id) else {
            skipped.push(Skipped::new(format!("{at} ({name})"), "no caption in `annotations` for this image"));
            continue;
        };
        let refs: Vec<String> = refs.iter().take(5).cloned().collect();
        let key = refs.iter().enumerate().map(|(k, c)| format!("{}. {c}", k + 1)).collect::<Vec<_>>().join("\n");
        let metadata = JsonMap::from_iter([
            ("image_id".to_string(), json!(id)),
            ("file_name".to_string(), json!(name)),
            ("references".to_string(), json!(refs)),
        ]);
        items.push(Item {
            row,
            at: format!("{dir}/val2014/{name}"),
            text: "Describe this image in one sentence.".into(),
            suffix: "",
            ground_truth: key,
            metadata,
        });
    }
    build_pairs(cx, input, CAPTION, items, skipped)
}

/// Builds `vlm-robust-vqav2` from the user's VQAv2 folder and COCO images.
pub fn build_vqav2(cx: &mut Cx, input: &BuildInput) -> Step<BuildOutput> {
    let Some(dir) = folder(input, VQAV2_DIR) else {
        return Ok(skip_task(
            input,
            format!(
                "needs the user's VQAv2 files: set `{VQAV2_DIR}` in this dimension's options to a folder of the data directory holding v2_OpenEnded_mscoco_val2014_questions.json and v2_mscoco_val2014_annotations.json, and `{COCO_DIR}` to the COCO folder with val2014/ (visualqa.org; not bundled)"
            ),
        ));
    };
    if folder(input, COCO_DIR).is_none() {
        return Ok(skip_task(
            input,
            format!(
                "needs the COCO images of the questions: set `{COCO_DIR}` to a folder of the data directory holding val2014/COCO_val2014_<12-digit id>.jpg"
            ),
        ));
    }
    let questions_file = format!("{dir}/v2_OpenEnded_mscoco_val2014_questions.json");
    let annotations_file = format!("{dir}/v2_mscoco_val2014_annotations.json");
    let Some(questions) = rows(input, sources::VQAV2_QUESTIONS) else {
        return Ok(skip_task(
            input,
            format!("{questions_file} was not found in the data directory (option `{VQAV2_DIR}`)"),
        ));
    };
    let Some(annotations) = rows(input, sources::VQAV2_ANNOTATIONS) else {
        return Ok(skip_task(
            input,
            format!("{annotations_file} was not found in the data directory (option `{VQAV2_DIR}`)"),
        ));
    };
    let by_question: BTreeMap<String, &Value> =
        annotations.iter().filter_map(|row| Some((field(row, "question_id")?, row))).collect();
    let mut skipped = Vec::new();
    let mut items = Vec::new();
    for (i, row) in questions.iter().enumerate() {
        let at = format!("{questions_file} questions[{}]", i + 1);
        let (Some(id), Some(image_id), Some(question)) =
            (field(row, "question_id"), field(row, "image_id"), field(row, "question"))
        else {
            skipped.push(Skipped::new(at, "field `question_id`, `image_id` or `question` is missing"));
            continue;
        };
        let Some(annotation) = by_question.get(&id) else {
            skipped.push(Skipped::new(format!("{at} (question {id})"), format!("no answers in {annotations_file}")));
            continue;
        };
        let answers: Vec<String> = annotation
            .get("answers")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| field(x, "answer")).collect())
            .unwrap_or_default();
        let Some(truth) = field(annotation, "multiple_choice_answer").filter(|_| !answers.is_empty()) else {
            skipped.push(Skipped::new(
                format!("{annotations_file} (question {id})"),
                "field `answers` or `multiple_choice_answer` is missing",
            ));
            continue;
        };
        let mut metadata = JsonMap::from_iter([
            ("question_id".to_string(), json!(id)),
            ("image_id".to_string(), json!(image_id)),
            ("answers".to_string(), json!(answers)),
        ]);
        if let Some(kind) = field(annotation, "answer_type") {
            metadata.insert("answer_type".into(), json!(kind));
        }
        let padded = format!("{image_id:0>12}");
        items.push(Item {
            row,
            at: format!("COCO_val2014_{padded}.jpg (question {id})"),
            text: question,
            suffix: " Answer the question using a single word or phrase.",
            ground_truth: truth,
            metadata,
        });
    }
    build_pairs(cx, input, VQAV2, items, skipped)
}

/// Scores a caption pair with the judge that sees both images and the reference captions.
pub fn score_caption(cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
    let case = &input.case;
    let (clean, perturbed) = match vlm_pair::answers(input) {
        Ok(pair) => pair,
        Err(verdict) => return Ok(*verdict),
    };
    if !input.context.has_llm_judge() {
        return Err(Stop::Error(format!("{CAPTION}: case {} needs a judge that sees images", case.id)));
    }
    let key = format!(
        "A faithful one-sentence description of the image. Reference captions written by people for the original image (a faithful caption agrees with them; it need not repeat them or mention everything):\n{}",
        case.ground_truth.as_deref().unwrap_or_default()
    );
    match vlm_pair::judge_pair(cx, case, &key, &clean, &perturbed)? {
        Ok(graded) => Ok(vlm_pair::verdict(case, graded, &clean, &perturbed, "a caption faithful to the references")),
        Err(verdict) => Ok(verdict),
    }
}

/// Scores a VQAv2 pair by the VQA accuracy rule (offline).
pub fn score_vqav2(_cx: &mut Cx, input: &ScoreInput) -> Step<Verdict> {
    let case = &input.case;
    let (clean, perturbed) = match vlm_pair::answers(input) {
        Ok(pair) => pair,
        Err(verdict) => return Ok(*verdict),
    };
    let answers: Vec<String> = case
        .metadata
        .get("answers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if answers.is_empty() {
        return Err(Stop::Error(format!("{VQAV2}: case {} has no annotators' answers in its metadata", case.id)));
    }
    let (clean_acc, perturbed_acc) = (vqa_accuracy(&clean, &answers), vqa_accuracy(&perturbed, &answers));
    let graded = Graded {
        clean_ok: clean_acc >= 1.0,
        perturbed_ok: perturbed_acc >= 1.0,
        judge: "rule:vqa-accuracy@1".into(),
        reasoning: Some(format!(
            "VQA accuracy {clean_acc:.2} clean, {perturbed_acc:.2} perturbed (full credit counts as right; annotators said {})",
            answers.join(", ")
        )),
    };
    Ok(vlm_pair::verdict(case, graded, &clean, &perturbed, "")
        .with_metric("clean_vqa_accuracy", clean_acc)
        .with_metric("perturbed_vqa_accuracy", perturbed_acc))
}

#[cfg(test)]
mod tests;
