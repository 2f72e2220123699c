"""The events explorer: every event coded in a corpus, as a table, map points, a timeline, CSV.

Which events: those of the corpus's gold layers, of one annotator's layers when one is
chosen, or the pre-tags (machine layers: what the pre-tagger found before anyone checked it,
all a corpus has before annotation starts). Never a mix: an article told twice would count
twice. Then the filters, each
optional: event dates from/to, event type and sub-type, country and admin1 (GeoNames codes
of the event's place: `SY` and `SY.04` for Ar-Raqqah governorate), one place, one actor in
any of the four actor fields, and a least number of fatalities.

The page shows one page of rows, but the map and the timeline summarise every filtered event,
each in one grouped query, so 10,000 events cost the same few queries as ten:

    >>> selection = Selection(corpus, filters=Filters(country="SY", fatalities_min=1))
    >>> found = events(selection)             # a QuerySet, not evaluated
    >>> map_points(found)                     # [[lat, lon, events, place name, place id], ...]
    >>> timeline(found).weeks[0].segments     # ISO weeks (Monday), stacked by sub-type
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, OrderBy, Q, QuerySet
from django.db.models.functions import TruncWeek

from . import acled
from .acled import EVENT_TYPES
from .exports.acled import spreadsheet_cell
from .models import Actor, Corpus, Event, Layer, Place

# Every sub-type has a fixed place in ACLED's order: its colour in the timeline and legend
# stays the same from one filter to the next.
SUB_TYPES = [sub for subs in EVENT_TYPES.values() for sub in subs]

# Sortable columns: the name in the URL → the fields ordered by; the id last, so a page
# boundary never splits rows that tie.
SORTS = {
    "date": ("event_date",),
    "type": ("event_type", "sub_event_type"),
    "place": ("place__name",),
    "actor": ("actor1__name",),
    "fatalities": ("fatalities",),
    "article": ("layer__article__title",),
    "id": (),
}
DEFAULT_SORT = "-date"

# A timeline longer than ten years draws only the weeks that have events (a mistyped year
# would otherwise stretch it over thousands of empty weeks).
MAX_FILLED_WEEKS = 520
CHART_HEIGHT = 100.0


@dataclass(frozen=True)
class Filters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    event_type: str = ""
    sub_event_type: str = ""
    country: str = ""
    admin1: str = ""  # "SY.04": a country code and the GeoNames admin1 code under it
    place: int | None = None
    actor: int | None = None
    fatalities_min: int | None = None


MACHINE = "machine"  # the layers choice that means the pre-tags


@dataclass(frozen=True)
class Selection:
    corpus: Corpus
    annotator: int | None = None  # a user id: their layers instead of gold
    filters: Filters = field(default_factory=Filters)
    machine: bool = False  # the pre-tags instead of gold (annotator is then None)

    @property
    def layers_choice(self) -> str:
        """The value of the page's layers select: "" for gold, "machine", or a user id."""
        if self.machine:
            return MACHINE
        return str(self.annotator) if self.annotator is not None else ""

    @property
    def unfiltered(self) -> Selection:
        return Selection(self.corpus, self.annotator, machine=self.machine)


def layers(selection: Selection) -> QuerySet[Layer]:
    chosen = Layer.objects.filter(article__corpus=selection.corpus)
    if selection.machine:
        return chosen.filter(kind=Layer.MACHINE)
    if selection.annotator is None:
        return chosen.filter(kind=Layer.GOLD)
    return chosen.filter(kind=Layer.ANNOTATOR, annotator_id=selection.annotator)


def events(selection: Selection) -> QuerySet[Event]:
    found = Event.objects.filter(layer__in=layers(selection).values("pk"))
    return found.filter(_filter_q(selection.filters))


def _filter_q(f: Filters) -> Q:
    q = Q()
    if f.date_from:
        q &= Q(event_date__gte=f.date_from)
    if f.date_to:
        q &= Q(event_date__lte=f.date_to)
    if f.event_type:
        q &= Q(event_type=f.event_type)
    if f.sub_event_type:
        q &= Q(sub_event_type=f.sub_event_type)
    if f.country:
        q &= Q(place__country_code=f.country)
    if f.admin1:
        country, _, code = f.admin1.partition(".")
        q &= Q(place__country_code=country, place__admin1_code=code)
    if f.place:
        q &= Q(place_id=f.place)
    if f.actor:
        q &= _actor_q(f.actor)
    if f.fatalities_min is not None:
        q &= Q(fatalities__gte=f.fatalities_min)
    return q


def _actor_q(actor: int) -> Q:
    return (
        Q(actor1_id=actor)
        | Q(actor2_id=actor)
        | Q(assoc_actor_1_id=actor)
        | Q(assoc_actor_2_id=actor)
    )


def parse_sort(raw: str) -> str:
    """A whitelisted sort ('date', '-fatalities'); anything else is the default."""
    return raw if raw.removeprefix("-") in SORTS else DEFAULT_SORT


def ordered(found: QuerySet[Event], sort: str) -> QuerySet[Event]:
    """Sorted by a whitelisted column; events with no value last whichever the direction,
    on SQLite as on PostgreSQL (whose defaults differ)."""
    sort = parse_sort(sort)
    descending = sort.startswith("-")
    names = [*SORTS[sort.removeprefix("-")], "id"]
    return found.order_by(*(_order(name, descending) for name in names))


def _order(name: str, descending: bool) -> OrderBy:
    return F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)


# The columns the table shows; an article's body (long) and tokens are never loaded.
TABLE_FIELDS = (
    "id",
    "event_type",
    "sub_event_type",
    "event_date",
    "fatalities",
    "layer__id",
    "layer__article__id",
    "layer__article__title",
    "place__id",
    "place__name",
    "place__country_code",
    "actor1__name",
    "actor2__name",
)
# The CSV's: all of the table's and the rest of the event's people and place. (Each join
# costs the page query planning time, so the table has only what it shows.)
CSV_FIELDS = (
    *TABLE_FIELDS,
    "layer__kind",
    "layer__annotator__username",
    "place__geonameid",
    "place__latitude",
    "place__longitude",
    "place__admin1",
    "assoc_actor_1__name",
    "assoc_actor_2__name",
)


def with_columns(found: QuerySet[Event], fields: tuple[str, ...] = TABLE_FIELDS) -> QuerySet[Event]:
    related = [name.rsplit("__", 1)[0] for name in fields if "__" in name]
    return found.select_related(*dict.fromkeys(related)).only(*fields)


def map_points(found: QuerySet[Event]) -> list[list]:
    """One point per place with its number of events: [lat, lon, events, name, place id].
    Grouped by the place's id alone (a hash of integers), its columns taken with Max:
    grouping by the name and coordinates too sorts every event's wide row (3× slower)."""
    located = found.filter(place__latitude__isnull=False, place__longitude__isnull=False)
    rows = (
        located.values("place_id")
        .annotate(
            n=Count("id"),
            name=Max("place__name"),
            lat=Max("place__latitude"),
            lon=Max("place__longitude"),
        )
        .values_list("lat", "lon", "n", "name", "place_id")
        .order_by()
    )
    return [[round(lat, 5), round(lon, 5), n, name, pk] for lat, lon, n, name, pk in rows]


@dataclass
class Segment:
    sub_event_type: str
    colour: int  # the sub-type's index in SUB_TYPES: its CSS class
    n: int
    y: float
    height: float


@dataclass
class Week:
    start: datetime.date
    x: int
    total: int = 0
    segments: list[Segment] = field(default_factory=list)

    @property
    def label(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def breakdown(self) -> str:
        return "; ".join(f"{acled.label(s.sub_event_type)}: {s.n}" for s in self.segments)

    @property
    def bar_x(self) -> float:
        return self.x + 0.05  # a bar 0.9 wide, centred in its week's slot of 1


@dataclass
class Timeline:
    weeks: list[Week]
    legend: list[tuple[int, str, int]]  # (colour, sub-type, events)
    highest: int
    undated: int

    @property
    def width(self) -> int:
        return max(len(self.weeks), 1)

    @property
    def first_label(self) -> str:
        return self.weeks[0].label if self.weeks else ""

    @property
    def last_label(self) -> str:
        return self.weeks[-1].label if self.weeks else ""


def timeline(found: QuerySet[Event]) -> Timeline:
    """Events per ISO week (weeks start on Monday), stacked by sub-type in ACLED's order;
    heights in a 0–100 box the page's SVG stretches to its width."""
    rows = (
        found.annotate(week=TruncWeek("event_date"))
        .values_list("week", "sub_event_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[datetime.date, dict[str, int]] = {}
    undated = 0
    for week, sub, n in rows:
        if week is None:  # no event date: counted, not drawn
            undated += n
            continue
        start = week.date() if isinstance(week, datetime.datetime) else week
        counts.setdefault(start, {})[sub] = n
    weeks = [Week(start=start, x=i) for i, start in enumerate(_week_starts(counts))]
    highest = max((sum(c.values()) for c in counts.values()), default=0)
    for week in weeks:
        _stack(week, counts.get(week.start, {}), highest)
    totals: dict[str, int] = {}
    for by_sub in counts.values():
        for sub, n in by_sub.items():
            totals[sub] = totals.get(sub, 0) + n
    legend = [(_colour(sub), sub, totals[sub]) for sub in sorted(totals, key=_colour)]
    return Timeline(weeks=weeks, legend=legend, highest=highest, undated=undated)


def _week_starts(counts: dict[datetime.date, dict[str, int]]) -> list[datetime.date]:
    if not counts:
        return []
    first, last = min(counts), max(counts)
    span = (last - first).days // 7 + 1
    if span > MAX_FILLED_WEEKS:
        return sorted(counts)
    return [first + datetime.timedelta(weeks=i) for i in range(span)]


def _stack(week: Week, by_sub: dict[str, int], highest: int) -> None:
    bottom = CHART_HEIGHT
    for sub in sorted(by_sub, key=_colour):
        height = CHART_HEIGHT * by_sub[sub] / highest
        bottom -= height
        week.segments.append(Segment(sub, _colour(sub), by_sub[sub], round(bottom, 3), height))
        week.total += by_sub[sub]


def _colour(sub: str) -> int:
    return SUB_TYPES.index(sub) if sub in SUB_TYPES else len(SUB_TYPES)


CSV_HEADER = [
    "event_id",
    "layer_id",
    "layer",
    "article_id",
    "article_title",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "actor2",
    "assoc_actor_2",
    "location",
    "geonameid",
    "country",
    "admin1",
    "latitude",
    "longitude",
    "fatalities",
]


def csv_rows(found: QuerySet[Event]) -> Iterator[list]:
    """The header, then one row per event, read in chunks (a server-side cursor on
    PostgreSQL), so a corpus's events are never all in memory."""
    yield CSV_HEADER
    for e in with_columns(found, CSV_FIELDS).iterator(chunk_size=2000):
        yield _csv_row(e)


def _csv_row(e: Event) -> list:
    layer = e.layer
    place = e.place
    # Titles, names and places are typed by people: none may start a spreadsheet formula.
    return [spreadsheet_cell(value) for value in _csv_values(e, layer, place)]


def _csv_values(e: Event, layer: Layer, place: Place | None) -> list:
    return [
        e.pk,
        layer.pk,
        layer.annotator.username if layer.annotator else layer.kind,
        layer.article.pk,
        layer.article.title,
        e.event_date.isoformat() if e.event_date else "",
        e.event_type,
        e.sub_event_type,
        *(a.name if a else "" for a in (e.actor1, e.assoc_actor_1, e.actor2, e.assoc_actor_2)),
        place.name if place else "",
        place.geonameid if place and place.geonameid else "",
        place.country_code if place else "",
        place.admin1 if place else "",
        place.latitude if place and place.latitude is not None else "",
        place.longitude if place and place.longitude is not None else "",
        "" if e.fatalities is None else e.fatalities,
    ]


def filter_options(selection: Selection) -> dict[str, list]:
    """What the filters offer: the countries, admin1 areas and actors of the chosen layers'
    events (whatever the other filters), one query each."""
    found = Event.objects.filter(layer__in=layers(selection).values("pk"))
    # From the places (hundreds) the events name, not from the events (thousands) joined to
    # their places: no sort of every event's row.
    named = Place.objects.filter(pk__in=found.values("place_id")).exclude(country_code="")
    areas = named.values_list("country_code", "admin1_code", "admin1").distinct()
    areas = sorted(set(areas), key=lambda area: (area[0], area[2], area[1]))
    countries = sorted({country for country, _, _ in areas})
    actor_ids = Q()
    for name in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2"):
        actor_ids |= Q(pk__in=found.values(f"{name}_id"))
    actors = Actor.objects.filter(actor_ids).order_by("name").values_list("pk", "name", "name_ar")
    return {
        "countries": countries,
        "areas": [(f"{c}.{code}", f"{name or code} ({c})") for c, code, name in areas if code],
        "actors": list(actors),
    }


def annotators(corpus: Corpus) -> list[tuple[int, str]]:
    """The users with an annotator layer in the corpus: whose layers the explorer can show."""
    rows = (
        Layer.objects.filter(article__corpus=corpus, kind=Layer.ANNOTATOR)
        .values_list("annotator_id", "annotator__username")
        .distinct()
        .order_by("annotator__username")
    )
    return list(rows)


def annotates(corpus: Corpus, user_id: int) -> bool:
    return Layer.objects.filter(
        article__corpus=corpus, kind=Layer.ANNOTATOR, annotator_id=user_id
    ).exists()
