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
