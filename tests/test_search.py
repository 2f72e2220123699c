"""Search: Arabic-aware matching, filters, keyset pages, hits in context, who sees what."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from annotations import search
from annotations.models import Actor, Article, Corpus, Event, Layer, Span

from .conftest import add_place, make_user

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def found(user, query: str, **filters) -> list[Article]:
    return list(search.search(user, query, search.Filters(**filters)))


def new_article(corpus, title: str, body: str, published: str | None = None) -> Article:
    date = datetime.date.fromisoformat(published) if published else None
    return Article.objects.create(corpus=corpus, title=title, body=body, published_at=date)


def test_it_ignores_diacritics_and_teh_marbuta(corpus, editor):
    hit = new_article(corpus, "تقرير", "سقطت قذائف على مدينة مَسْكَنة شرق حلب.")
    new_article(corpus, "تقرير آخر", "هدوء في مدينة منبج.")
    assert found(editor, "مسكنه") == [hit]


def test_it_finds_a_name_behind_proclitics_both_ways(corpus, editor):
    attached = new_article(corpus, "أ", "وصلت القوات وبالرقة اشتباكات عنيفة.")
    bare = new_article(corpus, "ب", "اشتباكات في الرقة اليوم.")
    assert set(found(editor, "الرقة")) == {attached, bare}
    assert set(found(editor, "وبالرقة")) == {attached, bare}


def test_it_matches_whole_words_in_order(corpus, editor):
    article = new_article(corpus, "أ", "قصفت طائرات حربية ريف حلب الشرقي.")
    assert found(editor, "ريف حلب") == [article]
    assert found(editor, "حلب ريف") == []
    assert found(editor, "حل") == []  # part of a word is no word


def test_the_title_is_searched_too(corpus, editor):
    article = new_article(corpus, "غارات على إدلب", "نص بلا أسماء.")
    assert found(editor, "ادلب") == [article]
    assert search.snippet(article, "ادلب").in_title


def test_the_snippet_shows_the_original_text_around_the_hit(corpus, editor):
    article = new_article(corpus, "أ", "وصلت القوات وبالرقة اشتباكات عنيفة.")
    hit = search.snippet(article, "الرقة")
    assert (hit.before, hit.hit, hit.after) == ("وصلت القوات ", "وبالرقة", " اشتباكات عنيفة.")


def test_filters_by_corpus_and_publication_date(corpus, editor):
    other = Corpus.objects.create(name="Other")
    other.memberships.create(user=editor, role="editor")
    early = new_article(corpus, "أ", "في حلب", "2026-01-05")
    late = new_article(corpus, "ب", "في حلب ثانيا", "2026-03-05")
    elsewhere = new_article(other, "ج", "في حلب", "2026-03-06")
    assert found(editor, "حلب", corpus=other.pk) == [elsewhere]
    since = datetime.date(2026, 2, 1)
    assert found(editor, "حلب", corpus=corpus.pk, published_from=since) == [late]
    assert found(editor, "حلب", published_to=since) == [early]


def test_filters_by_a_place_and_the_places_under_it(corpus, editor, alice):
    syria = add_place("Syria", [], 163843, feature_code="PCLI")
    raqqa_gov = add_place(
        "Ar Raqqah Governorate", [], 172954, feature_code="ADM1", admin1_code="04"
    )
    town = add_place("Maskanah", ["مسكنة"], 166365, admin1_code="04")
    iraq_town = add_place("Mosul", ["الموصل"], 99072, country="IQ")
    near = new_article(corpus, "أ", "قصف على مسكنة")
    far = new_article(corpus, "ب", "قصف على الموصل")
    for article, place in ((near, town), (far, iraq_town)):
        layer = Layer.objects.create(article=article, kind=Layer.MACHINE)
        start = article.body.index(" على ") + 5
        Span.objects.create(
            layer=layer, start=start, end=len(article.body), label="LOC", place=place
        )
    assert found(editor, "قصف", place=town.pk) == [near]
    assert found(editor, "قصف", place=raqqa_gov.pk) == [near]
    assert found(editor, "قصف", place=syria.pk) == [near]
    assert found(editor, "قصف", place=iraq_town.pk) == [far]


def test_filters_by_actor_state_and_annotator(corpus, editor, alice, bob):
    coded = new_article(corpus, "أ", "هجوم في حلب")
    plain = new_article(corpus, "ب", "هجوم آخر في حلب")
    actor = Actor.objects.create(name="Military Forces of Syria", inter_code=1)
    layer = Layer.objects.create(
        article=coded, kind=Layer.ANNOTATOR, annotator=alice, state=Layer.SUBMITTED
    )
    Layer.objects.create(article=plain, kind=Layer.ANNOTATOR, annotator=bob)
    Event.objects.create(
        layer=layer, event_type="Battles", sub_event_type="Armed clash", actor2=actor
    )
    assert found(editor, "هجوم", actor=actor.pk) == [coded]
    assert found(editor, "هجوم", state=Layer.SUBMITTED) == [coded]
    assert found(editor, "هجوم", annotator=bob.pk) == [plain]


def test_pages_follow_a_keyset(corpus, editor, settings, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    dated = [new_article(corpus, str(i), f"حلب {i}", f"2026-01-0{i}") for i in range(1, 4)]
    undated = [new_article(corpus, f"u{i}", f"حلب u{i}") for i in range(2)]
    everything = search.search(editor, "حلب")
    seen, after = [], ""
    while True:
        rows, after = search.page(everything, after)
        seen += rows
        if not after:
            break
    newest_first = [*reversed(dated), *reversed(undated)]
    assert seen == newest_first


def test_an_annotator_finds_only_assigned_articles_and_a_stranger_nothing(
    corpus, alice, stranger, editor
):
    mine = new_article(corpus, "أ", "في حلب")
    new_article(corpus, "ب", "في حلب ثانيا").assignments.create(user=editor)
    mine.assignments.create(user=alice)
    assert found(alice, "حلب") == [mine]
    assert found(stranger, "حلب") == []
    client = Client()
    client.force_login(stranger)
    assert "في حلب" not in client.get(reverse("search"), {"q": "حلب"}).content.decode()


def test_the_page_highlights_the_hit_plain_and_htmx(corpus, editor):
    article = new_article(corpus, "تقرير", "وصلت القوات وبالرقة اشتباكات.")
    client = Client()
    client.force_login(editor)
    page = client.get(reverse("search"), {"q": "الرقة"}).content.decode()
    assert "<mark>وبالرقة</mark>" in page and "<html" in page
    assert article.get_absolute_url() in page
    part = client.get(reverse("search"), {"q": "الرقة"}, **HX).content.decode()
    assert "<mark>وبالرقة</mark>" in part and "<html" not in part
    assert 'id="results"' in part


def test_the_page_offers_the_next_page(corpus, editor, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 1)
    first = new_article(corpus, "أ", "في حلب", "2026-01-02")
    second = new_article(corpus, "ب", "في حلب ثانيا", "2026-01-01")
    client = Client()
    client.force_login(editor)
    page = client.get(reverse("search"), {"q": "حلب"})
    assert page.context["results"][0][0] == first
    after = page.context["next_query"]
    more = client.get(reverse("search") + "?" + after)
    assert [a for a, _ in more.context["results"]] == [second]


def test_anonymous_visitors_are_sent_to_log_in(db):
    response = Client().get(reverse("search"), {"q": "حلب"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_search_key_is_kept_on_save_and_title_changes(corpus):
    article = new_article(corpus, "عنوان", "في حلب")
    assert article.search_key == " عنوان في حلب "
    article.title = "غارات على إدلب"
    article.save(update_fields=["title"])
    article.refresh_from_db()
    assert " ادلب " in article.search_key


def test_a_stranger_with_a_corpus_of_their_own_sees_only_it(corpus, editor):
    own = Corpus.objects.create(name="Mine")
    outsider = make_user(own, "mallory2", "editor")
    theirs = new_article(own, "أ", "في حلب")
    new_article(corpus, "ب", "في حلب")
    assert found(outsider, "حلب") == [theirs]
