"""The learning loop: train the CRF on CoNLL files and approved annotations, register the
model, and re-pre-tag the articles nobody has started.

A training run is a TaggerModel row from the moment it is queued: its metrics["progress"]
says how far it got (see `Progress`), and the tagger page polls it. The row becomes a usable
model when training ends; until then no engine loads it (it is not active).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .conll import evaluate, read_conll
from .models import Article, Layer, TaggerModel
from .taggers.crf import CRFTagger, pseudo_documents, sentence_windows, train
from .text import tokenize

# A run's phases, in order; the last two are final.
QUEUED, READING, FEATURES, TRAINING, RETAGGING, DONE, FAILED = (
    "queued",
    "reading",
    "features",
    "training",
    "retagging",
    "done",
    "failed",
)
UNDER_WAY = (QUEUED, READING, FEATURES, TRAINING, RETAGGING)
# A run under way that has not reported for this long lost its worker for good (a killed
# worker's task is queued again by recover_tasks, and reports again when it runs).
STALE_AFTER = timedelta(hours=1)

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


def training_sentences(
    conll_paths: Sequence[str | Path], from_annotations: bool, progress: Progress | None = None
) -> list[Sentence]:
    sentences: list[Sentence] = []
    for path in conll_paths:
        sentences.extend(read_conll(path))
        if progress:
            progress(READING, sentences=len(sentences))
    if from_annotations:
        for layer in approved_layers():
            sentences.extend(layer_sentences(layer))
    if progress:
        progress(READING, sentences=len(sentences), force=True)
    return sentences


class Progress:
    """A training run's progress, written to its row's metrics["progress"].

    Called as progress(phase, **numbers): at most one write a second (crfsuite reports
    every iteration), except with force=True and when the phase changes. While training,
    it keeps an estimate of the seconds left from the pace of the iterations so far.
    """

    EVERY = 1.0  # seconds between writes

    def __init__(self, run: TaggerModel) -> None:
        self.run = run
        self.state: dict = dict(run.metrics.get("progress", {}))
        self._written = 0.0
        self._pace: tuple[float, int] | None = None  # (when, iteration) of the first report

    def __call__(self, phase: str, *, force: bool = False, **numbers: int | str) -> None:
        now = time.monotonic()
        changed = phase != self.state.get("phase")
        if changed and phase not in (FEATURES, TRAINING):
            # Training starts over (a run queued again) or has ended: no estimate holds.
            self.state.pop("eta_seconds", None)
            if phase == READING:
                for key in ("iteration", "iterations", "model", "models", "retagged"):
                    self.state.pop(key, None)
        self.state.update(numbers, phase=phase)
        if phase == TRAINING:
            self._estimate(now)
        if force or changed or now - self._written >= self.EVERY:
            self.save()
            self._written = now

    def _estimate(self, now: float) -> None:
        done, total = int(self.state["iteration"]), int(self.state["iterations"])
        if self._pace is None:
            self._pace = (now, done)
            return
        began, first = self._pace
        if done > first:
            self.state["eta_seconds"] = round((now - began) / (done - first) * (total - done))

    def save(self) -> None:
        self.state["updated"] = timezone.now().isoformat()
        self.run.metrics = {**self.run.metrics, "progress": self.state}
        # Only this row's metrics: the row may have been activated in the admin meanwhile.
        TaggerModel.objects.filter(pk=self.run.pk).update(metrics=self.run.metrics)


def new_run(
    conll_paths: Sequence[str | Path] = (), from_annotations: bool = False, name: str | None = None
) -> TaggerModel:
    """A queued training run: the row the tagger page shows until it is a model."""
    name = name or _free_name()
    sources = {"conll": [str(p) for p in conll_paths], "from_annotations": from_annotations}
    now = timezone.now().isoformat()
    return TaggerModel.objects.create(
        name=name,
        kind="crf",
        path=str(models_dir() / name),
        metrics={"sources": sources, "progress": {"phase": QUEUED, "queued": now, "updated": now}},
    )


def _free_name() -> str:
    name = datetime.now(UTC).strftime("crf-%Y%m%d-%H%M%S")
    taken = set(TaggerModel.objects.filter(name__startswith=name).values_list("name", flat=True))
    return next(n for n in (name, *(f"{name}-{i}" for i in range(2, 1000))) if n not in taken)


def phase(run: TaggerModel) -> str:
    """A run's phase; a model trained before runs were recorded is done."""
    return run.metrics.get("progress", {}).get("phase", DONE)


def under_way(run: TaggerModel) -> bool:
    if phase(run) not in UNDER_WAY:
        return False
    updated = run.metrics["progress"].get("updated")
    return updated is None or datetime.fromisoformat(updated) > timezone.now() - STALE_AFTER


def training_under_way() -> TaggerModel | None:
    """The run queued or training now, if any (one at a time: see tasks.queue_training)."""
    recent = TaggerModel.objects.filter(kind="crf", created__gt=timezone.now() - timedelta(days=7))
    return next((run for run in recent if under_way(run)), None)


def latest_run() -> TaggerModel | None:
    return TaggerModel.objects.filter(kind="crf", metrics__has_key="progress").first()


def train_model(
    conll_paths: Sequence[str | Path] = (),
    from_annotations: bool = False,
    name: str | None = None,
    activate: bool = True,
    run: TaggerModel | None = None,
) -> TaggerModel:
    """Train a CRF, register it (into `run` when given, reporting progress there) and
    activate it. Raises ValueError when there is nothing to train on."""
    progress = Progress(run) if run else None
    if progress:
        progress(READING, sentences=0, started=timezone.now().isoformat(), force=True)
    sentences = training_sentences(conll_paths, from_annotations, progress)
    if not sentences:
        raise ValueError("nothing to train on: give CoNLL files or approve some annotations")
    if run is None:
        run = new_run(conll_paths, from_annotations, name)
    metrics = train(sentences, run.path, progress=progress or _quiet)
    metrics["sources"] = {
        **run.metrics.get("sources", {}),
        "conll": [str(p) for p in conll_paths],
        "approved_layers": len(list(approved_layers())) if from_annotations else 0,
    }
    if progress:
        progress.state["iteration"] = progress.state.get("iterations", 0)
        progress.state.pop("eta_seconds", None)
        metrics["progress"] = progress.state
    run.metrics = {**run.metrics, **metrics}
    TaggerModel.objects.filter(pk=run.pk).update(metrics=run.metrics)
    if activate:
        run.activate()
    return run


def _quiet(phase: str, **numbers: int) -> None:
    pass


def retag_unstarted(run: TaggerModel | None = None) -> int:
    """Pre-tag again the articles nobody has started (with the model now active); how many.

    pretag() itself leaves an article alone once someone has started it, and does nothing
    where the machine layer already has these engines."""
    from .taggers import pretag

    ids = list(unstarted_articles().values_list("id", flat=True))
    progress = Progress(run) if run else None
    for done, article_id in enumerate(ids):
        if progress:
            progress(RETAGGING, articles=len(ids), retagged=done)
        article = Article.objects.select_related("corpus").filter(pk=article_id).first()
        if article is not None:
            pretag(article)
    if progress:
        progress(DONE, articles=len(ids), retagged=len(ids), finished=_now(), force=True)
    return len(ids)


def fail(run: TaggerModel, reason: str) -> None:
    progress = Progress(TaggerModel.objects.get(pk=run.pk))
    progress(FAILED, reason=reason[:500], finished=_now(), force=True)


def _now() -> str:
    return timezone.now().isoformat()


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


def run_status(run: TaggerModel | None) -> dict:
    """What the tagger page shows of a training run (`latest_run`), and whether to poll."""
    if run is None:
        return {"run": None, "polling": False}
    progress = run.metrics.get("progress", {})
    going = phase(run) in UNDER_WAY
    stale = going and not under_way(run)
    iterations = progress.get("iterations") or 0
    eta = progress.get("eta_seconds")
    return {
        "run": run,
        "phase": phase(run),
        "progress": progress,
        "stale": stale,
        "polling": going and not stale,
        "percent": round(100 * progress.get("iteration", 0) / iterations) if iterations else 0,
        # Whole minutes, rounded up: "about 1 minute left" until it is done.
        "eta_minutes": -(-eta // 60) if eta else None,
        "f1": run.metrics.get("cv_first_pass", {}).get("f1"),
        "updated": datetime.fromisoformat(progress["updated"]) if "updated" in progress else None,
    }
