"""What every pre-tagging engine shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..text import Token


@dataclass(frozen=True, slots=True)
class Suggestion:
    start: int
    end: int
    label: str
    confidence: float
    engine: str
    place_id: int | None = None
    # The text itself says what it is (بلدة تادف: a place word before a name): wins any
    # overlap with suggestions that are not, whichever engine made them.
    certain: bool = False


class Engine(Protocol):
    name: str

    @property
    def version(self) -> str: ...

    def tag(self, text: str, tokens: list[Token]) -> list[Suggestion]: ...


class EngineUnavailable(RuntimeError):
    """An engine's model or data is not installed; the message says how to install it."""
