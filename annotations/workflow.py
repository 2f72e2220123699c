"""The life of an annotator layer: new → in progress → submitted → approved, or returned.

Writes move a layer from new (or changes requested) to in progress (`Layer.bump`);
everything else happens here, each transition one conditional UPDATE so that two
people acting at once cannot both win, and each one audited.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from . import incidents
from .models import AuditEntry, Layer, audit

UPDATE, LAYER = AuditEntry.Action.UPDATE, AuditEntry.ObjectType.LAYER


class TransitionRefused(ValueError):
    """The layer is not in a state this transition starts from, or a comment is missing."""


# to-state → states it may start from
ALLOWED = {
    Layer.SUBMITTED: (Layer.NEW, Layer.IN_PROGRESS, Layer.CHANGES_REQUESTED),
    Layer.APPROVED: (Layer.SUBMITTED,),
    Layer.CHANGES_REQUESTED: (Layer.SUBMITTED, Layer.APPROVED),
}


def _move(layer: Layer, user: Any, to: str, comment: str = "") -> Layer:
    starts = ALLOWED[to]
    with transaction.atomic():
        before = {"state": layer.state, "comment": layer.review_comment}
        fields: dict[str, Any] = {"state": to}
        if to == Layer.CHANGES_REQUESTED:
            fields.update(review_comment=comment, reviewed_by=user)
        elif to == Layer.APPROVED:
            fields.update(reviewed_by=user)
        moved = Layer.objects.filter(pk=layer.pk, state__in=starts).update(**fields)
        if not moved:
            layer.refresh_from_db()
            raise TransitionRefused(
                _("A layer that is %(state)s cannot become %(to)s.")
                % {"state": layer.get_state_display(), "to": dict(Layer.STATES)[to]}
            )
        layer.refresh_from_db()
        audit(
            layer,
            user,
            UPDATE,
            layer.pk,
            before,
            {"state": layer.state, "comment": layer.review_comment},
            LAYER,
        )
        if Layer.APPROVED in (before["state"], to):
            # Its events start (or stop) taking part in incidents.
            incidents.queue_for(layer, state_changed=True)
    return layer


def submit(layer: Layer, user: Any) -> Layer:
    """The annotator hands the layer in; it is read-only to them until an editor returns it."""
    if layer.kind != Layer.ANNOTATOR or layer.annotator_id != user.pk:
        raise TransitionRefused(_("Only the annotator of a layer can submit it."))
    return _move(layer, user, Layer.SUBMITTED)


def approve(layer: Layer, editor: Any) -> Layer:
    return _move(layer, editor, Layer.APPROVED)


def request_changes(layer: Layer, editor: Any, comment: str) -> Layer:
    comment = comment.strip()
    if "\x00" in comment:
        raise TransitionRefused(_("The comment contains a NUL character; remove it."))
    if not comment:
        raise TransitionRefused(
            _("Say what should change: the comment is what the annotator sees.")
        )
    return _move(layer, editor, Layer.CHANGES_REQUESTED, comment)


def approve_gold(layer: Layer, editor: Any) -> Layer:
    """An adjudicated gold layer is final once approved (it then trains the tagger)."""
    if layer.kind != Layer.GOLD:
        raise TransitionRefused(_("Only a gold layer is approved this way."))
    with transaction.atomic():
        before = {"state": layer.state}
        Layer.objects.filter(pk=layer.pk).update(state=Layer.APPROVED, reviewed_by=editor)
        layer.refresh_from_db()
        audit(layer, editor, UPDATE, layer.pk, before, {"state": layer.state}, LAYER)
        # Adjudication wrote its events one decision at a time; find their matches now.
        incidents.queue_for(layer)
    return layer


def reopen_gold(layer: Layer, editor: Any) -> Layer:
    with transaction.atomic():
        before = {"state": layer.state}
        Layer.objects.filter(pk=layer.pk).update(state=Layer.IN_PROGRESS)
        layer.refresh_from_db()
        audit(layer, editor, UPDATE, layer.pk, before, {"state": layer.state}, LAYER)
    return layer
