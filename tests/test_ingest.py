import json
from io import StringIO

import pytest
from django.core.management import call_command

from annotations.ingest import ingest
from annotations.models import Article

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
