//! Tests of the embedder against the sentence-transformers reference values of all-MiniLM-L6-v2.

use expect_test::{Expect, expect};

use super::*;
use crate::test_models::embedder;

fn check_cosine(a: &str, b: &str, expect: Expect) {
    let v = embedder().embed(&[a, b]).unwrap();
    expect.assert_eq(&format!("{:.3}", cosine(&v[0], &v[1])));
}

#[test]
fn matches_the_sentence_transformers_reference() {
    // Reference values from sentence-transformers (PyTorch) for all-MiniLM-L6-v2.
    check_cosine("A man is eating food.", "A man is eating a piece of bread.", expect!["0.755"]);
    check_cosine("A man is eating food.", "The new movie is awesome.", expect!["-0.046"]);
}

#[test]
fn vectors_are_unit_length_and_independent_of_the_batch() {
    let model = embedder();
    // 33 texts of different lengths: two batches, padding in both.
    let texts: Vec<String> = (0..33).map(|i| format!("Sentence {i} says{}", " something".repeat(i % 7))).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batch = model.embed(&refs).unwrap();
    assert_eq!(batch.len(), 33);
    for (i, text) in [(0, refs[0]), (6, refs[6]), (32, refs[32])] {
        let alone = &model.embed(&[text]).unwrap()[0];
        assert_eq!(alone.len(), model.dim());
        let norm = alone.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        let max_diff = alone.iter().zip(&batch[i]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(max_diff < 1e-4, "text {i} differs by {max_diff} inside a padded batch");
    }
    assert!(model.embed(&[]).unwrap().is_empty());
}

#[test]
fn truncates_long_texts() {
    // 600 words is over BERT's 512 positions; without truncation the forward pass would fail.
    let long = "word ".repeat(600);
    let v = embedder().embed(&[&long]).unwrap();
    assert_eq!(v[0].len(), 384);
}

#[test]
fn cosine_handles_degenerate_vectors() {
    assert_eq!(cosine(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
    assert_eq!(cosine(&[3.0, 4.0], &[6.0, 8.0]), 1.0);
    assert_eq!(cosine(&[0.0, 0.0], &[1.0, 1.0]), 0.0);
    assert_eq!(cosine(&[1.0], &[1.0, 2.0]), 0.0);
}

#[test]
fn embedder_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Embedder>();
}
