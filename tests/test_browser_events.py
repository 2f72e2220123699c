"""The event panel in a browser: citing evidence keeps unsaved edits, evidence drawn as one
highlight per cited range, removing evidence, and the form in the Arabic interface."""

import re
from datetime import date
from urllib.request import urlopen

import pytest

from annotations.models import Actor, Article, Event, Layer
from annotations.taggers import pretag

from .conftest import BODY, BROWSER_MARKS, make_user
from .test_browser import drag_across, settled, wait_until

pytestmark = BROWSER_MARKS

PANEL = "#event-panel form.event-form"
EVIDENCE = "#event-panel fieldset.evidence"
CITED_TEXTS = f"[...document.querySelectorAll('{EVIDENCE} q')].map(q => q.textContent)"
EVIDENCE_ITEMS = f"document.querySelectorAll('{EVIDENCE} li[data-evidence]').length"


@pytest.fixture
def alice(corpus, places, live_server):
    # The live server's first request imports the views (and what they import) and can take
    # longer than a page's 8 s under load; take that first request here, without a browser.
    urlopen(f"{live_server.url}/accounts/login/", timeout=120).close()
    user = make_user(corpus, "alice", "annotator")
    article = Article.objects.create(corpus=corpus, title="غارات على الرقة", body=BODY)
    article.assignments.create(user=user)
    pretag(article)
    user.article = article
    return user


@pytest.fixture
def actors(db) -> dict[str, Actor]:
    return {
        "army": Actor.objects.create(name="Military Forces of Syria", inter_code=1),
        "rebels": Actor.objects.create(name="Opposition Rebels", inter_code=2),
    }


def open_article(signed_in, user, **options):
    page = signed_in(user, "pw-alice", **options)
    page.goto(page.base_url + user.article.get_absolute_url())
    return page


def code_event(page) -> None:
    """Select a word of the second sentence and press E: its event opens in the panel."""
    drag_across(page, "امتدت")
    page.keyboard.press("e")
    page.locator(PANEL).wait_for()


def test_citing_evidence_keeps_the_unsaved_edits_and_save_saves_them(signed_in, alice, actors):
    page = open_article(signed_in, alice)
    code_event(page)
    panel = page.locator(PANEL)
    panel.locator("select[name=sub_event_type]").select_option("Attack")
    panel.locator("select[name=actor1]").select_option(str(actors["army"].pk))
    panel.locator("select[name=actor2]").select_option(str(actors["rebels"].pk))
    panel.locator("input[name=event_date]").fill("2025-02-28")
    panel.locator("textarea[name=notes]").fill("اشتباكات عنيفة")
    panel.locator("input[name=focus][value=actor2]").check()
    page.locator("#doc mark[data-label=LOC]", has_text="حلب").click()
    page.locator("#messages .success", has_text="Evidence added.").wait_for()
    wait_until(page, f"{CITED_TEXTS}.some(text => text.includes('حلب'))")
    # Every edit is still in the form, and the field chosen for evidence too.
    assert panel.locator("select[name=event_type]").input_value() == "Violence against civilians"
    assert panel.locator("select[name=sub_event_type]").input_value() == "Attack"
    assert panel.locator("select[name=actor1]").input_value() == str(actors["army"].pk)
    assert panel.locator("select[name=actor2]").input_value() == str(actors["rebels"].pk)
    assert panel.locator("input[name=event_date]").input_value() == "2025-02-28"
    assert panel.locator("textarea[name=notes]").input_value() == "اشتباكات عنيفة"
    assert panel.locator("input[name=focus][value=actor2]").is_checked()
    panel.locator("button.save-event").click()
    page.locator("#messages .success", has_text="Event saved").wait_for()
    event = Event.objects.get(layer__kind="annotator", origin="human")
    assert (event.sub_event_type, event.event_type) == ("Attack", "Violence against civilians")
    assert (event.actor1, event.actor2) == (actors["army"], actors["rebels"])
    assert (event.event_date, event.notes) == (date(2025, 2, 28), "اشتباكات عنيفة")
    # The evidence was cited for the new actor 2, so saving the new value keeps it.
    cited = event.evidence.get(field="actor2")
    assert "حلب" in BODY[cited.start : cited.end]


def test_evidence_is_one_highlight_per_cited_range(signed_in, alice):
    page = open_article(signed_in, alice)
    code_event(page)
    event = Event.objects.get(layer__kind="annotator", origin="human")
    cited = list(event.evidence.all())
    assert len(cited) >= 2  # the pre-coder cites the trigger, the place, the toll
    wait_until(page, f"{EVIDENCE_ITEMS} === {len(cited)}")
    wait_until(page, f"CSS.highlights.get('evidence')?.size === {len(cited)}")
    assert page.evaluate("document.querySelectorAll('.ev-mark, .evidence-hover').length") == 0
    # Each range runs from its first word piece to its last: the cited words, whole.
    texts = page.evaluate(
        "[...CSS.highlights.get('evidence')].map(r => r.toString().replace(/\\s+/g, ' '))"
    )
    assert sorted(texts) == sorted(BODY[e.start : e.end] for e in cited)
    # Hovering an event in the list shows its evidence beside.
    page.locator(f"#events a[href='/events/{event.pk}/']").hover()
    wait_until(page, f"CSS.highlights.get('evidence-hover')?.size === {len(cited)}")
    page.locator("#legend").hover()
    wait_until(page, "!CSS.highlights.has('evidence-hover')")


def test_evidence_is_removed_and_the_unsaved_edits_stay(signed_in, alice):
    page = open_article(signed_in, alice)
    code_event(page)
    event = Event.objects.get(layer__kind="annotator", origin="human")
    before = event.evidence.count()
    wait_until(page, f"{EVIDENCE_ITEMS} === {before}")
    panel = page.locator(PANEL)
    panel.locator("textarea[name=notes]").fill("لم تحفظ بعد")
    settled(page)
    page.locator(f"{EVIDENCE} .remove-evidence").first.click()
    page.locator("#messages .success", has_text="Evidence removed.").wait_for()
    wait_until(page, f"{EVIDENCE_ITEMS} === {before - 1}")
    wait_until(page, f"CSS.highlights.get('evidence')?.size === {before - 1}")
    assert event.evidence.count() == before - 1
    assert panel.locator("textarea[name=notes]").input_value() == "لم تحفظ بعد"


def test_a_submitted_layer_shows_the_event_read_only(signed_in, alice):
    page = open_article(signed_in, alice)
    code_event(page)
    event = Event.objects.get(layer__kind="annotator", origin="human")
    Layer.objects.filter(kind="annotator").update(state=Layer.SUBMITTED)
    page.reload()
    page.locator(f"#events a[href='/events/{event.pk}/']").click()
    page.locator("#event-read-only").wait_for()
    assert page.locator(f"{PANEL} textarea[name=notes]").is_disabled()
    assert page.locator(f"{PANEL} select[name=sub_event_type]").is_disabled()
    assert page.locator("#event-panel button").count() == 0  # no save, delete or remove
    assert page.locator("#event-panel input[name=focus]").count() == 0


@pytest.mark.parametrize("viewport", [(1400, 900), (390, 844)])
def test_the_arabic_form_is_labelled_in_arabic_and_stays_in_the_sidebar(signed_in, alice, viewport):
    width, height = viewport
    page = open_article(signed_in, alice, locale="ar", viewport={"width": width, "height": height})
    code_event(page)
    side = page.locator("aside.side").bounding_box()
    for name in ("textarea[name=notes]", "select[name=sub_event_type]", "input[name=source]"):
        box = page.locator(f"{PANEL} {name}").bounding_box()
        inside = (
            side["x"] - 0.5
            <= box["x"]
            <= box["x"] + box["width"]
            <= side["x"] + side["width"] + 0.5
        )
        assert inside, f"{name} spills out of the sidebar: {box} in {side}"
    labels = page.locator(f"{PANEL} .field > label").all_inner_texts()
    assert len(labels) == 16
    english = [label for label in labels if re.search("[A-Za-z]", label)]
    assert not english, f"labels left in English: {english}"


def test_in_arabic_a_sub_type_chooses_its_type_by_the_arabic_names(signed_in, alice):
    # The sub-types' groups are labelled with the types' Arabic names; the type is still
    # chosen, and saved as ACLED's English value.
    page = open_article(signed_in, alice, locale="ar")
    code_event(page)
    panel = page.locator(PANEL)
    sub = panel.locator("select[name=sub_event_type]")
    assert sub.locator("option[value='Peaceful protest']").inner_text() == "احتجاج سلمي"
    sub.select_option("Peaceful protest")
    assert panel.locator("select[name=event_type]").input_value() == "Protests"
    shown = "document.querySelector('#event-panel select[name=event_type]').selectedOptions[0]"
    assert page.evaluate(f"{shown}.text") == "احتجاجات"
    sub.select_option("Armed clash")
    assert panel.locator("select[name=event_type]").input_value() == "Battles"
