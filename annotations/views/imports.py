"""Uploading files in the browser: the import runs in the background, the page polls its report."""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseStopPolling

from ..ingest import SUFFIXES
from ..models import Article, Corpus, ImportJob
from ..tasks import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    import_interrupted,
    import_upload,
    pretag_states,
    retry_import,
)

# The imported articles listed on the job's page; the counts cover all of them.
SHOWN = 100
# Pre-tagging of an article, as the page shows it.
PRETAG_STATES = {
    QUEUED: _("queued"),
    RUNNING: _("running"),
    DONE: _("done"),
    FAILED: _("failed"),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class UploadForm(forms.Form):
    corpus = forms.ModelChoiceField(queryset=Corpus.objects.none(), label=_("Corpus"))
    files = MultipleFileField(
        widget=MultipleFileInput(attrs={"accept": ",".join(sorted(SUFFIXES))}), label=_("Files")
    )

    def __init__(self, *args, corpora, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["corpus"].queryset = corpora
        if corpora.count() == 1:
            self.fields["corpus"].initial = corpora.first()


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    corpora = Corpus.objects.edited_by(request.user)
    if not corpora.exists():
        return HttpResponse(status=404)
    form = UploadForm(request.POST or None, request.FILES or None, corpora=corpora)
    if request.method == "POST" and form.is_valid():
        job = _save_upload(request, form.cleaned_data["corpus"], form.cleaned_data["files"])
        return redirect("import_detail", pk=job.pk)
    jobs = ImportJob.objects.filter(corpus__in=corpora)[:20]
    return render(request, "annotations/import_new.html", {"form": form, "jobs": jobs})


def _save_upload(request: HttpRequest, corpus: Corpus, files: list) -> ImportJob:
    # A new folder per upload, never named by the job id: ids start again at 1 in a
    # fresh database, and a new job must not import an old job's leftovers.
    folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    for position, upload in enumerate(files, start=1):
        # "<position>-<base name>": two files of one name both stay, a dot-file is not
        # hidden, and a crafted name cannot write outside the folder.
        with open(folder / f"{position:03d}-{_short(Path(upload.name).name)}", "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    with transaction.atomic():
        job = ImportJob.objects.create(corpus=corpus, user=request.user, directory=str(folder))
        transaction.on_commit(lambda: import_upload.enqueue(job.pk))
    return job


def _short(name: str) -> str:
    # File systems allow 255 bytes; Arabic letters take two each. The end keeps the suffix.
    while len(name.encode("utf-8", "surrogateescape")) > 200:
        name = name[1:]
    return name


@login_required
@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(
        ImportJob.objects.filter(corpus__in=Corpus.objects.edited_by(request.user)), pk=pk
    )
    interrupted = import_interrupted(job)
    if request.method == "POST":
        # Run again: only a job that cannot finish by itself any more.
        if job.state == ImportJob.FAILED or interrupted:
            retry_import(job)
        return redirect("import_detail", pk=job.pk)
    ids = job.report.get("article_ids", []) if job.state == ImportJob.DONE else []
    states = pretag_states(ids)
    tagging = any(state in (QUEUED, RUNNING) for state in states.values())
    context = {
        "job": job,
        "interrupted": interrupted,
        "imported": _imported(ids[:SHOWN], states),
        "more": max(len(ids) - SHOWN, 0),
        "pretag_counts": [
            (key, name, n)
            for key, name in PRETAG_STATES.items()
            if (n := sum(1 for state in states.values() if state == key))
        ],
        "tagging": tagging,
    }
    if request.htmx:
        response = render(request, "annotations/import_detail.html#status", context)
        if (job.finished or interrupted) and not tagging:
            # 286 tells htmx to stop polling; the final report is in this response.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "annotations/import_detail.html", context)


def _imported(ids: list[int], states: dict[int, str]) -> list[tuple[Article, str, str]]:
    found = Article.objects.in_bulk(ids)
    rows = [(found[i], states[i]) for i in ids if i in found]  # an article may be deleted since
    return [(article, state, PRETAG_STATES[state]) for article, state in rows]
