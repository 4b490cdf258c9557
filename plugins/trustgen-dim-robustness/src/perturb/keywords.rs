//! Words, sentences and keywords of a text: the deterministic replacement for KeyBERT.
//!
//! The original toolkit chose the words to perturb with KeyBERT (all-MiniLM-L6-v2 embeddings),
//! 3 to 10 per text depending on its length. Here the choice is a documented rule that needs no
//! model and gives the same words for the same text and seed:
//!
//! 1. a *word* is a maximal run of alphabetic characters (Unicode), so `don't` is `don` + `t`;
//! 2. the *candidates* are the first occurrences (case-insensitive) of words of at least
//!    [`MIN_KEYWORD_CHARS`] letters that are not in the stop-word list [`STOP_WORDS`];
//! 3. candidates are ranked by length in characters, longest first (length stands in for
//!    rarity: longer words are rarer, Zipf's law of abbreviation); ties are broken by a seeded
//!    random key drawn for each candidate in text order;
//! 4. the number taken is [`keyword_count`]: a quarter of the words of the text, at least 3 and
//!    at most 10 (fewer when there are fewer candidates);
//! 5. the chosen keywords are returned in text order.

use trustgen_plugin_api::SeededRng;

/// Words shorter than this are never keywords.
pub const MIN_KEYWORD_CHARS: usize = 3;

/// Function words and very common verbs that carry no topic (lowercase, sorted).
pub const STOP_WORDS: &[&str] = &[
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "although",
    "and",
    "another",
    "any",
    "are",
    "aren",
    "around",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "can",
    "cannot",
    "could",
    "couldn",
    "did",
    "didn",
    "does",
    "doesn",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "either",
    "else",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "got",
    "had",
    "hadn",
    "has",
    "hasn",
    "have",
    "haven",
    "having",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "into",
    "isn",
    "its",
    "itself",
    "just",
    "let",
    "like",
    "made",
    "make",
    "many",
    "may",
    "might",
    "more",
    "most",
    "much",
    "must",
    "mustn",
    "myself",
    "neither",
    "nor",
    "not",
    "now",
    "off",
    "once",
    "one",
    "only",
    "other",
    "others",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "quite",
    "rather",
    "really",
    "said",
    "same",
    "say",
    "says",
    "shall",
    "shan",
    "she",
    "should",
    "shouldn",
    "since",
    "some",
    "still",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "too",
    "under",
    "until",
    "upon",
    "very",
    "was",
    "wasn",
    "way",
    "well",
    "were",
    "weren",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "won",
    "would",
    "wouldn",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// True for a stop word (case-insensitive).
pub fn is_stop_word(word: &str) -> bool {
    let lower = word.to_lowercase();
    STOP_WORDS.binary_search(&lower.as_str()).is_ok()
}

/// A word of a text: its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset after the last character.
    pub end: usize,
}

impl Word {
    /// The word's text in `text`.
    pub fn of<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }
}

/// Every word of `text` (maximal runs of alphabetic characters), in order.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphabetic(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Word { start: s, end: i });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Word { start: s, end: text.len() });
    }
    out
}

/// How many keywords a text of `n_words` words gets: a quarter of its words, 3 to 10.
pub fn keyword_count(n_words: usize) -> usize {
    (n_words / 4).clamp(3, 10)
}

/// The keywords of `text`, in text order (see the module documentation for the rule).
pub fn keywords(text: &str, rng: &mut SeededRng) -> Vec<Word> {
    let all = words(text);
    let mut seen: Vec<String> = Vec::new();
    let mut candidates: Vec<(usize, u64, Word)> = Vec::new();
    for word in &all {
        let s = word.of(text);
        let lower = s.to_lowercase();
        let chars = s.chars().count();
        if chars < MIN_KEYWORD_CHARS || is_stop_word(&lower) || seen.contains(&lower) {
            continue;
        }
        seen.push(lower);
        candidates.push((chars, rng.next_u64(), *word));
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<Word> = candidates.into_iter().take(keyword_count(all.len())).map(|c| c.2).collect();
    chosen.sort_by_key(|w| w.start);
    chosen
}

/// The byte ranges of the sentences of `text`: split after `.`, `!` or `?` followed by
/// whitespace; each range excludes the whitespace between sentences.
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if matches!(c, '.' | '!' | '?') && chars.get(k + 1).is_some_and(|(_, n)| n.is_whitespace()) {
            let end = i + c.len_utf8();
            if text[start..end].trim().is_empty() {
                continue;
            }
            out.push((start, end));
            start = end;
            while start < text.len() && text[start..].starts_with(char::is_whitespace) {
                start += text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push((start, text.trim_end().len().max(start)));
    }
    out
}

/// Applies non-overlapping replacements `(start, end, text)` to `text`.
pub fn splice(text: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| e.0);
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for (start, end, replacement) in edits {
        if start < at {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(&replacement);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[test]
    fn stop_words_are_sorted_and_lowercase() {
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, STOP_WORDS, "binary search needs a sorted list without duplicates");
        assert!(STOP_WORDS.iter().all(|w| w.chars().all(|c| c.is_ascii_lowercase())));
    }

    #[test]
    fn keyword_counts_follow_length() {
        let counts: Vec<usize> = [0, 8, 12, 16, 30, 40, 100].iter().map(|&n| keyword_count(n)).collect();
        assert_eq!(counts, [3, 3, 3, 4, 7, 10, 10]);
    }

    fn show(text: &str, seed: u64) -> String {
        keywords(text, &mut SeededRng::new(seed)).iter().map(|w| w.of(text)).collect::<Vec<_>>().join(", ")
    }

    #[test]
    fn keywords_are_long_content_words_in_text_order_with_seeded_ties() {
        let text = "The film is a charming, funny and heartfelt story about a family that doesn't give up.";
        expect!["charming, funny, heartfelt, family"].assert_eq(&show(text, 1));
        // 17 words: 4 keywords. heartfelt (9), charming (8) and family (6) are the longest;
        // `funny` and `story` tie for the fourth place, and the seed breaks the tie.
        let picks: std::collections::BTreeSet<String> = (0..20).map(|s| show(text, s)).collect();
        expect![[r#"{"charming, funny, heartfelt, family", "charming, heartfelt, story, family"}"#]]
            .assert_eq(&format!("{picks:?}"));
        assert_eq!(show(text, 3), show(text, 3));
        // Stop words, short words and repeats are never keywords.
        assert_eq!(show("It is, it is, it was and he did.", 1), "");
        assert_eq!(show("Stone stone STONE pebble", 1), "Stone, pebble");
    }

    #[test]
    fn sentences_and_words_split_unicode_text() {
        let text = "Café au lait! Is it good? Yes.  It is ok";
        let parts: Vec<&str> = sentences(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(parts, ["Café au lait!", "Is it good?", "Yes.", "It is ok"]);
        let ws: Vec<&str> = words("naïve don't 3D").iter().map(|w| w.of("naïve don't 3D")).collect();
        assert_eq!(ws, ["naïve", "don", "t", "D"]);
        assert_eq!(sentences("No end"), [(0, 6)]);
        assert!(sentences("   ").is_empty());
    }

    #[test]
    fn splice_applies_sorted_non_overlapping_edits() {
        let edits = vec![(6, 11, "there".to_string()), (0, 5, "HELLO".to_string()), (8, 9, "x".to_string())];
        assert_eq!(splice("hello world", edits), "HELLO there");
    }
}
