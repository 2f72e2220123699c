"""Writing spans on a layer: validation, optimistic locking and the audit trail, in one place."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .events import copy_events
from .models import Article, Layer, Place, Span, SpanRejected, audit
from .text import match_key


def validate(article: Article, start: int, end: int, label: str) -> None:
    """Refuse offsets outside the body and labels outside the corpus label set."""
    if not 0 <= start < end <= len(article.body):
        raise SpanRejected(
            _("The span [%(start)s, %(end)s) is outside the text.")
            % {
                "start": start,
                "end": end,
            }
        )
    if label not in article.corpus.labels:
        raise SpanRejected(_("Unknown label: %(label)s.") % {"label": label})
    if not article.body[start:end].strip():
        raise SpanRejected(_("A span must cover some text."))
    if "\n" in article.body[start:end]:
        raise SpanRejected(_("A span cannot cross a paragraph break."))


def annotator_layer(article: Article, user: Any) -> Layer:
    """The user's own layer, copied from the machine layer the first time they open the article."""
    layer = article.layers.filter(kind=Layer.ANNOTATOR, annotator=user).first()
    if layer:
        return layer
    try:
        with transaction.atomic():
            layer = Layer.objects.create(article=article, kind=Layer.ANNOTATOR, annotator=user)
            machine = article.machine_layer()
            if machine:
                Span.objects.bulk_create(
                    Span(
                        layer=layer,
                        start=s.start,
                        end=s.end,
                        label=s.label,
                        confidence=s.confidence,
                        origin=Span.MACHINE,
                        engine=s.engine,
                        derived_from=s,
                        place_id=s.place_id,
                        link_status=s.link_status,
                    )
                    for s in machine.spans.all()
                )
                copy_events(machine, layer)
            return layer
    except IntegrityError:
        # Two tabs opened the article at once; the other request made the layer.
        return article.layers.get(kind=Layer.ANNOTATOR, annotator=user)


def add(layer: Layer, user: Any, start: int, end: int, label: str, version: int) -> Span:
    validate(layer.article, start, end, label)
    with transaction.atomic():
        if layer.spans.filter(start=start, end=end, label=label).exists():
            raise SpanRejected(_("This span is already there."))
        layer.bump(version)
        span = Span.objects.create(layer=layer, start=start, end=end, label=label)
        audit(layer, user, "create", span.pk, None, span.snapshot())
    return span


def relabel(span: Span, user: Any, label: str, version: int) -> Span:
    layer = span.layer
    validate(layer.article, span.start, span.end, label)
    with transaction.atomic():
        if layer.spans.filter(start=span.start, end=span.end, label=label).exclude(pk=span.pk):
            raise SpanRejected(_("This span is already there."))
        layer.bump(version)
        before = span.snapshot()
        span.label = label
        if label != "LOC":
            # A place link only makes sense on a location.
            span.place, span.link_status = None, ""
        span.save()
        audit(layer, user, "update", span.pk, before, span.snapshot())
    return span


def delete(span: Span, user: Any, version: int) -> None:
    layer = span.layer
    with transaction.atomic():
        layer.bump(version)
        before = span.snapshot()
        span_id = span.pk
        span.delete()
        audit(layer, user, "delete", span_id, before, None)


def link(
    span: Span, user: Any, place: Place, version: int, all_mentions: bool = False
) -> list[Span]:
    """Link a LOC span (or every LOC span with the same name in the layer) to a place.

    A link an annotator chose is confirmed; the machine's links stay `auto` until then.
    """
    if span.label != "LOC":
        raise SpanRejected(_("Only a location can be linked to a place."))
    layer = span.layer
    targets = [span]
    if all_mentions:
        body = layer.article.body
        key = match_key(body[span.start : span.end])
        targets = [
            s for s in layer.spans.filter(label="LOC") if match_key(body[s.start : s.end]) == key
        ]
    with transaction.atomic():
        layer.bump(version)
        for target in targets:
            before = target.snapshot()
            target.place, target.link_status = place, Span.LINK_CONFIRMED
            target.save(update_fields=["place", "link_status"])
            audit(layer, user, "update", target.pk, before, target.snapshot())
    return targets
