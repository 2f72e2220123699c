"""What only a browser shows on the editors' pages: the history as sentences, adjudication
options that keep their order in both directions, the export form's error page.

Set SHOTS_DIR to a folder to keep screenshots of each page (English and Arabic).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from annotations import spans
from annotations.models import Article, Layer, Membership

from .conftest import BODY, BROWSER_MARKS, make_user
from .test_adjudication import add_event, add_span

pytestmark = BROWSER_MARKS

LANGUAGES = [("en-US", "ltr"), ("ar", "rtl")]
WIDE = {"width": 1400, "height": 900}


def shot(page, name: str) -> None:
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


# The elements' boxes, in document order: the reading order the test compares with.
BOXES = """(selector) => Array.from(document.querySelectorAll(selector)).map((el) => {
  const r = el.getBoundingClientRect();
  return {text: el.textContent.trim(), top: Math.round(r.top), left: r.left, right: r.right};
})"""


def in_reading_order(boxes: list[dict], direction: str) -> bool:
    """Whether the boxes, taken in document order, run line by line the way the interface
    reads: left to right in English, right to left in Arabic."""
    for a, b in itertools.pairwise(boxes):
        if abs(a["top"] - b["top"]) > 4:  # a new line
            if b["top"] < a["top"]:
                return False
            continue
        if direction == "ltr" and not a["right"] <= b["left"] + 1:
            return False
        if direction == "rtl" and not b["right"] <= a["left"] + 1:
            return False
    return True


@pytest.fixture
def cast(corpus, places):
    alice = make_user(corpus, "alice", "annotator")
    bob = make_user(corpus, "bob", "annotator")
    editor = make_user(corpus, "edith", Membership.EDITOR)
    article = Article.objects.create(corpus=corpus, title="غارات على الرقة", body=BODY)
    for user in (alice, bob):
        article.assignments.create(user=user)
    return alice, bob, editor, article


@pytest.mark.parametrize(("locale", "direction"), LANGUAGES)
def test_the_history_reads_as_sentences(signed_in, cast, places, locale, direction):
    alice, _bob, editor, article = cast
    layer = spans.annotator_layer(article, alice)
    start = article.body.index("الرقة")
    raqqa = spans.add(layer, alice, start, start + 5, "ORG", layer.version)
    spans.relabel(raqqa, alice, "LOC", layer.version)
    spans.link(raqqa, alice, places["raqqa"], layer.version)
    page = signed_in(editor, "pw-edith", locale=locale, viewport=WIDE)
    page.goto(f"{page.base_url}/articles/{article.pk}/history/")
    sentences = page.locator("tr[data-object=span] .sentence")
    assert sentences.count() == 3
    linked = sentences.first  # newest first
    words = linked.inner_text()
    assert "{" not in page.locator("main").inner_text()
    if locale == "en-US":
        assert words == "alice linked «الرقة» (LOC) to Ar Raqqah, Syria — confirmed"
    # Name, Arabic words, label and place keep the order the sentence gives them.
    runs = page.evaluate(BOXES, "tr[data-object=span]:first-child .sentence bdi")
    assert [r["text"] for r in runs] == ["alice", "الرقة", "LOC", "Ar Raqqah, Syria"]
    assert in_reading_order(runs, direction), runs
    assert page.evaluate("document.documentElement.dir") == direction
    # "Show in the text" opens the layer at the paragraph of the change.
    href = page.locator("tr[data-object=span]:first-child .where a").get_attribute("href")
    assert href == f"/layers/{layer.pk}/#para-0"
    shot(page, f"history-{locale}")


@pytest.mark.parametrize(("locale", "direction"), LANGUAGES)
def test_adjudication_options_keep_their_order_in_both_directions(
    signed_in, cast, places, locale, direction
):
    alice, bob, editor, article = cast
    a = Layer.objects.create(article=article, kind="annotator", annotator=alice, state="submitted")
    b = Layer.objects.create(article=article, kind="annotator", annotator=bob, state="submitted")
    add_span(a, "مواقع", "LOC", places["raqqa"])
    add_span(b, "مواقع", "MISC")
    add_span(a, "مسكنة", "LOC", places["maskanah"])
    add_span(b, "مسكنة", "LOC", places["aleppo"])
    add_event(a, 3)
    add_event(b, 2)
    page = signed_in(editor, "pw-edith", locale=locale, viewport=WIDE)
    page.goto(f"{page.base_url}/articles/{article.pk}/adjudicate/")
    first = page.locator("#items li.item").first
    assert first.locator("button").first.inner_text().startswith("1")
    # Alice's answer: her name, the label, the Arabic words, the place, each isolated…
    option = "#items li.item:first-child button[data-n='1']"
    runs = page.evaluate(BOXES, f"{option} bdi")
    assert [r["text"] for r in runs] == ["alice", "LOC", "مواقع", "Ar Raqqah (SY)"]
    arabic = page.locator(f"{option} bdi[dir=rtl][lang=ar]")
    assert arabic.inner_text() == "مواقع"
    # …and shown in reading order, whichever way the interface runs.
    assert in_reading_order(runs, direction), runs
    for button in page.locator("#items button[data-n]:not([data-n='0'])").all():
        assert button.locator("bdi.who").count() == 1
    shot(page, f"adjudicate-{locale}")


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("en-US", "The start date is after the end date."),
        ("ar", "تاريخ البداية بعد تاريخ النهاية."),
    ],
)
def test_an_export_with_dates_the_wrong_way_round_shows_the_form_again(
    signed_in, cast, locale, message
):
    _alice, _bob, editor, _article = cast
    signed = signed_in(editor, "pw-edith", locale=locale, viewport=WIDE)
    # A page of the same session watched by the test itself: Chromium logs the 422 answer
    # as a console error ("Failed to load resource"), the one error expected here.
    page = signed.context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: m.type == "error" and "status of 422" not in m.text and errors.append(m.text),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{signed.base_url}/export/")
    page.fill("input[name=since]", "2024-05-01")
    page.fill("input[name=until]", "2024-01-01")
    page.check("input[name=excel]")
    with page.expect_response(lambda r: "/export/download/" in r.url) as answer:
        page.click("form button[type=submit]")
    assert answer.value.status == 422
    alert = page.locator("[role=alert]")
    assert message in alert.inner_text()
    # What the editor typed and ticked is still there, the wrong field marked.
    assert page.input_value("input[name=since]") == "2024-05-01"
    assert page.is_checked("input[name=excel]")
    assert page.get_attribute("input[name=until]", "aria-invalid") == "true"
    shot(page, f"export-error-{locale}")
    assert not errors, errors
