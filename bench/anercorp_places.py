"""Place precision on real news: the gazetteer engine's LOC spans on ANERcorp.

ANERcorp (../shared/data/anercorp/train.conll) is Arabic news nobody here wrote. Its gold
marks every location, so a gazetteer span that touches no gold LOC token is a false place
(a common word, a person's name, a word inside another). Figures, per split:

- false places per 1,000 tokens, and LOC precision: spans touching a gold LOC / all spans;
- LOC recall: gold LOC entities touched by a span.

Matching is by overlap, because ANERcorp keeps proclitics inside its tokens (وإسرائيل is
one B-LOC token) while the engine's spans start after them.

ANERcorp has no document boundaries, so the engine reads it as "articles" of ARTICLE
consecutive sentences (about 300 tokens, a short news report): the article's countries are
evidence for ambiguous names, and a whole split read as one text would name every country.

Splits: sentences in blocks of 200; even blocks are *dev* (look at misses and tune on
them), odd blocks are *test* (only report). `--show-dev N` prints N false places of dev.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/anercorp_places.py
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass

from common import ROOT, record, run, timed

from annotations.conll import entities, read_conll
from annotations.gazetteer import load_default_gazetteer
from annotations.taggers.gazetteer import GazetteerEngine
from annotations.text import tokenize

ANERCORP = ROOT.parent / "shared" / "data" / "anercorp" / "train.conll"
BLOCK = 200  # sentences per block; blocks alternate dev, test
ARTICLE = 10  # sentences per pseudo-article


@dataclass
class Document:
    text: str
    gold: list[tuple[int, int]]  # character spans of gold LOC entities
    tokens: int


def split_documents(sentences: list) -> dict[str, list[Document]]:
    """Each split's pseudo-articles: ARTICLE sentences joined, a sentence a line."""
    parts: dict[str, list] = {"dev": [], "test": []}
    for i, sentence in enumerate(sentences):
        parts["dev" if (i // BLOCK) % 2 == 0 else "test"].append(sentence)
    return {
        name: [_document(chosen[i : i + ARTICLE]) for i in range(0, len(chosen), ARTICLE)]
        for name, chosen in parts.items()
    }


def _document(sentences: list) -> Document:
    lines, gold, offset, count = [], [], 0, 0
    for sentence in sentences:
        words = [w for w, _ in sentence]
        starts, position = [], offset
        for word in words:
            starts.append(position)
            position += len(word) + 1
        for first, last, label in entities([t for _, t in sentence]):
            if label == "LOC":
                gold.append((starts[first], starts[last - 1] + len(words[last - 1])))
        line = " ".join(words)
        lines.append(line)
        offset += len(line) + 1
        count += len(words)
    return Document("\n".join(lines), gold, count)


def score(documents: list[Document], tagged: list[list[tuple[int, int]]]) -> dict:
    spans = gold = true = found = tokens = 0
    false: list[str] = []
    for document, mine in zip(documents, tagged, strict=True):
        hits = [s for s in mine if _touches(s, document.gold)]
        false += [document.text[a:b] for a, b in mine if not _touches((a, b), document.gold)]
        spans, true, gold = spans + len(mine), true + len(hits), gold + len(document.gold)
        found += sum(1 for g in document.gold if _touches(g, mine))
        tokens += document.tokens
    return {
        "spans": spans,
        "gold": gold,
        "tokens": tokens,
        "false": false,
        "precision": true / spans if spans else 0.0,
        "recall": found / gold if gold else 0.0,
        "per_1000": 1000 * len(false) / tokens,
    }


def _tag_all(engine: GazetteerEngine, documents: list[Document]) -> list[list[tuple[int, int]]]:
    return [
        [(s.start, s.end) for s in engine.tag(d.text, tokenize(d.text)) if s.label == "LOC"]
        for d in documents
    ]


def _touches(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    a, b = span
    return any(x < b and a < y for x, y in others)


def bench(show_dev: int) -> None:
    if not ANERCORP.exists():
        record("ANERcorp (not beside the repository)", "skipped", "")
        return
    _, ms = timed(load_default_gazetteer)
    record("load the default gazetteer", ms / 1000, "s")
    engine = GazetteerEngine()
    for name, documents in split_documents(read_conll(ANERCORP)).items():
        tagged, ms = timed(_tag_all, engine, documents)
        result = score(documents, tagged)
        sizes = f"{len(documents):,} / {result['tokens']:,} / {result['gold']:,}"
        record(f"{name}: pseudo-articles / tokens / gold LOC entities", sizes, "")
        record(f"{name}: gazetteer LOC spans", f"{result['spans']:,}", "")
        record(f"{name}: LOC precision", f"{result['precision']:.3f}", "")
        record(f"{name}: LOC recall", f"{result['recall']:.3f}", "")
        record(f"{name}: false places per 1,000 tokens", f"{result['per_1000']:.2f}", "")
        record(f"{name}: gazetteer engine speed", result["tokens"] / ms * 1000, "tokens/s")
        if name == "dev" and show_dev:
            words = Counter(result["false"])
            print("\ndev false places (text, count):", file=sys.stderr)
            for word, n in words.most_common(show_dev):
                print(f"  {word}\t{n}", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-dev", type=int, default=0, help="print N dev false places")
    args = parser.parse_args()
    run("Newsdesk gazetteer on ANERcorp", lambda: bench(args.show_dev))
