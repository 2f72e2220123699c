"""Editors' review: assignments, layer states, the per-article history; annotators' hand-in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import assignment, workflow
from ..document import document_for
from ..events import events_with_evidence
from ..models import Article, Assignment, AuditEntry, Corpus, Layer, Membership
from .articles import _get_article_for_user, legend, page_context

PAGE_SIZE = 100


def _edited_corpora(request: HttpRequest) -> Any:
    corpora = Corpus.objects.edited_by(request.user)
    if not corpora.exists():
        raise Http404
    return corpora


def _get_edited_article(request: HttpRequest, pk: int) -> Article:
    return get_object_or_404(
        Article.objects.edited_by(request.user).select_related("corpus"), pk=pk
    )


def _layers_by_article(articles: list[Article]) -> dict[int, list[Layer]]:
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


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """Every article of an edited corpus with its annotators, their layers' states and gold."""
    corpora = list(_edited_corpora(request))
    chosen = request.GET.get("corpus", "")
    corpus = next((c for c in corpora if str(c.pk) == chosen), corpora[0])
    state = request.GET.get("state", "")
    articles = corpus.articles.prefetch_related(
        Prefetch("assignments", queryset=Assignment.objects.select_related("user"))
    ).order_by("pk")
    if state in dict(Layer.STATES):
        articles = articles.filter(layers__kind=Layer.ANNOTATOR, layers__state=state).distinct()
    elif state == "unassigned":
        articles = articles.filter(assignments__isnull=True)
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    layers = _layers_by_article(rows)
    for article in rows:
        by_user = {
            layer.annotator_id: layer
            for layer in layers.get(article.pk, [])
            if layer.kind == Layer.ANNOTATOR
        }
        assigned = [a.user for a in article.assignments.all()]
        # Layers of annotators no longer assigned still show: their work is on record.
        former = [
            layer.annotator for uid, layer in by_user.items() if uid not in {u.pk for u in assigned}
        ]
        article.people = [(u, by_user.get(u.pk), True) for u in assigned] + [
            (u, by_user[u.pk], False) for u in former
        ]
        article.gold = next((x for x in layers.get(article.pk, []) if x.kind == Layer.GOLD), None)
    context = {
        "corpora": corpora,
        "corpus": corpus,
        "state": state,
        "states": Layer.STATES,
        "page": page,
        "articles": rows,
        "annotators": assignment.annotators_of(corpus),
    }
    return render(request, "annotations/review.html", context)


def article_overview(request: HttpRequest, article: Article) -> HttpResponse:
    """The editor's page for one article: who annotates it, their layers, gold, history."""
    if not Article.objects.edited_by(request.user).filter(pk=article.pk).exists():
        raise Http404
    layers = _layers_by_article([article]).get(article.pk, [])
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
def article_assign(request: HttpRequest, pk: int) -> HttpResponse:
    article = _get_edited_article(request, pk)
    User = get_user_model()
    user = get_object_or_404(User, pk=request.POST.get("user") or 0)
    action = request.POST.get("action", "assign")
    try:
        if action == "unassign":
            assignment.unassign(article, user, request.user)
            messages.success(
                request, _("%(user)s no longer annotates this article.") % {"user": user}
            )
        elif action == "assign":
            assignment.assign(article, user, request.user)
            messages.success(request, _("Assigned to %(user)s.") % {"user": user})
        else:
            return HttpResponse(_("Unknown action."), status=400)
    except assignment.AssignmentRefused as exc:
        messages.error(request, str(exc))
    return redirect(_next_url(request, article.get_absolute_url()))


@login_required
@require_POST
def auto_assign(request: HttpRequest, pk: int) -> HttpResponse:
    corpus = get_object_or_404(_edited_corpora(request), pk=pk)
    made = assignment.auto_assign(corpus, request.user)
    if not corpus.memberships.filter(role=Membership.ANNOTATOR).exists():
        messages.error(request, _("This corpus has no annotators to assign."))
    else:
        messages.success(request, _("%(n)s assignment(s) made.") % {"n": made})
    return redirect(f"{reverse('review')}?corpus={corpus.pk}")


@login_required
@require_POST
def corpus_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """How many annotators each article gets (1–3); existing assignments stay."""
    corpus = get_object_or_404(_edited_corpora(request), pk=pk)
    raw = request.POST.get("annotators_per_article", "")
    if not raw.isdigit() or not 1 <= int(raw) <= 3:
        messages.error(request, _("Annotators per article must be 1, 2 or 3."))
    else:
        corpus.annotators_per_article = int(raw)
        corpus.save(update_fields=["annotators_per_article"])
        messages.success(request, _("Each article now gets %(n)s annotator(s).") % {"n": raw})
    return redirect(f"{reverse('review')}?corpus={corpus.pk}")


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    # Only same-site paths: a form must not be able to send the user elsewhere.
    return target if target.startswith("/") and not target.startswith("//") else default


@login_required
@require_GET
def next_article(request: HttpRequest) -> HttpResponse:
    found = assignment.next_article(request.user)
    if found is None:
        messages.info(request, _("Nothing left to annotate: every assigned article is handed in."))
        return redirect("article_list")
    return redirect(found.get_absolute_url())


def _get_layer_for_user(request: HttpRequest, pk: int) -> Layer:
    """Editors see every layer of their corpora; an annotator only their own."""
    visible = Layer.objects.select_related("article__corpus", "annotator").filter(
        Q(article__in=Article.objects.edited_by(request.user))
        | Q(kind=Layer.ANNOTATOR, annotator=request.user)
    )
    return get_object_or_404(visible, pk=pk)


@login_required
@require_GET
def layer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One layer, read-only: what the editor reviews before approving or returning it."""
    layer = _get_layer_for_user(request, pk)
    article = layer.article
    is_editor = Article.objects.edited_by(request.user).filter(pk=article.pk).exists()
    if layer.kind == Layer.GOLD and is_editor:
        # The gold layer is edited on the ordinary annotation page (writes name the layer).
        return render(request, "annotations/article.html", page_context(article, layer))
    doc = document_for(article.body)
    layer_spans = list(layer.spans.all())
    labels = article.corpus.labels
    context = {
        "article": article,
        "layer": layer,
        "labels": labels,
        "paragraphs": [(p, doc.render(p, layer_spans, labels)) for p in doc.paragraphs],
        "legend": legend(layer, labels),
        "events": events_with_evidence(layer),
        "is_editor": is_editor,
    }
    return render(request, "annotations/layer.html", context)


@login_required
@require_POST
def layer_submit(request: HttpRequest, pk: int) -> HttpResponse:
    layer = get_object_or_404(
        Layer.objects.filter(kind=Layer.ANNOTATOR, annotator=request.user), pk=pk
    )
    _get_article_for_user(request, layer.article_id)
    try:
        workflow.submit(layer, request.user)
    except workflow.TransitionRefused as exc:
        messages.error(request, str(exc))
        return redirect(layer.article.get_absolute_url())
    messages.success(
        request, _("Submitted for review. It is read-only until an editor returns it.")
    )
    return redirect("next_article")


@login_required
@require_POST
def layer_review(request: HttpRequest, pk: int) -> HttpResponse:
    layer = get_object_or_404(
        Layer.objects.filter(article__in=Article.objects.edited_by(request.user)), pk=pk
    )
    action = request.POST.get("action", "")
    try:
        if action == "approve" and layer.kind == Layer.GOLD:
            workflow.approve_gold(layer, request.user)
        elif action == "reopen" and layer.kind == Layer.GOLD:
            workflow.reopen_gold(layer, request.user)
        elif action == "approve":
            workflow.approve(layer, request.user)
        elif action == "return":
            workflow.request_changes(layer, request.user, request.POST.get("comment", ""))
        else:
            return HttpResponse(_("Unknown action."), status=400)
    except workflow.TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The layer is now %(state)s.") % {"state": layer.get_state_display()}
        )
    return redirect(_next_url(request, reverse("layer_detail", args=[layer.pk])))


@login_required
@require_GET
def article_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every recorded change to the article: who, when, before and after."""
    article = _get_edited_article(request, pk)
    entries = AuditEntry.objects.filter(article=article).select_related("user", "layer__annotator")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "annotations/history.html", {"article": article, "page": page})
