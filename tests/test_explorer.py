"""The events explorer: which events, filters, sorting, the map points, the weekly timeline,
the CSV, the row's link into its article, and who may see it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import explorer
from annotations.models import Actor, Article, Corpus, Event, Evidence, Layer, Membership, Place

from .conftest import add_place, make_user

HX = {"HTTP_HX_REQUEST": "true"}
URL = reverse("event_explorer")
CSV_URL = reverse("event_explorer_csv")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def coded(layer: Layer, sub: str, when: date | None, place: Place | None = None, **kw) -> Event:
    event_type = next(t for t, subs in explorer.EVENT_TYPES.items() if sub in subs)
    return Event.objects.create(
        layer=layer, event_type=event_type, sub_event_type=sub, event_date=when, place=place, **kw
    )


@pytest.fixture
def coded_corpus(corpus, alice, editor):
    """Two articles with gold layers (four events) and alice's layer of one (one event)."""
    raqqa = add_place("Ar Raqqah", ["الرقة"], 172955, admin1_code="04", admin1="Raqqa")
    raqqa.latitude, raqqa.longitude = 35.95, 39.01
    raqqa.save()
    aleppo = add_place("Aleppo", ["حلب"], 170063, admin1_code="09", admin1="Aleppo")
    aleppo.latitude, aleppo.longitude = 36.2, 37.16
    aleppo.save()
    baghdad = add_place("Baghdad", ["بغداد"], 98182, "IQ", latitude=33.34, longitude=44.4)
    isis = Actor.objects.create(name="Islamic State", inter_code=2)
    army = Actor.objects.create(name="Military Forces of Syria", inter_code=1)
    one = Article.objects.create(corpus=corpus, title="=غارات على الرقة", body="قصفت طائرات الرقة.")
    two = Article.objects.create(corpus=corpus, title="اشتباكات في حلب", body="اشتباكات في حلب.")
    gold_one = Layer.objects.create(article=one, kind=Layer.GOLD)
    gold_two = Layer.objects.create(article=two, kind=Layer.GOLD)
    own = Layer.objects.create(article=one, kind=Layer.ANNOTATOR, annotator=alice)
    events = {
        "strike": coded(gold_one, "Air/drone strike", date(2025, 3, 3), raqqa, fatalities=4),
        "shelling": coded(
            gold_one, "Shelling/artillery/missile attack", date(2025, 3, 4), raqqa, fatalities=0
        ),
        "clash": coded(
            gold_two,
            "Armed clash",
            date(2025, 3, 19),
            aleppo,
            fatalities=7,
            actor1=army,
            actor2=isis,
        ),
        "undated": coded(gold_two, "Arrests", None, baghdad),
        "alice": coded(own, "Peaceful protest", date(2025, 3, 5), raqqa),
    }
    Evidence.objects.create(event=events["strike"], field="event_type", start=0, end=4)
    return {"events": events, "isis": isis, "raqqa": raqqa, "articles": (one, two)}


def shown_ids(response) -> list[int]:
    """The events of the table, in order: each row's first link opens it in its article."""
    links = re.findall(r'href="/events/(\d+)/in-article/#event-panel">#', response.content.decode())
    return [int(n) for n in links]


def test_it_lists_the_gold_events_newest_first(editor, coded_corpus):
    response = logged_in(editor).get(URL)
    e = coded_corpus["events"]
    assert response.status_code == 200
    # Undated last, whichever the direction; alice's layer is not gold.
    assert shown_ids(response) == [e[k].pk for k in ("clash", "shelling", "strike", "undated")]
    html = response.content.decode()
    assert 'id="event-map"' in html and 'id="event-points"' in html and "<svg" in html


def test_a_chosen_annotators_layer_instead_of_gold(editor, alice, coded_corpus):
    client = logged_in(editor)
    response = client.get(URL, {"annotator": alice.pk})
    assert shown_ids(response) == [coded_corpus["events"]["alice"].pk]
    assert f'<option value="{alice.pk}" selected>alice</option>' in response.content.decode()
    text = b"".join(client.get(CSV_URL, {"annotator": alice.pk}).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["event_id"], r["layer"]) for r in rows] == [
        (str(coded_corpus["events"]["alice"].pk), "alice")
    ]


def test_someone_with_no_layer_in_the_corpus_shows_its_gold(editor, coded_corpus):
    # As when the corpus is changed with another corpus's annotator still in the form.
    response = logged_in(editor).get(URL, {"annotator": editor.pk})
    assert len(shown_ids(response)) == 4


def test_the_pre_tags_instead_of_gold_and_their_events_open_in_their_article(editor, coded_corpus):
    one, _two = coded_corpus["articles"]
    machine = Layer.objects.create(article=one, kind=Layer.MACHINE)
    found = coded(machine, "Air/drone strike", date(2025, 3, 3), coded_corpus["raqqa"])
    client = logged_in(editor)
    response = client.get(URL, {"annotator": "machine"})
    html = response.content.decode()
    assert shown_ids(response) == [found.pk] and '<option value="machine" selected>' in html
    assert '<input type="hidden" name="annotator" value="machine">' in html  # the filters keep it
    text = b"".join(client.get(CSV_URL, {"annotator": "machine"}).streaming_content).decode()
    assert [r["layer"] for r in csv.DictReader(io.StringIO(text))] == ["machine"]
    opened = client.get(reverse("event_in_article", args=[found.pk]))
    assert opened.status_code == 200 and f'data-event="{found.pk}"' in opened.content.decode()
    for wrong in ("machines", "0", "-1", "1e3", "٣"):  # gold, as for no choice
        assert len(shown_ids(client.get(URL, {"annotator": wrong}))) == 4, wrong


def test_an_empty_table_says_whether_filters_or_the_layers_hide_everything(editor, corpus):
    article = Article.objects.create(corpus=corpus, title="t", body="قصفت طائرات الرقة.")
    coded(Layer.objects.create(article=article, kind=Layer.MACHINE), "Air/drone strike", None)
    client = logged_in(editor)
    gold = client.get(URL).content.decode()
    assert "No gold event in this corpus yet" in gold and "Pre-tags (machine)" in gold
    assert "No event matches." in client.get(URL, {"annotator": "machine", "fatalities_min": 5},
                                             **HX).content.decode()  # fmt: skip
    assert shown_ids(client.get(URL, {"annotator": "machine"}))
    arabic = Client(HTTP_ACCEPT_LANGUAGE="ar")
    arabic.force_login(editor)
    assert "No gold event" not in arabic.get(URL).content.decode()


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"date_from": "2025-03-04", "date_to": "2025-03-10"}, ["shelling"]),
        ({"event_type": "Battles"}, ["clash"]),
        ({"sub_event_type": "Air/drone strike"}, ["strike"]),
        ({"country": "IQ"}, ["undated"]),
        ({"admin1": "SY.04"}, ["shelling", "strike"]),
        ({"fatalities_min": "1"}, ["clash", "strike"]),
        ({"fatalities_min": "0"}, ["clash", "shelling", "strike"]),
    ],
)
def test_filters(editor, coded_corpus, query, expected):
    response = logged_in(editor).get(URL, query)
    assert shown_ids(response) == [coded_corpus["events"][k].pk for k in expected]


def test_the_actor_and_place_filters(editor, coded_corpus):
    client = logged_in(editor)
    clash = coded_corpus["events"]["clash"].pk
    assert shown_ids(client.get(URL, {"actor": coded_corpus["isis"].pk})) == [clash]
    by_place = client.get(URL, {"place": coded_corpus["raqqa"].pk})
    assert len(shown_ids(by_place)) == 2


def test_an_invalid_filter_is_left_out_and_said(editor, coded_corpus):
    response = logged_in(editor).get(URL, {"country": "<b>", "fatalities_min": "x"})
    assert len(shown_ids(response)) == 4
    assert "Some filters are not valid" in response.content.decode()


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("date", ["strike", "shelling", "clash", "undated"]),
        ("fatalities", ["shelling", "strike", "clash", "undated"]),
        ("-fatalities", ["clash", "strike", "shelling", "undated"]),
        ("place", ["clash", "strike", "shelling", "undated"]),  # Aleppo, Ar Raqqah ×2 by id
        ("drop table", ["clash", "shelling", "strike", "undated"]),  # not whitelisted: default
    ],
)
def test_sorting(editor, coded_corpus, sort, expected):
    response = logged_in(editor).get(URL, {"sort": sort})
    e = coded_corpus["events"]
    assert shown_ids(response) == [e[k].pk for k in expected]


def test_a_filter_request_from_htmx_swaps_the_results(editor, coded_corpus):
    response = logged_in(editor).get(URL, {"event_type": "Battles"}, **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert '<nav class="top"' not in html and 'id="event-points"' in html
    points = json.loads(
        re.search(r'id="event-points" type="application/json">(.*?)</script>', html)[1]
    )
    assert [p[2:4] for p in points] == [[1, "Aleppo"]]


def test_a_sort_from_htmx_swaps_only_the_table(editor, coded_corpus):
    client = logged_in(editor)
    response = client.get(URL, {"sort": "date"}, HTTP_HX_TARGET="event-table", **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="event-table"')
    assert "event-points" not in html and "<svg" not in html
    assert 'aria-sort="ascending"' in html
    assert "sort=-date" in html  # a second click on the date sorts the other way


def test_pages_of_100(editor, coded_corpus, django_assert_max_num_queries):
    gold = Layer.objects.get(article=coded_corpus["articles"][0], kind=Layer.GOLD)
    Event.objects.bulk_create(
        Event(
            layer=gold,
            event_type="Battles",
            sub_event_type="Armed clash",
            event_date=date(2025, 1, 1 + i % 28),
            place=coded_corpus["raqqa"],
        )
        for i in range(250)
    )
    client = logged_in(editor)
    with django_assert_max_num_queries(16):
        first = client.get(URL)
    assert len(shown_ids(first)) == 100 and "Page 1 of 3" in first.content.decode()
    with django_assert_max_num_queries(16):
        last = client.get(URL, {"page": 3}, HTTP_HX_TARGET="event-table", **HX)
    assert len(shown_ids(last)) == 54


def test_queries_do_not_grow_with_rows(editor, coded_corpus, django_assert_num_queries):
    client = logged_in(editor)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    gold = Layer.objects.get(article=coded_corpus["articles"][1], kind=Layer.GOLD)
    Event.objects.bulk_create(
        Event(
            layer=gold,
            event_type="Battles",
            sub_event_type="Armed clash",
            fatalities=i,
            event_date=date(2025, 2, 1 + i % 28),
            place=coded_corpus["raqqa"],
            actor1=coded_corpus["isis"],
        )
        for i in range(80)
    )
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(URL)


def test_the_timeline_counts_iso_weeks_by_sub_type(coded_corpus, corpus):
    found = explorer.events(explorer.Selection(corpus))
    line = explorer.timeline(found)
    # 3 March 2025 is a Monday: the strike and the shelling share its week; the clash is
    # the week after next; the week between is drawn empty.
    assert [(w.label, w.total) for w in line.weeks] == [
        ("2025-W10", 2),
        ("2025-W11", 0),
        ("2025-W12", 1),
    ]
    assert [s.sub_event_type for s in line.weeks[0].segments] == [
        "Air/drone strike",
        "Shelling/artillery/missile attack",
    ]
    assert line.highest == 2 and line.undated == 1
    assert line.weeks[0].segments[-1].y == 0  # the highest week fills the chart
    assert [sub for _, sub, _ in line.legend] == [
        "Armed clash",
        "Air/drone strike",
        "Shelling/artillery/missile attack",
    ]


def test_map_points_are_places_with_their_counts(coded_corpus, corpus):
    points = explorer.map_points(explorer.events(explorer.Selection(corpus)))
    assert sorted(p[2:4] for p in points) == [[1, "Aleppo"], [1, "Baghdad"], [2, "Ar Raqqah"]]


def test_the_csv_has_every_filtered_event(editor, coded_corpus):
    gold = Layer.objects.get(article=coded_corpus["articles"][0], kind=Layer.GOLD)
    Event.objects.bulk_create(
        Event(layer=gold, event_type="Battles", sub_event_type="Armed clash", fatalities=1)
        for _ in range(120)
    )
    response = logged_in(editor).get(CSV_URL, {"fatalities_min": 1, "sort": "-fatalities"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 122  # every page, not only the first 100
    first = rows[0]
    clash = coded_corpus["events"]["clash"]
    assert first["event_id"] == str(clash.pk) and first["fatalities"] == "7"
    assert (first["actor1"], first["actor2"]) == ("Military Forces of Syria", "Islamic State")
    assert (first["location"], first["country"], first["latitude"]) == ("Aleppo", "SY", "36.2")
    assert first["article_title"] == "اشتباكات في حلب" and first["layer"] == "gold"
    strike = next(r for r in rows if r["event_id"] == str(coded_corpus["events"]["strike"].pk))
    assert strike["article_title"] == "'=غارات على الرقة"  # never a spreadsheet formula
    assert strike["event_date"] == "2025-03-03"


def test_a_row_opens_its_event_in_its_article(editor, coded_corpus):
    strike = coded_corpus["events"]["strike"]
    response = logged_in(editor).get(reverse("event_in_article", args=[strike.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-event="{strike.pk}"' in html  # the event's panel is open
    assert 'id="event-evidence"' in html and '<bdi dir="rtl" lang="ar">قصفت</bdi>' in html
    assert f'?layer={strike.layer_id}" data-layer="{strike.layer_id}"' in html


def test_annotators_and_strangers_are_refused(alice, stranger, coded_corpus):
    strike = coded_corpus["events"]["strike"]
    for user in (alice, stranger):
        client = logged_in(user)
        assert client.get(URL).status_code == 404
        assert client.get(URL, **HX).status_code == 404
        assert client.get(CSV_URL).status_code == 404
        assert client.get(reverse("event_in_article", args=[strike.pk])).status_code == 404
    assert Client().get(URL).status_code == 302  # to the login page


def test_an_editor_of_another_corpus_sees_none_of_this_one(coded_corpus, corpus):
    other = make_user(None, "oscar", None)
    theirs = Corpus.objects.create(name="Elsewhere")
    Membership.objects.create(corpus=theirs, user=other, role=Membership.EDITOR)
    client = logged_in(other)
    assert client.get(URL, {"corpus": corpus.pk}).status_code == 404
    assert shown_ids(client.get(URL)) == []
    strike = coded_corpus["events"]["strike"]
    assert client.get(reverse("event_in_article", args=[strike.pk])).status_code == 404


def test_the_nav_links_editors_to_the_explorer(editor, alice, coded_corpus):
    assert f'href="{URL}"' in logged_in(editor).get(reverse("review")).content.decode()
    assert f'href="{URL}"' not in logged_in(alice).get(reverse("article_list")).content.decode()
