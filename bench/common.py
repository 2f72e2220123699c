"""What the bench scripts share: Django set-up on a throw-away database, timing, the table."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

rows: list[tuple[str, str, str]] = []


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


def record(what: str, value: float | str, unit: str) -> None:
    text = f"{value:,.1f}" if isinstance(value, float) else str(value)
    rows.append((what, text, unit))
    print(f"  {what}: {text} {unit}", file=sys.stderr)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def run(title: str, body: Callable[[], None]) -> None:
    """Run `body` on a fresh test database (never the real one), then print the table."""
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    vendor = connection.vendor
    try:
        print(f"database: {vendor} ({settings.DATABASES['default']['NAME']})", file=sys.stderr)
        body()
    finally:
        teardown_databases(old, verbosity=0)
    width = max(len(r[0]) for r in rows)
    print(f"\n{title} on {vendor}\n")
    print(f"| {'measure'.ljust(width)} | value | unit |")
    print(f"| {'-' * width} | ---: | --- |")
    for what, value, unit in rows:
        print(f"| {what.ljust(width)} | {value} | {unit} |")
