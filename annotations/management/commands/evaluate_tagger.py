from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.conll import format_report
from annotations.learning import evaluate_model
from annotations.models import TaggerModel


class Command(BaseCommand):
    help = "Entity-level precision, recall and F1 (exact spans, as seqeval) of a CRF model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--conll", required=True, type=Path)
        parser.add_argument("--model", help="model name (default: the active one)")

    def handle(self, *args, conll: Path, model: str | None, **options) -> None:
        if not conll.is_file():
            raise CommandError(f"{conll}: no such file")
        chosen = (
            TaggerModel.objects.filter(name=model).first()
            if model
            else TaggerModel.objects.active()
        )
        if chosen is None:
            raise CommandError(f"no model {model!r}" if model else "no active model; train one")
        self.stdout.write(f"model {chosen.name} on {conll}")
        self.stdout.write(format_report(evaluate_model(chosen.path, conll)))
