"""A worker killed mid-task: its task is queued again by recover_tasks and then runs.

The first test drives real `manage.py db_worker` processes and kills one with SIGKILL,
so everything it does goes through subprocesses against a database they can open: the
test database on PostgreSQL, a SQLite file of the test's own otherwise (pytest's SQLite
test database lives in this process's memory).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from annotations.models import Article, Layer
from annotations.tasks import pretag_article

ROOT = Path(__file__).resolve().parent.parent
QUICK = ["--no-startup-delay", "--interval", "0.1", "--verbosity", "0"]
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "nlp"]}
}


@task()
def nap_once(marker: str) -> str:
    """Sleeps long enough to be killed the first time; returns at once when run again."""
    path = Path(marker)
    if path.exists():
        return "done"
    path.touch()
    time.sleep(120)
    return "slept"


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


def subprocess_env(tmp_path: Path) -> dict:
    env = {**os.environ, "NEWSDESK_VAR_DIR": str(tmp_path / "var"), "DEBUG": "true"}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        manage(env, "migrate", "--verbosity", "0")
    return env


SETUP = """
from annotations.models import Article, Corpus
from annotations.tasks import pretag_article
from tests.test_worker import nap_once
corpus = Corpus.objects.create(name="Reports")
ids = [Article.objects.create(corpus=corpus, title=str(i), body=f"خبر رقم {i} عن حلب.").pk
       for i in range(6)]
for pk in ids[:3]:
    pretag_article.enqueue(pk)
nap_once.enqueue(MARKER)  # the worker is killed in this one
for pk in ids[3:]:
    pretag_article.enqueue(pk)
"""

CHECK = """
from django.db.models import Count, Q
from django_tasks_db.models import DBTaskResult
from annotations.models import Article
layers = Article.objects.annotate(n=Count("layers", filter=Q(layers__kind="machine")))
print(sorted(a.n for a in layers))
print(sorted(DBTaskResult.objects.values_list("status", flat=True)))
print(DBTaskResult.objects.get(task_path__endswith="nap_once").return_value)
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_task_of_a_worker_killed_with_sigkill_runs_again_after_recovery(tmp_path):
    env = subprocess_env(tmp_path)
    marker = tmp_path / "napping"
    manage(env, "shell", "--verbosity", "0", "-c", f"MARKER = {str(marker)!r}\n{SETUP}")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload", *QUICK],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the worker never started the napping task"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    left = manage(env, "shell", "--verbosity", "0", "-c", CHECK).splitlines()
    assert left[0] == "[0, 0, 0, 1, 1, 1]"  # three pre-tagged before the kill
    assert left[1] == str(["READY"] * 3 + ["RUNNING"] + ["SUCCESSFUL"] * 3)

    # A task that started a moment ago may still have its worker: left alone by default.
    assert manage(env, "recover_tasks").strip() == "0 task(s) queued again"
    assert manage(env, "recover_tasks", "--older-than", "0").strip() == "1 task(s) queued again"
    manage(env, "db_worker", "--queue-name", "*", "--batch", "--no-reload", "--verbosity", "0")

    after = manage(env, "shell", "--verbosity", "0", "-c", CHECK).splitlines()
    assert after == ["[1, 1, 1, 1, 1, 1]", str(["SUCCESSFUL"] * 7), "done"]


@pytest.mark.django_db(transaction=True)
def test_tasks_left_running_for_long_are_queued_again_and_each_article_tagged_once(corpus):
    articles = [
        Article.objects.create(corpus=corpus, title=str(i), body=f"خبر {i} عن حلب.")
        for i in range(4)
    ]
    with override_settings(TASKS=DATABASE_TASKS):
        results = [pretag_article.enqueue(a.pk) for a in articles]
        # What a worker killed two hours ago, and one working right now, leave behind.
        started = {0: timezone.now() - timedelta(hours=2), 1: timezone.now()}
        for i, at in started.items():
            DBTaskResult.objects.filter(pk=results[i].id).update(
                status="RUNNING", started_at=at, worker_ids=["gone"]
            )
        call_command("recover_tasks", stdout=StringIO())
        statuses = {str(pk): s for pk, s in DBTaskResult.objects.values_list("pk", "status")}
        assert [statuses[r.id] for r in results] == ["READY", "RUNNING", "READY", "READY"]
        call_command("db_worker", "--queue-name", "nlp", "--batch", "--no-reload", verbosity=0)
    counts = [Layer.objects.filter(article=a, kind=Layer.MACHINE).count() for a in articles]
    assert counts == [1, 0, 1, 1]  # the one still running is its live worker's to finish
    # Running a task again does no harm: still one machine layer.
    pretag_article.call(articles[0].pk)
    assert Layer.objects.filter(article=articles[0], kind=Layer.MACHINE).count() == 1
