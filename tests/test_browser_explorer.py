"""The events explorer in Chromium: the map's markers are clustered over the outlines, a
filter changes the table and the map together, in English and in Arabic, with no console
error (the `signed_in` fixture fails the test on one).

Screenshots go to /tmp/explorer-en.png and /tmp/explorer-ar.png (desktop 1400×900)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import get_resolver

from annotations.explorer import EVENT_TYPES, SUB_TYPES
from annotations.models import Article, Event, Evidence, Layer, Place

from .conftest import BROWSER_MARKS, make_user
from .test_browser import wait_until

pytestmark = BROWSER_MARKS
DESKTOP = {"width": 1400, "height": 900}
PLACES = 40
READY = "!!document.querySelector('#event-map[data-ready]')"


@pytest.fixture
def coded(corpus):
    """Forty places around Aleppo and Ar-Raqqah, three gold events at each, over twelve weeks."""
    # The URLconf imports every view: seconds on a busy machine, not inside a page's timeout.
    get_resolver().url_patterns  # noqa: B018
    editor = make_user(corpus, "edith", "editor")
    places = Place.objects.bulk_create(
        Place(
            name=f"Town {i}",
            country_code="SY",
            latitude=35.5 + (i % 8) * 0.2,
            longitude=37.0 + (i // 8) * 0.4,
            feature_class="P",
        )
        for i in range(PLACES)
    )
    subs = [SUB_TYPES[i] for i in (0, 4, 10, 12, 18)]
    for n in range(4):
        article = Article.objects.create(
            corpus=corpus, title=f"تقرير {n}", body=f"اشتباكات في حلب {n}."
        )
        gold = Layer.objects.create(article=article, kind=Layer.GOLD)
        Event.objects.bulk_create(
            Event(
                layer=gold,
                event_type=next(t for t, s in EVENT_TYPES.items() if sub in s),
                sub_event_type=sub,
                event_date=date(2025, 1, 6) + timedelta(days=(i * 5) % 84),
                place=places[i % PLACES],
                fatalities=i % 6,
            )
            for i, sub in ((i, subs[(i + n) % len(subs)]) for i in range(n * 30, n * 30 + 30))
        )
    return editor


def rows(page) -> int:
    return page.locator("#event-table tbody tr").count()


def markers_drawn(page) -> dict:
    return page.evaluate(
        """(() => {
          const map = document.getElementById("event-map");
          return {
            clusters: map.querySelectorAll(".leaflet-marker-pane .marker-cluster").length,
            places: Number(map.dataset.ready),
            outlines: map.querySelectorAll(".leaflet-overlay-pane path").length,
          };
        })()"""
    )


@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_markers_cluster_and_a_filter_changes_table_and_map(signed_in, coded, locale):
    page = signed_in(coded, "pw-edith", locale=locale, viewport=DESKTOP)
    page.goto(f"{page.base_url}/events/")
    wait_until(page, READY)
    drawn = markers_drawn(page)
    # 40 places in a small area: a handful of clusters, not 40 pins; outlines beneath.
    assert drawn["places"] == PLACES
    assert 0 < drawn["clusters"] < PLACES
    assert drawn["outlines"] > 50
    assert rows(page) == 100  # a page of the 120 events
    bars = page.locator(".timeline-chart svg rect").count()
    assert bars > 12
    page.screenshot(path=f"/tmp/explorer-{locale[:2]}.png")

    # htmx pushes the new address, then settles; a long settle widens that window so a map
    # that still says "ready" from the previous results fails here every time, not now and then.
    page.evaluate("htmx.config.defaultSettleDelay = 400")
    page.select_option("#explorer-filters select[name=sub_event_type]", SUB_TYPES[0])
    page.fill("#explorer-filters input[name=fatalities_min]", "3")
    page.click("#explorer-filters button[type=submit]")
    wait_until(page, "location.search.includes('fatalities_min=3') && " + READY)
    assert 0 < rows(page) < 40
    assert markers_drawn(page)["places"] < PLACES
    assert page.locator(".timeline-chart svg rect").count() < bars
    fatalities = page.locator("#event-table tbody td.num").all_inner_texts()
    assert all(int(f) >= 3 for f in fatalities)


def test_a_sort_swaps_the_table_and_a_row_opens_its_article(signed_in, coded):
    # The events the sort puts first cite their first word ("اشتباكات") as evidence.
    Evidence.objects.bulk_create(
        Evidence(event=e, field="event_type", start=0, end=8)
        for e in Event.objects.filter(fatalities=5)
    )
    page = signed_in(coded, "pw-edith", viewport=DESKTOP)
    page.goto(f"{page.base_url}/events/")
    wait_until(page, READY)
    page.locator("#event-table th a").nth(5).click()  # fatalities, highest first
    sorted_by = "#event-table th:nth-child(6)[aria-sort=descending]"
    wait_until(page, f"!!document.querySelector('{sorted_by}')")
    assert page.locator("#event-table tbody td.num").first.inner_text() == "5"
    assert markers_drawn(page)["places"] == PLACES  # the map was not redrawn
    page.locator("#event-table tbody tr").first.locator("a").first.click()
    page.wait_for_load_state()
    assert page.locator("#event-panel form.event-form").count() == 1
    assert "layer=" not in page.url and page.locator("#layer-switch [aria-current]").count() == 1
    # The event's evidence lights up in the text on arrival, without a hover.
    wait_until(page, "CSS.highlights.has('evidence') && CSS.highlights.get('evidence').size > 0")
    page.screenshot(path="/tmp/explorer-event-en.png")
