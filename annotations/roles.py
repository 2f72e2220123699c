"""Corpus roles on top of Django's groups and permissions.

A membership gives a role in one corpus (the object-level rule every view checks);
the user's Django groups mirror the roles they hold anywhere, so `has_perm`, the
admin and templates (`perms.annotations.review_corpus`) agree with the memberships.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

GROUPS = {
    "annotator": ("Annotators", []),
    "editor": ("Editors", ["review_corpus", "export_corpus"]),
}


def group_for(role: str) -> Group:
    name, codenames = GROUPS[role]
    group, created = Group.objects.get_or_create(name=name)
    if created and codenames:
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
