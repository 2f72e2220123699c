"""Span endpoints: each write is one small request answered with only what changed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import gazetteer, spans
from ..document import document_for
from ..models import Article, Layer, Span, SpanRejected, StaleLayer
from .articles import _get_article_for_user, legend, writable_layer


def _stale_message() -> str:
    return _(
        "This article changed in another window or tab since you loaded it. "
        "Your change was not saved: reload the page to see the current version."
    )


def writable_spans(user: Any) -> QuerySet[Span]:
    """Spans the user may change: on their own layer of an article still assigned to them,
    or on the gold layer of an article in a corpus they edit."""
    own = Q(
        layer__kind=Layer.ANNOTATOR,
        layer__annotator=user,
        layer__article__in=Article.objects.assigned_to(user),
    )
    gold = Q(layer__kind=Layer.GOLD, layer__article__in=Article.objects.edited_by(user))
    return Span.objects.select_related("layer__article__corpus").filter(own | gold)


def _get_span_for_user(request: HttpRequest, pk: int) -> Span:
    """A span the user may change; anyone else's is a 404."""
    return get_object_or_404(writable_spans(request.user), pk=pk)


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        raise SpanRejected(_("Missing or invalid layer version.")) from None


@login_required
@require_POST
def span_create(request: HttpRequest, pk: int) -> HttpResponse:
    article = _get_article_for_user(request, pk)
    layer = writable_layer(request, article)
    try:
        start, end = document_for(article.body).selection(
            request.POST.get("start", ""), request.POST.get("end", "")
        )
        span = spans.add(
            layer, request.user, start, end, request.POST.get("label", ""), _version(request)
        )
    except (SpanRejected, StaleLayer) as exc:
        return _refused(request, layer, exc)
    return _changed(request, layer, [span.start], _("Saved %(label)s.") % {"label": span.label})


@login_required
@require_GET
def span_detail(request: HttpRequest, pk: int) -> HttpResponse:
    span = _get_span_for_user(request, pk)
    article = span.layer.article
    text = article.body[span.start : span.end]
    context = {
        "span": span,
        "text": text,
        "labels": article.corpus.labels,
        "layer": span.layer,
        "article": article,
    }
    if span.label == "LOC":
        place_context, linked = gazetteer.layer_context(span.layer, exclude=span)
        context["options"] = gazetteer.options_for(text, place_context, linked)
        context["map"] = map_data(context["options"], linked)
        context["map_tiles"] = settings.NEWSDESK_MAP_TILES
    if request.htmx:
        return render(request, "annotations/article.html#span-panel", context)
    return render(request, "annotations/span.html", context)


@login_required
@require_POST
def span_update(request: HttpRequest, pk: int) -> HttpResponse:
    span = _get_span_for_user(request, pk)
    layer = span.layer
    try:
        spans.relabel(span, request.user, request.POST.get("label", ""), _version(request))
    except (SpanRejected, StaleLayer) as exc:
        return _refused(request, layer, exc)
    return _changed(
        request, layer, [span.start], _("Changed to %(label)s.") % {"label": span.label}
    )


@login_required
@require_POST
def span_delete(request: HttpRequest, pk: int) -> HttpResponse:
    span = _get_span_for_user(request, pk)
    layer, start = span.layer, span.start
    try:
        spans.delete(span, request.user, _version(request))
    except (SpanRejected, StaleLayer) as exc:
        return _refused(request, layer, exc)
    return _changed(request, layer, [start], _("Deleted."))


def _changed(request: HttpRequest, layer: Layer, offsets: list[int], message: str) -> HttpResponse:
    article = layer.article
    if not request.htmx:
        messages.success(request, message)
        return redirect(article.get_absolute_url())
    doc = document_for(article.body)
    layer_spans = list(layer.spans.all())
    labels = article.corpus.labels
    touched = {doc.paragraph_of(o).index: doc.paragraph_of(o) for o in offsets}
    context = {
        "article": article,
        "layer": layer,
        "labels": labels,
        "paragraphs": [(p, doc.render(p, layer_spans, labels)) for p in touched.values()],
        "legend": legend(layer, labels),
        "message": message,
        "level": "success",
    }
    return render(request, "annotations/changes.html", context)


def _refused(request: HttpRequest, layer: Layer, exc: Exception) -> HttpResponse:
    stale = isinstance(exc, StaleLayer)
    message = _stale_message() if stale else str(exc)
    status = 409 if stale else 422
    if not request.htmx:
        messages.error(request, message)
        return redirect(layer.article.get_absolute_url())
    context = {"message": message, "level": "error", "article": layer.article}
    return render(request, "annotations/changes.html", context, status=status)


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
