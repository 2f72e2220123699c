"""Events in the ACLED schema and the actors they name."""

import pytest
from django.db import IntegrityError, transaction

from annotations.acled import EVENT_TYPES, interaction
from annotations.actors import find_actor, load_actors
from annotations.models import Actor, Event, Layer


@pytest.fixture
def layer(article):
    return Layer.objects.create(article=article, kind=Layer.MACHINE)


def test_the_schema_has_acled_s_6_types_and_25_sub_types():
    assert len(EVENT_TYPES) == 6 and sum(map(len, EVENT_TYPES.values())) == 25


def test_the_database_refuses_a_sub_type_outside_its_type(layer):
    Event.objects.create(layer=layer, event_type="Battles", sub_event_type="Armed clash")
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(layer=layer, event_type="Battles", sub_event_type="Air/drone strike")
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(
            layer=layer, event_type="Battles", sub_event_type="Armed clash", time_precision=4
        )


@pytest.mark.parametrize(
    ("code1", "code2", "expected"),
    [(1, 2, 12), (2, 1, 12), (7, 2, 27), (8, 7, 78), (6, None, 60), (None, None, None), (1, 1, 11)],
)
def test_interaction_is_the_two_codes_smaller_first(code1, code2, expected):
    assert interaction(code1, code2) == expected


def test_actors_are_found_by_any_alias_with_proclitics(db):
    assert load_actors() > 20
    assert load_actors() == 0  # idempotent
    assert find_actor("وداعش").name == "Islamic State (Syria)"
    assert find_actor("تنظيم الدولة").name == "Islamic State (Syria)"
    assert find_actor("قوات الدعم السريع").inter_code == 2
    assert find_actor("نقابة المعلمين") is None


def test_merging_actors_moves_events_and_aliases(layer):
    isis = Actor.objects.create(name="Islamic State", inter_code=2)
    isis.add_alias("داعش")
    dup = Actor.objects.create(name="ISIS", name_ar="تنظيم الدولة", inter_code=2)
    dup.add_alias("الدولة الإسلامية")
    event = Event.objects.create(
        layer=layer, event_type="Battles", sub_event_type="Armed clash", actor2=dup
    )
    isis.merge(dup)
    event.refresh_from_db()
    assert event.actor2 == isis and not Actor.objects.filter(name="ISIS").exists()
    assert find_actor("الدولة الإسلامية") == isis and find_actor("تنظيم الدولة") == isis


def test_editors_merge_actors_and_edit_aliases_in_the_admin(db, client):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", password="pw")
    client.force_login(admin)
    keep = Actor.objects.create(name="Houthi Movement", inter_code=2)
    dup = Actor.objects.create(name="Huthis", inter_code=2)
    response = client.post(
        "/admin/annotations/actor/",
        {"action": "merge_into_first", "_selected_action": [keep.pk, dup.pk]},
    )
    assert response.status_code == 302 and list(Actor.objects.all()) == [keep]
    data = {
        "name": keep.name,
        "name_ar": "",
        "inter_code": 2,
        "aliases-TOTAL_FORMS": 1,
        "aliases-INITIAL_FORMS": 0,
        "aliases-0-alias": "أنصار الله",
        "aliases-0-actor": keep.pk,
    }
    response = client.post(f"/admin/annotations/actor/{keep.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert find_actor("وأنصار الله") == keep


def test_pre_coding_suggests_events_with_their_evidence(corpus, places, db):
    from datetime import date

    from annotations.models import Article
    from annotations.taggers import pretag

    load_actors()
    body = (
        "قصفت طائرات حربية مواقع في مدينة الرقة صباح أمس.\n"
        "واندلعت اشتباكات بين قوات سوريا الديمقراطية وتنظيم داعش في ريف حلب، وقتل ٣ مقاتلين."
    )
    article = Article.objects.create(
        corpus=corpus, title="t", body=body, published_at=date(2025, 3, 1)
    )
    layer = pretag(article)
    strike, clash = layer.events.order_by("id")
    cited = {e.field: body[e.start : e.end] for e in strike.evidence.all()}
    assert (strike.sub_event_type, strike.event_date, strike.time_precision) == (
        "Air/drone strike",
        date(2025, 2, 28),
        1,
    )
    assert strike.place == places["raqqa"] and cited["location"] == "الرقة"
    assert cited["event_type"] == "طائرات حربية" or "قصف" in cited["event_type"]
    assert cited["event_date"] == "صباح أمس"
    assert (clash.sub_event_type, clash.fatalities, clash.place) == (
        "Armed clash",
        3,
        places["aleppo"],
    )
    assert clash.geo_precision == 2  # the countryside of Aleppo
    assert (clash.actor1.name, clash.actor2.name) == (
        "SDF: Syrian Democratic Forces",
        "Islamic State (Syria)",
    )
    assert clash.interaction == 22
    cited = {e.field: body[e.start : e.end] for e in clash.evidence.all()}
    assert cited["fatalities"].startswith("قتل ٣")


def test_an_annotator_starts_with_a_copy_of_the_machine_events(article, places, alice):
    from annotations.spans import annotator_layer
    from annotations.taggers import pretag

    machine = pretag(article)
    own = annotator_layer(article, alice)
    assert own.events.count() == machine.events.count() > 0
    copy = own.events.first()
    assert copy.derived_from.layer == machine
    assert copy.evidence.count() == copy.derived_from.evidence.count()
