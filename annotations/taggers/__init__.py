"""Pre-tagging engines.

An engine is any object with `name`, `version` and `tag(text, tokens)` returning
`Suggestion`s. Engines are listed by dotted path in settings.NEWSDESK_ENGINES and
run in that order. Conflict rule: a suggestion that overlaps one from an earlier
engine is dropped, so list the most trusted engine first. Within one engine,
overlapping suggestions are resolved longest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from ..models import Article, AuditEntry, Layer, Span
from ..text import Token, tokenize


@dataclass(frozen=True, slots=True)
class Suggestion:
    start: int
    end: int
    label: str
    confidence: float
    engine: str
    place_id: int | None = None


class Engine(Protocol):
    name: str

    @property
    def version(self) -> str: ...

    def tag(self, text: str, tokens: list[Token]) -> list[Suggestion]: ...


def configured_engines() -> list[Engine]:
    return [import_string(path)() for path in settings.NEWSDESK_ENGINES]


def combine(batches: list[list[Suggestion]]) -> list[Suggestion]:
    """Merge engines' suggestions in engine order; earlier engines win overlaps."""
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
    with transaction.atomic():
        layer, _ = Layer.objects.select_for_update().get_or_create(
            article=article, kind=Layer.MACHINE
        )
        if layer.engines == signature and not force:
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
