"""Coding events beside the text: create from a sentence, edit, delete, cite evidence."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import events, spans
from ..document import document_for
from ..events import events_with_evidence
from ..forms import EventForm
from ..models import Event, Evidence, Layer, Place, SpanRejected
from . import access, writes


def _places_for(layer: Layer) -> QuerySet[Place]:
    linked = layer.spans.filter(place__isnull=False).values("place_id")
    return Place.objects.filter(Q(pk__in=linked) | Q(pk__in=layer.events.values("place_id")))


def _panel(
    request: HttpRequest, event: Event, form: EventForm, message: str = "", status: int = 200
) -> HttpResponse:
    layer = Layer.objects.get(pk=event.layer_id)
    if layer.kind == Layer.MACHINE:
        layer = spans.page_layer(layer.article, request.user)  # not copied yet
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
        "events": events_with_evidence(layer if layer.pk else event.layer),
        "evidence_choices": Evidence.FIELDS,
        "message": message,
        "level": "error" if status >= 400 else "success",
        "oob": True,
    }
    return render(request, "annotations/event_changes.html", context, status=status)


@login_required
@require_POST
def event_create(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.get_article_or_404(request.user, pk)
    layer = access.writable_layer_or_404(request, article)
    try:
        piece = document_for(article.body).piece(request.POST.get("start", ""))
        version = writes.version(request)
        event = events.create_from_sentence(layer, request.user, piece.start, version)
    except writes.REFUSALS as exc:
        return writes.refused(request, layer, exc)
    except ValueError as exc:  # a selection outside any sentence
        return writes.refused(request, layer, SpanRejected(str(exc)))
    if not request.htmx:
        return redirect("event_edit", pk=event.pk)
    form = EventForm(instance=event, places=_places_for(layer))
    return _panel(request, event, form, _("Event created from the sentence; check it."))


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = access.get_event_or_404(request, pk)
    layer = event.layer
    form = EventForm(request.POST or None, instance=event, places=_places_for(layer))
    if request.method == "GET":
        if request.htmx:
            return _panel(request, event, form)
        shown = (
            spans.page_layer(layer.article, request.user) if layer.kind == Layer.MACHINE else layer
        )
        return render(
            request,
            "annotations/event.html",
            {"event": event, "form": form, "article": layer.article, "layer": shown},
        )
    if not form.is_valid():
        return _panel(request, event, form, _("The event was not saved; see the messages."), 422)
    try:
        events.save_edit(form.instance, request.user, writes.version(request))
    except writes.REFUSALS as exc:
        status, message = writes.refusal(exc)
        return _panel(request, event, form, message, status)
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
    event = access.get_event_or_404(request, pk)
    layer = event.layer
    try:
        events.delete_event(event, request.user, writes.version(request))
    except writes.REFUSALS as exc:
        return writes.refused(request, layer, exc)
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
    event = access.get_event_or_404(request, pk)
    try:
        span = access.get_span_in_layer_or_404(event.layer, writes.id_field(request, "span"))
        field = request.POST.get("field", "")
        events.attach(event, request.user, field, span, writes.version(request))
    except writes.REFUSALS as exc:
        return writes.refused(request, event.layer, exc)
    event.refresh_from_db()
    form = EventForm(instance=event, places=_places_for(event.layer))
    return _panel(request, event, form, _("Evidence added."))
