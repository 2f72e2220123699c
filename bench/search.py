"""Search and the filtered article list on 100,000 articles (issue 13's targets).

    createdb -h 127.0.0.1 -U postgres search_bench   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/search_bench .venv/bin/python bench/search.py

Unlike the other benches this one keeps its database: generating 100,000 articles takes
minutes, so a second run migrates, finds them and only measures. The bodies are runs of
ANERcorp's words (read from BENCH_CONLL at run time, never copied into the repository),
so word frequencies are those of real Arabic news; their LOC words become places and the
spans linking them. search_key is filled by `search.search_key`, as Article.save does
(bulk_create skips save). Times are Django test-client round trips (htmx requests) in
one process: the view, its queries and the template, no network.
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotations import search  # noqa: E402
from annotations.acled import EVENT_TYPES  # noqa: E402
from annotations.models import (  # noqa: E402
    Actor,
    Article,
    Corpus,
    Event,
    Layer,
    Membership,
    Place,
    Span,
    content_hash,
)

ARTICLES = int(os.environ.get("BENCH_ARTICLES", 100_000))
CONLL = Path(os.environ.get("BENCH_CONLL", "/work/shared/data/anercorp/train.conll"))
CORPUS = "bench-search"
BATCH = 2000
RUNS = 3  # each query set is timed this many times; p95 over every sample
SUB_TYPES = [(kind, sub) for kind, subs in EVENT_TYPES.items() for sub in subs]
rng = random.Random(13)


def conll() -> tuple[list[str], list[str]]:
    words, tags = [], []
    for line in CONLL.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            words.append(parts[0])
            tags.append(parts[-1])
    return words, tags


def make_places(words: list[str], tags: list[str]) -> dict[str, Place]:
    """Syria, 14 governorates, and a town for each of ANERcorp's 300 commonest LOC words,
    scattered over Syria so that 'within N km' has neighbours to find."""
    Place.objects.create(
        name="Syria",
        country_code="SY",
        feature_class="A",
        feature_code="PCLI",
        latitude=35.0,
        longitude=38.0,
        source="bench",
    )
    for code in range(1, 15):
        Place.objects.create(
            name=f"Governorate {code:02d}",
            country_code="SY",
            feature_class="A",
            feature_code="ADM1",
            admin1_code=f"{code:02d}",
            source="bench",
            latitude=rng.uniform(32.5, 37.0),
            longitude=rng.uniform(36.0, 41.5),
        )
    common = Counter(w for w, t in zip(words, tags, strict=True) if t == "B-LOC")
    towns = {}
    for name, _ in common.most_common(300):
        towns[name] = Place.objects.create(
            name=name,
            country_code="SY",
            feature_class="P",
            feature_code="PPL",
            admin1_code=f"{rng.randint(1, 14):02d}",
            source="bench",
            latitude=rng.uniform(32.5, 37.0),
            longitude=rng.uniform(36.0, 41.5),
        )
    return towns


def window(words: list[str], tags: list[str], n: int) -> tuple[list[str], list[str]]:
    start = rng.randrange(len(words) - n)
    return words[start : start + n], tags[start : start + n]


def generate() -> None:
    words, tags = conll()
    corpus = Corpus.objects.create(name=CORPUS)
    editor = User.objects.create_user("bench_search_editor", password="x")
    Membership.objects.create(corpus=corpus, user=editor, role=Membership.EDITOR)
    annotators = [User.objects.create_user(f"bench_search_a{i}") for i in range(4)]
    actors = [
        Actor.objects.create(name=f"Bench actor {i}", inter_code=i % 8 + 1) for i in range(20)
    ]
    towns = make_places(words, tags)
    seen: set[str] = set()
    start = datetime.date(2020, 1, 1)
    made = 0
    while made < ARTICLES:
        n = min(BATCH, ARTICLES - made)
        with transaction.atomic():
            _batch(corpus, n, words, tags, towns, annotators, actors, start, seen)
        made += n
        print(f"  {made:,} articles", file=sys.stderr)


def _batch(corpus, n, words, tags, towns, annotators, actors, start, seen) -> None:
    articles, locs = [], []
    while len(articles) < n:
        title_words, _ = window(words, tags, rng.randint(6, 12))
        first, first_tags = window(words, tags, rng.randint(60, 140))
        second, second_tags = window(words, tags, rng.randint(40, 120))
        body_words, body_tags = [*first, *second], [*first_tags, *second_tags]
        title, body = " ".join(title_words), " ".join(body_words)
        digest = content_hash(body)
        if digest in seen:
            continue
        seen.add(digest)
        published = None if rng.random() < 0.03 else start + datetime.timedelta(rng.randrange(2500))
        articles.append(
            Article(
                corpus=corpus,
                title=title,
                body=body,
                published_at=published,
                content_hash=digest,
                search_key=search.search_key(title, body),
            )
        )
        locs.append(_locations(body_words, body_tags, towns))
    articles = Article.objects.bulk_create(articles)
    machine = Layer.objects.bulk_create(
        [Layer(article=a, kind=Layer.MACHINE, state=Layer.APPROVED) for a in articles]
    )
    human = [
        Layer(
            article=a,
            kind=Layer.ANNOTATOR,
            annotator=rng.choice(annotators),
            state=rng.choice(Layer.STATES)[0],
        )
        for a in articles
        if rng.random() < 0.6
    ]
    human = Layer.objects.bulk_create(human)
    spans = [
        Span(layer=layer, start=s, end=e, label="LOC", place=place, origin=Span.MACHINE)
        for layer, found in zip(machine, locs, strict=True)
        for s, e, place in found[:3]
    ]
    Span.objects.bulk_create(spans)
    events = []
    for layer in [*machine, *human]:
        if rng.random() < 0.5:
            kind, sub = rng.choice(SUB_TYPES)
            events.append(
                Event(
                    layer=layer,
                    event_type=kind,
                    sub_event_type=sub,
                    actor1=rng.choice(actors),
                    actor2=rng.choice([None, *actors]),
                    place=rng.choice(list(towns.values())),
                    event_date=layer.article.published_at,
                )
            )
    Event.objects.bulk_create(events)


def _locations(body_words, body_tags, towns) -> list[tuple[int, int, Place]]:
    found, offset = [], 0
    for word, tag in zip(body_words, body_tags, strict=True):
        if tag == "B-LOC" and word in towns:
            found.append((offset, offset + len(word), towns[word]))
        offset += len(word) + 1
    return found


# Measuring.

rows: list[tuple[str, str, str]] = []


def record(what: str, value: float | str, unit: str = "ms") -> None:
    text = f"{value:,.1f}" if isinstance(value, float) else str(value)
    rows.append((what, text, unit))
    print(f"  {what}: {text} {unit}", file=sys.stderr)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def timed_gets(client: Client, url: str, queries: list[dict]) -> list[float]:
    samples = []
    for _ in range(RUNS):
        for query in queries:
            start = time.perf_counter()
            response = client.get(url, query, HTTP_HX_REQUEST="true")
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
    return samples


def report(what: str, samples: list[float]) -> None:
    record(f"{what}, p50", statistics.median(samples))
    record(f"{what}, p95", p95(samples))


def measure() -> None:
    corpus = Corpus.objects.get(name=CORPUS)
    client = Client()
    client.force_login(User.objects.get(username="bench_search_editor"))
    words = _query_words(corpus)
    governorate = Place.objects.get(source="bench", feature_code="ADM1", admin1_code="04")
    town = Place.objects.filter(source="bench", feature_class="P").order_by("pk")[5]
    two_filters: dict[str, Callable[[str], dict]] = {
        "corpus + published from": lambda w: {
            "q": w,
            "corpus": corpus.pk,
            "published_from": "2023-01-01",
        },
        "event type + layer state": lambda w: {
            "q": w,
            "event_type": "Battles",
            "state": Layer.SUBMITTED,
        },
        "governorate + published to": lambda w: {
            "q": w,
            "place": governorate.pk,
            "published_to": "2024-06-30",
        },
        "town within 50 km + corpus": lambda w: {
            "q": w,
            "place": town.pk,
            "within_km": "50",
            "corpus": corpus.pk,
        },
    }
    url = reverse("search")
    for make in two_filters.values():  # warm caches: the first request loads camel-tools
        client.get(url, make(words[0]), HTTP_HX_REQUEST="true")
    every = []
    for name, make in two_filters.items():
        samples = timed_gets(client, url, [make(w) for w in words])
        record(f"search, word + [{name}], p95", p95(samples))
        every += samples
    report(f"search, one word + two filters (all {len(every)} requests)", every)
    alone = timed_gets(client, url, [{"q": w} for w in words])
    report(f"search, one word alone ({len(alone)} requests)", alone)
    _article_list(client, corpus)
    _explain(words)


def _query_words(corpus: Corpus) -> list[str]:
    """Ten words from rare to common (by how many articles hold them), as people search."""
    keys = Counter()
    for key in Article.objects.filter(corpus=corpus).values_list("search_key", flat=True)[:2000]:
        keys.update(set(key.split()))
    ranked = [k for k, _ in keys.most_common() if len(k) > 3]
    picks = [ranked[i] for i in (0, 5, 20, 50, 100, 200, 400, 800, 1500, 3000) if i < len(ranked)]
    record("query words (article-sample rank 0..3000)", len(picks), "words")
    return picks


def _article_list(client: Client, corpus: Corpus) -> None:
    url = reverse("article_list")
    filter_sets = {
        "corpus + published from": {"corpus": corpus.pk, "published_from": "2020-06-01"},
        # Every article's machine layer is approved: a layer filter that keeps 500 pages.
        "layer state + published from": {"state": Layer.APPROVED, "published_from": "2020-06-01"},
        "state + event type": {"state": Layer.IN_PROGRESS, "event_type": "Battles"},
    }
    for name, filters in filter_sets.items():
        editor = User.objects.get(username="bench_search_editor")
        found = search.filtered(
            editor, Article.objects.all(), "", search.Filters(**_typed(filters))
        )
        ids = list(found.order_by("-id").values_list("pk", flat=True))
        record(f"article list [{name}]: matching articles", f"{len(ids):,}", "")
        for depth in (1, 50, 500):
            index = (depth - 1) * search.LIST_PAGE_SIZE - 1
            if index >= len(ids):
                record(f"article list [{name}] page {depth}", "beyond the last page", "")
                continue
            query = {**filters, **({"after": ids[index]} if depth > 1 else {})}
            client.get(url, query, HTTP_HX_REQUEST="true")
            report(f"article list [{name}] page {depth}", timed_gets(client, url, [query] * 10))


def _typed(filters: dict) -> dict:
    typed = dict(filters)
    if "published_from" in typed:
        typed["published_from"] = datetime.date.fromisoformat(typed["published_from"])
    return typed


def _explain(words: list[str]) -> None:
    """Which index serves a word: a rare word's articles are looked up by the trigram GIN
    index (a bitmap scan); a common word is tested on the newest-first walk."""
    for word, kind in ((words[-1], "rare"), (words[0], "common")):
        found = Article.objects.filter(search_key__contains=f" {search.query_key(word)} ")
        if kind == "rare":
            plan = found.order_by().values_list("pk", flat=True)[: search.RARE_MAX + 1].explain()
        else:
            ordered = found.order_by(*search._ordering(search.BY_PUBLISHED))
            plan = ordered[: search.PAGE_SIZE + 1].explain()
        used = [name for name in ("article_search_key_trgm", "article_newest") if name in plan]
        record(f"EXPLAIN, {kind} word {word}: index used", " + ".join(used) or "none", "")
        print(plan, file=sys.stderr)


def main() -> None:
    print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}", file=sys.stderr)
    call_command("migrate", verbosity=0)
    if not Corpus.objects.filter(name=CORPUS).exists():
        start = time.perf_counter()
        generate()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        record("generate (bulk insert, search keys)", time.perf_counter() - start, "s")
    corpus = Corpus.objects.get(name=CORPUS)
    record("articles", f"{corpus.articles.count():,}", "")
    record(
        "layers / spans / events",
        f"{Layer.objects.filter(article__corpus=corpus).count():,}"
        f" / {Span.objects.filter(layer__article__corpus=corpus).count():,}"
        f" / {Event.objects.filter(layer__article__corpus=corpus).count():,}",
        "",
    )
    if os.environ.get("BENCH_GENERATE_ONLY"):
        return
    setup_test_environment()  # the test client's host, and the page context kept
    measure()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    width = max(len(r[0]) for r in rows)
    print(f"\nSearch on {connection.vendor} — {load}\n")
    print(f"| {'measure'.ljust(width)} | value | unit |")
    print(f"| {'-' * width} | ---: | --- |")
    for what, value, unit in rows:
        print(f"| {what.ljust(width)} | {value} | {unit} |")


if __name__ == "__main__":
    main()
