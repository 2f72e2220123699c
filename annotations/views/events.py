"""Coding events beside the text: create from a sentence, edit, delete, cite evidence."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import events, spans
from ..document import document_for
from ..events import events_with_evidence
from ..forms import EventForm
from ..ids import parse_id
from ..models import Event, Evidence, Layer, Place, SpanRejected
from . import access, writes


def _places_for(layer: Layer) -> QuerySet[Place]:
    linked = layer.spans.filter(place__isnull=False).values("place_id")
    return Place.objects.filter(Q(pk__in=linked) | Q(pk__in=layer.events.values("place_id")))


def _visible_event_or_404(request: HttpRequest, pk: int) -> tuple[Event, bool]:
    """The event and whether the user may change it. An event the user may only see (an
    editor looking at an annotator's layer) opens read-only."""
    try:
        return access.get_event_or_404(request, pk), True
    except Http404:
        visible = Event.objects.filter(layer__in=Layer.objects.visible_to(request.user))
        return access.get_or_404(visible.select_related("layer__article__corpus"), pk), False


def _cited(request: HttpRequest) -> set[int]:
    """Evidence cited while the open form was on the page (its list carries their ids)."""
    return {i for i in map(parse_id, request.POST.getlist("cited")) if i is not None}


def _evidence(event: Event, layer: Layer) -> list[tuple[Evidence, str, str]]:
    doc = document_for(layer.article.body)
    return [
        (ev, layer.article.body[ev.start : ev.end], json.dumps(doc.pieces_in(ev.start, ev.end)))
        for ev in event.evidence.all()
    ]


def _panel(
    request: HttpRequest,
    event: Event,
    form: EventForm,
    message: str = "",
    status: int = 200,
    *,
    writable: bool = True,
    cited: set[int] | frozenset[int] = frozenset(),
    evidence_only: bool = False,
) -> HttpResponse:
    """The event panel with the events list, the message and the new version. With
    `evidence_only` the form is left as the user has it (unsaved edits stay) and only its
    evidence list is swapped."""
    layer = Layer.objects.get(pk=event.layer_id)
    if layer.kind == Layer.MACHINE and writable:
        layer = spans.page_layer(layer.article, request.user)  # not copied yet
    context = {
        "article": layer.article,
        "layer": layer,
        "event": event,
        "form": form,
        "editable": writable and not layer.locked and layer.kind != Layer.MACHINE,
        "evidence": _evidence(event, layer),
        "cited": cited,
        "evidence_only": evidence_only,
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
    if request.method == "GET":
        return _event_page(request, pk)
    event = access.get_event_or_404(request, pk)
    layer = event.layer
    form = EventForm(request.POST, instance=event, places=_places_for(layer))
    cited = _cited(request)
    if not form.is_valid():
        message = _("The event was not saved; see the messages.")
        return _panel(request, event, form, message, 422, cited=cited)
    try:
        events.save_edit(form.instance, request.user, writes.version(request), cited)
    except writes.REFUSALS as exc:
        status, message = writes.refusal(exc)
        return _panel(request, event, form, message, status, cited=cited)
    if not request.htmx:
        messages.success(request, _("Event saved."))
        return redirect(layer.article.get_absolute_url())
    event.refresh_from_db()
    return _panel(
        request, event, EventForm(instance=event, places=_places_for(layer)), _("Event saved.")
    )


def _event_page(request: HttpRequest, pk: int) -> HttpResponse:
    event, writable = _visible_event_or_404(request, pk)
    layer = event.layer
    form = EventForm(instance=event, places=_places_for(layer))
    if request.htmx:
        return _panel(request, event, form, writable=writable)
    shown = (
        spans.page_layer(layer.article, request.user)
        if layer.kind == Layer.MACHINE and writable
        else layer
    )
    context = {
        "event": event,
        "form": form,
        "article": layer.article,
        "layer": shown,
        "editable": writable and not shown.locked and shown.kind != Layer.MACHINE,
    }
    return render(request, "annotations/event.html", context)


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
    """Cite a span for a field. The answer swaps only the evidence list, so what the user
    changed in the form and has not saved yet stays as they left it."""
    event = access.get_event_or_404(request, pk)
    try:
        span = access.get_span_in_layer_or_404(event.layer, writes.id_field(request, "span"))
        field = request.POST.get("field", "")
        evidence = events.attach(event, request.user, field, span, writes.version(request))
    except writes.REFUSALS as exc:
        return writes.refused(request, event.layer, exc)
    return _evidence_changed(request, event, _("Evidence added."), _cited(request) | {evidence.pk})


@login_required
@require_POST
def evidence_delete(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    """Remove one piece of evidence; like citing, it leaves the form's unsaved edits alone."""
    event = access.get_event_or_404(request, pk)
    evidence = _evidence_of(event, evidence_pk)
    try:
        events.detach(evidence, request.user, writes.version(request))
    except writes.REFUSALS as exc:
        return writes.refused(request, event.layer, exc)
    return _evidence_changed(request, event, _("Evidence removed."), _cited(request))


def _evidence_of(event: Event, pk: int) -> Evidence:
    """The event's evidence with that id; a page still showing the machine's event names the
    machine's evidence, which stands for the same words in the user's copy."""
    found = event.evidence.filter(pk=pk).first()
    if found is None and event.derived_from_id:
        original = Evidence.objects.filter(pk=pk, event_id=event.derived_from_id).first()
        if original:
            same = {"field": original.field, "start": original.start, "end": original.end}
            found = event.evidence.filter(**same).first()
    if found is None:
        raise Http404("No such evidence on this event.")
    return found


def _evidence_changed(
    request: HttpRequest, event: Event, message: str, cited: set[int]
) -> HttpResponse:
    if not request.htmx:
        messages.success(request, message)
        return redirect(event.layer.article.get_absolute_url())
    event.refresh_from_db()
    form = EventForm(instance=event, places=_places_for(event.layer))
    return _panel(request, event, form, message, cited=cited, evidence_only=True)
