import gc
import shutil
import sys
import tempfile
from collections.abc import Iterable
from datetime import date
from typing import IO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from annotations.exports import (
    ANNOTATORS,
    FORMATS,
    GOLD,
    INCIDENT,
    INCIDENT_FORMATS,
    LEVELS,
    REPORT,
    Selection,
    bundle,
    jsonl,
    stream,
)
from annotations.exports.conll import Dropped
from annotations.models import Corpus, Layer


class Command(BaseCommand):
    # Data in, data out: the URL and template checks would load every view (and the
    # taggers behind them) for nothing: about 3 s and 100 MB more at start-up.
    requires_system_checks: list[str] = []
    help = (
        "Export a corpus's gold (or annotator) layers as JSONL, CoNLL, ACLED CSV, GeoJSON "
        "or a zip bundle of all of them with a datasheet. CoNLL's dropped spans go to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", required=True, help="corpus name")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--layers", choices=[GOLD, ANNOTATORS], default=GOLD)
        parser.add_argument("--annotator", help="only this annotator's layers (username)")
        parser.add_argument("--state", choices=[s for s, _ in Layer.STATES])
        parser.add_argument("--since", type=date.fromisoformat, help="published on or after")
        parser.add_argument("--until", type=date.fromisoformat, help="published on or before")
        parser.add_argument(
            "--level",
            choices=LEVELS,
            default=REPORT,
            help="incident: one row per incident (JSONL, ACLED CSV and GeoJSON)",
        )
        parser.add_argument("--output", default="-", help="file to write, or - for stdout")
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="JSONL only: worker processes reading and encoding chunks (one per core)",
        )

    def handle(self, *args, **options) -> None:
        # Start-up's objects (Django, the models) go out of the collector's way: every
        # collection walked them again, about a sixth of a large export's time.
        gc.freeze()
        try:
            self._export(options)
        finally:
            gc.unfreeze()  # a caller in the same process (a test) gets its collector back

    def _export(self, options: dict) -> None:
        corpus = Corpus.objects.filter(name=options["corpus"]).first()
        if corpus is None:
            raise CommandError(f"no corpus named {options['corpus']!r}")
        annotator = options["annotator"]
        selection = Selection(
            corpus=corpus,
            layers=ANNOTATORS if annotator else options["layers"],
            annotator=annotator,
            state=options["state"],
            since=options["since"],
            until=options["until"],
        )
        output, fmt, jobs = options["output"], options["format"], options["jobs"]
        if jobs < 1:
            raise CommandError("--jobs must be at least 1")
        level = options["level"]
        # The bundle holds both levels; CoNLL is about spans and has no incident level.
        if level == INCIDENT and fmt not in (*INCIDENT_FORMATS, "bundle"):
            choices = ", ".join(INCIDENT_FORMATS)
            raise CommandError(f"{fmt} has no incident level (use one of {choices})")
        if fmt == "bundle":
            self._bundle(selection, output)
            return
        if level == INCIDENT:
            pieces = stream(selection, fmt, level=INCIDENT)
        elif fmt == "jsonl" and jobs > 1:
            if connection.vendor != "postgresql":
                # Forked workers and an SQLite connection (in memory, in tests) do not mix.
                raise CommandError("--jobs above 1 needs PostgreSQL")
            pieces = jsonl.write_in_processes(selection, jobs)
        else:
            pieces = stream(selection, fmt, self._report)
        if output == "-":
            _to_stdout(self.stdout, pieces)
        else:
            with open(output, "wb") as f:
                for piece in pieces:
                    f.write(piece)

    def _report(self, drop: Dropped) -> None:
        self.stderr.write(str(drop))

    def _bundle(self, selection: Selection, output: str) -> None:
        if output != "-":
            with open(output, "wb") as f:
                stats = bundle.write(selection, f)
        else:
            out = _binary_stdout(self.stdout)
            # A zip's directory comes last: build it in a temporary file, then copy it out.
            with tempfile.TemporaryFile() as f:
                stats = bundle.write(selection, f)
                f.seek(0)
                shutil.copyfileobj(f, out)
        self.stderr.write(
            f"{len(stats.article_ids)} articles, {stats.layers} layers, {stats.spans} spans, "
            f"{stats.events} events; {stats.conll_dropped} spans left out of CoNLL"
        )


def _to_stdout(stdout: object, pieces: Iterable[bytes]) -> None:
    """UTF-8 pieces to standard output's bytes, or decoded to a text stream a caller gave
    (`call_command(stdout=StringIO())`)."""
    out = _stream(stdout)
    binary = getattr(out, "buffer", None)
    if binary is None:
        for piece in pieces:
            out.write(piece.decode("utf-8"))
        return
    out.flush()  # what was written as text goes first
    for piece in pieces:
        binary.write(piece)
    binary.flush()


def _stream(stdout: object) -> IO[str]:
    """The stream behind a command's OutputWrapper."""
    return getattr(stdout, "_out", sys.stdout)


def _binary_stdout(stdout: object) -> IO[bytes]:
    out = _stream(stdout)
    if not hasattr(out, "buffer"):
        raise CommandError("a bundle is binary: give --output FILE")
    return out.buffer
