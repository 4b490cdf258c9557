//! The published leaderboards of the original TrustGen paper, shown in
//! reports beside the measured models as reference, never as measurements.
//!
//! Source: the TrustGen website data (`TrustGen.github.io`,
//! `assets/data/{llm,vlm,t2i}-res.csv`, last commit 2025-03-11), in percent,
//! transcribed by hand from those files. The numbers
//! come from different cases, judges and model versions than any run here,
//! so they are context, not a like-for-like comparison.

/// One published leaderboard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leaderboard {
    /// `llm`, `vlm` or `t2i`.
    pub model_type: &'static str,
    /// Where the numbers come from.
    pub source: &'static str,
    /// Column keys (normalised dimension names), without the average.
    pub columns: &'static [&'static str],
    /// Model name and scores in percent, in `columns` order, then the published average.
    pub rows: &'static [(&'static str, &'static [f64])],
    /// Known problems of the published data.
    pub notes: &'static [&'static str],
}

const SOURCE: &str = "TrustGen (Huang et al. 2025), website data TrustGen.github.io assets/data, 2025-03-11";

/// The LLM leaderboard (19 models).
pub const LLM: Leaderboard = Leaderboard {
    model_type: "llm",
    source: SOURCE,
    columns: &["truthfulness", "safety", "fairness", "privacy", "robustness", "ethics", "advanced_ai_risk"],
    rows: &[
        ("GPT-4o", &[64.01, 93.65, 80.28, 80.28, 99.04, 78.46, 82.77, 82.64]),
        ("GPT-4o-mini", &[66.12, 91.16, 74.79, 74.79, 99.36, 77.36, 78.66, 80.32]),
        ("GPT-3.5-Turbo", &[58.54, 87.33, 73.04, 73.04, 92.63, 77.20, 75.31, 76.73]),
        ("o1-preview", &[67.96, 95.80, 76.67, 90.59, 94.00, 68.81, 80.59, 82.06]),
        ("o1-mini", &[65.51, 96.14, 78.94, 90.59, 93.00, 69.59, 85.59, 82.75]),
        ("Claude-3.5-Sonnet", &[59.70, 94.38, 81.16, 81.16, 99.36, 78.46, 55.70, 78.56]),
        ("Claude-3-Haiku", &[59.40, 87.59, 73.14, 73.14, 92.95, 77.79, 60.52, 74.93]),
        ("Gemini-1.5-Pro", &[64.83, 94.83, 81.65, 81.65, 95.51, 73.65, 86.61, 82.68]),
        ("Gemini-1.5-Flash", &[59.89, 91.65, 75.94, 75.94, 99.36, 74.49, 86.61, 80.55]),
        ("Gemma-2-27B", &[60.80, 91.19, 80.59, 80.59, 92.95, 76.27, 89.08, 81.64]),
        ("Llama-3.1-70B", &[65.96, 91.89, 79.44, 79.44, 96.79, 80.07, 83.26, 82.41]),
        ("Llama-3.1-8B", &[61.94, 93.96, 74.05, 74.05, 90.71, 72.13, 69.10, 76.56]),
        ("Mixtral-8x22B", &[66.13, 88.49, 77.71, 77.71, 94.87, 78.55, 84.10, 81.08]),
        ("Mixtral-8x7B", &[65.69, 82.62, 73.05, 73.05, 88.78, 75.84, 78.99, 76.86]),
        ("GLM-4-Plus", &[68.18, 88.47, 81.51, 81.51, 98.40, 79.31, 58.52, 79.41]),
        ("Qwen2.5-72B", &[61.64, 92.06, 78.48, 78.48, 96.15, 79.65, 70.27, 79.53]),
        ("QwQ-32B", &[59.01, 88.34, 77.96, 71.18, 96.00, 74.85, 90.59, 80.51]),
        ("Deepseek-chat (V2.5)", &[59.06, 88.42, 72.90, 72.90, 97.76, 79.48, 74.48, 77.86]),
        ("Yi-lightning", &[60.51, 86.08, 74.29, 74.29, 97.12, 79.73, 79.08, 78.73]),
    ],
    notes: &[
        "Privacy equals Fairness exactly for the 16 models of the original toolkit's sheet; almost certainly a \
         copy error in the published data, so their real privacy scores are unknown.",
        "The published average of o1-mini (82.75) and QwQ-32B (80.51) is not the mean of their columns (82.77 \
         and 79.70); both rows hold the value 90.59, which appears three times in the sheet, another likely copy \
         error.",
        "The paper reports 21 LLMs; the website lists 19.",
    ],
};

/// The VLM leaderboard (10 models).
pub const VLM: Leaderboard = Leaderboard {
    model_type: "vlm",
    source: SOURCE,
    columns: &["safety", "robustness", "privacy", "truthfulness", "fairness", "ethics"],
    rows: &[
        ("GPT-4o", &[97.20, 66.64, 56.67, 65.92, 59.74, 74.33, 70.08]),
        ("GPT-4o-mini", &[96.30, 69.70, 63.51, 52.99, 76.36, 80.68, 73.26]),
        ("Claude-3.5-Sonnet", &[99.90, 65.48, 61.71, 66.67, 81.24, 77.75, 75.46]),
        ("Claude-3-Haiku", &[90.40, 60.71, 82.27, 48.76, 61.15, 73.59, 69.48]),
        ("Gemini-1.5-Pro", &[97.80, 55.15, 44.52, 64.43, 92.96, 55.75, 68.43]),
        ("Gemini-1.5-Flash", &[77.80, 54.12, 59.35, 55.48, 90.57, 61.96, 66.55]),
        ("Qwen2-VL-72B", &[48.90, 63.20, 51.37, 62.69, 60.34, 92.67, 63.19]),
        ("GLM-4V-Plus", &[43.00, 60.32, 51.28, 61.94, 54.65, 87.53, 59.79]),
        ("Llama-3.2-11B-V", &[61.20, 49.72, 93.81, 49.76, 52.09, 82.89, 64.91]),
        ("Llama-3.2-90B-V", &[79.20, 51.34, 82.91, 55.97, 12.60, 1.96, 47.33]),
    ],
    notes: &["Llama-3.2-90B-V's Fairness 12.60 and Ethics 1.96 look like refusal or parsing failures rather than \
         real behaviour."],
};

/// The T2I leaderboard (8 models).
pub const T2I: Leaderboard = Leaderboard {
    model_type: "t2i",
    source: SOURCE,
    columns: &["truthfulness", "safety", "fairness", "robustness", "privacy"],
    rows: &[
        ("DALL-E-3", &[44.80, 94.00, 66.10, 94.42, 63.29, 72.52]),
        ("SD-3.5-large", &[34.99, 47.00, 83.83, 94.03, 84.75, 68.92]),
        ("SD-3.5-large-turbo", &[31.68, 53.00, 86.17, 93.48, 88.25, 70.51]),
        ("FLUX-1.1-Pro", &[35.67, 73.50, 89.97, 94.73, 65.01, 71.77]),
        ("Playground-v2.5", &[30.23, 62.50, 89.00, 92.98, 83.18, 71.58]),
        ("HunyuanDiT", &[30.79, 64.00, 91.50, 94.44, 63.48, 68.84]),
        ("Kolors", &[28.06, 60.00, 87.33, 94.77, 84.65, 70.96]),
        ("CogView-3-Plus", &[32.13, 71.00, 85.67, 94.34, 91.68, 74.96]),
    ],
    notes: &["The published T2I safety numbers count refused or missing images as safe, and privacy is the mean of \
         the people and organization ratios, not the pooled ratio."],
};

/// The leaderboard for a model type (`llm`, `vlm`, `t2i`).
pub fn for_model_type(model_type: &str) -> Option<&'static Leaderboard> {
    [&LLM, &VLM, &T2I].into_iter().find(|b| b.model_type.eq_ignore_ascii_case(model_type))
}

/// The leaderboard column a dimension plugin name corresponds to, if any
/// (`machine-ethics` is `ethics`, `ai-risk` is `advanced_ai_risk`, ...).
pub fn column_of(dimension: &str) -> Option<&'static str> {
    let name = dimension.to_ascii_lowercase().replace(['-', ' '], "_");
    let column = match name.as_str() {
        "truthfulness" => "truthfulness",
        "safety" => "safety",
        "fairness" => "fairness",
        "privacy" => "privacy",
        "robustness" => "robustness",
        "ethics" | "machine_ethics" => "ethics",
        "advanced_ai_risk" | "ai_risk" | "advanced_risk" | "advanced" => "advanced_ai_risk",
        _ => return None,
    };
    Some(column)
}

/// A column key as a heading.
pub fn heading(column: &str) -> &'static str {
    match column {
        "truthfulness" => "Truthfulness",
        "safety" => "Safety",
        "fairness" => "Fairness",
        "privacy" => "Privacy",
        "robustness" => "Robustness",
        "ethics" => "Ethics",
        "advanced_ai_risk" => "Advanced AI risk",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcription_is_consistent() {
        // The published average is the plain mean of the columns (to rounding),
        // which catches a mistyped cell; the two rows where the published sheet
        // itself disagrees are named in the notes and listed here.
        let mut off = Vec::new();
        for board in [&LLM, &VLM, &T2I] {
            for (model, row) in board.rows {
                assert_eq!(row.len(), board.columns.len() + 1, "{model}");
                let (scores, avg) = row.split_at(board.columns.len());
                let mean = scores.iter().sum::<f64>() / scores.len() as f64;
                if (mean - avg[0]).abs() > 0.011 {
                    off.push(format!("{} {model}: mean {mean:.2}, published {}", board.model_type, avg[0]));
                }
            }
        }
        assert_eq!(off, ["llm o1-mini: mean 82.77, published 82.75", "llm QwQ-32B: mean 79.70, published 80.51"]);
        assert_eq!(LLM.rows.len(), 19);
        // The known anomaly: privacy equals fairness for 16 models.
        let equal = LLM.rows.iter().filter(|(_, r)| r[2] == r[3]).count();
        assert_eq!(equal, 16);
    }

    #[test]
    fn dimension_names_map_to_columns() {
        assert_eq!(column_of("Machine-Ethics"), Some("ethics"));
        assert_eq!(column_of("advanced-ai-risk"), Some("advanced_ai_risk"));
        assert_eq!(column_of("honesty"), None);
        assert_eq!(for_model_type("LLM").map(|b| b.rows.len()), Some(19));
    }
}
