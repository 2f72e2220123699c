"""Uploading files in the browser: the import runs in the background, the page polls its report."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling

from ..ingest import SUFFIXES
from ..models import Corpus, ImportJob
from ..tasks import import_upload


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
    with transaction.atomic():
        job = ImportJob.objects.create(corpus=corpus, user=request.user, directory="")
        folder = Path(settings.MEDIA_ROOT) / "imports" / str(job.pk)
        folder.mkdir(parents=True, exist_ok=True)
        for upload in files:
            # Only the base name: a crafted file name must not write outside the job folder.
            with open(folder / Path(upload.name).name, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        job.directory = str(folder)
        job.save(update_fields=["directory"])
        transaction.on_commit(lambda: import_upload.enqueue(job.pk))
    return job


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(
        ImportJob.objects.filter(corpus__in=Corpus.objects.edited_by(request.user)), pk=pk
    )
    if request.htmx:
        response = render(request, "annotations/import_detail.html#status", {"job": job})
        if job.finished:
            # 286 tells htmx to stop polling; the final report is in this response.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "annotations/import_detail.html", {"job": job})
