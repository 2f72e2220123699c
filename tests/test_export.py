"""Export: JSONL, CoNLL, ACLED CSV, GeoJSON, the bundle, filters, the JSONL round trip,
the importer's error report, and who may download what."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from annotations.exports import Selection, chunks, records, stream
from annotations.exports.acled import COLUMNS
from annotations.exports.conll import Dropped
from annotations.exports.jsonl import encode
from annotations.jsonl_import import import_jsonl
from annotations.models import (
    Actor,
    Article,
    Corpus,
    Event,
    Evidence,
    Layer,
    Place,
    Span,
    TaggerModel,
)
from annotations.text import tokenize

from .conftest import BODY

SECOND = "تظاهر مئات في حلب للمطالبة بالإفراج عن المعتقلين."


def at(text: str, word: str) -> tuple[int, int]:
    start = text.index(word)
    return start, start + len(word)


def span(layer: Layer, word: str, label: str, place: Place | None = None, **kw) -> Span:
    start, end = at(layer.article.body, word)
    status = Span.LINK_CONFIRMED if place else ""
    return Span.objects.create(
        layer=layer, start=start, end=end, label=label, place=place, link_status=status, **kw
    )


@pytest.fixture
def coded(article, places, alice, bob) -> Article:
    """A gold layer with an overlap, two linked places and two events (one placeless),
    annotator layers by alice (submitted) and bob (in progress), a machine layer."""
    article.published_at = date(2024, 3, 1)
    article.save(update_fields=["published_at"])
    gold = Layer.objects.create(article=article, kind=Layer.GOLD, state=Layer.APPROVED)
    raqqa = span(gold, "الرقة", "LOC", places["raqqa"], geo_precision=1)
    span(gold, "مسكنة", "LOC", places["maskanah"])
    span(gold, "ريف حلب الشرقي", "LOC")
    span(gold, "حلب", "LOC", places["aleppo"])  # inside the longer span: dropped from CoNLL
    span(gold, "مصدر محلي", "PERS", confidence=0.75)
    army = Actor.objects.create(name="Military Forces of Syria", name_ar="الجيش", inter_code=1)
    strike = Event.objects.create(
        layer=gold,
        event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike",
        actor1=army,
        event_date=date(2024, 3, 1),
        time_precision=1,
        place=places["raqqa"],
        geo_precision=1,
        fatalities=3,
        notes="غارات على الرقة",
    )
    Evidence.objects.create(event=strike, field="event_type", start=0, end=4)
    Evidence.objects.create(event=strike, field="location", start=33, end=38, span=raqqa)
    Event.objects.create(layer=gold, event_type="Battles", sub_event_type="Armed clash")
    for user, state in ((alice, Layer.SUBMITTED), (bob, Layer.IN_PROGRESS)):
        mine = Layer.objects.create(
            article=article, kind=Layer.ANNOTATOR, annotator=user, state=state
        )
        span(mine, "الرقة", "LOC", places["raqqa"])
    Layer.objects.create(
        article=article,
        kind=Layer.MACHINE,
        engines=[{"name": "gazetteer", "version": "3"}, {"name": "crf", "version": "7"}],
    )
    return article


@pytest.fixture
def later(coded, corpus) -> Article:
    """A second article, published later, with a gold layer still in progress."""
    made = Article.objects.create(
        corpus=corpus,
        title="مظاهرة",
        body=SECOND,
        published_at=date(2024, 5, 10),
        source="SANA",
        url="https://sana.sy/1",
        external_id="sana-1",
        metadata={"feed": "sana", "tags": ["حلب", 2]},
    )
    gold = Layer.objects.create(article=made, kind=Layer.GOLD, state=Layer.IN_PROGRESS)
    # A place made by an annotator: no GeoNames id, found again by name and coordinates.
    square = Place.objects.create(name="ساحة سعد الله الجابري", latitude=36.2, longitude=37.15)
    span(gold, "حلب", "LOC", square)
    return made


def text_of(selection: Selection, fmt: str, on_drop=None) -> str:
    return b"".join(stream(selection, fmt, on_drop)).decode("utf-8")


def jsonl_lines(selection: Selection) -> list[dict]:
    return [json.loads(line) for line in text_of(selection, "jsonl").splitlines()]


# --- JSONL ---------------------------------------------------------------------------------


def test_it_writes_one_jsonl_line_per_gold_layer(coded, corpus):
    [line] = jsonl_lines(Selection(corpus))
    assert (line["id"], line["corpus"], line["text"]) == (coded.pk, "Reports", BODY)
    assert line["published_at"] == "2024-03-01"
    assert line["layer"] == {"kind": "gold", "annotator": None, "state": "approved"}
    assert [(s["text"], s["label"]) for s in line["spans"]] == [
        ("الرقة", "LOC"),
        ("مصدر محلي", "PERS"),
        ("مسكنة", "LOC"),
        ("ريف حلب الشرقي", "LOC"),
        ("حلب", "LOC"),
    ]
    raqqa = line["spans"][0]
    assert raqqa["place"]["geonameid"] == 172955 and raqqa["link_status"] == "confirmed"
    assert line["spans"][1]["confidence"] == 0.75 and line["spans"][1]["place"] is None


def test_jsonl_events_carry_acled_fields_and_evidence(coded, corpus):
    [line] = jsonl_lines(Selection(corpus))
    strike, clash = line["events"]  # dated first, the undated one last
    assert strike["sub_event_type"] == "Air/drone strike"
    assert strike["disorder_type"] == "Political violence"
    assert strike["actor1"] == {
        "name": "Military Forces of Syria",
        "name_ar": "الجيش",
        "inter_code": 1,
    }
    assert (strike["interaction"], strike["fatalities"], strike["event_date"]) == (
        10,
        3,
        "2024-03-01",
    )
    assert strike["place"]["geonameid"] == 172955
    assert strike["evidence"] == [
        {"field": "event_type", "start": 0, "end": 4, "text": "قصفت", "span": None},
        {"field": "location", "start": 33, "end": 38, "text": "الرقة", "span": 0},
    ]
    assert clash["place"] is None and clash["event_date"] is None


def test_jsonl_lines_are_compact_utf8(coded, corpus):
    first = text_of(Selection(corpus), "jsonl").splitlines()[0]
    assert "الرقة" in first and "\\u" not in first and '", "' not in first


def test_jsonl_lines_are_the_records_encoded(coded, later, corpus, places):
    places["raqqa"].latitude = 35.95  # a float beside the nulls
    places["raqqa"].save()
    for selection in (Selection(corpus), Selection(corpus, layers="annotators")):
        expected = "".join(encode(record) + "\n" for record in records(selection))
        assert text_of(selection, "jsonl") == expected


def test_chunks_of_one_article_give_the_same_records(later, corpus):
    selection = Selection(corpus)
    assert [r for chunk in chunks(selection, size=1) for r in chunk] == list(records(selection))


@pytest.mark.django_db(transaction=True)
def test_reading_ahead_on_a_second_connection_gives_the_same_chunks(corpus, alice, bob):
    """On PostgreSQL outside a transaction the next chunk is read by another thread."""
    from django.db import connection

    from annotations import exports

    made = [
        Article.objects.create(corpus=corpus, title=f"t{i}", body=f"{BODY} {i}") for i in range(5)
    ]
    for article in made:
        gold = Layer.objects.create(article=article, kind="gold", state="approved")
        span(gold, "الرقة", "LOC")
    selection = Selection(corpus)
    expected = [chunk.records() for chunk in exports._read(selection, 2)]
    assert [chunk.records() for chunk in exports.fetched(selection, 2)] == expected
    if connection.vendor != "postgresql":
        return  # SQLite reads in this thread: nothing more to see
    reader = exports._read_ahead(selection, 1)
    assert next(reader).records() == expected[0][:1]
    reader.close()  # a client hanging up stops the reading thread
    assert not [t for t in __import__("threading").enumerate() if t.name == "export-read-ahead"]
    # An error in the reading thread reaches the writer.
    broken = Selection(corpus, since=date(2025, 1, 1), until="not a date")  # type: ignore[arg-type]
    with pytest.raises(Exception, match=r"not a date|invalid|format"):
        list(exports._read_ahead(broken, 1))


# --- Filters -------------------------------------------------------------------------------


def ids(selection: Selection) -> list[tuple[int, str | None]]:
    return [(line["id"], line["layer"]["annotator"]) for line in jsonl_lines(selection)]


def test_filters_by_layers_annotator_state_and_date(coded, later, corpus):
    assert ids(Selection(corpus)) == [(coded.pk, None), (later.pk, None)]
    assert ids(Selection(corpus, layers="annotators")) == [(coded.pk, "alice"), (coded.pk, "bob")]
    assert ids(Selection(corpus, layers="annotators", annotator="bob")) == [(coded.pk, "bob")]
    assert ids(Selection(corpus, layers="annotators", state="submitted")) == [(coded.pk, "alice")]
    assert ids(Selection(corpus, state="in_progress")) == [(later.pk, None)]
    assert ids(Selection(corpus, since=date(2024, 4, 1))) == [(later.pk, None)]
    assert ids(Selection(corpus, until=date(2024, 3, 1))) == [(coded.pk, None)]


def test_other_corpora_are_not_exported(coded, corpus):
    other = Corpus.objects.create(name="Other")
    assert text_of(Selection(other), "jsonl") == ""


# --- CoNLL ---------------------------------------------------------------------------------


def test_conll_tags_project_tokens_and_reports_the_dropped_overlap(coded, corpus):
    dropped: list[Dropped] = []
    text = text_of(Selection(corpus), "conll", dropped.append)
    lines = text.splitlines()
    assert lines[:3] == [
        f"# article = {coded.pk}",
        "# layer = gold",
        "# dropped = LOC 102 105: overlaps LOC 98 112",
    ]
    tokens = [line.split("\t") for line in lines if "\t" in line]
    assert [t for t, _ in tokens] == [t.text for t in tokenize(BODY)]
    tags = dict(tokens)
    assert tags["الرقة"] == "B-LOC" and tags["مصدر"] == "B-PERS" and tags["محلي"] == "I-PERS"
    assert tags["ومسكنة"] == "B-LOC"  # the span starts after the proclitic: whole token
    assert [tags[w] for w in ("وريف", "حلب", "الشرقي")] == ["B-LOC", "I-LOC", "I-LOC"]
    assert "" in lines[4:-1]  # a blank line between the two sentences
    assert [str(d) for d in dropped] == [
        f"article {coded.pk} gold: dropped LOC [102:105] 'حلب': overlaps LOC 98 112"
    ]


def test_the_export_command_prints_dropped_spans_to_stderr(coded, corpus, tmp_path):
    out, err = tmp_path / "gold.conll", io.StringIO()
    call_command("export", corpus="Reports", format="conll", output=str(out), stderr=err)
    assert "dropped LOC [102:105]" in err.getvalue()
    assert out.read_text(encoding="utf-8") == text_of(Selection(corpus), "conll")


def test_the_export_command_writes_to_stdout_and_refuses_a_zip_there(coded, corpus):
    out = io.StringIO()
    call_command("export", corpus="Reports", format="acled", stdout=out)
    assert out.getvalue() == text_of(Selection(corpus), "acled")
    with pytest.raises(CommandError, match="--output FILE"):
        call_command("export", corpus="Reports", format="bundle", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no corpus named 'Nope'"):
        call_command("export", corpus="Nope", format="jsonl")


# --- ACLED CSV and GeoJSON -----------------------------------------------------------------


def test_acled_csv_has_acled_columns_and_ours(coded, corpus):
    rows = list(csv.DictReader(io.StringIO(text_of(Selection(corpus), "acled"))))
    assert list(rows[0]) == COLUMNS
    strike, clash = rows
    assert strike["event_id_cnty"] == f"SYR{coded.pk}-1"
    assert (strike["country"], strike["iso"], strike["region"]) == ("Syria", "760", "Middle East")
    assert (strike["location"], strike["geonameid"], strike["year"]) == (
        "Ar Raqqah",
        "172955",
        "2024",
    )
    assert (strike["actor1"], strike["inter1"], strike["interaction"]) == (
        "Military Forces of Syria",
        "1",
        "10",
    )
    assert strike["evidence"] == "event_type:0-4;location:33-38"
    assert (strike["article_id"], strike["layer"], strike["fatalities"]) == (
        str(coded.pk),
        "gold",
        "3",
    )
    assert strike["timestamp"].isdigit()
    assert (clash["event_id_cnty"], clash["latitude"], clash["fatalities"]) == (
        f"XXX{coded.pk}-2",
        "",
        "",
    )


def test_geojson_points_and_null_geometry_for_placeless_events(coded, corpus, places):
    raqqa = places["raqqa"]
    raqqa.latitude, raqqa.longitude = 35.95, 39.01
    raqqa.save()
    collection = json.loads(text_of(Selection(corpus), "geojson"))
    assert collection["type"] == "FeatureCollection"
    strike, clash = collection["features"]
    assert strike["geometry"] == {"type": "Point", "coordinates": [39.01, 35.95]}
    assert strike["properties"]["geonameid"] == 172955
    assert strike["properties"]["evidence"][1]["span"] == 0
    assert clash["geometry"] is None and clash["properties"]["sub_event_type"] == "Armed clash"


def test_geojson_of_nothing_is_an_empty_collection(corpus):
    assert json.loads(text_of(Selection(corpus), "geojson")) == {
        "type": "FeatureCollection",
        "features": [],
    }


# --- Bundle --------------------------------------------------------------------------------


def test_the_bundle_holds_every_format_and_a_datasheet(coded, later, corpus, tmp_path):
    TaggerModel.objects.create(name="crf-2026-11", path="/tmp/crf", active=True)
    target = tmp_path / "bundle.zip"
    err = io.StringIO()
    call_command("export", corpus="Reports", format="bundle", output=str(target), stderr=err)
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        sheet = json.loads(zf.read("datasheet.json"))
        markdown = zf.read("datasheet.md").decode()
        dropped = zf.read("conll_dropped.txt").decode()
        assert zf.read("data.jsonl").decode() == text_of(Selection(corpus), "jsonl")
    assert {"data.conll", "events.csv", "events.geojson"} <= names
    assert sheet["counts"] == {
        "articles": 2,
        "layers": 2,
        "spans": 6,
        "linked_spans": 4,
        "events": 2,
        "events_without_coordinates": 2,
        "conll_dropped_spans": 1,
    }
    assert sheet["labels"] == {"LOC": 5, "PERS": 1}
    assert sheet["taggers"]["machine_layer_engines"] == [
        {"name": "crf", "version": "7", "layers": 1},
        {"name": "gazetteer", "version": "3", "layers": 1},
    ]
    assert sheet["taggers"]["active_model"] == {"name": "crf-2026-11", "kind": "crf"}
    assert "dropped LOC [102:105]" in dropped
    assert "crf-2026-11" in markdown and "| LOC | 5 |" in markdown
    # Agreement of the exported articles' annotator layers, as the agreement page has it:
    # alice and bob marked the same الرقة.
    from annotations.agreement import compute

    expected = compute([coded.pk, later.pk]).overall
    assert sheet["agreement"] == {"available": True, "overall": expected}
    assert expected["span_f1_exact"] == 1.0
    assert "2 articles" in err.getvalue()


# --- Round trip and the importer -----------------------------------------------------------


def export_to(path: Path, **options) -> bytes:
    call_command("export", corpus="Reports", format="jsonl", output=str(path), **options)
    return path.read_bytes()


@pytest.mark.parametrize("layers", ["gold", "annotators"])
def test_export_import_export_is_byte_identical(coded, later, corpus, tmp_path, layers):
    first = export_to(tmp_path / "first.jsonl", layers=layers)
    corpus.delete()
    Place.objects.all().delete()
    Actor.objects.all().delete()
    report = import_jsonl(tmp_path / "first.jsonl")
    assert report.rejected == []
    assert export_to(tmp_path / "second.jsonl", layers=layers) == first
    # New articles come after the kept ids (PostgreSQL's sequence was moved past them).
    fresh = Article.objects.create(corpus=Corpus.objects.get(name="Reports"), title="x", body="y")
    assert fresh.pk > max(line["id"] for line in map(json.loads, first.splitlines()))


@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_the_same_bytes(corpus, alice, bob, tmp_path, monkeypatch):
    """`--jobs 2`: forked workers read and encode chunks; the file is the same."""
    from django.db import connection

    from annotations.exports import jsonl

    made = [
        Article.objects.create(corpus=corpus, title=f"t{i}", body=f"{BODY} {i}") for i in range(5)
    ]
    for article in made:
        gold = Layer.objects.create(article=article, kind="gold", state="approved")
        span(gold, "الرقة", "LOC")
    one = export_to(tmp_path / "one.jsonl")
    assert len(one.splitlines()) == 5
    with pytest.raises(CommandError, match="at least 1"):
        export_to(tmp_path / "none.jsonl", jobs=0)
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="needs PostgreSQL"):
            export_to(tmp_path / "two.jsonl", jobs=2)
        return
    # Chunks of two articles: both workers get some, and their order matters.
    monkeypatch.setattr(jsonl, "CHUNK", 2)
    assert export_to(tmp_path / "two.jsonl", jobs=2) == one


def test_new_articles_are_numbered_after_imported_ids(coded, corpus, tmp_path):
    line = json.loads(text_of(Selection(corpus), "jsonl"))
    corpus.delete()
    path = tmp_path / "high.jsonl"
    path.write_text(json.dumps({**line, "id": 500_000}, ensure_ascii=False), encoding="utf-8")
    import_jsonl(path)
    assert Article.objects.get().pk == 500_000
    # PostgreSQL's sequence was moved past the explicit id; it would hand it out again.
    fresh = Article.objects.create(corpus=Corpus.objects.get(), title="x", body="y")
    assert fresh.pk > 500_000


def test_importing_twice_adds_nothing_and_says_why(coded, corpus, tmp_path):
    path = tmp_path / "gold.jsonl"
    export_to(path)
    report = import_jsonl(path)
    assert report.layers == 0
    assert [str(r) for r in report.rejected] == [
        f"{path}:1: article {coded.pk} already has a gold layer"
    ]


def test_an_import_with_a_taken_id_gives_the_article_a_new_one(coded, corpus, tmp_path):
    path = tmp_path / "gold.jsonl"
    export_to(path)
    import_jsonl(path, corpus="Copy")
    copy = Article.objects.get(corpus__name="Copy")
    assert copy.pk != coded.pk and copy.body == BODY
    assert Span.objects.filter(layer__article=copy).count() == 5


def test_bad_lines_are_reported_with_line_numbers_and_the_rest_imported(
    coded, corpus, tmp_path, places
):
    good = json.loads(text_of(Selection(corpus), "jsonl"))
    corpus.delete()

    def variant(**changes) -> str:
        return json.dumps({**good, **changes}, ensure_ascii=False)

    bad_span = {**good["spans"][0], "end": 500}
    shifted = {**good["spans"][0], "start": 34, "end": 39}
    place = {"geonameid": 999, "name": "Nowhere", "latitude": 1.0, "longitude": 2.0}
    with_new_place = {**good["spans"][0], "place": place}
    wrong_type = {**good["events"][0], "sub_event_type": "Armed clash"}
    bad_evidence = {**good["events"][0], "evidence": [{"field": "x", "start": 0, "end": 4}]}
    lines = [
        "{not json",
        "",
        "[1, 2]",
        variant(id=None, text="نص آخر", spans=[bad_span], events=[]),
        variant(id=None, text="نص ثالث", spans=[], events=[], layer={"kind": "annotator"}),
        variant(layer={"kind": "annotator", "annotator": "nobody", "state": "new"}),
        variant(spans=[shifted]),
        variant(events=[wrong_type]),
        variant(spans=[with_new_place], events=[bad_evidence]),
        variant(published_at="1 March"),
        variant(spans=[with_new_place]),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err, out = io.StringIO(), io.StringIO()
    call_command("import_jsonl", str(path), stdout=out, stderr=err)
    assert err.getvalue().splitlines() == [
        f"rejected {path}:1: invalid JSON: Expecting property name enclosed in double quotes"
        " at column 2",
        f"rejected {path}:3: not a JSON object",
        f"rejected {path}:4: spans[0]: offsets 33-500 outside the text (0-6)",
        f"rejected {path}:5: layer: an annotator layer needs the annotator's username",
        f"rejected {path}:6: layer: unknown user 'nobody' (create the account first)",
        f"rejected {path}:7: spans[0]: text 'الرقة' is not what offsets 34-39 hold",
        f"rejected {path}:8: events[0]: 'Explosions/Remote violence' / 'Armed clash' is not"
        " an ACLED type pair",
        f"rejected {path}:9: events[0].evidence[0]: unknown field 'x'",
        f"rejected {path}:10: published_at: bad date '1 March' (expected YYYY-MM-DD)",
    ]
    assert out.getvalue().strip() == (
        "1 articles, 1 layers, 1 spans, 2 events imported; 9 lines rejected"
    )
    # The place first created by the rejected line 9 was rolled back, and made again.
    article = Article.objects.get(corpus__name="Reports")
    assert article.pk == coded.pk and article.title == "غارات على الرقة"
    assert Span.objects.get(layer__article=article).place.geonameid == 999
    assert Place.objects.filter(geonameid=999).count() == 1


# --- Views ---------------------------------------------------------------------------------


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def download(client: Client, **params) -> object:
    return client.get(reverse("export_download"), params)


def test_an_editor_sees_the_export_form(editor, corpus):
    response = logged_in(editor).get(reverse("export"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'action="/export/download/"' in html and "Reports" in html and "bundle" in html


def test_annotators_strangers_and_anonymous_cannot_export(alice, stranger, coded, corpus):
    for user in (alice, stranger):
        client = logged_in(user)
        assert client.get(reverse("export")).status_code == 404
        assert download(client, corpus=corpus.pk, format="jsonl").status_code == 404
    response = Client().get(reverse("export_download"), {"corpus": corpus.pk, "format": "jsonl"})
    assert response.status_code == 302 and "/login" in response["Location"]


def test_an_editor_downloads_a_streamed_jsonl(editor, coded, corpus):
    response = download(logged_in(editor), corpus=corpus.pk, format="jsonl", layers="gold")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert "reports-gold.jsonl" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    assert body == text_of(Selection(corpus), "jsonl")


def test_an_editor_downloads_one_annotators_layers_as_conll(editor, coded, corpus, alice):
    params = {"corpus": corpus.pk, "format": "conll", "annotator": "alice", "state": "submitted"}
    response = download(logged_in(editor), **params)
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[:2] == [f"# article = {coded.pk}", "# layer = annotator:alice"]


def test_an_editor_downloads_a_bundle(editor, coded, corpus):
    response = download(logged_in(editor), corpus=corpus.pk, format="bundle", since="2024-01-01")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zf:
        assert json.loads(zf.read("datasheet.json"))["counts"]["articles"] == 1


@pytest.mark.parametrize(
    ("corpus_id", "params", "status", "message"),
    [
        (None, {"format": "jsonl"}, 404, "No corpus"),
        ("abc", {"format": "jsonl"}, 404, "No corpus"),
        ("999999", {"format": "jsonl"}, 404, "No corpus"),
        ("own", {"format": "xml"}, 422, "Format: Select a valid choice"),
        ("own", {"format": "jsonl", "since": "2024-13-01"}, 422, "Published from: Enter a valid"),
        ("own", {"format": "jsonl", "since": "2024-05-01", "until": "2024-01-01"}, 422, "start"),
        ("own", {"format": "jsonl", "state": "lost"}, 422, "Layer state: Select a valid"),
        ("own", {"format": "jsonl", "annotator": "mallory"}, 422, "Annotator: Select a valid"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(
    editor, corpus, corpus_id, params, status, message
):
    if corpus_id:
        params = {"corpus": corpus.pk if corpus_id == "own" else corpus_id, **params}
    response = download(logged_in(editor), **params)
    assert response.status_code == status
    assert message in response.content.decode()


def test_an_editor_may_not_export_a_corpus_they_do_not_edit(editor, corpus):
    other = Corpus.objects.create(name="Other")
    assert download(logged_in(editor), corpus=other.pk, format="jsonl").status_code == 404
