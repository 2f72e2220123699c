"""Span endpoints: each write is one small request answered with only what changed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import gazetteer, place_display, spans
from ..document import document_for
from ..models import Layer, Span
from . import access, writes


def shown_layer(request: HttpRequest, span: Span) -> Layer:
    """The layer a span's panel writes to: its own, or for a machine span not yet copied,
    the user's unsaved layer (whose version the forms send)."""
    if span.layer.kind == Layer.MACHINE:
        return spans.page_layer(span.layer.article, request.user)
    return span.layer


@login_required
@require_POST
def span_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A new span from a selection, or (with `restore`, the Undo of a delete) a deleted one back."""
    article = access.get_article_or_404(request.user, pk)
    layer = access.writable_layer_or_404(request, article)
    if "restore" in request.POST:
        return _span_restore(request, layer)
    try:
        start, end = document_for(article.body).selection(
            request.POST.get("start", ""), request.POST.get("end", "")
        )
        span = spans.add(
            layer, request.user, start, end, request.POST.get("label", ""), writes.version(request)
        )
    except writes.REFUSALS as exc:
        return writes.refused(request, layer, exc)
    message = _("Saved %(label)s.") % {"label": span.label}
    return writes.changed(request, layer, [span.start], message)


def _span_restore(request: HttpRequest, layer: Layer) -> HttpResponse:
    try:
        span = spans.restore(
            layer, request.user, writes.id_field(request, "restore"), writes.version(request)
        )
    except writes.REFUSALS as exc:
        return writes.refused(request, layer, exc)
    message = _("Restored %(label)s.") % {"label": span.label}
    return writes.changed(request, layer, [span.start], message, panel=panel_context(request, span))


def panel_context(request: HttpRequest, span: Span) -> dict:
    """What the span panel shows: the span, its label buttons and, for a location, the
    candidate places with the linked one among them. Editing controls only when the layer
    may be written (a submitted layer shows what it holds, not buttons that are refused)."""
    article = span.layer.article
    layer = shown_layer(request, span)
    text = article.body[span.start : span.end]
    context = {
        "span": span,
        "text": text,
        "labels": article.corpus.labels,
        "layer": layer,
        "article": article,
        "editable": not layer.locked and layer.kind != Layer.MACHINE,
    }
    if span.label == "LOC":
        place_context, linked = gazetteer.layer_context(span.layer, exclude=span)
        options = gazetteer.options_for(text, place_context, linked)
        # The list shows the linked place even when the ranking does not hold it (a place
        # just created, one found by search): never "linked" beside "no candidates".
        context.update(place_display.candidate_list(span, options))
        context["map"] = map_data(options, linked)
        context["map_tiles"] = settings.NEWSDESK_MAP_TILES
    return context


@login_required
@require_GET
def span_detail(request: HttpRequest, pk: int) -> HttpResponse:
    span = access.get_span_or_404(request, pk)
    context = panel_context(request, span)
    if request.htmx:
        return render(request, "annotations/article/span_panel.html#span-panel", context)
    return render(request, "annotations/span.html", context)


@login_required
@require_POST
def span_update(request: HttpRequest, pk: int) -> HttpResponse:
    span = access.get_span_or_404(request, pk)
    layer = span.layer
    try:
        spans.relabel(span, request.user, request.POST.get("label", ""), writes.version(request))
    except writes.REFUSALS as exc:
        return writes.refused(request, layer, exc)
    message = _("Changed to %(label)s.") % {"label": span.label}
    # The panel stays open on the span, now with its new label (and places, if LOC).
    return writes.changed(request, layer, [span.start], message, panel=panel_context(request, span))


@login_required
@require_POST
def span_delete(request: HttpRequest, pk: int) -> HttpResponse:
    span = access.get_span_or_404(request, pk)
    layer, start, span_id = span.layer, span.start, span.pk
    try:
        spans.delete(span, request.user, writes.version(request))
    except writes.REFUSALS as exc:
        return writes.refused(request, layer, exc)
    # Deleting takes one key and asks nothing; the message offers the way back.
    return writes.changed(request, layer, [start], _("Span deleted."), undo=span_id)


def map_data(options: list[gazetteer.Option], linked: list) -> dict:
    """Points for the linking panel's map: numbered candidates and the article's places."""
    return {
        "candidates": [
            {
                "n": o.rank,
                "name": o.name_ar or o.place.name,
                "lat": o.place.latitude,
                "lon": o.place.longitude,
            }
            for o in options
            if o.place.latitude is not None
        ],
        "linked": [
            {"name": p.name, "lat": p.latitude, "lon": p.longitude}
            for p in linked
            if p.latitude is not None
        ],
    }
