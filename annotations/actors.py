"""Actors: the starting list of armed groups, forces, bodies and leaders, found by alias.

Each actor has an entity label (ORG or PERS; blank for civilians, protesters and other
actors that are no named entity) and Arabic aliases. Aliases that are also common words
(الهيئة "the commission", الأسد "the lion") are context aliases: pre-coding finds the
actor by them, the pre-tagger does not tag them (`ActorAlias.pretag`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Length

from .models import Actor, ActorAlias
from .text import match_key, strip_proclitics

ACTORS_FILE = Path(__file__).parent / "data" / "actors_ar.json"
ENTITY_LABELS = (Actor.ORG, Actor.PERS)


def load_actors(path: Path = ACTORS_FILE) -> int:
    """Create the listed actors and aliases that are missing; editors correct codes later.

    Idempotent. An actor that exists keeps its codes, but gets its entity label when it
    has none, and its context aliases stop being pre-tagged."""
    created = 0
    for row in json.loads(path.read_text(encoding="utf-8")):
        with transaction.atomic():
            actor, new = Actor.objects.get_or_create(
                name=row["name"],
                defaults={
                    "name_ar": row["name_ar"],
                    "inter_code": row["inter_code"],
                    "label": row.get("label", ""),
                },
            )
            created += new
            if not actor.label and row.get("label"):
                actor.label = row["label"]
                actor.save(update_fields=["label"])
            for alias in [row["name"], *row["aliases_ar"]]:
                actor.add_alias(alias)
            context = row.get("context_aliases_ar", [])
            for alias in context:
                actor.add_alias(alias)
            keys = [match_key(alias) for alias in context]
            actor.aliases.filter(key__in=keys, pretag=True).update(pretag=False)
    return created


def find_actor(text: str) -> Actor | None:
    """The actor whose alias matches the text, with or without its proclitics (وداعش)."""
    keys = strip_proclitics(match_key(text))
    found = {
        a.key: a.actor for a in ActorAlias.objects.filter(key__in=keys).select_related("actor")
    }
    return next((found[k] for k in keys if k in found), None)  # the longest key wins


# --- The alias index of the pre-tagger -----------------------------------------------------


@dataclass
class ActorIndex:
    """Aliases of actors with an entity label, by matching key: what the actor engine tags
    (`labels`) and every alias of theirs, context aliases too (`names`)."""

    signature: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    max_words: int = 1

    def add(self, key: str, label: str, pretag: bool) -> None:
        self.names.add(key)
        if pretag:
            self.labels[key] = label
            self.max_words = max(self.max_words, key.count(" ") + 1)


_index = ActorIndex()


def _labelled_aliases():
    return ActorAlias.objects.filter(actor__label__in=ENTITY_LABELS)


def alias_signature() -> str:
    """Changes whenever a labelled actor's alias is added, removed, retyped, relabelled or
    (un)marked for pre-tagging; one aggregate query."""
    stats = _labelled_aliases().aggregate(
        n=Count("id"),
        last=Max("id"),
        chars=Sum(Length("key")),
        pers=Count("id", filter=Q(actor__label=Actor.PERS)),
        tagged=Count("id", filter=Q(pretag=True)),
    )
    return "{n}-{last}-{chars}-{pers}-{tagged}".format(**{k: v or 0 for k, v in stats.items()})


def actor_index() -> ActorIndex:
    """The in-memory alias index, rebuilt when the aliases changed.

    Unlike the place index, the signature is checked on every call: it is one small
    aggregate per pre-tagged article, and a worker then never tags with aliases another
    process has changed or a test has rolled back."""
    global _index
    signature = alias_signature()
    if _index.signature != signature:
        index = ActorIndex(signature)
        rows = _labelled_aliases().values_list("key", "actor__label", "pretag")
        for key, label, pretag in rows.iterator(chunk_size=2000):
            index.add(key, label, pretag)
        _index = index
    return _index
