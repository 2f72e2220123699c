"""Export speed and memory: 100,000 articles with 30 spans each in a gold layer, JSONL out.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_export .venv/bin/python bench/export.py

PostgreSQL only: the data is made by INSERT … SELECT generate_series (seconds, not the
minutes the ORM would take). Each article has about 1,500 characters of Arabic, a gold
layer with 30 spans (a quarter of them LOC linked to a place) and one event citing two
pieces of evidence. The export is `manage.py export --format jsonl` run as a child
process against the bench database, the way an operator runs it, once in one process and
once with `--jobs 2` (two forked workers). Its wall time includes Django's start-up
(measured alone on an empty corpus); its memory is sampled from /proc over the child and
its workers (see TreeMemory).
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import ROOT, record, run, timed

from annotations.models import Actor, Article, Corpus, Event, Evidence, Layer, Place, Span

ARTICLES = int(os.environ.get("BENCH_EXPORT_ARTICLES", "100000"))
SPANS = 30
PARAGRAPH = (
    "قصفت طائرات حربية مواقع في مدينة الرقة صباح اليوم، وقال مصدر محلي إن الاشتباكات "
    "امتدت إلى ومسكنة وريف حلب الشرقي، وقتل ٣ مدنيين وأصيب آخرون بجروح. "
)


def insert_select(model: Any, values: dict[str, str], source: str) -> int:
    """INSERT INTO model's table … SELECT `values` (SQL over `source`); every other NOT NULL
    column gets its field's default, so the bench keeps working when a model gains one."""
    from django.db import connection

    columns, expressions, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.column in values:
            expressions.append(values[f.column].replace("%", "%%"))  # % is modulo, not a parameter
        elif f.primary_key or f.null:
            continue
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            expressions.append("now()")
        else:
            expressions.append("%s")
            params.append(f.get_db_prep_save(f.get_default(), connection))
        columns.append(connection.ops.quote_name(f.column))
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM {source.replace('%', '%%')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def make_corpus() -> Corpus:
    corpus = Corpus.objects.create(name="bench")
    places = [
        Place.objects.create(
            geonameid=100 + i, name=f"Town {i}", latitude=35 + i / 10, longitude=38 + i / 10
        )
        for i in range(10)
    ]
    actor = Actor.objects.create(name="Military Forces of Syria", inter_code=1)
    first_place = places[0].pk
    body = f"'تقرير ' || g || ': ' || repeat('{PARAGRAPH}', 9)"
    n = insert_select(
        Article,
        {
            "corpus_id": str(corpus.pk),
            "title": "'تقرير ' || g",
            "body": "b",
            "published_at": "date '2024-01-01' + (g % 365)",
            "external_id": "'bench-' || g",
            "content_hash": "encode(sha256(convert_to(b, 'UTF8')), 'hex')",
        },
        f"(SELECT g, {body} AS b FROM generate_series(1, {ARTICLES}) g) a",
    )
    assert n == ARTICLES
    insert_select(
        Layer,
        {"article_id": "id", "kind": "'gold'", "state": "'approved'"},
        f"annotations_article WHERE corpus_id = {corpus.pk}",
    )
    spans = insert_select(
        Span,
        {
            "layer_id": "l.id",
            "start": "s * 40",
            "end": "s * 40 + 3 + s % 9",
            "label": "(ARRAY['PERS', 'LOC', 'ORG', 'MISC'])[s % 4 + 1]",
            "origin": "CASE WHEN s % 3 = 0 THEN 'machine' ELSE 'human' END",
            "confidence": "CASE WHEN s % 3 = 0 THEN 0.5 + s / 100.0 END",
            "place_id": f"CASE WHEN s % 4 = 1 THEN {first_place} + s % 10 END",
            "link_status": "CASE WHEN s % 4 = 1 THEN 'confirmed' ELSE '' END",
        },
        f"annotations_layer l CROSS JOIN generate_series(0, {SPANS - 1}) s WHERE l.kind = 'gold'",
    )
    assert spans == ARTICLES * SPANS
    insert_select(
        Event,
        {
            "layer_id": "l.id",
            "event_type": "'Battles'",
            "sub_event_type": "'Armed clash'",
            "actor1_id": str(actor.pk),
            "event_date": "date '2024-01-01' + (l.id % 365)::int",
            "time_precision": "1",
            "place_id": str(first_place),
            "geo_precision": "1",
            "fatalities": "l.id % 5",
        },
        "annotations_layer l WHERE l.kind = 'gold'",
    )
    insert_select(
        Evidence,
        {"event_id": "e.id", "field": "'event_type'", "start": "0", "end": "5"},
        "annotations_event e",
    )
    insert_select(
        Evidence,
        {
            "event_id": "e.id",
            "field": "'location'",
            "start": "s.start",
            "end": "s.end",
            "span_id": "s.id",
        },
        "annotations_event e JOIN annotations_span s ON s.layer_id = e.layer_id AND s.start = 40",
    )
    return corpus


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # VACUUM too: the first reader of freshly inserted rows would otherwise set their
        # hint bits (and race autovacuum), which an export of a settled database never does.
        cursor.execute("VACUUM ANALYZE")


def child_env() -> dict[str, str]:
    """The environment for `manage.py` pointed at the bench's throw-away database."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    url = f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url}


class TreeMemory:
    """Peak memory of a process and its children, sampled from /proc every 20 ms.

    ru_maxrss of a process that forks workers gives only its largest member; with
    `--jobs` the workers' memory counts too. RSS counts pages the forked workers share
    with their parent once per process (an over-count); PSS divides shared pages among
    the processes sharing them."""

    def __init__(self, pid: int) -> None:
        self.pid, self.rss, self.pss = pid, 0, 0  # KiB
        self.maxrss = 0.0  # MiB, set by export()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            rss = pss = 0
            for pid in self._tree():
                try:
                    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
                except OSError:
                    continue  # it ended between the listing and the read
                fields = dict(line.split(":", 1) for line in text.splitlines()[1:])
                rss += int(fields["Rss"].split()[0])
                pss += int(fields["Pss"].split()[0])
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)

    def _tree(self) -> list[int]:
        pids, i = [self.pid], 0
        while i < len(pids):
            try:
                children = Path(f"/proc/{pids[i]}/task/{pids[i]}/children").read_text().split()
            except OSError:
                children = []
            pids.extend(int(c) for c in children)
            i += 1
        return pids


def export(corpus: str, output: Path, jobs: int = 1) -> tuple[float, float, TreeMemory]:
    """Run `manage.py export` in a child process: wall time (s), CPU time of it and its
    workers (s), and its memory (peak ru_maxrss, peak RSS and PSS of the process tree)."""
    command = [sys.executable, str(ROOT / "manage.py"), "export", "--corpus", corpus]
    command += ["--format", "jsonl", "--output", str(output), "--jobs", str(jobs)]
    start = time.perf_counter()
    child = subprocess.Popen(command, env=child_env(), cwd=ROOT)
    memory = TreeMemory(child.pid)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    memory.stop()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"export failed with exit code {child.returncode}")
    # wait4 counts the CPU of the workers the child waited for, with the child's own.
    cpu = usage.ru_utime + usage.ru_stime
    memory.maxrss = usage.ru_maxrss / 1024  # KiB on Linux; the largest single process
    return seconds, cpu, memory


def main() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/export.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    _, ms = timed(make_corpus)
    record(
        f"create {ARTICLES:,} articles, {ARTICLES * SPANS:,} spans (INSERT … SELECT)",
        ms / 1000,
        "s",
    )
    analyze()
    Corpus.objects.create(name="empty")
    with tempfile.TemporaryDirectory() as tmp:
        startup, _, memory = export("empty", Path(tmp) / "empty.jsonl")
        record("manage.py export start-up alone (empty corpus)", startup, "s")
        record("  peak memory (ru_maxrss)", memory.maxrss, "MiB")
        for jobs in (1, 2):
            output = Path(tmp) / f"bench-{jobs}.jsonl"
            load = os.getloadavg()[0]
            seconds, cpu, memory = export("bench", output, jobs)
            lines = _count_lines(output)
            assert lines == ARTICLES, lines
            what = f"JSONL, --jobs {jobs}"
            record(f"{what}: {lines:,} articles, wall time with start-up", seconds, "s")
            record(f"{what}: rate (wall time)", lines / seconds, "articles/s")
            record(f"{what}: rate (start-up subtracted)", lines / (seconds - startup), "articles/s")
            record(f"{what}:   CPU time of the export's processes (user + sys)", cpu, "s")
            record(f"{what}:   machine load average (1 min) at its start", f"{load:.2f}", "")
            record(f"{what}: peak memory, largest process (ru_maxrss)", memory.maxrss, "MiB")
            record(f"{what}: peak memory, all its processes, RSS", memory.rss / 1024, "MiB")
            record(f"{what}: peak memory, all its processes, PSS", memory.pss / 1024, "MiB")
        same = filecmp.cmp(Path(tmp) / "bench-1.jsonl", Path(tmp) / "bench-2.jsonl", shallow=False)
        record("--jobs 1 and --jobs 2 files are byte-identical", "yes" if same else "NO", "")
        record("JSONL file size", output.stat().st_size / 2**20, "MiB")


def _count_lines(path: Path) -> int:
    lines = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
    return lines


if __name__ == "__main__":
    run("Newsdesk export bench", main)
