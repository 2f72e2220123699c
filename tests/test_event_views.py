"""The event panel: create from a sentence, edit with validation, cite evidence, delete."""

from datetime import date

from django.test import Client
from django.urls import reverse

from annotations.actors import load_actors
from annotations.models import Actor, AuditEntry, Event, Span
from annotations.spans import annotator_layer

from .test_spans import piece_of

HX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def created(client, article, word="الاشتباكات", version=1):
    data = {"start": piece_of(article, word), "end": piece_of(article, word), "version": version}
    return client.post(reverse("event_create", args=[article.pk]), data, **HX)


def test_an_event_is_created_from_a_sentence_prefilled(alice, article, places):
    article.published_at = date(2025, 3, 1)
    article.save(update_fields=["published_at"])
    load_actors()
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    response = created(client, article)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="event-panel" hx-swap-oob="true"' in html
    event = Event.objects.get(layer__annotator=alice)
    assert (event.sub_event_type, event.fatalities, event.origin) == ("Armed clash", 3, "human")
    assert AuditEntry.objects.filter(object_type="event", action="create").count() == 1


def test_editing_validates_type_pairs_dates_and_ranges(alice, article):
    article.published_at = date(2025, 3, 1)
    article.save(update_fields=["published_at"])
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    created(client, article)
    event = Event.objects.get(layer__annotator=alice)
    url = reverse("event_edit", args=[event.pk])
    bad = {
        "event_type": "Battles",
        "sub_event_type": "Air/drone strike",
        "event_date": "2025-03-05",
        "fatalities_low": 5,
        "fatalities_high": 2,
        "version": 2,
    }
    response = client.post(url, bad, **HX, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 422
    assert "is not a sub-type of" in html and "after the report was published" in html
    assert "high estimate is below the low one" in html
    militia = Actor.objects.create(name="Tribal militia", inter_code=4)
    good = dict(bad, sub_event_type="Armed clash", event_date="2025-02-28", fatalities_high=9)
    good |= {"assoc_actor_1": militia.pk, "source": "نشرة نيوزديسك"}
    assert client.post(url, good, **HX).status_code == 200
    event.refresh_from_db()
    assert (event.event_date, event.fatalities_high) == (date(2025, 2, 28), 9)
    assert (event.assoc_actor_1, event.source) == (militia, "نشرة نيوزديسك")
    arabic = client.post(url, dict(bad, version=3), **HX, HTTP_ACCEPT_LANGUAGE="ar")
    assert "ليس نوعًا فرعيًا" in arabic.content.decode()


def test_a_span_is_cited_as_evidence_and_a_stale_write_refused(alice, article):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    created(client, article)
    event = Event.objects.get(layer__annotator=alice)
    layer = annotator_layer(article, alice)
    span = Span.objects.create(
        layer=layer, start=article.body.index("٣"), end=article.body.index("٣") + 1, label="MISC"
    )
    url = reverse("evidence_add", args=[event.pk])
    response = client.post(url, {"span": span.pk, "field": "fatalities", "version": 2}, **HX)
    assert response.status_code == 200
    assert event.evidence.filter(field="fatalities", start=span.start, end=span.end).exists()
    stale = client.post(url, {"span": span.pk, "field": "actor1", "version": 2}, **HX)
    assert stale.status_code == 409
    unknown = client.post(url, {"span": span.pk, "field": "weapon", "version": 3}, **HX)
    assert unknown.status_code == 422


def test_another_users_event_is_a_404_and_deleting_works(alice, bob, article):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    created(client, article)
    event = Event.objects.get(layer__annotator=alice)
    other = logged_in(bob)
    assert other.get(reverse("event_edit", args=[event.pk])).status_code == 404
    assert other.post(reverse("event_delete", args=[event.pk]), {"version": 2}).status_code == 404
    plain = client.post(reverse("event_delete", args=[event.pk]), {"version": 2})
    assert plain.status_code == 302 and not Event.objects.filter(pk=event.pk).exists()
