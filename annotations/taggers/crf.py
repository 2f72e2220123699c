"""A trainable CRF named-entity tagger (PERS, LOC, ORG, MISC in BIO) built on crfsuite.

A model is a directory:
    model.crfsuite  the crfsuite weights
    lexicon.json    the training-derived lexicon (see features.Lexicon)
    settings.json   feature settings and training parameters
    metrics.json    what `train` measured (sizes, time)

The package `annotations.taggers` imports Django models, so callers outside Django
(bench scripts) call django.setup() first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import pycrfsuite

from ..conll import entities
from ..text import Token, sentences
from .base import EngineUnavailable, Suggestion
from .features import FeatureExtractor, FeatureSettings, Lexicon

__all__ = ["CRFEngine", "CRFTagger", "active_model_dir", "train"]

MODEL_FILE = "model.crfsuite"
LEXICON_FILE = "lexicon.json"
SETTINGS_FILE = "settings.json"
METRICS_FILE = "metrics.json"

# Chosen by 5-fold contiguous cross-validation on ANERcorp (bench/crf_cv.py).
DEFAULT_PARAMS: dict = {
    "algorithm": "lbfgs",
    "c1": 0.05,
    "c2": 0.01,
    "max_iterations": 150,
    "feature.possible_transitions": True,
}
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


def train(
    sentences: Sequence[Sentence],
    out_dir: str | Path,
    params: dict | None = None,
    settings: FeatureSettings | None = None,
) -> dict:
    """Train on labelled sentences, write the model directory, return its metrics."""
    settings = settings or FeatureSettings()
    params = {**DEFAULT_PARAMS, **(params or {})}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    trainer = pycrfsuite.Trainer(algorithm=params["algorithm"], verbose=False)
    trainer.set_params({k: v for k, v in params.items() if k != "algorithm"})
    for xseq, yseq in training_items(sentences, settings):
        trainer.append(xseq, yseq)
    trainer.train(str(out / MODEL_FILE))
    lexicon = Lexicon.build(sentences)
    _write_json(out / LEXICON_FILE, lexicon.to_dict())
    _write_json(out / SETTINGS_FILE, {"features": settings.to_dict(), "params": params})
    metrics = {
        "sentences": len(sentences),
        "tokens": sum(map(len, sentences)),
        "train_seconds": round(time.perf_counter() - started, 2),
        "iterations": len(trainer.logparser.iterations),
    }
    _write_json(out / METRICS_FILE, metrics)
    return metrics


def training_items(
    sentences: Sequence[Sentence], settings: FeatureSettings
) -> Iterable[tuple[list[list[str]], list[str]]]:
    """Features and labels of each sentence, lexicon features cross-fitted by part."""
    for start, end in _contiguous_parts(len(sentences), CROSS_FIT_PARTS):
        others = [*sentences[:start], *sentences[end:]]
        lexicon = Lexicon.build(others) if settings.lexicon or settings.phrases else None
        extractor = FeatureExtractor(settings, lexicon)
        for document in pseudo_documents(sentences[start:end]):
            xseqs = extractor.document([[token for token, _ in s] for s in document])
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
        self, model_dir: Path, extractor: FeatureExtractor, tagger: pycrfsuite.Tagger
    ) -> None:
        self.model_dir = model_dir
        self.extractor = extractor
        self._tagger = tagger

    @classmethod
    def load(cls, model_dir: str | Path, places: Iterable[str] | None = None) -> CRFTagger:
        """Open a model directory; `places` are extra place match keys for the gazetteer."""
        model_dir = Path(model_dir)
        stored = json.loads((model_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
        settings = FeatureSettings.from_dict(stored["features"])
        lexicon_data = json.loads((model_dir / LEXICON_FILE).read_text(encoding="utf-8"))
        extractor = FeatureExtractor(settings, Lexicon.from_dict(lexicon_data), places)
        tagger = pycrfsuite.Tagger()
        tagger.open(str(model_dir / MODEL_FILE))
        return cls(model_dir, extractor, tagger)

    def tag_tokens(self, tokens: Sequence[str]) -> list[tuple[str, float]]:
        return self._tag_items(self.extractor.sentence(tokens)) if tokens else []

    def tag_sentences(self, batch: Sequence[Sequence[str]]) -> list[list[str]]:
        """Labels only (no marginals) of the sentences of one document, for evaluation."""
        return [self._tagger.tag(xseq) for xseq in self.extractor.document(batch)]

    def tag_document(self, batch: Sequence[Sequence[str]]) -> list[list[tuple[str, float]]]:
        """`tag_tokens` for each sentence of one document, sharing document evidence."""
        return [self._tag_items(xseq) for xseq in self.extractor.document(batch)]

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
