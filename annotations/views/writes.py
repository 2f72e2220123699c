"""How write views answer: the version a form names, what changed, and refusals.

One mapping from the write path's errors (`Layer.writing`) to statuses, for every
write view: a stale version is 409 (reload to see the other change); a locked layer,
a broken rule or malformed input is 422 with the reason. htmx swaps both (base.html).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..document import document_for
from ..ids import parse_id
from ..models import Layer, SpanRejected, StaleLayer
from .articles import legend

# What a write may raise instead of writing; every other exception is a bug (500).
REFUSALS = (SpanRejected, StaleLayer, ValidationError)


def version(request: HttpRequest) -> int:
    """The layer version the form was rendered with (optimistic locking)."""
    found = parse_id(request.POST.get("version"))
    if found is None:
        raise SpanRejected(_("Missing or invalid layer version."))
    return found


def id_field(request: HttpRequest, name: str) -> int:
    """An id a write form sends (a place, a span); malformed, it is refused with a reason."""
    found = parse_id(request.POST.get(name))
    if found is None:
        raise SpanRejected(_("Invalid %(field)s: not an id.") % {"field": name})
    return found


def stale_message() -> str:
    return _(
        "This article changed in another window or tab since you loaded it. "
        "Your change was not saved: reload the page to see the current version."
    )


def refusal(exc: Exception) -> tuple[int, str]:
    """(status, message) for a refused write."""
    if isinstance(exc, StaleLayer):
        return 409, stale_message()
    if isinstance(exc, ValidationError):
        return 422, " ".join(exc.messages)
    return 422, str(exc)


def refused(request: HttpRequest, layer: Layer, exc: Exception) -> HttpResponse:
    status, message = refusal(exc)
    if not request.htmx:
        messages.error(request, message)
        return redirect(layer.article.get_absolute_url())
    context = {"message": message, "level": "error", "article": layer.article}
    return render(request, "annotations/changes.html", context, status=status)


def changed(
    request: HttpRequest,
    layer: Layer,
    offsets: list[int],
    message: str,
    panel: dict | None = None,
    undo: int | None = None,
) -> HttpResponse:
    """Only the paragraphs at `offsets`, the legend, the new version and the message.

    The span panel is emptied unless `panel` (views.spans.panel_context) keeps it open on
    the span written to; `undo` is the id of a span just deleted, which the message then
    offers to restore."""
    article = layer.article
    if not request.htmx:
        messages.success(request, message)
        return redirect(article.get_absolute_url())
    doc = document_for(article.body)
    labels = article.corpus.labels
    touched = {doc.paragraph_of(o).index: doc.paragraph_of(o) for o in offsets}
    # Only the spans of the touched paragraphs: a long article's other spans are not read.
    around = Q()
    for paragraph in touched.values():
        around |= Q(start__lt=paragraph.end, end__gt=paragraph.start)
    layer_spans = list(layer.spans.filter(around))
    context = {
        "article": article,
        "layer": layer,
        "labels": labels,
        "paragraphs": [(p, doc.render(p, layer_spans, labels)) for p in touched.values()],
        "legend": legend(layer, labels),
        "message": message,
        "level": "success",
        "undo": undo,
        **(panel or {"span": None}),
    }
    return render(request, "annotations/changes.html", context)
