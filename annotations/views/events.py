"""Coding events beside the text: create from a sentence, edit, delete, cite evidence."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import events
from ..document import document_for
from ..events import events_with_evidence
from ..forms import EventForm
from ..models import Article, Event, Evidence, Layer, Place, Span, SpanRejected, StaleLayer
from .articles import _get_article_for_user, writable_layer
from .spans import _refused, _stale_message, _version


def _get_event_for_user(request: HttpRequest, pk: int) -> Event:
    """An event on the user's own layer; anyone else's is a 404."""
    own = Q(
        layer__kind=Layer.ANNOTATOR,
        layer__annotator=request.user,
        layer__article__in=Article.objects.assigned_to(request.user),
    )
    gold = Q(layer__kind=Layer.GOLD, layer__article__in=Article.objects.edited_by(request.user))
    events_ = Event.objects.select_related("layer__article__corpus").filter(own | gold)
    return get_object_or_404(events_, pk=pk)


def _places_for(layer: Layer) -> QuerySet[Place]:
    linked = layer.spans.filter(place__isnull=False).values("place_id")
    return Place.objects.filter(Q(pk__in=linked) | Q(pk__in=layer.events.values("place_id")))


def _panel(
    request: HttpRequest, event: Event, form: EventForm, message: str = "", status: int = 200
) -> HttpResponse:
    layer = Layer.objects.get(pk=event.layer_id)
    doc = document_for(layer.article.body)
    context = {
        "article": layer.article,
        "layer": layer,
        "event": event,
        "form": form,
        "evidence": [
            (ev, layer.article.body[ev.start : ev.end], json.dumps(doc.pieces_in(ev.start, ev.end)))
            for ev in event.evidence.all()
        ],
        "events": events_with_evidence(layer),
        "evidence_choices": Evidence.FIELDS,
        "message": message,
        "level": "error" if status >= 400 else "success",
        "oob": True,
    }
    return render(request, "annotations/event_changes.html", context, status=status)


@login_required
@require_POST
def event_create(request: HttpRequest, pk: int) -> HttpResponse:
    article = _get_article_for_user(request, pk)
    layer = writable_layer(request, article)
    try:
        piece = document_for(article.body).piece(request.POST.get("start", ""))
        event = events.create_from_sentence(layer, request.user, piece.start, _version(request))
    except StaleLayer as exc:
        return _refused(request, layer, exc)
    except ValueError as exc:  # SpanRejected, or a selection outside any sentence
        return _refused(request, layer, SpanRejected(str(exc)))
    if not request.htmx:
        return redirect("event_edit", pk=event.pk)
    form = EventForm(instance=event, places=_places_for(layer))
    return _panel(request, event, form, _("Event created from the sentence; check it."))


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = _get_event_for_user(request, pk)
    layer = event.layer
    form = EventForm(request.POST or None, instance=event, places=_places_for(layer))
    if request.method == "GET":
        if request.htmx:
            return _panel(request, event, form)
        return render(
            request,
            "annotations/event.html",
            {"event": event, "form": form, "article": layer.article, "layer": layer},
        )
    if not form.is_valid():
        return _panel(request, event, form, _("The event was not saved; see the messages."), 422)
    try:
        events.save_edit(form.instance, request.user, _version(request))
    except StaleLayer:
        return _panel(request, event, form, _stale_message(), 409)
    if not request.htmx:
        messages.success(request, _("Event saved."))
        return redirect(layer.article.get_absolute_url())
    event.refresh_from_db()
    return _panel(
        request, event, EventForm(instance=event, places=_places_for(layer)), _("Event saved.")
    )


@login_required
@require_POST
def event_delete(request: HttpRequest, pk: int) -> HttpResponse:
    event = _get_event_for_user(request, pk)
    layer = event.layer
    try:
        events.delete_event(event, request.user, _version(request))
    except StaleLayer as exc:
        return _refused(request, layer, exc)
    if not request.htmx:
        messages.success(request, _("Event deleted."))
        return redirect(layer.article.get_absolute_url())
    layer.refresh_from_db()
    context = {
        "layer": layer,
        "article": layer.article,
        "events": events_with_evidence(layer),
        "oob": True,
        "message": _("Event deleted."),
        "level": "success",
        "event": None,
    }
    return render(request, "annotations/event_changes.html", context)


@login_required
@require_POST
def evidence_add(request: HttpRequest, pk: int) -> HttpResponse:
    event = _get_event_for_user(request, pk)
    span = get_object_or_404(Span, pk=request.POST.get("span") or 0, layer=event.layer)
    try:
        events.attach(event, request.user, request.POST.get("field", ""), span, _version(request))
    except (SpanRejected, StaleLayer) as exc:
        return _refused(request, event.layer, exc)
    event.refresh_from_db()
    form = EventForm(instance=event, places=_places_for(event.layer))
    return _panel(request, event, form, _("Evidence added."))
