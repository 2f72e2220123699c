"""The editor's adjudication screen: annotator layers side by side, decisions into gold."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import adjudication
from ..document import document_for
from ..models import Article, Layer, SpanRejected, StaleLayer
from .spans import _stale_message, _version


def _get_article(request: HttpRequest, pk: int) -> Article:
    # Only editors of the article's corpus adjudicate; everyone else gets a 404.
    return get_object_or_404(
        Article.objects.edited_by(request.user).select_related("corpus"), pk=pk
    )


def _context(article: Article, gold: Layer, full: bool = True, **extra: object) -> dict:
    """The page's context; an answer (`full=False`) re-renders only the gold column."""
    layers = adjudication.sources(article)
    found = adjudication.items(article, gold, layers)
    flagged = frozenset(i for item in found if item.decided is None for i in item.span_ids)
    doc = document_for(article.body)
    labels = article.corpus.labels
    columns = []
    for layer in [*layers, gold] if full else [gold]:
        layer_spans = list(layer.spans.all())
        columns.append(
            (layer, [doc.render(p, layer_spans, labels, flagged) for p in doc.paragraphs])
        )
    return {
        "article": article,
        "gold": gold,
        "sources": layers,
        "items": found,
        "open": sum(1 for i in found if i.decided is None),
        "columns": columns,
        "gold_paragraphs": columns[-1][1],
        "labels": labels,
        **extra,
    }


@login_required
@require_GET
def adjudicate(request: HttpRequest, pk: int) -> HttpResponse:
    article = _get_article(request, pk)
    gold = adjudication.gold_layer(article, request.user)
    return render(request, "annotations/adjudicate.html", _context(article, gold))


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    article = _get_article(request, pk)
    gold = article.gold_layer()
    if gold is None:
        return redirect("adjudicate", pk=article.pk)
    key, choice = request.POST.get("key", ""), request.POST.get("choice", "")
    status, level = 200, "success"
    try:
        item = adjudication.decide(article, gold, request.user, key, choice, _version(request))
        message = _("Decided: %(text)s.") % {"text": item.text[:60]}
    except StaleLayer:
        status, level, message = 409, "error", _stale_message()
    except SpanRejected as exc:
        status, level, message = 422, "error", str(exc)
    if not request.htmx:
        (messages.success if status == 200 else messages.error)(request, message)
        return redirect(reverse("adjudicate", args=[article.pk]))
    gold.refresh_from_db()
    context = _context(article, gold, full=False, message=message, level=level, oob=True)
    return render(request, "annotations/adjudicate_changes.html", context, status=status)
