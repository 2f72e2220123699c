"""The search page, its name pickers, and the filter form the article list shares."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from .. import search as engine
from ..acled import SUB_EVENT_TYPES, type_choices
from ..forms import SUB_TYPE_CHOICES
from ..ids import MAX_ID
from ..models import Article, Corpus, Layer

ANY = [("", pgettext_lazy("search filter", "any"))]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=300)
    in_spans = forms.BooleanField(label=_("only in entity spans"), required=False)
    corpus = forms.IntegerField(label=_("Corpus"), required=False, min_value=1, max_value=MAX_ID)
    published_from = forms.DateField(label=_("Published from"), required=False)
    published_to = forms.DateField(label=_("Published to"), required=False)
    # Pickers send ids; the *_text fields are what was typed, used when nothing was picked
    # (a browser without JavaScript, or Enter before choosing).
    place = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    place_text = forms.CharField(label=_("Place"), required=False, max_length=200)
    within_km = forms.FloatField(
        label=_("within km"), required=False, min_value=0.1, max_value=1000
    )
    actor = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    actor_text = forms.CharField(label=_("Actor"), required=False, max_length=200)
    event_type = forms.ChoiceField(
        label=_("Event type"), required=False, choices=ANY + type_choices()
    )
    sub_event_type = forms.ChoiceField(
        label=_("Sub-event type"), required=False, choices=ANY + SUB_TYPE_CHOICES
    )
    state = forms.ChoiceField(label=_("Layer state"), required=False, choices=ANY + Layer.STATES)
    annotator = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )
    annotator_text = forms.CharField(label=_("Annotator"), required=False, max_length=200)
    after = forms.CharField(required=False, max_length=40)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        sub = data.get("sub_event_type")
        if sub and data.get("event_type") not in ("", SUB_EVENT_TYPES[sub]):
            self.add_error("sub_event_type", _("This sub-event type is not of that event type."))
        if data.get("within_km") and not (data.get("place") or data.get("place_text")):
            self.add_error("within_km", _("Choose a place to measure the distance from."))
        for kind in ("place", "actor", "annotator"):
            if not data.get(kind) and data.get(f"{kind}_text"):
                data[kind] = self._first_named(kind, data[f"{kind}_text"])
        if data.get("annotator") and not option(self.user, "annotator", data["annotator"]):
            # Only someone the picker would offer: the same answer as an unknown id, so the
            # error does not tell who annotates what either.
            self.add_error("annotator_text", _("Nothing of that name."))
            data["annotator"] = None
        return data

    def _first_named(self, kind: str, text: str) -> int | None:
        """A typed name not picked from the list: its first option, or an error."""
        found = options(self.user, kind, text)
        if not found:
            self.add_error(f"{kind}_text", _("Nothing of that name."))
            return None
        return found[0].pk

    def filters(self) -> engine.Filters:
        data = self.cleaned_data
        names = ("corpus", "published_from", "published_to", "place", "within_km", "actor")
        return engine.Filters(
            **{name: data[name] for name in names},
            event_type=data["event_type"] or SUB_EVENT_TYPES.get(data["sub_event_type"], ""),
            sub_event_type=data["sub_event_type"],
            state=data["state"],
            annotator=data["annotator"],
            in_spans=data["in_spans"],
        )

    def asked(self) -> bool:
        """Whether any filter or word was given (an empty search shows no results)."""
        data = self.cleaned_data
        return any(data[name] for name in data if name not in ("after", "in_spans"))

    def chosen(self) -> dict[str, engine.Option | None]:
        """The picked place, actor and annotator by name, to show in their pickers."""
        data = self.cleaned_data if self.is_valid() else {}
        return {kind: option(self.user, kind, data.get(kind)) for kind in PICKERS}


PICKERS = ("place", "actor", "annotator")


def options(user: Any, kind: str, term: str) -> list[engine.Option]:
    if kind == "place":
        return engine.place_options(term)
    if kind == "actor":
        return engine.actor_options(term)
    return engine.annotator_options(user, term)


def option(user: Any, kind: str, pk: int | None) -> engine.Option | None:
    if not pk:
        return None
    if kind == "place":
        return engine.place_option(pk)
    if kind == "actor":
        return engine.actor_option(pk)
    return engine.annotator_option(user, pk)


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET, user=request.user)
    results, after, query = [], "", ""
    asked = form.is_valid() and form.asked()
    if asked:
        query, filters = form.cleaned_data["q"], form.filters()
        found = engine.search(request.user, query, filters)
        keep = engine.in_spans(request.user, query, filters) if filters.in_spans else None
        articles, after = engine.page(found, form.cleaned_data["after"], keep=keep)
        results = _with_snippets(request.user, articles, query, filters)
    context = {
        **filter_context(request, form),
        "results": results,
        "asked": asked,
        "next_query": next_query(request, after) if after else "",
    }
    template = "annotations/search.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def _with_snippets(
    user: Any, articles: list[Article], query: str, filters: engine.Filters
) -> list[tuple[Article, engine.Snippet | None]]:
    spans = None
    if filters.in_spans:
        spans = engine.span_ranges(user, [a.pk for a in articles], filters)
    return [
        (a, engine.snippet(a, query, spans.get(a.pk, []) if spans is not None else None))
        for a in articles
    ]


def filter_context(request: HttpRequest, form: SearchForm) -> dict[str, Any]:
    """What the filter form needs, on the search page and on the article list."""
    return {"form": form, "chosen": form.chosen(), "corpora": _corpora(request)}


def next_query(request: HttpRequest, after: str) -> str:
    query = request.GET.copy()
    query["after"] = after
    return query.urlencode()


def _corpora(request: HttpRequest) -> list[Corpus]:
    """The corpora of the articles the user may see, for the corpus filter."""
    visible = Article.objects.visible_to(request.user).values("corpus_id")
    return list(Corpus.objects.filter(pk__in=visible))


@login_required
@require_GET
def pick(request: HttpRequest, kind: str) -> HttpResponse:
    """The options of a picker for what was typed (htmx swaps them under the field)."""
    if kind not in PICKERS:
        raise Http404("No such picker.")
    term = request.GET.get(f"{kind}_text", "")[:200]
    found = options(request.user, kind, term)
    context = {"kind": kind, "options": found, "term": term}
    return render(request, "annotations/search_pick.html", context)
