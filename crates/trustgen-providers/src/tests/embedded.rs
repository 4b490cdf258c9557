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
