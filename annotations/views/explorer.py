"""The events explorer (editors): a corpus's coded events as a table, a map and a timeline,
and the same events as CSV; a row opens its event in its article with the evidence listed."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import explorer
from ..acled import EVENT_TYPES, SUB_EVENT_TYPES
from ..document import document_for
from ..forms import EventForm
from ..ids import parse_id
from ..models import Article, Corpus, Event, Evidence, Layer, Place
from . import access, articles

PAGE_SIZE = 100


class ExplorerForm(forms.Form):
    corpus = forms.IntegerField(label=_("Corpus"), required=False, min_value=1)
    # Which layers: empty for gold, "machine" for the pre-tags, or an annotator's user id.
    annotator = forms.RegexField(
        label=_("Layers"), required=False, regex=rf"^(?:{explorer.MACHINE}|[1-9][0-9]{{0,17}})$"
    )
    date_from = forms.DateField(label=_("Events from"), required=False)
    date_to = forms.DateField(label=_("Events to"), required=False)
    event_type = forms.ChoiceField(
        label=_("Event type"), required=False, choices=[("", ""), *((t, t) for t in EVENT_TYPES)]
    )
    sub_event_type = forms.ChoiceField(
        label=_("Sub-event type"),
        required=False,
        choices=[("", ""), *((s, s) for s in SUB_EVENT_TYPES)],
    )
    country = forms.RegexField(label=_("Country"), required=False, regex=r"^[A-Z]{2}$")
    admin1 = forms.RegexField(label=_("Region"), required=False, regex=r"^[A-Z]{2}\.[\w-]{1,20}$")
    place = forms.IntegerField(label=_("Place id"), required=False, min_value=1)
    actor = forms.IntegerField(label=_("Actor"), required=False, min_value=1)
    fatalities_min = forms.IntegerField(label=_("Fatalities at least"), required=False, min_value=0)

    def value(self, name: str) -> Any:
        """A field's clean value; an invalid one counts as not given (its error is shown)."""
        return getattr(self, "cleaned_data", {}).get(name)

    def filters(self) -> explorer.Filters:
        names = ("date_from", "date_to", "place", "actor", "fatalities_min")
        texts = ("event_type", "sub_event_type", "country", "admin1")
        return explorer.Filters(
            **{n: self.value(n) for n in names}, **{n: self.value(n) or "" for n in texts}
        )


def _selection(request: HttpRequest) -> tuple[ExplorerForm, explorer.Selection]:
    """The form and what it selects; without a corpus named, the first the user edits."""
    corpora = access.edited_corpora_or_404(request.user)
    form = ExplorerForm(request.GET)
    form.is_valid()
    named = form.value("corpus")
    corpus = access.get_edited_corpus_or_404(request.user, named) if named else corpora.first()
    choice = form.value("annotator") or ""
    machine = choice == explorer.MACHINE
    annotator = None if machine else parse_id(choice)
    if annotator and not explorer.annotates(corpus, annotator):
        annotator = None  # kept from another corpus in the form: this one's gold instead
    return form, explorer.Selection(corpus, annotator, form.filters(), machine=machine)


@login_required
@require_GET
def event_explorer(request: HttpRequest) -> HttpResponse:
    form, selection = _selection(request)
    sort = explorer.parse_sort(request.GET.get("sort", ""))
    found = explorer.events(selection)
    page = Paginator(explorer.with_columns(explorer.ordered(found, sort)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "selection": selection,
        "sort": sort,
        "page": page,
        "columns": _columns(request, sort),
        "page_query": _query(request, drop=("page",)),
        "csv_query": _query(request, drop=("page", "sort")),
        # Nothing shown: say whether the filters hid everything or the layers hold nothing.
        "nothing_coded": not page.paginator.count
        and not explorer.events(selection.unfiltered).exists(),
    }
    if request.htmx and request.htmx.target == "event-table":
        # A sort or a page changes only the table; the map and timeline stay.
        return render(request, "annotations/explorer.html#table", context)
    context.update(_summary(found))
    if request.htmx:
        return render(request, "annotations/explorer.html#results", context)
    context.update(_page_extras(request, selection))
    return render(request, "annotations/explorer.html", context)


def _summary(found: QuerySet[Event]) -> dict[str, Any]:
    """What sums up every filtered event, not only the page: the map and the timeline."""
    timeline = explorer.timeline(found)
    return {
        "points": explorer.map_points(found),
        "timeline": timeline,
        "bars": _bars(timeline),
    }


def _bars(timeline: explorer.Timeline) -> SafeString:
    """The timeline's bars as SVG: a week's bar is its sub-types' rects stacked, with the
    week's counts as its tooltip. Written here rather than in the template: a year of weeks
    by 25 sub-types is a thousand rects, which the template language takes ~10× longer to
    write. Numbers are written unlocalised, as SVG wants them; sub-types are escaped."""
    weeks = []
    for week in timeline.weeks:
        title = escape(
            f"{week.label}: {week.total}" + (f" — {week.breakdown}" if week.total else "")
        )
        rects = "".join(
            f'<rect x="{week.bar_x:.2f}" y="{s.y:.3f}" width="0.9" height="{s.height:.3f}"'
            f' class="st-{s.colour}"/>'
            for s in week.segments
        )
        weeks.append(f"<g><title>{title}</title>{rects}</g>")
    return mark_safe("".join(weeks))  # numbers and escaped text only


def _page_extras(request: HttpRequest, selection: explorer.Selection) -> dict[str, Any]:
    """The choices of the filter form, for the whole page only."""
    return {
        "corpora": list(Corpus.objects.edited_by(request.user).order_by("name")),
        **explorer.filter_options(selection),
        "annotators": explorer.annotators(selection.corpus),
        "event_types": list(EVENT_TYPES),
        "sub_event_types": EVENT_TYPES,
        "map_tiles": settings.NEWSDESK_MAP_TILES,
    }


# Column headers: (sort name, label); a click sorts by it, a second click the other way.
COLUMNS = [
    ("id", _("Event")),
    ("date", _("Date")),
    ("type", _("Type")),
    ("place", _("Place")),
    ("actor", _("Actors")),
    ("fatalities", _("Fatalities")),
    ("article", _("Article")),
]


def _columns(request: HttpRequest, sort: str) -> list[dict[str, Any]]:
    base = _query(request, drop=("page", "sort"))
    found = []
    for name, label in COLUMNS:
        current = sort.removeprefix("-") == name
        descending = sort.startswith("-")
        # Dates and fatalities are most useful newest and highest first.
        first = f"-{name}" if name in ("date", "fatalities") else name
        flipped = name if descending else f"-{name}"
        target = flipped if current else first
        found.append(
            {
                "label": label,
                "query": f"{base}&sort={target}" if base else f"sort={target}",
                "aria_sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    return found


def _query(request: HttpRequest, drop: tuple[str, ...]) -> str:
    query: QueryDict = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(found: QuerySet[Event]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in explorer.csv_rows(found):
        yield writer.writerow(row)


@login_required
@require_GET
def event_explorer_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every event the page shows with these filters (all pages), in its order."""
    _form, selection = _selection(request)
    sort = explorer.parse_sort(request.GET.get("sort", ""))
    found = explorer.ordered(explorer.events(selection), sort)
    response = StreamingHttpResponse(_csv_lines(found), content_type="text/csv; charset=utf-8")
    name = f"events-{selection.corpus.pk}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def event_in_article(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor's article page showing the event's layer with the event's panel open: its
    fields and its evidence (each cited passage lights up in the text as it is pointed at)."""
    edited = Event.objects.filter(layer__article__in=Article.objects.edited_by(request.user))
    event = access.get_or_404(edited.select_related("layer__article__corpus"), pk)
    layer = event.layer
    panel = {
        "event": event,
        "form": EventForm(instance=event, places=_places_for(layer)),
        "evidence": _evidence(event, layer.article),
        "evidence_choices": Evidence.FIELDS,
        "cited": frozenset(),
    }
    return articles.editor_page(request, layer.article, layer, **panel)


def _places_for(layer: Layer) -> QuerySet[Place]:
    """The places the event form offers: those linked in the layer or set on its events."""
    linked = layer.spans.filter(place__isnull=False).values("place_id")
    return Place.objects.filter(Q(pk__in=linked) | Q(pk__in=layer.events.values("place_id")))


def _evidence(event: Event, article: Article) -> list[tuple[Evidence, str, str]]:
    doc = document_for(article.body)
    return [
        (ev, article.body[ev.start : ev.end], json.dumps(doc.pieces_in(ev.start, ev.end)))
        for ev in event.evidence.all()
    ]
