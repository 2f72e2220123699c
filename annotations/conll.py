"""CoNLL-style NER files and entity-level evaluation (seqeval's default, non-strict mode).

A file holds one `token LABEL` pair a line (any run of spaces or tabs between them, the
label last) and a blank line between sentences. Labels are BIO: B-X, I-X or O.

Malformed lines (a single field, or a label that is not O/B-X/I-X) raise a ValueError
naming `file:line`: silently skipping them would shift the gold standard under a model
and make its scores meaningless.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["entities", "evaluate", "format_report", "read_conll", "write_conll"]

Sentence = list[tuple[str, str]]
Entity = tuple[int, int, str]  # start token, end token (exclusive), label


def read_conll(path: str | Path) -> list[Sentence]:
    """Sentences of (token, label) pairs; raises ValueError at the first malformed line."""
    sentences: list[Sentence] = []
    current: Sentence = []
    with open(path, encoding="utf-8-sig") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                if current:
                    sentences.append(current)
                    current = []
                continue
            if len(fields) < 2 or not _is_label(fields[-1]):
                raise ValueError(f"{path}:{number}: expected 'token LABEL', got {line!r}")
            # Tokens never contain spaces in ANERcorp; if one did, keep it whole.
            current.append((" ".join(fields[:-1]), fields[-1]))
    if current:
        sentences.append(current)
    return sentences


def _is_label(label: str) -> bool:
    return label == "O" or (label[:2] in ("B-", "I-") and len(label) > 2)


def write_conll(sentences: Iterable[Sequence[tuple[str, str]]], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for sentence in sentences:
            f.writelines(f"{token} {label}\n" for token, label in sentence)
            f.write("\n")


def entities(tags: Sequence[str]) -> set[Entity]:
    """Entity spans of a BIO sequence; an I- after O or after another type starts one."""
    found: set[Entity] = set()
    start, kind = 0, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        continues = prefix == "I" and label == kind
        if kind is not None and not continues:
            found.add((start, i, kind))
            kind = None
        if prefix in ("B", "I") and not continues:
            start, kind = i, label
    return found


def evaluate(gold_seqs: Sequence[Sequence[str]], pred_seqs: Sequence[Sequence[str]]) -> dict:
    """Exact-span precision, recall, F1 and support per label, plus micro and macro rows.

    Returns {"labels": {label: row}, "micro": row, "macro": row}, each row a dict with
    precision, recall, f1 and support (number of gold entities).
    """
    if len(gold_seqs) != len(pred_seqs):
        raise ValueError(f"{len(gold_seqs)} gold sequences but {len(pred_seqs)} predicted")
    true_pos: Counter[str] = Counter()
    gold_count: Counter[str] = Counter()
    pred_count: Counter[str] = Counter()
    for n, (gold, pred) in enumerate(zip(gold_seqs, pred_seqs, strict=True)):
        if len(gold) != len(pred):
            raise ValueError(f"sequence {n}: {len(gold)} gold tags but {len(pred)} predicted")
        gold_entities, pred_entities = entities(gold), entities(pred)
        gold_count.update(e[2] for e in gold_entities)
        pred_count.update(e[2] for e in pred_entities)
        true_pos.update(e[2] for e in gold_entities & pred_entities)
    labels = sorted(gold_count.keys() | pred_count.keys())
    rows = {lab: _row(true_pos[lab], pred_count[lab], gold_count[lab]) for lab in labels}
    micro = _row(true_pos.total(), pred_count.total(), gold_count.total())
    macro = {
        key: sum(r[key] for r in rows.values()) / len(rows) if rows else 0.0
        for key in ("precision", "recall", "f1")
    }
    macro["support"] = micro["support"]
    return {"labels": rows, "micro": micro, "macro": macro}


def _row(true_pos: int, predicted: int, gold: int) -> dict:
    precision = true_pos / predicted if predicted else 0.0
    recall = true_pos / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": gold}


def format_report(result: dict) -> str:
    """A fixed-width table of an `evaluate` result, one line per label then micro and macro."""
    lines = [f"{'label':<8}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    rows = [*result["labels"].items(), ("micro", result["micro"]), ("macro", result["macro"])]
    for name, row in rows:
        lines.append(
            f"{name:<8}{row['precision']:>10.4f}{row['recall']:>10.4f}"
            f"{row['f1']:>10.4f}{row['support']:>10}"
        )
    return "\n".join(lines)
