"""The article list: the search's words and filters, keyset pages, who sees what."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from annotations import search
from annotations.models import Article, Event, Layer, Span

from .conftest import add_place

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(user, **query) -> list[Article]:
    return list(client_of(user).get(reverse("article_list"), query).context["articles"])


def new_article(corpus, title: str, body: str) -> Article:
    return Article.objects.create(corpus=corpus, title=title, body=body)


def test_it_lists_every_visible_article_newest_first_without_filters(corpus, editor):
    made = [new_article(corpus, str(i), f"نص {i}") for i in range(3)]
    assert listed(editor) == list(reversed(made))


def test_it_filters_by_words_event_type_and_place(corpus, editor):
    aleppo = add_place("Aleppo", ["حلب"], 170063, admin1_code="09")
    governorate = add_place("Aleppo Governorate", [], 170062, feature_code="ADM1")
    governorate.admin1_code = "09"
    governorate.save()
    strike = new_article(corpus, "غارة", "غارة جوية على حلب")
    clash = new_article(corpus, "تقرير", "اشتباكات في ريف إدلب")
    layer = Layer.objects.create(article=strike, kind=Layer.MACHINE)
    Span.objects.create(layer=layer, start=13, end=16, label="LOC", place=aleppo)
    other = Layer.objects.create(article=clash, kind=Layer.MACHINE)
    Event.objects.create(layer=other, event_type="Battles", sub_event_type="Armed clash")
    assert listed(editor, q="حلب") == [strike]
    assert listed(editor, event_type="Battles") == [clash]
    assert listed(editor, place=governorate.pk) == [strike]
    assert listed(editor, q="اشتباك") == []  # whole words: اشتباكات is another word


def test_pages_follow_a_keyset_at_any_depth(corpus, editor, monkeypatch):
    monkeypatch.setattr(search, "LIST_PAGE_SIZE", 2)
    made = [new_article(corpus, str(i), f"نص {i}") for i in range(5)]
    client, seen, query = client_of(editor), [], ""
    while True:
        response = client.get(reverse("article_list") + "?" + query)
        seen += response.context["articles"]
        query = response.context["next_query"]
        if not query:
            break
        assert 'id="list-next"' in response.content.decode()
    assert seen == list(reversed(made))
    deep = client.get(reverse("article_list"), {"after": made[2].pk})
    assert list(deep.context["articles"]) == [made[1], made[0]]
    assert 'id="list-first"' in deep.content.decode()


def test_htmx_gets_only_the_table(corpus, editor):
    new_article(corpus, "غارة", "غارة جوية على حلب")
    part = client_of(editor).get(reverse("article_list"), {"q": "حلب"}, **HX).content.decode()
    assert 'id="article-list"' in part and "<html" not in part and "غارة" in part
    page = client_of(editor).get(reverse("article_list"), {"q": "حلب"}).content.decode()
    assert (
        "<html" in page
        and 'id="list-filters"' in page
        and '<details class="list-filters" open' in page
    )


def test_an_annotator_filters_only_assigned_articles_and_a_stranger_sees_none(
    corpus, alice, stranger
):
    mine = new_article(corpus, "أ", "في حلب")
    new_article(corpus, "ب", "في حلب ثانيا")
    mine.assignments.create(user=alice)
    assert listed(alice, q="حلب") == [mine]
    assert listed(stranger, q="حلب") == []
    assert listed(stranger) == []


def test_invalid_filters_are_reported_and_the_list_stays(corpus, editor):
    article = new_article(corpus, "أ", "في حلب")
    response = client_of(editor).get(reverse("article_list"), {"published_from": "yesterday"})
    assert list(response.context["articles"]) == [article]
    assert "search-errors" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(db):
    response = Client().get(reverse("article_list"), {"q": "حلب"})
    assert response.status_code == 302


# Blind annotation: the list's filters look only at layers the user may read.


def others_work(shared: dict) -> list[dict]:
    return [
        {"actor": shared["actor"].pk},
        {"actor": shared["gold_actor"].pk},
        {"place": shared["place"].pk},
        {"event_type": "Battles"},
        {"state": Layer.SUBMITTED},
        {"state": Layer.APPROVED},
    ]


def test_an_annotator_cannot_detect_what_a_colleague_or_gold_coded(shared, alice, bob):
    assert listed(alice) == [shared["article"]]
    for query in others_work(shared):
        assert listed(alice, **query) == [], query
        part = client_of(alice).get(reverse("article_list"), query, **HX).content.decode()
        assert f'href="{shared["article"].get_absolute_url()}"' not in part, query
    assert listed(alice, state=Layer.IN_PROGRESS) == [shared["article"]]  # their own layer
    assert listed(bob, actor=shared["actor"].pk) == [shared["article"]]
    assert listed(bob, actor=shared["gold_actor"].pk) == []


def test_an_annotator_id_the_user_may_not_see_is_refused(shared, alice, bob):
    query = {"annotator": bob.pk, "actor": shared["actor"].pk}
    response = client_of(alice).get(reverse("article_list"), query)
    # As any invalid filter: reported, and the list is every visible article, unfiltered.
    assert response.context["form"].errors["annotator_text"] == ["Nothing of that name."]
    assert "search-errors" in response.content.decode()
    assert list(response.context["articles"]) == [shared["article"]]
    part = client_of(alice).get(reverse("article_list"), {"annotator": "9" * 20}, **HX)
    assert part.status_code == 200 and 'id="article-list"' in part.content.decode()


def test_an_editor_still_filters_by_any_layer_and_annotator(shared, editor, bob):
    for query in others_work(shared):
        assert listed(editor, **query) == [shared["article"]], query
    assert listed(editor, annotator=bob.pk, actor=shared["actor"].pk) == [shared["article"]]
    assert listed(editor, annotator=bob.pk, actor=shared["gold_actor"].pk) == []


@pytest.mark.parametrize("bad", ["²", "١٢", "-1", "99999999999999999999"])
def test_a_cursor_that_names_no_row_starts_at_the_first_page(corpus, editor, bad):
    made = [new_article(corpus, str(i), f"نص {i}") for i in range(3)]
    links = [f'href="{a.get_absolute_url()}"' for a in reversed(made)]
    for query in ({"after": bad}, {"after": bad, "q": "نص"}):
        response = client_of(editor).get(reverse("article_list"), query)
        assert list(response.context["articles"]) == list(reversed(made))
        part = client_of(editor).get(reverse("article_list"), query, **HX)
        assert part.status_code == 200
        assert [link in part.content.decode() for link in links] == [True] * 3
