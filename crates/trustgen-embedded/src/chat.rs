//! The in-process chat model: a llama-architecture GGUF (SmolLM2-135M-Instruct by default) run with candle.
//!
//! candle does not read tokenizers from GGUF files, so the tokenizer is rebuilt from the GGUF metadata
//! (`tokenizer.ggml.tokens`, `tokenizer.ggml.merges`, `tokenizer.ggml.token_type`) with the `tokenizers`
//! crate: byte-level BPE, pre-tokenizer `Sequence[Digits(individual), ByteLevel(add_prefix_space=false)]`,
//! ByteLevel decoder, and every token of type 3 (control) as a special token. This is the `gpt2`/`smollm`
//! tokenizer of llama.cpp; other GGUF tokenizers (SentencePiece) are refused with an error.
//!
//! Prompts use the ChatML layout that SmolLM2's own template (`tokenizer.chat_template`) produces:
//! `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n`. When the first
//! message is not a system message, the default system prompt found in the GGUF template is put first,
//! exactly as the template does (for SmolLM2: "You are a helpful AI assistant named SmolLM, trained by
//! Hugging Face"); a template without one gives no system message.

use std::fs::File;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use candle_transformers::models::quantized_llama::{MAX_SEQ_LEN, ModelWeights};
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, Tokenizer};

use crate::EmbeddedError;

/// Who speaks a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatRole {
    /// Instructions for the assistant.
    System,
    /// The user.
    User,
    /// The model (earlier turns of a multi-turn conversation).
    Assistant,
}

impl ChatRole {
    /// The ChatML role name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatRole::System => "system",
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// Who speaks.
    pub role: ChatRole,
    /// What is said.
    pub content: String,
}

impl ChatMessage {
    /// A message from `role`.
    pub fn new(role: ChatRole, content: impl Into<String>) -> Self {
        ChatMessage { role, content: content.into() }
    }
}

/// How to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateParams {
    /// Most tokens to generate (at least 1); generation also ends at the end of the context window.
    pub max_tokens: u32,
    /// Sampling temperature; `None` or `0` decodes greedily (deterministic, the seed is unused).
    pub temperature: Option<f64>,
    /// Nucleus sampling: keep the most likely tokens whose probabilities add up to `top_p`, in (0, 1].
    pub top_p: Option<f64>,
    /// Seed of the sampler; the same seed, parameters and messages give the same text.
    pub seed: u64,
    /// Generation ends before the first occurrence of any of these strings, which is not returned.
    pub stop: Vec<String>,
}

impl Default for GenerateParams {
    fn default() -> Self {
        GenerateParams { max_tokens: 256, temperature: None, top_p: None, seed: 0, stop: Vec::new() }
    }
}

/// The result of [`ChatModel::generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The assistant's reply, without the end-of-turn token or stop string.
    pub text: String,
    /// Tokens of the rendered chat prompt.
    pub prompt_tokens: u64,
    /// Tokens sampled, including the end-of-turn token when the model ended its turn.
    pub completion_tokens: u64,
    /// `"stop"` (end of turn or a stop string) or `"length"` (`max_tokens` or the context window).
    pub finish_reason: String,
    /// Prompt processing speed.
    pub prompt_tokens_per_sec: f64,
    /// Generation speed: completion tokens over the time after the prompt was processed.
    pub generation_tokens_per_sec: f64,
}

/// A loaded chat model.
///
/// `Send + Sync`: the weights and their KV cache sit behind a mutex, so concurrent calls to
/// [`ChatModel::generate`] run one at a time. On a machine with few cores that is the right policy anyway
/// (one generation already uses every core for its matrix products); run several models for parallelism.
/// The KV cache is cleared at the start of every request, so requests never see each other.
pub struct ChatModel {
    name: String,
    tokenizer: Tokenizer,
    default_system: Option<String>,
    /// Tokens that end the assistant's turn (`<|im_end|>` and the GGUF's EOS).
    end_ids: Vec<u32>,
    /// Usable context in tokens: the GGUF context length, capped by candle's rotary table.
    context: usize,
    weights: Mutex<ModelWeights>,
    device: Device,
}

impl std::fmt::Debug for ChatModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatModel").field("name", &self.name).field("context", &self.context).finish_non_exhaustive()
    }
}

impl ChatModel {
    /// Loads a llama-architecture GGUF file with a `gpt2` (byte-level BPE) tokenizer, weights as stored.
    pub fn load(gguf: &Path) -> Result<ChatModel, EmbeddedError> {
        Self::load_impl(gguf, false)
    }

    /// Like [`ChatModel::load`], but re-encodes Q4_1 weights as Q8_0, which candle runs with AVX2 kernels.
    ///
    /// candle 0.11 has no SIMD kernel for Q4_1 and spends about 80% of the time in its scalar dot product.
    /// Q8_0 (8 bits per weight, a scale per block of 32) represents the 16 levels of each Q4_1 block to within
    /// 1/254 of the block maximum, so this is nearly, but not exactly, the stored model: measured on
    /// SmolLM2-135M, generation is about 1.8x and prompt processing 2-4x faster, loading takes about a second
    /// longer, memory grows from 98 to 144 MB, and greedy text starts to differ after a dozen tokens. The name
    /// gets a `+q8_0` suffix so caches and reports keep the two apart.
    pub fn load_requantized(gguf: &Path) -> Result<ChatModel, EmbeddedError> {
        Self::load_impl(gguf, true)
    }

    fn load_impl(gguf: &Path, requantize: bool) -> Result<ChatModel, EmbeddedError> {
        let bad = |reason: String| EmbeddedError::Load { path: gguf.to_path_buf(), reason };
        let mut file = File::open(gguf).map_err(|e| EmbeddedError::io("cannot open", gguf, e))?;
        let content = gguf_file::Content::read(&mut file).map_err(|e| bad(format!("not a readable GGUF file: {e}")))?;
        let md = GgufMeta { content: &content, path: gguf };
        let arch = md.string("general.architecture")?;
        if arch != "llama" {
            return Err(bad(format!(
                "architecture `{arch}` is not supported by the embedded runtime (only `llama`); \
                 serve this model with an OpenAI-compatible server instead"
            )));
        }
        let tokenizer = build_tokenizer(&md)?;
        let default_system = match content.metadata.get("tokenizer.chat_template") {
            Some(v) => v.to_string().ok().and_then(|t| default_system_prompt(t)),
            None => None,
        };
        let mut end_ids = Vec::new();
        if let Some(id) = tokenizer.token_to_id("<|im_end|>") {
            end_ids.push(id);
        }
        if let Some(eos) = content.metadata.get("tokenizer.ggml.eos_token_id").and_then(|v| v.to_u32().ok()) {
            end_ids.push(eos);
        }
        let context = (md.u32("llama.context_length")? as usize).min(MAX_SEQ_LEN);
        let device = Device::Cpu;
        let weights = if requantize {
            let mut requantized = requantize_q4_1(&content, &mut file, &device)
                .map_err(|e| bad(format!("cannot re-encode the weights as Q8_0: {e}")))?;
            let content = gguf_file::Content::read(&mut requantized)
                .map_err(|e| bad(format!("cannot read the re-encoded weights: {e}")))?;
            ModelWeights::from_gguf(content, &mut requantized, &device)
        } else {
            ModelWeights::from_gguf(content, &mut file, &device)
        }
        .map_err(|e| bad(format!("cannot build the model from its tensors: {e}")))?;
        let mut name = gguf.file_stem().map_or_else(|| "gguf".to_owned(), |s| s.to_string_lossy().into_owned());
        if requantize {
            name.push_str("+q8_0");
        }
        Ok(ChatModel { name, tokenizer, default_system, end_ids, context, weights: Mutex::new(weights), device })
    }

    /// The model's name: the GGUF file name without its extension.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The usable context window in tokens (prompt plus completion).
    pub fn context_len(&self) -> usize {
        self.context
    }

    /// The system prompt used when a conversation has none, taken from the GGUF chat template.
    pub fn default_system_prompt(&self) -> Option<&str> {
        self.default_system.as_deref()
    }

    /// Renders `messages` as the ChatML prompt the model sees, ending with the assistant's turn.
    pub fn render_prompt(&self, messages: &[ChatMessage]) -> String {
        render_chatml(messages, self.default_system.as_deref())
    }

    /// Generates the assistant's reply to `messages`.
    pub fn generate(&self, messages: &[ChatMessage], params: &GenerateParams) -> Result<Generation, EmbeddedError> {
        let mut sampler = LogitsProcessor::from_sampling(params.seed, sampling(params)?);
        let prompt = self.render_prompt(messages);
        let encoding = self.tokenizer.encode(prompt, false).map_err(|e| EmbeddedError::Tokenizer(e.to_string()))?;
        let prompt_ids = encoding.get_ids();
        if prompt_ids.len() >= self.context {
            return Err(EmbeddedError::PromptTooLong { tokens: prompt_ids.len(), context: self.context });
        }
        let budget = (params.max_tokens as usize).min(self.context - prompt_ids.len());

        let mut weights = self.weights.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        weights.clear_kv_cache();
        let start = Instant::now();
        let input = Tensor::new(prompt_ids, &self.device)
            .and_then(|t| t.unsqueeze(0))
            .map_err(EmbeddedError::inference("the prompt tensor"))?;
        let mut logits = weights
            .forward(&input, 0)
            .and_then(|l| l.squeeze(0))
            .map_err(EmbeddedError::inference("the prompt forward pass"))?;
        let prompt_secs = start.elapsed().as_secs_f64();

        let generation_start = Instant::now();
        let mut ids: Vec<u32> = Vec::new();
        let mut text = String::new();
        let finish_reason = loop {
            let next = sampler.sample(&logits).map_err(EmbeddedError::inference("sampling"))?;
            ids.push(next);
            if self.end_ids.contains(&next) {
                break "stop";
            }
            text = self.tokenizer.decode(&ids, true).map_err(|e| EmbeddedError::Tokenizer(e.to_string()))?;
            if let Some(at) = first_stop(&text, &params.stop) {
                text.truncate(at);
                break "stop";
            }
            if ids.len() >= budget {
                break "length";
            }
            let input = Tensor::new(&[next], &self.device)
                .and_then(|t| t.unsqueeze(0))
                .map_err(EmbeddedError::inference("the token tensor"))?;
            logits = weights
                .forward(&input, prompt_ids.len() + ids.len() - 1)
                .and_then(|l| l.squeeze(0))
                .map_err(EmbeddedError::inference("a generation forward pass"))?;
        };
        let generation_secs = generation_start.elapsed().as_secs_f64();
        drop(weights);

        Ok(Generation {
            text,
            prompt_tokens: prompt_ids.len() as u64,
            completion_tokens: ids.len() as u64,
            finish_reason: finish_reason.to_owned(),
            prompt_tokens_per_sec: rate(prompt_ids.len(), prompt_secs),
            generation_tokens_per_sec: rate(ids.len(), generation_secs),
        })
    }

    /// Token ids of `text` as the model sees it (special tokens such as `<|im_start|>` included).
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, EmbeddedError> {
        let encoding = self.tokenizer.encode(text, false).map_err(|e| EmbeddedError::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }
}

/// An in-memory GGUF with the same metadata and tensors as `content`, Q4_1 tensors re-encoded as Q8_0.
fn requantize_q4_1(
    content: &gguf_file::Content,
    file: &mut File,
    device: &Device,
) -> candle_core::Result<std::io::Cursor<Vec<u8>>> {
    let mut tensors = Vec::with_capacity(content.tensor_infos.len());
    for name in content.tensor_infos.keys() {
        let tensor = content.tensor(file, name, device)?;
        let tensor = if tensor.dtype() == GgmlDType::Q4_1 {
            QTensor::quantize(&tensor.dequantize(device)?, GgmlDType::Q8_0)?
        } else {
            tensor
        };
        tensors.push((name.as_str(), tensor));
    }
    let metadata: Vec<(&str, &gguf_file::Value)> = content.metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(name, t)| (*name, t)).collect();
    let mut out = std::io::Cursor::new(Vec::new());
    gguf_file::write(&mut out, &metadata, &tensors)?;
    out.set_position(0);
    Ok(out)
}

fn rate(tokens: usize, secs: f64) -> f64 {
    if secs > 0.0 { tokens as f64 / secs } else { 0.0 }
}

/// The sampler for `params`: greedy for no or zero temperature, else temperature (and nucleus) sampling.
fn sampling(params: &GenerateParams) -> Result<Sampling, EmbeddedError> {
    if params.max_tokens == 0 {
        return Err(EmbeddedError::InvalidParam { name: "max_tokens", problem: "must be at least 1".to_owned() });
    }
    let top_p = match params.top_p {
        Some(p) if !(p > 0.0 && p <= 1.0) => {
            return Err(EmbeddedError::InvalidParam { name: "top_p", problem: format!("{p} is outside (0, 1]") });
        }
        Some(p) if p < 1.0 => Some(p),
        _ => None,
    };
    match params.temperature {
        Some(t) if !(t.is_finite() && t >= 0.0) => Err(EmbeddedError::InvalidParam {
            name: "temperature",
            problem: format!("{t} is not a finite number >= 0"),
        }),
        None | Some(0.0) => Ok(Sampling::ArgMax),
        Some(temperature) => Ok(match top_p {
            Some(p) => Sampling::TopP { p, temperature },
            None => Sampling::All { temperature },
        }),
    }
}

/// Byte offset of the earliest stop string in `text`.
fn first_stop(text: &str, stops: &[String]) -> Option<usize> {
    stops.iter().filter(|s| !s.is_empty()).filter_map(|s| text.find(s.as_str())).min()
}

/// The ChatML prompt, as SmolLM2's template renders it with `add_generation_prompt`.
pub(crate) fn render_chatml(messages: &[ChatMessage], default_system: Option<&str>) -> String {
    let mut prompt = String::new();
    let mut turn = |role: &str, content: &str| {
        prompt.push_str("<|im_start|>");
        prompt.push_str(role);
        prompt.push('\n');
        prompt.push_str(content);
        prompt.push_str("<|im_end|>\n");
    };
    if let Some(system) = default_system
        && messages.first().is_none_or(|m| m.role != ChatRole::System)
    {
        turn("system", system);
    }
    for message in messages {
        turn(message.role.as_str(), &message.content);
    }
    prompt.push_str("<|im_start|>assistant\n");
    prompt
}

/// The literal default system prompt of a ChatML Jinja template, if it has one.
///
/// Matches the `'<|im_start|>system\n…<|im_end|>'` literal that templates such as SmolLM2's emit when the
/// conversation does not start with a system message.
pub(crate) fn default_system_prompt(template: &str) -> Option<String> {
    let re = regex::Regex::new(r"'<\|im_start\|>system(?:\n|\\n)([^'{}<]+)<\|im_end\|>").ok()?;
    let text = re.captures(template)?.get(1)?.as_str().trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Typed access to GGUF metadata with errors that name the key.
struct GgufMeta<'a> {
    content: &'a gguf_file::Content,
    path: &'a Path,
}

impl GgufMeta<'_> {
    fn get(&self, key: &str) -> Result<&gguf_file::Value, EmbeddedError> {
        self.content.metadata.get(key).ok_or_else(|| self.bad(key, "is missing"))
    }

    fn bad(&self, key: &str, problem: &str) -> EmbeddedError {
        EmbeddedError::Load { path: self.path.to_path_buf(), reason: format!("GGUF metadata key `{key}` {problem}") }
    }

    fn string(&self, key: &str) -> Result<&str, EmbeddedError> {
        self.get(key)?.to_string().map(String::as_str).map_err(|_| self.bad(key, "is not a string"))
    }

    fn u32(&self, key: &str) -> Result<u32, EmbeddedError> {
        self.get(key)?.to_u32().map_err(|_| self.bad(key, "is not a u32"))
    }

    fn array(&self, key: &str) -> Result<&[gguf_file::Value], EmbeddedError> {
        self.get(key)?.to_vec().map(Vec::as_slice).map_err(|_| self.bad(key, "is not an array"))
    }

    fn strings(&self, key: &str) -> Result<Vec<&str>, EmbeddedError> {
        self.array(key)?
            .iter()
            .map(|v| v.to_string().map(String::as_str).map_err(|_| self.bad(key, "has a non-string element")))
            .collect()
    }
}

/// Rebuilds the byte-level BPE tokenizer of a `gpt2`-type GGUF.
fn build_tokenizer(md: &GgufMeta<'_>) -> Result<Tokenizer, EmbeddedError> {
    let kind = md.string("tokenizer.ggml.model")?;
    if kind != "gpt2" {
        return Err(md.bad("tokenizer.ggml.model", &format!("is `{kind}`; only `gpt2` (byte-level BPE) is supported")));
    }
    let tokens = md.strings("tokenizer.ggml.tokens")?;
    let vocab: Vocab = tokens.iter().enumerate().map(|(id, t)| ((*t).to_owned(), id as u32)).collect();
    let merges = md
        .strings("tokenizer.ggml.merges")?
        .into_iter()
        .map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .ok_or_else(|| md.bad("tokenizer.ggml.merges", &format!("has `{m}`, not two tokens split by a space")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| md.bad("tokenizer.ggml.tokens", &format!("does not form a BPE model: {e}")))?;
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![
        Digits::new(true).into(),
        ByteLevel::new(false, true, true).into(),
    ])));
    tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
    let types = md.array("tokenizer.ggml.token_type")?;
    if types.len() != tokens.len() {
        return Err(md.bad("tokenizer.ggml.token_type", "has a different length than `tokenizer.ggml.tokens`"));
    }
    let special: Vec<AddedToken> = tokens
        .iter()
        .zip(types)
        .filter(|(_, kind)| kind.to_i32().is_ok_and(|k| k == 3))
        .map(|(token, _)| AddedToken::from((*token).to_owned(), true))
        .collect();
    tokenizer
        .add_special_tokens(special)
        .map_err(|e| md.bad("tokenizer.ggml.token_type", &format!("marks tokens that cannot be special: {e}")))?;
    Ok(tokenizer)
}

#[cfg(test)]
mod tests;
