"""Background task entry points: they take ids, and running one twice does no harm.

Running twice is what recovery relies on. django-tasks-db marks a task RUNNING when a
worker claims it, and only that worker ever marks it finished: a worker killed with
SIGKILL, or lost with its machine, leaves the task RUNNING and no other worker takes it
(django-tasks issue #46, open). `recover_tasks` puts such tasks back in the queue, and
an import job records which process runs it, so its page can tell when that stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from . import ingest
from .models import Article, ImportJob, Layer, TaggerModel
from .taggers import pretag


@task(queue_name="nlp")
def pretag_article(article_id: int) -> dict:
    article = Article.objects.select_related("corpus").filter(pk=article_id).first()
    if article is None:
        return {"article": article_id, "skipped": "article no longer exists"}
    layer = pretag(article)
    return {"article": article_id, "spans": layer.spans.count(), "engines": layer.engines}


# Where an article's pre-tagging is, as the import page shows it.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
TASK_STATES = {
    TaskResultStatus.READY: QUEUED,
    TaskResultStatus.RUNNING: RUNNING,
    TaskResultStatus.SUCCESSFUL: DONE,
    TaskResultStatus.FAILED: FAILED,
}


def pretag_states(article_ids: list[int]) -> dict[int, str]:
    """Where each article's pre-tagging is: the latest pretag task's state when the
    database backend records it, else done once the machine layer exists (pretag writes
    it in one transaction), else queued (the task is enqueued when the import commits)."""
    tagged = set(
        Layer.objects.filter(kind=Layer.MACHINE, article_id__in=article_ids).values_list(
            "article_id", flat=True
        )
    )
    states = {i: DONE if i in tagged else QUEUED for i in article_ids}
    results = DBTaskResult.objects.filter(
        task_path=pretag_article.module_path, args_kwargs__args__0__in=article_ids
    ).order_by("enqueued_at")
    for args_kwargs, status in results.values_list("args_kwargs", "status"):
        article_id = args_kwargs["args"][0]  # the latest run wins: a re-tag after retraining
        states[article_id] = TASK_STATES.get(status, QUEUED)
    return states


def enqueue_pretag(article_ids: list[int]) -> None:
    # After commit: a worker must not look for articles the transaction may still roll back.
    for article_id in article_ids:
        transaction.on_commit(lambda a=article_id: pretag_article.enqueue(a))


# A task running this long is taken to have lost its worker.
STALE_AFTER = timedelta(hours=1)
# Uploaded files are stored as "<position>-<name>": two files of one name both keep it.
UPLOAD_PREFIX = re.compile(r"^\d+-")


@task()
def import_upload(job_id: int) -> dict:
    running = {"worker": this_process(), "started": timezone.now().isoformat()}
    ImportJob.objects.filter(pk=job_id, state__in=[ImportJob.PENDING, ImportJob.RUNNING]).update(
        state=ImportJob.RUNNING, report=running
    )
    try:
        job = _import(job_id)
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportJob.FAILED, report={"error": str(exc)}
        )
        raise
    if job.state == ImportJob.DONE:
        shutil.rmtree(job.directory, ignore_errors=True)
    return job.report


def _import(job_id: int) -> ImportJob:
    # One transaction: a run killed half-way leaves nothing, and the next run starts over.
    with transaction.atomic():
        jobs = ImportJob.objects.select_for_update(of=("self",)).select_related("corpus")
        job = jobs.get(pk=job_id)
        if job.finished:  # another run finished it while this one waited for the lock
            return job
        # The files by name, not the folder: a dot-file uploaded is read like any other.
        report = ingest.ingest(sorted(Path(job.directory).iterdir()), job.corpus)
        job.state, job.report = ImportJob.DONE, _upload_report(report)
        job.save(update_fields=["state", "report"])
        enqueue_pretag(report.article_ids)
    return job


def _upload_report(report: ingest.Report) -> dict:
    """The report with each file under the name it was uploaded as, not its server path."""
    stored = sorted({r.file for r in report.rejected} | report.files.keys())
    names = [UPLOAD_PREFIX.sub("", Path(path).name) for path in stored]
    # Two uploads of one name are told apart by their position in the upload.
    shown = {
        path: name if names.count(name) == 1 else f"{name} ({int(Path(path).name.split('-')[0])})"
        for path, name in zip(stored, names, strict=True)
    }
    result = report.as_dict()
    result["files"] = {shown[k]: v for k, v in report.files.items()}
    result["article_ids"] = report.article_ids  # the import page lists and links them
    for r in result["rejected"]:
        r["file"] = shown[r["file"]]
    return result


def retry_import(job: ImportJob) -> None:
    """Queue an interrupted or failed import again; it starts over from its files."""
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.PENDING, report={})
    transaction.on_commit(lambda: import_upload.enqueue(job.pk))


def import_interrupted(job: ImportJob) -> bool:
    """Whether the worker running `job` stopped before it finished (killed, or lost)."""
    if job.state != ImportJob.RUNNING:
        return False
    started = job.report.get("started")
    started = datetime.fromisoformat(started) if started else job.created
    return process_gone(job.report.get("worker", "")) or started < timezone.now() - STALE_AFTER


def recover_tasks(older_than: timedelta = STALE_AFTER) -> int:
    """Queue again the tasks left RUNNING for longer than `older_than`; how many."""
    cutoff = timezone.now() - older_than
    stale = DBTaskResult.objects.running().filter(started_at__lte=cutoff)
    return stale.update(status=TaskResultStatus.READY)


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_gone(name: str) -> bool:
    """True when `name` (from this_process) ran on this machine and has exited."""
    host, _, pid = name.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: only its age tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return _zombie(int(pid))


def _zombie(pid: int) -> bool:
    # A killed process its parent has not reaped yet still answers kill(pid, 0).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@task(queue_name="nlp")
def retrain_tagger(run_id: int) -> dict:
    """Train the queued run's CRF, activate it, then re-pre-tag the articles nobody started.

    Idempotent: a run that is done is not trained again, and a run queued again after its
    worker was killed (recover_tasks) starts over, or only re-tags when its model is there.
    """
    from . import learning

    run = TaggerModel.objects.filter(pk=run_id).first()
    if run is None or learning.phase(run) in (learning.DONE, learning.FAILED):
        return {"run": run_id, "skipped": "no such run, or it has finished"}
    sources = run.metrics.get("sources", {})
    try:
        if "train_seconds" not in run.metrics:  # set when its training finished
            run = learning.train_model(
                sources.get("conll", []), sources.get("from_annotations", False), run=run
            )
        retagged = learning.retag_unstarted(run)
    except Exception as exc:
        learning.fail(run, str(exc) or type(exc).__name__)
        raise
    except BaseException:
        # The worker was made to stop at once (a second Ctrl-C): it will not finish this.
        learning.fail(run, "the background worker was stopped before the training finished")
        raise
    return {"model": run.name, "metrics": run.metrics, "repretagged": retagged}


def queue_training(
    conll_paths: list[str], from_annotations: bool, *, if_none: bool = False
) -> TaggerModel | None:
    """Queue a training run (after the commit), unless one is queued or running already
    or, with if_none, a CRF model is active; the new run, or None."""
    from . import learning

    if if_none and TaggerModel.objects.active():
        return None
    if learning.training_under_way() or training_task_pending():
        return None
    run = learning.new_run(conll_paths, from_annotations)
    transaction.on_commit(lambda: retrain_tagger.enqueue(run.pk))
    return run


def training_task_pending() -> bool:
    """Whether a training task waits in the database queue or runs: also a run whose worker
    was killed long ago, once recover_tasks has queued it again."""
    pending = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
    tasks = DBTaskResult.objects.filter(task_path=retrain_tagger.module_path, status__in=pending)
    return tasks.exists()


@task()
def find_incident_candidates(event_id: int) -> dict:
    """Store the event's suggested matches (incidents.candidates_for). Idempotent: pending
    suggestions are brought up to date (and dropped when no longer found); a pair an
    editor decided keeps its decision."""
    from .incidents import candidate_pairs, counts
    from .models import Event, IncidentCandidate

    event = Event.objects.select_related("layer__article").filter(pk=event_id).first()
    if event is None:
        return {"event": event_id, "skipped": "event no longer exists"}
    if not counts(event.layer):
        # Its layer was returned to the annotator: its suggestions wait until approved again
        # (decided ones stay on record).
        IncidentCandidate.objects.filter(
            Q(event_a_id=event_id) | Q(event_b_id=event_id), decision=IncidentCandidate.PENDING
        ).delete()
        return {"event": event_id, "skipped": "its layer is neither gold nor approved"}
    pairs = candidate_pairs(event)
    with transaction.atomic():
        for a, b, found in pairs:
            IncidentCandidate.objects.update_or_create(
                event_a_id=a,
                event_b_id=b,
                defaults={
                    "score": found.score,
                    "parts": found.parts,
                    "corpus_id": event.layer.article.corpus_id,
                },
            )
        kept = [(a, b) for a, b, _ in pairs]
        stale = IncidentCandidate.objects.filter(
            Q(event_a_id=event_id) | Q(event_b_id=event_id), decision=IncidentCandidate.PENDING
        )
        for candidate in stale:
            if (candidate.event_a_id, candidate.event_b_id) not in kept:
                candidate.delete()
    return {"event": event_id, "candidates": len(pairs)}
