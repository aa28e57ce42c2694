"""The icon sprite: the static file is what ``icons.py`` declares, and covers metadata's names."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from trellis.metadata.model.icons import ICON_NAMES
from trellis.ui.screens.icons import DEFAULT_ENTITY_ICON, SPRITE, UI_ICON_PATHS, icon, sprite

SVG = "{http://www.w3.org/2000/svg}"


def test_static_sprite_is_the_declared_icon_set() -> None:
    text = SPRITE.read_text(encoding="utf-8")
    assert text == sprite(), "run: python -m trellis.ui.screens.icons"
    ids = {s.get("id") for s in ET.fromstring(text).iter(f"{SVG}symbol")}
    assert set(ICON_NAMES) | set(UI_ICON_PATHS) | {DEFAULT_ENTITY_ICON} == ids


def test_icon_markup_is_decorative_unless_labelled() -> None:
    plain = str(icon("plus"))
    assert 'aria-hidden="true"' in plain and 'href="/static/icons.svg#plus"' in plain
    assert "style=" not in plain and "<script" not in plain
    named = str(icon("alert", label='Late "now"'))
    assert 'role="img"' in named and 'aria-label="Late &quot;now&quot;"' in named
    # An unknown name draws the default entity icon, never a broken reference.
    assert re.search(r"#box\"", str(icon("no-such-icon")))
