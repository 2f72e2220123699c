import csv
import json
import uuid
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from annotations.ingest import ingest
from annotations.jsonl_import import import_jsonl
from annotations.models import Article, Corpus

from .conftest import SAMPLES

GOOD = {"id": "a1", "title": "عنوان", "body": "نص الخبر عن حلب.", "published_at": "2025-03-01"}


def write_jsonl(path, lines: list[str | bytes]) -> None:
    path.write_bytes(b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines))


def test_it_imports_each_kind_of_file_with_and_without_bom(corpus, tmp_path):
    (tmp_path / "a.txt").write_bytes("\ufeffعنوان الخبر\n\nسطر أول.\nسطر ثان.".encode())
    write_jsonl(tmp_path / "b.jsonl", [json.dumps(GOOD, ensure_ascii=False)])
    (tmp_path / "c.csv").write_text(
        '\ufeffid,title,body,source,url,published_at\nc1,عنوان,"نص, فيه فاصلة\nوسطر",'
        "وكالة,https://example.org/x,2025-01-02\n",
        encoding="utf-8",
    )
    report = ingest([tmp_path], corpus)
    assert report.imported == 3 and not report.rejected
    txt = Article.objects.get(title="عنوان الخبر")
    assert txt.body == "سطر أول.\nسطر ثان."
    row = Article.objects.get(external_id="c1")
    assert row.body == "نص, فيه فاصلة\nوسطر"
    assert row.url == "https://example.org/x" and str(row.published_at) == "2025-01-02"


def test_it_reports_each_bad_record_and_imports_the_rest(corpus, tmp_path):
    write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            json.dumps(GOOD, ensure_ascii=False),
            '{"title": "broken", ',
            json.dumps({"title": "no body"}),
            b'{"title": "x", "body": "\xff\xfe bad bytes"}',
            json.dumps({"body": "   "}),
            json.dumps({"body": "نص آخر", "published_at": "1 March"}),
            json.dumps(["not", "an", "object"]),
            json.dumps({"id": "ok2", "body": "خبر ثان صحيح"}, ensure_ascii=False),
        ],
    )
    report = ingest([tmp_path / "mixed.jsonl"], corpus)
    reasons = {(r.line, r.reason.split(":")[0].split(" (")[0]) for r in report.rejected}
    assert reasons == {
        (2, "invalid JSON"),
        (3, "missing body"),
        (4, "undecodable bytes"),
        (5, "empty text"),
        (6, "bad date '1 March'"),
        (7, "not a JSON object"),
    }
    assert all(r.file.endswith("mixed.jsonl") for r in report.rejected)
    assert report.imported == 2
    assert set(Article.objects.values_list("external_id", flat=True)) == {"a1", "ok2"}


def test_it_rejects_an_undecodable_text_file_with_its_line(corpus, tmp_path):
    (tmp_path / "bad.txt").write_bytes("عنوان\nسطر\n".encode() + b"\xc3\x28 broken\n")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    report = ingest([tmp_path], corpus)
    got = sorted((r.file.rsplit("/", 1)[1], r.line, r.reason) for r in report.rejected)
    assert got == [
        ("bad.txt", 3, "undecodable bytes (not UTF-8)"),
        ("notes.docx", 0, "unsupported file type .docx"),
    ]
    assert report.imported == 0


def test_it_reports_csv_rows_by_line(corpus, tmp_path):
    (tmp_path / "x.csv").write_text(
        "id,title,body,published_at\n"
        'r1,ok,"multi\nline body",2025-01-01\n'
        "r2,bad date,text,2025-13-45\n"
        "r3,no body,,2025-01-01\n",
        encoding="utf-8",
    )
    report = ingest([tmp_path], corpus)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "bad date '2025-13-45' (expected YYYY-MM-DD)"),
        (5, "empty text"),
    ]
    assert report.imported == 1


def test_it_imports_nothing_new_the_second_time(corpus):
    first = ingest([SAMPLES], corpus)
    again = ingest([SAMPLES], corpus)
    assert first.imported >= 12 and not first.rejected
    assert again.imported == 0 and again.duplicates == first.imported
    assert Article.objects.count() == first.imported


def test_the_command_prints_file_line_and_reason(
    corpus, tmp_path, django_capture_on_commit_callbacks
):
    write_jsonl(tmp_path / "f.jsonl", [json.dumps(GOOD, ensure_ascii=False), "{oops"])
    out, err = StringIO(), StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ingest", str(tmp_path), "--corpus", "Reports", stdout=out, stderr=err)
    assert f"rejected {tmp_path / 'f.jsonl'}:2: invalid JSON" in err.getvalue()
    assert "1 imported, 0 already present, 1 rejected" in out.getvalue()
    # The good record was queued for pre-tagging (immediate backend in tests).
    assert Article.objects.get().layers.filter(kind="machine").exists()


def test_the_body_is_immutable(article):
    article.body = article.body + " تعديل"
    with pytest.raises(ValueError, match="immutable"):
        article.save()


def good_line(n: int) -> str:
    return json.dumps({"id": f"g{n}", "body": f"خبر صحيح رقم {n}"}, ensure_ascii=False)


DEEP = "[" * 100_000 + "]" * 100_000
BAD_LINES = {
    "nul in body": ('{"body": "قبل\\u0000بعد"}', "NUL character in body"),
    "nul byte in the file": ('{"body": "قبل\x00بعد"}', "invalid JSON: Invalid control character"),
    "nul in metadata": ('{"body": "نص", "tags": ["a", "b\\u0000"]}', "NUL character in tags[1]"),
    "nul in a key": ('{"body": "نص", "k\\u0000": 1}', "NUL character in k\x00"),
    "long url": (
        json.dumps({"body": "نص", "url": "https://example.org/" + "a" * 1000}),
        "url longer than 1000 characters",
    ),
    "lone surrogate": ('{"body": "نص \\ud800"}', "lone surrogate (not valid Unicode) in body"),
    "5,000 digits": ('{"body": "نص", "n": 1' + "0" * 5000 + "}", "invalid JSON: an integer of"),
    "huge float": ('{"body": "نص", "n": 1e400}', "invalid JSON: a number too large"),
    "NaN": ('{"body": "نص", "n": NaN}', "invalid JSON: NaN is not a number"),
    "100,000 deep": ('{"body": "نص", "deep": ' + DEEP + "}", "invalid JSON: nested too deep"),
    "40 deep": (
        '{"body": "نص", "deep": ' + "[" * 40 + "]" * 40 + "}",
        "deep: nested deeper than 32 levels",
    ),
}


@pytest.mark.parametrize("line, reason", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_one_bad_record_costs_only_itself(corpus, tmp_path, line, reason):
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([good_line(1), line, good_line(2)]), encoding="utf-8")
    report = ingest([path], corpus)
    assert [(r.file, r.line) for r in report.rejected] == [(str(path), 2)]
    assert report.rejected[0].reason.startswith(reason)
    assert report.imported == 2
    assert set(Article.objects.values_list("external_id", flat=True)) == {"g1", "g2"}


def test_bad_csv_cells_and_huge_fields_cost_only_their_row(corpus, tmp_path):
    huge = "نص طويل " * 30_000  # 240,000 characters, past the csv module's default limit
    (tmp_path / "x.csv").write_text(
        "id,body,url\n"
        f'r1,"{huge}",\n'
        "r2,قبل\x00بعد,\n"
        f"r3,نص,https://example.org/{'a' * 1000}\n"
        "r4,نص أخير,\n",
        encoding="utf-8",
    )
    (tmp_path / "nul.txt").write_text("عنوان\nنص\x00", encoding="utf-8")
    report = ingest([tmp_path], corpus)
    assert [(r.file.rsplit("/", 1)[1], r.line, r.reason) for r in report.rejected] == [
        ("nul.txt", 1, "NUL character in body"),
        ("x.csv", 3, "NUL character in body"),
        ("x.csv", 4, "url longer than 1000 characters"),
    ]
    assert set(Article.objects.values_list("external_id", flat=True)) == {"r1", "r4"}
    assert Article.objects.get(external_id="r1").body == huge


def test_hidden_files_in_a_folder_are_reported_and_named_ones_read(corpus, tmp_path):
    (tmp_path / ".draft.jsonl").write_text(good_line(1), encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]")
    report = ingest([tmp_path], corpus)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (0, "hidden file, skipped (name it to import it)")
    ]
    assert ingest([tmp_path / ".draft.jsonl"], corpus).imported == 1


def test_the_command_imports_a_good_file_beside_a_bad_one(corpus, tmp_path):
    (tmp_path / "bad.jsonl").write_text(
        "\n".join(line for line, _ in BAD_LINES.values()), encoding="utf-8"
    )
    (tmp_path / "good.jsonl").write_text(good_line(1), encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("ingest", str(tmp_path), "--no-pretag", stdout=out, stderr=err)
    assert err.getvalue().count("rejected ") == len(BAD_LINES)
    assert f"{tmp_path / 'bad.jsonl'}:1: NUL character in body" in err.getvalue()
    assert f"1 imported, 0 already present, {len(BAD_LINES)} rejected" in out.getvalue()


def test_import_jsonl_rejects_unstorable_lines_and_imports_the_rest(corpus, tmp_path):
    def line(text: str, **extra) -> str:
        record = {"corpus": "Copy", "text": text, "layer": {"kind": "gold"}, **extra}
        return json.dumps(record, ensure_ascii=False)

    path = tmp_path / "export.jsonl"
    lines = [
        line("نص أول"),
        line("نص ثان", metadata={"deep": json.loads("[" * 40 + "]" * 40)}),
        '{"text": "نص", "layer": ' + DEEP + "}",
        line("نص ثالث", metadata={"note": "a\x00b"}),
        line("نص رابع", id=2**63),
        line("نص خامس", spans=[{"start": 0, "end": 2**40, "label": "LOC"}]),
        '{"text": "نص \\udc80"}',
        line("نص أخير"),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    report = import_jsonl(path)
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejected] == [
        (2, "metadata"),
        (3, "invalid JSON"),
        (4, "NUL character in metadata.note"),
        (5, "id"),
        (6, "spans[0].end"),
        (7, "undecodable bytes (not UTF-8) in text"),
    ]
    assert report.articles == 2
    assert set(Article.objects.values_list("body", flat=True)) == {"نص أول", "نص أخير"}


# --- Fuzzing: whatever a line holds, it is imported or rejected with a reason --------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
KEYS = st.sampled_from(["id", "title", "body", "source", "url", "published_at", "text"])
ODD = st.sampled_from(
    ["\\u0000", "\\ud800", "\\udfff", "1" + "0" * 5000, "[" * 5000, "NaN", "1e999", "\x00"]
)
GOLD = {"kind": "gold"}
FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}


def fuzz_lines(draw, good: Callable[[str], dict]) -> list[str]:
    """Records with odd values, and lines spliced with odd JSON, between two good ones."""
    lines = [json.dumps(good("first"))]
    for _ in range(draw(st.integers(1, 4))):
        record = {**good(str(uuid.uuid4())), draw(KEYS | st.text(max_size=4)): draw(VALUES)}
        line = json.dumps(record)
        if draw(st.booleans()):
            cut = draw(st.integers(0, len(line)))
            line = line[:cut] + draw(ODD) + line[cut:]
        lines.append(line)
    return [*lines, json.dumps(good("last"))]


@hypothesis_settings(max_examples=60, **FUZZ)
@given(data=st.data(), cells=st.lists(st.text(max_size=30), min_size=3, max_size=3))
def test_ingest_accounts_for_every_line_it_is_given(db, tmp_path_factory, data, cells):
    corpus = Corpus.objects.create(name=str(uuid.uuid4()))
    folder = tmp_path_factory.mktemp("fuzz")
    lines = fuzz_lines(data.draw, lambda text: {"body": f"{text} {corpus.name}"})
    (folder / "f.jsonl").write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    with open(folder / "f.csv", "w", encoding="utf-8", errors="surrogatepass", newline="") as f:
        csv.writer(f).writerows([["id", "body", "url"], cells, ["c1", f"csv {corpus.name}", ""]])
    report = ingest([folder], corpus)
    assert report.imported + report.duplicates + len(report.rejected) == len(lines) + 2
    bodies = set(corpus.articles.values_list("body", flat=True))
    assert {f"first {corpus.name}", f"last {corpus.name}", f"csv {corpus.name}"} <= bodies


@hypothesis_settings(max_examples=60, **FUZZ)
@given(data=st.data())
def test_import_jsonl_accounts_for_every_line_it_is_given(db, tmp_path_factory, data):
    name = str(uuid.uuid4())
    lines = fuzz_lines(data.draw, lambda text: {"corpus": name, "text": text, "layer": GOLD})
    path = tmp_path_factory.mktemp("fuzz") / "export.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    report = import_jsonl(path)
    assert report.layers + len(report.rejected) == len(lines)
    texts = set(Article.objects.filter(corpus__name=name).values_list("body", flat=True))
    assert {"first", "last"} <= texts


def test_a_dateline_gives_the_publication_day_when_none_is_given(corpus, tmp_path):
    from datetime import date

    (tmp_path / "a.txt").write_text(
        "عنوان الخبر\n\nالرقة – نشرة نيوزديسك – 12 آذار/مارس 2025\n\nقتل ثلاثة أمس.\n",
        encoding="utf-8",
    )
    # A date deep in the story is not a dateline, nor is one without its year.
    story = "عنوان\n\n" + "كلام " * 40 + "\n\n" + "وفي 3 أيار 2024 قتل اثنان.\n"
    (tmp_path / "b.txt").write_text(story, encoding="utf-8")
    (tmp_path / "c.txt").write_text("عنوان\nحلب – 12 آذار\nنص.\n", encoding="utf-8")
    rows = [
        {"id": "d", "title": "t", "body": "دمشق – 1 أيار 2025\nنص", "published_at": "2025-05-03"}
    ]
    (tmp_path / "d.jsonl").write_text(json.dumps(rows[0], ensure_ascii=False), encoding="utf-8")
    ingest([tmp_path], corpus)
    dates = Article.objects.filter(corpus=corpus).values_list("published_at", flat=True)
    assert sorted(dates, key=str) == [
        date(2025, 3, 12),
        date(2025, 5, 3),  # the file's own date wins over the dateline
        None,
        None,
    ]
    assert all(a.published_at for a in Article.objects.filter(corpus=corpus, body__contains="نشرة"))


def test_every_sample_has_its_dateline_read(corpus):
    ingest([SAMPLES], corpus)
    undated = Article.objects.filter(corpus=corpus, published_at__isnull=True)
    assert list(undated.values_list("title", flat=True)) == []
