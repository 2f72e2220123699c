"""Who annotates what: assigning articles to annotators and finding their next one."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from .models import Article, Assignment, AuditEntry, Corpus, Layer, Membership


class AssignmentRefused(ValueError):
    """The assignment broke a rule (not an annotator of the corpus, too many annotators)."""


def annotators_of(corpus: Corpus) -> list[Any]:
    return [
        m.user
        for m in corpus.memberships.filter(role=Membership.ANNOTATOR)
        .select_related("user")
        .order_by("user__username")
    ]


def _audit(article: Article, by: Any, action: str, before: Any, after: Any) -> None:
    # Assignments belong to no layer yet; the audit row hangs off the machine layer
    # (or none) so that the article's history shows it.
    AuditEntry.objects.create(
        layer=None,
        article=article,
        user=by if by is not None and getattr(by, "is_authenticated", False) else None,
        object_type=AuditEntry.ObjectType.ASSIGNMENT,
        object_id=article.pk,
        action=action,
        before=before,
        after=after,
    )


def assign(article: Article, user: Any, by: Any = None) -> Assignment:
    corpus = article.corpus
    if not corpus.memberships.filter(user=user, role=Membership.ANNOTATOR).exists():
        raise AssignmentRefused(
            _("%(user)s is not an annotator of %(corpus)s.") % {"user": user, "corpus": corpus}
        )
    with transaction.atomic():
        existing = article.assignments.filter(user=user).first()
        if existing:
            return existing
        if article.assignments.count() >= corpus.annotators_per_article:
            raise AssignmentRefused(
                _("This article already has %(n)s annotator(s), as many as the corpus asks for.")
                % {"n": corpus.annotators_per_article}
            )
        made = Assignment.objects.create(article=article, user=user, assigned_by=by)
        _audit(article, by, AuditEntry.CREATE, None, {"annotator": user.username})
    return made


def unassign(article: Article, user: Any, by: Any = None) -> None:
    """Take an article away from an annotator. Their layer, if any, is kept for the record."""
    with transaction.atomic():
        deleted, _count = article.assignments.filter(user=user).delete()
        if deleted:
            _audit(article, by, AuditEntry.DELETE, {"annotator": user.username}, None)


def reassign(article: Article, old: Any, new: Any, by: Any = None) -> Assignment:
    with transaction.atomic():
        unassign(article, old, by)
        return assign(article, new, by)


def auto_assign(corpus: Corpus, by: Any = None, articles: Any = None) -> int:
    """Give every article of the corpus its N annotators, the least loaded first.

    Deterministic (ties go by username) so that re-running it changes nothing.
    """
    people = annotators_of(corpus)
    if not people:
        return 0
    wanted = min(corpus.annotators_per_article, len(people))
    load = Counter(
        dict(
            Assignment.objects.filter(article__corpus=corpus)
            .values_list("user_id")
            .annotate(n=Count("id"))
        )
    )
    queryset = corpus.articles.all() if articles is None else articles
    short = queryset.annotate(n=Count("assignments")).filter(n__lt=wanted).order_by("pk")
    made = 0
    with transaction.atomic():
        for article in short:
            have = set(article.assignments.values_list("user_id", flat=True))
            free = sorted(
                (p for p in people if p.pk not in have), key=lambda p: (load[p.pk], p.username)
            )
            for person in free[: wanted - len(have)]:
                Assignment.objects.create(article=article, user=person, assigned_by=by)
                _audit(article, by, AuditEntry.CREATE, None, {"annotator": person.username})
                load[person.pk] += 1
                made += 1
    return made


def next_article(user: Any) -> Article | None:
    """The first assigned article the user still has to do: returned work first, then new."""
    open_states = [Layer.CHANGES_REQUESTED, Layer.IN_PROGRESS, Layer.NEW]
    assigned = Article.objects.assigned_to(user)
    for state in open_states:
        found = assigned.filter(
            layers__kind=Layer.ANNOTATOR, layers__annotator=user, layers__state=state
        ).first()
        if found:
            return found
    return assigned.exclude(Q(layers__kind=Layer.ANNOTATOR, layers__annotator=user)).first()
