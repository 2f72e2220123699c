"""The article list and the annotation page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .. import spans
from ..document import document_for
from ..events import events_with_evidence
from ..models import Article, Layer, Span


def _get_article_for_user(request: HttpRequest, pk: int) -> Article:
    """The article if the user edits its corpus or is assigned to it; 404 otherwise."""
    articles = Article.objects.visible_to(request.user).select_related("corpus")
    return get_object_or_404(articles, pk=pk)


def is_assigned(article: Article, user: Any) -> bool:
    return article.assignments.filter(user=user).exists()


def writable_layer(request: HttpRequest, article: Article) -> Layer:
    """The layer a write goes to: the gold layer for its corpus's editors when the form
    names it, otherwise the user's own layer on an article assigned to them; else 404."""
    named = request.POST.get("layer")
    if named:
        gold = Layer.objects.filter(
            kind=Layer.GOLD,
            article=article,
            article__in=Article.objects.edited_by(request.user),
            pk=named if named.isdigit() else 0,
        ).first()
        if gold is None:
            raise Http404
        return gold
    if not is_assigned(article, request.user):
        raise Http404
    return spans.annotator_layer(article, request.user)


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    articles = list(Article.objects.visible_to(request.user).distinct().select_related("corpus"))
    own = {
        layer.article_id: layer
        for layer in Layer.objects.annotators().filter(annotator=request.user, article__in=articles)
    }
    machine = dict(
        Layer.objects.filter(kind=Layer.MACHINE, article__in=articles).values_list("article", "id")
    )
    shown = {a.pk: own[a.pk].pk if a.pk in own else machine.get(a.pk) for a in articles}
    counts: dict[int, dict[str, int]] = {}
    rows = (
        Span.objects.filter(layer_id__in=[i for i in shown.values() if i])
        .values("layer_id", "label")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts.setdefault(row["layer_id"], {})[row["label"]] = row["n"]
    for article in articles:
        layer = own.get(article.pk)
        article.state = layer.get_state_display() if layer else Layer.STATES[0][1]
        article.counts = [
            (label, counts.get(shown[article.pk], {}).get(label, 0))
            for label in article.corpus.labels
        ]
    return render(request, "annotations/article_list.html", {"articles": articles})


@login_required
@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = _get_article_for_user(request, pk)
    if not is_assigned(article, request.user):
        # An editor who is not annotating it sees the article's review page instead.
        from .review import article_overview

        return article_overview(request, article)
    layer = spans.annotator_layer(article, request.user)
    return render(request, "annotations/article.html", page_context(article, layer))


def page_context(article: Article, layer: Layer, **extra: object) -> dict:
    doc = document_for(article.body)
    layer_spans = list(layer.spans.all())
    labels = article.corpus.labels
    paragraphs = [(p, doc.render(p, layer_spans, labels)) for p in doc.paragraphs]
    return {
        "article": article,
        "layer": layer,
        "editable": not layer.locked and layer.kind != Layer.MACHINE,
        "labels": labels,
        "paragraphs": paragraphs,
        "legend": legend(layer, labels),
        "events": events_with_evidence(layer),
        **extra,
    }


def legend(layer: Layer, labels: list[str]) -> list[tuple[int, str, int]]:
    counts = layer.label_counts()
    return [(i, label, counts.get(label, 0)) for i, label in enumerate(labels)]
