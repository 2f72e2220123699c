"""Reading articles from files: .txt, .jsonl, .csv and folders of them.

Every rejected record is reported with its file, line and reason; the rest still
goes in. One import is one transaction with a savepoint per record, so a record the
database refuses takes nothing else with it; re-importing the same text into the
same corpus adds nothing (articles are unique by content hash).

Records are checked before the database sees them, the same way on SQLite and
PostgreSQL: PostgreSQL refuses NUL in text and jsonb, neither database stores a lone
surrogate, and JSON nested past the interpreter's recursion limit or holding a
5,000-digit number is a reason to reject a line, not an exception that ends the import.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, IntegrityError, transaction

from .dates import dateline
from .models import Article, Corpus, content_hash

SUFFIXES = {".txt", ".jsonl", ".csv"}
FIELDS = ("id", "title", "body", "source", "url", "published_at")
# Lone surrogates are what undecodable bytes become under "surrogateescape".
UNDECODABLE = re.compile(r"[\udc80-\udcff]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_DEPTH = 32  # of metadata; real feeds nest a few levels
MAX_DIGITS = 30  # of a JSON integer: a 64-bit id has 20
URL_LENGTH = Article._meta.get_field("url").max_length
# The csv module's default limit (131,072 characters) is a parse error that ends the
# file; a long article body is a record like any other. The whole file is in memory
# already, so no field can be larger than what was read.
csv.field_size_limit(2**31 - 1)


@dataclass
class Record:
    file: str
    line: int
    fields: dict[str, Any]


@dataclass
class Rejection:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class Report:
    imported: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    files: dict[str, dict[str, int]] = field(default_factory=dict)
    article_ids: list[int] = field(default_factory=list)

    def count(self, file: str, what: str) -> None:
        counts = self.files.setdefault(file, {"imported": 0, "duplicates": 0, "rejected": 0})
        counts[what] += 1
        if what == "duplicates":
            self.duplicates += 1

    def reject(self, rejection: Rejection) -> None:
        self.rejected.append(rejection)
        self.count(rejection.file, "rejected")

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": [vars(r) for r in self.rejected],
            "files": self.files,
        }


def find_files(paths: Iterable[Path]) -> Iterator[Path | Rejection]:
    """Files named, and the files in folders named; a hidden file in a folder is reported."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for found in sorted(path.rglob("*")):
            if any(part.startswith(".") for part in found.relative_to(path).parts[:-1]):
                continue  # inside .git and the like
            if found.name.startswith(".") and found.is_file():
                yield Rejection(str(found), 0, "hidden file, skipped (name it to import it)")
            elif found.is_file():
                yield found


def read(path: Path) -> Iterator[Record | Rejection]:
    name = str(path)
    if path.suffix.lower() not in SUFFIXES:
        yield Rejection(name, 0, f"unsupported file type {path.suffix or '(none)'}")
        return
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield Rejection(name, 0, f"cannot read file: {exc.strerror}")
        return
    text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")
    reader = {".txt": _read_txt, ".jsonl": _read_jsonl, ".csv": _read_csv}[path.suffix.lower()]
    yield from reader(name, text)


def _read_txt(name: str, text: str) -> Iterator[Record | Rejection]:
    if bad := UNDECODABLE.search(text):
        line = text.count("\n", 0, bad.start()) + 1
        yield Rejection(name, line, "undecodable bytes (not UTF-8)")
        return
    title, _, body = text.partition("\n")
    yield Record(name, 1, {"title": title.strip(), "body": body.strip("\n")})


def _read_jsonl(name: str, text: str) -> Iterator[Record | Rejection]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield Record(name, number, parse_object(line))
        except ValueError as exc:
            yield Rejection(name, number, str(exc))


def parse_object(line: str) -> dict[str, Any]:
    """One JSONL line as a dict, or ValueError with the reason."""
    if UNDECODABLE.search(line):
        raise ValueError("undecodable bytes (not UTF-8)")
    try:
        obj = json.loads(line, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise ValueError("invalid JSON: nested too deep") from None
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    check_storable(obj)
    return obj


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"invalid JSON: an integer of more than {MAX_DIGITS} digits")
    return int(digits)


def _float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("invalid JSON: a number too large for a double")
    return number


def _constant(name: str) -> None:
    raise ValueError(f"invalid JSON: {name} is not a number JSON allows")


def check_storable(value: Any, where: str = "") -> None:
    """ValueError unless both databases store `value` as text or JSON, unchanged."""
    stack = [(value, where, 0)]
    while stack:  # a loop, not recursion: depth is what is being checked
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            top = re.split(r"[.\[]", path, maxsplit=1)[0]
            raise ValueError(f"{top}: nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, dict):
            for key, child in item.items():
                inner = f"{path}.{key}" if path else key
                _check_text(key, inner)
                stack.append((child, inner, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise ValueError(f"NUL character in {where}")
    if UNDECODABLE.search(text):
        raise ValueError(f"undecodable bytes (not UTF-8) in {where}")
    if SURROGATE.search(text):
        raise ValueError(f"lone surrogate (not valid Unicode) in {where}")


def _read_csv(name: str, text: str) -> Iterator[Record | Rejection]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "body" not in reader.fieldnames:
        yield Rejection(name, 1, "CSV header has no 'body' column")
        return
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader goes on with the next line: one bad row costs only itself.
            yield Rejection(name, line, f"malformed CSV: {exc}")
        else:
            if None in row:
                yield Rejection(name, line, "more fields than the header names")
            else:
                yield Record(name, line, row)
        line = reader.line_num + 1


def clean(record: Record) -> dict[str, Any]:
    """The article fields of a record, or ValueError with the reason it is rejected."""
    f = record.fields
    check_storable(f)
    body = f.get("body")
    if body is None:
        raise ValueError("missing body")
    if not isinstance(body, str):
        raise ValueError("body is not text")
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise ValueError("empty text")
    title = _text(f, "title") or body.strip().split("\n", 1)[0][:120]
    url = _text(f, "url")
    if len(url) > URL_LENGTH:
        raise ValueError(f"url longer than {URL_LENGTH} characters")
    if url:
        try:
            URLValidator()(url)
        except ValidationError:
            raise ValueError(f"bad url {url!r}") from None
    return {
        "title": title[:500],
        "body": body,
        "source": _text(f, "source")[:200],
        "url": url,
        # With no date given, a dateline in the report's first lines is its publication day.
        "published_at": _date(f.get("published_at")) or dateline(body),
        "external_id": _text(f, "id")[:200],
        "metadata": {k: v for k, v in f.items() if k not in FIELDS},
    }


def _text(fields: dict[str, Any], key: str) -> str:
    value = fields.get(key)
    return "" if value is None else str(value).strip()


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).strip()).date()
    except ValueError:
        raise ValueError(f"bad date {value!r} (expected YYYY-MM-DD)") from None


def ingest(paths: Iterable[Path], corpus: Corpus) -> Report:
    """Import every readable record under `paths` into `corpus`, in one transaction."""
    report = Report()
    seen = set(corpus.articles.values_list("content_hash", flat=True))
    with transaction.atomic():
        for found in find_files(paths):
            items = [found] if isinstance(found, Rejection) else read(found)
            for item in items:
                _add(item, corpus, seen, report)
    report.imported = len(report.article_ids)
    return report


def _add(item: Record | Rejection, corpus: Corpus, seen: set[str], report: Report) -> None:
    if isinstance(item, Rejection):
        report.reject(item)
        return
    try:
        article = Article(corpus=corpus, **clean(item))
    except ValueError as exc:
        report.reject(Rejection(item.file, item.line, str(exc)))
        return
    article.content_hash = content_hash(article.body)
    if article.content_hash in seen:
        report.count(item.file, "duplicates")
        return
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError:
        # The same text came in through another import since this one started.
        report.count(item.file, "duplicates")
        return
    except DatabaseError as exc:
        reason = f"database refused it: {exc}".splitlines()[0]
        report.reject(Rejection(item.file, item.line, reason))
        return
    seen.add(article.content_hash)
    report.article_ids.append(article.pk)
    report.count(item.file, "imported")
