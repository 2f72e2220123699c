"""Linking LOC spans to places: choose a candidate, search, or create a custom place."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import gazetteer, spans
from ..models import Place, SpanRejected, StaleLayer
from .spans import _changed, _get_span_for_user, _refused, _version


@login_required
@require_POST
def span_link(request: HttpRequest, pk: int) -> HttpResponse:
    span = _get_span_for_user(request, pk)
    place = get_object_or_404(Place, pk=request.POST.get("place") or 0)
    try:
        linked = spans.link(
            span, request.user, place, _version(request), bool(request.POST.get("all"))
        )
    except (SpanRejected, StaleLayer) as exc:
        return _refused(request, span.layer, exc)
    message = _("Linked %(n)s mention(s) to %(place)s.") % {"n": len(linked), "place": place}
    return _changed(request, span.layer, [s.start for s in linked], message)


@login_required
@require_GET
def place_search(request: HttpRequest, pk: int) -> HttpResponse:
    span = _get_span_for_user(request, pk)
    context, linked = gazetteer.layer_context(span.layer, exclude=span)
    query = request.GET.get("q", "")
    options = gazetteer.search(query, context, linked)
    return render(
        request,
        "annotations/article.html#candidates",
        {"span": span, "layer": span.layer, "options": options, "query": query},
    )


@login_required
@require_POST
def place_create(request: HttpRequest, pk: int) -> HttpResponse:
    span = _get_span_for_user(request, pk)
    form = request.POST
    try:
        latitude, longitude = float(form.get("latitude", "")), float(form.get("longitude", ""))
        version = _version(request)
        place = gazetteer.create_custom_place(
            form.get("name_ar", ""),
            form.get("name_en", ""),
            form.get("country", ""),
            form.get("admin1", ""),
            latitude,
            longitude,
        )
        spans.link(span, request.user, place, version, bool(form.get("all")))
    except ValueError as exc:
        message = (
            str(exc) if isinstance(exc, SpanRejected) else _("Invalid place: %(e)s") % {"e": exc}
        )
        return _refused(request, span.layer, SpanRejected(message))
    except StaleLayer as exc:
        return _refused(request, span.layer, exc)
    return _changed(
        request, span.layer, [span.start], _("Created and linked %(p)s.") % {"p": place}
    )
