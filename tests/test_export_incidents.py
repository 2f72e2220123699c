"""The incident level of the exports: events editors linked across reports are one row."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from annotations import incidents as matching
from annotations.exports import INCIDENT, Selection, stream
from annotations.exports import incidents as level
from annotations.exports.acled import ACLED_COLUMNS, COLUMNS
from annotations.exports.bundle import write as write_bundle
from annotations.models import (
    Actor,
    Article,
    Corpus,
    Event,
    Evidence,
    Incident,
    IncidentEvent,
    Layer,
)

STRIKE = {"event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike"}
CLASH = {"event_type": "Battles", "sub_event_type": "Armed clash"}


def gold(corpus: Corpus, title: str, source: str, published: date) -> Layer:
    article = Article.objects.create(
        corpus=corpus, title=title, body=title, source=source, published_at=published
    )
    return Layer.objects.create(article=article, kind=Layer.GOLD, state=Layer.APPROVED)


def link(corpus: Corpus, *events: Event, **overrides) -> Incident:
    incident = Incident.objects.create(corpus=corpus, overrides=overrides)
    for event in events:
        IncidentEvent.objects.create(incident=incident, event=event)
    return incident


@pytest.fixture
def told_twice(corpus, places) -> dict:
    """One air strike on Raqqa told by two outlets (linked), and a clash told once."""
    places["raqqa"].latitude, places["raqqa"].longitude = 35.95, 39.01
    places["raqqa"].save()
    army = Actor.objects.create(name="Military Forces of Syria", inter_code=1)
    first = gold(corpus, "غارة على الرقة", "SOHR", date(2024, 3, 1))
    second = gold(corpus, "قصف الرقة", "SANA", date(2024, 3, 2))
    precise = Event.objects.create(
        layer=first, **STRIKE, actor1=army, event_date=date(2024, 3, 1), time_precision=1,
        place=places["raqqa"], geo_precision=1, fatalities=5, notes="غارة على الرقة",
    )  # fmt: skip
    Evidence.objects.create(event=precise, field="event_type", start=0, end=4)
    vague = Event.objects.create(
        layer=second, **STRIKE, event_date=date(2024, 3, 2), time_precision=2,
        place=places["maskanah"], geo_precision=2, fatalities=3, fatalities_high=7,
        notes="قصف",
    )  # fmt: skip
    alone = Event.objects.create(layer=second, **CLASH, notes="اشتباك")
    incident = link(corpus, precise, vague)
    return {
        "first": first.article,
        "second": second.article,
        "precise": precise,
        "vague": vague,
        "alone": alone,
        "incident": incident,
    }


def text(selection: Selection, fmt: str) -> str:
    return b"".join(stream(selection, fmt, level=INCIDENT)).decode("utf-8")


def csv_rows(content: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(content))
    return reader.fieldnames, list(reader)


def test_linked_reports_are_one_row_and_an_unlinked_event_its_own(told_twice, corpus):
    header, rows = csv_rows(text(Selection(corpus), "acled"))
    # ACLED's columns in ACLED's order, then the report-level extras, then the incident's.
    assert header[: len(ACLED_COLUMNS)] == ACLED_COLUMNS and header[: len(COLUMNS)] == COLUMNS
    assert header[len(COLUMNS) :] == level.INCIDENT_COLUMNS
    assert len(rows) == 2
    strike, clash = rows
    t = told_twice
    assert strike["event_id_cnty"] == f"SYR-I{t['incident'].pk}"
    assert strike["source"] == "SOHR; SANA"
    assert strike["notes"] == (
        f"[reports: article {t['first'].pk} event {t['precise'].pk}; "
        f"article {t['second'].pk} event {t['vague'].pk}] غارة على الرقة"
    )
    # The lowest figure, with the range of all; the most precise date and place.
    assert (strike["fatalities"], strike["fatalities_low"], strike["fatalities_high"]) == (
        "3", "3", "7",
    )  # fmt: skip
    assert (strike["event_date"], strike["time_precision"]) == ("2024-03-01", "1")
    assert (strike["location"], strike["geo_precision"], strike["geonameid"]) == (
        "Ar Raqqah", "1", "172955",
    )  # fmt: skip
    # The representative (the most precise report) gives the actors and the evidence.
    assert strike["actor1"] == "Military Forces of Syria" and strike["inter1"] == "1"
    assert (strike["article_id"], strike["layer"]) == (str(t["first"].pk), "gold")
    assert strike["evidence"] == "event_type:0-4"
    assert strike["event_ids"] == f"{t['precise'].pk};{t['vague'].pk}"
    assert strike["article_ids"] == f"{t['first'].pk};{t['second'].pk}"
    assert strike["incident_id"] == str(t["incident"].pk)
    # The clash is as at report level (its id too), with its report id in the notes.
    assert clash["event_id_cnty"] == f"XXX{t['second'].pk}-2"
    assert clash["notes"] == f"[reports: article {t['second'].pk} event {t['alone'].pk}] اشتباك"
    assert (clash["source"], clash["incident_id"], clash["fatalities"]) == ("SANA", "", "")


def test_geojson_and_jsonl_have_the_same_rows_typed(told_twice, corpus):
    features = json.loads(text(Selection(corpus), "geojson"))["features"]
    lines = [json.loads(line) for line in text(Selection(corpus), "jsonl").splitlines()]
    assert len(features) == len(lines) == 2
    t = told_twice
    strike = lines[0]
    assert strike["event_ids"] == [t["precise"].pk, t["vague"].pk]
    assert strike["article_ids"] == [t["first"].pk, t["second"].pk]
    assert (strike["fatalities"], strike["fatalities_low"], strike["fatalities_high"]) == (3, 3, 7)
    assert strike["source"] == "SOHR; SANA" and strike["notes"].startswith("[reports: article")
    assert strike["evidence"] == [{"field": "event_type", "start": 0, "end": 4}]
    point = features[0]
    assert point["geometry"] == {"type": "Point", "coordinates": [39.01, 35.95]}
    props = point["properties"]
    assert {k: v for k, v in strike.items() if k not in ("latitude", "longitude")} == props
    assert features[1]["geometry"] is None and lines[1]["event_ids"] == [t["alone"].pk]


def test_the_bulk_rule_agrees_with_reconcile(told_twice, corpus, places):
    extra = gold(corpus, "ثالث", "", date(2024, 3, 3))
    third = Event.objects.create(
        layer=extra, event_type="Explosions/Remote violence",
        sub_event_type="Shelling/artillery/missile attack", event_date=date(2024, 3, 2),
        time_precision=1, place=places["maskanah"], geo_precision=1, fatalities_low=2,
        source="Enab Baladi",
    )  # fmt: skip
    incident = told_twice["incident"]
    IncidentEvent.objects.create(incident=incident, event=third)
    every = {"fatalities": 4, "event_date": "2024-03-05", "place": places["aleppo"].pk}
    for overrides in ({}, every, {"place": 999999}):  # a deleted place is no override
        incident.overrides = overrides
        incident.save()
        expected = matching.reconcile(incident)
        [row] = [r for chunk in level.rows(Selection(corpus)) for r in chunk if r["incident_id"]]
        assert row["fatalities"] == expected["fatalities"]
        assert (row["fatalities_low"], row["fatalities_high"]) == (
            expected["fatalities_low"], expected["fatalities_high"],
        )  # fmt: skip
        assert (row["event_type"], row["sub_event_type"]) == (
            expected["event_type"], expected["sub_event_type"],
        )  # fmt: skip
        assert row["event_date"] == expected["event_date"].isoformat()
        assert row["geonameid"] == expected["place"].geonameid
        assert row["source"] == "; ".join(expected["sources"])
        assert row["event_ids"] == expected["event_ids"]
        assert row["article_ids"] == expected["article_ids"]
        assert row["overridden"] == expected["overridden"]
    incident.overrides = every
    incident.save()
    [row] = [r for chunk in level.rows(Selection(corpus)) for r in chunk if r["incident_id"]]
    assert (row["fatalities"], row["event_date"], row["location"]) == (4, "2024-03-05", "Aleppo")
    assert row["overridden"] == ["event_date", "fatalities", "place"]
    assert row["sub_event_type"] == "Air/drone strike"  # two reports of three say so


def test_an_incident_reaching_outside_the_selection(told_twice, corpus, places, alice):
    """Exported when one of its events is selected, reconciled from all of them; an incident
    with no selected event is left out."""
    article = Article.objects.create(corpus=corpus, title="تقرير", body="تقرير", source="Reuters")
    approved = Layer.objects.create(
        article=article, kind=Layer.ANNOTATOR, annotator=alice, state=Layer.APPROVED
    )
    outside = Event.objects.create(layer=approved, **STRIKE, fatalities=1)
    IncidentEvent.objects.create(incident=told_twice["incident"], event=outside)
    lonely = Event.objects.create(layer=approved, **CLASH)
    other = Event.objects.create(
        layer=gold(Corpus.objects.create(name="Other"), "x", "AFP", date(2024, 3, 1)), **CLASH
    )
    link(corpus, lonely, other)
    _, rows = csv_rows(text(Selection(corpus, since=date(2024, 1, 1)), "acled"))
    assert len(rows) == 2  # the strike and the clash: the annotator's incident is not selected
    assert rows[0]["source"] == "SOHR; SANA; Reuters" and rows[0]["fatalities"] == "1"
    # Selecting the annotator layers brings that incident in, with its other corpus's report.
    _, rows = csv_rows(text(Selection(corpus, layers="annotators"), "acled"))
    assert [r["source"] for r in rows] == ["SOHR; SANA; Reuters", "Reuters; AFP"]


def test_an_incident_across_chunks_is_written_once(told_twice, corpus):
    chunks = list(level.rows(Selection(corpus), size=1))
    assert [len(chunk) for chunk in chunks] == [1, 1]  # the strike with the first article
    assert chunks[0][0]["incident_id"] == told_twice["incident"].pk


@pytest.mark.django_db(transaction=True)
def test_reading_ahead_gives_the_same_rows(told_twice, corpus):
    """On PostgreSQL outside a transaction other threads read the chunks; same rows."""
    from annotations import exports

    selection = Selection(corpus)
    reader = exports.fetched(selection, 1, spans=False)
    assert next(reader).spans == {}  # the incident level reads no spans
    reader.close()
    rows = [row["event_id_cnty"] for chunk in level.rows(selection, size=1) for row in chunk]
    assert rows == [f"SYR-I{told_twice['incident'].pk}", f"XXX{told_twice['second'].pk}-2"]


def test_queries_do_not_grow_with_incidents(corpus, places, django_assert_max_num_queries):
    def tell(first: int, last: int) -> None:
        for i in range(first, last):
            a = Event.objects.create(layer=gold(corpus, f"a{i}", "A", date(2024, 1, 1)), **STRIKE)
            b = Event.objects.create(
                layer=gold(corpus, f"b{i}", "B", date(2024, 1, 1)), **STRIKE, place=places["raqqa"]
            )
            Evidence.objects.create(event=b, field="event_type", start=0, end=1)
            link(corpus, a, b, fatalities=i)

    tell(0, 2)
    with django_assert_max_num_queries(9):
        assert len(text(Selection(corpus), "acled").splitlines()) == 3
    tell(2, 32)
    with django_assert_max_num_queries(9):
        assert len(text(Selection(corpus), "acled").splitlines()) == 33


def test_the_bundle_has_both_levels_and_the_datasheet_counts(told_twice, corpus, tmp_path):
    target = tmp_path / "bundle.zip"
    with open(target, "wb") as out:
        write_bundle(Selection(corpus), out, excel=True)
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        sheet = json.loads(zf.read("datasheet.json"))
        markdown = zf.read("datasheet.md").decode()
        incidents_csv = zf.read("incidents.csv")
        events_csv = zf.read("events.csv").decode("utf-8-sig")
        geojson = json.loads(zf.read("incidents.geojson"))
        jsonl = zf.read("incidents.jsonl").decode()
    assert {"events.csv", "events.geojson", "data.jsonl"} <= names
    assert {"incidents.csv", "incidents.geojson", "incidents.jsonl"} <= names
    assert incidents_csv.startswith(b"\xef\xbb\xbf")  # Excel's mark, as on events.csv
    assert incidents_csv.decode("utf-8-sig") == text(Selection(corpus), "acled")
    assert len(events_csv.splitlines()) == 4 and len(geojson["features"]) == 2
    assert jsonl == text(Selection(corpus), "jsonl")
    counts = {k: v for k, v in sheet["incident_level"].items() if k != "rule"}
    assert counts == {
        "reports": 2,
        "events": 3,
        "incidents": 2,
        "linked_incidents": 1,
        "duplicates_removed": 1,
    }
    assert sheet["counts"]["events"] == 3 and "incidents.csv" in sheet["files"]
    assert "## Incidents" in markdown and "| duplicates_removed | 1 |" in markdown
    assert "lowest fatality figure" in markdown


# --- The page ------------------------------------------------------------------------------


def logged_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def download(client: Client, **params):
    return client.get(reverse("export_download"), params)


def test_the_form_offers_the_level(editor, corpus):
    html = logged_in(editor).get(reverse("export")).content.decode()
    assert 'name="level"' in html and 'value="incident"' in html
    assert "one row per incident" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_an_editor_downloads_the_incident_level(editor, told_twice, corpus, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = logged_in(editor).get(
        reverse("export_download"),
        {"corpus": corpus.pk, "format": "acled", "level": "incident"},
        headers=headers,
    )
    assert response.status_code == 200 and response.streaming
    assert "reports-gold-incidents.csv" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    assert body == text(Selection(corpus), "acled")
    assert len(csv_rows(body)[1]) == 2


def test_the_report_level_stays_the_default(editor, told_twice, corpus):
    response = download(logged_in(editor), corpus=corpus.pk, format="acled")
    _, rows = csv_rows(b"".join(response.streaming_content).decode())
    assert len(rows) == 3 and "reports-gold.csv" in response["Content-Disposition"]


def test_an_annotator_may_not_export_incidents(alice, told_twice, corpus):
    response = download(logged_in(alice), corpus=corpus.pk, format="acled", level="incident")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"format": "acled", "level": "article"}, "Level: Select a valid choice."),
        ({"format": "conll", "level": "incident"}, "Level: CoNLL has no incident level."),
    ],
)
def test_a_bad_level_gives_the_form_again(editor, corpus, params, message):
    response = download(logged_in(editor), corpus=corpus.pk, **params)
    html = response.content.decode()
    assert response.status_code == 422 and 'role="alert"' in html and message in html


def test_the_incident_csv_gets_the_bom_for_excel(editor, told_twice, corpus):
    params = {"corpus": corpus.pk, "format": "acled", "level": "incident", "excel": "on"}
    body = b"".join(download(logged_in(editor), **params).streaming_content)
    assert body == b"\xef\xbb\xbf" + text(Selection(corpus), "acled").encode()


def test_the_command_exports_the_incident_level(told_twice, corpus, tmp_path):
    from django.core.management import CommandError, call_command

    out = tmp_path / "incidents.csv"
    call_command("export", corpus=corpus.name, format="acled", level="incident", output=str(out))
    _, rows = csv_rows(out.read_text(encoding="utf-8"))
    assert [r["source"] for r in rows] == ["SOHR; SANA", "SANA"]
    with pytest.raises(CommandError, match="conll has no incident level"):
        call_command("export", corpus=corpus.name, format="conll", level="incident")


def test_a_returned_layers_member_no_longer_counts_in_the_incident_row(told_twice, corpus, alice):
    """A member whose layer went back to its annotator stays linked but is not read (incfix)."""
    article = Article.objects.create(corpus=corpus, title="تقرير", body="تقرير", source="Reuters")
    returned = Layer.objects.create(
        article=article, kind=Layer.ANNOTATOR, annotator=alice, state=Layer.CHANGES_REQUESTED
    )
    edited = Event.objects.create(layer=returned, **STRIKE, fatalities=1)
    IncidentEvent.objects.create(incident=told_twice["incident"], event=edited)
    [row] = [r for chunk in level.rows(Selection(corpus)) for r in chunk if r["incident_id"]]
    assert row["source"] == "SOHR; SANA" and row["fatalities"] == 3
    assert edited.pk not in row["event_ids"]
    assert matching.reconcile(told_twice["incident"])["fatalities"] == 3
