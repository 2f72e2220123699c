"""The search page: Arabic-aware word search over the articles a user may see."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import search as engine
from ..models import Article, Corpus, Layer


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=300)
    corpus = forms.IntegerField(label=_("Corpus"), required=False, min_value=1)
    published_from = forms.DateField(label=_("Published from"), required=False)
    published_to = forms.DateField(label=_("Published to"), required=False)
    place = forms.IntegerField(label=_("Place id"), required=False, min_value=1)
    actor = forms.IntegerField(label=_("Actor id"), required=False, min_value=1)
    state = forms.ChoiceField(
        label=_("Layer state"), required=False, choices=[("", _("any")), *Layer.STATES]
    )
    annotator = forms.IntegerField(label=_("Annotator id"), required=False, min_value=1)
    after = forms.CharField(required=False, max_length=40)

    def filters(self) -> engine.Filters:
        data = self.cleaned_data
        fields = ("corpus", "published_from", "published_to", "place", "actor", "annotator")
        return engine.Filters(state=data["state"], **{name: data[name] for name in fields})


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    results, after, query = [], "", ""
    if form.is_valid() and _asked(form):
        query = form.cleaned_data["q"]
        found = engine.search(request.user, query, form.filters())
        articles, after = engine.page(found, form.cleaned_data["after"])
        results = [(article, engine.snippet(article, query)) for article in articles]
    context = {
        "form": form,
        "results": results,
        "asked": form.is_valid() and _asked(form),
        "next_query": _next_query(request, after) if after else "",
        "corpora": _corpora(request),
    }
    template = "annotations/search.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def _asked(form: SearchForm) -> bool:
    data = form.cleaned_data
    return any(data[name] for name in data if name != "after")


def _next_query(request: HttpRequest, after: str) -> str:
    query = request.GET.copy()
    query["after"] = after
    return query.urlencode()


def _corpora(request: HttpRequest) -> list[Corpus]:
    """The corpora of the articles the user may see, for the corpus filter."""
    visible = Article.objects.visible_to(request.user).values("corpus_id")
    return list(Corpus.objects.filter(pk__in=visible))
