"""The annotation page's colours are one palette (custom properties in newsdesk.css :root)
that keeps text readable and tells labels, selection and evidence apart.

Thresholds:
- text on any background: WCAG 2 AA contrast, at least 4.5:1;
- lines that carry meaning (focus, place links, the open span, disagreement):
  WCAG 2 non-text contrast, at least 3:1 against white and every label background;
- selection and evidence against every label, and against each other: CIE76 colour
  difference ΔE*ab of at least 25. A just-noticeable difference is about 2.3; 25 is a
  difference seen at a glance, which is what telling "selected" from "ORG" needs (the
  old keyboard-selection blue was ΔE 2 from ORG, the old evidence hover ΔE 7 from MISC);
- labels among themselves: ΔE of at least 10 (eight pastels cannot all be 25 apart).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parent.parent / "static" / "annotations" / "css" / "newsdesk.css"
LABELS = [f"--lab-{i}" for i in range(8)]
TEXT_BACKGROUNDS = [*LABELS, "--selection", "--evidence", "--evidence-hover", "--bg", "--surface"]
LINES = ["--focus", "--link-auto", "--link-confirmed", "--open", "--disagree"]
MARKERS = ["--selection", "--evidence", "--evidence-hover"]


def root_variables(css: str) -> dict[str, str]:
    block = re.search(r":root\s*\{(.*?)\}", css, re.S)
    assert block, "newsdesk.css has no :root block"
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", block.group(1)))


def rgb(value: str) -> tuple[float, float, float]:
    hex_ = value.strip().lstrip("#")
    assert re.fullmatch(r"[0-9a-fA-F]{6}", hex_), f"palette colours are #rrggbb: {value}"
    return tuple(int(hex_[i : i + 2], 16) / 255 for i in (0, 2, 4))


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(value: str) -> float:
    r, g, b = map(_linear, rgb(value))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def cielab(value: str) -> tuple[float, float, float]:
    r, g, b = map(_linear, rgb(value))
    # sRGB → XYZ (D65), normalised by the white point.
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a: str, b: str) -> float:
    return sum((p - q) ** 2 for p, q in zip(cielab(a), cielab(b), strict=True)) ** 0.5


@pytest.fixture(scope="module")
def css() -> str:
    return CSS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def palette(css) -> dict[str, str]:
    return root_variables(css)


def test_the_helpers_agree_with_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert delta_e("#ffffff", "#000000") == pytest.approx(100, abs=0.01)


def test_the_palette_names_every_colour(palette):
    missing = [v for v in [*TEXT_BACKGROUNDS, *LINES, "--ink"] if v not in palette]
    assert not missing


def test_text_has_aa_contrast_on_every_background(palette):
    ink = palette["--ink"]
    low = {v: round(contrast(ink, palette[v]), 2) for v in TEXT_BACKGROUNDS}
    assert all(ratio >= 4.5 for ratio in low.values()), low


def test_meaningful_lines_stand_out_from_white_and_every_label(palette):
    grounds = ["#ffffff", *(palette[v] for v in LABELS)]
    for line in LINES:
        worst = min(contrast(palette[line], g) for g in grounds)
        assert worst >= 3, (line, round(worst, 2))


@pytest.mark.parametrize("marker", MARKERS)
def test_selection_and_evidence_differ_from_every_label(palette, marker):
    differences = {v: round(delta_e(palette[marker], palette[v]), 1) for v in LABELS}
    assert min(differences.values()) >= 25, differences


def test_selection_differs_from_evidence_and_labels_from_each_other(palette):
    for a, b in itertools.combinations(MARKERS, 2):
        assert delta_e(palette[a], palette[b]) >= 25, (a, b)
    for a, b in itertools.combinations(LABELS, 2):
        assert delta_e(palette[a], palette[b]) >= 10, (a, b)
    assert delta_e(palette["--link-auto"], palette["--link-confirmed"]) >= 25


def test_the_page_draws_with_the_palette(css):
    for i in range(8):
        assert re.search(rf"\.lab-{i}\s*\{{[^}}]*var\(--lab-{i}\)", css), f".lab-{i}"
    # The events script draws evidence as CSS Custom Highlights: one background per range.
    for name, variable in (("evidence", "--evidence"), ("evidence-hover", "--evidence-hover")):
        rule = re.search(rf"::highlight\({name}\)\s*\{{([^}}]*)\}}", css)
        assert rule and f"background-color: var({variable})" in rule.group(1), name
    assert re.search(r"\.kbd-sel\s*\{[^}]*var\(--selection\)", css)
    assert re.search(r"::selection\s*\{[^}]*var\(--selection\)", css)
    # No colour literal outside :root in the reading rules: one place to change them.
    reading = re.findall(r"(mark\.ent[^{]*|\.cursor|\.kbd-sel)\s*\{([^}]*)\}", css)
    assert reading
    for selector, body in reading:
        assert not re.search(r"#[0-9a-fA-F]{3,6}\b", body), selector
