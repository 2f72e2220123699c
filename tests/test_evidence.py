"""Evidence of an event: citing keeps the form's unsaved edits, removing, and what happens to
evidence when its field's value changes (and so what the exports say)."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from annotations.exports import Selection, records, stream
from annotations.forms import EventForm
from annotations.models import Actor, AuditEntry, Event, Evidence, Layer, Span
from annotations.spans import annotator_layer, page_layer
from annotations.taggers import pretag

HX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def at(layer: Layer, word: str) -> tuple[int, int]:
    start = layer.article.body.index(word)
    return start, start + len(word)


def span(layer: Layer, word: str, label: str = "ORG") -> Span:
    start, end = at(layer, word)
    return Span.objects.create(layer=layer, start=start, end=end, label=label)


def cite(event: Event, field: str, word: str) -> Evidence:
    start, end = at(event.layer, word)
    return Evidence.objects.create(event=event, field=field, start=start, end=end)


def version(layer: Layer) -> int:
    return Layer.objects.get(pk=layer.pk).version


def form_of(event: Event, **changes: object) -> dict:
    """What the panel's form posts for the event as it is, with `changes` typed in."""
    initial = EventForm(instance=event).initial
    data = {k: "" if v is None else v for k, v in initial.items() if k != "civilian_targeting"}
    return data | changes | {"version": version(event.layer)}


@pytest.fixture
def actors(db) -> dict[str, Actor]:
    return {
        "army": Actor.objects.create(name="Military Forces of Syria", inter_code=1),
        "rebels": Actor.objects.create(name="Opposition Rebels", inter_code=2),
        "militia": Actor.objects.create(name="Tribal militia", inter_code=4),
    }


@pytest.fixture
def clash(article, alice, actors) -> Event:
    """Alice's clash: the army against the rebels, 3 killed, each field with its evidence."""
    layer = annotator_layer(article, alice)
    event = Event.objects.create(
        layer=layer,
        event_type="Battles",
        sub_event_type="Armed clash",
        actor1=actors["army"],
        actor2=actors["rebels"],
        fatalities=3,
        notes="اشتباكات في ريف حلب",
    )
    cite(event, "event_type", "الاشتباكات")
    cite(event, "actor1", "طائرات حربية")
    cite(event, "actor2", "مصدر محلي")
    cite(event, "fatalities", "٣")
    cite(event, "notes", "ريف حلب الشرقي")
    return event


def evidence_of(event: Event) -> set[tuple[str, str]]:
    body = event.layer.article.body
    return {(e.field, body[e.start : e.end]) for e in event.evidence.all()}


def record_selection(corpus) -> Selection:
    return Selection(corpus, layers="annotators", annotator="alice")


def save(client: Client, event: Event, **changes: object):
    url = reverse("event_edit", args=[event.pk])
    return client.post(url, form_of(event, **changes), **HX)


# --- Citing keeps the form --------------------------------------------------------------------


def test_citing_swaps_only_the_evidence_list_and_carries_the_cited_ids(alice, clash, actors):
    client = logged_in(alice)
    word = span(clash.layer, "الرقة", "LOC")
    url = reverse("evidence_add", args=[clash.pk])
    # htmx sends the whole form along: the user's unsaved militia and an earlier citation.
    earlier = cite(clash, "actor2", "مواقع")
    data = form_of(clash, actor2=actors["militia"].pk, notes="غير محفوظ") | {
        "span": word.pk,
        "field": "location",
        "cited": [earlier.pk],
    }
    response = client.post(url, data, **HX)
    html = response.content.decode()
    added = clash.evidence.get(field="location")
    assert response.status_code == 200
    assert '<ul id="event-evidence" hx-swap-oob="true">' in html
    assert 'id="event-panel"' not in html and 'name="notes"' not in html  # the form stays
    assert f'name="cited" value="{added.pk}"' in html
    assert f'name="cited" value="{earlier.pk}"' in html
    assert 'id="layer-version" name="version"' in html and "Evidence added." in html
    clash.refresh_from_db()
    assert (clash.actor2, clash.notes) == (actors["rebels"], "اشتباكات في ريف حلب")  # unsaved


def test_citing_without_htmx_redirects_to_the_article(alice, clash):
    word = span(clash.layer, "الرقة", "LOC")
    data = {"span": word.pk, "field": "location", "version": version(clash.layer)}
    response = logged_in(alice).post(reverse("evidence_add", args=[clash.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == clash.layer.article.get_absolute_url()
    assert clash.evidence.filter(field="location").exists()


# --- The value rule ----------------------------------------------------------------------------


def test_swapping_the_actors_moves_their_evidence_and_the_export_follows(
    alice, clash, actors, corpus
):
    response = save(logged_in(alice), clash, actor1=actors["rebels"].pk, actor2=actors["army"].pk)
    assert response.status_code == 200
    assert {f: w for f, w in evidence_of(clash) if f.startswith("actor")} == {
        "actor1": "مصدر محلي",
        "actor2": "طائرات حربية",
    }
    [record] = records(record_selection(corpus))
    [exported] = record["events"]
    assert exported["actor1"]["name"] == "Opposition Rebels"
    cited = {(e["field"], e["text"]) for e in exported["evidence"]}
    assert {("actor1", "مصدر محلي"), ("actor2", "طائرات حربية")} <= cited
    assert ("actor1", "طائرات حربية") not in cited
    text = b"".join(stream(record_selection(corpus), "acled")).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    start, end = at(clash.layer, "مصدر محلي")
    assert f"actor1:{start}-{end}" in rows[0]["evidence"].split(";")


def test_a_changed_value_drops_the_evidence_for_the_old_one(alice, clash, actors, corpus):
    response = save(
        logged_in(alice),
        clash,
        fatalities=5,
        actor2=actors["militia"].pk,
        sub_event_type="Attack",
        event_type="Violence against civilians",
        notes="اشتباكات عنيفة في ريف حلب",  # reworded notes keep their evidence
    )
    assert response.status_code == 200
    assert evidence_of(clash) == {("actor1", "طائرات حربية"), ("notes", "ريف حلب الشرقي")}
    [record] = records(record_selection(corpus))
    assert {e["field"] for e in record["events"][0]["evidence"]} == {"actor1", "notes"}
    entry = AuditEntry.objects.filter(object_type="event", object_id=clash.pk).latest("pk")
    assert len(entry.before["evidence"]) == 5 and len(entry.after["evidence"]) == 2


def test_an_actor_moved_to_the_other_side_takes_its_evidence_an_unknown_one_drops_it(
    alice, clash, actors
):
    # The army becomes actor 2; actor 1 is now the militia, which nothing here cites.
    save(logged_in(alice), clash, actor1=actors["militia"].pk, actor2=actors["army"].pk)
    assert {w for f, w in evidence_of(clash) if f == "actor2"} == {"طائرات حربية"}
    assert not clash.evidence.filter(field="actor1").exists()


def test_evidence_cited_for_the_unsaved_value_stays_when_it_is_saved(alice, clash, actors):
    client = logged_in(alice)
    word = span(clash.layer, "مواقع")
    url = reverse("evidence_add", args=[clash.pk])
    unsaved = form_of(clash, actor2=actors["militia"].pk)
    client.post(url, unsaved | {"span": word.pk, "field": "actor2"}, **HX)
    fresh = clash.evidence.get(field="actor2", start=word.start)
    response = save(client, clash, actor2=actors["militia"].pk, cited=[fresh.pk])
    assert response.status_code == 200
    clash.refresh_from_db()
    assert clash.actor2 == actors["militia"]
    # The rebels' evidence went with the rebels; the militia's, cited for it, stays.
    assert {w for f, w in evidence_of(clash) if f == "actor2"} == {"مواقع"}


# --- Removing evidence -------------------------------------------------------------------------


def test_evidence_is_removed_with_an_audit_entry(alice, clash):
    doomed = clash.evidence.get(field="fatalities")
    url = reverse("evidence_delete", args=[clash.pk, doomed.pk])
    response = logged_in(alice).post(url, form_of(clash), **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "Evidence removed." in html
    assert '<ul id="event-evidence" hx-swap-oob="true">' in html and 'name="notes"' not in html
    assert not Evidence.objects.filter(pk=doomed.pk).exists()
    entry = AuditEntry.objects.get(object_type="event", object_id=clash.pk, action="update")
    assert ["fatalities", doomed.start, doomed.end] in entry.before["evidence"]
    assert ["fatalities", doomed.start, doomed.end] not in entry.after["evidence"]


def test_removing_without_htmx_redirects(alice, clash):
    doomed = clash.evidence.get(field="notes")
    url = reverse("evidence_delete", args=[clash.pk, doomed.pk])
    response = logged_in(alice).post(url, {"version": version(clash.layer)})
    assert response.status_code == 302 and not Evidence.objects.filter(pk=doomed.pk).exists()


def test_a_stale_removal_is_refused_not_merged(alice, clash):
    doomed = clash.evidence.get(field="notes")
    url = reverse("evidence_delete", args=[clash.pk, doomed.pk])
    stale = version(clash.layer) - 1
    response = logged_in(alice).post(url, {"version": stale}, **HX)
    assert response.status_code == 409 and "changed in another window" in response.content.decode()
    assert Evidence.objects.filter(pk=doomed.pk).exists()


def test_removal_is_refused_on_a_submitted_layer(alice, clash):
    Layer.objects.filter(pk=clash.layer_id).update(state=Layer.SUBMITTED)
    doomed = clash.evidence.get(field="notes")
    url = reverse("evidence_delete", args=[clash.pk, doomed.pk])
    response = logged_in(alice).post(url, {"version": version(clash.layer)}, **HX)
    assert response.status_code == 422
    assert Evidence.objects.filter(pk=doomed.pk).exists()


def test_others_may_not_remove_evidence(bob, editor, stranger, clash):
    doomed = clash.evidence.get(field="notes")
    url = reverse("evidence_delete", args=[clash.pk, doomed.pk])
    for user in (bob, editor, stranger):
        data = {"version": version(clash.layer)}
        assert logged_in(user).post(url, data, **HX).status_code == 404
        assert logged_in(user).post(url, data).status_code == 404
    other = cite(
        Event.objects.create(layer=clash.layer, event_type="Riots", sub_event_type="Mob violence"),
        "notes",
        "مواقع",
    )
    mismatched = reverse("evidence_delete", args=[clash.pk, other.pk])  # not this event's
    data = {"version": version(clash.layer)}
    assert logged_in(clash.layer.annotator).post(mismatched, data, **HX).status_code == 404
    assert Evidence.objects.filter(pk__in=[doomed.pk, other.pk]).count() == 2


def test_machine_evidence_shown_before_the_first_write_is_removed_from_the_copy(
    alice, article, places
):
    machine = pretag(article, force=True)
    event = machine.events.filter(evidence__isnull=False).first()
    shown = event.evidence.first()
    url = reverse("evidence_delete", args=[event.pk, shown.pk])
    unsaved = page_layer(article, alice)
    response = logged_in(alice).post(url, {"version": unsaved.version}, **HX)
    assert response.status_code == 200
    copy = Event.objects.get(layer__annotator=alice, derived_from=event)
    assert not copy.evidence.filter(field=shown.field, start=shown.start).exists()
    assert event.evidence.filter(pk=shown.pk).exists()  # the machine's stays


# --- Read-only panels --------------------------------------------------------------------------


def test_a_submitted_layer_shows_its_event_read_only(alice, clash):
    Layer.objects.filter(pk=clash.layer_id).update(state=Layer.SUBMITTED)
    html = logged_in(alice).get(reverse("event_edit", args=[clash.pk]), **HX).content.decode()
    assert '<fieldset class="event-fields" disabled>' in html
    assert "Save event" not in html and "Delete event" not in html
    assert 'name="focus"' not in html and "remove-evidence" not in html


def test_an_editor_sees_an_annotators_event_read_only_others_do_not(editor, bob, stranger, clash):
    url = reverse("event_edit", args=[clash.pk])
    response = logged_in(editor).get(url, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and '<fieldset class="event-fields" disabled>' in html
    assert "Save event" not in html and "remove-evidence" not in html
    plain = logged_in(editor).get(url).content.decode()
    assert '<fieldset class="event-fields" disabled>' in plain and "Save event" not in plain
    assert logged_in(editor).post(url, form_of(clash), **HX).status_code == 404
    for user in (bob, stranger):
        assert logged_in(user).get(url, **HX).status_code == 404


def test_the_annotator_gets_an_editable_panel(alice, clash):
    html = logged_in(alice).get(reverse("event_edit", args=[clash.pk]), **HX).content.decode()
    assert '<fieldset class="event-fields">' in html and "Save event" in html
    assert html.count('class="link remove-evidence"') == 5
