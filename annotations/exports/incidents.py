"""The incident level: one row per real-world event, the reports editors linked merged.

The report-level files (acled.py, geojson.py, jsonl.py) have one row per event of each
report, so five outlets' reports of one air strike are five rows. Here the events of the
selection that belong to an Incident (annotations.models.Incident, events of different
articles an editor linked) are written once per incident; an event in no incident is
written as an incident of one. Rows come in the order of the report-level files, each
incident at the place of its first event in the selection.

Which incidents: those with at least one event in the selection (the same layers, state,
annotator and dates as at report level). The row is reconciled from ALL the incident's
events, also those outside the selection (another corpus's, an approved annotator layer
beside a gold export, an article outside the dates), so an incident has the same row in
every export that includes it; its `event_ids` and `article_ids` then name reports the
report-level files of this selection do not hold.

The fields, by the rule of annotations.incidents.reconcile, computed here for a chunk's
incidents at once (reconcile reads one incident per query; `reconciled` below applies the
same rule to rows already read, and tests/test_export_incidents.py checks that both agree):

- fatalities: the lowest figure any report gives (ACLED's practice), `fatalities_low` and
  `fatalities_high` the range of all figures;
- date and place: the most precise report's (smallest time_precision / geo_precision);
  among equals the date most reports give (then the earliest), the place most name (then the
  first linked);
- event type and sub-type: the pair most reports give, the first linked's among equals;
- source: every report's source (the event's, else its article's), in linking order, joined
  with "; " as ACLED joins its sources;
- notes: the report ids first, "[reports: article 12 event 34; article 15 event 40]", then
  the representative's notes;
- an editor's override (Incident.overrides: fatalities, event_date, place) wins, as in
  reconcile; `overridden` names the fields overridden.

The fields reconcile does not cover (actors, civilian targeting, notes, evidence, and
article_id and layer) are the representative's: the event of the most precise report, the
one with the smallest geo_precision + time_precision (an unknown place or date counting 4,
a missing precision 1, as in reconcile), the first linked among equals.

Columns: those of the report-level CSV (acled.COLUMNS: ACLED's, then article_id, layer,
evidence, geonameid), then incident_id (empty for an event in no incident),
fatalities_low, fatalities_high, event_ids, article_ids and overridden (";"-separated in
the CSV, lists in JSONL and GeoJSON). `event_id_cnty` is the ISO3 code and the incident id
(SYR-I7); an event in no incident keeps its report-level id (SYR12-1). `evidence` is the
representative's, offsets into the text of `article_id`: {field, start, end}, without
the text the report-level files carry. `timestamp` is the latest save of the incident or
of its reports' layers.

Reading: the report-level chunks without spans (exports.fetched), then per chunk five
queries at most (membership and layer times, the new incidents' members, their places and
overridden places, actors and the representatives' evidence): the count does not grow
with the incidents. Incident ids already written are kept in a set (one int each) so that
an incident whose events lie in several chunks is written once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..acled import DISORDER
from ..incidents import RULE_FIELDS, combine, shared_layers_q, typed_overrides
from ..models import Actor, Event, Evidence, IncidentEvent, Layer, Place
from . import CHUNK, EVENT_FIELDS, PLACE_FIELDS, Chunk, Selection, _among, event_record, fetched
from .acled import COLUMNS, countries, event_row, spreadsheet_cell
from .geojson import HEAD, TAIL
from .jsonl import encode, encode_bytes

INCIDENT_COLUMNS = [
    "incident_id",
    "fatalities_low",
    "fatalities_high",
    "event_ids",
    "article_ids",
    "overridden",
]
CSV_COLUMNS = COLUMNS + INCIDENT_COLUMNS
RULE = (
    "Events an editor linked into one incident are one row: the lowest fatality figure any "
    "report gives (with the range of all figures), the most precise report's date and place, "
    "the type most reports give, every report's source, the report ids in the notes, and "
    "the actors and notes of the most precise report; an editor's override wins. An event "
    "in no incident is a row of its own."
)
UNKNOWN_PRECISION = 4  # an unknown place or date: less precise than ACLED's 3
_F = {name: i for i, name in enumerate(EVENT_FIELDS)}
MEMBER_FIELDS = (
    "incident_id",
    "incident__overrides",
    "incident__updated",
    *(f"event__{name}" for name in EVENT_FIELDS),
    "event__layer__article_id",
    "event__layer__kind",
    "event__layer__annotator__username",
    "event__layer__updated",
    "event__layer__article__source",
)


@dataclass
class Report:
    """One event as a report of an incident: its row (EVENT_FIELDS) and where it comes from."""

    event: tuple
    article_id: int
    kind: str
    annotator: str | None
    article_source: str
    updated: datetime | None

    def get(self, name: str) -> Any:
        return self.event[_F[name]]

    @property
    def precision(self) -> int:
        place = (self.get("geo_precision") or 1) if self.get("place_id") else UNKNOWN_PRECISION
        when = (self.get("time_precision") or 1) if self.get("event_date") else UNKNOWN_PRECISION
        return place + when


@dataclass
class Counts:
    """What the incident level made of the selection, for the datasheet."""

    reports: int = 0  # articles with at least one exported event
    events: int = 0
    incidents: int = 0  # rows written
    linked: int = 0  # rows of two or more events
    _last_article: int | None = None

    @property
    def duplicates_removed(self) -> int:
        return self.events - self.incidents

    def as_dict(self) -> dict[str, int]:
        return {
            "reports": self.reports,
            "events": self.events,
            "incidents": self.incidents,
            "linked_incidents": self.linked,
            "duplicates_removed": self.duplicates_removed,
        }

    def saw_event(self, article_id: int) -> None:
        # Events come article by article: a new id is a new report.
        if article_id != self._last_article:
            self.reports += 1
            self._last_article = article_id
        self.events += 1


def reconciled(
    reports: list[Report], overrides: dict[str, Any] | None, places: Container[int] = ()
) -> dict[str, Any]:
    """annotations.incidents.reconcile's result for reports in linking order, by the same
    rule (incidents.combine) read from rows instead of objects, the place as its id.
    `overrides` as stored (Incident.overrides); `places` holds the ids of the places that
    exist (an overridden place deleted since is no override)."""
    rows = [
        {
            "id": r.get("id"),
            "article_id": r.article_id,
            "source": r.get("source") or r.article_source,
            "place": r.get("place_id"),
            **{name: r.get(name) for name in RULE_FIELDS},
        }
        for r in reports
    ]
    return combine(rows, typed_overrides(overrides, lambda pk: pk if pk in places else None))


def representative(reports: list[Report]) -> Report:
    """The most precise report (place + date precision), the first linked among equals."""
    return min(enumerate(reports), key=lambda pair: (pair[1].precision, pair[0]))[1]


@dataclass
class _Incidents:
    """A chunk's new incidents with what their rows need, read in a few bulk queries."""

    reports: dict[int, list[Report]] = field(default_factory=dict)  # in linking order
    overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    updated: dict[int, datetime] = field(default_factory=dict)
    fields: dict[int, dict[str, Any]] = field(default_factory=dict)  # reconciled
    leaders: dict[int, Report] = field(default_factory=dict)  # representatives
    places: dict[int, dict[str, Any]] = field(default_factory=dict)
    actors: dict[int, dict[str, Any]] = field(default_factory=dict)
    evidence: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


def rows(
    selection: Selection, counts: Counts | None = None, size: int = CHUNK
) -> Iterator[list[dict[str, Any]]]:
    """The incident-level rows, typed, one list per chunk of `size` articles."""
    counts = counts if counts is not None else Counts()
    written: set[int] = set()
    for chunk in fetched(selection, size, spans=False):
        yield _chunk_rows(chunk, written, counts)


def _chunk_rows(chunk: Chunk, written: set[int], counts: Counts) -> list[dict[str, Any]]:
    ids = [row[1] for rows in chunk.events.values() for row in rows]
    if not ids:
        return []
    # A member whose layer stopped counting (returned to its annotator) keeps its membership
    # but is no report of the incident: it is written as a row of its own when selected.
    membership = {
        pk: (incident if kind == Layer.GOLD or (kind, state) == _APPROVED else None, updated)
        for pk, incident, updated, kind, state in _among(
            Event.objects.all(), "id", ids
        ).values_list(
            "id", "incident_member__incident_id", "layer__updated", "layer__kind", "layer__state"
        )
    }
    new = {incident for incident, _ in membership.values() if incident is not None} - written
    incidents = _read_incidents(new, chunk)
    out = []
    for article, layer in chunk.pairs():
        for number, row in enumerate(chunk.events.get(layer[0], ()), start=1):
            counts.saw_event(article[0])
            incident, updated = membership[row[1]]
            if incident is None:
                report = Report(row, article[0], layer[2], layer[4], article[3], updated)
                out.append(_single(report, number, chunk))
            elif incident not in written:
                written.add(incident)
                out.append(_incident(incident, incidents))
                counts.linked += int(len(incidents.reports[incident]) > 1)
    counts.incidents += len(out)
    return out


def _read_incidents(ids: set[int], chunk: Chunk) -> _Incidents:
    found = _Incidents()
    if not ids:
        return found
    members = (
        _among(IncidentEvent.objects.all(), "incident_id", sorted(ids))
        .filter(event__layer__in=Layer.objects.filter(shared_layers_q()))
        .order_by("incident_id", "id")  # linking order, as reconcile reads them
        .values_list(*MEMBER_FIELDS)
    )
    width = len(EVENT_FIELDS)
    for incident, overrides, updated, *rest in members:
        event, (article_id, kind, annotator, layer_updated, source) = rest[:width], rest[width:]
        report = Report(tuple(event), article_id, kind, annotator, source, layer_updated)
        found.reports.setdefault(incident, []).append(report)
        found.overrides[incident] = overrides or {}
        found.updated[incident] = updated
    # Every place an incident may be given: its reports' and the editors' overrides.
    place_ids = {r.get("place_id") for reports in found.reports.values() for r in reports}
    place_ids |= {o["place"] for o in found.overrides.values() if isinstance(o.get("place"), int)}
    found.places = _places(place_ids - {None}, chunk.places)
    for incident, reports in found.reports.items():
        found.fields[incident] = reconciled(reports, found.overrides[incident], found.places)
        found.leaders[incident] = representative(reports)
    leaders = found.leaders.values()
    found.actors = _actors({r.get(n) for r in leaders for n in _ACTORS} - {None}, chunk.actors)
    found.evidence = _evidence([r.get("id") for r in leaders])
    return found


_APPROVED = (Layer.ANNOTATOR, Layer.APPROVED)  # with gold, what incidents.counts keeps
_ACTORS = ("actor1_id", "assoc_actor_1_id", "actor2_id", "assoc_actor_2_id")


def _places(ids: set[int], known: dict[int, dict]) -> dict[int, dict]:
    places = {pk: known[pk] for pk in ids if pk in known}
    missing = ids - set(places)
    if missing:
        rows = Place.objects.filter(pk__in=missing).values_list("id", *PLACE_FIELDS)
        places |= {row[0]: dict(zip(PLACE_FIELDS, row[1:], strict=True)) for row in rows}
    return places


def _actors(ids: set[int], known: dict[int, dict]) -> dict[int, dict]:
    actors = {pk: known[pk] for pk in ids if pk in known}
    missing = ids - set(actors)
    if missing:
        rows = Actor.objects.filter(pk__in=missing).values_list(
            "id", "name", "name_ar", "inter_code"
        )
        actors |= {pk: {"name": n, "name_ar": ar, "inter_code": c} for pk, n, ar, c in rows}
    return actors


def _evidence(event_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    evidence: dict[int, list[dict[str, Any]]] = {}
    if not event_ids:
        return evidence
    rows = _among(Evidence.objects.all(), "event_id", event_ids).order_by(
        "event_id", "field", "start", "end", "id"
    )
    for event_id, name, start, end in rows.values_list("event_id", "field", "start", "end"):
        evidence.setdefault(event_id, []).append({"field": name, "start": start, "end": end})
    return evidence


def _single(report: Report, number: int, chunk: Chunk) -> dict[str, Any]:
    """An event in no incident: its report-level row with the incident-level extras."""
    pieces = chunk.evidence.get(report.get("id"), ())
    evidence = [{"field": f, "start": s, "end": e} for _, f, s, e, _, _ in pieces]
    fields = reconciled([report], None)
    # Alone, its precisions stay as coded: reconcile counts a missing one as 1, a guess.
    fields["time_precision"] = report.get("time_precision")
    fields["geo_precision"] = report.get("geo_precision")
    stamp = int(report.updated.timestamp()) if report.updated else None
    return _row([report], report, fields, chunk.places, chunk.actors, evidence, number, stamp)


def _incident(incident: int, found: _Incidents) -> dict[str, Any]:
    reports = found.reports[incident]
    fields, leader = found.fields[incident], found.leaders[incident]
    times = [found.updated[incident], *(r.updated for r in reports if r.updated)]
    evidence = found.evidence.get(leader.get("id"), [])
    row = _row(
        reports,
        leader,
        fields,
        found.places,
        found.actors,
        evidence,
        1,
        int(max(times).timestamp()),
    )
    code = (found.places.get(fields["place"]) or {}).get("country_code") or ""
    iso3 = countries().get(code, {}).get("iso3", "XXX")
    row["event_id_cnty"] = f"{iso3}-I{incident}"
    row["incident_id"] = incident
    return row


def _row(
    reports: list[Report],
    leader: Report,
    fields: dict[str, Any],
    places: dict[int, dict],
    actors: dict[int, dict],
    evidence: list[dict[str, Any]],
    number: int,
    timestamp: int | None,
) -> dict[str, Any]:
    """The representative's report-level row with the reconciled fields put in."""
    event = event_record(leader.event, "", (), {}, places, actors)
    when = fields["event_date"]
    event |= {
        "event_type": fields["event_type"],
        "sub_event_type": fields["sub_event_type"],
        "disorder_type": DISORDER.get(fields["event_type"], ""),
        "place": places.get(fields["place"]) if fields["place"] else None,
        "event_date": when.isoformat() if when else None,
        "time_precision": fields["time_precision"],
        "geo_precision": fields["geo_precision"],
        "fatalities": fields["fatalities"],
        "source": "; ".join(fields["sources"]),
        "notes": _notes(reports, leader.get("notes")),
        "evidence": evidence,
    }
    record = {
        "id": leader.article_id,
        "source": leader.article_source,
        "layer": {"kind": leader.kind, "annotator": leader.annotator},
    }
    row = event_row(record, number, event, timestamp)
    row["evidence"] = evidence  # a list; the CSV writes it as acled.py does
    row |= {
        "incident_id": None,
        "fatalities_low": fields["fatalities_low"],
        "fatalities_high": fields["fatalities_high"],
        "event_ids": fields["event_ids"],
        "article_ids": fields["article_ids"],
        "overridden": fields["overridden"],
    }
    return row


def _notes(reports: list[Report], notes: str) -> str:
    ids = "; ".join(f"article {r.article_id} event {r.get('id')}" for r in reports)
    return f"[reports: {ids}] {notes}".rstrip()


# --- Writers -----------------------------------------------------------------------------


def stream(selection: Selection, fmt: str) -> Iterator[bytes]:
    pieces = {"acled": write_acled, "geojson": write_geojson, "jsonl": write_jsonl}[fmt](selection)
    return (piece if isinstance(piece, bytes) else piece.encode("utf-8") for piece in pieces)


def write_acled(selection: Selection, counts: Counts | None = None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for chunk in rows(selection, counts):
        for row in chunk:
            writer.writerow([spreadsheet_cell(v) for v in csv_cells(row)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def csv_cells(row: dict[str, Any]) -> list[Any]:
    """The row's CSV cells: lists joined as acled.py joins evidence."""
    cells = {
        **row,
        "evidence": ";".join(f"{e['field']}:{e['start']}-{e['end']}" for e in row["evidence"]),
        "event_ids": ";".join(map(str, row["event_ids"])),
        "article_ids": ";".join(map(str, row["article_ids"])),
        "overridden": ";".join(row["overridden"]),
    }
    return [cells[name] for name in CSV_COLUMNS]


def properties(row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON: every column, typed, lists as lists."""
    return {name: row[name] for name in CSV_COLUMNS}


def write_jsonl(selection: Selection) -> Iterator[bytes]:
    for chunk in rows(selection):
        yield b"".join([encode_bytes(properties(row)) + b"\n" for row in chunk])


def write_geojson(selection: Selection) -> Iterator[str]:
    yield HEAD
    first = True
    for chunk in rows(selection):
        if chunk:
            yield ("" if first else ",\n") + ",\n".join(encode(feature(row)) for row in chunk)
            first = False
    yield TAIL


def feature(row: dict[str, Any]) -> dict[str, Any]:
    lat, lon = row["latitude"], row["longitude"]
    geometry = None
    if lat is not None and lon is not None:
        geometry = {"type": "Point", "coordinates": [lon, lat]}
    keep = {k: v for k, v in properties(row).items() if k not in ("latitude", "longitude")}
    return {"type": "Feature", "geometry": geometry, "properties": keep}
