"""Uploading files in the browser: editors only, run as a task, the page polls the report."""

import json
import os
import socket
import subprocess
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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


def imported_files(job: ImportJob) -> dict[str, tuple[int, int]]:
    return {name: (c["imported"], c["rejected"]) for name, c in job.report["files"].items()}


def test_a_good_file_is_imported_beside_a_bad_one(
    editor, corpus, settings, django_capture_on_commit_callbacks
):
    bad = SimpleUploadedFile(
        "bad.jsonl", b'{"body": "\\u0000"}\n{"body": "x", "n": ' + b"[" * 100_000
    )
    clean = SimpleUploadedFile("clean.csv", "id,body\nc1,نص سليم\n".encode())
    with django_capture_on_commit_callbacks(execute=True):
        upload(logged_in(editor), corpus, bad, clean)
    job = ImportJob.objects.get()
    assert job.state == ImportJob.DONE
    assert imported_files(job) == {"bad.jsonl": (0, 2), "clean.csv": (1, 0)}
    assert [(r["file"], r["line"]) for r in job.report["rejected"]] == [
        ("bad.jsonl", 1),
        ("bad.jsonl", 2),
    ]
    assert Article.objects.get().external_id == "c1"
    # The upload's folder is gone once it is imported.
    assert not any((Path(settings.MEDIA_ROOT) / "imports").iterdir())


def test_files_of_one_name_and_dot_files_are_all_imported_or_reported(
    editor, corpus, django_capture_on_commit_callbacks
):
    first = SimpleUploadedFile("batch.jsonl", GOOD.encode())
    second = SimpleUploadedFile("batch.jsonl", json.dumps({"body": "خبر آخر"}).encode())
    hidden = SimpleUploadedFile(".draft.jsonl", json.dumps({"body": "مسودة"}).encode())
    junk = SimpleUploadedFile(".DS_Store", b"\x00\x00\x00\x01Bud1")
    with django_capture_on_commit_callbacks(execute=True):
        upload(logged_in(editor), corpus, first, second, hidden, junk)
    job = ImportJob.objects.get()
    assert imported_files(job) == {
        "batch.jsonl (1)": (1, 0),
        "batch.jsonl (2)": (1, 0),
        ".draft.jsonl": (1, 0),
        ".DS_Store": (0, 1),
    }
    assert job.report["rejected"] == [
        {"file": ".DS_Store", "line": 0, "reason": "unsupported file type .DS_Store"}
    ]
    assert Article.objects.count() == 3


def test_a_new_job_never_reads_what_an_old_job_left(
    editor, corpus, settings, django_capture_on_commit_callbacks
):
    # What a job of an earlier database with the same ids would have left behind.
    for old in ("1", "2"):
        leftover = Path(settings.MEDIA_ROOT) / "imports" / old
        leftover.mkdir(parents=True)
        (leftover / "old.jsonl").write_text(json.dumps({"body": "قديم"}), encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        upload(logged_in(editor), corpus, SimpleUploadedFile("new.jsonl", GOOD.encode()))
    job = ImportJob.objects.get()
    assert imported_files(job) == {"new.jsonl": (1, 0)}
    assert list(Article.objects.values_list("external_id", flat=True)) == ["u1"]
    assert sorted(p.name for p in (Path(settings.MEDIA_ROOT) / "imports").iterdir()) == ["1", "2"]


def dead_worker() -> str:
    # A process of this machine that has exited: what a worker killed with SIGKILL leaves.
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


def running_job(editor, corpus, settings, worker: str, started=None) -> ImportJob:
    folder = Path(settings.MEDIA_ROOT) / "imports" / "job"
    folder.mkdir(parents=True)
    (folder / "001-a.jsonl").write_text(GOOD, encoding="utf-8")
    started = (started or timezone.now()).isoformat()
    return ImportJob.objects.create(
        corpus=corpus,
        user=editor,
        directory=str(folder),
        state=ImportJob.RUNNING,
        report={"worker": worker, "started": started},
    )


def test_a_job_whose_worker_died_says_so_stops_polling_and_runs_again(
    editor, corpus, settings, django_capture_on_commit_callbacks
):
    job = running_job(editor, corpus, settings, dead_worker())
    client = logged_in(editor)
    url = reverse("import_detail", args=[job.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 286
    text = fragment.content.decode()
    assert "interrupted" in text and "hx-trigger" not in text and "<html" not in text
    page = client.get(url).content.decode()
    assert "The worker running this import stopped" in page and "Run this import again" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response.url == url
    job.refresh_from_db()
    assert job.state == ImportJob.DONE and imported_files(job) == {"a.jsonl": (1, 0)}


def test_a_job_of_a_live_worker_keeps_polling_and_cannot_be_run_twice(
    editor, corpus, settings, django_capture_on_commit_callbacks
):
    job = running_job(editor, corpus, settings, f"{socket.gethostname()}:{os.getpid()}")
    client = logged_in(editor)
    url = reverse("import_detail", args=[job.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and 'hx-trigger="every 1s"' in fragment.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    job.refresh_from_db()
    assert job.state == ImportJob.RUNNING and not Article.objects.exists()


def test_a_job_running_for_hours_on_another_machine_counts_as_interrupted(editor, corpus, settings):
    started = timezone.now() - timedelta(hours=2)
    job = running_job(editor, corpus, settings, "elsewhere:123", started=started)
    fragment = logged_in(editor).get(
        reverse("import_detail", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 286 and "interrupted" in fragment.content.decode()


def test_only_editors_can_run_an_import_again(alice, stranger, editor, corpus, settings):
    job = running_job(editor, corpus, settings, dead_worker())
    for user in (alice, stranger):
        response = logged_in(user).post(reverse("import_detail", args=[job.pk]))
        assert response.status_code == 404
    job.refresh_from_db()
    assert job.state == ImportJob.RUNNING


def test_a_failed_import_can_be_run_again(
    editor, corpus, settings, django_capture_on_commit_callbacks
):
    job = running_job(editor, corpus, settings, "elsewhere:1")
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.FAILED, report={"error": "boom"})
    client = logged_in(editor)
    url = reverse("import_detail", args=[job.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 286 and "Run this import again" in fragment.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, HTTP_HX_REQUEST="true")
    job.refresh_from_db()
    assert job.state == ImportJob.DONE and imported_files(job) == {"a.jsonl": (1, 0)}
    assert not Path(job.directory).exists()
