"""Cross-validate the CRF tagger on ANERcorp and time it.

    .venv/bin/python bench/crf_cv.py                 # 5 contiguous folds + timings
    .venv/bin/python bench/crf_cv.py --quick         # 2 folds, fewer iterations, no timings
    .venv/bin/python bench/crf_cv.py --set lexicon=false --param c1=0.1   # an ablation

Fold k is the k-th fifth of the file's sentences, contiguous, so articles never straddle
training and test. Everything learned from data (the model and its lexicon) comes from the
training folds only. Timings: training on the whole file, loading that model, and tagging
the whole file with marginals as the engine does (features + CRF, one core).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import django  # noqa: E402

# annotations.taggers imports the app's models, so the app registry must be ready.
django.setup()

from annotations.conll import evaluate, read_conll  # noqa: E402
from annotations.taggers.crf import CRFTagger, pseudo_documents, train  # noqa: E402
from annotations.taggers.features import FeatureSettings  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "anercorp" / "train.conll"
LABELS = ("PERS", "LOC", "ORG", "MISC")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--only", type=int, nargs="*", help="run these folds only (0-based; none: timing only)"
    )
    parser.add_argument("--quick", action="store_true", help="2 folds, 60 iterations, no timing")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--set", action="append", default=[], help="feature setting k=v")
    parser.add_argument("--param", action="append", default=[], help="crfsuite param k=v")
    return parser.parse_args()


def _value(text: str) -> bool | int | float | str:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _pairs(items: list[str]) -> dict:
    return {k: _value(v) for k, v in (item.split("=", 1) for item in items)}


def fold_bounds(count: int, folds: int) -> list[tuple[int, int]]:
    bounds = [count * k // folds for k in range(folds + 1)]
    return list(pairwise(bounds))


def run_fold(sentences, start, end, settings, params) -> dict:
    training = sentences[:start] + sentences[end:]
    test = sentences[start:end]
    with tempfile.TemporaryDirectory() as tmp:
        metrics = train(training, tmp, params, settings)
        tagger = CRFTagger.load(tmp)
        predicted = [
            labels
            for document in pseudo_documents([[t for t, _ in s] for s in test])
            for labels in tagger.tag_sentences(document)
        ]
    gold = [[tag for _, tag in s] for s in test]
    result = evaluate(gold, predicted)
    result["train_seconds"] = metrics["train_seconds"]
    return result


def print_cv(results: list[dict]) -> None:
    print("\nfold  micro-F1  train-s")
    for k, result in results:
        print(f"{k:>4}  {result['micro']['f1']:.4f}  {result['train_seconds']:>7.1f}")
    print(f"\n{'label':<8}{'P':>8}{'R':>8}{'F1':>8}   (mean over {len(results)} folds)")
    rows = [(lab, [r["labels"].get(lab) for _, r in results]) for lab in LABELS]
    rows += [(avg, [r[avg] for _, r in results]) for avg in ("micro", "macro")]
    for name, per_fold in rows:
        present = [row for row in per_fold if row]
        keys = ("precision", "recall", "f1")
        means = [statistics.mean(row[key] for row in present) for key in keys]
        print(f"{name:<8}" + "".join(f"{m:>8.4f}" for m in means))


def print_timing(sentences, settings, params) -> None:
    tokens = sum(map(len, sentences))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        train(sentences, tmp, params, settings)
        trained = time.perf_counter() - started
        started = time.perf_counter()
        tagger = CRFTagger.load(tmp)
        loaded = time.perf_counter() - started
        documents = pseudo_documents([[t for t, _ in s] for s in sentences])
        started = time.perf_counter()
        for document in documents:
            tagger.tag_document(document)
        tagging = time.perf_counter() - started
    print(f"\ntrain on full file ({len(sentences)} sentences, {tokens} tokens): {trained:.1f} s")
    print(f"model load: {loaded:.2f} s")
    print(f"tagging with marginals: {tokens / tagging:,.0f} tokens/s ({tagging:.1f} s)")


def main() -> None:
    args = parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} not found: the ANERcorp file lives outside the repository")
    sentences = read_conll(args.data)
    settings = FeatureSettings.from_dict(_pairs(args.set))
    params = _pairs(args.param)
    folds = args.folds
    if args.quick:
        folds, params = 2, {"max_iterations": 60, **params}
    print(f"features: {settings.to_dict()}\nparams: {params or 'defaults'}")
    bounds = fold_bounds(len(sentences), folds)
    chosen = args.only if args.only is not None else range(folds)
    results = []
    for k in chosen:
        results.append((k, run_fold(sentences, *bounds[k], settings, params)))
        print(f"fold {k}: micro F1 {results[-1][1]['micro']['f1']:.4f}", flush=True)
    if results:
        print_cv(results)
    if not (args.quick or args.no_timing):
        print_timing(sentences, settings, params)


if __name__ == "__main__":
    main()
