"""A small cast for every test: an annotator, a teammate, an editor and a stranger."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from hypothesis import settings as hypothesis_settings

from annotations import gazetteer
from annotations.gazetteer import invalidate_index
from annotations.models import (
    Actor,
    Article,
    Assignment,
    Corpus,
    Event,
    Layer,
    Membership,
    Place,
    PlaceName,
    Span,
)
from annotations.text import match_key

# The property tests run beside both databases' browser suites on two cores. A wall-clock
# deadline there fails on a stalled scheduler, not on slow code (speed is measured in
# bench/), and random examples would make CI fail on a different draw than the one a
# developer ran: every run draws the same examples.
hypothesis_settings.register_profile("suite", deadline=None, derandomize=True)
hypothesis_settings.load_profile("suite")

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"

BODY = (
    "قصفت طائرات حربية مواقع في مدينة الرقة صباح اليوم.\n"
    "وقال مصدر محلي إن الاشتباكات امتدت إلى ومسكنة وريف حلب الشرقي، وقتل ٣ مدنيين."
)


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    # Tasks run in-process in tests; one test drives the real db_worker on purpose.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "nlp"],
        }
    }
    # Assertions read English messages; one test checks the Arabic interface.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    # Uploads and trained models land in folders of the test's own, never in the real var/.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    settings.VAR_DIR = tmp_path_factory.mktemp("var")


@pytest.fixture(autouse=True)
def fresh_name_index():
    # Each test's places are rolled back after it; the in-memory index must not outlive them
    # (rolled-back ids repeat, so two tests' names can share the index's signature).
    invalidate_index()
    gazetteer._index = None


@pytest.fixture
def corpus(db) -> Corpus:
    return Corpus.objects.create(name="Reports")


def make_user(corpus: Corpus | None, name: str, role: str | None) -> User:
    user = User.objects.create_user(name, password="pw-" + name)
    if corpus and role:
        Membership.objects.create(corpus=corpus, user=user, role=role)
    return user


@pytest.fixture
def alice(corpus) -> User:
    return make_user(corpus, "alice", Membership.ANNOTATOR)


@pytest.fixture
def bob(corpus) -> User:
    return make_user(corpus, "bob", Membership.ANNOTATOR)


@pytest.fixture
def editor(corpus) -> User:
    user = make_user(corpus, "edith", Membership.EDITOR)
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def stranger(db) -> User:
    return make_user(None, "mallory", None)


@pytest.fixture
def article(corpus, alice, bob) -> Article:
    """An article assigned to both annotators (the corpus asks for two)."""
    corpus.annotators_per_article = 2
    corpus.save()
    made = Article.objects.create(corpus=corpus, title="غارات على الرقة", body=BODY)
    for user in (alice, bob):
        Assignment.objects.create(article=made, user=user)
    return made


def add_place(name_en: str, names_ar: list[str], geonameid: int, country: str = "SY", **kw):
    place = Place.objects.create(
        geonameid=geonameid, name=name_en, country_code=country, feature_class="P", **kw
    )
    for name in names_ar:
        PlaceName.objects.create(place=place, name=name, lang="ar", key=match_key(name))
    return place


@pytest.fixture
def places(db) -> dict[str, Place]:
    return {
        "raqqa": add_place("Ar Raqqah", ["الرقة"], 172955, population=531952),
        "maskanah": add_place("Maskanah", ["مسكنة"], 166365, population=23000),
        "aleppo": add_place("Aleppo", ["حلب"], 170063, population=1602264),
    }


def machine_layer(article: Article) -> Layer:
    return Layer.objects.get(article=article, kind=Layer.MACHINE)


CHROMIUM = "/usr/bin/chromium"

# Every browser test: Chromium against the live server, with committed data.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM), reason="needs /usr/bin/chromium (make test installs it)"
    ),
]
# Playwright's sync API runs an event loop in the test's thread; the ORM calls in the browser
# tests are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, driven by Playwright; shared by the browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class ConsoleErrors(list):
    """A page's console errors and uncaught exceptions; a test that ends with any fails."""

    # A refusal (409 stale, 422 invalid) is an answer the page shows, not an error of the page;
    # Chromium still logs its status line.
    REFUSED = re.compile(r"Failed to load resource: the server responded with a status of 4(09|22)")

    def watch(self, page) -> None:
        page.on("console", self.console)
        page.on("pageerror", lambda e: self.append(f"pageerror: {e}"))

    def console(self, message) -> None:
        if message.type == "error" and not self.REFUSED.match(message.text):
            self.append(f"console: {message.text}")


@pytest.fixture
def signed_in(browser, live_server):
    """A factory of logged-in pages: signed_in(user, password, locale="en-US", viewport=None).

    Every page it makes is watched; a console error or an uncaught exception in any of them
    fails the test at teardown."""
    from django.urls import get_resolver

    # Importing every view module takes seconds on a loaded machine: do it before the first
    # page's timeout starts counting.
    assert get_resolver().url_patterns
    contexts = []
    errors = ConsoleErrors()

    def open_page(user, password: str, locale: str = "en-US", viewport: dict | None = None):
        options = {"locale": locale}
        if viewport:
            options["viewport"] = viewport
        context = browser.new_context(**options)
        context.set_default_timeout(20000)
        contexts.append(context)
        page = context.new_page()
        errors.watch(page)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.base_url = live_server.url
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, "errors in the page:\n" + "\n".join(errors)


SHELLING = ("Explosions/Remote violence", "Shelling/artillery/missile attack")


@pytest.fixture
def shared(corpus, alice, bob):
    """Blind annotation, for the search and the article list: an article alice and bob both
    annotate: bob's layer (submitted) and gold (approved)
    code actors, a place and event types that alice's own layer (in progress) does not."""
    article = Article.objects.create(corpus=corpus, title="أ", body="قصف على مسكنة")
    for user in (alice, bob):
        article.assignments.create(user=user)
    maskanah = add_place("Maskanah", ["مسكنة"], 166365)
    theirs = Actor.objects.create(name="Islamic State", inter_code=2)
    golds = Actor.objects.create(name="Military Forces of Syria", inter_code=1)
    Layer.objects.create(
        article=article, kind=Layer.ANNOTATOR, annotator=alice, state=Layer.IN_PROGRESS
    )
    bobs = Layer.objects.create(
        article=article, kind=Layer.ANNOTATOR, annotator=bob, state=Layer.SUBMITTED
    )
    Event.objects.create(
        layer=bobs, event_type="Battles", sub_event_type="Armed clash", actor1=theirs
    )
    start = article.body.index("مسكنة")
    Span.objects.create(layer=bobs, start=start, end=start + 5, label="LOC", place=maskanah)
    gold = Layer.objects.create(article=article, kind=Layer.GOLD, state=Layer.APPROVED)
    event_type, sub_type = SHELLING
    Event.objects.create(layer=gold, event_type=event_type, sub_event_type=sub_type, actor2=golds)
    return {"article": article, "actor": theirs, "gold_actor": golds, "place": maskanah}
