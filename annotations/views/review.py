"""Editors' review: assignments, layer states, the per-article history; annotators' hand-in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import assignment, history, spans, workflow
from ..ids import parse_id
from ..models import Article, Assignment, AuditEntry, Layer, Membership
from . import access
from .articles import layer_page, layers_by_article

PAGE_SIZE = 100


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """Every article of an edited corpus with its annotators, their layers' states and gold."""
    corpora = list(access.edited_corpora_or_404(request.user))
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
    layers = layers_by_article(rows)
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


@login_required
@require_POST
def article_assign(request: HttpRequest, pk: int) -> HttpResponse:
    article = access.get_edited_article_or_404(request.user, pk)
    user_id = parse_id(request.POST.get("user"))
    if user_id is None:
        return HttpResponseBadRequest(_("Choose an annotator."), content_type="text/plain")
    user = get_object_or_404(get_user_model(), pk=user_id)
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
    corpus = access.get_edited_corpus_or_404(request.user, pk)
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
    corpus = access.get_edited_corpus_or_404(request.user, pk)
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


@login_required
@require_GET
def layer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One layer: for an editor, the article page with this layer chosen (gold is edited
    there); for an annotator, their own layer read-only."""
    return layer_page(request, access.get_layer_or_404(request.user, pk))


@login_required
@require_POST
def layer_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _submit(request, access.get_own_layer_or_404(request.user, pk))


@login_required
@require_POST
def article_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand in an article nobody changed yet: the machine's spans, as they are, are the answer."""
    article = access.get_article_or_404(request.user, pk)
    if not Article.objects.assigned_to(request.user).filter(pk=article.pk).exists():
        raise Http404("Not assigned to you.")
    return _submit(request, spans.annotator_layer(article, request.user))


def _submit(request: HttpRequest, layer: Layer) -> HttpResponse:
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
    layer = access.get_edited_layer_or_404(request.user, pk)
    action = request.POST.get("action", "")
    try:
        if action == "approve" and layer.kind == Layer.GOLD:
            workflow.approve_gold(layer, request.user)
            done = _("Gold approved: it is final and read-only until reopened.")
        elif action == "reopen" and layer.kind == Layer.GOLD:
            workflow.reopen_gold(layer, request.user)
            done = _("Gold reopened: you can edit it again.")
        elif action == "approve":
            workflow.approve(layer, request.user)
            done = _("Layer approved.")
        elif action == "return":
            workflow.request_changes(layer, request.user, request.POST.get("comment", ""))
            done = _("Changes requested; the annotator can edit again.")
        else:
            return HttpResponse(_("Unknown action."), status=400)
    except workflow.TransitionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    shown = f"{layer.article.get_absolute_url()}?layer={layer.pk}"
    return redirect(_next_url(request, shown))


@login_required
@require_GET
def article_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every recorded change to the article: who, when, before and after."""
    article = access.get_edited_article_or_404(request.user, pk)
    entries = AuditEntry.objects.filter(article=article).select_related("user", "layer__annotator")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = history.describe(page.object_list, article)
    context = {"article": article, "page": page, "rows": rows}
    return render(request, "annotations/history.html", context)
