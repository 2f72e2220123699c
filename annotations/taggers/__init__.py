"""Pre-tagging engines.

An engine is any object with `name`, `version` and `tag(text, tokens)` returning
`Suggestion`s; its constructor raises EngineUnavailable when its model or data is
missing. settings.NEWSDESK_ENGINES lists engines by dotted path, in order; an item
that is a list means "the first of these that is available" (BERT when its model is
installed, else the CRF).

Conflict rule: engines are merged in the listed order and a suggestion overlapping
one from an earlier engine is dropped, except that a later engine's place link is
attached to an earlier LOC span with exactly the same offsets (the gazetteer links
what BERT or the CRF found). Within one engine, longer suggestions win overlaps.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from ..models import Article, AuditEntry, Layer, Span
from ..text import tokenize
from .base import Engine, EngineUnavailable, Suggestion

__all__ = ["Engine", "EngineUnavailable", "Suggestion", "combine", "pretag"]

logger = logging.getLogger(__name__)


def configured_engines() -> list[Engine]:
    engines = []
    for item in settings.NEWSDESK_ENGINES:
        for path in [item] if isinstance(item, str) else item:
            try:
                engines.append(import_string(path)())
                break
            except EngineUnavailable as exc:
                logger.warning("pre-tagging engine %s unavailable: %s", path, exc)
    return engines


def combine(batches: list[list[Suggestion]]) -> list[Suggestion]:
    """Merge engines' suggestions in engine order (see the module docstring)."""
    taken: list[Suggestion] = []
    for batch in batches:
        for suggestion in sorted(batch, key=lambda s: (s.start - s.end, s.start)):
            clash = [s for s in taken if s.start < suggestion.end and suggestion.start < s.end]
            if not clash:
                taken.append(suggestion)
                continue
            same = clash[0]
            if (
                len(clash) == 1
                and (same.start, same.end, same.label) == (suggestion.start, suggestion.end, "LOC")
                and same.place_id is None
                and suggestion.place_id is not None
            ):
                taken[taken.index(same)] = replace(same, place_id=suggestion.place_id)
    return sorted(taken, key=lambda s: (s.start, s.end))


def pretag(article: Article, *, force: bool = False) -> Layer:
    """Fill the article's machine layer from the configured engines.

    Idempotent: when the layer already records the same engines and versions,
    nothing is done. A re-tag replaces only machine spans; annotators' layers are
    copies and never change here.
    """
    engines = configured_engines()
    signature = [{"name": e.name, "version": e.version} for e in engines]
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
        created = Span.objects.bulk_create(
            Span(
                layer=layer,
                start=s.start,
                end=s.end,
                label=s.label,
                confidence=s.confidence,
                origin=Span.MACHINE,
                engine=s.engine,
                place_id=s.place_id,
                link_status=Span.LINK_AUTO if s.place_id else "",
            )
            for s in suggestions
            if s.label in labels
        )
        layer.engines = signature
        layer.version += 1
        layer.save()
        # One entry per run: the machine layer's spans are replaced as a whole.
        after = {"spans": len(created), "engines": signature}
        AuditEntry.objects.create(
            layer=layer,
            object_type="layer",
            object_id=layer.pk,
            action="update",
            before=before,
            after=after,
        )
    return layer
