"""The article list and the annotation page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import assignment, events, spans
from ..document import document_for
from ..events import events_with_evidence
from ..forms import PublicationDateForm
from ..models import Article, AuditEntry, Layer, Span
from . import access


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
    article = access.get_article_or_404(request.user, pk)
    if not Article.objects.assigned_to(request.user).filter(pk=article.pk).exists():
        # An editor who is not annotating it sees the article's review page instead.
        return _overview(request, article)
    # Opening the page writes nothing: until the first write, the layer shown is unsaved.
    layer = spans.page_layer(article, request.user)
    can_date = Article.objects.edited_by(request.user).filter(pk=article.pk).exists()
    context = page_context(article, layer, can_date=can_date)
    return render(request, "annotations/article.html", context)


def page_context(article: Article, layer: Layer, **extra: object) -> dict:
    """The annotation page; an unsaved layer shows the machine's spans and events."""
    shown = layer if layer.pk else article.machine_layer()
    doc = document_for(article.body)
    layer_spans = list(shown.spans.all()) if shown else []
    labels = article.corpus.labels
    paragraphs = [(p, doc.render(p, layer_spans, labels)) for p in doc.paragraphs]
    return {
        "article": article,
        "layer": layer,
        "editable": not layer.locked and layer.kind != Layer.MACHINE,
        "labels": labels,
        "paragraphs": paragraphs,
        "legend": legend(shown, labels),
        "events": events_with_evidence(shown) if shown else [],
        **extra,
    }


def legend(layer: Layer | None, labels: list[str]) -> list[tuple[int, str, int]]:
    counts = layer.label_counts() if layer else {}
    return [(i, label, counts.get(label, 0)) for i, label in enumerate(labels)]


def layers_by_article(articles: list[Article]) -> dict[int, list[Layer]]:
    """The human layers of each article, gold first, then annotators by name."""
    found: dict[int, list[Layer]] = {}
    rows = (
        Layer.objects.filter(article__in=articles)
        .exclude(kind=Layer.MACHINE)
        .select_related("annotator")
        .order_by("kind", "annotator__username")
    )
    for layer in rows:
        found.setdefault(layer.article_id, []).append(layer)
    return found


def _overview(request: HttpRequest, article: Article) -> HttpResponse:
    """The editor's page for one article: who annotates it, their layers, gold, history."""
    article = access.get_edited_article_or_404(request.user, article.pk)
    layers = layers_by_article([article]).get(article.pk, [])
    assigned = {a.user_id for a in article.assignments.all()}
    context = {
        "article": article,
        "layers": layers,
        "assigned": article.assignments.select_related("user"),
        "candidates": [u for u in assignment.annotators_of(article.corpus) if u.pk not in assigned],
        "gold": next((x for x in layers if x.kind == Layer.GOLD), None),
        "sources": [x for x in layers if x.kind == Layer.ANNOTATOR and x.state != Layer.NEW],
        "history": AuditEntry.objects.filter(article=article).select_related("user", "layer")[:10],
    }
    return render(request, "annotations/article_review.html", context)


@login_required
@require_POST
def article_date(request: HttpRequest, pk: int) -> HttpResponse:
    """An editor sets the publication date; the machine's event dates are resolved again."""
    article = access.get_edited_article_or_404(request.user, pk)
    form = PublicationDateForm(request.POST)
    if form.is_valid():
        events.set_publication_date(article, form.cleaned_data["published_at"], request.user)
        message, status = _("Publication date set; suggested event dates resolved again."), 200
    else:
        message, status = form.errors["published_at"][0], 422
    if not request.htmx:
        (messages.success if status == 200 else messages.error)(request, message)
        return redirect(article.get_absolute_url())
    context = {"article": article, "can_date": True, "date_message": message, "status": status}
    return render(request, "annotations/article.html#published", context, status=status)
