"""The place-linking map and the candidate list of a location's panel.

The map is Leaflet in a panel that htmx swaps for every span opened: these tests open
panels as a reader does and fail on any console error (the `signed_in` fixture). The
candidate list is checked through the search view, which renders it alone.
"""

import re

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from annotations.gazetteer import km
from annotations.models import Article, Layer, Place, PlaceName, Span
from annotations.spans import annotator_layer
from annotations.taggers import pretag
from annotations.text import match_key

from .conftest import BODY, BROWSER_MARKS, add_place, make_user
from .test_browser import wait_until


def in_browser(test):
    """A real-browser test: Chromium against the live server, with committed data."""
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


HX = {"HTTP_HX_REQUEST": "true"}
WHERE = {"raqqa": (35.95, 39.01), "maskanah": (36.0, 38.0), "aleppo": (36.2, 37.16)}

# The map is drawn: country outlines in the overlay pane (beside one circle per linked
# place) and one numbered pin per candidate of the panel's data, numbered as the list.
MAP_DRAWN = """(() => {
  const map = document.getElementById("place-map");
  const data = JSON.parse(document.getElementById("map-data").textContent);
  if (!map) return false;
  const paths = map.querySelectorAll(".leaflet-overlay-pane path").length;
  const pins = map.querySelectorAll(".leaflet-marker-pane .candidate-pin");
  const numbers = [...pins].map((p) => p.textContent).join();
  return paths > data.linked.length && numbers === data.candidates.map((c) => c.n).join();
})()"""
ONE_MAP = "document.querySelectorAll('.leaflet-map-pane').length === 1"


@pytest.fixture
def located(places) -> dict[str, Place]:
    for key, (lat, lon) in WHERE.items():
        places[key].latitude, places[key].longitude = lat, lon
        places[key].save()
    places["halab"] = add_place("Halab", ["حلب"], 999002, "IQ", latitude=33.3, longitude=44.4)
    return places


def annotated_article(corpus, body: str = BODY) -> Article:
    # The URLconf imports every view (and the NLP stack behind them): seconds on a busy
    # machine, which the live server's first request would spend inside the page's timeout.
    get_resolver().url_patterns  # noqa: B018
    user = make_user(corpus, "alice", "annotator")
    article = Article.objects.create(corpus=corpus, title="غارات على الرقة", body=body)
    article.assignments.create(user=user)
    pretag(article)
    return article


def open_panel(page, word: str) -> None:
    page.locator("#doc mark[data-label=LOC]", has_text=word).click()
    page.locator("#span-panel h2 q", has_text=word).wait_for()


def click_map_fills_coordinates(page) -> None:
    box = page.locator("#place-map").bounding_box()
    # The bottom corner: away from the zoom buttons and the pins.
    page.locator("#place-map").click(position={"x": box["width"] - 15, "y": box["height"] - 15})
    wait_until(page, "document.getElementById('custom-lat').value !== ''")
    lat, lon = float(page.input_value("#custom-lat")), float(page.input_value("#custom-lon"))
    assert -90 <= lat <= 90 and -180 <= lon <= 180


@in_browser
@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_each_location_panel_draws_its_own_map(signed_in, corpus, located, locale):
    article = annotated_article(corpus)
    page = signed_in(article.assignments.get().user, "pw-alice", locale=locale)
    page.goto(f"{page.base_url}{article.get_absolute_url()}")
    open_panel(page, "حلب")
    wait_until(page, MAP_DRAWN)
    assert (
        page.evaluate(
            "JSON.parse(document.getElementById('map-data').textContent).candidates.length"
        )
        == 2
    )
    click_map_fills_coordinates(page)

    # Another location: its own pins, the first map removed with its panel, not left running.
    page.evaluate("window.firstMap = document.getElementById('place-map')")
    open_panel(page, "الرقة")
    wait_until(page, MAP_DRAWN)
    assert page.evaluate(ONE_MAP)
    assert page.evaluate("!firstMap.isConnected && !firstMap.querySelector('.leaflet-pane')")
    click_map_fills_coordinates(page)


@in_browser
def test_locations_opened_in_quick_succession_leave_one_map(signed_in, corpus, located):
    article = annotated_article(corpus)
    page = signed_in(article.assignments.get().user, "pw-alice")
    page.goto(f"{page.base_url}{article.get_absolute_url()}")
    # The second panel comes while the first map still waits for its outlines.
    page.locator("#doc mark[data-label=LOC]", has_text="حلب").click()
    page.locator("#place-map").wait_for()
    page.locator("#doc mark[data-label=LOC]", has_text="الرقة").click()
    page.locator("#span-panel h2 q", has_text="الرقة").wait_for()
    wait_until(page, MAP_DRAWN)
    page.wait_for_timeout(300)  # any late drawing into the first map would show by now
    assert page.evaluate(ONE_MAP)


@in_browser
def test_the_span_page_draws_the_map(signed_in, corpus, located):
    article = annotated_article(corpus)
    page = signed_in(article.assignments.get().user, "pw-alice", locale="ar")
    span = Span.objects.get(layer__kind=Layer.MACHINE, start=article.body.index("حلب"))
    page.goto(f"{page.base_url}{reverse('span_detail', args=[span.pk])}")
    wait_until(page, MAP_DRAWN)
    click_map_fills_coordinates(page)


# The candidate list, through the search view (the panel includes the same template).


def logged_in(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def loc_span(article, user, word: str, place: Place | None = None) -> Span:
    layer = annotator_layer(article, user)
    start = article.body.index(word)
    return Span.objects.create(
        layer=layer, start=start, end=start + len(word), label="LOC", place=place
    )


@pytest.fixture
def shahrekord(db) -> Place:
    """A town GeoNames knows by its Latin name only, in an area known by its code only."""
    place = Place.objects.create(
        geonameid=115770, name="Shahr-e Kord", country_code="IR", admin1_code="35",
        feature_class="P", feature_code="PPLA", population=107490, latitude=32.33,
        longitude=50.86,
    )  # fmt: skip
    PlaceName.objects.create(place=place, name=place.name, lang="en", key=match_key(place.name))
    return place


def test_a_latin_candidate_reads_in_words(alice, article, places, shahrekord):
    raqqa = places["raqqa"]
    raqqa.latitude, raqqa.longitude = WHERE["raqqa"]
    raqqa.save()
    loc_span(article, alice, "الرقة", raqqa)  # the article's other place
    span = loc_span(article, alice, "حلب")
    url = reverse("place_search", args=[span.pk])
    distance = round(km(32.33, 50.86, *WHERE["raqqa"]))

    html = logged_in(alice).get(url, {"q": "Shahr"}, **HX).content.decode()
    # Read the candidate's line alone: the CSRF token elsewhere in the fragment is random
    # and can hold "35" by chance (it did, once, in CI).
    meta = re.search(r'<span class="meta">(.*?)</span>', html, re.S).group(1)
    assert "Shahr-e Kord" in html and "IR ·" not in meta and "35" not in meta
    assert "Iran" in meta and "pop. 107,490" in meta and "107490" not in meta
    assert f"{distance:,} km from the article&#x27;s other places" in html

    arabic = logged_in(alice, "ar").get(url, {"q": "Shahr"}, **HX).content.decode()
    meta = re.search(r'<span class="meta">(.*?)</span>', arabic, re.S).group(1)
    assert "إيران" in meta and "١٠٧٬٤٩٠" in meta and "Iran" not in meta


def test_a_read_only_layer_lists_its_candidates_without_forms(alice, article, places):
    span = loc_span(article, alice, "حلب", places["aleppo"])
    Layer.objects.filter(pk=span.layer_id).update(state=Layer.SUBMITTED)
    url = reverse("place_search", args=[span.pk])
    html = logged_in(alice).get(url, {"q": "حلب"}, **HX).content.decode()
    assert "Aleppo" in html and 'aria-current="true"' in html
    assert "<form" not in html and "data-candidate" not in html and "<button" not in html


def test_the_linked_place_is_listed_when_not_among_the_candidates(alice, article, places):
    camp = add_place("Diyala camp", ["مخيم ديالى"], None, "IQ", latitude=33.75, longitude=45.0)
    span = loc_span(article, alice, "حلب", camp)
    url = reverse("place_search", args=[span.pk])
    html = logged_in(alice).get(url, {"q": "حلب"}, **HX).content.decode()
    current = html[html.index('aria-current="true"') :]
    assert "Diyala camp" in current[: current.index("</li>")]
    assert 'data-candidate="1"' in html  # the ranked candidates still there to choose
    empty = logged_in(alice).get(url, {"q": "زززز"}, **HX).content.decode()
    assert "Diyala camp" in empty and "No candidates in the gazetteer" not in empty


@pytest.mark.parametrize(
    ("code", "population", "kind"),
    [
        ("PPLC", 1_000, "capital"),
        ("PPL", 1_602_264, "city"),
        ("PPL", 23_000, "town"),
        ("PPL", 800, "village"),
        ("PPL", 0, "town or village"),
        ("ADM1", 0, "region"),
        ("PCLI", 0, "country"),
    ],
)
def test_kinds_of_places_in_words(code, population, kind):
    from annotations import place_display

    place = Place(feature_class="P" if code.startswith("PPL") else "A", feature_code=code)
    place.population = population
    assert place_display.kind(place) == kind


def test_numbers_in_the_interface_s_digits():
    from annotations import place_display

    assert place_display.number(107490, arabic=False) == "107,490"
    assert place_display.number(107490, arabic=True) == "١٠٧٬٤٩٠"
    assert place_display.number(645, arabic=True) == "٦٤٥"
