//! The 13 text perturbations of TrustGen's robustness dimension, seeded.
//!
//! | perturbation | how | needs |
//! | --- | --- | --- |
//! | `spelling_missing` | one letter dropped from each keyword | code |
//! | `spelling_incorrect` | one letter of each keyword replaced by a QWERTY neighbour | code |
//! | `spelling_repeated` | one letter of each keyword doubled | code |
//! | `spelling_capitalize` | one lower-case letter of each keyword upper-cased | code |
//! | `spelling_insert_space` | a space inserted inside each keyword | code |
//! | `spelling_swap` | two adjacent different letters of each keyword swapped | code |
//! | `emoji_insertion` | an emoji after each keyword: the lexicon's, else one of a fixed fallback set | lexicon |
//! | `social_tagging` | capitalised names (not sentence-initial) become `@Name`; without one, 1–2 `#Keyword` hashtags are appended | code |
//! | `spaced_uppercase` | each keyword written in spaced capitals (`F I L M`) | code |
//! | `multilingual_blend` | generator: one sentence (texts of 2+ sentences, by seed) or the keywords translated into Chinese; fallback: lexicon words replaced by the lexicon's Chinese | generator, else lexicon |
//! | `distractive_text` | an off-topic digression of at most 15 words, prepended or appended by seed: from the authored pool, or written by the generator | pool or generator |
//! | `syntactic_disruption` | generator: grammar errors added; fallback: 1–3 seeded edits (subject-verb agreement, dropped or wrong article, two adjacent words swapped) | generator, else code |
//! | `recondite_word` | generator: rare synonyms for the keywords; fallback: the lexicon's rare synonym for up to `keyword_count` words | generator, else lexicon |
//!
//! Keywords are chosen by [`keywords::keywords`] (the documented replacement for KeyBERT). The
//! original chose emojis by nearest ada-002 embedding (from a 49 MB file that users could not
//! find, issue #3) and used spaCy for names and GPT-4o for hashtags; here the lexicon
//! (`suites/data/robustness/metadata/lexicon.jsonl`), the name heuristic and the keyword
//! hashtags replace them. Every function takes its randomness from the [`SeededRng`] it is given,
//! so the same text and generator state give the same output.

pub mod generator;
pub mod keywords;

use std::collections::BTreeMap;

use serde_json::Value;
use trustgen_plugin_api::{SeededRng, Step, Stop};

use keywords::{Word, is_stop_word, keyword_count, keywords, splice, words};

/// A perturbation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Perturbation {
    /// A letter dropped from each keyword.
    SpellingMissing,
    /// A letter of each keyword replaced by a keyboard neighbour.
    SpellingIncorrect,
    /// A letter of each keyword doubled.
    SpellingRepeated,
    /// A letter of each keyword upper-cased.
    SpellingCapitalize,
    /// A space inserted inside each keyword.
    SpellingInsertSpace,
    /// Two adjacent letters of each keyword swapped.
    SpellingSwap,
    /// An emoji after each keyword.
    EmojiInsertion,
    /// Names as @mentions, else #hashtags.
    SocialTagging,
    /// Keywords in spaced capitals.
    SpacedUppercase,
    /// Part of the text in Chinese.
    MultilingualBlend,
    /// An off-topic digression.
    DistractiveText,
    /// Grammar errors.
    SyntacticDisruption,
    /// Rare synonyms.
    ReconditeWord,
}

/// How a perturbation is computed when no generator is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offline {
    /// Pure code: the method itself.
    Code,
    /// The authored lexicon or pool: the method itself (the original used a model here).
    Authored,
    /// A deterministic stand-in for what the original asked GPT-4o to do.
    Fallback,
}

impl Perturbation {
    /// All 13, in the original's order.
    pub const ALL: [Perturbation; 13] = [
        Perturbation::SpellingMissing,
        Perturbation::SpellingIncorrect,
        Perturbation::SpellingRepeated,
        Perturbation::SpellingCapitalize,
        Perturbation::SpellingInsertSpace,
        Perturbation::SpellingSwap,
        Perturbation::EmojiInsertion,
        Perturbation::SocialTagging,
        Perturbation::SpacedUppercase,
        Perturbation::MultilingualBlend,
        Perturbation::DistractiveText,
        Perturbation::SyntacticDisruption,
        Perturbation::ReconditeWord,
    ];

    /// The name used in case metadata and metric names.
    pub const fn name(self) -> &'static str {
        match self {
            Perturbation::SpellingMissing => "spelling_missing",
            Perturbation::SpellingIncorrect => "spelling_incorrect",
            Perturbation::SpellingRepeated => "spelling_repeated",
            Perturbation::SpellingCapitalize => "spelling_capitalize",
            Perturbation::SpellingInsertSpace => "spelling_insert_space",
            Perturbation::SpellingSwap => "spelling_swap",
            Perturbation::EmojiInsertion => "emoji_insertion",
            Perturbation::SocialTagging => "social_tagging",
            Perturbation::SpacedUppercase => "spaced_uppercase",
            Perturbation::MultilingualBlend => "multilingual_blend",
            Perturbation::DistractiveText => "distractive_text",
            Perturbation::SyntacticDisruption => "syntactic_disruption",
            Perturbation::ReconditeWord => "recondite_word",
        }
    }

    /// Parses [`Perturbation::name`].
    pub fn parse(name: &str) -> Option<Perturbation> {
        Perturbation::ALL.into_iter().find(|p| p.name() == name)
    }

    /// True for the four the original asked GPT-4o for (the generator writes them when one
    /// is configured).
    pub const fn uses_generator(self) -> bool {
        matches!(
            self,
            Perturbation::MultilingualBlend
                | Perturbation::DistractiveText
                | Perturbation::SyntacticDisruption
                | Perturbation::ReconditeWord
        )
    }

    /// What the offline path is.
    pub const fn offline(self) -> Offline {
        match self {
            Perturbation::EmojiInsertion | Perturbation::DistractiveText => Offline::Authored,
            Perturbation::MultilingualBlend | Perturbation::SyntacticDisruption | Perturbation::ReconditeWord => {
                Offline::Fallback
            }
            _ => Offline::Code,
        }
    }
}

/// An authored lexicon entry: a common English word and what it may become.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Entry {
    /// An emoji for the word.
    pub emoji: Option<String>,
    /// Its Chinese translation.
    pub zh: Option<String>,
    /// A rare (recondite) synonym.
    pub rare: Option<String>,
}

/// The authored data of the perturbations: the lexicon and the pool of digressions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lexicon {
    entries: BTreeMap<String, Entry>,
    distractions: Vec<String>,
}

/// Emojis inserted after keywords the lexicon has no emoji for (part of the method).
pub const FALLBACK_EMOJIS: &[&str] = &["✨", "👀", "💯", "🔥", "👍", "😊", "🤔", "🙌", "📌", "⭐"];

/// The longest digression, in words.
pub const MAX_DIGRESSION_WORDS: usize = 15;

fn field(row: &Value, key: &str) -> Option<String> {
    row.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl Lexicon {
    /// The lexicon from the rows of `metadata/lexicon.jsonl` (`word`, optional `emoji`, `zh`,
    /// `rare`) and the digressions of `metadata/distractions.jsonl` (`text`).
    pub fn from_rows(lexicon: &[Value], distractions: &[Value]) -> Step<Lexicon> {
        let mut entries = BTreeMap::new();
        for (i, row) in lexicon.iter().enumerate() {
            let Some(word) = field(row, "word") else {
                return Err(Stop::Error(format!(
                    "robustness/metadata/lexicon.jsonl row {}: the field `word` is missing or empty",
                    i + 1
                )));
            };
            let entry = Entry { emoji: field(row, "emoji"), zh: field(row, "zh"), rare: field(row, "rare") };
            entries.insert(word.to_lowercase(), entry);
        }
        let mut pool = Vec::new();
        for (i, row) in distractions.iter().enumerate() {
            let text = field(row, "text").filter(|t| t.split_whitespace().count() <= MAX_DIGRESSION_WORDS);
            let Some(text) = text else {
                return Err(Stop::Error(format!(
                    "robustness/metadata/distractions.jsonl row {}: `text` must be 1 to {MAX_DIGRESSION_WORDS} words",
                    i + 1
                )));
            };
            pool.push(text);
        }
        Ok(Lexicon { entries, distractions: pool })
    }

    /// The entry of `word`, trying simple inflections (`movies`, `loved`, `dreaming`, `running`).
    pub fn lookup(&self, word: &str) -> Option<&Entry> {
        let lower = word.to_lowercase();
        let mut forms = vec![lower.clone()];
        for (suffix, add) in [("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")] {
            if let Some(stem) = lower.strip_suffix(suffix).filter(|s| s.chars().count() >= 3) {
                forms.push(format!("{stem}{add}"));
                // `running` -> `run`, `planned` -> `plan`.
                let mut chars = stem.chars().rev();
                if add.is_empty() && chars.next().is_some_and(|c| Some(c) == chars.next()) {
                    forms.push(stem[..stem.len() - 1].to_string());
                }
            }
        }
        forms.iter().find_map(|f| self.entries.get(f))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the lexicon has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The authored digressions.
    pub fn distractions(&self) -> &[String] {
        &self.distractions
    }
}

/// Replaces each keyword of `text` with `edit(keyword, rng)`.
fn edit_keywords(text: &str, rng: &mut SeededRng, mut edit: impl FnMut(&str, &mut SeededRng) -> String) -> String {
    let chosen = keywords(text, rng);
    let edits = chosen.iter().map(|w| (w.start, w.end, edit(w.of(text), rng))).collect();
    splice(text, edits)
}

/// A seeded index in `from..to` (`from` when the range is empty).
fn pick(rng: &mut SeededRng, from: usize, to: usize) -> usize {
    if to <= from { from } else { from + rng.below(to - from) }
}

/// `spelling_missing`: one letter (never the first) dropped from each keyword.
pub fn spelling_missing(text: &str, rng: &mut SeededRng) -> String {
    edit_keywords(text, rng, |word, rng| {
        let mut chars: Vec<char> = word.chars().collect();
        let i = pick(rng, 1, chars.len());
        chars.remove(i);
        chars.into_iter().collect()
    })
}

/// The QWERTY neighbours of a lower-case letter.
fn neighbours(c: char) -> &'static str {
    match c {
        'q' => "wa",
        'w' => "qeas",
        'e' => "wrsd",
        'r' => "etdf",
        't' => "ryfg",
        'y' => "tugh",
        'u' => "yihj",
        'i' => "uojk",
        'o' => "ipkl",
        'p' => "ol",
        'a' => "qwsz",
        's' => "weadzx",
        'd' => "erfscx",
        'f' => "rtdgcv",
        'g' => "tyfhvb",
        'h' => "yugjbn",
        'j' => "uihknm",
        'k' => "iojlm",
        'l' => "opk",
        'z' => "asx",
        'x' => "zsdc",
        'c' => "xdfv",
        'v' => "cfgb",
        'b' => "vghn",
        'n' => "bhjm",
        'm' => "njk",
        _ => "",
    }
}

/// `spelling_incorrect`: one ASCII letter of each keyword replaced by a QWERTY neighbour (same case).
pub fn spelling_incorrect(text: &str, rng: &mut SeededRng) -> String {
    edit_keywords(text, rng, |word, rng| {
        let mut chars: Vec<char> = word.chars().collect();
        let letters: Vec<usize> =
            (0..chars.len()).filter(|&i| !neighbours(chars[i].to_ascii_lowercase()).is_empty()).collect();
        let Some(&i) = rng.choose(&letters) else { return word.to_string() };
        let options: Vec<char> = neighbours(chars[i].to_ascii_lowercase()).chars().collect();
        let Some(&new) = rng.choose(&options) else { return word.to_string() };
        chars[i] = if chars[i].is_uppercase() { new.to_ascii_uppercase() } else { new };
        chars.into_iter().collect()
    })
}

/// `spelling_repeated`: one letter of each keyword doubled.
pub fn spelling_repeated(text: &str, rng: &mut SeededRng) -> String {
    edit_keywords(text, rng, |word, rng| {
        let mut chars: Vec<char> = word.chars().collect();
        let i = pick(rng, 0, chars.len());
        chars.insert(i, chars[i]);
        chars.into_iter().collect()
    })
}

/// `spelling_capitalize`: one lower-case letter of each keyword upper-cased.
pub fn spelling_capitalize(text: &str, rng: &mut SeededRng) -> String {
    edit_keywords(text, rng, |word, rng| {
        let chars: Vec<char> = word.chars().collect();
        let lower: Vec<usize> = (0..chars.len()).filter(|&i| chars[i].is_lowercase()).collect();
        let Some(&i) = rng.choose(&lower) else { return word.to_string() };
        chars
            .iter()
            .enumerate()
            .flat_map(|(k, c)| if k == i { c.to_uppercase().collect::<Vec<_>>() } else { vec![*c] })
            .collect()
    })
}

/// `spelling_insert_space`: a space inserted inside each keyword.
pub fn spelling_insert_space(text: &str, rng: &mut SeededRng) -> String {
    edit_keywords(text, rng, |word, rng| {
        let mut chars: Vec<char> = word.chars().collect();
        let i = pick(rng, 1, chars.len());
        chars.insert(i, ' ');
        chars.into_iter().collect()
    })
}

/// `spelling_swap`: two adjacent, different letters of each keyword swapped.
pub fn spelling_swap(text: &str, rng: &mut SeededRng) -> String {
    edit_keywords(text, rng, |word, rng| {
        let mut chars: Vec<char> = word.chars().collect();
        let pairs: Vec<usize> = (0..chars.len().saturating_sub(1)).filter(|&i| chars[i] != chars[i + 1]).collect();
        let Some(&i) = rng.choose(&pairs) else { return word.to_string() };
        chars.swap(i, i + 1);
        chars.into_iter().collect()
    })
}

/// `spaced_uppercase`: each keyword in capitals with a space between letters.
pub fn spaced_uppercase(text: &str, rng: &mut SeededRng) -> String {
    edit_keywords(text, rng, |word, _| {
        word.chars().flat_map(char::to_uppercase).map(String::from).collect::<Vec<_>>().join(" ")
    })
}

/// `emoji_insertion`: after each keyword, the lexicon's emoji for it, else a seeded one of
/// [`FALLBACK_EMOJIS`].
pub fn emoji_insertion(text: &str, rng: &mut SeededRng, lexicon: &Lexicon) -> String {
    let chosen = keywords(text, rng);
    let edits = chosen
        .iter()
        .map(|w| {
            let word = w.of(text);
            let emoji = match lexicon.lookup(word).and_then(|e| e.emoji.clone()) {
                Some(emoji) => emoji,
                None => rng.choose(FALLBACK_EMOJIS).map_or("✨", |e| *e).to_string(),
            };
            (w.start, w.end, format!("{word} {emoji}"))
        })
        .collect();
    splice(text, edits)
}

/// True when the word at `index` starts a sentence (first word, or after `.`, `!`, `?`, `:`).
fn sentence_initial(text: &str, all: &[Word], index: usize) -> bool {
    let before = if index == 0 { &text[..all[0].start] } else { &text[all[index - 1].end..all[index].start] };
    index == 0 || before.contains(['.', '!', '?', ':', '\n', '"'])
}

/// Runs of capitalised, non-sentence-initial words that look like names (not stop words, at
/// least two letters, separated by one space), as byte ranges with the joined name.
pub fn names(text: &str) -> Vec<(usize, usize, String)> {
    let all = words(text);
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let flush = |run: &mut Vec<usize>, out: &mut Vec<(usize, usize, String)>| {
        if let (Some(&first), Some(&last)) = (run.first(), run.last()) {
            let name: String = run.iter().map(|&i| all[i].of(text)).collect();
            out.push((all[first].start, all[last].end, name));
        }
        run.clear();
    };
    for (i, w) in all.iter().enumerate() {
        let s = w.of(text);
        let capitalised = s.chars().next().is_some_and(char::is_uppercase)
            && s.chars().count() >= 2
            && s.chars().skip(1).any(char::is_lowercase)
            && !is_stop_word(s);
        let joined = run.last().is_some_and(|&p| &text[all[p].end..w.start] == " ");
        if capitalised && (joined || !sentence_initial(text, &all, i)) {
            if !joined {
                flush(&mut run, &mut out);
            }
            run.push(i);
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// `social_tagging`: every name ([`names`]) becomes an `@mention`; a text without names gets
/// one or two `#Hashtags` (by seed) made of its top-ranked keywords, appended.
pub fn social_tagging(text: &str, rng: &mut SeededRng) -> String {
    let found = names(text);
    if !found.is_empty() {
        return splice(text, found.into_iter().map(|(s, e, name)| (s, e, format!("@{name}"))).collect());
    }
    let mut ranked = keywords(text, rng);
    if ranked.is_empty() {
        return format!("{} #thoughts", text.trim_end());
    }
    // `keywords` returns text order; rank again by length (longest first) for the hashtags.
    ranked.sort_by_key(|w| std::cmp::Reverse(w.of(text).chars().count()));
    let count = 1 + rng.below(2);
    let tags: Vec<String> = ranked
        .iter()
        .take(count)
        .map(|w| {
            let word = w.of(text).to_lowercase();
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
            format!("#{first}{}", chars.as_str())
        })
        .collect();
    format!("{} {}", text.trim_end(), tags.join(" "))
}

/// `distractive_text` with a given digression: prepended or appended by seed.
pub fn place_digression(text: &str, digression: &str, rng: &mut SeededRng) -> String {
    let digression = digression.trim();
    if rng.chance(0.5) {
        format!("{digression} {}", text.trim_start())
    } else {
        format!("{} {digression}", text.trim_end())
    }
}

/// `distractive_text` from the authored pool: a seeded digression, prepended or appended.
pub fn distractive_text(text: &str, rng: &mut SeededRng, lexicon: &Lexicon) -> String {
    match rng.choose(lexicon.distractions()) {
        Some(digression) => {
            let digression = digression.clone();
            place_digression(text, &digression, rng)
        }
        None => text.to_string(),
    }
}

/// Keywords first (text order), then the other words: where the lexicon-based fallbacks look.
fn lexicon_targets(text: &str, rng: &mut SeededRng) -> Vec<Word> {
    let chosen = keywords(text, rng);
    let mut targets = chosen.clone();
    targets.extend(words(text).into_iter().filter(|w| !chosen.contains(w)));
    targets
}

/// Replaces up to `keyword_count` words (keywords first) by what `get` finds in the lexicon.
fn lexicon_replace(
    text: &str,
    rng: &mut SeededRng,
    lexicon: &Lexicon,
    get: impl Fn(&Entry) -> Option<&String>,
    keep_case: bool,
) -> String {
    let limit = keyword_count(words(text).len());
    let mut seen = Vec::new();
    let mut edits = Vec::new();
    for w in lexicon_targets(text, rng) {
        if edits.len() >= limit {
            break;
        }
        let word = w.of(text);
        let lower = word.to_lowercase();
        if seen.contains(&lower) || is_stop_word(&lower) {
            continue;
        }
        seen.push(lower);
        if let Some(replacement) = lexicon.lookup(word).and_then(&get) {
            let replacement = if keep_case && word.chars().next().is_some_and(char::is_uppercase) {
                let mut chars = replacement.chars();
                chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default() + chars.as_str()
            } else {
                replacement.clone()
            };
            edits.push((w.start, w.end, replacement));
        }
    }
    splice(text, edits)
}

/// `multilingual_blend` fallback: up to `keyword_count` words (keywords first) replaced by the
/// lexicon's Chinese.
pub fn multilingual_blend_fallback(text: &str, rng: &mut SeededRng, lexicon: &Lexicon) -> String {
    lexicon_replace(text, rng, lexicon, |e| e.zh.as_ref(), false)
}

/// `recondite_word` fallback: up to `keyword_count` words (keywords first) replaced by the
/// lexicon's rare synonym, keeping an initial capital.
pub fn recondite_word_fallback(text: &str, rng: &mut SeededRng, lexicon: &Lexicon) -> String {
    lexicon_replace(text, rng, lexicon, |e| e.rare.as_ref(), true)
}

/// A grammar error the syntactic-disruption fallback can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// `is` ↔ `are`, `was` ↔ `were`, `has` ↔ `have`, `does` ↔ `do`.
    Agreement(usize),
    /// `the`, `a` or `an` dropped.
    DropArticle(usize),
    /// `a` ↔ `an`.
    WrongArticle(usize),
    /// Two adjacent words swapped.
    SwapWords(usize),
}

fn agreement(word: &str) -> Option<&'static str> {
    match word {
        "is" => Some("are"),
        "are" => Some("is"),
        "was" => Some("were"),
        "were" => Some("was"),
        "has" => Some("have"),
        "have" => Some("has"),
        "does" => Some("do"),
        "do" => Some("does"),
        _ => None,
    }
}

/// `syntactic_disruption` fallback: 1 to 3 seeded grammar errors (one per 8 words, at least one):
/// subject-verb agreement, a dropped or wrong article, or two adjacent words swapped. No word
/// is edited twice.
pub fn syntactic_disruption_fallback(text: &str, rng: &mut SeededRng) -> String {
    let all = words(text);
    let mut candidates = Vec::new();
    for (i, w) in all.iter().enumerate() {
        let lower = w.of(text).to_lowercase();
        if agreement(&lower).is_some() {
            candidates.push(Edit::Agreement(i));
        }
        if matches!(lower.as_str(), "the" | "a" | "an") && i + 1 < all.len() {
            candidates.push(Edit::DropArticle(i));
        }
        if matches!(lower.as_str(), "a" | "an") {
            candidates.push(Edit::WrongArticle(i));
        }
        if i + 1 < all.len() && &text[w.end..all[i + 1].start] == " " {
            candidates.push(Edit::SwapWords(i));
        }
    }
    rng.shuffle(&mut candidates);
    let wanted = (all.len() / 8).clamp(1, 3);
    let mut touched = vec![false; all.len()];
    let mut edits = Vec::new();
    for edit in candidates {
        if edits.len() >= wanted {
            break;
        }
        let span = match edit {
            Edit::SwapWords(i) => vec![i, i + 1],
            Edit::Agreement(i) | Edit::DropArticle(i) | Edit::WrongArticle(i) => vec![i],
        };
        if span.iter().any(|&i| touched[i]) {
            continue;
        }
        let (start, end, replacement) = match edit {
            Edit::Agreement(i) => {
                let word = all[i].of(text);
                let new = agreement(&word.to_lowercase()).unwrap_or_default();
                let new = if word.starts_with(char::is_uppercase) {
                    let mut c = new.chars();
                    c.next().map(|f| f.to_uppercase().collect::<String>()).unwrap_or_default() + c.as_str()
                } else {
                    new.to_string()
                };
                (all[i].start, all[i].end, new)
            }
            Edit::DropArticle(i) => (all[i].start, all[i + 1].start, String::new()),
            Edit::WrongArticle(i) => {
                let word = all[i].of(text);
                let new = match word {
                    "a" => "an",
                    "A" => "An",
                    "an" => "a",
                    "An" => "A",
                    "AN" => "A",
                    _ => "AN",
                };
                (all[i].start, all[i].end, new.to_string())
            }
            Edit::SwapWords(i) => {
                (all[i].start, all[i + 1].end, format!("{} {}", all[i + 1].of(text), all[i].of(text)))
            }
        };
        for i in span {
            touched[i] = true;
        }
        edits.push((start, end, replacement));
    }
    splice(text, edits)
}

/// The result of perturbing a text without a generator.
#[derive(Debug, Clone, PartialEq)]
pub struct Perturbed {
    /// The perturbed text.
    pub text: String,
    /// How it was made: `code`, `authored` or `fallback`.
    pub how: &'static str,
}

/// Perturbs `text` with `perturbation`, without a generator. `Err` says why the perturbation
/// could not change this text (e.g. no lexicon word in it).
pub fn apply(
    perturbation: Perturbation,
    text: &str,
    rng: &mut SeededRng,
    lexicon: &Lexicon,
) -> Result<Perturbed, String> {
    let out = match perturbation {
        Perturbation::SpellingMissing => spelling_missing(text, rng),
        Perturbation::SpellingIncorrect => spelling_incorrect(text, rng),
        Perturbation::SpellingRepeated => spelling_repeated(text, rng),
        Perturbation::SpellingCapitalize => spelling_capitalize(text, rng),
        Perturbation::SpellingInsertSpace => spelling_insert_space(text, rng),
        Perturbation::SpellingSwap => spelling_swap(text, rng),
        Perturbation::EmojiInsertion => emoji_insertion(text, rng, lexicon),
        Perturbation::SocialTagging => social_tagging(text, rng),
        Perturbation::SpacedUppercase => spaced_uppercase(text, rng),
        Perturbation::MultilingualBlend => multilingual_blend_fallback(text, rng, lexicon),
        Perturbation::DistractiveText => distractive_text(text, rng, lexicon),
        Perturbation::SyntacticDisruption => syntactic_disruption_fallback(text, rng),
        Perturbation::ReconditeWord => recondite_word_fallback(text, rng, lexicon),
    };
    if out == text {
        let why = match perturbation.offline() {
            Offline::Fallback | Offline::Authored => "no word of the text is in the lexicon (or the pool is empty)",
            Offline::Code => "the text has no keyword to perturb",
        };
        return Err(format!("{} left the text unchanged: {why}", perturbation.name()));
    }
    let how = match perturbation.offline() {
        Offline::Code => "code",
        Offline::Authored => "authored",
        Offline::Fallback => "fallback",
    };
    Ok(Perturbed { text: out, how })
}

#[cfg(test)]
mod tests;
