"""Incidents for editors: suggestions found when events are saved or layers approved, the
decisions on them (link, not the same, undo), overrides, and the pages that show them."""

import io
import threading
import time
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from annotations import events, incidents, workflow
from annotations.models import (
    Article,
    AuditEntry,
    Event,
    Evidence,
    Incident,
    IncidentCandidate,
    IncidentEvent,
    Layer,
    Place,
)

from .conftest import make_user

HX = {"HTTP_HX_REQUEST": "true"}
STRIKE = ("Explosions/Remote violence", "Air/drone strike")
BODY = "قال ناشطون إن طائرات حربية قصفت بلدة بنش صباح الأحد. وقتل ثلاثة مدنيين في القصف."


@pytest.fixture
def binnish(db) -> Place:
    return Place.objects.create(
        geonameid=171451, name="Binnish", latitude=35.95664, longitude=36.7138,
        country_code="SY", admin1_code="12", admin2="Idlib",
    )  # fmt: skip


def report(corpus, title, place, *, kind=Layer.GOLD, state=Layer.IN_PROGRESS, annotator=None,
           day=date(2024, 3, 10), fatalities=None, source="") -> Event:  # fmt: skip
    body = f"{BODY} ({title})"  # one body per article (content hashes are unique)
    article = Article.objects.create(corpus=corpus, title=title, body=body, source=source)
    layer = Layer.objects.create(article=article, kind=kind, state=state, annotator=annotator)
    event = Event.objects.create(
        layer=layer, event_type=STRIKE[0], sub_event_type=STRIKE[1], event_date=day,
        time_precision=1, place=place, geo_precision=1, fatalities=fatalities,
    )  # fmt: skip
    Evidence.objects.create(event=event, field="event_type", start=14, end=31)  # طائرات حربية قصفت
    return event


def pair(*pair_events: Event) -> IncidentCandidate:
    a, b = sorted(e.pk for e in pair_events)
    return IncidentCandidate.objects.get(event_a_id=a, event_b_id=b)


def seen(candidate: IncidentCandidate) -> dict[str, str]:
    """What an undo form carries of the decision it shows."""
    when = candidate.decided_at.isoformat() if candidate.decided_at else ""
    return {"seen_decision": candidate.decision, "seen_at": when}


@pytest.fixture
def two(corpus, binnish, django_capture_on_commit_callbacks) -> tuple[Event, Event]:
    """Two reports of one strike, the second saved after the first: one suggestion."""
    a = report(corpus, "تقرير أ", binnish, fatalities=3, source="Outlet A")
    b = report(corpus, "تقرير ب", binnish, fatalities=5, source="Outlet B")
    with django_capture_on_commit_callbacks(execute=True):
        incidents.queue_for(b.layer, [b.pk])
    return a, b


# --- Wiring: suggestions follow writes and approvals -------------------------------------------


def test_saving_a_gold_event_finds_its_match_after_commit(
    corpus, binnish, editor, django_capture_on_commit_callbacks
):
    a = report(corpus, "a", binnish)
    b = report(corpus, "b", binnish, day=date(2024, 3, 20))
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        b.event_date = date(2024, 3, 11)
        events.save_edit(b, editor, b.layer.version)
    assert not IncidentCandidate.objects.exists()  # nothing before the commit
    for callback in waiting:
        callback()
    assert pair(a, b).decision == IncidentCandidate.PENDING


def test_an_annotators_events_count_once_approved_and_stop_when_returned(
    corpus, binnish, alice, editor, django_capture_on_commit_callbacks
):
    gold = report(corpus, "gold", binnish)
    mine = report(corpus, "alice's", binnish, kind=Layer.ANNOTATOR, state=Layer.SUBMITTED,
                  annotator=alice)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        events.save_edit(gold, editor, gold.layer.version)
    assert not IncidentCandidate.objects.exists()  # a submitted layer does not count yet
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(mine.layer, editor)
    assert pair(gold, mine).decision == IncidentCandidate.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_changes(mine.layer, editor, "fix the date")
    assert not IncidentCandidate.objects.exists()


def test_approving_gold_finds_matches_for_all_its_events(
    corpus, binnish, editor, django_capture_on_commit_callbacks
):
    a = report(corpus, "a", binnish, state=Layer.APPROVED)
    b = report(corpus, "b", binnish)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve_gold(b.layer, editor)
    assert pair(a, b)


def test_the_backfill_command_finds_every_pair(corpus, binnish):
    a, b = report(corpus, "a", binnish), report(corpus, "b", binnish)
    out = io.StringIO()
    call_command("find_incidents", "--corpus", corpus.name, "--now", stdout=out)
    assert pair(a, b).decision == IncidentCandidate.PENDING
    assert "2 events searched, 1 suggestions pending" in out.getvalue()
    call_command("find_incidents", stdout=out)  # queued (the tests' backend runs it at once)
    assert "2 events queued" in out.getvalue() and IncidentCandidate.objects.count() == 1


# --- Decisions ----------------------------------------------------------------------------------


def test_link_makes_an_incident_and_undo_takes_it_apart(two, editor):
    a, b = two
    candidate = pair(a, b)
    incident = incidents.link(candidate, editor)
    assert set(incident.events.all()) == {a, b}
    candidate.refresh_from_db()
    assert (candidate.decision, candidate.decided_by) == ("linked", editor)
    entries = AuditEntry.objects.filter(object_type="incident_match", object_id=candidate.pk)
    assert {e.layer_id for e in entries} == {a.layer_id, b.layer_id}  # each article's history
    incidents.undo(candidate, editor)
    candidate.refresh_from_db()
    assert candidate.decision == "pending" and not Incident.objects.exists()


def test_a_stale_decision_is_refused_not_applied_twice(two, editor, corpus):
    candidate = pair(*two)
    incidents.link(candidate, editor)
    other_editor = make_user(corpus, "eve", "editor")
    with pytest.raises(incidents.DecisionRefused, match="already decided"):
        incidents.reject(candidate, other_editor)
    with pytest.raises(incidents.DecisionRefused, match="already decided"):
        incidents.link(candidate, editor)
    assert IncidentEvent.objects.count() == 2
    incidents.undo(candidate, editor)
    with pytest.raises(incidents.DecisionRefused, match="no decision to undo"):
        incidents.undo(candidate, editor)


def test_a_third_report_joins_and_two_incidents_merge_and_split_again(
    corpus, binnish, editor, django_capture_on_commit_callbacks
):
    a, b, c, d = (report(corpus, t, binnish) for t in "abcd")
    with django_capture_on_commit_callbacks(execute=True):
        incidents.queue_for(d.layer, [a.pk, b.pk, c.pk, d.pk])
    first = incidents.link(pair(a, b), editor)
    assert incidents.link(pair(b, c), editor) == first  # c joins a and b
    second = incidents.link(pair(d, a), editor)  # d joins too
    assert set(second.events.all()) == {a, b, c, d}
    incidents.undo(pair(d, a), editor)
    incidents.undo(pair(b, c), editor)
    other = Incident.objects.create(corpus=corpus, overrides={"fatalities": 2})
    IncidentEvent.objects.create(incident=other, event=c)
    IncidentEvent.objects.create(incident=other, event=d)
    merged = incidents.link(pair(b, c), editor)  # both in one already: the two merge
    assert merged == first and set(merged.events.all()) == {a, b, c, d}
    assert merged.overrides == {"fatalities": 2} and not Incident.objects.filter(pk=other.pk)
    incidents.undo(pair(b, c), editor)  # split again, the override back where it was
    split = incidents.incident_of(c)
    assert set(split.events.all()) == {c, d} and split.overrides == {"fatalities": 2}
    first.refresh_from_db()
    assert set(first.events.all()) == {a, b} and first.overrides == {}


def test_reject_keeps_the_pair_on_record_and_undo_brings_it_back(two, editor):
    candidate = pair(*two)
    incidents.reject(candidate, editor)
    candidate.refresh_from_db()
    assert candidate.decision == "rejected" and not Incident.objects.exists()
    assert incidents.last_decision(IncidentCandidate.objects.all(), editor) == candidate
    incidents.undo(candidate, editor)
    assert incidents.last_decision(IncidentCandidate.objects.all(), editor) is None


def test_overrides_win_over_the_rule_are_audited_and_refuse_stale_forms(two, editor, binnish):
    incident = incidents.link(pair(*two), editor)
    assert incidents.reconcile(incident)["fatalities"] == 3
    seen = incident.updated.isoformat()
    incident = incidents.set_override(incident, "fatalities", 4, editor, seen=seen)
    incident = incidents.set_override(incident, "event_date", date(2024, 3, 9), editor)
    got = incidents.reconcile(incident)
    assert (got["fatalities"], got["event_date"]) == (4, date(2024, 3, 9))
    assert got["overridden"] == ["event_date", "fatalities"]
    assert "Set by an editor" in incidents.explain(got)["fatalities"]
    with pytest.raises(incidents.DecisionRefused, match="changed since"):
        incidents.set_override(incident, "fatalities", 9, editor, seen=seen)
    incident = incidents.clear_override(incident, "fatalities", editor)
    assert incidents.reconcile(incident)["fatalities"] == 3
    changes = AuditEntry.objects.filter(object_type="incident", object_id=incident.pk)
    assert changes.count() == 3 * 2  # three changes, each in both reports' histories


def test_deleting_an_event_leaves_no_one_report_incident(two, editor):
    a, b = two
    incidents.link(pair(a, b), editor)
    incident = Incident.objects.get()
    events.delete_event(b, editor, b.layer.version)
    assert not Incident.objects.exists() and Event.objects.filter(pk=a.pk).exists()
    # The other report's history says who took the event out of the incident.
    left = AuditEntry.objects.get(object_type="incident", object_id=incident.pk, action="update")
    assert left.user == editor and left.after["dissolved"] is True


# --- Pages --------------------------------------------------------------------------------------


def test_the_queue_shows_both_reports_with_evidence_and_the_scores_words(client, two, editor):
    client.force_login(editor)
    page = client.get(reverse("incident_queue")).content.decode()
    assert page.count('<mark title="event type">طائرات حربية قصفت</mark>') == 2
    assert "the same place" in page and "the same day" in page
    assert "Outlet A" in page and "Outlet B" in page
    assert 'id="link-button"' in page and "incidents.js" in page
    part = client.get(reverse("incident_queue"), {"decision": "linked"}, **HX).content.decode()
    assert part.lstrip().startswith('<section id="queue"')
    assert "No suggested matches here" in part and "<html" not in part


def test_y_posts_link_and_the_queue_moves_on_htmx_and_plain(client, two, editor):
    client.force_login(editor)
    candidate = pair(*two)
    url = reverse("candidate_link", args=[candidate.pk])
    answer = client.post(url, {"decision": "", "i": "0"}, **HX)
    assert answer.status_code == 200 and "now has 2 reports" in answer.content.decode()
    again = client.post(url, {"i": "0"}, **HX)  # a double submit
    assert again.status_code == 409 and "already decided" in again.content.decode()
    undo = {"decision": "pending", **seen(pair(*two))}
    plain = client.post(reverse("candidate_undo", args=[candidate.pk]), undo)
    assert plain.status_code == 302 and plain["Location"].startswith(reverse("incident_queue"))
    assert pair(*two).decision == "pending"
    reject = client.post(reverse("candidate_reject", args=[candidate.pk]), **HX)
    assert reject.status_code == 200 and pair(*two).decision == "rejected"
    assert f"pair #{candidate.pk}" in reject.content.decode()  # the undo button names it


def test_annotators_and_strangers_are_refused(client, two, alice, stranger):
    candidate = pair(*two)
    for user in (alice, stranger):
        client.force_login(user)
        assert client.get(reverse("incident_queue")).status_code == 404
        assert client.get(reverse("incident_list")).status_code == 404
        assert client.post(reverse("candidate_link", args=[candidate.pk])).status_code == 404
    assert pair(*two).decision == "pending"
    client.logout()
    assert client.get(reverse("incident_queue")).status_code == 302  # to the login page


def test_an_editor_of_another_corpus_does_not_see_this_one(client, two, corpus):
    from annotations.models import Corpus

    other = make_user(Corpus.objects.create(name="Elsewhere"), "otto", "editor")
    client.force_login(other)
    assert "No suggested matches" in client.get(reverse("incident_queue")).content.decode()
    assert client.post(reverse("candidate_link", args=[pair(*two).pk])).status_code == 404


def test_the_incident_page_explains_and_overrides_with_422_on_bad_values(client, two, editor):
    client.force_login(editor)
    incident = incidents.link(pair(*two), editor)
    url = reverse("incident_detail", args=[incident.pk])
    queue = client.get(reverse("incident_queue"), {"decision": "linked"}).content.decode()
    assert f"both reports are in incident #{incident.pk}" in queue and url in queue
    page = client.get(url).content.decode()
    assert "The lowest figure any report gives" in page
    assert "<bdi>Outlet A</bdi>; <bdi>Outlet B</bdi>" in page
    override = reverse("incident_override", args=[incident.pk])
    bad = client.post(override, {"field": "fatalities", "value": "-2"}, **HX)
    assert bad.status_code == 422 and 'class="error"' in bad.content.decode()
    bad_date = client.post(override, {"field": "event_date", "value": "2024-13-40"}, **HX)
    assert bad_date.status_code == 422
    no_place = client.post(override, {"field": "place", "value": "999999"}, **HX)
    assert no_place.status_code == 422 and "No place has this id" in no_place.content.decode()
    seen = Incident.objects.get(pk=incident.pk).updated.isoformat()
    good = client.post(override, {"field": "fatalities", "value": "4", "seen": seen}, **HX)
    assert good.status_code == 200 and "Override saved" in good.content.decode()
    stale = client.post(override, {"field": "fatalities", "value": "6", "seen": seen}, **HX)
    assert stale.status_code == 409
    plain = client.post(override, {"field": "fatalities", "clear": "1"})
    assert plain.status_code == 302 and Incident.objects.get(pk=incident.pk).overrides == {}
    listing = client.get(reverse("incident_list")).content.decode()
    assert url in listing and "Air/drone strike" in listing


def test_incident_pages_refuse_annotators(client, two, editor, alice):
    incident = incidents.link(pair(*two), editor)
    client.force_login(alice)
    assert client.get(reverse("incident_detail", args=[incident.pk])).status_code == 404
    override = reverse("incident_override", args=[incident.pk])
    assert client.post(override, {"field": "fatalities", "value": "1"}).status_code == 404


def test_each_articles_history_tells_the_decision(client, two, editor):
    a, _b = two
    incidents.link(pair(*two), editor)
    client.force_login(editor)
    history = client.get(reverse("article_history", args=[a.layer.article_id])).content.decode()
    assert "changed a suggested match" in history and "linked" in history


# --- Defects fixed (incfix): one article once, undo order, stale undo, deletions, stamps -------


def sibling(event: Event, user=None, *, kind=Layer.ANNOTATOR, state=Layer.APPROVED) -> Event:
    """Another layer's copy of the event, in the same article."""
    layer = Layer.objects.create(article=event.layer.article, kind=kind, state=state,
                                 annotator=user)  # fmt: skip
    return Event.objects.create(
        layer=layer, event_type=STRIKE[0], sub_event_type=STRIKE[1], event_date=event.event_date,
        time_precision=1, place=event.place, geo_precision=1, fatalities=event.fatalities,
    )  # fmt: skip


def suggest(a: Event, b: Event) -> IncidentCandidate:
    """A suggestion as older code stored it (no longer found), to decide."""
    low, high = sorted((a, b), key=lambda e: e.pk)
    corpus = a.layer.article.corpus
    return IncidentCandidate.objects.create(event_a=low, event_b=high, corpus=corpus, score=0.9)


def test_an_article_with_gold_speaks_once_through_it(corpus, binnish, alice, bob):
    g1 = report(corpus, "1", binnish, state=Layer.APPROVED)
    a1, b1 = sibling(g1, alice), sibling(g1, bob)
    g2 = report(corpus, "2", binnish)
    call_command("find_incidents", "--now", stdout=io.StringIO())
    pairs = {(c.event_a_id, c.event_b_id) for c in IncidentCandidate.objects.all()}
    assert pairs == {(g1.pk, g2.pk)}  # not (A1, G2) nor (B1, G2) too
    assert incidents.candidates_for(a1) == [] and incidents.candidates_for(b1) == []


def test_without_gold_one_annotators_event_speaks_for_the_article(corpus, binnish, alice, bob):
    a1 = report(corpus, "1", binnish, kind=Layer.ANNOTATOR, state=Layer.APPROVED, annotator=alice)
    b1 = sibling(a1, bob)
    g2 = report(corpus, "2", binnish)
    mine, theirs = incidents.candidates_for(a1), incidents.candidates_for(b1)
    assert [c.event_id for c in mine + theirs] == [g2.pk]  # the smaller id among equals
    assert [c.event_id for c in incidents.candidates_for(g2)] == [a1.pk]


def test_a_second_event_of_an_article_is_refused_from_an_incident(client, corpus, binnish, alice,
                                                                  editor):  # fmt: skip
    g1 = report(corpus, "1", binnish, state=Layer.APPROVED)
    a1, g2 = sibling(g1, alice), report(corpus, "2", binnish)
    incidents.link(suggest(g1, g2), editor)
    late = suggest(a1, g2)
    with pytest.raises(incidents.DecisionRefused, match="already holds an event of this article"):
        incidents.link(late, editor)
    client.force_login(editor)
    answer = client.post(reverse("candidate_link", args=[late.pk]), **HX)
    assert answer.status_code == 409 and "already holds" in answer.content.decode()
    assert set(incidents.incident_of(g1).events.all()) == {g1, g2}


def test_only_the_latest_link_of_an_incident_can_be_undone(corpus, binnish, editor):
    a, b, c = (report(corpus, t, binnish) for t in "abc")
    first, second = suggest(a, b), suggest(b, c)
    incident = incidents.link(first, editor)
    incidents.link(second, editor)  # c joins
    with pytest.raises(incidents.DecisionRefused, match=f"later link .*pair #{second.pk}"):
        incidents.undo(first, editor)
    assert set(incident.events.all()) == {a, b, c}
    incidents.undo(second, editor)
    incidents.undo(first, editor)
    assert not Incident.objects.exists() and not IncidentEvent.objects.exists()


def test_undoing_a_merge_then_the_merged_link_leaves_no_dangling_incident(corpus, binnish, editor):
    a, b, c, d = (report(corpus, t, binnish) for t in "abcd")
    ab, cd, bc = suggest(a, b), suggest(c, d), suggest(b, c)
    incidents.link(ab, editor)
    incidents.link(cd, editor)
    merged = incidents.link(bc, editor)
    with pytest.raises(incidents.DecisionRefused, match=f"pair #{bc.pk}"):
        incidents.undo(cd, editor)  # its incident was merged away
    incidents.undo(bc, editor)
    incidents.undo(cd, editor)  # its events are in the split incident now: they leave it
    assert incidents.incident_of(c) is None and incidents.incident_of(d) is None
    assert set(merged.events.all()) == {a, b} and Incident.objects.count() == 1


def test_a_stale_undo_is_refused_not_applied_to_anothers_decision(client, two, editor, corpus):
    candidate = pair(*two)
    incidents.link(candidate, editor)
    shown = seen(pair(*two))  # editor 1's page: "Undo your last decision (linked)"
    eve = make_user(corpus, "eve", "editor")
    incidents.undo(candidate, eve, seen=(shown["seen_decision"], shown["seen_at"]))
    incidents.reject(candidate, eve)
    client.force_login(editor)
    url = reverse("candidate_undo", args=[candidate.pk])
    stale = client.post(url, {"i": "0", **shown}, **HX)
    assert stale.status_code == 409 and "changed since you loaded" in stale.content.decode()
    assert client.post(url, {"i": "0"}, **HX).status_code == 409  # a form that saw nothing
    assert pair(*two).decision == "rejected"
    page = client.get(reverse("incident_queue"), {"decision": "rejected"}).content.decode()
    assert f'name="seen_at" value="{pair(*two).decided_at.isoformat()}"' in page
    assert client.post(url, {"i": "0", **seen(pair(*two))}, **HX).status_code == 200
    assert pair(*two).decision == "pending"


def test_events_deleted_by_adjudication_or_cascade_leave_no_one_report_incident(
    two, editor, corpus, binnish
):
    a, b = two
    c = report(corpus, "c", binnish)
    first = pair(a, b)
    incidents.link(first, editor)
    incident = incidents.link(suggest(b, c), editor)
    events.delete_event(c, editor, c.layer.version)  # the incident keeps two reports
    told = AuditEntry.objects.filter(object_type="incident", object_id=incident.pk)
    assert {e.layer_id for e in told} == {a.layer_id, b.layer_id}
    assert told.first().after == {"events": [a.pk, b.pk], "dissolved": False}
    Event.objects.filter(pk=b.pk).delete()  # as adjudication's _replace_events does
    assert not Incident.objects.exists() and not IncidentEvent.objects.exists()
    gone = AuditEntry.objects.filter(object_type="incident_match", action="delete")
    assert gone.get(object_id=first.pk).layer_id == a.layer_id  # the decided pair's going is told
    b2 = report(corpus, "b2", binnish)
    incidents.link(suggest(a, b2), editor)
    b2.layer.delete()  # a whole layer going takes its events out too
    assert not Incident.objects.exists()


def test_a_change_of_members_outdates_an_override_form(two, editor, corpus, binnish):
    a, b = two
    incident = incidents.link(pair(a, b), editor)
    stamp = Incident.objects.get(pk=incident.pk).updated.isoformat()
    joined = suggest(b, report(corpus, "c", binnish))
    incidents.link(joined, editor)
    with pytest.raises(incidents.DecisionRefused, match="changed since"):
        incidents.set_override(incident, "fatalities", 1, editor, seen=stamp)
    stamp = Incident.objects.get(pk=incident.pk).updated.isoformat()
    incidents.undo(joined, editor)
    with pytest.raises(incidents.DecisionRefused, match="changed since"):
        incidents.set_override(incident, "fatalities", 1, editor, seen=stamp)


def test_a_returned_layers_member_stays_but_no_longer_counts(corpus, binnish, alice, editor):
    gold = report(corpus, "gold", binnish, state=Layer.APPROVED, fatalities=4)
    mine = report(corpus, "mine", binnish, kind=Layer.ANNOTATOR, state=Layer.APPROVED,
                  annotator=alice, fatalities=2)  # fmt: skip
    candidate = suggest(gold, mine)
    incident = incidents.link(candidate, editor)
    assert incidents.reconcile(incident)["fatalities"] == 2
    workflow.request_changes(mine.layer, editor, "fix the figure")
    Event.objects.filter(pk=mine.pk).update(fatalities=0)  # an unapproved edit
    assert incident.members.count() == 2  # kept: approving again needs nothing put back
    got = incidents.reconcile(incident)
    assert (got["fatalities"], got["event_ids"]) == (4, [gold.pk])
    assert incidents.reconciled_page([incident])[0][1]["fatalities"] == 4
    incidents.undo(candidate, editor)  # and the link can still be undone
    assert not Incident.objects.exists()


def test_the_incident_list_costs_the_same_for_2_and_30_incidents(
    client, corpus, binnish, editor, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def incidents_made(n: int) -> None:
        for k in range(n):
            a, b = report(corpus, f"{n}a{k}", binnish), report(corpus, f"{n}b{k}", binnish)
            incidents.link(suggest(a, b), editor)

    client.force_login(editor)
    incidents_made(2)
    with CaptureQueriesContext(connection) as two_cost:
        assert client.get(reverse("incident_list")).status_code == 200
    incidents_made(28)
    with django_assert_max_num_queries(len(two_cost.captured_queries)):
        page = client.get(reverse("incident_list")).content.decode()
    assert page.count("Air/drone strike") == 30 and "Binnish" in page


def test_a_user_deleted_with_both_linked_layers_leaves_no_history_in_them(
    corpus, binnish, alice, editor
):
    mine = [
        report(corpus, t, binnish, kind=Layer.ANNOTATOR, state=Layer.APPROVED, annotator=alice)
        for t in "ab"
    ]
    incidents.link(suggest(*mine), editor)
    alice.delete()  # both layers go: nothing may be written into them on the way
    assert not Incident.objects.exists() and not Layer.objects.filter(annotator_id=alice.pk)


# --- Taking one report out of an incident ------------------------------------------------------


def stamp(incident: Incident) -> str:
    return Incident.objects.get(pk=incident.pk).updated.isoformat()


def test_a_report_taken_out_leaves_the_rest_linked_and_undo_still_works(corpus, binnish, editor):
    a, b, c, d = (report(corpus, t, binnish) for t in "abcd")
    ab, bc, cd, ac = suggest(a, b), suggest(b, c), suggest(c, d), suggest(a, c)
    incident = incidents.link(ab, editor)
    incidents.link(bc, editor)
    incidents.link(cd, editor)
    # b was wrong; undo could only take back c-d, the latest link. Taking b out works at once.
    assert incidents.take_out(incident, b.pk, editor, stamp(incident)) is True
    assert set(incident.events.all()) == {a, c, d} and incidents.incident_of(b) is None
    decisions = {p.pk: p.decision for p in IncidentCandidate.objects.all()}
    assert decisions == {ab.pk: "rejected", bc.pk: "rejected", cd.pk: "linked", ac.pk: "pending"}
    told = AuditEntry.objects.filter(object_type="incident", object_id=incident.pk)
    assert {e.layer_id for e in told} == {e.layer_id for e in (a, b, c, d)}
    assert {tuple(e.after["events"]) for e in told} == {(a.pk, c.pk, d.pk)}
    assert {e.after["taken_out"] for e in told} == {b.pk} and told.first().user == editor
    incidents.undo(cd, editor)  # the latest link is still undone as it was made
    assert set(incident.events.all()) == {a, c}
    # Undoing the "not the same" in the queue brings the pair back, to link again.
    incidents.undo(IncidentCandidate.objects.get(pk=ab.pk), editor)
    incidents.link(IncidentCandidate.objects.get(pk=ab.pk), editor)
    assert set(incident.events.all()) == {a, b, c}


def test_a_report_a_merge_brought_in_leaves_that_merges_undo_free(corpus, binnish, editor):
    a, b, c, d, e, f, g = (report(corpus, t, binnish) for t in "abcdefg")
    one = incidents.link(suggest(a, b), editor)
    incidents.link(suggest(a, f), editor)
    incidents.link(suggest(c, d), editor)
    incidents.link(suggest(d, e), editor)
    merge = suggest(b, c)
    assert incidents.link(merge, editor) == one  # {a, b, f} takes in {c, d, e}
    incidents.take_out(one, d.pk, editor)
    merge.refresh_from_db()
    assert sorted(merge.effect["added"]) == sorted([c.pk, e.pk])
    elsewhere = incidents.link(suggest(d, g), editor)  # d's own incident now
    incidents.undo(merge, editor)  # not refused for d's link in another incident
    assert set(one.events.all()) == {a, b, f} and set(elsewhere.events.all()) == {d, g}
    assert set(incidents.incident_of(c).events.all()) == {c, e}


def test_taking_out_refuses_stale_pages_and_strangers_and_a_last_pair_dissolves(two, editor):
    a, b = two
    incident = incidents.link(pair(a, b), editor)
    old = stamp(incident)
    incidents.set_override(incident, "fatalities", 4, editor)
    with pytest.raises(incidents.DecisionRefused, match="changed since"):
        incidents.take_out(incident, b.pk, editor, old)
    outsider = report(incident.corpus, "c", b.place)
    with pytest.raises(incidents.DecisionRefused, match="not in the incident"):
        incidents.take_out(incident, outsider.pk, editor, stamp(incident))
    with pytest.raises(incidents.DecisionRefused, match="This report no longer exists"):
        incidents.take_out(incident, 10**9, editor)
    assert set(incident.events.all()) == {a, b}
    assert incidents.take_out(incident, b.pk, editor, stamp(incident)) is False
    assert not Incident.objects.exists() and pair(a, b).decision == "rejected"


def test_the_incident_page_takes_a_report_out_htmx_and_plain(client, corpus, binnish, editor,
                                                              alice):  # fmt: skip
    a, b, c = (report(corpus, t, binnish) for t in "abc")
    incident = incidents.link(suggest(a, b), editor)
    incidents.link(suggest(b, c), editor)
    url = reverse("incident_take_out", args=[incident.pk])
    client.force_login(alice)  # an annotator: no such page
    assert client.post(url, {"event": b.pk, "seen": stamp(incident)}).status_code == 404
    client.force_login(editor)
    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert page.count(f'action="{url}"') == 3 and f'name="event" value="{b.pk}"' in page
    assert client.post(url, {"event": "x", "seen": stamp(incident)}, **HX).status_code == 422
    stale = client.post(url, {"event": b.pk, "seen": "2000-01-01T00:00:00+00:00"}, **HX)
    assert stale.status_code == 409 and "changed since" in stale.content.decode()
    done = client.post(url, {"event": b.pk, "seen": stamp(incident)}, **HX)
    html = done.content.decode()
    assert done.status_code == 200 and "Report taken out" in html and "<html" not in html
    assert html.count(f'action="{url}"') == 2 and set(incident.events.all()) == {a, c}
    plain = client.post(url, {"event": c.pk, "seen": stamp(incident)})  # the last pair
    assert plain.status_code == 302 and plain["Location"].startswith(reverse("incident_list"))
    assert "one report left, so it is gone" in client.get(plain["Location"]).content.decode()
    assert not Incident.objects.exists()


def test_taking_out_the_last_pair_over_htmx_sends_the_editor_to_the_list(client, two, editor):
    incident = incidents.link(pair(*two), editor)
    client.force_login(editor)
    url = reverse("incident_take_out", args=[incident.pk])
    gone = client.post(url, {"event": two[0].pk, "seen": stamp(incident)}, **HX)
    assert gone.status_code == 200 and gone["HX-Redirect"].startswith(reverse("incident_list"))
    again = client.post(url, {"event": two[1].pk}, **HX)  # another tab's click, too late
    assert again.status_code == 404


def test_the_history_names_incident_fields_in_the_pages_language(client, corpus, binnish, editor):
    a, b, c = (report(corpus, t, binnish) for t in "abc")
    incident = incidents.link(suggest(a, b), editor)
    incidents.link(suggest(b, c), editor)
    incidents.set_override(incident, "place", binnish, editor)
    incidents.take_out(incident, b.pk, editor)
    client.force_login(editor)
    url = reverse("article_history", args=[a.layer.article_id])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Report taken out" in english and "Binnish" in english and "Dissolved" in english
    arabic = client.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    for word in ("Decision", "Events", "Report taken out", "Dissolved", "linked", "False"):
        assert f">{word}" not in arabic, word
    assert "القرار" in arabic and "مربوط" in arabic and "أُخرج تقرير" in arabic


def test_take_out_waits_behind_an_undo_instead_of_deadlocking(transactional_db, corpus, binnish,
                                                              editor):  # fmt: skip
    """An undo locks its pair, then its events. A take-out that locked the event first and
    the pair after would deadlock with it (PostgreSQL then aborts one: a 500). The other
    transaction here takes the same locks as an undo, one step at a time, and moves on to the
    event only once the take-out waits on a lock."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks")
    a, b, c = (report(corpus, t, binnish) for t in "abc")
    incident = incidents.link(suggest(a, b), editor)
    bc = suggest(b, c)
    incidents.link(bc, editor)
    failures: list[BaseException] = []
    holding = threading.Event()

    def undo_like() -> None:
        try:
            with transaction.atomic():
                IncidentCandidate.objects.select_for_update().get(pk=bc.pk)
                holding.set()
                with connection.cursor() as cursor:
                    for _ in range(500):  # up to 10 s for the take-out to block
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                            "'Lock' AND datname = current_database()"
                        )
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.02)
                Event.objects.select_for_update().get(pk=b.pk)
        except BaseException as exc:  # any failure: the test reports it
            failures.append(exc)
        finally:
            connection.close()

    def taking_out() -> None:
        try:
            incidents.take_out(incident, b.pk, editor)
        except BaseException as exc:  # any failure: the test reports it
            failures.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=undo_like)
    first.start()
    assert holding.wait(10)
    second = threading.Thread(target=taking_out)
    second.start()
    first.join(20)
    second.join(20)
    assert not failures, failures
    assert set(incident.events.all()) == {a, c}
