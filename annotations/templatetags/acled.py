"""`{{ name|acled }}`: an ACLED event type or sub-type as the interface names it."""

from __future__ import annotations

from django import template

from ..acled import label

register = template.Library()


@register.filter(name="acled")
def acled_label(name: str | None) -> str:
    return label(name)
