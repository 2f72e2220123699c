"""Hardening: spreadsheet-safe CSV, failed-login lockout, password rules, the
Content-Security-Policy, editors in the admin; in a real browser, a place name that is
HTML stays text and no page breaks the policy."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from annotations.exports import Selection, stream
from annotations.exports.acled import spreadsheet_cell
from annotations.models import Actor, Article, Corpus, Event, Layer, Membership, Place
from annotations.taggers import pretag

from .conftest import BODY, CHROMIUM, add_place, make_user
from .test_browser import wait_until

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PAYLOAD = "<img src=x onerror=alert(1)>"


# CSV formula injection -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("غارة على الرقة", "غارة على الرقة"),
        ("a=b", "a=b"),
        (-3.5, -3.5),
        (-2, -2),
        (None, ""),
    ],
)
def test_a_cell_never_starts_a_formula_and_numbers_stay_numbers(value, written):
    assert spreadsheet_cell(value) == written


def test_the_acled_csv_neutralises_formulas_in_user_typed_text(corpus, article):
    place = Place.objects.create(
        name="=cmd|' /C calc'!A0",
        admin1="@SUM(1+1)",
        country_code="SY",
        latitude=35.95,
        longitude=-3.5,
        source="custom",
    )
    actor = Actor.objects.create(name="+Actor", inter_code=1)
    gold = Layer.objects.create(article=article, kind=Layer.GOLD, state=Layer.APPROVED)
    Event.objects.create(
        layer=gold,
        event_type="Battles",
        sub_event_type="Armed clash",
        actor1=actor,
        place=place,
        notes='=HYPERLINK("http://evil.example","x")',
        source="-1+2",
    )
    text = b"".join(stream(Selection(corpus), "acled")).decode()
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["notes"] == '\'=HYPERLINK("http://evil.example","x")'
    assert (row["source"], row["actor1"]) == ("'-1+2", "'+Actor")
    assert (row["location"], row["admin1"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1+1)")
    assert (row["longitude"], row["latitude"]) == ("-3.5", "35.95")
    # The GeoJSON keeps the text as typed: no spreadsheet reads it.
    geojson = b"".join(stream(Selection(corpus), "geojson")).decode()
    assert '"notes":"=HYPERLINK' in geojson.replace(" ", "")


# Failed logins -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Failed logins hash every password they try: keep the lockout tests quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fail(client: Client, url: str, username: str, times: int) -> list[int]:
    data = {"username": username, "password": "wrong-password"}
    return [client.post(url, data).status_code for _ in range(times)]


def logs_in(client: Client, url: str, username: str, password: str) -> bool:
    response = client.post(url, {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_five_failed_logins_lock_the_username_from_that_address(url, alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert fail(client, url, "alice", 5) == [200, 200, 200, 200, 429]  # the form, then locked
    response = client.post(url, {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert "Too many failed logins" in response.content.decode()
    # Another address still gets in, and so does another user from the locked address.
    assert logs_in(Client(REMOTE_ADDR="198.51.100.2"), "/accounts/login/", "alice", "pw-alice")
    make_user(None, "bob", None)
    assert logs_in(Client(REMOTE_ADDR="203.0.113.7"), "/accounts/login/", "bob", "pw-bob")


def test_the_lock_lifts_after_the_cool_off(alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert fail(client, "/accounts/login/", "alice", 5)[-1] == 429
    assert not logs_in(client, "/accounts/login/", "alice", "pw-alice")
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=16)
        attempt.save()
    assert logs_in(client, "/accounts/login/", "alice", "pw-alice")


def test_a_success_resets_the_count(alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert fail(client, "/accounts/login/", "alice", 4) == [200] * 4
    assert logs_in(client, "/accounts/login/", "alice", "pw-alice")
    client.logout()
    assert fail(client, "/accounts/login/", "alice", 4) == [200] * 4
    assert logs_in(client, "/accounts/login/", "alice", "pw-alice")


@pytest.mark.parametrize(
    "password", ["12345678", "password", "1234567890", "qwertyuiop", "short-1"]
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_passes():
    validate_password("raqqa-river-at-dawn")


# Content-Security-Policy and HTTPS ------------------------------------------------------


def test_pages_carry_a_policy_without_inline_script_or_style(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in policy and "script-src" not in policy and "style-src" not in policy


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=|<style", re.IGNORECASE)


def test_templates_have_no_inline_script_style_or_handler():
    # json_script's <script type="application/json"> is data, not code, and comes from a filter.
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in TEMPLATES.rglob("*.html")
        for match in INLINE.finditer(path.read_text())
    ]
    assert found == []


def test_https_settings_come_from_the_environment(tmp_path):
    from .test_production import run_manage

    env = {
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "600",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "NEWSDESK_MAP_TILES": "https://{s}.tile.example.org/{z}/{x}/{y}.png",
    }
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, "
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )
    result = run_manage(tmp_path, env, "shell", "-c", code)
    assert result.stdout.splitlines()[-1] == (
        "True 600 ('HTTP_X_FORWARDED_PROTO', 'https') [\"'self'\", 'https://*.tile.example.org']"
    )
    laptop = run_manage(tmp_path, {}, "shell", "-c", code)
    assert laptop.stdout.splitlines()[-1] == "False 0 None [\"'self'\"]"


# Editors in the admin ----------------------------------------------------------------------


def test_editors_change_actors_and_places_in_the_admin_and_nothing_else(client, editor, places):
    actor = Actor.objects.create(name="Military Forces of Syria", inter_code=1)
    client.force_login(editor)
    for url in [
        "/admin/",
        "/admin/annotations/actor/",
        "/admin/annotations/actor/add/",
        f"/admin/annotations/actor/{actor.pk}/change/",
        "/admin/annotations/place/",
        f"/admin/annotations/place/{places['raqqa'].pk}/change/",
    ]:
        assert client.get(url).status_code == 200, url
    for url in [
        "/admin/annotations/corpus/",
        "/admin/annotations/taggermodel/",
        "/admin/auth/user/",
        f"/admin/annotations/place/{places['raqqa'].pk}/delete/",
    ]:
        assert client.get(url).status_code == 403, url
    response = client.post(
        f"/admin/annotations/actor/{actor.pk}/change/",
        {
            "name": "Military Forces of Syria (2000-)",
            "name_ar": "الجيش",
            "inter_code": "1",
            "aliases-TOTAL_FORMS": "1",
            "aliases-INITIAL_FORMS": "0",
            "aliases-0-alias": "قوات النظام",
        },
    )
    assert response.status_code == 302
    assert actor.aliases.get().alias == "قوات النظام"


def test_an_annotator_is_not_let_into_the_admin(client, alice):
    client.force_login(alice)
    assert client.get("/admin/annotations/actor/").status_code == 302  # to the admin login


# In a browser ------------------------------------------------------------------------------

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM), reason="needs /usr/bin/chromium (make test installs it)"
    ),
]


def in_browser(test):
    """A real-browser test: Chromium against the live server, with committed data."""
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


# Playwright's sync API runs an event loop in this thread; the ORM calls here are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def watched(browser, live_server):
    """A logged-out page that records dialogs, console errors, script errors and CSP
    violations in page.problems."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(20000)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(console_line(m)))
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e.stack}"))

    def on_dialog(dialog):
        page.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.base = live_server.url
    yield page
    context.close()


def console_line(message) -> str:
    return f"{message.text} ({message.location.get('url')})"


def log_in(page, username: str) -> None:
    page.goto(f"{page.base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-" + username)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def visit(page, path: str) -> None:
    response = page.goto(f"{page.base}{path}")
    assert response.ok, f"{path}: {response.status}"
    check(page, path)


def check(page, where: str) -> None:
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__violations")
    assert (page.problems, violations) == ([], []), where


MAP_DRAWN = "document.querySelectorAll('#place-map path').length > 50"


# A mouseover on each marker opens its tooltip, as a hover does.
HOVER_MARKERS = """() => {
  const pins = "#place-map .candidate-pin, #place-map path[stroke='#666']";
  const markers = document.querySelectorAll(pins);
  for (const m of markers) m.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
  return markers.length;
}"""


@in_browser
@pytest.mark.parametrize("name", [PAYLOAD, "<script>alert(1)</script>"])
def test_a_place_named_like_html_shows_as_text_on_the_map(watched, corpus, places, name):
    page = watched
    alice = make_user(corpus, "alice", Membership.ANNOTATOR)
    article = Article.objects.create(corpus=corpus, title="غارات على الرقة", body=BODY)
    article.assignments.create(user=alice)
    pretag(article)
    add_place(name, ["حلب"], None, population=10, latitude=36.2, longitude=37.2)  # a candidate
    log_in(page, "alice")
    page.goto(f"{page.base}{article.get_absolute_url()}")
    # Create a custom place with that name through the form, linked to الرقة.
    page.locator("#doc mark[data-label=LOC]", has_text="الرقة").click()
    page.locator("#span-panel h2 q", has_text="الرقة").wait_for()
    page.locator(".custom-place summary").click()
    page.fill(".custom-place input[name=name_en]", name)
    page.fill(".custom-place input[name=country]", "SY")
    wait_until(page, MAP_DRAWN)
    page.locator("#place-map").click(position={"x": 100, "y": 100})
    page.locator(".custom-place button[type=submit]").click()
    page.locator("#messages .success").wait_for()
    assert Place.objects.filter(name=name, source="custom").exists()
    # Another location's map shows it as a linked place, and the other one as a candidate.
    page.locator("#doc mark[data-label=LOC]", has_text="حلب").click()
    page.locator("#span-panel h2 q", has_text="حلب").wait_for()
    wait_until(page, MAP_DRAWN)
    assert page.evaluate(HOVER_MARKERS) >= 2
    tooltips = page.locator("#place-map .leaflet-tooltip")
    tooltips.first.wait_for()
    assert name in tooltips.all_text_contents()
    assert (
        page.locator("#place-map .leaflet-tooltip img, #place-map .leaflet-tooltip script").count()
        == 0
    )
    page.wait_for_timeout(300)  # an injected <img> would have failed to load by now
    check(page, "article with the place on its map")


@in_browser
def test_every_page_keeps_to_the_policy(watched, corpus, places):
    page = watched
    edith = make_user(corpus, "edith", Membership.EDITOR)
    edith.is_staff = True
    edith.save()
    alice = make_user(corpus, "alice", Membership.ANNOTATOR)
    other = Corpus.objects.create(name="Other")
    Membership.objects.create(corpus=other, user=edith, role=Membership.EDITOR)
    article = Article.objects.create(corpus=corpus, title="غارات على الرقة", body=BODY)
    article.assignments.create(user=alice)
    pretag(article)
    bob = make_user(corpus, "bob", Membership.ANNOTATOR)
    article.assignments.create(user=bob)
    layer = Layer.objects.create(
        article=article, kind=Layer.ANNOTATOR, annotator=bob, state=Layer.SUBMITTED
    )
    actor = Actor.objects.create(name="Military Forces of Syria", inter_code=1)

    visit(page, "/accounts/login/")
    log_in(page, "edith")
    for path in [
        "/articles/",
        article.get_absolute_url(),
        f"/articles/{article.pk}/history/",
        f"/articles/{article.pk}/adjudicate/",
        f"/layers/{layer.pk}/",
        "/review/",
        f"/agreement/?corpus={corpus.pk}",
        "/export/",
        "/imports/",
        "/tagger/",
        "/tagger/corrections/",
        "/admin/",
        "/admin/annotations/actor/",
        f"/admin/annotations/actor/{actor.pk}/change/",
        f"/admin/annotations/place/{places['raqqa'].pk}/change/",
    ]:
        visit(page, path)
    # The corpus menu sends its form on change (a data attribute, not an inline handler).
    page.goto(f"{page.base}/review/")
    with page.expect_navigation():
        page.select_option("select[name=corpus]", str(other.pk))
    assert f"corpus={other.pk}" in page.url
    check(page, "review, corpus changed")
    # The annotator's page with its map and event panel, where the most script runs.
    page.context.clear_cookies()
    log_in(page, "alice")
    visit(page, article.get_absolute_url())
    page.locator("#doc mark[data-label=LOC]", has_text="الرقة").click()
    wait_until(page, MAP_DRAWN)
    check(page, "span panel with its map")
