"""Span endpoints: each write is one small request answered with only what changed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import gazetteer, spans
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
    article = access.get_article_or_404(request.user, pk)
    layer = access.writable_layer_or_404(request, article)
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


@login_required
@require_GET
def span_detail(request: HttpRequest, pk: int) -> HttpResponse:
    span = access.get_span_or_404(request, pk)
    article = span.layer.article
    layer = shown_layer(request, span)
    text = article.body[span.start : span.end]
    context = {
        "span": span,
        "text": text,
        "labels": article.corpus.labels,
        "layer": layer,
        "article": article,
    }
    if span.label == "LOC":
        place_context, linked = gazetteer.layer_context(span.layer, exclude=span)
        context["options"] = gazetteer.options_for(text, place_context, linked)
        context["map"] = map_data(context["options"], linked)
        context["map_tiles"] = settings.NEWSDESK_MAP_TILES
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
    return writes.changed(request, layer, [span.start], message)


@login_required
@require_POST
def span_delete(request: HttpRequest, pk: int) -> HttpResponse:
    span = access.get_span_or_404(request, pk)
    layer, start = span.layer, span.start
    try:
        spans.delete(span, request.user, writes.version(request))
    except writes.REFUSALS as exc:
        return writes.refused(request, layer, exc)
    return writes.changed(request, layer, [start], _("Deleted."))


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
