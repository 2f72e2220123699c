from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.conll import format_report, read_conll
from annotations.learning import evaluate_model
from annotations.models import TaggerModel
from annotations.taggers import EngineUnavailable
from annotations.taggers.actors import ActorEngine
from annotations.taggers.crf import CRFEngine
from annotations.taggers.evaluation import evaluate_engines
from annotations.taggers.gazetteer import GazetteerEngine

ENGINES = {"crf": CRFEngine, "actors": ActorEngine, "gazetteer": GazetteerEngine}


class Command(BaseCommand):
    help = (
        "Entity-level precision, recall and F1 (exact spans, as seqeval) of a CRF model, "
        "alone or combined with other pre-tagging engines as pre-tagging combines them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--conll", required=True, type=Path)
        parser.add_argument("--model", help="model name (default: the active one)")
        parser.add_argument(
            "--engines",
            action="append",
            default=[],
            metavar="NAME,NAME",
            help="score these engines combined in this order, on the text (crf, actors, "
            "gazetteer; e.g. actors,crf,gazetteer); repeat to compare. Without it: the CRF "
            "alone on the file's own tokens",
        )

    def handle(self, *args, conll: Path, model: str | None, engines: list[str], **options):
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
        if not engines:
            self.stdout.write(format_report(evaluate_model(chosen.path, conll)))
            return
        sentences = read_conll(conll)
        for names in engines:
            combined = [self._engine(name.strip(), chosen) for name in names.split(",")]
            self.stdout.write(f"\nengines {' + '.join(e.name for e in combined)}")
            self.stdout.write(format_report(evaluate_engines(combined, sentences)))

    def _engine(self, name: str, model: TaggerModel):
        if name not in ENGINES:
            raise CommandError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")
        try:
            return CRFEngine(model.path) if name == "crf" else ENGINES[name]()
        except EngineUnavailable as exc:
            raise CommandError(f"{name}: {exc}") from exc
