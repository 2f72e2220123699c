"""The event panel: create from a sentence, edit with validation, cite evidence, delete."""

from datetime import date

from django.test import Client
from django.urls import reverse

from annotations.actors import load_actors
from annotations.models import Actor, Article, Assignment, AuditEntry, Event, Span
from annotations.spans import annotator_layer
from annotations.taggers import pretag

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


# --- Key E and the publication date (issue 10) ----------------------------------------------


def test_event_from_a_toll_sentence_gets_the_pre_coders_sub_type(alice, stranger, corpus):
    body = "قصفت طائرات حربية بلدة مسكنة. وقتل 35 مدنيا.\nووقعت الأطراف اتفاق وقف إطلاق النار."
    article = Article.objects.create(
        corpus=corpus, title="t", body=body, published_at=date(2025, 3, 1)
    )
    Assignment.objects.create(article=article, user=alice)
    client = logged_in(alice)
    response = created(client, article, word="مدنيا")
    assert (
        response.status_code == 200
        and 'id="event-panel" hx-swap-oob="true"' in response.content.decode()
    )
    event = Event.objects.get(layer__annotator=alice, origin="human")
    # The toll belongs to the strike the pre-coder told just before; never "Other".
    assert (event.sub_event_type, event.fatalities) == ("Air/drone strike", 35)
    data = {"start": piece_of(article, "اتفاق"), "end": piece_of(article, "اتفاق"), "version": 2}
    response = client.post(reverse("event_create", args=[article.pk]), data)
    latest = Event.objects.filter(layer__annotator=alice, origin="human").latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse(
        "event_edit", args=[latest.pk]
    )
    assert latest.sub_event_type == "Agreement"
    assert created(logged_in(stranger), article, word="مدنيا").status_code == 404


def test_an_article_without_a_publication_date_is_flagged(alice, editor, article):
    page = logged_in(alice).get(article.get_absolute_url()).content.decode()
    assert 'id="undated-notice"' in page and 'name="published_at"' not in page
    assert "no publication date" in logged_in(alice).get(reverse("article_list")).content.decode()
    assert "no publication date" in logged_in(editor).get(reverse("review")).content.decode()
    page = logged_in(editor).get(article.get_absolute_url()).content.decode()
    assert 'id="undated-notice"' in page and 'name="published_at"' in page  # editors may set it
    article.published_at = date(2025, 3, 1)
    article.save(update_fields=["published_at"])
    assert (
        'id="undated-notice"'
        not in logged_in(alice).get(article.get_absolute_url()).content.decode()
    )
    assert (
        "no publication date" not in logged_in(alice).get(reverse("article_list")).content.decode()
    )


def test_an_editor_sets_the_date_and_the_machine_dates_are_resolved_again(alice, editor, article):
    machine = pretag(article, force=True)
    strike = machine.events.get(sub_event_type="Air/drone strike")
    assert (strike.event_date, strike.time_precision) == (None, 3)  # "صباح اليوم" of what day?
    own = annotator_layer(article, alice)  # alice's copy, made before the date was known
    url = reverse("article_date", args=[article.pk])
    response = logged_in(editor).post(url, {"published_at": "2025-03-01"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="published"' in html
    assert 'id="undated-notice"' not in html
    strike.refresh_from_db()
    assert (strike.event_date, strike.time_precision) == (date(2025, 3, 1), 1)
    cited = [article.body[e.start : e.end] for e in strike.evidence.filter(field="event_date")]
    assert cited == ["صباح اليوم"]
    assert machine.events.filter(event_date=date(2025, 3, 1)).count() == machine.events.count()
    assert not own.events.filter(event_date__isnull=False).exists()  # annotators' work stays
    entry = AuditEntry.objects.get(object_type="article", object_id=article.pk)
    assert (entry.user, entry.before, entry.after["published_at"]) == (
        editor,
        {"published_at": None},
        "2025-03-01",
    )
    response = logged_in(editor).post(url, {"published_at": "2025-03-02"})
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    strike.refresh_from_db()
    assert strike.event_date == date(2025, 3, 2)


def test_a_bad_publication_date_is_refused_with_a_message(editor, article):
    url = reverse("article_date", args=[article.pk])
    client = logged_in(editor)
    for garbage in ("31/02/2025x", "", "2999-01-01"):
        response = client.post(url, {"published_at": garbage}, **HX)
        assert response.status_code == 422
        assert 'class="error"' in response.content.decode()
    response = client.post(url, {"published_at": "yesterday"}, follow=True)
    assert "Enter the publication date as YYYY-MM-DD." in response.content.decode()
    article.refresh_from_db()
    assert article.published_at is None


def test_only_the_corpus_editors_may_set_the_date(alice, stranger, article):
    url = reverse("article_date", args=[article.pk])
    for user in (alice, stranger):
        assert logged_in(user).post(url, {"published_at": "2025-03-01"}, **HX).status_code == 404
        assert logged_in(user).post(url, {"published_at": "2025-03-01"}).status_code == 404
    assert Client().post(url, {"published_at": "2025-03-01"}).status_code == 302  # to log in
    article.refresh_from_db()
    assert article.published_at is None and not AuditEntry.objects.filter(object_type="article")
