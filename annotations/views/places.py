"""Linking LOC spans to places: choose a candidate, search, or create a custom place."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from .. import gazetteer, place_display, spans
from ..models import Place
from . import access, writes
from .spans import panel_context, shown_layer

PLACE_FIELDS = ("name_ar", "name_en", "country", "admin1", "latitude", "longitude")


@login_required
@require_POST
def span_link(request: HttpRequest, pk: int) -> HttpResponse:
    span = access.get_span_or_404(request, pk)
    try:
        place = get_object_or_404(Place, pk=writes.id_field(request, "place"))
        linked = spans.link(
            span, request.user, place, writes.version(request), bool(request.POST.get("all"))
        )
    except writes.REFUSALS as exc:
        return writes.refused(request, span.layer, exc)
    message = ngettext(
        "Linked %(n)s mention to %(place)s.", "Linked %(n)s mentions to %(place)s.", len(linked)
    ) % {"n": len(linked), "place": place}
    # The panel stays open on the span so the annotator sees the link confirmed.
    panel = panel_context(request, span)
    return writes.changed(request, span.layer, [s.start for s in linked], message, panel=panel)


@login_required
@require_GET
def place_search(request: HttpRequest, pk: int) -> HttpResponse:
    span = access.get_span_or_404(request, pk)
    context, linked = gazetteer.layer_context(span.layer, exclude=span)
    query = request.GET.get("q", "").replace("\x00", "")  # PostgreSQL text holds no NUL
    options = gazetteer.search(query, context, linked)
    layer = shown_layer(request, span)
    return render(
        request,
        "annotations/article/candidates.html#candidates",
        {
            "span": span,
            "layer": layer,
            "query": query,
            "editable": not layer.locked,  # a submitted or approved layer lists, not links
            **place_display.candidate_list(span, options),
        },
    )


@login_required
@require_POST
def place_create(request: HttpRequest, pk: int) -> HttpResponse:
    span = access.get_span_or_404(request, pk)
    fields = {name: request.POST.get(name, "") for name in PLACE_FIELDS}
    try:
        place = spans.create_place_and_link(
            span, request.user, writes.version(request), fields, bool(request.POST.get("all"))
        )
    except writes.REFUSALS as exc:
        return writes.refused(request, span.layer, exc)
    message = _("Created and linked %(p)s.") % {"p": place}
    panel = panel_context(request, span)
    return writes.changed(request, span.layer, [span.start], message, panel=panel)
