from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from annotations.ingest import ingest
from annotations.models import Corpus
from annotations.tasks import enqueue_pretag


class Command(BaseCommand):
    help = "Import articles from .txt, .jsonl and .csv files or folders, then queue pre-tagging."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--corpus", default="Default", help="corpus name (created if new)")
        parser.add_argument("--no-pretag", action="store_true", help="do not queue pre-tagging")

    def handle(self, *args, paths: list[Path], corpus: str, no_pretag: bool, **options) -> None:
        target, _ = Corpus.objects.get_or_create(name=corpus)
        report = ingest(paths, target)
        for rejection in report.rejected:
            self.stderr.write(f"rejected {rejection}")
        if not no_pretag:
            enqueue_pretag(report.article_ids)
        self.stdout.write(
            f"{report.imported} imported, {report.duplicates} already present, "
            f"{len(report.rejected)} rejected into corpus {target.name!r}"
        )
