"""Search: Arabic-aware matching, filters, keyset pages, hits in context, who sees what."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from annotations import gazetteer, search
from annotations.models import Actor, Article, Corpus, Event, Layer, Span

from .conftest import SHELLING, add_place, make_user

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


def coded(article: Article, layer_kind: str = Layer.MACHINE, **event) -> Layer:
    layer, _ = Layer.objects.get_or_create(
        article=article, kind=layer_kind, annotator=event.pop("annotator", None)
    )
    if event:
        Event.objects.create(layer=layer, **event)
    return layer


def test_filters_by_event_type_and_sub_type_in_the_chosen_layers(corpus, editor, alice):
    strike = new_article(corpus, "أ", "قصف في حلب")
    clash = new_article(corpus, "ب", "قصف آخر في حلب")
    explosions = "Explosions/Remote violence"
    coded(strike, event_type=explosions, sub_event_type="Air/drone strike")
    coded(clash, event_type="Battles", sub_event_type="Armed clash")
    submitted = coded(clash, Layer.ANNOTATOR, annotator=alice)
    submitted.state = Layer.SUBMITTED
    submitted.save()
    Event.objects.create(layer=submitted, event_type=explosions, sub_event_type="Grenade")
    assert found(editor, "قصف", event_type="Battles") == [clash]
    assert set(found(editor, "قصف", event_type=explosions)) == {strike, clash}
    assert found(editor, "قصف", sub_event_type="Air/drone strike") == [strike]
    # Only the events of submitted layers count once a state is chosen.
    assert found(editor, "قصف", event_type=explosions, state=Layer.SUBMITTED) == [clash]
    assert found(editor, "قصف", event_type="Battles", state=Layer.SUBMITTED) == []


def test_filters_by_places_within_a_distance(corpus, editor):
    aleppo = add_place("Aleppo", ["حلب"], 170063, latitude=36.20, longitude=37.16)
    maskanah = add_place("Maskanah", ["مسكنة"], 166365, latitude=36.01, longitude=38.08)
    damascus = add_place("Damascus", ["دمشق"], 170654, latitude=33.51, longitude=36.29)
    near = new_article(corpus, "أ", "قصف على مسكنة")
    far = new_article(corpus, "ب", "قصف على دمشق")
    coded(near, event_type="Battles", sub_event_type="Armed clash", place=maskanah)
    coded(far, event_type="Battles", sub_event_type="Armed clash", place=damascus)
    assert 80 < gazetteer.km(36.20, 37.16, 36.01, 38.08) < 90  # Aleppo–Maskanah
    assert found(editor, "قصف", place=aleppo.pk, within_km=100) == [near]
    assert found(editor, "قصف", place=aleppo.pk, within_km=50) == []
    assert set(found(editor, "قصف", place=aleppo.pk, within_km=400)) == {near, far}


def test_words_in_entity_spans_only(corpus, editor, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 1)
    tagged = new_article(corpus, "أ", "وصلت القوات وبمسكنة اليوم.", "2026-01-01")
    untagged = new_article(corpus, "ب", "وصلت القوات إلى مسكنة.", "2026-01-02")
    start = tagged.body.index("مسكنة")  # the span starts after the proclitics
    layer = coded(tagged)
    Span.objects.create(layer=layer, start=start, end=start + 5, label="LOC")
    coded(untagged)
    Span.objects.create(layer=Layer.objects.get(article=untagged), start=5, end=11, label="ORG")
    assert set(found(editor, "مسكنه")) == {tagged, untagged}
    everything = search.search(editor, "مسكنه", search.Filters(in_spans=True))
    keep = search.in_spans(editor, "مسكنه", search.Filters(in_spans=True))
    rows, after = search.page(everything, "", keep=keep)
    # The newer, untagged article was read and dropped; the older one fills the page.
    assert (rows, after) == ([tagged], "")


def test_the_fts_table_follows_bulk_inserts_updates_and_deletes(corpus, editor):
    made = Article.objects.bulk_create(
        [
            Article(
                corpus=corpus, title="أ", body="في منبج", content_hash="a", search_key=" منبج "
            ),
            Article(corpus=corpus, title="ب", body="في حلب", content_hash="b", search_key=" حلب "),
        ]
    )
    assert found(editor, "منبج") == [made[0]]
    Article.objects.filter(pk=made[1].pk).update(search_key=" منبج ")
    assert set(found(editor, "منبج")) == set(made)
    Article.objects.filter(pk=made[0].pk).delete()
    assert found(editor, "منبج") == [made[1]]
    assert found(editor, "حلب") == []


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_place_picker_finds_a_place_by_its_arabic_name(corpus, editor):
    maskanah = add_place("Maskanah", ["مَسْكَنة"], 166365, population=23000)
    add_place("Manbij", ["منبج"], 166000)
    url = reverse("search_pick", args=["place"])
    part = client_of(editor).get(url, {"place_text": "مسكنه"}, **HX).content.decode()
    assert f'data-id="{maskanah.pk}"' in part and "Manbij" not in part
    assert '<bdi dir="rtl" lang="ar">مَسْكَنة</bdi>' in part
    plain = client_of(editor).get(url, {"place_text": "Mask"})
    assert plain.status_code == 200 and f'data-id="{maskanah.pk}"' in plain.content.decode()


def test_the_actor_and_annotator_pickers(corpus, editor, alice, stranger):
    actor = Actor.objects.create(name="Islamic State", name_ar="داعش", inter_code=2)
    actor.add_alias("تنظيم الدولة")
    actors = reverse("search_pick", args=["actor"])
    part = client_of(editor).get(actors, {"actor_text": "تنظيم"}, **HX).content.decode()
    assert f'data-id="{actor.pk}"' in part
    people = reverse("search_pick", args=["annotator"])
    assert (
        f'data-id="{alice.pk}"'
        in client_of(editor).get(people, {"annotator_text": "ali"}).content.decode()
    )
    # Who works in which corpus is not for outsiders.
    refused = client_of(stranger).get(people, {"annotator_text": "ali"}).content.decode()
    assert f'data-id="{alice.pk}"' not in refused


def test_pickers_refuse_anonymous_visitors_and_unknown_kinds(corpus, editor):
    url = reverse("search_pick", args=["place"])
    assert Client().get(url, {"place_text": "حلب"}).status_code == 302
    assert client_of(editor).get(reverse("search_pick", args=["users"])).status_code == 404


def test_the_page_shows_picked_names_and_resolves_a_typed_one(corpus, editor):
    maskanah = add_place("Maskanah", ["مسكنة"], 166365)
    article = new_article(corpus, "أ", "قصف على مسكنة")
    coded(article, event_type="Battles", sub_event_type="Armed clash", place=maskanah)
    client = client_of(editor)
    picked = client.get(reverse("search"), {"q": "قصف", "place": maskanah.pk})
    assert [a for a, _ in picked.context["results"]] == [article]
    assert picked.context["chosen"]["place"].arabic == "مسكنة"
    assert 'value="مسكنة"' in picked.content.decode()
    typed = client.get(reverse("search"), {"q": "قصف", "place_text": "مسكنة"})
    assert typed.context["form"].cleaned_data["place"] == maskanah.pk
    unknown = client.get(reverse("search"), {"q": "قصف", "place_text": "لا مكان"})
    assert "Nothing of that name." in unknown.content.decode()


def test_a_sub_type_of_another_type_is_refused(corpus, editor):
    response = client_of(editor).get(
        reverse("search"), {"q": "قصف", "event_type": "Battles", "sub_event_type": "Grenade"}
    )
    assert response.context["form"].errors["sub_event_type"]
    assert not response.context["asked"]


def test_pages_of_a_rare_word_sort_undated_articles_last(corpus, editor, monkeypatch):
    # Two hits among many articles: on PostgreSQL the rare-word path (ids, sorted rows).
    monkeypatch.setattr(search, "PAGE_SIZE", 1)
    for i in range(6):
        new_article(corpus, f"x{i}", f"خبر عادي {i}", f"2026-02-0{i + 1}")
    undated = new_article(corpus, "u", "في سراقب")
    dated = new_article(corpus, "d", "في سراقب أيضا", "2026-01-01")
    everything = search.search(editor, "سراقب")
    first, after = search.page(everything)
    second, end = search.page(everything, after)
    assert (first, second, end) == ([dated], [undated], "")


# Blind annotation: the filters look only at layers the user may read (defects found in
# review: every layer was looked at, and any annotator id was taken from the query string).


def others_work(shared: dict, bob) -> list[dict]:
    """Filters each of which only bob's layer or gold's passes."""
    return [
        {"actor": shared["actor"].pk},
        {"actor": shared["gold_actor"].pk},
        {"place": shared["place"].pk},
        {"event_type": "Battles"},
        {"sub_event_type": "Armed clash"},
        {"event_type": SHELLING[0]},
        {"state": Layer.SUBMITTED},
        {"state": Layer.APPROVED},
    ]


def searched(user, **query) -> list[Article]:
    response = client_of(user).get(reverse("search"), {"q": "قصف", **query})
    assert response.status_code == 200
    return [a for a, _ in response.context["results"]]


def test_an_annotator_cannot_detect_what_a_colleague_or_gold_coded(shared, alice, bob):
    for query in others_work(shared, bob):
        assert searched(alice, **query) == [], query
        assert found(alice, "قصف", **query) == [], query
    # Their own layer still answers the filters.
    assert searched(alice, state=Layer.IN_PROGRESS) == [shared["article"]]
    assert searched(bob, actor=shared["actor"].pk) == [shared["article"]]
    assert searched(bob, actor=shared["gold_actor"].pk) == []  # gold is the editors'


def test_an_annotator_id_the_user_may_not_see_is_refused(shared, alice, bob):
    response = client_of(alice).get(
        reverse("search"), {"q": "قصف", "annotator": bob.pk, "actor": shared["actor"].pk}
    )
    assert response.context["form"].errors["annotator_text"] == ["Nothing of that name."]
    assert not response.context["asked"] and not response.context["results"]
    # Even past the form, the engine looks at no layer alice may not read.
    assert found(alice, "قصف", annotator=bob.pk, actor=shared["actor"].pk) == []
    assert found(alice, "قصف", annotator=bob.pk) == []


def test_an_editor_still_filters_by_every_layer_of_their_corpora(shared, editor, bob):
    for query in others_work(shared, bob):
        assert searched(editor, **query) == [shared["article"]], query
    chosen = {"annotator": bob.pk, "actor": shared["actor"].pk}
    assert searched(editor, **chosen) == [shared["article"]]
    assert searched(editor, annotator=bob.pk, actor=shared["gold_actor"].pk) == []


def test_an_editor_of_another_corpus_sees_no_layer_of_this_one(shared, bob):
    own = Corpus.objects.create(name="Mine")
    outsider = make_user(own, "mallory2", "editor")
    shared["article"].assignments.create(user=outsider)  # assigned, yet not an editor here
    assert found(outsider, "قصف") == [shared["article"]]
    for query in others_work(shared, bob):
        assert found(outsider, "قصف", **query) == [], query


@pytest.mark.parametrize("bad", ["²", "١٢", "-1", "99999999999999999999"])
def test_a_cursor_that_names_no_row_starts_at_the_first_page(corpus, editor, bad):
    made = [new_article(corpus, str(i), f"في حلب {i}") for i in range(3)]
    newest_first = list(reversed(made))
    for after in (f"-:{bad}", f"2026-01-01:{bad}", bad):
        response = client_of(editor).get(reverse("search"), {"q": "حلب", "after": after})
        assert response.status_code == 200
        assert [a for a, _ in response.context["results"]] == newest_first
    everything = search.search(editor, "حلب")
    assert search.page(everything, f"-:{bad}")[0] == newest_first
    assert search.page(everything, bad, order=search.BY_ID)[0] == newest_first


def test_an_id_filter_past_the_largest_id_is_refused_not_a_crash(corpus, editor):
    new_article(corpus, "أ", "في حلب")
    for name in ("corpus", "place", "actor", "annotator"):
        response = client_of(editor).get(reverse("search"), {"q": "حلب", name: "9" * 20})
        assert response.status_code == 200 and response.context["form"].errors[name], name


def test_the_filters_read_the_layers_the_article_pages_show(shared, corpus, editor, alice, bob):
    # readable_layers spells the rule of Layer.visible_to | standing_in_for for speed.
    outsider = make_user(Corpus.objects.create(name="Mine"), "mallory2", "editor")
    shared["article"].assignments.create(user=outsider)
    Layer.objects.create(article=shared["article"], kind=Layer.MACHINE)
    new_article(corpus, "ب", "نص").layers.create(kind=Layer.MACHINE)
    for user in (editor, alice, bob, outsider, make_user(None, "nobody", None)):
        shown = Layer.objects.visible_to(user) | Layer.objects.standing_in_for(user)
        assert set(search.readable_layers(user)) == set(shown), user
