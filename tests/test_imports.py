"""Uploading files in the browser: editors only, run as a task, the page polls the report."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotations.models import Article, ImportJob


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client, corpus, *files):
    return client.post(reverse("import_new"), {"corpus": corpus.pk, "files": list(files)})


GOOD = json.dumps({"id": "u1", "title": "خبر", "body": "اشتباكات في حلب."}, ensure_ascii=False)


def test_an_editor_uploads_and_sees_each_files_result(
    editor, corpus, django_capture_on_commit_callbacks
):
    client = logged_in(editor)
    assert client.get(reverse("import_new")).status_code == 200
    jsonl = SimpleUploadedFile("batch.jsonl", f"{GOOD}\n{{broken\n".encode())
    txt = SimpleUploadedFile("../../escape.txt", "عنوان\n\nنص الخبر.".encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, corpus, jsonl, txt)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_detail", args=[job.pk])
    assert job.state == ImportJob.DONE
    assert job.report["files"] == {
        "batch.jsonl": {"imported": 1, "duplicates": 0, "rejected": 1},
        "escape.txt": {"imported": 1, "duplicates": 0, "rejected": 0},
    }
    assert Article.objects.filter(corpus=corpus).count() == 2
    page = client.get(response.url).content.decode()
    assert "batch.jsonl:2" in page and "invalid JSON" in page
    # The polling fragment stops polling (htmx status 286) once the import is done.
    fragment = client.get(response.url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 286 and "<html" not in fragment.content.decode()
    assert "hx-trigger" not in fragment.content.decode()


def test_a_pending_import_keeps_polling(editor, corpus):
    job = ImportJob.objects.create(corpus=corpus, user=editor, directory="/nonexistent")
    fragment = logged_in(editor).get(
        reverse("import_detail", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200
    assert 'hx-trigger="every 1s"' in fragment.content.decode()


def test_annotators_and_strangers_cannot_import(alice, stranger, corpus, editor):
    job = ImportJob.objects.create(corpus=corpus, user=editor, directory="/nonexistent")
    for user in (alice, stranger):
        client = logged_in(user)
        assert client.get(reverse("import_new")).status_code == 404
        file = SimpleUploadedFile("a.jsonl", GOOD.encode())
        assert upload(client, corpus, file).status_code == 404
        assert client.get(reverse("import_detail", args=[job.pk])).status_code == 404
    assert not Article.objects.exists()


def test_an_upload_without_files_is_refused_with_a_message(editor, corpus):
    response = logged_in(editor).post(reverse("import_new"), {"corpus": corpus.pk})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not ImportJob.objects.exists()
