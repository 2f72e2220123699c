"""Corpus roles on top of Django's groups and permissions.

A membership gives a role in one corpus (the object-level rule every view checks);
the user's Django groups mirror the roles they hold anywhere, so `has_perm`, the
admin and templates (`perms.annotations.review_corpus`) agree with the memberships.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

# Editors are staff: in the admin they keep up what every corpus shares, the actors with
# their aliases and the places with their names (not corpora, users or tagger models).
ADMIN_PERMISSIONS = [
    f"{action}_{model}"
    for model, actions in {
        "actor": "view add change delete",
        "actoralias": "view add change delete",
        "place": "view add change",
        "placename": "view add change delete",
    }.items()
    for action in actions.split()
]
GROUPS = {
    "annotator": ("Annotators", []),
    "editor": ("Editors", ["review_corpus", "export_corpus", *ADMIN_PERMISSIONS]),
}


def group_for(role: str) -> Group:
    name, codenames = GROUPS[role]
    group, _ = Group.objects.get_or_create(name=name)
    # Set every time, so a group made by an older version gains what was added since.
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="annotations", codename__in=codenames)
    )
    return group


def sync_groups(user: Any) -> None:
    held = set(user.memberships.values_list("role", flat=True))
    for role in GROUPS:
        group = group_for(role)
        if role in held:
            user.groups.add(group)
        else:
            user.groups.remove(group)
