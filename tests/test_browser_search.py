"""Search in a real browser: a clitic-attached, differently spelled name is found and
highlighted, through htmx, with no error in the page."""

import os
from pathlib import Path

import pytest

from annotations.models import Article

from .conftest import BROWSER_MARKS, make_user
from .test_browser import wait_until

pytestmark = BROWSER_MARKS
SHOTS = os.environ.get("SEARCH_SHOTS")  # a folder: screenshots for a person to look at


@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_search_finds_a_clitic_attached_name_and_highlights_it(signed_in, corpus, locale):
    editor = make_user(corpus, "edna", "editor")
    article = Article.objects.create(
        corpus=corpus,
        title="اشتباكات شرق حلب",
        body="قالت مصادر محلية إن اشتباكات اندلعت صباح اليوم وبمَسْكَنة شرق حلب.",
    )
    Article.objects.create(corpus=corpus, title="هدوء", body="هدوء في منبج.")
    page = signed_in(editor, "pw-edna", locale=locale, viewport={"width": 1400, "height": 900})
    page.goto(f"{page.base_url}/search/")
    page.fill("input[name=q]", "مسكنه")
    page.press("input[name=q]", "Enter")
    wait_until(page, "document.querySelectorAll('#results mark').length === 1")
    mark = page.locator("#results mark")
    assert mark.inner_text() == "وبمَسْكَنة"
    assert page.locator("#results p[dir=rtl][lang=ar]").count() == 1
    assert page.locator(f"#results a[href='{article.get_absolute_url()}']").count() == 1
    assert "q=" in page.url  # htmx pushed the search into the address bar
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/search-{locale}.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"{SHOTS}/search-{locale}-390.png", full_page=True)


@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_a_place_is_picked_by_its_arabic_name_and_filters_the_results(signed_in, corpus, locale):
    from annotations.models import Event, Layer

    from .conftest import add_place

    editor = make_user(corpus, "edna", "editor")
    maskanah = add_place("Maskanah", ["مَسْكَنة"], 166365, population=23000, admin1="Aleppo")
    add_place("Manbij", ["منبج"], 166000, admin1="Aleppo")
    there = Article.objects.create(
        corpus=corpus, title="قصف على مسكنة", body="قصف مدفعي على مسكنة."
    )
    Article.objects.create(corpus=corpus, title="قصف على منبج", body="قصف مدفعي على منبج.")
    layer = Layer.objects.create(article=there, kind=Layer.MACHINE)
    Event.objects.create(
        layer=layer, event_type="Battles", sub_event_type="Armed clash", place=maskanah
    )
    page = signed_in(editor, "pw-edna", locale=locale, viewport={"width": 1400, "height": 900})
    page.goto(f"{page.base_url}/search/")
    page.fill("input[name=q]", "قصف")
    # One input event, one request: typed key by key on a loaded machine, a pause of more
    # than the 250 ms debounce would show a partial name's list first.
    page.locator("#pick-place").fill("مسكنه")
    option = page.locator("#pick-place-options button").first
    option.wait_for()
    assert option.locator("bdi[dir=rtl][lang=ar]").inner_text() == "مَسْكَنة"
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/search-picker-{locale}.png")
    option.click()
    assert page.locator("input[name=place]").input_value() == str(maskanah.pk)
    assert page.locator("#pick-place").input_value() == "مَسْكَنة"
    assert page.locator("#pick-place-options li").count() == 0
    page.click("#search-form button[type=submit]")
    wait_until(page, "document.querySelectorAll('#results .search-results li').length === 1")
    assert page.locator(f"#results a[href='{there.get_absolute_url()}']").count() == 1
    assert f"place={maskanah.pk}" in page.url  # the id, not the name, is in the address
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/search-filtered-{locale}.png")


@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_the_article_list_filters_by_event_type_in_place(signed_in, corpus, locale):
    from annotations.models import Event, Layer

    editor = make_user(corpus, "edna", "editor")
    battle = Article.objects.create(corpus=corpus, title="اشتباكات في سراقب", body="اشتباكات.")
    Article.objects.create(corpus=corpus, title="هدوء في منبج", body="هدوء.")
    layer = Layer.objects.create(article=battle, kind=Layer.MACHINE)
    Event.objects.create(layer=layer, event_type="Battles", sub_event_type="Armed clash")
    page = signed_in(editor, "pw-edna", locale=locale, viewport={"width": 1400, "height": 900})
    page.goto(f"{page.base_url}/articles/")
    assert page.locator("#article-list tbody tr").count() == 2
    page.click(".list-filters summary")
    page.select_option("#list-filters select[name=event_type]", "Battles")
    page.click("#list-filters button[type=submit]")
    wait_until(page, "document.querySelectorAll('#article-list tbody tr').length === 1")
    assert page.locator(f"#article-list a[href='{battle.get_absolute_url()}']").count() == 1
    assert "event_type=Battles" in page.url
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/search-article-list-{locale}.png")
