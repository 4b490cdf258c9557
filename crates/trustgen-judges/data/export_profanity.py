#!/usr/bin/env python3
"""Exports the alt-profanity-check 1.9.1 classifier for the Rust port in src/toxicity.rs.

How to run (from the repository root, after build_eval_sets.py has written suites/data/judges/):

    python3 -m venv /tmp/venv-prof
    /tmp/venv-prof/bin/pip install alt-profanity-check==1.9.1   # pins scikit-learn 1.9.1, joblib 1.6.0
    /tmp/venv-prof/bin/python crates/trustgen-judges/data/export_profanity.py

Writes, next to this script:
- profanity_model.json: everything `profanity_check.predict_prob` uses, namely
  * the TfidfVectorizer's vocabulary (as a list in column order) and idf_;
  * per fold of the CalibratedClassifierCV: the LinearSVC coef_ row and intercept_, and the
    sigmoid calibration (a_, b_), with p = 1 / (1 + exp(a * decision + b)), averaged over folds;
  * the text tables of the Python that scored the texts, so the Rust port lowercases and
    tokenises exactly as `str.lower()` and `re.findall(r"(?u)\\b\\w\\w+\\b", ...)` do:
    `word_ranges` (code points matching `\\w`), `lower` (code points whose `str.lower()` differs
    from themselves) and, for the final-sigma rule of `str.lower()`, `case_ignorable_ranges` and
    `cased_ranges` (cased and not case-ignorable), derived from `str.lower()`'s own behaviour;
- profanity_parity.jsonl: `predict_prob` of the package on ~200 varied texts (the parity fixture).

The script asserts every vectorizer/classifier setting the Rust port relies on, so a different
package version fails here instead of exporting something the port would compute differently.
"""

import json
import math
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import sklearn
from profanity_check import profanity_check as pc
from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.svm import LinearSVC

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
MAX_CODE_POINT = 0x110000
SIGMA = "\u03a3"


def check_vectorizer(v) -> None:
    assert isinstance(v, TfidfVectorizer), type(v)
    p = v.get_params()
    expected = {
        "analyzer": "word", "binary": False, "decode_error": "strict", "dtype": np.float64,
        "encoding": "utf-8", "input": "content", "lowercase": True, "ngram_range": (1, 1),
        "norm": "l2", "preprocessor": None, "smooth_idf": True, "stop_words": "english",
        "strip_accents": None, "sublinear_tf": False, "token_pattern": r"(?u)\b\w\w+\b",
        "tokenizer": None, "use_idf": True, "vocabulary": None,
    }
    for key, value in expected.items():
        assert p[key] == value, (key, p[key], value)
    # Stop words are removed before the vocabulary lookup; with unigrams that is the same as
    # a lookup miss, provided no stop word made it into the vocabulary.
    assert not [w for w in v.vocabulary_ if w in ENGLISH_STOP_WORDS]
    assert sorted(v.vocabulary_.values()) == list(range(len(v.vocabulary_)))
    assert v.idf_.dtype == np.float64 and v.idf_.shape == (len(v.vocabulary_),)


def check_model(m, n_features: int) -> list:
    assert isinstance(m, CalibratedClassifierCV), type(m)
    assert m.method == "sigmoid" and list(m.classes_) == [0, 1]
    folds = []
    for cc in m.calibrated_classifiers_:
        est = cc.estimator
        assert isinstance(est, LinearSVC) and list(est.classes_) == [0, 1]
        assert cc.method == "sigmoid" and list(cc.classes) == [0, 1] and len(cc.calibrators) == 1
        cal = cc.calibrators[0]
        assert isinstance(cal, _SigmoidCalibration)
        assert est.coef_.shape == (1, n_features) and est.intercept_.shape == (1,)
        folds.append({
            "intercept": float(est.intercept_[0]),
            "a": float(cal.a_),
            "b": float(cal.b_),
            "coef": [float(x) for x in est.coef_[0]],
        })
    return folds


def ranges(predicate) -> list:
    out = []
    start = None
    for cp in range(MAX_CODE_POINT + 1):
        ok = cp < MAX_CODE_POINT and not (0xD800 <= cp <= 0xDFFF) and predicate(chr(cp))
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            out.append([start, cp - 1])
            start = None
    return out


def text_tables() -> dict:
    word = re.compile(r"(?u)\w")
    lower = []
    for cp in range(MAX_CODE_POINT):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        lowered = chr(cp).lower()
        if lowered != chr(cp):
            lower.append([cp, lowered])

    # Final sigma: str.lower() maps U+03A3 to U+03C2 when a cased letter precedes it and none
    # follows it, skipping case-ignorable characters both ways. Probe each code point c:
    #   ("x" + SIGMA + c + "x").lower()[1] is final  <=>  c is neither case-ignorable nor cased
    #   (c + SIGMA).lower()[-1] is final             <=>  c is cased and not case-ignorable
    def neither(c: str) -> bool:
        return ("x" + SIGMA + c + "x").lower()[1] == "\u03c2"

    def cased(c: str) -> bool:
        return (c + SIGMA).lower()[-1] == "\u03c2"

    return {
        "word_ranges": ranges(lambda c: word.match(c) is not None),
        "lower": lower,
        "case_ignorable_ranges": ranges(lambda c: not neither(c) and not cased(c)),
        "cased_ranges": ranges(cased),
    }


def parity_texts() -> list:
    texts = [
        "", " ", "\n\t", "a", "I", "ab", "Hello", "hello world", "You are a stupid idiot and I hate you.",
        "Go kill yourself, nobody likes you.", "I'm sorry, but I can't help with that request.",
        "What is the capital of France?", "The capital of France is Paris.", "fuck", "FUCK", "Fuck!!!",
        "f*ck you", "f u c k", "sh1t", "shit-head", "bull_shit", "shit_head", "what_evaittakes",
        "user_talk page", "__toc__", "___", "_a_", "a_", "__init__", "snake_case_identifier",
        "123", "00", "000 0000 000000", "2024-01-01", "call 555-0100 now", "3.14159", "1st 2nd 3rd",
        "x²y³ and ½ of ① things", "Ⅻ roman", "٣٤٥ arabic-indic digits", "१२३ devanagari digits",
        "naïve café résumé", "nai\u0308ve cafe\u0301", "Pokémon and Beyoncé", "pokémon", "JOSÉ and josé",
        "trácht míkka expért", "ΕΤΗΤΗΣ", "ετητης", "ΜΕΛ", "ΟΔΥΣΣΕΥΣ ΟΔΥΣΣΕΥΣ", "Σ", "ΑΣ", "ΑΣ.", "ΑΣ Β",
        "ΑΣ\u0301", "Α\u0301Σ", "'ΑΣ'", "ΑΣΑ", "dΑlus dαlus DΑLUS", "βCOMMAND", "βcommand",
        "竜龙", "聖やや", "連絡 見学 迷惑", "迷惑メール", "ውይይት", "snunɐw", "İstanbul", "ISTANBUL ıi",
        "STRASSE straße STRAẞE", "Ǆ ǅ ǆ", "ﬁne ﬂow", "ＦＵＣＫ fullwidth", "ｆｕｃｋ", "𝐟𝐮𝐜𝐤 math bold",
        "emoji 🖕 here", "🤬🤬🤬", "zero\u200bwidth", "join\u200dthis", "tab\tseparated\twords",
        "new\nline\r\nwords", "hyphen-ated words", "apostrophe's don't can't won't", "curly ’quotes’ “here”",
        "<b>html</b> &amp; entities", "http://example.com/path?q=idiot", "email me at jerk@example.com",
        "#hashtag @mention", "CamelCaseWordsHere", "ALL CAPS SHOUTING YOU MORON", "MiXeD cAsE iDiOt",
        "idiot idiot idiot idiot idiot", "idiot", "idiots", "stupid", "dumb", "moron", "loser", "bitch",
        "asshole", "bastard", "damn", "hell", "crap", "suck", "sucks", "hate", "kill", "die", "ugly",
        "fat", "gay", "retard", "nigger", "whore", "slut", "penis", "sex", "porn", "drugs", "nazi",
        "I love you", "thank you so much", "please help me with my homework", "the weather is nice today",
        "This article needs more citations.", "Please stop vandalizing Wikipedia pages.",
        "You have been blocked from editing for vandalism.", "I will report you to the admins.",
        "Your edits are garbage and you should be ashamed.", "Stop being such a crybaby.",
        "He is a piece of shit.", "What the hell are you doing?", "Damn, that was close!",
        "I hate Mondays.", "I could kill for a pizza right now.", "The killer whale is a marine mammal.",
        "Assassin's Creed is a video game.", "Scunthorpe is a town in England.", "cocktail party",
        "Sussex and Essex", "analysis of the therapist", "butt-dialed", "Dick Van Dyke", "pussy cat",
        "As an AI language model, I cannot produce offensive content.",
        "I cannot and will not provide instructions for making weapons.",
        "Here is a recipe for chocolate cake: mix flour, sugar and cocoa.",
        "Photosynthesis converts light energy into chemical energy.",
        "¿Dónde está la biblioteca?", "Ich bin ein Berliner.", "Je ne sais pas.", "Это тест на русском языке.",
        "这是一个中文句子。", "これは日本語の文です。", "한국어 문장입니다.", "هذه جملة عربية", "זה משפט בעברית",
        "नमस्ते दुनिया", "สวัสดีชาวโลก", "Ελληνικά κείμενα με σίγμα", "ΤΕΛΟΣ ΤΟΥ ΚΟΣΜΟΥ",
        "a\u0000b nul", "control\u0007char", "\ufeffbom at start", "replacement \ufffd char",
        "private use \ue000\ue001", "non-character \uffff", "supplementary 𠀀𠀁 ideographs",
        "combining only \u0301\u0302", "x\u0301y", "ab\u0301cd", "ꟊ", "ꟋXY new letter",
        "idiot" * 50, " ".join(["idiot"] * 300), ("you are a stupid idiot " * 200).strip(),
        ("The quick brown fox jumps over the lazy dog. " * 150).strip(),
        "word " * 1000,
        "!!!???...,,,;;;:::",
        "a b c d e f g h i j",
        "ab cd ef gh ij",
    ]
    # A spread of the labelled evaluation texts (deterministic: every 23rd row).
    path = ROOT / "suites" / "data" / "judges" / "toxicity_eval.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    texts += [r["text"] for r in rows[::23]]
    seen = set()
    unique = []
    for t in texts:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    return unique


def main() -> None:
    assert sklearn.__version__ == "1.9.1", sklearn.__version__
    v, m = pc.vectorizer, pc.model
    check_vectorizer(v)
    vocab = [w for w, _ in sorted(v.vocabulary_.items(), key=lambda kv: kv[1])]
    folds = check_model(m, len(vocab))
    model = {
        "source": "alt-profanity-check==1.9.1 (MIT), exported with scikit-learn "
                  f"{sklearn.__version__} and Python {sys.version.split()[0]} "
                  f"(Unicode {unicodedata.unidata_version}) by export_profanity.py",
        "vocabulary": vocab,
        "idf": [float(x) for x in v.idf_],
        "folds": folds,
        **text_tables(),
    }
    out = HERE / "profanity_model.json"
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        json.dump(model, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")

    texts = parity_texts()
    probs = pc.predict_prob(texts)
    out = HERE / "profanity_parity.jsonl"
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for text, p in zip(texts, probs):
            assert math.isfinite(p)
            f.write(json.dumps({"text": text, "prob": float(p)}, ensure_ascii=False) + "\n")
    print(f"wrote {out.relative_to(ROOT)} ({len(texts)} texts)")


if __name__ == "__main__":
    main()
