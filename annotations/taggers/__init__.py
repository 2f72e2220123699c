"""Pre-tagging engines.

An engine is any object with `name`, `version` and `tag(text, tokens)` returning
`Suggestion`s; its constructor raises EngineUnavailable when its model or data is
missing. settings.NEWSDESK_ENGINES lists engines by dotted path, in order; an item
that is a list means "the first of these that is available" (BERT when its model is
installed, else the CRF).

Conflict rule: engines are merged in the listed order and a suggestion overlapping
one from an earlier engine is dropped; within one engine, longer suggestions win.
Every LOC span is then linked to its best-ranked place (gazetteer.link_mentions),
whichever engine found it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from .. import events
from ..gazetteer import Ranked, link_mentions
from ..models import Article, AuditEntry, Layer, Span
from ..text import tokenize
from .base import Engine, EngineUnavailable, Suggestion

__all__ = ["Engine", "EngineUnavailable", "Suggestion", "combine", "pretag"]

logger = logging.getLogger(__name__)
_warned: set[tuple[str, str]] = set()


def configured_engines() -> list[Engine]:
    engines = []
    for item in settings.NEWSDESK_ENGINES:
        for path in [item] if isinstance(item, str) else item:
            try:
                engines.append(import_string(path)())
                break
            except EngineUnavailable as exc:
                if (path, str(exc)) not in _warned:  # once per process, not per article
                    _warned.add((path, str(exc)))
                    logger.warning("pre-tagging engine %s unavailable: %s", path, exc)
    return engines


def combine(batches: list[list[Suggestion]]) -> list[Suggestion]:
    """Merge engines' suggestions in engine order (see the module docstring)."""
    taken: list[Suggestion] = []
    for batch in batches:
        for suggestion in sorted(batch, key=lambda s: (s.start - s.end, s.start)):
            if not any(s.start < suggestion.end and suggestion.start < s.end for s in taken):
                taken.append(suggestion)
    return sorted(taken, key=lambda s: (s.start, s.end))


def pretag(article: Article, *, force: bool = False) -> Layer:
    """Fill the article's machine layer from the configured engines.

    Idempotent: when the layer already records the same engines and versions,
    nothing is done. A re-tag replaces only machine spans; annotators' layers are
    copies and never change here.
    """
    engines = configured_engines()
    signature = [{"name": e.name, "version": e.version} for e in engines]
    signature.append({"name": "events", "version": events.VERSION})
    with transaction.atomic():
        layer, _ = Layer.objects.select_for_update().get_or_create(
            article=article, kind=Layer.MACHINE
        )
        if layer.engines == signature and not force:
            return layer
        if layer.engines and not force and article.layers.exclude(kind=Layer.MACHINE).exists():
            # Someone started on the machine spans: replacing them would cut their
            # copies loose from what they were derived from (correction statistics).
            return layer
        tokens = tokenize(article.body)
        labels = set(article.corpus.labels)
        suggestions = combine([e.tag(article.body, tokens) for e in engines])
        before = {"spans": layer.spans.count(), "engines": layer.engines}
        layer.spans.all().delete()
        kept = [s for s in suggestions if s.label in labels]
        created = Span.objects.bulk_create(
            machine_span(layer, s, link) for s, link in linked(article.body, kept)
        )
        stored = events.store(layer, events.precode(article, created))
        layer.engines = signature
        layer.version += 1
        layer.save()
        # One entry per run: the machine layer's spans are replaced as a whole.
        after = {"spans": len(created), "events": len(stored), "engines": signature}
        AuditEntry.objects.create(
            article=article,
            layer=layer,
            object_type="layer",
            object_id=layer.pk,
            action="update",
            before=before,
            after=after,
        )
    return layer


def linked(text: str, suggestions: list[Suggestion]) -> list[tuple[Suggestion, Ranked | None]]:
    locations = [i for i, s in enumerate(suggestions) if s.label == "LOC"]
    links = link_mentions(text, [(suggestions[i].start, suggestions[i].end) for i in locations])
    chosen: dict[int, Ranked | None] = dict(zip(locations, links, strict=True))
    return [(s, chosen.get(i)) for i, s in enumerate(suggestions)]


def machine_span(layer: Layer, suggestion: Suggestion, link: Ranked | None) -> Span:
    return Span(
        layer=layer,
        start=suggestion.start,
        end=suggestion.end,
        label=suggestion.label,
        confidence=suggestion.confidence,
        origin=Span.MACHINE,
        engine=suggestion.engine,
        place_id=link.candidate.place_id if link else None,
        link_status=Span.LINK_AUTO if link else "",
        link_score=link.score if link else None,
        geo_precision=link.geo_precision if link else None,
    )
