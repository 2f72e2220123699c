"""Actors: the starting list of armed groups and forces, and finding them by alias."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from .models import Actor, ActorAlias
from .text import match_key, strip_proclitics

ACTORS_FILE = Path(__file__).parent / "data" / "actors_ar.json"


def load_actors(path: Path = ACTORS_FILE) -> int:
    """Create the listed actors and aliases that are missing; editors correct codes later."""
    created = 0
    for row in json.loads(path.read_text(encoding="utf-8")):
        with transaction.atomic():
            actor, new = Actor.objects.get_or_create(
                name=row["name"],
                defaults={"name_ar": row["name_ar"], "inter_code": row["inter_code"]},
            )
            created += new
            for alias in [row["name"], *row["aliases_ar"]]:
                actor.add_alias(alias)
    return created


def find_actor(text: str) -> Actor | None:
    """The actor whose alias matches the text, with or without its proclitics (وداعش)."""
    keys = strip_proclitics(match_key(text))
    found = {
        a.key: a.actor for a in ActorAlias.objects.filter(key__in=keys).select_related("actor")
    }
    return next((found[k] for k in keys if k in found), None)  # the longest key wins
