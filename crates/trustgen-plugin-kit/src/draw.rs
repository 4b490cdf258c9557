//! Images drawn by the run's image generator (`[models.image_generator]`, a text-to-image model)
//! while a VLM task builds its cases, e.g. the key-phrase image of MM-SafetyBench.
//!
//! A task that needs the generator checks [`missing_image_generator`] first: without one it
//! builds nothing and says why in `skipped.jsonl`, never a stand-in image. [`draw`] asks for the
//! images of one prompt; a refusal, a content-filter block or a reply without an image is an
//! `Err` with the reason, for the task to record as a skipped item.

use trustgen_plugin_api::{
    BuildOutput, Cx, Image, ImageRequest, ModelRequest, ModelRole, ReplyStatus, RequestKind, RunContext, Skipped, Step,
};

/// The build output of a task that needs the image generator when the run has none: no cases,
/// one skipped entry naming the task and how to configure one. `None` when the run has one.
pub fn missing_image_generator(context: &RunContext, task: &str) -> Option<BuildOutput> {
    if context.models.contains_key(&ModelRole::ImageGenerator) {
        return None;
    }
    Some(BuildOutput::new(Vec::new()).with_skipped(vec![Skipped::new(
        format!("task {task}"),
        "the task draws its images with a text-to-image model and the suite has no [models.image_generator] \
         (e.g. an OpenAI-compatible images endpoint); nothing was built",
    )]))
}

/// `n` images of `prompt` from the image generator, at `size` (e.g. `1024x1024`) when given;
/// `Err` with the reason when it refused, was blocked by a content filter, failed or returned
/// fewer images than asked.
pub fn draw(cx: &mut Cx, prompt: &str, size: Option<&str>, n: u32, purpose: &str) -> Step<Result<Vec<Image>, String>> {
    let mut drawn = draw_all(cx, &[prompt], size, n, purpose)?;
    Ok(drawn.pop().unwrap_or_else(|| Err("no reply from the image generator".to_owned())))
}

/// [`draw`] for several prompts asked together (one round of requests, run concurrently): a
/// task drawing one image per case asks them all at once instead of one round per case (a
/// method may take at most `MAX_ROUNDS` rounds). The results are in the order of `prompts`.
pub fn draw_all(
    cx: &mut Cx,
    prompts: &[&str],
    size: Option<&str>,
    n: u32,
    purpose: &str,
) -> Step<Vec<Result<Vec<Image>, String>>> {
    let requests = prompts
        .iter()
        .map(|prompt| {
            let request = ImageRequest { prompt: (*prompt).to_owned(), size: size.map(str::to_owned), n };
            ModelRequest::new(ModelRole::ImageGenerator, RequestKind::Image(request)).with_purpose(purpose)
        })
        .collect();
    let replies = cx.ask_all(requests)?;
    Ok(replies
        .into_iter()
        .map(|reply| match reply.status {
            ReplyStatus::Ok if reply.images.len() >= n as usize => Ok(reply.images),
            ReplyStatus::Ok => Err(format!("the image generator returned {} of {n} images", reply.images.len())),
            ReplyStatus::ContentFiltered => Err(format!(
                "the image generator's content filter blocked the prompt{}",
                reply.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
            )),
            _ => Err(format!("the image generator failed: {}", reply.error.as_deref().unwrap_or("no error message"))),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use trustgen_plugin_api::step::drive;
    use trustgen_plugin_api::{ImageSource, ModelReply};

    use super::*;

    #[test]
    fn draw_all_asks_every_prompt_in_one_round_and_keeps_their_order() {
        let mut rounds = 0;
        let (drawn, asked) = drive(
            |cx| draw_all(cx, &["a cat", "a blocked prompt", "a dog"], Some("256x256"), 1, "builder:test"),
            |requests| {
                rounds += 1;
                requests
                    .iter()
                    .map(|r| match &r.kind {
                        RequestKind::Image(image) if image.prompt.contains("blocked") => {
                            ModelReply::new(ReplyStatus::ContentFiltered)
                        }
                        RequestKind::Image(image) if image.prompt == "a dog" => ModelReply::new(ReplyStatus::Ok),
                        _ => {
                            let mut reply = ModelReply::new(ReplyStatus::Ok);
                            reply.images = vec![Image::new("image/png", ImageSource::Base64("iVBORw0KGgo=".into()))];
                            reply
                        }
                    })
                    .collect()
            },
        )
        .unwrap();
        assert_eq!(rounds, 1);
        assert_eq!(asked.len(), 3);
        assert!(
            asked.iter().all(|r| r.role == ModelRole::ImageGenerator && r.purpose.as_deref() == Some("builder:test"))
        );
        let shown: Vec<String> = drawn
            .iter()
            .map(|d| match d {
                Ok(images) => format!("{} image(s)", images.len()),
                Err(reason) => reason.clone(),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "1 image(s)",
                "the image generator's content filter blocked the prompt",
                "the image generator returned 0 of 1 images"
            ]
        );
    }
}
