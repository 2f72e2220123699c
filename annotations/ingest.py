"""Reading articles from files: .txt, .jsonl, .csv and folders of them.

Every rejected record is reported with its file, line and reason; the rest still
goes in. One import is one transaction, and re-importing the same text into the
same corpus adds nothing (articles are unique by content hash).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from .models import Article, Corpus, content_hash

SUFFIXES = {".txt", ".jsonl", ".csv"}
FIELDS = ("id", "title", "body", "source", "url", "published_at")
# Lone surrogates are what undecodable bytes become under "surrogateescape".
UNDECODABLE = re.compile(r"[\udc80-\udcff]")


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": [vars(r) for r in self.rejected],
            "files": self.files,
        }


def find_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
        else:
            yield path


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
        if UNDECODABLE.search(line):
            yield Rejection(name, number, "undecodable bytes (not UTF-8)")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(name, number, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(obj, dict):
            yield Rejection(name, number, "not a JSON object")
            continue
        yield Record(name, number, obj)


def _read_csv(name: str, text: str) -> Iterator[Record | Rejection]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "body" not in reader.fieldnames:
        yield Rejection(name, 1, "CSV header has no 'body' column")
        return
    line = reader.line_num + 1
    try:
        for row in reader:
            if None in row:
                yield Rejection(name, line, "more fields than the header names")
            else:
                yield Record(name, line, row)
            line = reader.line_num + 1
    except csv.Error as exc:
        yield Rejection(name, line, f"malformed CSV: {exc}")


def clean(record: Record) -> dict[str, Any]:
    """The article fields of a record, or ValueError with the reason it is rejected."""
    f = record.fields
    for key, value in f.items():
        if isinstance(value, str) and UNDECODABLE.search(value):
            raise ValueError(f"undecodable bytes (not UTF-8) in {key}")
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
        "published_at": _date(f.get("published_at")),
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
    articles: list[Article] = []
    for path in find_files(paths):
        for item in read(path):
            if isinstance(item, Rejection):
                report.rejected.append(item)
                report.count(item.file, "rejected")
                continue
            try:
                article = Article(corpus=corpus, **clean(item))
            except ValueError as exc:
                report.rejected.append(Rejection(item.file, item.line, str(exc)))
                report.count(item.file, "rejected")
                continue
            article.content_hash = content_hash(article.body)
            if article.content_hash in seen:
                report.duplicates += 1
                report.count(item.file, "duplicates")
                continue
            seen.add(article.content_hash)
            articles.append(article)
            report.count(item.file, "imported")
    with transaction.atomic():
        for article in articles:
            article.save()
    report.imported = len(articles)
    report.article_ids = [a.pk for a in articles]
    return report
