"""Incidents: finding events of other reports that may tell of the same real-world event, and
reconciling a linked incident's fields.

Candidate finding (`candidates_for`) looks only at events of OTHER articles of the same
corpus, in a gold layer or an approved annotator layer. A SQL prefilter keeps the events of a
compatible sub-type whose date may overlap (the index made by migration 0013_incidents on
(sub_event_type, event_date) makes this a range scan); Python then scores what is left.

A pair is a candidate when all of these hold, and its score is the weighted sum of the parts:

- sub-type (weight 0.2): the same sub-type scores 1; a sub-type of the same event type that
  reports often mistake for it (COMPATIBLE) scores 0.6; anything else is no candidate.
- place (0.3): the same place 1; places within 25 km (50 km when either event is placed
  only "near" a town, geo_precision 2) from 1 down to 0.5 with the distance; otherwise the same
  admin2 0.5; when either event is known only to its region (geo_precision 3), the same admin1
  0.4; otherwise no candidate. An event without a place scores 0.25 (nothing to tell).
- date (0.3): dates may differ by the wider tolerance of the two events' time precision
  (DATE_TOLERANCE: 2 days for a precise date, 7 for a week, 31 for a month); the part falls
  from 1 (same day) towards 0 at the tolerance. An undated event is no candidate.
- actors (0.2): the share of the smaller actor set found in the other; 0.5 when either
  event names no actor.

Only pairs scoring at least THRESHOLD are returned (tuned on the dev split of
fixtures/incident_eval.jsonl with bench/incidents.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.db.models import Q, QuerySet

from .models import Event, Incident, Layer, Place

# Sub-types that reports of one event often disagree on, within one ACLED event type: an
# air strike is called shelling, a roadside bomb a suicide attack, a clash a capture.
COMPATIBLE: list[set[str]] = [
    {"Air/drone strike", "Shelling/artillery/missile attack"},
    {"Suicide bomb", "Remote explosive/landmine/IED", "Grenade"},
    {"Armed clash", "Government regains territory", "Non-state actor overtakes territory"},
    {"Attack", "Abduction/forced disappearance"},
    {"Peaceful protest", "Protest with intervention", "Excessive force against protesters"},
    {"Violent demonstration", "Mob violence"},
]
# ACLED time_precision: 1 the day, 2 the week, 3 the month; None counts as a day.
DATE_TOLERANCE = {1: 2, 2: 7, 3: 31}
RADIUS_KM = 25.0
WEIGHTS = {"sub_type": 0.2, "place": 0.3, "date": 0.3, "actors": 0.2}
THRESHOLD = 0.6
ACTOR_FIELDS = ("actor1_id", "assoc_actor_1_id", "actor2_id", "assoc_actor_2_id")


@dataclass
class Candidate:
    event_id: int
    score: float
    parts: dict[str, float] = field(default_factory=dict)


def compatible_sub_types(sub_event_type: str) -> set[str]:
    for group in COMPATIBLE:
        if sub_event_type in group:
            return group
    return {sub_event_type}


def shared_layers_q() -> Q:
    """The layers whose events count: gold, and annotators' layers an editor approved."""
    return Q(kind=Layer.GOLD) | Q(kind=Layer.ANNOTATOR, state=Layer.APPROVED)


def tolerance(precision: int | None) -> int:
    return DATE_TOLERANCE.get(precision or 1, DATE_TOLERANCE[1])


def prefilter(event: Event) -> QuerySet:
    """The events that may match by sub-type and date: an index range scan on
    (sub_event_type, event_date), with no join but the place's (the layer's conditions are
    checked afterwards, on the few that score: joining the layers made PostgreSQL scan them)."""
    day, own = event.event_date, tolerance(event.time_precision)
    # Dates may differ by the wider of the two tolerances: within our own, or within the
    # other's when it is only known to the week or month.
    when = Q(event_date__range=(day - timedelta(days=own), day + timedelta(days=own)))
    for precision, days in DATE_TOLERANCE.items():
        if days > own:
            when |= Q(
                time_precision=precision,
                event_date__range=(day - timedelta(days=days), day + timedelta(days=days)),
            )
    return (
        Event.objects.filter(when, sub_event_type__in=compatible_sub_types(event.sub_event_type))
        .exclude(layer_id=event.layer_id)
        .values(*ROW_FIELDS, *(f"place__{f}" for f in PLACE_FIELDS))
        .order_by()
    )


def _row(values: dict) -> SimpleNamespace:
    """A prefiltered row as the attributes `score` reads (cheaper than a model instance)."""
    place = None
    if values["place_id"] is not None:
        place = SimpleNamespace(
            pk=values["place_id"], **{f: values[f"place__{f}"] for f in PLACE_FIELDS}
        )
    return SimpleNamespace(place=place, **{f: values[f] for f in ROW_FIELDS})


def candidates_for(event: Event) -> list[Candidate]:
    """Events of other articles that may tell of the same real-world event, best first."""
    if event.event_date is None:
        return []
    scored: dict[int, tuple[Candidate, int]] = {}
    for values in prefilter(event):
        other = _row(values)
        candidate = score(event, other)
        if candidate is not None and candidate.score >= THRESHOLD:
            scored[other.pk] = (candidate, other.layer_id)
    if not scored:
        return []
    layers = {
        pk: (article_id, kind)
        for pk, article_id, kind in Layer.objects.filter(
            shared_layers_q(),
            pk__in={layer_id for _, layer_id in scored.values()},
            article__corpus_id=event.layer.article.corpus_id,
        )
        .exclude(article_id=event.layer.article_id)
        .values_list("pk", "article_id", "kind")
    }
    found: dict[int, tuple[Candidate, str]] = {}  # per article, its best event
    for candidate, layer_id in scored.values():
        if layer_id not in layers:
            continue
        article_id, kind = layers[layer_id]
        best = found.get(article_id)
        # An article with a gold layer speaks through it; else its best approved layer.
        rank = (kind == Layer.GOLD, candidate.score)
        if best is None or rank > (best[1] == Layer.GOLD, best[0].score):
            found[article_id] = (candidate, kind)
    return sorted((c for c, _ in found.values()), key=lambda c: (-c.score, c.event_id))


ROW_FIELDS = (
    "id",
    "pk",
    "layer_id",
    "sub_event_type",
    "event_date",
    "time_precision",
    "geo_precision",
    "place_id",
    *("actor1_id", "assoc_actor_1_id", "actor2_id", "assoc_actor_2_id"),
)
PLACE_FIELDS = ("latitude", "longitude", "country_code", "admin1_code", "admin2_code", "admin2")


def score(a: Event, b: Event) -> Candidate | None:
    """The score of the pair with its parts, or None when they cannot be one event."""
    if b.sub_event_type == a.sub_event_type:
        sub = 1.0
    elif b.sub_event_type in compatible_sub_types(a.sub_event_type):
        sub = 0.6
    else:
        return None
    when = date_part(a, b)
    where = place_part(a, b)
    if when is None or where is None:
        return None
    parts = {"sub_type": sub, "place": where, "date": when, "actors": actors_part(a, b)}
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    return Candidate(b.pk, round(total, 4), {k: round(v, 4) for k, v in parts.items()})


def date_part(a: Event, b: Event) -> float | None:
    if a.event_date is None or b.event_date is None:
        return None
    allowed = max(tolerance(a.time_precision), tolerance(b.time_precision))
    apart = abs((a.event_date - b.event_date).days)
    if apart > allowed:
        return None
    return 1 - apart / (allowed + 1)


def place_part(a: Event, b: Event) -> float | None:
    p, q = a.place, b.place
    if p is None or q is None:
        return 0.25
    if p.pk == q.pk:
        return 1.0
    best: float | None = None
    if None not in (p.latitude, p.longitude, q.latitude, q.longitude):
        radius = RADIUS_KM * (2 if 2 in (a.geo_precision, b.geo_precision) else 1)
        km = distance_km(p, q)
        if km <= radius:
            best = 1 - 0.5 * km / radius
    if same_area(p, q, 2):
        best = max(best or 0, 0.5)
    elif 3 in (a.geo_precision, b.geo_precision) and same_area(p, q, 1):
        best = max(best or 0, 0.4)
    return best


def same_area(p: Place, q: Place, level: int) -> bool:
    if not p.country_code or p.country_code != q.country_code:
        return False
    if not p.admin1_code or p.admin1_code != q.admin1_code:
        return False
    if level == 1:
        return True
    if p.admin2_code or q.admin2_code:
        return p.admin2_code == q.admin2_code and bool(p.admin2_code)
    return bool(p.admin2) and p.admin2 == q.admin2


def distance_km(p: Place, q: Place) -> float:
    """Great-circle distance (haversine, Earth radius 6371 km)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (p.latitude, p.longitude, q.latitude, q.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def actors_part(a: Event, b: Event) -> float:
    mine = {getattr(a, f) for f in ACTOR_FIELDS} - {None}
    theirs = {getattr(b, f) for f in ACTOR_FIELDS} - {None}
    if not mine or not theirs:
        return 0.5
    return len(mine & theirs) / min(len(mine), len(theirs))


def reconcile(incident: Incident) -> dict[str, Any]:
    """An incident's fields from its reports' events, by this rule:

    - fatalities: the lowest figure any report gives (ACLED's practice when reports
      disagree), with the range of all figures (low, high) kept; unknown when no report
      gives one;
    - date: that of the most precise report (smallest time_precision); among equally
      precise reports the date most of them give, then the earliest;
    - place: that of the most precise report (smallest geo_precision), the place most of them
      name among equals, then the first linked;
    - sources: every report's source (the event's, else its article's), and the event and
      article ids.

    An editor's override (incident.overrides) replaces a field's reconciled value.
    """
    events = list(
        incident.events.select_related("place", "layer__article").order_by("incident_member__id")
    )
    figures = [n for e in events for n in (e.fatalities, e.fatalities_low, e.fatalities_high)]
    figures = [n for n in figures if n is not None]
    stated = [e.fatalities for e in events if e.fatalities is not None]
    dated = [e for e in events if e.event_date is not None]
    placed = [e for e in events if e.place_id is not None]
    result: dict[str, Any] = {
        "fatalities": min(stated) if stated else None,
        "fatalities_low": min(figures) if figures else None,
        "fatalities_high": max(figures) if figures else None,
        "event_date": None,
        "time_precision": None,
        "place": None,
        "geo_precision": None,
        "sources": [],
        "event_ids": [e.pk for e in events],
        "article_ids": sorted({e.layer.article_id for e in events}),
    }
    if dated:
        precision = min(e.time_precision or 1 for e in dated)
        days = [e.event_date for e in dated if (e.time_precision or 1) == precision]
        result["event_date"] = _most_common(days, key=lambda d: d)
        result["time_precision"] = precision
    if placed:
        precision = min(e.geo_precision or 1 for e in placed)
        best = [e.place for e in placed if (e.geo_precision or 1) == precision]
        result["place"] = _most_common(best, key=lambda p: 0)
        result["geo_precision"] = precision
    for e in events:
        source = e.source or e.layer.article.source
        if source and source not in result["sources"]:
            result["sources"].append(source)
    result.update(incident.overrides or {})
    return result


def _most_common(items: list[Any], key: Any) -> Any:
    """The most frequent item; ties go to the smallest key, then to the first seen."""
    counts: dict[Any, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return min(counts, key=lambda item: (-counts[item], key(item)))


def candidate_pairs(event: Event) -> list[tuple[int, int, Candidate]]:
    """candidates_for as stored pairs (smaller id first)."""
    return [
        (min(event.pk, c.event_id), max(event.pk, c.event_id), c) for c in candidates_for(event)
    ]
