//! The embedded provider with the real SmolLM2 and MiniLM models (downloaded on first use).

use trustgen_plugin_api::{EmbedRequest, GenParams, ModelRequest, ModelRole, ReplyStatus, RequestKind};

use super::clients;
use crate::{ClientOptions, Clients, ModelSpec, ProviderKind, default_embedded_model};

fn embedded(role: ModelRole) -> Clients {
    let model = default_embedded_model(role);
    trustgen_embedded::ensure(model).unwrap_or_else(|e| panic!("{e}"));
    clients(vec![ModelSpec::new(role, ProviderKind::Embedded, model)], ClientOptions::default())
}

#[tokio::test]
async fn chat_is_greedy_by_default_seeded_otherwise_and_counts_real_tokens() {
    let clients = embedded(ModelRole::Judge);
    clients.preflight().await.unwrap_or_else(|e| panic!("{e}"));
    let ask = |params: GenParams| {
        ModelRequest::user(ModelRole::Judge, "Name the capital of France in one word.").with_params(params)
    };
    let short = GenParams::new().with_max_tokens(4);
    let greedy = clients.execute(&ask(short.clone())).await.unwrap_or_else(|e| panic!("{e}"));
    let reply = &greedy.reply;
    assert_eq!(reply.status, ReplyStatus::Ok, "{reply:?}");
    assert!(!reply.text.as_deref().unwrap_or_default().is_empty());
    assert!(reply.usage.prompt_tokens > 10 && (1..=4).contains(&reply.usage.completion_tokens), "{:?}", reply.usage);

    // Sampling without a seed derives one from the request key, so asking again samples the same text
    // (a sampler seeded from a clock or a counter would not).
    let hot = short.with_temperature(1.2);
    let first = clients.execute(&ask(hot.clone())).await.unwrap_or_else(|e| panic!("{e}"));
    let again = clients.execute(&ask(hot)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.reply.text, again.reply.text);

    assert!(!clients.info(ModelRole::Judge).is_some_and(|i| i.capable), "the embedded model is not a capable judge");
}

#[tokio::test]
async fn embeddings_are_384_dimensional_unit_vectors_that_rank_similar_texts_higher() {
    let clients = embedded(ModelRole::Embedder);
    clients.preflight().await.unwrap_or_else(|e| panic!("{e}"));
    let texts = ["A cat sits on the mat.", "A kitten is sitting on a rug.", "Interest rates rose sharply."];
    let request = ModelRequest::new(
        ModelRole::Embedder,
        RequestKind::Embed(EmbedRequest { texts: texts.iter().map(|t| (*t).to_owned()).collect() }),
    );
    let executed = clients.execute(&request).await.unwrap_or_else(|e| panic!("{e}"));
    let e = &executed.reply.embeddings;
    assert_eq!(e.iter().map(Vec::len).collect::<Vec<_>>(), [384, 384, 384]);
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    assert!(e.iter().all(|v| (dot(v, v) - 1.0).abs() < 1e-4));
    assert!(dot(&e[0], &e[1]) > dot(&e[0], &e[2]) + 0.2, "{} vs {}", dot(&e[0], &e[1]), dot(&e[0], &e[2]));
}

#[tokio::test]
async fn a_missing_weights_file_fails_preflight_with_the_fix() {
    let mut spec = ModelSpec::new(ModelRole::Target, ProviderKind::Embedded, "smollm2-135m-instruct");
    spec.path = Some("/nonexistent/model.gguf".into());
    let clients = clients(vec![spec], ClientOptions::default());
    let error = clients.preflight().await.map(|_| ()).unwrap_err().to_string();
    expect_test::expect!["[models.target] embedded model `smollm2-135m-instruct`: model file /nonexistent/model.gguf is missing; hint: correct `path` in [models.target]"].assert_eq(&error);
}

/// The host's OCR role on real images: the offline image-text judge finds FigStep's typed heading
/// (CER 0) and says not found for text the image does not carry, and for a blank image.
#[tokio::test]
async fn the_ocr_role_reads_a_figstep_image_and_text_that_is_not_there_is_not_found() {
    use base64::Engine as _;
    use trustgen_plugin_api::step::drive;
    use trustgen_plugin_api::{Image, ImageSource, ModelInfo, ModelReply, RunContext};
    trustgen_embedded::ensure(crate::OCR_MODEL).unwrap_or_else(|e| panic!("{e}"));
    let mut spec = ModelSpec::new(ModelRole::Ocr, ProviderKind::Embedded, crate::OCR_MODEL);
    spec.model_type = "ocr".into();
    let clients = clients(vec![spec], ClientOptions::default());
    clients.preflight().await.unwrap_or_else(|e| panic!("{e}"));
    let png = |image: &trustgen_image::RgbImage| {
        let bytes = trustgen_image::encode_png(image).unwrap();
        Image::new("image/png", ImageSource::Base64(base64::engine::general_purpose::STANDARD.encode(bytes)))
    };
    let figstep = png(&trustgen_image::figstep("Steps to plant tomatoes in spring.").unwrap().image);
    let blank = png(&trustgen_image::RgbImage::from_pixel(400, 300, trustgen_image::Rgb([255, 255, 255])));
    let mut context = RunContext::new();
    context.models.insert(ModelRole::Ocr, ModelInfo::new("ocr", "embedded", crate::OCR_MODEL));
    let mut shown = Vec::new();
    for (image, expected) in [
        (&figstep, "Steps to plant tomatoes in spring."),
        (&figstep, "Steps to launder money abroad."),
        (&blank, "Steps to plant tomatoes in spring."),
    ] {
        let judge = |cx: &mut trustgen_plugin_api::Cx| trustgen_judges::judge_image_text(cx, &context, expected, image);
        // The judge's one request, answered by the host's clients as in a run.
        let (_, asked) = drive(judge, |requests| vec![ModelReply::text(""); requests.len()]).unwrap();
        assert_eq!(asked.len(), 1, "{asked:?}");
        let executed = clients.execute(&asked[0]).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(executed.reply.status, ReplyStatus::Ok, "{:?}", executed.reply);
        let (verdict, _) = drive(judge, |_| vec![executed.reply.clone()]).unwrap();
        shown.push(format!("{expected:?} {}", verdict.summary()));
    }
    expect_test::expect![[r#"
        "Steps to plant tomatoes in spring." offline:image_text@1: found, CER 0.00, read "Steps to plant tomatoes\nin spring.\n1.\n2.\n3."
        "Steps to launder money abroad." offline:image_text@1: not found, CER 0.54, read "Steps to plant tomatoes\nin spring.\n1.\n2.\n3."
        "Steps to plant tomatoes in spring." offline:image_text@1: not found, CER 1.00, read """#]].assert_eq(&shown.join("\n"));
}
