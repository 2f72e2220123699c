"""First run: `make setup` queues the CRF training for the background worker instead of
training in the foreground; the run reports its progress and re-tags unstarted articles."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from annotations import learning, spans
from annotations.models import Article, Layer, TaggerModel
from annotations.taggers import pretag
from annotations.taggers.crf import train
from annotations.tasks import queue_training, retrain_tagger

from .conftest import SAMPLES
from .test_learning import synthetic_conll

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "nlp"]}
}
# Every model's most iterations: five out-of-fold first passes and stage 1 (80), final (150).
PLANNED = 6 * 80 + 150


@pytest.fixture
def conll(tmp_path, settings) -> str:
    path = synthetic_conll(tmp_path / "base.conll", n=40)
    settings.NEWSDESK_BASE_CONLL = [path]
    return path


def queue(*extra: str) -> str:
    out = StringIO()
    call_command("train_tagger", "--base", "--if-none", "--queue", *extra, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_setup_queues_the_training_once_and_the_worker_runs_it(conll, corpus):
    article = Article.objects.create(
        corpus=corpus, title="t", body="قال الوزير ليلى إن وفدا وصل إلى صيدا."
    )
    with override_settings(TASKS=DATABASE_TASKS):
        assert "queued for the background worker" in queue()
        # Queued, not trained: setup returns at once, and a second setup queues nothing.
        assert TaggerModel.objects.active() is None
        assert "a run is under way; nothing queued" in queue()
        assert DBTaskResult.objects.filter(status="READY").count() == 1
        run = TaggerModel.objects.get()
        assert learning.phase(run) == learning.QUEUED
        call_command("db_worker", "--queue-name", "nlp", "--batch", "--no-reload", verbosity=0)
        assert DBTaskResult.objects.get().status == "SUCCESSFUL"
        # Once a model is active, setup has nothing more to do.
        assert "nothing to do" in queue()
    run.refresh_from_db()
    assert run.active and TaggerModel.objects.count() == 1
    progress = run.metrics["progress"]
    assert progress["phase"] == learning.DONE
    assert progress["sentences"] == 40
    assert progress["iteration"] == progress["iterations"] == PLANNED
    assert progress["articles"] == progress["retagged"] == 1
    assert {"started", "finished", "updated"} <= progress.keys()
    assert 0 <= run.metrics["cv_first_pass"]["f1"] <= 1
    assert "crf" in [e["name"] for e in article.machine_layer().engines]


def test_training_reports_each_model_and_iteration(tmp_path):
    from annotations.conll import read_conll

    heard = []
    sentences = read_conll(synthetic_conll(tmp_path / "s.conll", n=40))
    metrics = train(sentences, tmp_path / "m", progress=lambda p, **n: heard.append((p, n)))
    models = [n["model"] for p, n in heard if p == "features"]
    assert models == [1, 2, 3, 4, 5, 6, 7]  # five out-of-fold first passes, stage 1, final
    counts = [n["iteration"] for p, n in heard if p == "training"]
    assert counts == sorted(counts) and counts[0] == 1 and counts[-1] <= PLANNED
    assert {n["iterations"] for p, n in heard if p == "training"} == {PLANNED}
    assert metrics["iterations"] >= 1 and "cv_first_pass" in metrics


@pytest.mark.django_db
def test_the_training_retags_only_the_articles_nobody_started(
    conll, article, alice, corpus, django_capture_on_commit_callbacks
):
    fresh = Article.objects.create(
        corpus=corpus, title="t", body="قال الوزير ليلى إن وفدا وصل إلى صيدا."
    )
    for a in (article, fresh):
        pretag(a)  # no model yet: the actor list and the gazetteer only
    assert "crf" not in [e["name"] for e in fresh.machine_layer().engines]
    own = spans.annotator_layer(article, alice)  # alice started this one
    before = (article.machine_layer().version, own.version, own.spans.count())
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_training([conll], from_annotations=False)
    run.refresh_from_db()
    assert learning.phase(run) == learning.DONE and run.metrics["progress"]["articles"] == 1
    assert "crf" in [e["name"] for e in fresh.machine_layer().engines]
    own.refresh_from_db()
    after = (article.machine_layer().version, own.version, own.spans.count())
    assert after == before  # neither her copy nor the machine layer it came from changed
    # Running the finished task again trains nothing.
    assert "skipped" in retrain_tagger.call(run.pk)
    assert TaggerModel.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_training_says_why(tmp_path, django_capture_on_commit_callbacks):
    broken = tmp_path / "broken.conll"
    broken.write_text("word\n", encoding="utf-8")  # no label column
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_training([str(broken)], from_annotations=False)
    run.refresh_from_db()
    progress = run.metrics["progress"]
    assert progress["phase"] == learning.FAILED and progress["reason"]
    assert not run.active and learning.training_under_way() is None
    # A failed run does not hold up the next one.
    with django_capture_on_commit_callbacks(execute=False):
        assert queue_training([str(broken)], from_annotations=False) is not None


@pytest.mark.django_db
def test_nothing_to_train_on_fails_the_run_with_the_reason(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_training([], from_annotations=True)
    run.refresh_from_db()
    assert run.metrics["progress"]["reason"].startswith("nothing to train on")


@pytest.mark.django_db
def test_the_tagger_page_polls_the_run_until_it_has_finished(editor, conll, approved_layer):
    run = learning.new_run([conll])
    editor.user_permissions.add(Permission.objects.get(codename="add_taggermodel"))
    client = Client()
    client.force_login(editor)
    page = client.get(reverse("tagger")).content.decode()
    assert 'hx-trigger="every 3s"' in page and "queued: it starts when" in page
    # Item 11: one approved layer is "layer", in English as in Arabic's six forms.
    assert "on 1 approved layer plus" in page and "approved layers" not in page
    learning.Progress(run)(
        learning.TRAINING, iteration=40, iterations=150, model=7, models=7, force=True
    )
    polled = client.get(reverse("tagger"), HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and "training: iteration 40 of 150" in polled.content.decode()
    learning.fail(run, "out of memory")
    polled = client.get(reverse("tagger"), HTTP_HX_REQUEST="true")
    assert polled.status_code == 286  # htmx stops polling
    assert "failed: out of memory" in polled.content.decode()


@pytest.fixture
def approved_layer(article, alice):
    layer = spans.annotator_layer(article, alice)
    Layer.objects.filter(pk=layer.pk).update(state=Layer.APPROVED)
    return layer


def test_the_long_sample_is_a_long_report():
    long = SAMPLES / "17-syria-weekly-roundup.txt"
    _title, _, body = long.read_text(encoding="utf-8").partition("\n")
    assert len(body.split()) >= 5000 and len(body.split("\n\n")) >= 40
    assert max(len(p.read_text(encoding="utf-8")) for p in Path(SAMPLES).glob("*.txt")) > 20000
