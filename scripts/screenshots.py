"""Screenshots of the main pages, Arabic and English, desktop and phone: `make screenshots`.

It builds a throw-away SQLite database in a temporary folder (the region's towns of 5,000+,
the actor list, the sample reports pre-tagged, the demo users, two annotators' submitted
layers), serves it with `runserver` on a free port, and drives Debian's Chromium with
Playwright. The pictures go to docs/screenshots/<page>-<lang>-<desktop|phone>.png. A console
error or an uncaught exception in any page makes it exit non-zero, after it has taken the
rest, and so does a page that does not show what it should (a login form, a 404).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SAMPLES = ROOT / "fixtures" / "samples"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORTS = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-US", "ar": "ar"}
# manage.py demo_users's accounts
PASSWORDS = {
    "annotator": "annotator-demo",
    "annotator2": "annotator2-demo",
    "editor": "editor-demo",
}


@dataclass
class Site:
    """What the pages are about: the long article, the adjudicated one, the import's page."""

    base: str
    long_article: int
    adjudicated: int
    import_url: str = ""
    errors: list[str] = field(default_factory=list)
    shots: list[tuple[str, str, str, Path]] = field(default_factory=list)


def environment(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # SQLite, never yours
    env.update(
        NEWSDESK_VAR_DIR=str(work),
        DJANGO_SETTINGS_MODULE="newsdesk.settings",
        # Pre-tagging and uploads run in the process that asks for them: no worker needed.
        TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
        DEBUG="true",
        LOG_LEVEL="WARNING",
        # Playwright's sync API runs an event loop in this thread; the ORM calls are safe.
        DJANGO_ALLOW_ASYNC_UNSAFE="true",
    )
    return env


def prepare() -> tuple[int, int]:
    """Load the data; return the long article's id and the adjudicated article's id."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from annotations import spans, workflow
    from annotations.models import Article

    started = time.perf_counter()
    quiet = {"verbosity": 0, "stdout": io.StringIO()}
    call_command("migrate", interactive=False, **quiet)
    # The region's towns of 5,000+ people load in seconds; the whole default takes half a minute.
    call_command("load_gazetteer", "--no-world", "--min-population", "5000", **quiet)
    call_command("load_actors", **quiet)
    call_command("ingest", str(SAMPLES), "--corpus", "Samples", **quiet)  # pre-tags too
    call_command("demo_users", "--corpus", "Samples", **quiet)
    articles = list(Article.objects.filter(corpus__name="Samples").order_by("pk"))
    long_article = max(articles, key=lambda a: len(a.body.split()))
    annotator, second, editor = (User.objects.get(username=n) for n in PASSWORDS)
    # Two annotators hand in three articles, the second one disagreeing a little, so that
    # review, adjudication, agreement and history have something to show.
    others = [a for a in articles if a.pk != long_article.pk][:3]
    for n, article in enumerate(others):
        for user in (annotator, second):
            layer = spans.annotator_layer(article, user)
            machine = list(layer.spans.order_by("start"))
            if user == second and machine:
                relabelled = machine[len(machine) // 2]
                new = "ORG" if relabelled.label != "ORG" else "PERS"
                spans.relabel(relabelled, user, new, layer.version)
                layer.refresh_from_db()
                if len(machine) > 2:
                    spans.delete(machine[-1], user, layer.version)
                    layer.refresh_from_db()
            workflow.submit(layer, user)
        if n == 2:
            workflow.approve(spans.own_layer(article, annotator), editor)
            second_report(article, editor)
    print(f"data ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    from django.db import connections

    connections.close_all()
    return long_article.pk, others[0].pk


# Two more outlets' reports of the bus bombing an annotator coded, with figures that disagree.
SECOND_REPORT = (
    "دير الزور – وكالة محلية\n\n"
    "قُتل خمسة عمال على الأقل وجُرح آخرون صباح الثلاثاء بانفجار عبوة ناسفة استهدفت حافلتهم "
    "في ريف دير الزور الشرقي، بحسب ناشطين محليين."
)
THIRD_REPORT = (
    "دير الزور – موقع إخباري\n\n"
    "ارتفعت حصيلة قتلى انفجار العبوة الناسفة في ريف دير الزور الشرقي إلى سبعة عمال، "
    "بعد وفاة اثنين من الجرحى متأثرين بإصاباتهم، وفق مصدر طبي."
)
REPORTS = [
    (
        SECOND_REPORT,
        "وكالة محلية",
        "مقتل عمال نفط بانفجار عبوة في ريف دير الزور",
        5,
        [
            ("fatalities", "قُتل خمسة عمال"),
            ("event_date", "صباح الثلاثاء"),
            ("event_type", "بانفجار عبوة ناسفة"),
            ("location", "ريف دير الزور الشرقي"),
        ],
    ),
    (
        THIRD_REPORT,
        "موقع إخباري",
        "ارتفاع حصيلة انفجار ريف دير الزور إلى سبعة قتلى",
        7,
        [
            ("fatalities", "إلى سبعة عمال"),
            ("event_type", "انفجار العبوة الناسفة"),
            ("location", "ريف دير الزور الشرقي"),
        ],
    ),
]


def second_report(told, editor) -> None:
    """Two other outlets' reports of the bus bombing an annotator coded (and an editor
    approved), coded in gold. The editor links those two into an incident (its page has
    something to show) and the queue keeps a suggested pair with the annotator's report."""
    from annotations import incidents, workflow
    from annotations.models import Article, Event, Evidence, IncidentCandidate, Layer

    original = Event.objects.filter(layer__article=told, fatalities__isnull=False).first()
    if original is None:
        return
    told_again = []
    for body, source, title, fatalities, cited in REPORTS:
        article = Article.objects.create(
            corpus=told.corpus,
            title=title,
            body=body,
            source=source,
            published_at=told.published_at,
        )
        gold = Layer.objects.create(article=article, kind=Layer.GOLD, state=Layer.IN_PROGRESS)
        event = Event.objects.create(
            layer=gold,
            event_type=original.event_type,
            sub_event_type=original.sub_event_type,
            event_date=original.event_date,
            time_precision=original.time_precision,
            place=original.place,
            geo_precision=original.geo_precision,
            fatalities=fatalities,
            source=source,
        )
        for name, words in cited:
            start = body.index(words)
            Evidence.objects.create(event=event, field=name, start=start, end=start + len(words))
        workflow.approve_gold(gold, editor)  # finds suggested pairs (the task runs in-process)
        told_again.append(event)
    a, b = sorted(e.pk for e in told_again)
    pair = IncidentCandidate.objects.filter(event_a_id=a, event_b_id=b).first()
    if pair is not None:
        incidents.link(pair, editor)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(env: dict[str, str]) -> Iterator[str]:
    """`runserver` in a subprocess on a free port; stopped (by its pid) however we leave."""
    port = free_port()
    log = open(Path(env["NEWSDESK_VAR_DIR"]) / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    print(Path(log.name).read_text()[-3000:], file=sys.stderr)
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# Where the window is on the page, in page coordinates (scrollX is 0 or negative in RTL).
VIEWPORT_BOX = """(() => {
  const root = document.documentElement;
  const rtl = getComputedStyle(root).direction === "rtl";
  const left = (rtl ? root.scrollWidth - root.clientWidth : 0) + window.scrollX;
  return {
    rtl,
    overflow: root.scrollWidth > root.clientWidth,
    clip: {x: left, y: window.scrollY, width: root.clientWidth, height: window.innerHeight},
  };
})()"""


def wait_until(page, expression: str, timeout: float = 10) -> None:
    """Poll a JavaScript expression (page.wait_for_function would eval, which the CSP refuses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {expression}")
        page.wait_for_timeout(50)


class Shooter:
    """One language and one viewport: a context per user, each page watched for errors."""

    def __init__(self, browser, site: Site, lang: str, device: str) -> None:
        self.browser, self.site, self.lang, self.device = browser, site, lang, device
        self.contexts: list = []

    def page(self, user: str | None = None):
        context = self.browser.new_context(
            locale=LOCALES[self.lang], viewport=VIEWPORTS[self.device]
        )
        context.set_default_timeout(15000)
        self.contexts.append(context)
        page = context.new_page()
        where = f"{self.lang}/{self.device}"
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and self.site.errors.append(f"{where} {page.url}: console: {m.text}")
            ),
        )
        page.on(
            "pageerror", lambda e: self.site.errors.append(f"{where} {page.url}: pageerror: {e}")
        )
        if user:
            page.goto(f"{self.site.base}/accounts/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORDS[user])
            page.click("button[type=submit]")
            page.wait_for_load_state()
            if "/accounts/login/" in page.url:
                raise RuntimeError(f"{user} could not log in")
        return page

    def visit(self, page, path: str) -> None:
        response = page.goto(f"{self.site.base}{path}")
        page.wait_for_load_state("networkidle")
        status = response.status if response else 0
        sent_to_login = "/accounts/login/" in page.url and "/accounts/login/" not in path
        if status != 200 or sent_to_login:
            self.site.errors.append(f"{self.lang}/{self.device} {path}: {status} at {page.url}")

    def shoot(self, page, name: str, what: str) -> None:
        path = OUT / f"{name}-{self.lang}-{self.device}.png"
        page.wait_for_timeout(150)  # let a swap settle and the map paint
        options = {"path": str(path), "animations": "disabled", "caret": "initial"}
        # A right-to-left page wider than the window starts scrolled to its right edge, and
        # Chromium's capture of the window then comes out blank: take that part of the page.
        box = page.evaluate(VIEWPORT_BOX)
        if box["rtl"] and box["overflow"]:
            options.update(full_page=True, clip=box["clip"])
        page.screenshot(**options)
        self.site.shots.append((name, self.lang, self.device, path))
        if path.stat().st_size < 4096:
            self.site.errors.append(f"{self.lang}/{self.device} {name}: blank screenshot")
        print(f"  {path.relative_to(ROOT)}  {what}", file=sys.stderr)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def annotator_pages(shot: Shooter) -> None:
    site = shot.site
    page = shot.page()
    shot.visit(page, "/accounts/login/")
    shot.shoot(page, "login", "login")
    page = shot.page("annotator")
    shot.visit(page, "/articles/")
    shot.shoot(page, "articles", "article list")
    shot.visit(page, f"/articles/{site.long_article}/")
    page.locator("#doc mark").first.wait_for()
    shot.shoot(page, "annotate", "annotation page with pre-tags")

    # A location with candidates: its panel and the map of them over the country outlines.
    marks = page.locator("#doc mark[data-label=LOC]")
    for i in range(min(marks.count(), 15)):
        marks.nth(i).click()
        page.locator("#span-panel form.relabel").wait_for()
        if page.locator("#candidates [data-candidate]").count():
            break
    wait_until(page, "document.querySelectorAll('#place-map .leaflet-overlay-pane path').length>50")
    page.evaluate("document.getElementById('span-panel').scrollIntoView({block: 'start'})")
    shot.shoot(page, "annotate-place", "annotation page, a location's panel and map")

    # An event with its evidence lit in the text and listed in the panel.
    events = page.locator("#events li[data-evidence]:not([data-evidence='[]']) a")
    if not events.count():
        events = page.locator("#events li a")
    events.first.click()
    page.locator("#event-panel form").first.wait_for()
    page.evaluate(
        "(document.querySelector('#event-panel .evidence') || "
        "document.getElementById('event-panel')).scrollIntoView({block: 'end'})"
    )
    shot.shoot(page, "annotate-event", "annotation page, an event's panel with evidence")
    shot.visit(page, "/search/?q=%D8%AF%D9%8A%D8%B1+%D8%A7%D9%84%D8%B2%D9%88%D8%B1")
    shot.shoot(page, "search", "search: hits in context, filters and pickers")


def editor_pages(shot: Shooter) -> None:
    site = shot.site
    page = shot.page("editor")
    shot.visit(page, "/review/")
    shot.shoot(page, "review", "review: articles, annotators, states")
    shot.visit(page, f"/articles/{site.adjudicated}/")
    shot.shoot(page, "article-editor", "an editor's article page: layer switcher, read-only layers")
    shot.visit(page, f"/articles/{site.adjudicated}/adjudicate/")
    shot.shoot(page, "adjudicate", "adjudication of two annotators' layers")
    shot.visit(page, "/agreement/")
    shot.shoot(page, "agreement", "agreement")
    shot.visit(page, "/events/")
    # The samples have no gold events: the explorer shows the annotator's layers instead.
    with page.expect_navigation():
        page.select_option("#explorer-layers select[name=annotator]", label="annotator")
    wait_until(page, "!!document.querySelector('#event-map[data-ready]')")
    shot.shoot(page, "events", "events explorer: table, clustered map, weekly timeline")
    shot.visit(page, "/export/")
    shot.shoot(page, "export", "export form")
    shot.visit(page, "/incidents/")
    shot.shoot(page, "incidents", "incidents: a suggested pair of reports side by side")
    shot.visit(page, "/incidents/list/")
    page.locator("main table td a").first.click()
    page.wait_for_load_state()
    shot.shoot(page, "incident", "an incident: reconciled fields, their rule, overrides")
    if not site.import_url:
        site.import_url = upload(page, site)
    shot.visit(page, site.import_url)
    shot.shoot(page, "import", "an import's report with a rejected record")
    shot.visit(page, "/tagger/")
    shot.shoot(page, "tagger", "tagger: engines and models")
    shot.visit(page, f"/articles/{site.adjudicated}/history/")
    shot.shoot(page, "history", "an article's history")


def upload(page, site: Site) -> str:
    """Import once (a new report, a sample again, a broken line); every shot shows its page."""
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-upload-"))
    try:
        new = folder / "report.txt"
        new.write_text(
            "اشتباكات في ريف درعا\nاندلعت اشتباكات عنيفة صباح اليوم في ريف درعا الغربي.\n",
            encoding="utf-8",
        )
        broken = folder / "feed.jsonl"
        broken.write_text(
            '{"id": "a1", "title": "غارة", "body": "قصفت طائرات مدينة إدلب."}\n{"id": "a2", \n',
            encoding="utf-8",
        )
        again = sorted(SAMPLES.glob("*.txt"))[0]
        page.goto(f"{site.base}/imports/")
        page.set_input_files("input[type=file]", [str(new), str(broken), str(again)])
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/imports/*/")
        wait_until(page, "!document.querySelector('#import-status[hx-get]')", timeout=30)
        return page.url.removeprefix(site.base)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def capture(site: Site) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for device in VIEWPORTS:
                for lang in LOCALES:
                    shot = Shooter(browser, site, lang, device)
                    try:
                        for pages in (annotator_pages, editor_pages):
                            run_step(pages, shot)
                    finally:
                        shot.close()
        finally:
            browser.close()


def run_step(step: Callable[[Shooter], None], shot: Shooter) -> None:
    try:
        step(shot)
    except Exception as exc:  # one broken page must not hide the others' pictures
        shot.site.errors.append(f"{shot.lang}/{shot.device} {step.__name__}: {exc!r}")


def report(site: Site) -> None:
    names = list(dict.fromkeys(name for name, *_ in site.shots))
    taken = {(n, lang, d): p for n, lang, d, p in site.shots}
    columns = [(lang, d) for d in VIEWPORTS for lang in LOCALES]
    print("\n| page | " + " | ".join(f"{lang} {d}" for lang, d in columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    total = 0
    for name in names:
        cells = []
        for lang, d in columns:
            path = taken.get((name, lang, d))
            size = path.stat().st_size if path else 0
            total += size
            cells.append(f"{size / 1024:,.0f} KiB" if path else "missing")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\n{len(site.shots)} screenshots in {OUT.relative_to(ROOT)}, {total / 2**20:.1f} MiB")


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: `make chromium` installs it", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="newsdesk-shots-"))
    try:
        env = environment(work)
        os.environ.pop("DATABASE_URL", None)
        os.environ.update(env)
        long_article, adjudicated = prepare()
        with server(env) as base:
            site = Site(base=base, long_article=long_article, adjudicated=adjudicated)
            capture(site)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(site)
    if site.errors:
        print(f"\n{len(site.errors)} error(s) in the pages:", file=sys.stderr)
        for error in site.errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
