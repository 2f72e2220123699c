"""camel-tools' BERT NER (NERecognizer) as a pre-tagging engine.

Two ways to get a model, both offline once set up:
- `camel_data -i ner-arabert` installs camel-tools' model under CAMELTOOLS_DATA
  (default ~/.camel_tools); the engine then uses `NERecognizer.pretrained()`.
- settings.NEWSDESK_CAMEL_NER_MODEL names a directory holding a fine-tuned
  BertForTokenClassification with its tokenizer (e.g. a CAMeLBERT NER model an
  operator copied in); the engine uses `NERecognizer(path)`.
When neither is there the engine is unavailable and says how to install it; the
other engines carry on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from ..conll import entities
from ..text import Token, sentences
from .base import EngineUnavailable, Suggestion

INSTALL_HINT = "install camel-tools' NER model with: camel_data -i ner-arabert"
# NERecognizer pads to 256 word pieces; a window of 100 words stays under it even
# when Arabic words split into two pieces each, so no sentence is silently cut.
WINDOW_WORDS = 100
# NERecognizer.predict returns labels without scores.
CONFIDENCE = 0.85


def camel_data_dir() -> Path:
    return Path(os.environ.get("CAMELTOOLS_DATA", Path.home() / ".camel_tools")).expanduser()


def _import_recognizer(model_dir: str) -> Any:
    """Import camel_tools.ner, which loads camel-tools' data catalogue on import.

    Without a catalogue (data never installed) camel-tools tries to download one. A
    model directory from settings needs no catalogue, so it is imported against an
    empty private one instead of touching the network or the operator's data dir.
    """
    if (camel_data_dir() / "catalogue.json").exists():
        from camel_tools.ner import NERecognizer

        return NERecognizer
    if not model_dir:
        raise EngineUnavailable(f"camel-tools data is not installed; {INSTALL_HINT}")
    private = Path(settings.VAR_DIR) / "camel_tools_offline"
    private.mkdir(parents=True, exist_ok=True)
    catalogue = private / "catalogue.json"
    if not catalogue.exists():
        catalogue.write_text(json.dumps({"version": "0", "packages": {}, "components": {}}))
    saved = os.environ.get("CAMELTOOLS_DATA")
    os.environ["CAMELTOOLS_DATA"] = str(private)
    try:
        from camel_tools.ner import NERecognizer
    finally:
        if saved is None:
            del os.environ["CAMELTOOLS_DATA"]
        else:
            os.environ["CAMELTOOLS_DATA"] = saved
    return NERecognizer


@lru_cache(maxsize=2)
def load_recognizer(model_dir: str) -> Any:
    recognizer = _import_recognizer(model_dir)
    try:
        if model_dir:
            return recognizer(model_dir, use_gpu=False)
        return recognizer.pretrained(use_gpu=False)
    except (OSError, KeyError) as exc:  # KeyError: a catalogue without the NER model
        raise EngineUnavailable(f"camel-tools NER model not found ({exc}); {INSTALL_HINT}") from exc


class CamelBertEngine:
    name = "camel_bert"

    def __init__(self, model_dir: str | None = None) -> None:
        self.model_dir = model_dir if model_dir is not None else settings.NEWSDESK_CAMEL_NER_MODEL
        self.recognizer = load_recognizer(self.model_dir or "")

    @property
    def version(self) -> str:
        return Path(self.model_dir).name if self.model_dir else "ner-arabert"

    def tag(self, text: str, tokens: list[Token]) -> list[Suggestion]:
        windows = list(_windows(text, tokens))
        if not windows:
            return []
        predictions = self.recognizer.predict([[t.text for t in w] for w in windows])
        found: list[Suggestion] = []
        for window, labels in zip(windows, predictions, strict=True):
            for first, end_token, label in sorted(entities(labels)):
                start, end = window[first].start, window[end_token - 1].end
                found.append(Suggestion(start, end, label, CONFIDENCE, self.name))
        return found


def _windows(text: str, tokens: list[Token]) -> Iterator[list[Token]]:
    """Sentences of tokens, each cut into windows the model can take whole."""
    i = 0
    for _start, end in sentences(text):
        sentence = []
        while i < len(tokens) and tokens[i].start < end:
            sentence.append(tokens[i])
            i += 1
        for w in range(0, len(sentence), WINDOW_WORDS):
            yield sentence[w : w + WINDOW_WORDS]
