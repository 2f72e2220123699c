"""Entity F1 of the pre-taggers on a held-out sixth of ANERcorp: the CRF alone, and with the
actor engine and the gazetteer as pre-tagging combines them (annotations.taggers.combine).

Split: `../shared/data/anercorp/train.conll` in sentence order; the CRF trains on the
first five sixths and everything is scored on the last sixth. The actor list was written
from the conflicts it covers, and the trim rule's frequency margins were checked on the
first five sixths only; nothing was tuned on the last sixth. Scores are exact entity
spans over ANERcorp's tokens (see annotations/taggers/evaluation.py), so a span that
starts after a proclitic still matches its token (وإسرائيل is one B-LOC token).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/actors .venv/bin/python bench/tagger_eval.py
    .venv/bin/python bench/tagger_eval.py --retrain    # train the CRF again (~3 min, one core)

The CRF trained on the five sixths is kept in var/bench/ and reused. The actors and the
default gazetteer are loaded into a throw-away test database.
"""

from __future__ import annotations

import argparse
import json
import shutil

from common import ROOT, record, run, timed
from django.conf import settings

from annotations.actors import load_actors
from annotations.conll import evaluate, read_conll
from annotations.gazetteer import load_default_gazetteer
from annotations.taggers.actors import ActorEngine
from annotations.taggers.crf import METRICS_FILE, CRFEngine, CRFTagger, pseudo_documents, train
from annotations.taggers.evaluation import evaluate_engines
from annotations.taggers.gazetteer import GazetteerEngine

ANERCORP = ROOT.parent / "shared" / "data" / "anercorp" / "train.conll"
MODEL_DIR = settings.VAR_DIR / "bench" / "crf-anercorp-five-sixths"
LABELS = ("ORG", "PERS", "LOC", "MISC")
# (row, engines in merge order); None is the CRF on ANERcorp's own tokens, as evaluate_model.
CONFIGURATIONS = [
    ("CRF alone (ANERcorp tokens)", None),
    ("CRF alone (text)", ["crf"]),
    ("actors alone", ["actors"]),
    ("gazetteer alone", ["gazetteer"]),
    ("CRF + gazetteer (before)", ["crf", "gazetteer"]),
    ("actors + CRF", ["actors", "crf"]),
    ("actors + CRF + gazetteer (shipped)", ["actors", "crf", "gazetteer"]),
    # For comparison only: the actor list filling the CRF's gaps instead of winning overlaps.
    ("CRF + actors + gazetteer", ["crf", "actors", "gazetteer"]),
]


def split(sentences: list) -> tuple[list, list]:
    cut = len(sentences) * 5 // 6
    return sentences[:cut], sentences[cut:]


def trained_crf(training: list, retrain: bool) -> None:
    metrics = MODEL_DIR / METRICS_FILE
    if not retrain and metrics.exists():
        if json.loads(metrics.read_text())["sentences"] == len(training):
            return
    shutil.rmtree(MODEL_DIR, ignore_errors=True)
    result = train(training, MODEL_DIR)
    record("train the CRF on the first five sixths", result["train_seconds"], "s")


def crf_on_tokens(held_out: list) -> dict:
    tagger = CRFTagger.load(MODEL_DIR)
    predicted = []
    for document in pseudo_documents(held_out):
        predicted.extend(tagger.tag_sentences([[token for token, _ in s] for s in document]))
    return evaluate([[tag for _, tag in s] for s in held_out], predicted)


def engine(name: str):
    return {"crf": lambda: CRFEngine(MODEL_DIR), "actors": ActorEngine}.get(name, GazetteerEngine)()


def bench(held_out: list) -> dict[str, dict]:
    _, ms = timed(load_actors)
    record("load the actor list", ms, "ms")
    _, ms = timed(load_default_gazetteer)
    record("load the default gazetteer", ms / 1000, "s")
    results = {}
    for row, names in CONFIGURATIONS:
        if names is None:
            results[row], ms = timed(crf_on_tokens, held_out)
        else:
            results[row], ms = timed(evaluate_engines, [engine(n) for n in names], held_out)
        record(f"score: {row}", ms / 1000, "s")
    return results


def print_scores(held_out: list, results: dict[str, dict]) -> None:
    tokens = sum(map(len, held_out))
    print(
        f"\nheld-out: the last sixth of {ANERCORP.name}, {len(held_out):,} sentences, "
        f"{tokens:,} tokens; exact entity spans, P / R / F1\n"
    )
    support = next(iter(results.values()))
    head = [f"{lab} ({support['labels'][lab]['support']})" for lab in LABELS]
    print("| engines | " + " | ".join([*head, "micro"]) + " |")
    print("| --- |" + " --- |" * (len(LABELS) + 1))
    for row, result in results.items():
        cells = [result["labels"].get(lab) for lab in LABELS] + [result["micro"]]
        text = [f"{c['precision']:.3f} / {c['recall']:.3f} / {c['f1']:.3f}" for c in cells]
        print(f"| {row} | " + " | ".join(text) + " |")
    org = {row: r["labels"]["ORG"]["recall"] for row, r in results.items()}
    print("\nORG recall gained from the actor engine:")
    for without, with_actors in [
        ("CRF alone (text)", "actors + CRF"),
        ("CRF + gazetteer (before)", "actors + CRF + gazetteer (shipped)"),
        ("CRF + gazetteer (before)", "CRF + actors + gazetteer"),
    ]:
        gain = org[with_actors] - org[without]
        print(
            f"  {without} {org[without]:.3f} -> {with_actors} {org[with_actors]:.3f}: {gain:+.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--retrain", action="store_true", help="train the CRF again")
    args = parser.parse_args()
    if not ANERCORP.exists():
        raise SystemExit(f"{ANERCORP} not found: ANERcorp lives outside the repository")
    training, held_out = split(read_conll(ANERCORP))
    trained_crf(training, args.retrain)
    results: dict[str, dict] = {}
    run("Pre-taggers on ANERcorp's last sixth", lambda: results.update(bench(held_out)))
    print_scores(held_out, results)


if __name__ == "__main__":
    main()
