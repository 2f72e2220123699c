"""The annotation page's reading and labelling core, as a browser shows it: undo of a
delete, the span panel's feedback, colours that keep Arabic readable, direction, keys.

Playwright drives Debian's Chromium (/usr/bin/chromium) headless against the live server.
"""

from pathlib import Path

import pytest
from django.urls import get_resolver, reverse

from annotations import spans
from annotations.document import document_for
from annotations.models import (
    Article,
    AuditEntry,
    Event,
    Evidence,
    Layer,
    Span,
    SpanRejected,
    StaleLayer,
)
from annotations.taggers import pretag

from .conftest import BODY, BROWSER_MARKS, add_place, make_user
from .test_browser import DIGIT_SELECTED, SELECT_DIGIT, settled, wait_until

pytestmark = BROWSER_MARKS

SHOTS = Path("/tmp/reader-shots")
# A third paragraph with a two-word name whose words both carry the article (ال|حشد ال|شعبي)
# and a place whose dots sit under the line (ديالى).
READER_BODY = BODY + "\nوقالت قوات الحشد الشعبي في محافظة ديالى إن الهجوم فشل."


def open_article(signed_in, corpus, locale="en-US", viewport=None, body=READER_BODY):
    """Alice's annotation page of a pre-tagged article; her layer is made by her first write."""
    # The URLconf imports every view (and the NLP stack behind them): seconds on a busy
    # machine, which the live server's first request would spend inside the page's timeout.
    get_resolver().url_patterns  # noqa: B018
    add_place("Diyala", ["ديالى"], 98182, "IQ", population=1443173)
    user = make_user(corpus, "alice", "annotator")
    article = Article.objects.create(corpus=corpus, title="غارات على الرقة", body=body)
    article.assignments.create(user=user)
    pretag(article)
    page = signed_in(user, "pw-alice", locale=locale, viewport=viewport)
    page.goto(page.base_url + article.get_absolute_url())
    page.article, page.user = article, user
    return page


def mark(page, text: str, label: str = "LOC"):
    return page.locator(f"#doc mark[data-label={label}]", has_text=text)


def open_panel(page, text: str, label: str = "LOC") -> None:
    mark(page, text, label).first.click()
    page.locator("#span-panel h2 bdi", has_text=text).wait_for()


def shot(page, name: str, **kw) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), **kw)


def selected_text(page) -> str:
    """The words the label form would label now, as the server maps the piece ids."""
    start, end = page.input_value("#sel-start"), page.input_value("#sel-end")
    a, b = document_for(page.article.body).selection(start, end)
    return page.article.body[a:b]


def token_index(page, text: str) -> int:
    tokens = document_for(page.article.body).tokens
    return next(t.index for t in tokens if t.text == text)


# 4. Delete is fast and undoable.


def test_it_undoes_a_backspace_delete_with_its_place_link(signed_in, corpus, places):
    page = open_article(signed_in, corpus)
    open_panel(page, "حلب")
    page.keyboard.press("1")  # link the first candidate: confirmed
    wait_until(page, "document.querySelector('#doc mark.linked.link-confirmed') !== null")
    layer = Layer.objects.get(kind=Layer.ANNOTATOR, annotator=page.user)
    before = Span.objects.get(layer=layer, start=page.article.body.index("حلب"))
    assert (before.place, before.link_status) == (places["aleppo"], "confirmed")
    open_panel(page, "حلب")
    page.keyboard.press("Backspace")  # no confirmation
    page.locator("#messages button", has_text="Undo").wait_for()
    assert mark(page, "حلب").count() == 0
    assert not Span.objects.filter(pk=before.pk).exists()
    page.keyboard.press("Control+z")
    mark(page, "حلب").wait_for()
    restored = Span.objects.get(layer=layer, start=before.start)
    assert (restored.end, restored.label, restored.place, restored.link_status) == (
        before.end,
        "LOC",
        places["aleppo"],
        "confirmed",
    )
    assert (restored.origin, restored.derived_from_id, restored.engine) == (
        Span.MACHINE,
        before.derived_from_id,
        before.engine,
    )
    # A real write: the version moved on and the history says what happened.
    layer.refresh_from_db()
    assert page.input_value("#layer-version") == str(layer.version)
    last = AuditEntry.objects.filter(layer=layer).latest("pk")
    assert (last.action, last.object_id) == (AuditEntry.CREATE, restored.pk)
    assert "restored" in page.locator("#messages").inner_text().lower()


# The undo's write path, without a browser (a refused write logs a console error there).


def deleted_linked_span(article, user, places):
    pretag(article)
    layer = spans.annotator_layer(article, user)
    span = layer.spans.get(start=article.body.index("حلب"))
    spans.link(span, user, places["aleppo"], layer.version)
    event = Event.objects.create(layer=layer, event_type="Battles", sub_event_type="Armed clash")
    cited = Evidence.objects.create(
        event=event, field="location", start=span.start, end=span.end, span=span
    )
    kept = Span.objects.get(pk=span.pk)  # delete() forgets the instance's id
    spans.delete(span, user, layer.version)
    return layer, kept, cited


def test_a_restore_is_a_checked_write_and_cites_its_evidence_again(article, alice, places):
    layer, span, cited = deleted_linked_span(article, alice, places)
    with pytest.raises(StaleLayer):
        spans.restore(layer, alice, span.pk, layer.version - 1)
    restored = spans.restore(layer, alice, span.pk, layer.version)
    assert restored.pk == span.pk  # the same span, as the history names it
    assert (restored.place, restored.link_status, restored.origin) == (
        places["aleppo"],
        "confirmed",
        Span.MACHINE,
    )
    assert restored.derived_from_id == span.derived_from_id is not None
    cited.refresh_from_db()
    assert cited.span_id == restored.pk
    with pytest.raises(SpanRejected, match="already there"):
        spans.restore(layer, alice, span.pk, layer.version)


def test_only_the_layer_a_span_was_deleted_from_gets_it_back(client, article, alice, bob, places):
    layer, span, _cited = deleted_linked_span(article, alice, places)
    client.force_login(bob)
    url = reverse("span_create", args=[article.pk])
    answer = client.post(url, {"restore": span.pk, "version": 0}, headers={"HX-Request": "true"})
    assert answer.status_code == 422
    assert "no deleted span" in answer.content.decode()
    assert not Span.objects.filter(pk=span.pk).exists()
    client.force_login(alice)
    answer = client.post(url, {"restore": span.pk, "version": layer.version})  # no htmx
    assert answer.status_code == 302
    assert Span.objects.get(pk=span.pk).layer == layer


# 5. One palette: linked places keep their dots; auto and confirmed links differ.


def test_linked_places_keep_their_dots_and_auto_differs_from_confirmed(signed_in, corpus, places):
    page = open_article(signed_in, corpus, viewport={"width": 1400, "height": 900})
    diyala = mark(page, "ديالى")
    style = """m => {
        const s = getComputedStyle(m);
        return [s.textDecorationLine, s.borderBottomStyle, s.borderBottomColor,
                s.borderBottomWidth];
    }"""
    auto = diyala.evaluate(style)
    assert auto[0] == "none"  # no underline through the dots under ي
    assert auto[1] != "none" and auto[3] != "0px"  # a line below the line box instead
    open_panel(page, "ديالى")
    page.keyboard.press("1")
    wait_until(page, "document.querySelector('#doc mark.link-confirmed') !== null")
    confirmed = mark(page, "ديالى").evaluate(style)
    assert confirmed[0] == "none"
    assert confirmed[1:3] != auto[1:3]
    page.keyboard.press("Escape")
    # Large type for the screenshot (CSSOM, which the CSP allows): dots and lines visible.
    page.evaluate("document.getElementById('doc').style.fontSize = '44px'")
    for name, text in (("confirmed", "ديالى"), ("auto", "حلب")):
        box = mark(page, text).bounding_box()
        clip = {"x": box["x"] - 30, "y": box["y"] - 20, "width": box["width"] + 60, "height": 130}
        shot(page, f"link-{name}-zoom", clip=clip)
    page.evaluate("document.getElementById('doc').style.fontSize = ''")
    # The evidence highlights the events script draws: one continuous range each.
    page.evaluate(
        """() => {
        const para = document.querySelector('#para-2');
        const words = para.querySelectorAll('[data-t]');
        const r = new Range(); r.setStartBefore(words[1]); r.setEndAfter(words[6]);
        CSS.highlights.set('evidence', new Highlight(r));
        const h = new Range(); h.setStartBefore(words[8]); h.setEndAfter(words[10]);
        CSS.highlights.set('evidence-hover', new Highlight(h));
    }"""
    )
    para = page.locator("#para-2").bounding_box()
    shot(page, "evidence-highlights", clip=para)
    page.evaluate("document.getElementById('doc').style.fontSize = '44px'")
    para = page.locator("#para-2").bounding_box()
    shot(page, "evidence-highlights-zoom", clip={**para, "height": min(para["height"], 260)})


# 6. A read-only layer shows no editing controls.


def test_a_submitted_layer_shows_no_editing_controls_in_the_span_panel(signed_in, corpus, places):
    page = open_article(signed_in, corpus)
    layer = spans.annotator_layer(page.article, page.user)
    Layer.objects.filter(pk=layer.pk).update(state=Layer.SUBMITTED)
    page.reload()
    open_panel(page, "حلب")
    panel = page.locator("#span-panel")
    panel.locator(".linking").wait_for()
    for control in (
        "form.relabel",
        "input[type=search]",
        ".custom-place",
        "form.delete",
        "#link-all",
    ):
        assert panel.locator(control).count() == 0, control
    page.keyboard.press("Delete")  # nothing to press: no refusal, the span stays
    page.wait_for_timeout(300)
    assert page.locator("#messages .error").count() == 0
    assert mark(page, "حلب").count() == 1


# 7. The span panel's feedback.


def test_the_open_span_is_marked_in_the_text(signed_in, corpus, places):
    page = open_article(signed_in, corpus)
    open_panel(page, "حلب")
    page.locator("#doc mark.open", has_text="حلب").wait_for()
    open_panel(page, "الرقة")
    page.locator("#doc mark.open", has_text="الرقة").wait_for()
    assert page.locator("#doc mark.open").count() == 1
    page.keyboard.press("Delete")
    page.locator("#messages button", has_text="Undo").wait_for()
    assert page.locator("#doc mark.open").count() == 0


def test_the_panel_stays_open_after_a_relabel_and_offers_linking_to_a_new_location(
    signed_in, corpus, places
):
    page = open_article(signed_in, corpus)
    open_panel(page, "حلب")
    page.keyboard.press("Shift+Digit3")  # ORG
    mark(page, "حلب", "ORG").wait_for()
    panel = page.locator("#span-panel")
    panel.locator("h2 .tag", has_text="ORG").wait_for()
    assert panel.locator(".linking").count() == 0
    assert mark(page, "حلب", "ORG").evaluate("m => m.classList.contains('open')")
    page.keyboard.press("Shift+Digit2")  # back to LOC: the place can be linked again
    panel.locator("h2 .tag", has_text="LOC").wait_for()
    panel.locator("#candidates button[data-candidate='1']", has_text="Aleppo").wait_for()


def test_the_panel_stays_open_after_a_link_and_shows_a_created_place(signed_in, corpus, places):
    page = open_article(signed_in, corpus)
    open_panel(page, "حلب")
    assert "auto" in page.locator("#span-panel .linking h3").inner_text()
    page.keyboard.press("1")
    panel = page.locator("#span-panel")
    panel.locator(".linking h3", has_text="confirmed").wait_for()
    assert panel.locator("h2 bdi", has_text="حلب").count() == 1

    open_panel(page, "ديالى")
    page.locator(".custom-place summary").click()
    page.fill(".custom-place input[name=name_en]", "Diyala camp")
    page.fill(".custom-place input[name=latitude]", "33.75")
    page.fill(".custom-place input[name=longitude]", "45.0")
    settled(page)
    page.locator(".custom-place button[type=submit]").click()
    panel.locator(".linking h3", has_text="Diyala camp").wait_for()
    assert "confirmed" in panel.locator(".linking h3").inner_text()
    assert "No candidates" not in panel.inner_text()
    panel.locator("#candidates [aria-current]", has_text="Diyala camp").wait_for()


# 10. Direction, quotes and width.


def test_the_selection_hint_keeps_its_own_direction(signed_in, corpus, places):
    page = open_article(signed_in, corpus)
    direction = "getComputedStyle(document.getElementById('sel-text')).direction"
    assert page.evaluate(direction) == "ltr"
    page.evaluate(SELECT_DIGIT)  # a selection of the digit ٣ alone
    wait_until(page, DIGIT_SELECTED)
    # A selection of Arabic digits has no strong letter; it still reads right to left.
    shown = page.locator("#sel-text [lang=ar]")
    assert shown.evaluate("e => [getComputedStyle(e).direction, e.textContent]") == ["rtl", "«٣»"]
    page.keyboard.press("Escape")
    assert page.evaluate(direction) == "ltr"
    assert page.locator("#sel-text").inner_text().startswith("Select words")


@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_span_headings_quote_arabic_with_outward_guillemets(signed_in, corpus, places, locale):
    page = open_article(signed_in, corpus, locale=locale)
    open_panel(page, "حلب")
    quotes = page.locator("#span-panel h2 q").evaluate("q => getComputedStyle(q).quotes")
    # « and » are mirrored by the bidi algorithm, so they point outward in both directions.
    assert quotes.startswith('"«" "»"')
    page.locator("#span-panel h2").screenshot(path=str(SHOTS / f"heading-{locale}.png"))


@pytest.mark.parametrize("locale", ["en-US", "ar"])
@pytest.mark.parametrize("size", [(1400, 900), (390, 844)])
def test_the_annotation_page_does_not_scroll_sideways(signed_in, corpus, places, locale, size):
    width, height = size
    page = open_article(signed_in, corpus, locale, {"width": width, "height": height})
    fits = "document.documentElement.scrollWidth <= innerWidth"
    assert page.evaluate(fits), page.evaluate("document.documentElement.scrollWidth")
    open_panel(page, "حلب")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.wait_for_timeout(300)
    assert page.evaluate(fits), page.evaluate("document.documentElement.scrollWidth")
    shot(page, f"page-{locale}-{width}", full_page=True)


# 11. Keys: word by word, and the relabel keys on a location.


def test_arrow_keys_move_word_by_word_and_alt_piece_by_piece(signed_in, corpus, places):
    page = open_article(signed_in, corpus)
    page.locator("#doc").focus()
    page.keyboard.press("ArrowLeft")  # the first word of the article
    for _ in range(token_index(page, "الحشد")):
        page.keyboard.press("ArrowLeft")
    assert page.locator("#doc .cursor").all_inner_texts() == ["ال", "حشد"]
    page.keyboard.press("Shift+ArrowLeft")  # one press takes the whole next word
    assert selected_text(page) == "الحشد الشعبي"
    shot(page, "keyboard-selection", clip={"x": 0, "y": 0, "width": 1280, "height": 420})
    page.keyboard.press("1")
    mark(page, "الحشد", "PERS").wait_for()
    span = Span.objects.get(layer__kind="annotator", label="PERS")
    assert page.article.body[span.start : span.end] == "الحشد الشعبي"

    # Alt moves one piece: a span can start after a proclitic (و|مسكنة → مسكنة).
    page.locator("#doc").focus()
    page.keyboard.press("ArrowLeft")
    for _ in range(token_index(page, "ومسكنة")):
        page.keyboard.press("ArrowLeft")
    assert page.locator("#doc .cursor").all_inner_texts() == ["و", "مسكنة"]
    page.keyboard.press("Alt+ArrowLeft")
    assert page.locator("#doc .cursor").all_inner_texts() == ["مسكنة"]
    page.keyboard.press("Shift+ArrowLeft")  # from the piece on, whole words
    assert selected_text(page) == "مسكنة وريف"
    page.keyboard.press("Shift+ArrowRight")  # back: the piece alone
    assert selected_text(page) == "مسكنة"
    page.keyboard.press("4")  # MISC, over the machine's LOC of the same word
    page.locator("#messages .success", has_text="MISC").wait_for()
    span = Span.objects.get(layer__kind="annotator", label="MISC")
    assert page.article.body[span.start : span.end] == "مسكنة"
    assert page.url.endswith(page.article.get_absolute_url())  # Alt+← did not go back


def test_a_location_panel_says_which_keys_relabel_it(signed_in, corpus, places):
    page = open_article(signed_in, corpus)
    open_panel(page, "حلب")
    hint = page.locator("#span-panel .keys-hint")
    assert hint.is_visible()
    assert "Shift+1" in hint.inner_text() and "1–" in hint.inner_text()
    open_panel(page, "الرقة")
    page.keyboard.press("Shift+Digit4")  # MISC: no places, no hint about them
    mark(page, "الرقة", "MISC").wait_for()
    page.locator("#span-panel h2 .tag", has_text="MISC").wait_for()
    assert page.locator("#span-panel .keys-hint").count() == 0


LONG_BODY = "\n".join([BODY] * 150)  # about 3,000 words


def test_moving_the_cursor_does_not_scan_every_word(signed_in, corpus, places):
    page = open_article(signed_in, corpus, body=LONG_BODY)
    pieces = page.evaluate("document.querySelectorAll('#doc [data-t]').length")
    assert pieces > 3000
    # Count how many elements each query returns while the arrows move the cursor.
    page.evaluate(
        """() => {
        window.__largest = 0;
        for (const proto of [Element.prototype, Document.prototype]) {
            const original = proto.querySelectorAll;
            proto.querySelectorAll = function (selector) {
                const found = original.call(this, selector);
                window.__largest = Math.max(window.__largest, found.length);
                return found;
            };
        }
    }"""
    )
    page.locator("#doc").focus()
    for _ in range(30):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    assert page.evaluate("window.__largest") < 200
    assert selected_text(page)
