"""Writing spans on a layer: validation, optimistic locking and the audit trail, in one place."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import gazetteer
from .events import copy_events
from .models import Article, AuditEntry, Evidence, Layer, Place, Span, SpanRejected
from .text import match_key

Action = AuditEntry.Action


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


def own_layer(article: Article, user: Any) -> Layer | None:
    return article.layers.filter(kind=Layer.ANNOTATOR, annotator=user).first()


def page_layer(article: Article, user: Any) -> Layer:
    """The layer the annotation page shows: the user's own, or, until their first write
    makes it, an unsaved one that shows the machine layer's spans (pages never write)."""
    return own_layer(article, user) or Layer(article=article, kind=Layer.ANNOTATOR, annotator=user)


def annotator_layer(article: Article, user: Any) -> Layer:
    """The user's own layer, copied from the machine layer by their first write."""
    layer = own_layer(article, user)
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
    with layer.writing(user, version) as write:
        if layer.spans.filter(start=start, end=end, label=label).exists():
            raise SpanRejected(_("This span is already there."))
        span = Span.objects.create(layer=layer, start=start, end=end, label=label)
        write.record(Action.CREATE, span.pk, None, span.snapshot())
    return span


def relabel(span: Span, user: Any, label: str, version: int) -> Span:
    layer = span.layer
    validate(layer.article, span.start, span.end, label)
    with layer.writing(user, version) as write:
        if layer.spans.filter(start=span.start, end=span.end, label=label).exclude(pk=span.pk):
            raise SpanRejected(_("This span is already there."))
        before = span.snapshot()
        span.label = label
        if label != "LOC":
            # A place link only makes sense on a location.
            span.place, span.link_status = None, ""
        span.save()
        write.record(Action.UPDATE, span.pk, before, span.snapshot())
    return span


def delete(span: Span, user: Any, version: int) -> None:
    with span.layer.writing(user, version) as write:
        before = {**span.snapshot(), **_restorable(span)}
        span_id = span.pk
        span.delete()
        write.record(Action.DELETE, span_id, before, None)


def _restorable(span: Span) -> dict[str, Any]:
    """What a deleted span's audit entry keeps beyond its snapshot, so an undo brings back
    the same span: where it came from (correction statistics count on it) and its evidence."""
    return {
        "origin": span.origin,
        "engine": span.engine,
        "confidence": span.confidence,
        "derived_from": span.derived_from_id,
        "link_score": span.link_score,
        "geo_precision": span.geo_precision,
        "evidence": list(Evidence.objects.filter(span=span).values_list("pk", flat=True)),
    }


def restore(layer: Layer, user: Any, span_id: int, version: int) -> Span:
    """Undo the latest deletion of a span of this layer: one write like any other (version
    checked, audited), from what the deletion's audit entry kept."""
    entry = (
        layer.audit.filter(
            object_type=AuditEntry.ObjectType.SPAN, object_id=span_id, action=Action.DELETE
        )
        .order_by("-pk")
        .first()
    )
    if entry is None or not entry.before:
        raise SpanRejected(_("There is no deleted span to restore."))
    was = entry.before
    validate(layer.article, was["start"], was["end"], was["label"])
    with layer.writing(user, version) as write:
        if layer.spans.filter(start=was["start"], end=was["end"], label=was["label"]).exists():
            raise SpanRejected(_("This span is already there."))
        place_id = _still_there(Place, was.get("place"))
        span = Span.objects.create(
            # The same id when it is free, so the history and the page name one span.
            pk=None if Span.objects.filter(pk=span_id).exists() else span_id,
            layer=layer,
            start=was["start"],
            end=was["end"],
            label=was["label"],
            origin=was.get("origin", Span.HUMAN),
            engine=was.get("engine", ""),
            confidence=was.get("confidence"),
            derived_from_id=_still_there(Span, was.get("derived_from")),
            place_id=place_id,
            link_status=was.get("link_status", "") if place_id else "",
            link_score=was.get("link_score"),
            geo_precision=was.get("geo_precision"),
        )
        # The deletion left these evidence rows citing nothing; they cite the span again.
        Evidence.objects.filter(
            pk__in=was.get("evidence", []), event__layer=layer, span__isnull=True
        ).update(span=span)
        write.record(Action.CREATE, span.pk, None, {**span.snapshot(), "restored": entry.pk})
    return span


def _still_there(model: type[Place] | type[Span], pk: int | None) -> int | None:
    """An id a deleted span pointed to, if that row still exists (places can be removed)."""
    return pk if pk is not None and model.objects.filter(pk=pk).exists() else None


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
    with layer.writing(user, version) as write:
        for target in targets:
            before = target.snapshot()
            target.place, target.link_status = place, Span.LINK_CONFIRMED
            target.save(update_fields=["place", "link_status"])
            write.record(Action.UPDATE, target.pk, before, target.snapshot())
    return targets


def create_place_and_link(
    span: Span, user: Any, version: int, fields: dict[str, str], all_mentions: bool = False
) -> Place:
    """A custom place made and linked in one write: a refused link leaves no place behind."""
    if any("\x00" in value for value in fields.values()):
        raise SpanRejected(_("Invalid place: a field contains a NUL character."))
    try:
        latitude, longitude = float(fields["latitude"]), float(fields["longitude"])
    except ValueError as exc:
        raise SpanRejected(_("Invalid place: %(e)s") % {"e": exc}) from None
    with transaction.atomic():
        try:
            place = gazetteer.create_custom_place(
                fields["name_ar"],
                fields["name_en"],
                fields["country"],
                fields["admin1"],
                latitude,
                longitude,
            )
        except ValueError as exc:
            raise SpanRejected(_("Invalid place: %(e)s") % {"e": exc}) from None
        link(span, user, place, version, all_mentions)
    return place
