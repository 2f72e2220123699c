"""Incidents in a real browser: reports approved in two articles become a suggestion through
the real task, and an editor decides it from the keyboard (y, n, u) with no error in the page."""

import os
from datetime import date
from pathlib import Path

import pytest

from annotations import workflow
from annotations.models import (
    Article,
    Event,
    Evidence,
    Incident,
    IncidentCandidate,
    Layer,
    Place,
)

from .conftest import BROWSER_MARKS, make_user
from .test_browser import wait_until

pytestmark = BROWSER_MARKS
SHOTS = os.environ.get("INCIDENT_SHOTS")  # a folder: screenshots for a person to look at
STRIKE = ("Explosions/Remote violence", "Air/drone strike")
TEXTS = {
    "binnish": "قال ناشطون إن طائرات حربية قصفت بلدة بنش صباح الأحد، وقتل ثلاثة مدنيين.",
    "idlib": "أفاد مراسلنا بأن غارة جوية استهدفت سوقا في مدينة إدلب وأوقعت قتلى.",
}


def town(name: str, gid: int, lat: float, lon: float) -> Place:
    return Place.objects.create(
        geonameid=gid, name=name, latitude=lat, longitude=lon, country_code="SY",
        admin1_code="12", admin2="Idlib",
    )  # fmt: skip


def coded(corpus, title, where: str, place, day, editor, *, annotator=None, fatalities=None):
    """An article whose event is approved the way editors approve: gold, or an annotator's
    submitted layer; the approval queues the real task."""
    body = f"{TEXTS[where]} ({title})"
    article = Article.objects.create(corpus=corpus, title=title, body=body, source=title)
    if annotator:
        layer = Layer.objects.create(
            article=article, kind=Layer.ANNOTATOR, annotator=annotator, state=Layer.SUBMITTED
        )
    else:
        layer = Layer.objects.create(article=article, kind=Layer.GOLD, state=Layer.IN_PROGRESS)
    event = Event.objects.create(
        layer=layer, event_type=STRIKE[0], sub_event_type=STRIKE[1], event_date=day,
        time_precision=1, place=place, geo_precision=1, fatalities=fatalities,
    )  # fmt: skip
    trigger = body.index("قصفت" if where == "binnish" else "غارة جوية")
    Evidence.objects.create(event=event, field="event_type", start=trigger, end=trigger + 4)
    if annotator:
        workflow.approve(layer, editor)
    else:
        workflow.approve_gold(layer, editor)
    return event


@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_an_editor_links_rejects_and_undoes_from_the_keyboard(signed_in, corpus, locale):
    editor = make_user(corpus, "edna", "editor")
    alice = make_user(corpus, "alia", "annotator")
    binnish = town("Binnish", 171451, 35.95664, 36.7138)
    idlib = town("Idlib", 169389, 35.93062, 36.63393)
    day = date(2024, 3, 10)
    a = coded(corpus, "وكالة أ", "binnish", binnish, day, editor, fatalities=3)
    b = coded(corpus, "وكالة ب", "binnish", binnish, day, editor, annotator=alice, fatalities=4)
    c = coded(corpus, "وكالة ج", "idlib", idlib, date(2024, 3, 20), editor)
    d = coded(corpus, "وكالة د", "idlib", idlib, date(2024, 3, 21), editor)
    assert IncidentCandidate.objects.filter(decision="pending").count() == 2  # a~b, c~d

    page = signed_in(editor, "pw-edna", locale=locale, viewport={"width": 1400, "height": 900})
    page.goto(f"{page.base_url}/incidents/")
    assert page.locator(".report-text mark").count() == 2
    assert page.locator(".report-text p[dir=rtl][lang=ar]").count() == 2
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/incidents-queue-{locale}.png", full_page=True)

    first = page.locator(".match").get_attribute("data-candidate")
    page.keyboard.press("y")
    wait_until(page, f"document.querySelector('.match')?.dataset.candidate !== '{first}'")
    linked = IncidentCandidate.objects.get(pk=first)
    assert linked.decision == "linked"
    incident = Incident.objects.get()
    pairs = {frozenset((a.pk, b.pk)), frozenset((c.pk, d.pk))}
    assert frozenset(incident.events.values_list("pk", flat=True)) in pairs

    second = page.locator(".match").get_attribute("data-candidate")
    page.keyboard.press("n")
    wait_until(page, f"document.querySelector('#undo-button')?.dataset.last === '{second}'")
    assert IncidentCandidate.objects.get(pk=second).decision == "rejected"

    page.keyboard.press("u")  # undoes the last decision: the rejection
    shown = "document.querySelector('.match')?.dataset"
    wait_until(page, f"{shown}.candidate === '{second}' && {shown}.decision === 'pending'")
    assert IncidentCandidate.objects.get(pk=second).decision == "pending"
    assert IncidentCandidate.objects.get(pk=first).decision == "linked"
    assert page.locator(".match").get_attribute("data-decision") == "pending"

    page.goto(f"{page.base_url}/incidents/{incident.pk}/")
    assert page.locator("#field-fatalities").count() == 1
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/incidents-detail-{locale}.png", full_page=True)
        page.goto(f"{page.base_url}/incidents/list/")
        page.screenshot(path=f"{SHOTS}/incidents-list-{locale}.png", full_page=True)


def test_two_reports_linked_with_y_export_as_one_row_with_both_sources(signed_in, corpus):
    """The issue's end to end: an editor links two outlets' reports with `y` on the queue,
    then downloads the incident-level ACLED CSV from the export page: one row, two sources."""
    import csv
    import io

    editor = make_user(corpus, "edna", "editor")
    binnish = town("Binnish", 171451, 35.95664, 36.7138)
    a = coded(corpus, "وكالة أ", "binnish", binnish, date(2024, 3, 10), editor, fatalities=3)
    b = coded(corpus, "وكالة ب", "binnish", binnish, date(2024, 3, 11), editor, fatalities=5)
    page = signed_in(editor, "pw-edna", viewport={"width": 1400, "height": 900})
    page.goto(f"{page.base_url}/incidents/")
    page.keyboard.press("y")
    wait_until(page, "document.querySelector('#undo-button')?.dataset.last")
    assert set(Incident.objects.get().events.values_list("pk", flat=True)) == {a.pk, b.pk}

    page.goto(f"{page.base_url}/export/")
    page.select_option("#id_corpus", str(corpus.pk))
    page.select_option("#id_format", "acled")
    page.select_option("#id_level", "incident")
    with page.expect_download() as download:
        page.locator("form.card button[type=submit]").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == 1
    (row,) = rows
    assert row["source"] == "وكالة أ; وكالة ب"
    assert (row["fatalities"], row["fatalities_low"], row["fatalities_high"]) == ("3", "3", "5")
    assert f"article {a.layer.article_id} event {a.pk}" in row["notes"]
    assert f"article {b.layer.article_id} event {b.pk}" in row["notes"]


@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_an_editor_takes_one_report_out_of_an_incident(signed_in, corpus, locale):
    """Three outlets linked in turn; the middle one was wrong. Its button, once confirmed,
    takes it out alone: the incident keeps the other two, and its page says what happened."""
    from annotations import incidents

    editor = make_user(corpus, "edna", "editor")
    binnish = town("Binnish", 171451, 35.95664, 36.7138)
    day = date(2024, 3, 10)
    a, b, c = (
        coded(corpus, f"وكالة {n}", "binnish", binnish, day, editor, fatalities=f)
        for n, f in (("أ", 3), ("ب", 9), ("ج", 4))
    )
    incident = incidents.link(IncidentCandidate.objects.get(event_a=a, event_b=b), editor)
    incidents.link(IncidentCandidate.objects.get(event_a=b, event_b=c), editor)

    page = signed_in(editor, "pw-edna", locale=locale, viewport={"width": 1400, "height": 900})
    page.goto(f"{page.base_url}/incidents/{incident.pk}/")
    assert page.locator("form.take-out").count() == 3
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.locator(f"form.take-out:has(input[name=event][value='{b.pk}']) button").click()
    wait_until(page, "document.querySelectorAll('#incident form.take-out').length === 2")
    assert len(dialogs) == 1 and page.locator("#incident .message.success").count() == 1
    assert set(incident.events.values_list("pk", flat=True)) == {a.pk, c.pk}
    assert IncidentCandidate.objects.get(event_a=a, event_b=b).decision == "rejected"
    fatalities = page.locator("#field-fatalities td").first.inner_text()
    assert "9" not in fatalities and "3" in fatalities.translate(
        str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
    )
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/incident-taken-out-{locale}.png", full_page=True)
