"""The record header's parts that need no server: initials, icons, highlights, badge contrast."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trellis.metadata.loader import load_package
from trellis.metadata.model.badges import BADGE_COLOURS
from trellis.metadata.model.icons import ICON_NAMES
from trellis.rules.checker import RuleExpressionChecker
from trellis.seed.crm import PACKAGE_PATH
from trellis.ui.screens.icons import ICON_PATHS
from trellis.ui.screens.layouts import resolve
from trellis.ui.screens.record_header import initials

CSS = Path(__file__).resolve().parents[3] / "ui" / "screens" / "static" / "app.css"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Ana Ruiz", "AR"), ("ana.ruiz@acme.test", "AR"), ("admin@acme.test", "A"), ("", "?")],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_every_named_icon_is_drawn() -> None:
    assert set(ICON_PATHS) == set(ICON_NAMES)
    assert all(re.fullmatch(r"[MmLlHhVvAaZz0-9 .,-]+", d) for d in ICON_PATHS.values())


def test_crm_detail_layouts_declare_highlights_and_icons() -> None:
    model = load_package(PACKAGE_PATH, checker=RuleExpressionChecker())
    for entity in ("account", "contact", "opportunity", "ticket", "lead"):
        screens = resolve(model, model.entities[entity])
        assert 1 <= len(screens.highlights) <= 6 and screens.icon in ICON_NAMES
    assert resolve(model, model.entities["opportunity"]).highlights[:2] == ("account", "amount")
    generated = resolve(model, model.entities["payment"])  # no declared highlights
    assert generated.highlights and generated.icon is None


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_badge_colour_has_accessible_contrast_in_light_and_dark_mode() -> None:
    css = CSS.read_text(encoding="utf-8")
    for colour in BADGE_COLOURS:
        pair = r"--badge-bg: (#[0-9a-f]{6}); --badge-text: (#[0-9a-f]{6});"
        pairs = re.findall(rf"\.badge-{colour} \{{ {pair} \}}", css)
        assert len(pairs) == 3, colour  # light, dark by preference, dark by choice
        for bg, text in pairs:
            light, dark = sorted((_luminance(bg), _luminance(text)), reverse=True)
            assert (light + 0.05) / (dark + 0.05) >= 4.5, (colour, bg, text)
