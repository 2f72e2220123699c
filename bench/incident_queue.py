"""The editors' incidents queue with many suggestions: GET /incidents/ at the first pair, with
the pending filter, deep in the queue and as an htmx swap, and a link + undo round trip.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/incident_queue.py
    BENCH_QUEUE_EVENTS=20000 BENCH_QUEUE_PAIRS=100000 (the defaults)

One corpus; one gold event per article (air strikes, dated over 300 days); random pairs of
them stored as pending suggestions, as `find_incident_candidates` stores them. Times are
Django test-client round trips (view, queries, template; no network), 30 each.
"""

from __future__ import annotations

import os
import random
from datetime import date, timedelta

from common import percentiles, record, run, timed
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotations.models import Article, Corpus, Event, IncidentCandidate, Layer, Membership

EVENTS = int(os.environ.get("BENCH_QUEUE_EVENTS", 20_000))
PAIRS = int(os.environ.get("BENCH_QUEUE_PAIRS", 100_000))
RUNS = 30
HTMX = {"HTTP_HX_REQUEST": "true"}


def load() -> User:
    random.seed(1)
    corpus = Corpus.objects.create(name="Queue")
    articles = Article.objects.bulk_create(
        Article(corpus=corpus, title=f"r{i}", body=f"تقرير رقم {i} عن غارة.", content_hash=f"q{i}")
        for i in range(EVENTS)
    )
    layers = Layer.objects.bulk_create(
        Layer(article=a, kind=Layer.GOLD, state=Layer.APPROVED) for a in articles
    )
    events = Event.objects.bulk_create(
        Event(
            layer=layer,
            event_type="Explosions/Remote violence",
            sub_event_type="Air/drone strike",
            event_date=date(2024, 1, 1) + timedelta(days=i % 300),
            time_precision=1,
        )
        for i, layer in enumerate(layers)
    )
    ids = [e.pk for e in events]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < PAIRS:
        a, b = random.sample(ids, 2)
        pairs.add((min(a, b), max(a, b)))
    parts = {"sub_type": 1, "place": 0.25, "date": 1, "actors": 0.5}
    IncidentCandidate.objects.bulk_create(
        (
            IncidentCandidate(
                corpus=corpus,
                event_a_id=a,
                event_b_id=b,
                score=round(random.uniform(0.6, 1), 4),
                parts=parts,
            )
            for a, b in sorted(pairs)
        ),
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does to a table that stopped changing
            cursor.execute("ANALYZE")
    editor = User.objects.create_user("queue_editor", password="x")
    Membership.objects.create(corpus=corpus, user=editor, role=Membership.EDITOR)
    return editor


def times(fn) -> tuple[float, float]:
    fn()  # warm: the first request loads templates and translations
    return percentiles([timed(fn)[1] for _ in range(RUNS)])


def body() -> None:
    editor, elapsed = timed(load)
    record(f"loaded {EVENTS:,} events and {PAIRS:,} pending pairs", elapsed / 1000, "s")
    client = Client()
    client.force_login(editor)
    url = reverse("incident_queue")

    def get(params: dict, **extra: str) -> None:
        response = client.get(url, params, **extra)
        assert response.status_code == 200, response.status_code

    cases = {
        "first pair": ({}, {}),
        "pending only": ({"decision": "pending"}, {}),
        f"pair {PAIRS // 2:,}": ({"i": PAIRS // 2}, {}),
        "first pair, htmx swap": ({}, HTMX),
    }
    for name, (params, extra) in cases.items():
        p50, p95 = times(lambda params=params, extra=extra: get(params, **extra))
        record(f"GET /incidents/ {name}: p50", p50, "ms")
        record(f"GET /incidents/ {name}: p95", p95, "ms")

    def round_trip() -> None:
        pair = IncidentCandidate.objects.filter(decision="pending").order_by("-score", "id")[0]
        link = reverse("candidate_link", args=[pair.pk])
        assert client.post(link, {"i": "0"}, **HTMX).status_code == 200
        pair.refresh_from_db()
        seen = {"seen_decision": pair.decision, "seen_at": pair.decided_at.isoformat()}
        undo = reverse("candidate_undo", args=[pair.pk])
        assert client.post(undo, {"i": "0", **seen}, **HTMX).status_code == 200

    p50, p95 = times(round_trip)
    record("link + undo (two POSTs): p50", p50, "ms")
    record("link + undo (two POSTs): p95", p95, "ms")


if __name__ == "__main__":
    run("Incidents queue", body)
