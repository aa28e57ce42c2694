"""The CRM industry template: an app package of YAML files (accounts, contacts, deals…)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The folder holding ``app.yaml`` and ``entities/``; pass it to ``load_package``.
PACKAGE_PATH = Path(str(files(__name__)))
