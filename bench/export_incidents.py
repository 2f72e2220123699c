"""The incident-level export beside the report-level one, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_incexport \\
        .venv/bin/python bench/export_incidents.py

ARTICLES articles (BENCH_INCIDENT_ARTICLES, default 20,000), each with a gold layer holding
two events (an air strike and a clash, both placed and dated, evidence on the strike);
the strikes of articles 2k-1 and 2k are linked into one incident, so half the strikes are
duplicates: 2 × ARTICLES events, 1.5 × ARTICLES incident-level rows. Each export streams
the whole corpus in this process (reading threads on, as for a download) and is timed to
its last byte; the queries this connection sends are counted (the reading threads'
connections send the chunk queries, a fixed number per chunk).
"""

from __future__ import annotations

import os
import time

from common import record, run
from export import analyze, insert_select

from annotations.exports import INCIDENT, REPORT, Selection, stream
from annotations.models import (
    Actor,
    Article,
    Corpus,
    Event,
    Evidence,
    Incident,
    IncidentEvent,
    Layer,
    Place,
)

ARTICLES = int(os.environ.get("BENCH_INCIDENT_ARTICLES", "20000"))


def make_corpus() -> Corpus:
    corpus = Corpus.objects.create(name="bench")
    place = Place.objects.create(
        geonameid=172955, name="Ar Raqqah", country_code="SY", latitude=35.95, longitude=39.01
    )
    actor = Actor.objects.create(name="Military Forces of Syria", inter_code=1)
    insert_select(
        Article,
        {
            "corpus_id": str(corpus.pk),
            "title": "'تقرير ' || g",
            "body": "'قصفت طائرات حربية مواقع في مدينة الرقة ' || g",
            "source": "(ARRAY['SOHR', 'SANA', 'Enab Baladi'])[g % 3 + 1]",
            "published_at": "date '2024-01-01' + (g % 365)",
            "content_hash": "md5('bench ' || g)",
        },
        f"generate_series(1, {ARTICLES}) g",
    )
    insert_select(
        Layer,
        {"article_id": "id", "kind": "'gold'", "state": "'approved'"},
        f"annotations_article WHERE corpus_id = {corpus.pk}",
    )
    for event_type, sub_type in (
        ("Explosions/Remote violence", "Air/drone strike"),
        ("Battles", "Armed clash"),
    ):
        insert_select(
            Event,
            {
                "layer_id": "l.id",
                "event_type": f"'{event_type}'",
                "sub_event_type": f"'{sub_type}'",
                "actor1_id": str(actor.pk),
                "event_date": "date '2024-01-01' + (l.article_id / 2 % 365)::int",
                "time_precision": "1 + l.article_id % 2",
                "place_id": str(place.pk),
                "geo_precision": "1",
                "fatalities": "l.article_id % 7",
                "notes": "'غارة'",
            },
            "annotations_layer l WHERE l.kind = 'gold'",
        )
    strikes = list(
        Event.objects.filter(sub_event_type="Air/drone strike")
        .order_by("layer__article_id")
        .values_list("pk", flat=True)
    )
    Evidence.objects.bulk_create(
        [Evidence(event_id=pk, field="event_type", start=0, end=4) for pk in strikes],
        batch_size=5000,
    )
    incidents = Incident.objects.bulk_create(
        [Incident(corpus=corpus) for _ in range(len(strikes) // 2)], batch_size=5000
    )
    IncidentEvent.objects.bulk_create(
        [
            IncidentEvent(incident=incidents[i // 2], event_id=pk)
            for i, pk in enumerate(strikes[: 2 * len(incidents)])
        ],
        batch_size=5000,
    )
    return corpus


def timed_export(selection: Selection, fmt: str, level: str) -> tuple[float, int, int]:
    """Seconds to the last byte, lines written, queries on this connection."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        lines = sum(piece.count(b"\n") for piece in stream(selection, fmt, level=level))
        seconds = time.perf_counter() - start
    return seconds, lines, len(queries)


def main() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/export_incidents.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    start = time.perf_counter()
    corpus = make_corpus()
    analyze()
    record(
        f"create {ARTICLES:,} articles, {2 * ARTICLES:,} events", time.perf_counter() - start, "s"
    )
    record("incidents of two reports", f"{Incident.objects.count():,}", "")
    selection = Selection(corpus)
    for fmt, level in (
        ("acled", REPORT),
        ("acled", INCIDENT),
        ("geojson", REPORT),
        ("geojson", INCIDENT),
        ("jsonl", INCIDENT),
    ):
        load = os.getloadavg()[0]
        seconds, lines, queries = timed_export(selection, fmt, level)
        what = f"{fmt}, {level} level"
        record(f"{what}: wall time", seconds, "s")
        record(f"{what}:   lines written", f"{lines:,}", "")
        record(f"{what}:   queries on the writer's connection", f"{queries:,}", "")
        record(f"{what}:   load average (1 min) at its start", f"{load:.2f}", "")


if __name__ == "__main__":
    run("Newsdesk incident-level export bench", main)
