"""What only a browser shows: selecting Arabic text by mouse and keyboard; labels that stay.

Playwright drives Debian's Chromium (/usr/bin/chromium) headless against the live server.
"""

import time

import pytest
from django.db.models import F
from django.urls import get_resolver

from annotations.models import Article, Event, Layer, Span
from annotations.taggers import pretag

from .conftest import BODY, BROWSER_MARKS, make_user

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(browser, live_server, corpus, places):
    user = make_user(corpus, "alice", "annotator")
    article = Article.objects.create(corpus=corpus, title="غارات على الرقة", body=BODY)
    article.assignments.create(user=user)
    pretag(article)
    # Import every view before the first page's timeout starts counting (seconds when loaded).
    get_resolver().url_patterns  # noqa: B018
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(20000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-alice")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    page.article = article
    yield page
    context.close()


def wait_until(page, expression: str, timeout: float = 20) -> None:
    """Poll a JavaScript expression until it is true. (page.wait_for_function evaluates with
    eval() in the page, which the Content-Security-Policy refuses; page.evaluate does not.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)


def settled(page) -> None:
    """Wait until htmx has settled its last swap: only then are the new buttons its own (a
    click before that is a plain form submission to the button's formaction)."""
    wait_until(page, "!document.querySelector('.htmx-settling')")


def word(page, text: str):
    return page.locator("#doc [data-t]", has_text=text).first


def drag_across(page, text: str) -> None:
    """Drag over a word from its right edge to its left, as an Arabic reader does."""
    box = word(page, text).bounding_box()
    page.mouse.move(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    wait_until(page, "document.getElementById('sel-start').value !== ''")


def test_it_labels_a_mouse_selection_and_keeps_it_after_reload(page):
    drag_across(page, "مصدر")
    page.keyboard.press("2")  # the second label: LOC
    page.locator("#doc mark[data-label=LOC]", has_text="مصدر").wait_for()
    page.reload()
    mark = page.locator("#doc mark[data-label=LOC]", has_text="مصدر")
    assert mark.count() == 1
    span = Span.objects.get(layer__kind="annotator", start=page.article.body.index("مصدر"))
    assert (span.label, page.article.body[span.start : span.end]) == ("LOC", "مصدر")


def test_it_labels_a_keyboard_selection(page):
    page.locator("#doc").focus()
    page.keyboard.press("ArrowLeft")  # the cursor lands on the first word, at the right
    page.keyboard.press("ArrowLeft")  # and moves to the next word, to its left
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("1")  # PERS
    page.locator("#doc mark[data-label=PERS]").wait_for()
    span = Span.objects.get(layer__kind="annotator", label="PERS")
    assert page.article.body[span.start : span.end] == "طائرات حربية"


def test_it_relabels_a_clicked_span_and_shows_a_stale_write(page):
    page.locator("#doc mark[data-label=LOC]", has_text="حلب").click()
    page.locator("#span-panel form.relabel").wait_for()
    page.keyboard.press("Shift+Digit3")  # ORG (plain digits pick a place on a location)
    page.locator("#doc mark[data-label=ORG]", has_text="حلب").wait_for()
    page.locator("#doc mark[data-label=LOC]", has_text="الرقة").click()
    # The panel stays open after a relabel: wait for the clicked span's own panel.
    page.locator("#span-panel h2 q", has_text="الرقة").wait_for()
    # Another tab writes meanwhile; this page's version is stale and its delete is refused.
    Layer.objects.filter(kind="annotator").update(version=F("version") + 1)
    page.keyboard.press("Delete")
    page.locator("#messages .error").wait_for()
    assert "changed in another window" in page.locator("#messages").inner_text()
    assert page.locator("#doc mark[data-label=LOC]", has_text="الرقة").count() == 1
    assert Span.objects.filter(layer__kind="annotator", label="LOC").count() == 2


def test_it_links_a_place_with_the_keyboard_and_creates_a_custom_place(page):
    from .conftest import add_place

    second = add_place("Halab", ["حلب"], 999002, "IQ", population=3000)
    page.locator("#doc mark[data-label=LOC]", has_text="حلب").click()
    page.locator("#candidates button[data-candidate='2']").wait_for()
    # The map draws country outlines shipped with the app: no tiles, no network.
    wait_until(page, "document.querySelectorAll('#place-map path').length > 50")
    page.keyboard.press("2")
    page.locator("#messages .success").wait_for()
    page.reload()
    span = Span.objects.get(layer__kind="annotator", label="LOC", link_status="confirmed")
    assert (span.place, span.link_status) == (second, "confirmed")
    page.locator("#doc mark[data-label=LOC]", has_text="حلب").click()
    page.locator("#candidates button[aria-current]", has_text="Halab").wait_for()

    page.locator("#doc mark[data-label=LOC]", has_text="الرقة").click()
    # The panel is swapped in by htmx: open the new one's form, not the outgoing one's.
    page.locator("#span-panel h2 q", has_text="الرقة").wait_for()
    page.locator(".custom-place summary").click()
    page.fill(".custom-place input[name=name_en]", "New Raqqa camp")
    page.fill(".custom-place input[name=country]", "SY")
    # The map is built once htmx has settled the panel (the new element borrows the old
    # one's classes until then): wait for its panes, then for the click's coordinates.
    wait_until(page, "!!document.querySelector('#place-map .leaflet-map-pane')")
    page.locator("#place-map").click(position={"x": 100, "y": 100})  # fills the coordinates
    wait_until(page, "document.getElementById('custom-lat').value !== ''")
    settled(page)
    page.locator(".custom-place button[type=submit]").click()
    page.locator("#messages .success").wait_for()
    custom = Span.objects.get(layer__kind="annotator", place__source="custom")
    assert page.article.body[custom.start : custom.end] == "الرقة"
    assert custom.place.name == "New Raqqa camp" and custom.place.latitude is not None


SELECT_DIGIT = """() => {
    const piece = [...document.querySelectorAll('#doc [data-t]')].find(e => e.textContent === '٣');
    const range = document.createRange();
    range.selectNodeContents(piece);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
}"""
# The selection is read on "selectionchange", which comes later: wait for this one, not for
# a selection an earlier step left (the start field would already be filled).
DIGIT_SELECTED = "document.querySelector('#sel-text [lang=ar]')?.textContent === '«٣»'"
# The span cited, not the pre-coder's longer phrase "قتل ٣ مدنيين".
CITED_NUMBER = (
    "[...document.querySelectorAll('#event-panel li q')].some(q => q.textContent === '٣')"
)


def test_it_codes_an_event_with_evidence_for_fatalities(page):
    # Select a word of the second sentence and press E: an event from that sentence.
    drag_across(page, "امتدت")
    page.keyboard.press("e")
    page.locator("#event-panel form.event-form").wait_for()
    # Label the number as a span, then cite it as the fatalities evidence.
    # The digit is one narrow glyph, too small to hit reliably with the mouse; select it
    # the way a drag would leave it (mouse selection has its own test above).
    page.evaluate(SELECT_DIGIT)
    wait_until(page, DIGIT_SELECTED)
    page.keyboard.press("4")  # MISC
    page.locator("#doc mark[data-label=MISC]").wait_for()
    page.locator("#event-panel input[name=focus][value=fatalities]").check()
    page.locator("#doc mark[data-label=MISC]").click()
    wait_until(page, CITED_NUMBER)
    page.select_option("#event-panel select[name=sub_event_type]", "Armed clash")
    page.fill("#event-panel input[name=fatalities]", "3")
    page.locator("#event-panel button[type=submit]", has_text="Save event").click()
    page.locator("#messages .success", has_text="Event saved").wait_for()
    page.reload()
    event = Event.objects.get(layer__kind="annotator", origin="human")
    page.locator(f"#events a[href='/events/{event.pk}/']").click()
    wait_until(page, CITED_NUMBER)
    assert (event.sub_event_type, event.fatalities) == ("Armed clash", 3)
    evidence = event.evidence.get(field="fatalities", span__isnull=False)  # the one cited
    assert page.article.body[evidence.start : evidence.end] == "٣"


def test_an_editor_adjudicates_with_the_keyboard(browser, live_server, corpus, places):
    from annotations.models import Membership

    from .test_adjudication import add_event, add_span

    alice = make_user(corpus, "alice", "annotator")
    bob = make_user(corpus, "bob", "annotator")
    make_user(corpus, "edith", Membership.EDITOR)
    article = Article.objects.create(corpus=corpus, title="غارات على الرقة", body=BODY)
    a = Layer.objects.create(article=article, kind="annotator", annotator=alice, state="submitted")
    b = Layer.objects.create(article=article, kind="annotator", annotator=bob, state="submitted")
    for layer in (a, b):
        add_span(layer, "الرقة", "LOC", places["raqqa"])
    add_span(a, "مواقع", "LOC")
    add_span(b, "مواقع", "MISC")
    add_event(a, 3)
    add_event(b, 2)
    # Import every view before the first page's timeout starts counting (seconds when loaded).
    get_resolver().url_patterns  # noqa: B018
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(20000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "edith")
    page.fill("input[name=password]", "pw-edith")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/articles/{article.pk}/adjudicate/")
    gold = page.locator("#col-gold")
    # Agreed on: الرقة is in gold from the start; the differing label is marked in the columns.
    gold.locator("mark[data-label=LOC]", has_text="الرقة").wait_for()
    assert page.locator(".columns mark.disagree", has_text="مواقع").count() == 2
    current = page.locator("#items li.item.current")
    assert "مواقع" in current.inner_text()
    page.keyboard.press("2")  # Bob's answer: MISC
    gold.locator("mark[data-label=MISC]", has_text="مواقع").wait_for()
    # The cursor moved on to the event; take Alice's, then Bob's death toll.
    wait_until(
        page,
        # Null-safe: between htmx swaps there is briefly no current item.
        "document.querySelector('#items li.item.current')?.dataset.key.startsWith('event:')",
    )
    page.keyboard.press("1")
    wait_until(
        page,
        "document.querySelector('#items li.item.current')?.dataset.key.endsWith(':fatalities')",
    )
    page.keyboard.press("2")
    wait_until(page, "document.getElementById('items')?.dataset.open === '0'")
    gold_layer = article.gold_layer()
    assert [e.fatalities for e in gold_layer.events.all()] == [2]
    page.click("#approve-gold")
    page.locator("#gold-state", has_text="approved").wait_for()
    gold_layer.refresh_from_db()
    assert gold_layer.state == Layer.APPROVED
    labels = {(s.label, article.body[s.start : s.end]) for s in gold_layer.spans.all()}
    assert labels == {("LOC", "الرقة"), ("MISC", "مواقع")}
    context.close()
