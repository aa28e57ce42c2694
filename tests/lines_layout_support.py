"""The invoice package of tests/e2e/invoice_pkg with a declared form layout that
places its ``items`` lines between two sections of the invoice's own fields."""

from __future__ import annotations

import shutil
from pathlib import Path

SOURCE = Path(__file__).parent / "e2e" / "invoice_pkg"
FORM_LAYOUT = """
layouts:
  form:
    sections:
      - {label: Header, fields: [number]}
      - {label: {en: What was sold, es: Lo vendido}, fields: [items]}
      - {label: Terms, fields: [discount]}
"""


def layout_package(folder: Path) -> Path:
    """A copy of the invoice package in ``folder`` whose invoice declares the form layout."""
    root = folder / "invoice_layout_pkg"
    shutil.copytree(SOURCE, root)
    entity = root / "entities" / "invoice.yaml"
    entity.write_text(entity.read_text(encoding="utf-8") + FORM_LAYOUT, encoding="utf-8")
    return root
