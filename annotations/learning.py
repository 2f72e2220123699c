"""The learning loop: train the CRF on CoNLL files and approved annotations, register the
model, and re-pre-tag the articles nobody has started."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from .conll import evaluate, read_conll
from .models import Article, Layer, TaggerModel
from .taggers.crf import CRFTagger, pseudo_documents, sentence_windows, train
from .text import tokenize

Sentence = list[tuple[str, str]]


def models_dir() -> Path:
    return Path(settings.VAR_DIR) / "models"


def layer_sentences(layer: Layer) -> list[Sentence]:
    """The layer's spans as BIO-labelled sentences of the project's tokens.

    A span labels every token it touches (ANERcorp keeps proclitics on the token
    too: وإسرائيل is B-LOC). Where spans overlap, the first one wins.
    """
    body = layer.article.body
    tokens = tokenize(body)
    labels = ["O"] * len(tokens)
    for span in layer.spans.order_by("start", "-end"):
        covered = [t.index for t in tokens if t.start < span.end and span.start < t.end]
        if not covered or any(labels[i] != "O" for i in covered):
            continue
        labels[covered[0]] = f"B-{span.label}"
        for i in covered[1:]:
            labels[i] = f"I-{span.label}"
    return [
        [(t.text, labels[t.index]) for t in window] for window in sentence_windows(body, tokens)
    ]


def approved_layers() -> Iterable[Layer]:
    """Gold layers, and approved annotator layers of articles without an approved gold layer."""
    gold = Layer.objects.filter(kind=Layer.GOLD, state=Layer.APPROVED)
    has_gold = Exists(gold.filter(article=OuterRef("article")))
    annotators = Layer.objects.filter(kind=Layer.ANNOTATOR, state=Layer.APPROVED).exclude(has_gold)
    return (gold | annotators).select_related("article").order_by("article_id", "id")


def training_sentences(conll_paths: Sequence[str | Path], from_annotations: bool) -> list[Sentence]:
    sentences: list[Sentence] = []
    for path in conll_paths:
        sentences.extend(read_conll(path))
    if from_annotations:
        for layer in approved_layers():
            sentences.extend(layer_sentences(layer))
    return sentences


def train_model(
    conll_paths: Sequence[str | Path] = (),
    from_annotations: bool = False,
    name: str | None = None,
    activate: bool = True,
) -> TaggerModel:
    sentences = training_sentences(conll_paths, from_annotations)
    if not sentences:
        raise ValueError("nothing to train on: give CoNLL files or approve some annotations")
    name = name or datetime.now(UTC).strftime("crf-%Y%m%d-%H%M%S")
    out = models_dir() / name
    metrics = train(sentences, out)
    metrics["sources"] = {
        "conll": [str(p) for p in conll_paths],
        "approved_layers": len(list(approved_layers())) if from_annotations else 0,
    }
    model = TaggerModel.objects.create(name=name, kind="crf", path=str(out), metrics=metrics)
    if activate:
        model.activate()
    return model


def evaluate_model(model_dir: str | Path, conll_path: str | Path) -> dict:
    gold = read_conll(conll_path)
    tagger = CRFTagger.load(model_dir)
    predicted = []
    # The file has no article boundaries: runs of sentences stand in for articles, as
    # in training, so document features see as much context as they did there.
    for document in pseudo_documents(gold):
        predicted.extend(tagger.tag_sentences([[token for token, _ in s] for s in document]))
    return evaluate([[tag for _, tag in s] for s in gold], predicted)


def unstarted_articles() -> Iterable[Article]:
    """Articles no annotator has opened: re-tagging them cuts nobody's work loose."""
    started = Layer.objects.filter(~Q(kind=Layer.MACHINE), article=OuterRef("pk"))
    return Article.objects.exclude(Exists(started))
