"""The editors' tagger page: the active model, its metrics, and retraining from annotations."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from .. import learning
from ..learning import approved_layers, unstarted_articles
from ..models import TaggerModel
from ..taggers import configured_engines
from ..tasks import queue_training
from . import access

RETRAIN_PERMISSION = "annotations.add_taggermodel"


@login_required
@require_GET
def tagger(request: HttpRequest) -> HttpResponse:
    access.edited_corpora_or_404(request.user)
    training = learning.run_status(learning.latest_run())
    if request.htmx:
        # The training panel polls this page; once the run has finished, 286 stops it.
        response = render(request, "annotations/tagger.html#training", {"training": training})
        if not training["polling"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    context = {
        "training": training,
        "models": [(m, learning.phase(m)) for m in TaggerModel.objects.all()[:20]],
        "active": TaggerModel.objects.active(),
        "engines": [(e.name, e.version) for e in configured_engines()],
        "approved": approved_layers().count(),
        "unstarted": unstarted_articles().count(),
        "base": settings.NEWSDESK_BASE_CONLL,
        "may_retrain": request.user.has_perm(RETRAIN_PERMISSION),
    }
    return render(request, "annotations/tagger.html", context)


@login_required
@require_POST
def retrain(request: HttpRequest) -> HttpResponse:
    # The tagger is shared and retraining re-tags unstarted articles of every corpus, so it
    # takes a site-wide permission (superusers hold it; grant it in the admin), not a corpus role.
    if not request.user.has_perm(RETRAIN_PERMISSION):
        raise PermissionDenied
    paths = [str(p) for p in settings.NEWSDESK_BASE_CONLL]
    with transaction.atomic():
        queued = queue_training(paths, from_annotations=True)
    if queued is None:
        messages.info(request, _("A training run is already queued or running; it goes first."))
    else:
        messages.success(
            request,
            _("Retraining queued in the background; unstarted articles are re-tagged after it."),
        )
    return redirect("tagger")
