"""Incidents: suggested matches between events of different reports, and reconciliation."""

from datetime import date

import pytest

from annotations import incidents
from annotations.models import (
    Actor,
    Article,
    Event,
    Incident,
    IncidentCandidate,
    IncidentEvent,
    Layer,
    Place,
)
from annotations.tasks import find_incident_candidates

STRIKE = ("Explosions/Remote violence", "Air/drone strike")
SHELLING = ("Explosions/Remote violence", "Shelling/artillery/missile attack")


@pytest.fixture
def towns(db) -> dict[str, Place]:
    def town(name, gid, lat, lon, admin2):
        return Place.objects.create(
            geonameid=gid,
            name=name,
            latitude=lat,
            longitude=lon,
            country_code="SY",
            admin1_code="12",
            admin2=admin2,
        )

    return {
        "idlib": town("Idlib", 169389, 35.93062, 36.63393, "Idlib"),
        "binnish": town("Binnish", 171451, 35.95664, 36.7138, "Idlib"),  # 8 km
        "jisr": town("Jisr ash Shughur", 169023, 35.81418, 36.31983, "Jisr"),  # 31 km
        "khan": town("Khan Shaykhun", 168325, 35.44208, 36.65095, "Maarrat"),  # 54 km
    }


@pytest.fixture
def russia(db) -> Actor:
    return Actor.objects.create(name="Military Forces of Russia (2000-)", inter_code=8)


def report(
    corpus, title, *, kind=Layer.GOLD, state=Layer.APPROVED, annotator=None, source="", **fields
):
    article = Article.objects.create(corpus=corpus, title=title, body=title, source=source)
    layer = Layer.objects.create(article=article, kind=kind, state=state, annotator=annotator)
    event_type, sub = fields.pop("types", STRIKE)
    fields.setdefault("time_precision", 1)
    fields.setdefault("geo_precision", 1)
    return Event.objects.create(layer=layer, event_type=event_type, sub_event_type=sub, **fields)


def found(event: Event) -> dict[int, incidents.Candidate]:
    return {c.event_id: c for c in incidents.candidates_for(event)}


def test_the_same_strike_in_two_reports_is_a_candidate_with_its_parts(corpus, towns, russia):
    a = report(corpus, "a", event_date=date(2024, 3, 1), place=towns["idlib"], actor1=russia)
    b = report(corpus, "b", event_date=date(2024, 3, 2), place=towns["idlib"], actor1=russia)
    match = found(a)[b.pk]
    assert match.parts == {"sub_type": 1.0, "place": 1.0, "date": pytest.approx(2 / 3, 1e-3),
                           "actors": 1.0}  # fmt: skip
    assert match.score == pytest.approx(0.2 + 0.3 + 0.3 * 2 / 3 + 0.2, abs=1e-3)
    assert found(b)[a.pk].score == match.score


def test_compatible_sub_type_and_a_town_within_25_km_score_lower(corpus, towns):
    a = report(corpus, "a", event_date=date(2024, 3, 1), place=towns["idlib"])
    b = report(corpus, "b", types=SHELLING, event_date=date(2024, 3, 1), place=towns["binnish"])
    match = found(a)[b.pk]
    assert match.parts["sub_type"] == 0.6
    assert 0.8 < match.parts["place"] < 0.9  # 8 km of 25
    assert match.parts["actors"] == 0.5  # nobody named: nothing to tell


def test_near_misses_are_not_suggested(corpus, towns):
    a = report(corpus, "a", event_date=date(2024, 3, 10), place=towns["idlib"])
    later = report(
        corpus, "same town, 4 days on", event_date=date(2024, 3, 14), place=towns["idlib"]
    )
    far = report(corpus, "same day, 54 km away", event_date=date(2024, 3, 10), place=towns["khan"])
    other_type = report(
        corpus,
        "a clash",
        types=("Battles", "Armed clash"),
        event_date=date(2024, 3, 10),
        place=towns["idlib"],
    )
    assert not {later.pk, far.pk, other_type.pk} & set(found(a))


def test_the_same_admin2_or_a_vague_place_widen_the_match(corpus, towns):
    a = report(corpus, "a", event_date=date(2024, 3, 10), place=towns["idlib"])
    near = report(
        corpus, "near Jisr", event_date=date(2024, 3, 10), place=towns["jisr"], geo_precision=2
    )
    assert near.pk in found(a)  # 31 km, but only "near" Jisr: 50 km allowed
    exact = report(corpus, "in Jisr", event_date=date(2024, 3, 10), place=towns["jisr"])
    assert exact.pk not in found(a)


def test_a_date_known_to_the_month_overlaps_wider(corpus, towns):
    a = report(corpus, "a", event_date=date(2024, 3, 10), place=towns["idlib"])
    month = report(
        corpus, "in March", event_date=date(2024, 3, 1), place=towns["idlib"], time_precision=3
    )
    week = report(
        corpus, "that week", event_date=date(2024, 3, 1), place=towns["idlib"], time_precision=2
    )
    assert month.pk in found(a) and week.pk not in found(a)  # 9 days: past a week's 7


def test_only_other_articles_gold_or_approved_layers_and_the_same_corpus(corpus, towns, alice):
    a = report(corpus, "a", event_date=date(2024, 3, 10), place=towns["idlib"])
    same_article = Event.objects.create(
        layer=a.layer, event_type=STRIKE[0], sub_event_type=STRIKE[1],
        event_date=date(2024, 3, 10), place=towns["idlib"],
    )  # fmt: skip
    submitted = report(
        corpus, "submitted", kind=Layer.ANNOTATOR, state=Layer.SUBMITTED, annotator=alice,
        event_date=date(2024, 3, 10), place=towns["idlib"],
    )  # fmt: skip
    elsewhere = report(
        type(corpus).objects.create(name="Other"), "x",
        event_date=date(2024, 3, 10), place=towns["idlib"],
    )  # fmt: skip
    assert set(found(a)).isdisjoint({same_article.pk, submitted.pk, elsewhere.pk})
    submitted.layer.state = Layer.APPROVED
    submitted.layer.save()
    assert submitted.pk in found(a)


def test_reconcile_takes_the_lowest_figure_the_most_precise_date_and_place(corpus, towns):
    a = report(
        corpus, "a", source="Outlet A", event_date=date(2024, 3, 1), time_precision=2,
        place=towns["binnish"], geo_precision=2, fatalities=7,
    )  # fmt: skip
    b = report(
        corpus, "b", source="Outlet B", event_date=date(2024, 3, 3),
        place=towns["idlib"], fatalities=5, fatalities_low=4, fatalities_high=9,
    )  # fmt: skip
    c = report(corpus, "c", source="Outlet A", event_date=date(2024, 3, 4), place=towns["idlib"])
    incident = Incident.objects.create(corpus=corpus)
    for event in (a, b, c):
        IncidentEvent.objects.create(incident=incident, event=event)
    got = incidents.reconcile(incident)
    assert (got["fatalities"], got["fatalities_low"], got["fatalities_high"]) == (5, 4, 9)
    assert (got["event_date"], got["time_precision"]) == (date(2024, 3, 3), 1)  # earliest
    assert (got["place"], got["geo_precision"]) == (towns["idlib"], 1)
    assert got["sources"] == ["Outlet A", "Outlet B"]
    assert got["event_ids"] == [a.pk, b.pk, c.pk]
    incident.overrides = {"fatalities": 6}
    assert incidents.reconcile(incident)["fatalities"] == 6


def test_the_task_stores_candidates_once_and_keeps_decisions(corpus, towns, editor):
    a = report(corpus, "a", event_date=date(2024, 3, 10), place=towns["idlib"])
    b = report(corpus, "b", event_date=date(2024, 3, 11), place=towns["binnish"])
    c = report(corpus, "c", event_date=date(2024, 3, 10), place=towns["idlib"])
    find_incident_candidates.call(a.pk)
    find_incident_candidates.call(a.pk)
    find_incident_candidates.call(b.pk)  # the pair a~b again, from b's side
    pairs = list(IncidentCandidate.objects.values_list("event_a", "event_b", "decision"))
    assert sorted(pairs) == [(a.pk, b.pk, "pending"), (a.pk, c.pk, "pending"),
                             (b.pk, c.pk, "pending")]  # fmt: skip
    IncidentCandidate.objects.filter(event_a=a, event_b=c).update(
        decision="rejected", decided_by=editor
    )
    c.place = towns["khan"]
    c.save()
    find_incident_candidates.call(a.pk)  # c no longer matches: the decision stays on record
    assert IncidentCandidate.objects.get(event_a=a, event_b=c).decision == "rejected"
    b.event_date = date(2024, 4, 1)
    b.save()
    find_incident_candidates.call(a.pk)
    assert not IncidentCandidate.objects.filter(event_a=a, event_b=b).exists()
    assert find_incident_candidates.call(999999)["skipped"]
