//! A small, repeatable benchmark of the embedded models (for `cargo xtask bench` and the example `bench`).
//!
//! Measures model load time, prompt and generation speed of the chat model (greedy, a ~40-token chat prompt,
//! 64 generated tokens) and the throughput of the embedder on 32 short sentences. Each measurement runs once
//! to warm up and then `runs` times; the median is reported.

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use crate::models::{DEFAULT_CHAT_MODEL, DEFAULT_EMBEDDING_MODEL};
use crate::{ChatMessage, ChatModel, ChatRole, EmbeddedError, Embedder, GenerateParams};

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The GGUF to load; `None` uses the default chat model (downloaded if needed).
    pub chat_gguf: Option<PathBuf>,
    /// The embedding model directory; `None` uses the default embedding model (downloaded if needed).
    pub embed_dir: Option<PathBuf>,
    /// Measured repetitions after one warm-up.
    pub runs: usize,
    /// Tokens to generate per chat run.
    pub max_tokens: u32,
    /// Load the chat model with [`ChatModel::load_requantized`] (Q4_1 re-encoded as Q8_0).
    pub requantized: bool,
    /// Also measure the embedder.
    pub embed: bool,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions { chat_gguf: None, embed_dir: None, runs: 3, max_tokens: 64, requantized: false, embed: true }
    }
}

/// The measured numbers (medians over the runs).
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Measured repetitions per figure.
    pub runs: usize,
    /// The chat model's name (with `+q8_0` when requantized).
    pub chat_model: String,
    /// Seconds to load the chat model.
    pub chat_load_secs: f64,
    /// Tokens of the benchmark prompt.
    pub prompt_tokens: u64,
    /// Prompt processing speed.
    pub prompt_tokens_per_sec: f64,
    /// Tokens generated per run.
    pub completion_tokens: u64,
    /// Generation speed.
    pub generation_tokens_per_sec: f64,
    /// The embedder figures, if measured.
    pub embed: Option<EmbedBench>,
}

/// The embedder's figures in a [`BenchReport`].
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedBench {
    /// Seconds to load the embedder.
    pub load_secs: f64,
    /// Texts embedded per run.
    pub texts: usize,
    /// Embedding throughput.
    pub texts_per_sec: f64,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "chat model           {}", self.chat_model)?;
        writeln!(f, "chat load            {:.2} s", self.chat_load_secs)?;
        writeln!(f, "prompt               {} tokens, {:.1} tokens/s", self.prompt_tokens, self.prompt_tokens_per_sec)?;
        writeln!(
            f,
            "generation           {} tokens, {:.1} tokens/s",
            self.completion_tokens, self.generation_tokens_per_sec
        )?;
        if let Some(embed) = &self.embed {
            writeln!(f, "embedder load        {:.2} s", embed.load_secs)?;
            writeln!(f, "embedding            {} texts, {:.1} texts/s", embed.texts, embed.texts_per_sec)?;
        }
        write!(f, "(medians of {} runs after one warm-up)", self.runs)
    }
}

/// The benchmark conversation: the default system prompt plus this question is about 40 tokens.
const QUESTION: &str =
    "Write a detailed paragraph about the history of the Roman Empire, from its founding to its fall.";

const TOPICS: [&str; 8] = [
    "the weather",
    "a football match",
    "cooking pasta",
    "a new phone",
    "the stock market",
    "a cat",
    "a long train journey",
    "learning to paint",
];
const FRAMES: [&str; 4] = [
    "I read a short article about {}.",
    "My friend keeps talking about {}.",
    "Nobody expected the news about {}.",
    "Tell me something funny about {}.",
];

/// Runs the benchmark; loads (and if needed downloads) the models.
pub fn bench(options: &BenchOptions) -> Result<BenchReport, EmbeddedError> {
    let runs = options.runs.max(1);
    let gguf = match &options.chat_gguf {
        Some(path) => path.clone(),
        None => crate::ensure(DEFAULT_CHAT_MODEL)?,
    };
    let start = Instant::now();
    let chat = if options.requantized { ChatModel::load_requantized(&gguf)? } else { ChatModel::load(&gguf)? };
    let chat_load_secs = start.elapsed().as_secs_f64();
    let messages = [ChatMessage::new(ChatRole::User, QUESTION)];
    let params = GenerateParams { max_tokens: options.max_tokens, ..GenerateParams::default() };
    chat.generate(&messages, &params)?;
    let mut generations = Vec::with_capacity(runs);
    for _ in 0..runs {
        generations.push(chat.generate(&messages, &params)?);
    }

    let last = &generations[generations.len() - 1];
    let report = BenchReport {
        runs,
        chat_model: chat.name().to_owned(),
        chat_load_secs,
        prompt_tokens: last.prompt_tokens,
        prompt_tokens_per_sec: median(generations.iter().map(|g| g.prompt_tokens_per_sec).collect()),
        completion_tokens: last.completion_tokens,
        generation_tokens_per_sec: median(generations.iter().map(|g| g.generation_tokens_per_sec).collect()),
        embed: None,
    };
    if !options.embed {
        return Ok(report);
    }
    let embed_dir = match &options.embed_dir {
        Some(path) => path.clone(),
        None => crate::ensure(DEFAULT_EMBEDDING_MODEL)?,
    };
    let start = Instant::now();
    let embedder = Embedder::load(&embed_dir)?;
    let embed_load_secs = start.elapsed().as_secs_f64();
    let sentences: Vec<String> =
        FRAMES.iter().flat_map(|frame| TOPICS.iter().map(move |topic| frame.replace("{}", topic))).collect();
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    embedder.embed(&texts)?;
    let mut embed_rates = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        embedder.embed(&texts)?;
        embed_rates.push(texts.len() as f64 / start.elapsed().as_secs_f64());
    }

    Ok(BenchReport {
        embed: Some(EmbedBench { load_secs: embed_load_secs, texts: texts.len(), texts_per_sec: median(embed_rates) }),
        ..report
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
