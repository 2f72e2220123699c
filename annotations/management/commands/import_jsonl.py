from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.jsonl_import import import_jsonl


class Command(BaseCommand):
    # Data in, data out: the URL and template checks would load every view (and the
    # taggers behind them) for nothing: about 3 s and 100 MB more at start-up.
    requires_system_checks: list[str] = []
    help = (
        "Import an export's JSONL (articles with their layers, spans, places, events). "
        "Bad lines are reported as file:line: reason; the rest is imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--corpus", help="import into this corpus (default: each line's)")

    def handle(self, *args, file: Path, corpus: str | None, **options) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        report = import_jsonl(file, corpus)
        for rejection in report.rejected:
            self.stderr.write(f"rejected {rejection}")
        self.stdout.write(
            f"{report.articles} articles, {report.layers} layers, {report.spans} spans, "
            f"{report.events} events imported; {len(report.rejected)} lines rejected"
        )
