"""A trainable CRF named-entity tagger (PERS, LOC, ORG, MISC in BIO) built on crfsuite.

A model is a directory:
    model.crfsuite  the crfsuite weights
    stage1.crfsuite the first-pass CRF whose labels feed model.crfsuite (with stacking)
    lexicon.json    the training-derived lexicon (see features.Lexicon)
    clusters.json   word classes learned from the training text (with settings.clusters)
    settings.json   feature settings and training parameters
    metrics.json    what `train` measured (sizes, time)

The package `annotations.taggers` imports Django models, so callers outside Django
(bench scripts) call django.setup() first.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import pycrfsuite

from ..conll import entities, evaluate
from ..text import Token, sentences
from .base import EngineUnavailable, Suggestion
from .features import (
    FeatureExtractor,
    FeatureSettings,
    Lexicon,
    stacked_features,
    word_clusters,
)

__all__ = ["CRFEngine", "CRFTagger", "active_model_dir", "train"]

MODEL_FILE = "model.crfsuite"
STAGE1_FILE = "stage1.crfsuite"
LEXICON_FILE = "lexicon.json"
CLUSTERS_FILE = "clusters.json"
SETTINGS_FILE = "settings.json"
METRICS_FILE = "metrics.json"

# Chosen by 5-fold contiguous cross-validation on ANERcorp (bench/crf_cv.py).
DEFAULT_PARAMS: dict = {
    "algorithm": "lbfgs",
    "c1": 0.05,
    "c2": 0.01,
    "max_iterations": 150,
    "feature.possible_transitions": True,
    # The first pass of stacking (FeatureSettings.stacking) trains CROSS_FIT_PARTS + 1
    # models; fewer iterations keep the whole under the training budget.
    "stage1_iterations": 80,
}
STAGE1_PARAM = "stage1_iterations"
# The lexicon of a training sentence comes from the other parts of the training data;
# a lexicon that has seen the sentence would teach the CRF to trust it blindly.
CROSS_FIT_PARTS = 5
# ANERcorp has no article boundaries; runs of this many sentences stand in for articles.
DOCUMENT_SENTENCES = 10

Sentence = Sequence[tuple[str, str]]


def active_model_dir() -> Path | None:
    """The model chosen in the admin (TaggerModel.active), if any."""
    from ..models import TaggerModel

    model = TaggerModel.objects.active()
    return Path(model.path) if model else None


# --- Training ------------------------------------------------------------------------------


# progress(phase, **numbers): called while training, for a progress display (see learning).
Progress = Callable[..., None]


def _no_progress(phase: str, **numbers: int) -> None:
    pass


def train(
    sentences: Sequence[Sentence],
    out_dir: str | Path,
    params: dict | None = None,
    settings: FeatureSettings | None = None,
    progress: Progress = _no_progress,
) -> dict:
    """Train on labelled sentences, write the model directory, return its metrics.

    `progress` hears of each crfsuite model started ("features": its features are being
    built) and of each optimisation iteration ("training": iteration of iterations, counted
    over every model this training fits).
    """
    settings = settings or FeatureSettings()
    params = {**DEFAULT_PARAMS, **(params or {})}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counter = _IterationCounter(_planned_iterations(len(sentences), settings, params), progress)
    clusters = None
    metrics: dict = {}
    if settings.clusters:
        clusters = word_clusters([[token for token, _ in s] for s in sentences])
        _write_json(out / CLUSTERS_FILE, clusters)
    if settings.stacking:
        first = replace(settings, stacking=False)
        first_params = {**params, "max_iterations": params[STAGE1_PARAM]}
        labels = _out_of_fold_labels(sentences, first, first_params, clusters, counter)
        # Each sentence labelled by a first pass that never saw it: a cross-validated
        # score that costs nothing more (the final, stacked model does a little better).
        metrics["cv_first_pass"] = evaluate([[tag for _, tag in s] for s in sentences], labels)[
            "micro"
        ]
        _train_model(
            training_items(sentences, first, clusters=clusters),
            out / STAGE1_FILE,
            first_params,
            counter,
        )
        items = training_items(sentences, settings, labels, clusters)
    else:
        items = training_items(sentences, settings, clusters=clusters)
    iterations = _train_model(items, out / MODEL_FILE, params, counter)
    lexicon = Lexicon.build(sentences)
    _write_json(out / LEXICON_FILE, lexicon.to_dict())
    _write_json(out / SETTINGS_FILE, {"features": settings.to_dict(), "params": params})
    metrics = {
        "sentences": len(sentences),
        "tokens": sum(map(len, sentences)),
        "train_seconds": round(time.perf_counter() - started, 2),
        "iterations": iterations,
        **metrics,
    }
    _write_json(out / METRICS_FILE, metrics)
    return metrics


def _planned_iterations(count: int, settings: FeatureSettings, params: dict) -> list[int]:
    """The most iterations of each crfsuite model `train` fits, in order."""
    if not settings.stacking:
        return [params["max_iterations"]]
    folds = len(_contiguous_parts(count, CROSS_FIT_PARTS))
    return [params[STAGE1_PARAM]] * (folds + 1) + [params["max_iterations"]]


class _IterationCounter:
    """Counts optimisation iterations over the models of one training, for `progress`.

    A model that converges early counts as all its planned iterations once it is done, so
    the count never runs past the total."""

    def __init__(self, planned: list[int], progress: Progress) -> None:
        self.planned, self.progress = planned, progress
        self.model = 0  # models finished
        self.done = 0  # iterations of the finished models

    def start_model(self) -> None:
        self.progress(
            "features",
            model=self.model + 1,
            models=len(self.planned),
            iteration=self.done,
            iterations=self.total,
        )

    def iteration(self, number: int) -> None:
        self.progress(
            "training",
            iteration=min(self.done + number, self.total),
            iterations=self.total,
            model=self.model + 1,
            models=len(self.planned),
        )

    def end_model(self) -> None:
        self.done += self.planned[min(self.model, len(self.planned) - 1)]
        self.model += 1

    @property
    def total(self) -> int:
        return sum(self.planned)


class _Trainer(pycrfsuite.Trainer):
    """crfsuite's trainer, telling a counter of each iteration instead of printing its log."""

    def __init__(self, algorithm: str, counter: _IterationCounter | None) -> None:
        # verbose: crfsuite's log is parsed only then; the on_* methods below say what to do.
        super().__init__(algorithm=algorithm, verbose=counter is not None)
        self.counter = counter

    def on_iteration(self, log: str, info: dict) -> None:
        if self.counter is not None:
            self.counter.iteration(info["num"])

    def on_start(self, log: str) -> None: ...
    def on_featgen_progress(self, log: str, percent: float) -> None: ...
    def on_featgen_end(self, log: str) -> None: ...
    def on_prepared(self, log: str) -> None: ...
    def on_prepare_error(self, log: str) -> None: ...
    def on_optimization_end(self, log: str) -> None: ...
    def on_end(self, log: str) -> None: ...


def _train_model(
    items: Iterable, path: Path, params: dict, counter: _IterationCounter | None = None
) -> int:
    """Train one crfsuite model on (xseq, yseq) items; the number of iterations run."""
    if counter is not None:
        counter.start_model()
    trainer = _Trainer(params["algorithm"], counter)
    trainer.set_params({k: v for k, v in params.items() if k not in ("algorithm", STAGE1_PARAM)})
    for xseq, yseq in items:
        trainer.append(xseq, yseq)
    trainer.train(str(path))
    if counter is not None:
        counter.end_model()
    return len(trainer.logparser.iterations)


def _out_of_fold_labels(
    sentences: Sequence[Sentence],
    settings: FeatureSettings,
    params: dict,
    clusters: dict[str, str] | None = None,
    counter: _IterationCounter | None = None,
) -> list[list[str]]:
    """First-pass labels of every sentence from a model trained on the other parts."""
    labels: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / MODEL_FILE
        for start, end in _contiguous_parts(len(sentences), CROSS_FIT_PARTS):
            others = [*sentences[:start], *sentences[end:]]
            _train_model(training_items(others, settings, clusters=clusters), path, params, counter)
            tagger = pycrfsuite.Tagger()
            tagger.open(str(path))
            extractor = FeatureExtractor(settings, Lexicon.build(others), clusters=clusters)
            for document in pseudo_documents(sentences[start:end]):
                xseqs = extractor.document([[token for token, _ in s] for s in document])
                labels += [tagger.tag(xseq) for xseq in xseqs]
            tagger.close()
    return labels


def training_items(
    sentences: Sequence[Sentence],
    settings: FeatureSettings,
    first_labels: Sequence[Sequence[str]] | None = None,
    clusters: dict[str, str] | None = None,
) -> Iterable[tuple[list[list[str]], list[str]]]:
    """Features and labels of each sentence, lexicon features cross-fitted by part.

    With `first_labels` (out-of-fold first-pass labels, one list per sentence), the
    stacking features built from them are added.
    """
    for start, end in _contiguous_parts(len(sentences), CROSS_FIT_PARTS):
        others = [*sentences[:start], *sentences[end:]]
        lexicon = Lexicon.build(others) if settings.lexicon or settings.phrases else None
        extractor = FeatureExtractor(settings, lexicon, clusters=clusters)
        for offset in range(start, end, DOCUMENT_SENTENCES):
            document = sentences[offset : min(offset + DOCUMENT_SENTENCES, end)]
            tokens = [[token for token, _ in s] for s in document]
            xseqs = extractor.document(tokens)
            if first_labels is not None:
                predicted = first_labels[offset : offset + len(document)]
                extra = stacked_features(tokens, predicted)
                xseqs = [
                    [a + b for a, b in zip(x, e, strict=True)]
                    for x, e in zip(xseqs, extra, strict=True)
                ]
            for xseq, sentence in zip(xseqs, document, strict=True):
                yield xseq, [tag for _, tag in sentence]


def pseudo_documents(sentences: Sequence, size: int = DOCUMENT_SENTENCES) -> list[Sequence]:
    """Consecutive runs of sentences standing in for articles in a corpus without them."""
    return [sentences[i : i + size] for i in range(0, len(sentences), size)]


def _contiguous_parts(count: int, parts: int) -> list[tuple[int, int]]:
    bounds = [count * k // parts for k in range(parts + 1)]
    return [(a, b) for a, b in pairwise(bounds) if a < b]


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


# --- Tagging -------------------------------------------------------------------------------


class CRFTagger:
    """A loaded model: token strings in, (label, marginal probability) out."""

    def __init__(
        self,
        model_dir: Path,
        extractor: FeatureExtractor,
        tagger: pycrfsuite.Tagger,
        first: pycrfsuite.Tagger | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.extractor = extractor
        self._tagger = tagger
        self._first = first  # the first pass of a stacked model

    @classmethod
    def load(cls, model_dir: str | Path, places: Iterable[str] | None = None) -> CRFTagger:
        """Open a model directory; `places` are extra place match keys for the gazetteer."""
        model_dir = Path(model_dir)
        stored = json.loads((model_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
        settings = FeatureSettings.from_dict(stored["features"])
        if "stacking" not in stored["features"]:  # trained before stacking existed
            settings = replace(settings, stacking=False)
        lexicon_data = json.loads((model_dir / LEXICON_FILE).read_text(encoding="utf-8"))
        clusters = None
        if settings.clusters:
            clusters = json.loads((model_dir / CLUSTERS_FILE).read_text(encoding="utf-8"))
        extractor = FeatureExtractor(settings, Lexicon.from_dict(lexicon_data), places, clusters)
        tagger = pycrfsuite.Tagger()
        tagger.open(str(model_dir / MODEL_FILE))
        first = None
        if settings.stacking:
            first = pycrfsuite.Tagger()
            first.open(str(model_dir / STAGE1_FILE))
        return cls(model_dir, extractor, tagger, first)

    def tag_tokens(self, tokens: Sequence[str]) -> list[tuple[str, float]]:
        return self.tag_document([tokens])[0] if tokens else []

    def tag_sentences(self, batch: Sequence[Sequence[str]]) -> list[list[str]]:
        """Labels only (no marginals) of the sentences of one document, for evaluation."""
        return [self._tagger.tag(xseq) if xseq else [] for xseq in self._items(batch)]

    def tag_document(self, batch: Sequence[Sequence[str]]) -> list[list[tuple[str, float]]]:
        """`tag_tokens` for each sentence of one document, sharing document evidence."""
        return [self._tag_items(xseq) for xseq in self._items(batch)]

    def _items(self, batch: Sequence[Sequence[str]]) -> list[list[list[str]]]:
        xseqs = self.extractor.document(batch)
        if self._first is None:
            return xseqs
        first = self._first
        labels = [first.tag(xseq) if xseq else [] for xseq in xseqs]
        extra = stacked_features(batch, labels)
        return [
            [a + b for a, b in zip(x, e, strict=True)] for x, e in zip(xseqs, extra, strict=True)
        ]

    def _tag_items(self, xseq: list[list[str]]) -> list[tuple[str, float]]:
        if not xseq:
            return []
        self._tagger.set(xseq)
        labels = self._tagger.tag()
        return [(label, self._tagger.marginal(label, i)) for i, label in enumerate(labels)]


# --- Engine --------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load_cached(model_dir: Path) -> CRFTagger:
    # One load per model per process: pre-tagging builds engines for every article.
    return CRFTagger.load(model_dir)


class CRFEngine:
    """Pre-tagging engine over a trained model (the active one unless a directory is given)."""

    name = "crf"

    def __init__(self, model_dir: str | Path | None = None) -> None:
        chosen = model_dir if model_dir is not None else active_model_dir()
        if chosen is None or not (Path(chosen) / MODEL_FILE).exists():
            raise EngineUnavailable(
                "no active CRF model; train one with "
                "`manage.py train_tagger --conll FILE` or choose one in the admin"
            )
        self.model_dir = Path(chosen)
        self.tagger = _load_cached(self.model_dir)

    @property
    def version(self) -> str:
        return self.model_dir.name

    def tag(self, text: str, tokens: list[Token]) -> list[Suggestion]:
        tagger = self.tagger
        found = []
        windows = sentence_windows(text, tokens)
        batch = tagger.tag_document([[token.text for token in window] for window in windows])
        for window, tagged in zip(windows, batch, strict=True):
            for start, end, label in sorted(entities([tag for tag, _ in tagged])):
                confidence = sum(p for _, p in tagged[start:end]) / (end - start)
                found.append(
                    Suggestion(
                        window[start].start, window[end - 1].end, label, confidence, self.name
                    )
                )
        return found


def sentence_windows(text: str, tokens: Sequence[Token]) -> list[list[Token]]:
    """The tokens grouped by the sentence (text.sentences) they start in."""
    windows: list[list[Token]] = []
    spans = iter(sentences(text))
    span_end = -1
    for token in tokens:
        if token.start >= span_end:
            span_end = next((end for _, end in spans if end > token.start), len(text) + 1)
            windows.append([])
        windows[-1].append(token)
    return windows
