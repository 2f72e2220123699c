"""The article list, the annotation page, and the editor's article page with its layers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import assignment, events, history, search, spans
from ..document import document_for
from ..events import events_with_evidence
from ..forms import PublicationDateForm
from ..ids import row_id
from ..models import Article, AuditEntry, Corpus, Evidence, Layer, Span
from . import access
from .search import SearchForm, filter_context, next_query

# Handed in: what an editor counts as done for an annotator.
HANDED_IN = (Layer.SUBMITTED, Layer.APPROVED)


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    # The search's filters and words; newest first (what was just imported is what an
    # editor looks for), in keyset pages so a deep page costs what the first one does.
    form = SearchForm(request.GET, user=request.user)
    valid = form.is_valid()
    after = form.cleaned_data["after"] if valid else ""
    articles, next_after = _listed(request, form, after)
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
    edited = set(Corpus.objects.edited_by(request.user).values_list("pk", flat=True))
    progress = _progress([a for a in articles if a.corpus_id in edited])
    for article in articles:
        layer = own.get(article.pk)
        if article.pk in progress:
            article.state = progress[article.pk]
        else:
            article.state = layer.get_state_display() if layer else Layer.STATES[0][1]
        article.counts = [
            (label, counts.get(shown[article.pk], {}).get(label, 0))
            for label in article.corpus.labels
        ]
    context = {
        **filter_context(request, form),
        "articles": articles,
        "filtered": valid and form.asked(),
        "paged": bool(after),
        "next_query": next_query(request, next_after) if next_after else "",
        "first_query": next_query(request, ""),
    }
    template = "annotations/article_list.html"
    if request.htmx:
        template += "#list"
    return render(request, template, context)


def _listed(request: HttpRequest, form: SearchForm, after: str) -> tuple[list[Article], str]:
    """One keyset page of the articles the words and filters keep (every visible article
    when the form is not valid: its errors are shown above the list)."""
    valid = form.is_valid()
    query = form.cleaned_data["q"] if valid else ""
    filters = form.filters() if valid else search.Filters()
    visible = Article.objects.visible_to(request.user)
    below = row_id(after)  # the page's ids are under the last one shown
    found = search.filtered(request.user, visible, query, filters, below=below)
    keep = None
    if filters.in_spans:
        keep = search.in_spans(request.user, query, filters)
    else:
        found = found.defer("body")  # a list of titles; only the span check reads bodies
    return search.page(found, after, size=search.LIST_PAGE_SIZE, order=search.BY_ID, keep=keep)


def _progress(articles: list[Article]) -> dict[int, str]:
    """What an editor wants to know of each article: gold's state, or how many of its
    annotators handed their layer in."""
    gold = dict(
        Layer.objects.filter(kind=Layer.GOLD, article__in=articles).values_list("article", "state")
    )
    handed_in = dict(
        Layer.objects.annotators()
        .filter(article__in=articles, state__in=HANDED_IN)
        .values("article")
        .annotate(n=Count("id"))
        .values_list("article", "n")
    )
    assigned = dict(
        Article.objects.filter(pk__in=[a.pk for a in articles])
        .annotate(n=Count("assignments"))
        .values_list("pk", "n")
    )
    found = {}
    for article in articles:
        if article.pk in gold:
            state = dict(Layer.STATES)[gold[article.pk]]
            found[article.pk] = _("gold %(state)s") % {"state": state}
        elif not assigned.get(article.pk):
            found[article.pk] = _("unassigned")
        else:
            found[article.pk] = _("%(done)s of %(total)s submitted") % {
                "done": handed_in.get(article.pk, 0),
                "total": assigned[article.pk],
            }
    return found


@login_required
@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.get_article_or_404(request.user, pk)
    edits = Article.objects.edited_by(request.user).filter(pk=article.pk).exists()
    assigned = Article.objects.assigned_to(request.user).filter(pk=article.pk).exists()
    if edits and (not assigned or "layer" in request.GET):
        # An editor who is not annotating it sees the article's review page instead.
        return editor_page(request, article, _chosen_layer(request, article))
    if "layer" in request.GET:
        # An annotator may name only their own layer (and then sees their ordinary page).
        _article_layer_or_404(request, article, request.GET["layer"])
    # Opening the page writes nothing: until the first write, the layer shown is unsaved.
    layer = spans.page_layer(article, request.user)
    context = page_context(article, layer, can_date=edits)
    return render(request, "annotations/article.html", context)


def page_context(article: Article, layer: Layer, **extra: object) -> dict:
    """The annotation page; an unsaved layer shows the machine's spans and events."""
    shown = layer if layer.pk else article.machine_layer()
    doc = document_for(article.body)
    layer_spans = list(shown.spans.select_related("place")) if shown else []
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
        "linked_spans": [(s, article.body[s.start : s.end]) for s in layer_spans if s.place_id],
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


def switchable_layers(article: Article) -> list[Layer]:
    """Every layer of the article in the order work flows: machine, annotators, gold."""
    order = {Layer.MACHINE: 0, Layer.ANNOTATOR: 1, Layer.GOLD: 2}
    found = list(article.layers.select_related("annotator"))
    return sorted(found, key=lambda x: (order[x.kind], x.annotator.username if x.annotator else ""))


def _chosen_layer(request: HttpRequest, article: Article) -> Layer:
    """The layer named by ?layer=, else gold, else the machine's pre-tags, else an
    annotator's; an article nobody tagged yet shows an unsaved, empty machine layer."""
    if "layer" in request.GET:
        return _article_layer_or_404(request, article, request.GET["layer"])
    found = {x.kind: x for x in reversed(switchable_layers(article))}
    default = Layer(article=article, kind=Layer.MACHINE)
    return found.get(Layer.GOLD) or found.get(Layer.MACHINE) or found.get(Layer.ANNOTATOR, default)


def _article_layer_or_404(request: HttpRequest, article: Article, raw: str) -> Layer:
    layer = access.get_layer_or_404(request.user, raw)
    if layer.article_id != article.pk:
        raise Http404("Not a layer of this article.")
    return layer


def editor_page(
    request: HttpRequest, article: Article, layer: Layer, **extra: object
) -> HttpResponse:
    """The editor's page for one article: its text with the chosen layer's spans, a switch
    between layers, and who annotates it, their layers, gold, history. Gold is the one
    layer an editor writes to; every other layer is shown read-only."""
    article = access.get_edited_article_or_404(request.user, article.pk)
    layers = layers_by_article([article]).get(article.pk, [])
    assigned = {a.user_id for a in article.assignments.all()}
    writable = layer.kind == Layer.GOLD and not layer.locked
    context = page_context(article, layer, can_date=True, editable=writable, readonly=not writable)
    context.update(
        {
            "switcher": switchable_layers(article),
            "layers": layers,
            "assigned": article.assignments.select_related("user"),
            "candidates": [
                u for u in assignment.annotators_of(article.corpus) if u.pk not in assigned
            ],
            "gold": next((x for x in layers if x.kind == Layer.GOLD), None),
            "sources": [x for x in layers if x.kind == Layer.ANNOTATOR and x.state != Layer.NEW],
            "history": history.describe(AuditEntry.objects.filter(article=article)[:10], article),
            **extra,
        }
    )
    return render(request, "annotations/article_review.html", context)


def layer_page(request: HttpRequest, layer: Layer, **extra: object) -> HttpResponse:
    """One layer, read-only unless it is gold and the user edits the article: for an editor
    the article page with this layer chosen, for an annotator their own layer."""
    article = layer.article
    if Article.objects.edited_by(request.user).filter(pk=article.pk).exists():
        return editor_page(request, article, layer, **extra)
    context = page_context(article, layer, editable=False, readonly=True, **extra)
    return render(request, "annotations/article.html", context)


@login_required
@require_GET
def layer_span(request: HttpRequest, pk: int, span: int) -> HttpResponse:
    """A span of a layer the user may read, shown without editing controls: what a click
    on a mark opens when the page shows someone else's layer or the machine's."""
    layer = access.get_layer_or_404(request.user, pk)
    found = access.get_or_404(layer.spans.select_related("place"), span)
    shown = {
        "span": found,
        "text": layer.article.body[found.start : found.end],
        # The events this span is evidence for: what the editor checks an event against.
        "cited_by": Evidence.objects.filter(
            event__layer=layer, start__lt=found.end, end__gt=found.start
        ).select_related("event"),
    }
    if request.htmx:
        context = {"article": layer.article, "layer": layer, **shown}
        return render(request, "annotations/article.html#span-readonly", context)
    return layer_page(request, layer, **shown)


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
