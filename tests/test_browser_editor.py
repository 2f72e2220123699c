"""What an editor sees in a browser: the pre-tags and every layer on the article page,
spans and events of others' layers read-only, the import page following the pre-tagging,
arrows that point the way the interface reads, and no failed request for an icon."""

import pytest

# Imported now, not by the live server's first request: the URL configuration loads
# scikit-learn and camel-tools, seconds that a page's 8-second timeout cannot spare.
import annotations.urls  # noqa: F401
from annotations.models import Article, Event, Evidence, ImportJob, Layer, Span
from annotations.taggers import pretag

from .conftest import BROWSER_MARKS, make_user
from .test_browser import wait_until

pytestmark = BROWSER_MARKS


def add_span(layer: Layer, word: str, label: str, place=None) -> Span:
    start = layer.article.body.index(word)
    return Span.objects.create(
        layer=layer, start=start, end=start + len(word), label=label, place=place
    )


@pytest.fixture
def desk(corpus, article, alice, places):
    """A pre-tagged article, alice's submitted layer (her own label on مواقع, الرقة linked,
    a clash with its evidence) and an editor."""
    pretag(article)
    layer = Layer.objects.create(
        article=article, kind=Layer.ANNOTATOR, annotator=alice, state=Layer.SUBMITTED
    )
    add_span(layer, "مواقع", "MISC")
    add_span(layer, "الرقة", "LOC", places["raqqa"])
    event = Event.objects.create(layer=layer, event_type="Battles", sub_event_type="Armed clash")
    start = article.body.index("الاشتباكات")
    Evidence.objects.create(event=event, field="event_type", start=start, end=start + 10)
    editor = make_user(corpus, "edith", "editor")
    return article, layer, editor


def failed_requests(page) -> list[str]:
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    # A request cut short by the next navigation is aborted, not failed.
    page.on(
        "requestfailed",
        lambda r: "ERR_ABORTED" not in (r.failure or "") and failed.append(f"failed {r.url}"),
    )
    return failed


def test_an_editor_sees_the_pre_tags_and_switches_to_an_annotators_layer(signed_in, desk):
    article, layer, editor = desk
    page = signed_in(editor, "pw-edith")
    page.goto(page.base_url + article.get_absolute_url())
    machine = article.machine_layer()
    raqqa = machine.spans.get(start=article.body.index("الرقة"))
    assert page.locator(f'#doc mark[data-spans="{raqqa.pk}"]').count() == 1
    assert page.locator("#layer-switch [aria-current=page]").get_attribute("data-kind") == "machine"
    assert page.locator("#label-form").is_hidden()
    page.click("#layer-switch a[data-kind=annotator]")
    page.wait_for_url(f"**?layer={layer.pk}")
    mine = layer.spans.get(label="MISC")
    assert page.locator(f'#doc mark[data-spans="{mine.pk}"]').count() == 1
    assert "alice's layer (submitted), read-only." in page.locator("#readonly-notice").inner_text()
    assert page.locator("#review-form #approve").is_visible()


def test_a_span_of_a_read_only_layer_opens_without_editing_controls(signed_in, desk):
    article, layer, editor = desk
    page = signed_in(editor, "pw-edith")
    page.goto(f"{page.base_url}{article.get_absolute_url()}?layer={layer.pk}")
    linked = layer.spans.get(label="LOC")
    page.click(f'#doc mark[data-spans="{linked.pk}"]')
    wait_until(page, "document.querySelector('#span-panel h2') !== null")
    panel = page.locator("#span-panel")
    assert "الرقة" in panel.inner_text() and "Ar Raqqah" in panel.inner_text()
    assert panel.locator("a[href='https://www.geonames.org/172955']").count() == 1
    assert panel.locator("form, button, input").count() == 0
    # Keys that edit do nothing here: nothing is deleted, nothing relabelled.
    page.keyboard.press("Delete")
    page.keyboard.press("Digit2")
    assert Span.objects.get(pk=linked.pk).label == "LOC"
    # The places list opens the same panel: a new one (the open one already has its link).
    page.evaluate("window.shown = document.querySelector('#span-panel h2')")
    page.click(".linked-places a")
    wait_until(
        page,
        "document.querySelector('#span-panel h2') !== window.shown"
        " && !!document.querySelector('#span-panel .place-link')",
    )


def test_an_editor_sees_an_annotators_event_evidence(signed_in, desk):
    article, layer, editor = desk
    page = signed_in(editor, "pw-edith")
    page.goto(f"{page.base_url}{article.get_absolute_url()}?layer={layer.pk}")
    page.click("#events a")
    wait_until(page, "document.querySelector('#event-panel [data-evidence]') !== null")
    panel = page.locator("#event-panel")
    assert "الاشتباكات" in panel.inner_text()
    assert panel.locator("button[type=submit]:visible, .danger").count() == 0


def test_the_import_page_links_its_articles_and_follows_their_pre_tagging(signed_in, desk, corpus):
    article, _, editor = desk
    waiting = Article.objects.create(corpus=corpus, title="خبر ينتظر", body="قصف في حلب.")
    report = {"imported": 2, "duplicates": 0, "rejected": [], "files": {}}
    report["article_ids"] = [article.pk, waiting.pk]
    job = ImportJob.objects.create(
        corpus=corpus, user=editor, directory="unused", state=ImportJob.DONE, report=report
    )
    page = signed_in(editor, "pw-edith")
    page.goto(f"{page.base_url}/imports/{job.pk}/")
    rows = page.locator("#imported-articles tbody tr")
    assert rows.count() == 2
    assert page.locator(f'a[href="{waiting.get_absolute_url()}"]').inner_text() == "خبر ينتظر"
    assert page.locator("[data-state=queued]").count() == 1
    pretag(waiting)  # what the worker does; the page polls until it sees it
    wait_until(page, "document.querySelectorAll('[data-state=done]').length === 2", timeout=30)
    page.click(f'a[href="{waiting.get_absolute_url()}"]')
    page.wait_for_url(f"**{waiting.get_absolute_url()}")
    assert page.locator("#layer-switch a[data-kind=machine]").count() == 1


@pytest.mark.parametrize(("locale", "forward"), [("en-US", "→"), ("ar", "←")])
def test_arrows_follow_the_language_and_no_icon_is_missing(signed_in, desk, locale, forward):
    editor = desk[2]
    page = signed_in(editor, "pw-edith", locale=locale)
    failed = failed_requests(page)
    page.goto(page.base_url + "/articles/")
    page.wait_for_load_state("networkidle")
    content = "getComputedStyle(document.querySelector('#next-article .arrow-forward'), '::before')"
    assert page.evaluate(f"{content}.content") == f'"{forward}"'
    assert page.locator("link[rel=icon]").count() == 1
    icon = page.goto(page.base_url + "/favicon.ico")
    assert icon.ok and "svg" in icon.headers["content-type"]
    assert failed == []
