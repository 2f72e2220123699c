"""Pre-tagging engines scored on CoNLL data, combined as pre-tagging combines them.

CoNLL sentences become text: runs of DOCUMENT_SENTENCES sentences stand in for articles
(as in CRF training), a sentence a line, its tokens joined by spaces. The engines tag that
text with their own tokenization, `combine` merges them in the given order (proclitics
trimmed), and each span labels every CoNLL token it touches: ANERcorp keeps proclitics
inside its tokens (وإسرائيل is one B-LOC token) while a span starts after them. Scores
are exact entity spans over the CoNLL tokens (`conll.evaluate`), like the CRF's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..conll import evaluate
from ..text import tokenize
from . import combine
from .base import Engine, Suggestion
from .crf import DOCUMENT_SENTENCES, pseudo_documents

Sentence = Sequence[tuple[str, str]]


@dataclass
class Document:
    text: str
    bounds: list[list[tuple[int, int]]]  # per sentence, each CoNLL token's (start, end)


def as_document(sentences: Sequence[Sentence]) -> Document:
    lines, bounds, offset = [], [], 0
    for sentence in sentences:
        spans, position = [], offset
        for word, _ in sentence:
            spans.append((position, position + len(word)))
            position += len(word) + 1
        lines.append(" ".join(word for word, _ in sentence))
        bounds.append(spans)
        offset += len(lines[-1]) + 1
    return Document("\n".join(lines), bounds)


def token_labels(document: Document, suggestions: list[Suggestion]) -> list[list[str]]:
    """BIO labels of the CoNLL tokens; a span labels every token it touches, and a span
    touching a token already labelled is dropped (the merge leaves none)."""
    labels = [["O"] * len(spans) for spans in document.bounds]
    flat = [
        (i, j, a, b) for i, spans in enumerate(document.bounds) for j, (a, b) in enumerate(spans)
    ]
    for s in suggestions:
        covered = [(i, j) for i, j, a, b in flat if a < s.end and s.start < b]
        if not covered or any(labels[i][j] != "O" for i, j in covered):
            continue
        for n, (i, j) in enumerate(covered):
            labels[i][j] = f"{'I' if n else 'B'}-{s.label}"
    return labels


def evaluate_engines(engines: Sequence[Engine], sentences: Sequence[Sentence]) -> dict:
    """`conll.evaluate` of the engines' combined spans on the sentences' text."""
    predicted: list[list[str]] = []
    for run in pseudo_documents(sentences, DOCUMENT_SENTENCES):
        document = as_document(run)
        tokens = tokenize(document.text)
        found = combine([e.tag(document.text, tokens) for e in engines], document.text)
        predicted.extend(token_labels(document, found))
    return evaluate([[tag for _, tag in s] for s in sentences], predicted)
