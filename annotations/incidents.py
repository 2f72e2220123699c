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

One event speaks for each article: an article with a gold layer through its gold events only,
otherwise through the approved annotator event that scores best against the other event; and a
link is refused when the incident already holds an event of the newcomer's article.

Decisions are reversible in order: only the latest link touching an incident (its events or
the events it holds) can be undone, and an undo form carries the decision it showed, so that a
decision changed since by another editor is refused, not undone unseen.

Members: an event deleted in any way (delete_event, adjudication, a layer deleted) leaves its
incident first (a pre_delete signal, connected in apps.py), an incident left with one report
goes, and both are told in the other reports' histories, as is a decided suggestion deleted
with its event. A member whose layer stops counting (returned to its annotator) stays a
member, so that approving it again or undoing the link needs nothing put back, but reconcile
and the incident-level export read only the members whose layer counts (counting_members).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import gazetteer
from .models import (
    Article,
    AuditEntry,
    Event,
    Incident,
    IncidentCandidate,
    IncidentEvent,
    Layer,
    Place,
    audit,
)

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
    """Events of other articles that may tell of the same real-world event, best first.

    One event speaks for each article of a pair, on both sides: an article with a gold layer
    speaks through it only; otherwise through the approved annotator layer whose event scores
    best against the other event (the smaller event id among equals). Without this, the gold
    event and each annotator's event of one article would each be suggested with the same
    event of another article, and linking them all would put one article in an incident
    several times."""
    if event.event_date is None or not _may_speak(event):
        return []
    scored: dict[int, tuple[Candidate, SimpleNamespace]] = {}
    for values in prefilter(event):
        other = _row(values)
        candidate = score(event, other)
        if candidate is not None and candidate.score >= THRESHOLD:
            scored[other.pk] = (candidate, other)
    if not scored:
        return []
    layers = {
        pk: (article_id, kind)
        for pk, article_id, kind in Layer.objects.filter(
            shared_layers_q(),
            pk__in={other.layer_id for _, other in scored.values()},
            article__corpus_id=event.layer.article.corpus_id,
        )
        .exclude(article_id=event.layer.article_id)
        .values_list("pk", "article_id", "kind")
    }
    with_gold = set(
        Layer.objects.filter(
            kind=Layer.GOLD, article_id__in={article_id for article_id, _ in layers.values()}
        ).values_list("article_id", flat=True)
    )
    found: dict[int, tuple[Candidate, SimpleNamespace]] = {}  # per article, its best event
    for candidate, other in scored.values():
        if other.layer_id not in layers:
            continue
        article_id, kind = layers[other.layer_id]
        if article_id in with_gold and kind != Layer.GOLD:
            continue  # an article with a gold layer speaks through it
        best = found.get(article_id)
        if best is None or _rank(candidate) > _rank(best[0]):
            found[article_id] = (candidate, other)
    if event.layer.kind != Layer.GOLD:
        found = {k: v for k, v in found.items() if _best_of_article(event, v[0], v[1])}
    return sorted((c for c, _ in found.values()), key=lambda c: (-c.score, c.event_id))


def _rank(candidate: Candidate) -> tuple[float, int]:
    """Best first: the higher score, then the smaller event id (the same on both sides)."""
    return (candidate.score, -candidate.event_id)


def _may_speak(event: Event) -> bool:
    """A gold event speaks for its article; an annotator's only when the article has no gold
    layer."""
    if event.layer.kind == Layer.GOLD:
        return True
    return not Layer.objects.filter(article_id=event.layer.article_id, kind=Layer.GOLD).exists()


def _best_of_article(event: Event, candidate: Candidate, other: SimpleNamespace) -> bool:
    """Whether no other approved annotator event of the event's article scores better against
    `other` (what candidates_for(other) keeps of this article)."""
    siblings = (
        Event.objects.filter(
            layer__article_id=event.layer.article_id,
            layer__kind=Layer.ANNOTATOR,
            layer__state=Layer.APPROVED,
            sub_event_type__in=compatible_sub_types(other.sub_event_type),
        )
        .exclude(pk=event.pk)
        .select_related("place")
    )
    mine = Candidate(event.pk, candidate.score)
    for sibling in siblings:
        theirs = score(other, sibling)
        if theirs is not None and theirs.score >= THRESHOLD and _rank(theirs) > _rank(mine):
            return False
    return True


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
    return gazetteer.km(p.latitude, p.longitude, q.latitude, q.longitude)


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
    - event type and sub-type: those most reports give, then the first linked's;
    - sources: every report's source (the event's, else its article's), and the event and
      article ids.

    An editor's override (incident.overrides) replaces a field's reconciled value; the
    fields overridden are listed under "overridden".
    """
    events = list(
        counting_members(incident.events.all())
        .select_related("place", "layer__article")
        .order_by("incident_member__id")
    )
    reports = [
        {
            "id": e.pk,
            "article_id": e.layer.article_id,
            "source": e.source or e.layer.article.source,
            "place": e.place,
            **{name: getattr(e, name) for name in RULE_FIELDS},
        }
        for e in events
    ]
    overrides = typed_overrides(incident.overrides, lambda pk: Place.objects.filter(pk=pk).first())
    return combine(reports, overrides)


# What the rule reads of each report besides its ids, source and place.
RULE_FIELDS = (
    *("fatalities", "fatalities_low", "fatalities_high", "event_type", "sub_event_type"),
    *("event_date", "time_precision", "geo_precision"),
)


def combine(reports: list[dict[str, Any]], overrides: dict[str, Any]) -> dict[str, Any]:
    """`reconcile`'s rule on plain reports in linking order: dicts of RULE_FIELDS with "id",
    "article_id", "source" (the event's, else its article's) and "place" (a Place, or its id
    for the export, which reads rows). `overrides` typed (typed_overrides) win."""
    figures = [
        n for r in reports for n in (r["fatalities"], r["fatalities_low"], r["fatalities_high"])
    ]
    figures = [n for n in figures if n is not None]
    stated = [r["fatalities"] for r in reports if r["fatalities"] is not None]
    dated = [r for r in reports if r["event_date"] is not None]
    placed = [r for r in reports if r["place"] is not None]
    result: dict[str, Any] = {
        "fatalities": min(stated) if stated else None,
        "fatalities_low": min(figures) if figures else None,
        "fatalities_high": max(figures) if figures else None,
        "event_type": None,
        "sub_event_type": None,
        "event_date": None,
        "time_precision": None,
        "place": None,
        "geo_precision": None,
        "sources": [],
        "event_ids": [r["id"] for r in reports],
        "article_ids": sorted({r["article_id"] for r in reports}),
    }
    if reports:
        # The type most reports give (the first linked among equals): ACLED rows need one.
        types = [(r["event_type"], r["sub_event_type"]) for r in reports]
        order = {t: n for n, t in reversed(list(enumerate(types)))}
        result["event_type"], result["sub_event_type"] = _most_common(types, key=order.get)
    if dated:
        precision = min(r["time_precision"] or 1 for r in dated)
        days = [r["event_date"] for r in dated if (r["time_precision"] or 1) == precision]
        result["event_date"] = _most_common(days, key=lambda d: d)
        result["time_precision"] = precision
    if placed:
        precision = min(r["geo_precision"] or 1 for r in placed)
        best = [r["place"] for r in placed if (r["geo_precision"] or 1) == precision]
        result["place"] = _most_common(best, key=lambda p: 0)
        result["geo_precision"] = precision
    for r in reports:
        if r["source"] and r["source"] not in result["sources"]:
            result["sources"].append(r["source"])
    result.update(overrides)
    result["overridden"] = sorted(overrides)
    return result


def counting_members(events: QuerySet[Event]) -> QuerySet[Event]:
    """The members an incident's fields are read from: those whose layer still counts. A layer
    returned to its annotator keeps its memberships (so that approving it again, or undoing
    the link, needs nothing put back), but its unapproved edits do not reach the incident."""
    return events.filter(layer__in=Layer.objects.filter(shared_layers_q()))


def typed_overrides(stored: dict[str, Any] | None, place: Callable[[int], Any]) -> dict[str, Any]:
    """The overrides as the rule's values: stored as JSON (a date as text, a place as its id),
    given back as a date and what `place` makes of the id (a Place, or the id where the
    export checks it exists); a place deleted since (`place` gives None) is no override."""
    stored = stored or {}
    typed: dict[str, Any] = {}
    if stored.get("fatalities") is not None:
        typed["fatalities"] = int(stored["fatalities"])
    if stored.get("event_date"):
        typed["event_date"] = date.fromisoformat(stored["event_date"])
    if stored.get("place") is not None:
        found = place(stored["place"])
        if found is not None:
            typed["place"] = found
    return typed


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


# --- Finding suggestions when events change -------------------------------------------------


def counts(layer: Layer) -> bool:
    """Whether a layer's events take part in incidents (shared_layers_q, for one layer)."""
    return layer.kind == Layer.GOLD or (
        layer.kind == Layer.ANNOTATOR and layer.state == Layer.APPROVED
    )


def queue_for(
    layer: Layer, event_ids: Iterable[int] | None = None, *, state_changed: bool = False
) -> None:
    """Look for suggested matches of these events of the layer (all of them when None) once
    the write commits: a task that ran before the commit would not see the change.

    Event writes call it for a layer that counts; a state change (approved, or no longer)
    calls it with state_changed, and the task then drops the pending suggestions of a
    layer's events that stopped counting."""
    if not (state_changed or counts(layer)):
        return
    ids = (
        list(event_ids)
        if event_ids is not None
        else list(layer.events.values_list("pk", flat=True))
    )
    if not ids:
        return
    from .tasks import find_incident_candidates  # tasks imports the pre-taggers: load late

    def enqueue() -> None:
        for pk in ids:
            find_incident_candidates.enqueue(pk)

    transaction.on_commit(enqueue)


def leave_incident(event: Event, user: Any = None, *, audited: bool = True) -> None:
    """An event about to be deleted leaves its incident; an incident left with one report is
    no incident any more, and goes. The change is told in the other reports' histories (the
    leaving event's layer may be going too)."""
    member = IncidentEvent.objects.filter(event=event).select_related("incident").first()
    if member is None:
        return
    incident = member.incident
    member.delete()
    left = incident.members.count()
    if audited:
        others = Event.objects.filter(incident_member__incident=incident)
        after = {"events": list(others.values_list("pk", flat=True)), "dissolved": left < 2}
        before = {"events": [event.pk, *after["events"]]}
        _audit(others, user, AuditEntry.Action.UPDATE, INCIDENT, incident.pk, before, after)
    if left < 2:
        incident.delete()
    else:
        _touch(incident)


def _decided_pairs_go(event: Event, user: Any) -> None:
    """A decided suggestion deleted with one of its events is told in the other's history."""
    decided = IncidentCandidate.objects.filter(Q(event_a=event) | Q(event_b=event)).exclude(
        decision=IncidentCandidate.PENDING
    )
    for candidate in decided:
        other = candidate.event_b_id if candidate.event_a_id == event.pk else candidate.event_a_id
        before = {"decision": candidate.decision, **_effect_words(candidate.effect)}
        after = {"deleted_event": event.pk}
        others = Event.objects.filter(pk=other)
        _audit(others, user, AuditEntry.Action.DELETE, MATCH, candidate.pk, before, after)


def event_deleted(sender: Any, instance: Event, origin: Any = None, **kwargs: Any) -> None:
    """pre_delete of Event, for every way an event goes (delete_event, adjudication replacing
    gold events, a layer or article deleted): it leaves its incident first, so that no
    incident is left with one report, and a decided suggestion does not vanish untold.

    The history is written only when the other reports' layers surely stay: the deletion
    started from events, one layer or one article (an incident holds one event per article).
    A user, several articles or a corpus may take the other layers too, and an entry written
    into a layer being deleted would break the transaction."""
    audited = isinstance(origin, (Event, Layer, Article)) or getattr(origin, "model", None) is Event
    if audited:
        _decided_pairs_go(instance, None)
    leave_incident(instance, None, audited=audited)


# --- Editors' decisions -----------------------------------------------------------------------
#
# Every decision is one transaction that first locks the suggestion's row and checks that it is
# still in the state the editor saw: a second submit of the same decision, or an editor deciding
# what another just decided, is refused with a reason (never applied twice, never merged).


class DecisionRefused(ValueError):
    """The suggestion or incident changed since the editor saw it, or the value is invalid."""


OVERRIDABLE = ("fatalities", "event_date", "place")
MATCH, INCIDENT = AuditEntry.ObjectType.MATCH, AuditEntry.ObjectType.INCIDENT


def link(candidate: IncidentCandidate, editor: Any) -> Incident:
    """Put both events in one incident: a new one, the one either is in already, or, when
    each is in one, the larger of the two with the other's events merged into it."""
    with transaction.atomic():
        candidate = _claim(candidate, pending=True)
        a, b = _locked_events(candidate)
        incident, effect = _join(a, b, editor)
        _decide(candidate, IncidentCandidate.LINKED, editor, effect)
    return incident


def reject(candidate: IncidentCandidate, editor: Any) -> IncidentCandidate:
    """Not the same real-world event: the suggestion stays on record, decided."""
    with transaction.atomic():
        candidate = _claim(candidate, pending=True)
        _decide(candidate, IncidentCandidate.REJECTED, editor, {})
    return candidate


def undo(
    candidate: IncidentCandidate, editor: Any, seen: tuple[str, str] | None = None
) -> IncidentCandidate:
    """Back to pending. Undoing a link takes out of the incident the events that link put in
    (a merge is split again, with the merged incident's overrides); an incident left with
    fewer than two events goes.

    `seen` is the (decision, decided_at in ISO format) the editor's undo button was rendered
    with: a decision changed since (undone and decided again by another editor) is refused.
    Only the latest link touching an incident can be undone: undoing an earlier one would take
    out events a later link relied on (link A-B, then B-C: undoing A-B would leave C alone in
    a deleted incident while B-C still says "linked")."""
    with transaction.atomic():
        candidate = _claim(candidate, pending=False, seen=seen)
        if candidate.decision == IncidentCandidate.LINKED:
            _locked_events(candidate)
            _refuse_out_of_order(candidate)
            _unjoin(candidate.effect, editor)
        _decide(candidate, IncidentCandidate.PENDING, editor, {})
    return candidate


def take_out(incident: Incident, event_id: int, editor: Any, seen: str | None = None) -> bool:
    """An editor takes one report out of an incident: it tells another event after all.

    Undo can only take back the latest link of an incident, so a report found wrong after
    later links would otherwise mean undoing them all. Its pairs with the reports that stay
    (linked, or still pending) are decided "not the same", so the queue does not offer them
    again; undoing one of those in the queue brings the pair back to link it again. An
    incident left with one report goes. `seen` is the incident's `updated` stamp the page was
    rendered with: a change made since refuses it. Returns whether the incident still exists.
    """
    with transaction.atomic():
        # Locks in the order link and undo take them: the suggested pairs first (every pair
        # between the incident's reports, ids ascending), then the event, then the incident.
        # Two editors, one undoing or linking a pair of this incident while the other takes a
        # report out, then wait for each other instead of deadlocking.
        members = list(
            IncidentEvent.objects.filter(incident_id=incident.pk).values_list("event_id", flat=True)
        )
        pairs = list(
            IncidentCandidate.objects.select_for_update(of=("self",))
            .filter(event_a_id__in=members, event_b_id__in=members)
            .order_by("pk")
        )
        if Event.objects.select_for_update(of=("self",)).filter(pk=event_id).first() is None:
            raise DecisionRefused(_("This report no longer exists; nothing was changed."))
        fresh = _incident_as_seen(incident, seen)
        member = fresh.members.filter(event_id=event_id).first()
        if member is None:
            raise DecisionRefused(_("This report is not in the incident; nothing was changed."))
        staying = list(
            fresh.members.exclude(pk=member.pk).order_by("pk").values_list("event_id", flat=True)
        )
        if set(members) != {event_id, *staying}:  # a link or undo came between the reads
            raise _changed_since()
        for candidate in pairs:
            if event_id in (candidate.event_a_id, candidate.event_b_id):
                if candidate.decision != IncidentCandidate.REJECTED:
                    _decide(candidate, IncidentCandidate.REJECTED, editor, {})
            elif candidate.decision == IncidentCandidate.LINKED and event_id in (
                candidate.effect.get("added", [])
            ):
                # A merge that brought the report in: its undo takes out only what it still
                # holds, and must not find the report's later links elsewhere in its way.
                added = [pk for pk in candidate.effect["added"] if pk != event_id]
                candidate.effect = {**candidate.effect, "added": added}
                candidate.save(update_fields=["effect"])
        member.delete()
        dissolved = len(staying) < 2
        before = {"events": [event_id, *staying]}
        after = {"events": staying, "taken_out": event_id, "dissolved": dissolved}
        told = Event.objects.filter(pk__in=[event_id, *staying])
        _audit(told, editor, AuditEntry.Action.UPDATE, INCIDENT, fresh.pk, before, after)
        if dissolved:
            fresh.delete()
        else:
            _touch(fresh)
    return not dissolved


def last_decision(candidates: QuerySet, editor: Any) -> IncidentCandidate | None:
    """The editor's most recent decision still standing (what `u` undoes)."""
    decided = candidates.filter(decided_by=editor).exclude(decision=IncidentCandidate.PENDING)
    return decided.order_by("-decided_at", "-pk").first()


def _claim(
    candidate: IncidentCandidate, *, pending: bool, seen: tuple[str, str] | None = None
) -> IncidentCandidate:
    fresh = (
        IncidentCandidate.objects.select_for_update(of=("self",))
        .select_related("decided_by")
        .filter(pk=candidate.pk)
        .first()
    )
    if fresh is None:
        raise DecisionRefused(_("This suggestion no longer exists: one of its events changed."))
    if pending and fresh.decision != IncidentCandidate.PENDING:
        raise DecisionRefused(
            _(
                "This suggestion was already decided (%(decision)s by %(who)s); nothing was "
                "changed. The queue shows it as it is now."
            )
            % {"decision": fresh.get_decision_display(), "who": fresh.decided_by or "?"}
        )
    if not pending and fresh.decision == IncidentCandidate.PENDING:
        raise DecisionRefused(_("This suggestion is pending: there is no decision to undo."))
    if seen is not None and seen != _stamp(fresh):
        raise DecisionRefused(
            _(
                "This decision changed since you loaded the page (now %(decision)s by "
                "%(who)s); nothing was undone. The queue shows it as it is now."
            )
            % {"decision": fresh.get_decision_display(), "who": fresh.decided_by or "?"}
        )
    return fresh


def _stamp(candidate: IncidentCandidate) -> tuple[str, str]:
    """What an undo form carries of the decision it shows (decision_stamp in templates)."""
    when = candidate.decided_at.isoformat() if candidate.decided_at else ""
    return (candidate.decision, when)


def _refuse_out_of_order(candidate: IncidentCandidate) -> None:
    """Refuse to undo a link when a later link touched its incident or its events."""
    added = candidate.effect.get("added", [])
    if not added:
        return  # both were in one incident already: undoing it changes nothing
    holding = _holding(candidate.effect)
    touched = {candidate.event_a_id, candidate.event_b_id, *added}
    if holding is not None:
        touched |= set(holding.members.values_list("event_id", flat=True))
    later = (
        IncidentCandidate.objects.filter(
            Q(event_a_id__in=touched) | Q(event_b_id__in=touched),
            decision=IncidentCandidate.LINKED,
            decided_at__gte=candidate.decided_at,
        )
        .exclude(pk=candidate.pk)
        .order_by("-decided_at", "-pk")
        .first()
    )
    if later is not None:
        raise DecisionRefused(
            _(
                "Undo the later link of this incident first (pair #%(pk)s): only the latest "
                "link touching an incident can be undone. Nothing was changed."
            )
            % {"pk": later.pk}
        )


def _locked_events(candidate: IncidentCandidate) -> tuple[Event, Event]:
    """Both events, their rows locked in id order: two decisions on pairs that share an event
    then queue instead of both putting it into an incident."""
    events = (
        Event.objects.select_for_update(of=("self",))
        .filter(pk__in=(candidate.event_a_id, candidate.event_b_id))
        .order_by("pk")
    )
    by_id = {e.pk: e for e in events.select_related("layer__article")}
    return by_id[candidate.event_a_id], by_id[candidate.event_b_id]


def incident_of(event: Event) -> Incident | None:
    member = IncidentEvent.objects.filter(event=event).select_related("incident").first()
    return member.incident if member else None


def _join(a: Event, b: Event, editor: Any) -> tuple[Incident, dict]:
    mine, theirs = incident_of(a), incident_of(b)
    if mine is not None and theirs is not None and mine.pk == theirs.pk:
        return mine, {"incident": mine.pk, "added": []}
    _refuse_a_second_event_of_an_article(a, b, mine, theirs)
    if mine is None and theirs is None:
        incident = Incident.objects.create(corpus_id=a.layer.article.corpus_id)
        _add(incident, [a.pk, b.pk], editor)
        return incident, {"incident": incident.pk, "added": [a.pk, b.pk], "created": True}
    if mine is None or theirs is None:
        incident = mine or theirs
        newcomer = a if mine is None else b
        _add(incident, [newcomer.pk], editor)
        _touch(incident)
        return incident, {"incident": incident.pk, "added": [newcomer.pk]}
    return _merge(mine, theirs, editor)


def _articles(incident: Incident | None, event: Event) -> set[int]:
    if incident is None:
        return {event.layer.article_id}
    return set(incident.members.values_list("event__layer__article_id", flat=True))


def _refuse_a_second_event_of_an_article(
    a: Event, b: Event, mine: Incident | None, theirs: Incident | None
) -> None:
    """An incident holds one event per article: two events of one report are two events, or
    one told twice (the gold and an annotator's), never two reports of one."""
    if _articles(mine, a) & _articles(theirs, b):
        held = mine if mine is not None else theirs
        raise DecisionRefused(
            _(
                "Incident #%(pk)s already holds an event of this article: one article speaks "
                "once in an incident. Nothing was changed."
            )
            % {"pk": held.pk if held is not None else "?"}
        )


def _touch(incident: Incident) -> None:
    """A change of members is a change of the incident: an override form rendered before it
    is out of date (set_override compares `updated`)."""
    Incident.objects.filter(pk=incident.pk).update(updated=timezone.now())


def _merge(one: Incident, other: Incident, editor: Any) -> tuple[Incident, dict]:
    """The larger incident (the older among equals) takes the other's events; a field the
    other overrode and the kept one did not keeps the other's override."""
    ranked = sorted((one, other), key=lambda i: (-i.members.count(), i.pk))
    kept, gone = ranked
    moved = list(gone.members.order_by("pk").values_list("event_id", flat=True))
    adopted = [f for f in gone.overrides or {} if f not in (kept.overrides or {})]
    kept.overrides = {**(kept.overrides or {}), **{f: gone.overrides[f] for f in adopted}}
    kept.save(update_fields=["overrides", "updated"])
    gone_overrides = dict(gone.overrides or {})
    gone.members.update(incident=kept, added_by=editor)
    gone.delete()
    effect = {
        "incident": kept.pk,
        "added": moved,
        "merged_overrides": gone_overrides,
        "adopted": adopted,
    }
    return kept, effect


def _add(incident: Incident, event_ids: list[int], editor: Any) -> None:
    IncidentEvent.objects.bulk_create(
        IncidentEvent(incident=incident, event_id=pk, added_by=editor) for pk in event_ids
    )


def _holding(effect: dict) -> Incident | None:
    """The incident that now holds the events a link put in. Found by its events, not by the
    id the effect names: a merge undone since split them into a new incident."""
    member = (
        IncidentEvent.objects.filter(event_id__in=effect.get("added", []))
        .order_by("pk")
        .values_list("incident_id", flat=True)
        .first()
    )
    return Incident.objects.select_for_update().filter(pk=member).first() if member else None


def _unjoin(effect: dict, editor: Any) -> None:
    incident = _holding(effect)
    if incident is None:
        return  # gone since (its events were deleted): nothing left to take out
    taken = IncidentEvent.objects.filter(incident=incident, event_id__in=effect.get("added", []))
    taken_ids = list(taken.values_list("event_id", flat=True))
    if "merged_overrides" in effect:
        for adopted in effect.get("adopted", []):
            (incident.overrides or {}).pop(adopted, None)
        incident.save(update_fields=["overrides", "updated"])
    taken.delete()
    if "merged_overrides" in effect and len(taken_ids) >= 2:
        split = Incident.objects.create(
            corpus_id=incident.corpus_id, overrides=effect["merged_overrides"]
        )
        _add(split, taken_ids, editor)
    if Incident.objects.filter(pk=incident.pk).exists():  # the member signal may have gone
        if incident.members.count() < 2:
            incident.delete()
        else:
            _touch(incident)


def _decide(candidate: IncidentCandidate, decision: str, editor: Any, effect: dict) -> None:
    before = {"decision": candidate.decision, **_effect_words(candidate.effect)}
    candidate.decision = decision
    candidate.effect = effect
    pending = decision == IncidentCandidate.PENDING
    candidate.decided_by = None if pending else editor
    candidate.decided_at = None if pending else timezone.now()
    candidate.save(update_fields=["decision", "effect", "decided_by", "decided_at"])
    after = {"decision": decision, **_effect_words(effect)}
    events = Event.objects.filter(pk__in=(candidate.event_a_id, candidate.event_b_id))
    _audit(events, editor, AuditEntry.Action.UPDATE, MATCH, candidate.pk, before, after)


def _effect_words(effect: dict) -> dict:
    """What the history shows of a link: the incident and the events it took in."""
    if not effect:
        return {}
    return {"incident": effect["incident"], "events": effect.get("added", [])}


def _audit(
    events: QuerySet[Event],
    user: Any,
    action: AuditEntry.Action,
    object_type: AuditEntry.ObjectType,
    object_id: int,
    before: dict,
    after: dict,
) -> None:
    """One entry in each report's layer, so that every article's history tells it."""
    layers = {e.layer_id: e.layer for e in events.select_related("layer")}
    for layer in layers.values():
        audit(layer, user, action, object_id, before, after, object_type)


def set_override(
    incident: Incident, field_name: str, value: Any, editor: Any, seen: str | None = None
) -> Incident:
    """An editor's value for one reconciled field (None clears it). `seen` is the incident's
    `updated` stamp the form was rendered with: a change made since refuses the write."""
    if field_name not in OVERRIDABLE:
        raise DecisionRefused(_("This field cannot be overridden."))
    with transaction.atomic():
        fresh = _incident_as_seen(incident, seen)
        overrides = dict(fresh.overrides or {})
        before = overrides.get(field_name)
        if value is None:
            overrides.pop(field_name, None)
        else:
            overrides[field_name] = _stored(value)
        fresh.overrides = overrides
        fresh.save(update_fields=["overrides", "updated"])
        after = overrides.get(field_name)
        _audit(
            fresh.events.all(),
            editor,
            AuditEntry.Action.UPDATE,
            INCIDENT,
            fresh.pk,
            {field_name: before},
            {field_name: after},
        )
    return fresh


def _incident_as_seen(incident: Incident, seen: str | None) -> Incident:
    """The incident's row, locked, as the editor's page showed it. `seen` is the `updated`
    stamp the page was rendered with: a change made since (or the incident gone) refuses."""
    fresh = Incident.objects.select_for_update().filter(pk=incident.pk).first()
    if fresh is None:
        raise DecisionRefused(_("This incident no longer exists."))
    if seen is not None and seen != fresh.updated.isoformat():
        raise _changed_since()
    return fresh


def _changed_since() -> DecisionRefused:
    return DecisionRefused(
        _(
            "This incident changed since you loaded it; nothing was changed. Reload to see "
            "it as it is now."
        )
    )


def clear_override(
    incident: Incident, field_name: str, editor: Any, seen: str | None = None
) -> Incident:
    return set_override(incident, field_name, None, editor, seen)


def _stored(value: Any) -> Any:
    """A value as the overrides' JSON keeps it: a date as ISO text, a place as its id."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Place):
        return value.pk
    return value


# --- Words for the editors' page ----------------------------------------------------------------

TIME_PRECISION = {
    1: gettext_lazy("the day"),
    2: gettext_lazy("the week"),
    3: gettext_lazy("the month"),
}
GEO_PRECISION = {
    1: gettext_lazy("the town itself"),
    2: gettext_lazy("near a town"),
    3: gettext_lazy("the region"),
}
PART_NAMES = {
    "sub_type": gettext_lazy("sub-type"),
    "place": gettext_lazy("place"),
    "date": gettext_lazy("date"),
    "actors": gettext_lazy("actors"),
}


def describe_parts(candidate: IncidentCandidate, a: Event, b: Event) -> list[dict[str, Any]]:
    """The score's parts, each with its weight, its value and what it means in words."""
    parts = candidate.parts or {}
    words = {
        "sub_type": _sub_type_words(a, b),
        "place": _place_words(a, b),
        "date": _date_words(a, b),
        "actors": _actor_words(a, b),
    }
    return [
        {"name": PART_NAMES[key], "weight": WEIGHTS[key], "value": parts.get(key), "words": text}
        for key, text in words.items()
    ]


def _sub_type_words(a: Event, b: Event) -> str:
    if a.sub_event_type == b.sub_event_type:
        return _("the same sub-type")
    return _("sub-types that reports of one event often confuse")


def _place_words(a: Event, b: Event) -> str:
    p, q = a.place, b.place
    if p is None or q is None:
        return _("one report names no place: nothing to tell")
    if p.pk == q.pk:
        return _("the same place")
    said = []
    if None not in (p.latitude, p.longitude, q.latitude, q.longitude):
        said.append(_("%(km)s km apart") % {"km": f"{distance_km(p, q):.0f}"})
    if same_area(p, q, 2):
        said.append(_("in the same district"))
    elif same_area(p, q, 1):
        said.append(_("in the same region"))
    return ", ".join(said) or _("different places")


def _date_words(a: Event, b: Event) -> str:
    if a.event_date is None or b.event_date is None:
        return _("undated")
    apart = abs((a.event_date - b.event_date).days)
    allowed = max(tolerance(a.time_precision), tolerance(b.time_precision))
    if apart == 0:
        said = _("the same day")
    else:
        said = ngettext("%(n)s day apart", "%(n)s days apart", apart) % {"n": apart}
    return _("%(said)s (up to %(allowed)s allowed)") % {"said": said, "allowed": allowed}


def _actor_words(a: Event, b: Event) -> str:
    mine = {getattr(a, f) for f in ACTOR_FIELDS} - {None}
    theirs = {getattr(b, f) for f in ACTOR_FIELDS} - {None}
    if not mine or not theirs:
        return _("one report names no actor: nothing to tell")
    shared = len(mine & theirs)
    return _("%(shared)s of %(n)s actors shared") % {
        "shared": shared,
        "n": min(len(mine), len(theirs)),
    }


def explain(reconciled: dict[str, Any]) -> dict[str, str]:
    """Why each reconciled field has its value: the rule, in the words of its outcome."""
    overridden = set(reconciled.get("overridden", []))
    low, high = reconciled["fatalities_low"], reconciled["fatalities_high"]
    if low is None:
        fatalities = _("No report gives a figure.")
    elif low == high:
        fatalities = _("The lowest figure any report gives; they all say %(n)s.") % {"n": low}
    else:
        fatalities = _(
            "The lowest figure any report gives (as ACLED does); they range from %(low)s to "
            "%(high)s."
        ) % {"low": low, "high": high}
    when = TIME_PRECISION.get(reconciled["time_precision"] or 0, "—")
    where = GEO_PRECISION.get(reconciled["geo_precision"] or 0, "—")
    found = {
        "fatalities": fatalities,
        "event_date": _(
            "The date of the most precise report (known to %(precision)s); among equally "
            "precise reports the date most give, then the earliest."
        )
        % {"precision": when},
        "place": _(
            "The place of the most precise report (%(precision)s); among equally precise "
            "reports the place most name, then the first linked."
        )
        % {"precision": where},
        "sources": _("Every report's source, each once."),
    }
    for name in overridden:
        found[name] = _("Set by an editor, in place of the rule: %(rule)s") % {"rule": found[name]}
    return found


def reconciled_page(page: list[Incident]) -> list[tuple[Incident, dict[str, Any]]]:
    """reconcile for a page of incidents in two queries (their counting members, then the
    places they name) instead of three per incident: the export's bulk rule, with the place
    given back as a Place."""
    from .exports.incidents import MEMBER_FIELDS, Report, reconciled

    reports: dict[int, list[Report]] = {incident.pk: [] for incident in page}
    members = (
        IncidentEvent.objects.filter(
            incident__in=[i.pk for i in page],
            event__layer__in=Layer.objects.filter(shared_layers_q()),
        )
        .order_by("incident_id", "id")  # linking order, as reconcile reads them
        .values_list(*MEMBER_FIELDS)
    )
    for incident_id, _overrides, _updated, *rest in members:
        event, (article_id, kind, annotator, updated, source) = rest[:-5], rest[-5:]
        reports[incident_id].append(
            Report(tuple(event), article_id, kind, annotator, source, updated)
        )
    wanted = {r.get("place_id") for found in reports.values() for r in found}
    wanted |= {(i.overrides or {}).get("place") for i in page}
    places = Place.objects.in_bulk([pk for pk in wanted if isinstance(pk, int)])
    rows = []
    for incident in page:
        fields = reconciled(reports[incident.pk], incident.overrides, places)
        fields["place"] = places.get(fields["place"]) if fields["place"] is not None else None
        rows.append((incident, fields))
    return rows
