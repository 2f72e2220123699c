"""The editor's adjudication screen: annotator layers side by side, decisions into gold."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .. import adjudication
from ..document import document_for
from ..models import Article, Layer
from . import access, writes


def _context(article: Article, gold: Layer, full: bool = True, **extra: object) -> dict:
    """The page's context; an answer (`full=False`) re-renders only the gold column.
    Before the first answer the gold layer is unsaved and shows what the sources agree on."""
    layers = adjudication.sources(article)
    found = adjudication.items(article, gold, layers)
    flagged = frozenset(i for item in found if item.decided is None for i in item.span_ids)
    doc = document_for(article.body)
    labels = article.corpus.labels
    columns = []
    for layer in [*layers, gold] if full else [gold]:
        if layer.pk:
            layer_spans = list(layer.spans.all())
        else:
            layer_spans = adjudication.agreed_spans(layers)
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
@require_http_methods(["GET", "POST"])
def adjudicate(request: HttpRequest, pk: int) -> HttpResponse:
    """The page; its POST starts the gold layer (else the first answer does)."""
    article = access.get_edited_article_or_404(request.user, pk)
    if request.method == "POST":
        adjudication.gold_layer(article, request.user)
        return redirect("adjudicate", pk=article.pk)
    gold = article.gold_layer() or adjudication.unsaved_gold(article)
    return render(request, "annotations/adjudicate.html", _context(article, gold))


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.get_edited_article_or_404(request.user, pk)
    key, choice = request.POST.get("key", ""), request.POST.get("choice", "")
    status, level = 200, "success"
    try:
        version = writes.version(request)
        # The first answer makes the gold layer; a refused one leaves none behind.
        with transaction.atomic():
            gold = adjudication.gold_layer(article, request.user)
            item = adjudication.decide(article, gold, request.user, key, choice, version)
        message = _("Decided: %(text)s.") % {"text": item.text[:60]}
    except writes.REFUSALS as exc:
        level = "error"
        status, message = writes.refusal(exc)
    if not request.htmx:
        (messages.success if status == 200 else messages.error)(request, message)
        return redirect(reverse("adjudicate", args=[article.pk]))
    gold = article.gold_layer() or adjudication.unsaved_gold(article)
    context = _context(article, gold, full=False, message=message, level=level, oob=True)
    return render(request, "annotations/adjudicate_changes.html", context, status=status)
