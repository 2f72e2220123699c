"""Agreement on 1,000 doubly-annotated articles: `compute` and the editors' page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_agree .venv/bin/python bench/agreement.py

Each article is two sample reports (about 380 words); four annotators work in two pairs,
each layer holds about 30 spans (LOC spans mostly linked to one of 50 places) and one or
two events with evidence. The second annotator of a pair copies the first with realistic
disagreement: relabelled, shifted and dropped spans, extra spans, moved dates and places.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta

from common import ROOT, percentiles, record, run, timed
from django.contrib.auth.models import User
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.acled import EVENT_TYPES
from annotations.agreement import TOKEN_CACHE, compute, load, report
from annotations.models import (
    Article,
    Corpus,
    Event,
    Evidence,
    Layer,
    Membership,
    Place,
    Span,
    content_hash,
)
from annotations.text import TOKENIZER_VERSION, pack_bounds, token_bounds, tokenize

ARTICLES = int(os.environ.get("BENCH_ARTICLES", 1000))
SPANS = 30
RUNS = 7
LABELS = ["LOC"] * 8 + ["PERS"] * 4 + ["ORG"] * 5 + ["MISC"] * 3
SUB_TYPES = [(kind, sub) for kind, subs in EVENT_TYPES.items() for sub in subs]
rng = random.Random(6)


def bodies() -> list[str]:
    samples = sorted((ROOT / "fixtures" / "samples").glob("*.txt"))
    texts = [path.read_text(encoding="utf-8").strip() for path in samples]
    # Two reports per article and a serial number, so every content hash differs.
    return [
        f"{texts[i % len(texts)]}\n\n{texts[(i * 7 + 3) % len(texts)]}\n\n{i}"
        for i in range(ARTICLES)
    ]


def first_spans(body: str, places: list[Place]) -> list[tuple[int, int, str, Place | None]]:
    words = [t for t in tokenize(body) if t.text.isalpha()]
    chosen = sorted(rng.sample(range(0, len(words) - 1, 2), SPANS))  # never adjacent
    spans = []
    for i in chosen:
        last = words[i + 1] if rng.random() < 0.3 else words[i]  # some two-word names
        label = rng.choice(LABELS)
        place = rng.choice(places) if label == "LOC" and rng.random() < 0.7 else None
        spans.append((words[i].start, last.end, label, place))
    return spans


def second_spans(body: str, spans: list, places: list[Place]) -> list:
    """The other annotator: mostly the same, with the disagreements annotators have."""
    out = []
    for start, end, label, place in spans:
        roll = rng.random()
        if roll < 0.08:
            continue  # missed
        if roll < 0.16:
            label = rng.choice([x for x in set(LABELS) if x != label])
            place = None
        elif roll < 0.22 and end - start > 3:
            start += 1  # span after a proclitic
        if place is not None and rng.random() < 0.12:
            place = rng.choice(places)
        out.append((start, end, label, place))
    taken = {(s, e) for s, e, _, _ in out}
    for token in rng.sample([t for t in tokenize(body) if t.text.isalpha()], 3):
        if all(e <= token.start or s >= token.end for s, e in taken):
            out.append((token.start, token.end, rng.choice(LABELS), None))
    return out


def first_events(spans: list, places: list[Place]) -> list[dict]:
    events = []
    for _ in range(rng.choice([1, 1, 2])):
        start, end, _, _ = rng.choice(spans)
        kind, sub = rng.choice(SUB_TYPES)
        events.append(
            {
                "event_type": kind,
                "sub_event_type": sub,
                "event_date": date(2024, 1, 1) + timedelta(days=rng.randrange(300)),
                "place": rng.choice(places),
                "fatalities": rng.choice([None, 0, 1, 2, 3, 5, 12]),
                "evidence": (start, end),
            }
        )
    return events


def second_events(events: list[dict], spans: list, places: list[Place]) -> list[dict]:
    out = []
    for event in events:
        event = dict(event)
        if rng.random() < 0.15:
            event["event_type"], event["sub_event_type"] = rng.choice(SUB_TYPES)
        if rng.random() < 0.3:
            event["event_date"] += timedelta(days=rng.choice([-2, -1, 1, 2]))
        if rng.random() < 0.2:
            event["place"] = rng.choice(places)
        if rng.random() < 0.25:
            event["fatalities"] = rng.choice([None, 0, 1, 2, 4, 10])
        if rng.random() < 0.15:
            event["evidence"] = rng.choice(spans)[:2]
        out.append(event)
    return out


def build() -> Corpus:
    corpus = Corpus.objects.create(name="agreement bench", annotators_per_article=2)
    annotators = [User.objects.create_user(f"annotator{i}") for i in range(4)]
    editor = User.objects.create_user("editor")
    for user in annotators:
        Membership.objects.create(corpus=corpus, user=user, role=Membership.ANNOTATOR)
    Membership.objects.create(corpus=corpus, user=editor, role=Membership.EDITOR)
    places = Place.objects.bulk_create(
        Place(geonameid=900000 + i, name=f"place {i}", country_code="SY") for i in range(50)
    )
    texts = bodies()
    articles = Article.objects.bulk_create(
        Article(
            corpus=corpus,
            title=text.split("\n", 1)[0][:200],
            body=text,
            content_hash=content_hash(text),
            # As Article.save() stores them on import (bulk_create skips save()).
            tokens=pack_bounds(*token_bounds(text)),
            tokens_version=TOKENIZER_VERSION,
        )
        for text in texts
    )
    plans = []
    for n, article in enumerate(articles):
        spans = first_spans(article.body, places)
        events = first_events(spans, places)
        pair = annotators[:2] if n % 2 else annotators[2:]
        plans.append((article, pair[0], spans, events))
        plans.append(
            (
                article,
                pair[1],
                second_spans(article.body, spans, places),
                second_events(events, spans, places),
            )
        )
    layers = Layer.objects.bulk_create(
        Layer(article=a, kind=Layer.ANNOTATOR, annotator=u, state=Layer.SUBMITTED)
        for a, u, _, _ in plans
    )
    Span.objects.bulk_create(
        (
            Span(layer=layer, start=s, end=e, label=label, place=place)
            for layer, (_, _, spans, _) in zip(layers, plans, strict=True)
            for s, e, label, place in spans
        ),
        batch_size=5000,
    )
    made = Event.objects.bulk_create(
        Event(layer=layer, **{k: v for k, v in event.items() if k != "evidence"})
        for layer, (_, _, _, events) in zip(layers, plans, strict=True)
        for event in events
    )
    cited = [e["evidence"] for _, _, _, events in plans for e in events]
    Evidence.objects.bulk_create(
        Evidence(event=event, field="event_type", start=s, end=e)
        for event, (s, e) in zip(made, cited, strict=True)
    )
    return corpus


def runs(
    fn: Callable[..., object], *args: object, times: int = RUNS, cold: bool = False
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of `times` calls, emptying the token cache before
    each if `cold`. On a shared machine the wall clock includes waiting for a core; the
    CPU time of this process does not (nor PostgreSQL's)."""
    walls, cpus = [], []
    for _ in range(times):
        if cold:
            TOKEN_CACHE.clear()
        cpu = time.process_time()
        walls.append(timed(fn, *args)[1])
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def main() -> None:
    # The machine may be shared; the load says how much of the two cores the bench had.
    record("load average (1 min) before", f"{os.getloadavg()[0]:.2f}", "")
    corpus, ms = timed(build)
    record(f"build {ARTICLES:,} articles x 2 layers with bulk_create", ms, "ms")
    if connection.vendor == "postgresql":
        # Fresh tables have no statistics until autovacuum's ANALYZE (within a minute on
        # a live database); without them the planner nests loops over the subqueries.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    record("spans in annotator layers", f"{Span.objects.count():,}", "")
    record("events in annotator layers", f"{Event.objects.count():,}", "")
    articles = corpus.articles.all()
    _, cold = timed(compute, articles)  # imports done; no body tokenized yet in this process
    record("compute, first run in this process", cold, "ms")
    loads = [timed(load, articles)[1] for _ in range(RUNS)]
    records = load(articles)
    reports = [timed(report, records)[1] for _ in range(RUNS)]
    computes, compute_cpu = runs(compute, articles)
    colds, cold_cpu = runs(compute, articles, times=3, cold=True)
    result = compute(articles)
    record(f"articles compared (of {ARTICLES:,})", f"{result.articles_compared:,}", "")
    for name in ("span_f1_exact", "span_f1_overlap", "kappa", "alpha_labels", "event_f1"):
        record(f"overall {name}", f"{result.overall[name]:.3f}", "")
    record(f"load (5 queries), p50 of {RUNS}", percentiles(loads)[0], "ms")
    record(f"measures on loaded records, p50 of {RUNS}", percentiles(reports)[0], "ms")
    p50, p95 = percentiles(computes)
    record(f"compute, p50 of {RUNS}", p50, "ms")
    record("compute, p95", p95, "ms")
    record("compute, CPU time of this process, p50", percentiles(compute_cpu)[0], "ms")
    record("compute, worker cache cleared (tokens stored), p50 of 3", percentiles(colds)[0], "ms")
    record(
        "compute, worker cache cleared, CPU time of this process, p50",
        percentiles(cold_cpu)[0],
        "ms",
    )
    bench_page(corpus)


def bench_page(corpus: Corpus) -> None:
    client = Client()
    client.force_login(User.objects.get(username="editor"))
    url = reverse("agreement")
    colds, cold_cpu = runs(client.get, url, {"corpus": corpus.pk}, times=3, cold=True)
    record("agreement page, worker cache cleared, p50 of 3", percentiles(colds)[0], "ms")
    record("agreement page, worker cache cleared, CPU time, p50", percentiles(cold_cpu)[0], "ms")
    reset_queries()  # the request resets the log too; CaptureQueriesContext must start at 0
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, {"corpus": corpus.pk})
    assert page.status_code == 200, page.status_code
    pages, page_cpu = runs(client.get, url, {"corpus": corpus.pk})
    p50, p95 = percentiles(pages)
    record(f"agreement page, full round trip, p50 of {RUNS}", p50, "ms")
    record("agreement page, p95", p95, "ms")
    record("agreement page, CPU time of this process, p50", percentiles(page_cpu)[0], "ms")
    record("agreement page size", f"{len(page.content) // 1024:,}", "KiB")
    record("agreement page queries (session and user included)", len(queries), "")
    csv_url = reverse("agreement_csv")

    def download() -> bytes:
        # The rows stream after the response exists: time them as well.
        return b"".join(client.get(csv_url, {"corpus": corpus.pk}).streaming_content)

    content, ms = timed(download)
    record("agreement CSV, full download", ms, "ms")
    record("load average (1 min) after", f"{os.getloadavg()[0]:.2f}", "")
    rows = content.count(b"\n")
    record(f"agreement CSV size ({rows:,} rows)", f"{len(content) // 1024:,}", "KiB")


if __name__ == "__main__":
    print(f"{ARTICLES} articles, {RUNS} runs", file=sys.stderr)
    run("Newsdesk agreement bench", main)
