"""Background task entry points: they take ids, and running one twice does no harm."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django_tasks import task

from . import ingest
from .models import Article, ImportJob
from .taggers import pretag


@task(queue_name="nlp")
def pretag_article(article_id: int) -> dict:
    article = Article.objects.select_related("corpus").filter(pk=article_id).first()
    if article is None:
        return {"article": article_id, "skipped": "article no longer exists"}
    layer = pretag(article)
    return {"article": article_id, "spans": layer.spans.count(), "engines": layer.engines}


def enqueue_pretag(article_ids: list[int]) -> None:
    # After commit: a worker must not look for articles the transaction may still roll back.
    for article_id in article_ids:
        transaction.on_commit(lambda a=article_id: pretag_article.enqueue(a))


@task()
def import_upload(job_id: int) -> dict:
    job = ImportJob.objects.select_related("corpus").get(pk=job_id)
    if job.finished:
        return job.report
    ImportJob.objects.filter(pk=job_id).update(state=ImportJob.RUNNING)
    try:
        report = ingest.ingest([Path(job.directory)], job.corpus)
    except Exception as exc:
        job.state, job.report = ImportJob.FAILED, {"error": str(exc)}
        job.save(update_fields=["state", "report"])
        raise
    job.report = report.as_dict()
    # Uploaded files live in a job folder; report them by name, not server path.
    job.report["files"] = {Path(k).name: v for k, v in report.files.items()}
    for r in job.report["rejected"]:
        r["file"] = Path(r["file"]).name
    job.state = ImportJob.DONE
    job.save(update_fields=["state", "report"])
    enqueue_pretag(report.article_ids)
    return job.report


@task(queue_name="nlp")
def retrain_tagger(conll_paths: list[str], from_annotations: bool = True) -> dict:
    """Train and activate a new CRF model, then re-pre-tag the articles nobody started."""
    from . import learning

    model = learning.train_model(conll_paths, from_annotations)
    ids = list(learning.unstarted_articles().values_list("id", flat=True))
    for article_id in ids:
        pretag_article.enqueue(article_id)
    return {"model": model.name, "metrics": model.metrics, "repretagged": len(ids)}
