"""Linking location spans to places: candidates, choosing, searching, custom places."""

from django.test import Client
from django.urls import reverse

from annotations.gazetteer import name_index
from annotations.models import AuditEntry, Place, Span
from annotations.spans import annotator_layer
from annotations.taggers import pretag

from .conftest import add_place

HX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def loc_span(article, user, word: str) -> Span:
    layer = annotator_layer(article, user)
    start = article.body.index(word)
    return Span.objects.create(layer=layer, start=start, end=start + len(word), label="LOC")


def test_the_panel_of_a_location_lists_ranked_candidates(alice, article, places):
    other = add_place("Halab", ["حلب"], 999001, "IQ", population=2000)
    span = loc_span(article, alice, "حلب")
    html = logged_in(alice).get(reverse("span_detail", args=[span.pk]), **HX).content.decode()
    assert html.index(f'value="{places["aleppo"].pk}"') < html.index(f'value="{other.pk}"')
    assert 'data-candidate="1"' in html and 'data-candidate="2"' in html
    assert 'id="place-map"' in html and 'id="map-data"' in html
    assert "population" in html  # the score explains itself in a tooltip


def test_choosing_a_candidate_confirms_the_link(alice, article, places):
    span = loc_span(article, alice, "الرقة")
    url = reverse("span_link", args=[span.pk])
    response = logged_in(alice).post(url, {"place": places["raqqa"].pk, "version": 1}, **HX)
    assert response.status_code == 200 and "Linked 1 mention" in response.content.decode()
    span.refresh_from_db()
    assert (span.place, span.link_status) == (places["raqqa"], "confirmed")
    assert AuditEntry.objects.get(object_id=span.pk).after["place"] == places["raqqa"].pk


def test_link_all_mentions_of_a_name(alice, corpus, places):
    from annotations.models import Article

    body = "قصف على حلب صباحا. وفي المساء عاد القصف إلى حلب."
    article = Article.objects.create(corpus=corpus, title="t", body=body)
    article.assignments.create(user=alice)
    first = loc_span(article, alice, "حلب")
    second = Span.objects.create(
        layer=first.layer, start=body.rindex("حلب"), end=body.rindex("حلب") + 3, label="LOC"
    )
    url = reverse("span_link", args=[first.pk])
    data = {"place": places["aleppo"].pk, "version": 1, "all": "1"}
    assert logged_in(alice).post(url, data, **HX).status_code == 200
    second.refresh_from_db()
    assert second.place == places["aleppo"]


def test_bad_links_are_refused(alice, bob, article, places):
    span = loc_span(article, alice, "الرقة")
    person = Span.objects.create(layer=span.layer, start=0, end=4, label="PERS")
    client = logged_in(alice)
    raqqa = places["raqqa"].pk
    refused = client.post(
        reverse("span_link", args=[person.pk]), {"place": raqqa, "version": 1}, **HX
    )
    assert refused.status_code == 422 and "Only a location" in refused.content.decode()
    unknown = client.post(reverse("span_link", args=[span.pk]), {"place": 0, "version": 1}, **HX)
    assert unknown.status_code == 404
    stale = client.post(reverse("span_link", args=[span.pk]), {"place": raqqa, "version": 7}, **HX)
    assert stale.status_code == 409
    other = logged_in(bob).post(
        reverse("span_link", args=[span.pk]), {"place": raqqa, "version": 1}
    )
    assert other.status_code == 404
    span.refresh_from_db()
    assert span.place is None


def test_search_finds_places_by_prefix(alice, article, places):
    span = loc_span(article, alice, "الرقة")
    url = reverse("place_search", args=[span.pk])
    html = logged_in(alice).get(url, {"q": "مسك"}, **HX).content.decode()
    assert 'id="candidates"' in html and f'value="{places["maskanah"].pk}"' in html
    assert "<html" not in html
    empty = logged_in(alice).get(url, {"q": "زززز"}, **HX).content.decode()
    assert "No place by that name" in empty


def test_a_custom_place_is_created_linked_and_matched_later(alice, article, corpus, places):
    span = loc_span(article, alice, "مصدر")  # pretend it is a village the gazetteer lacks
    span.label = "LOC"
    span.save()
    url = reverse("place_create", args=[span.pk])
    data = {
        "name_ar": "تل الحمام",
        "name_en": "Tall al-Hammam",
        "country": "sy",
        "admin1": "Ar-Raqqah",
        "latitude": "36.1",
        "longitude": "38.9",
        "version": 1,
    }
    assert logged_in(alice).post(url, data, **HX).status_code == 200
    place = Place.objects.get(source="custom")
    assert (place.country_code, place.geonameid, place.latitude) == ("SY", None, 36.1)
    span.refresh_from_db()
    assert span.place == place and span.link_status == "confirmed"
    # Later mentions of the new name are found and linked by pre-tagging.
    from annotations.models import Article

    later = Article.objects.create(corpus=corpus, title="t2", body="قصف على قرية تل الحمام أمس.")
    assert name_index().lookup("تل الحمام")
    machine = pretag(later)
    assert [(s.place_id, s.link_status) for s in machine.spans.all()] == [(place.pk, "auto")]


def test_bad_coordinates_are_refused_with_a_message(alice, article, places):
    span = loc_span(article, alice, "الرقة")
    url = reverse("place_create", args=[span.pk])
    data = {"name_ar": "مكان", "latitude": "123", "longitude": "x", "version": 1}
    response = logged_in(alice).post(url, data, **HX)
    assert response.status_code == 422 and "Invalid place" in response.content.decode()
    data["longitude"] = "38"
    response = logged_in(alice).post(url, data, **HX)
    assert response.status_code == 422 and "coordinates out of range" in response.content.decode()
    assert not Place.objects.filter(source="custom").exists()
