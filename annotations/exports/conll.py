"""CoNLL-2003-style BIO: one `token<TAB>TAG` line per token, a blank line between sentences.

Tokens come from the project tokenizer (annotations.text.tokenize), so they are the
annotators' tokens. A token is inside a span when they share a character: a span that
starts after a proclitic (ومسكنة → مسكنة) tags the whole token.

Each document (one exported layer of an article) starts with comment lines,
`# article = 12`, `# layer = gold` (or `annotator:alice`), then one
`# dropped = …` line for every span that could not be written, and a blank line. BIO cannot nest or
overlap, so where spans share a token the longest one is kept (then the earliest, then
by label) and each other is dropped and reported: in these comments, on stderr by
`manage.py export`, and in `conll_dropped.txt` of the bundle. Comment lines start with
"# " and never contain a tab; a token line always has exactly one tab, so a "#" token
("#\tO") is not mistaken for a comment.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..text import sentences, tokenize
from . import Selection, chunks, layer_name


@dataclass(frozen=True)
class Dropped:
    article: int
    layer: str
    start: int
    end: int
    label: str
    text: str
    reason: str

    def __str__(self) -> str:
        return (
            f"article {self.article} {self.layer}: dropped {self.label} "
            f"[{self.start}:{self.end}] {self.text!r}: {self.reason}"
        )


def write(selection: Selection, on_drop: Callable[[Dropped], None] | None = None) -> Iterator[str]:
    for chunk in chunks(selection):
        yield "".join([document(record, on_drop) for record in chunk])


def document(record: dict[str, Any], on_drop: Callable[[Dropped], None] | None = None) -> str:
    text = record["text"]
    tokens = tokenize(text)
    tags, dropped = bio_tags(record, tokens)
    lines = [f"# article = {record['id']}\n", f"# layer = {layer_name(record)}\n"]
    for drop in dropped:
        lines.append(_comment(f"# dropped = {drop.label} {drop.start} {drop.end}: {drop.reason}"))
        if on_drop:
            on_drop(drop)
    lines.append("\n")
    breaks = {_first_token(tokens, start) for start, _ in sentences(text)}
    for i, token in enumerate(tokens):
        # A new sentence, unless a kept span runs across the sentence break.
        if i and i in breaks and not tags[i].startswith("I-"):
            lines.append("\n")
        lines.append(f"{token.text}\t{tags[i]}\n")
    lines.append("\n")
    return "".join(lines)


def bio_tags(record: dict[str, Any], tokens: list) -> tuple[list[str], list[Dropped]]:
    """BIO tags for `tokens` and the spans that did not fit, longest spans first."""
    starts = [t.start for t in tokens]
    ends = [t.end for t in tokens]
    owner: list[dict | None] = [None] * len(tokens)
    tags = ["O"] * len(tokens)
    dropped = []
    spans = sorted(record["spans"], key=lambda s: (s["start"] - s["end"], s["start"], s["label"]))
    for span in spans:
        first = bisect.bisect_right(ends, span["start"])
        last = bisect.bisect_left(starts, span["end"])  # exclusive
        taken = next((owner[i] for i in range(first, last) if owner[i]), None)
        if first >= last or taken:
            reason = "covers no token" if first >= last else "overlaps " + _name(taken)
            dropped.append(_dropped(record, span, reason))
            continue
        for i in range(first, last):
            owner[i] = span
            tags[i] = ("B-" if i == first else "I-") + span["label"]
    dropped.sort(key=lambda d: (d.start, d.end, d.label))
    return tags, dropped


def _first_token(tokens: list, offset: int) -> int:
    return bisect.bisect_left(tokens, offset, key=lambda t: t.start)


def _name(span: dict[str, Any]) -> str:
    return f"{span['label']} {span['start']} {span['end']}"


def _dropped(record: dict[str, Any], span: dict[str, Any], reason: str) -> Dropped:
    return Dropped(
        record["id"],
        layer_name(record),
        span["start"],
        span["end"],
        span["label"],
        span["text"],
        reason,
    )


def _comment(text: str) -> str:
    return " ".join(text.split()) + "\n"
