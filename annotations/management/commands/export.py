import shutil
import sys
import tempfile
from datetime import date
from typing import IO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.exports import ANNOTATORS, FORMATS, GOLD, Selection, bundle, stream
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
        parser.add_argument("--output", default="-", help="file to write, or - for stdout")

    def handle(self, *args, **options) -> None:
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
        output, fmt = options["output"], options["format"]
        if fmt == "bundle":
            self._bundle(selection, output)
        elif output == "-":
            for piece in stream(selection, fmt, self._report):
                self.stdout.write(piece, ending="")
        else:
            with open(output, "w", encoding="utf-8", newline="") as f:
                for piece in stream(selection, fmt, self._report):
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


def _binary_stdout(stdout: object) -> IO[bytes]:
    out = getattr(stdout, "_out", sys.stdout)
    if not hasattr(out, "buffer"):
        raise CommandError("a bundle is binary: give --output FILE")
    return out.buffer
