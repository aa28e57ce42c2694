"""Load an app package folder into a frozen, checked :class:`AppModel`.

Every file is parsed with positions, validated against a JSON meta-schema
(``schemas/``), cross-checked, and its expressions type-checked through an
injected :class:`ExpressionChecker` (metadata imports nothing of the rule layer).
All problems of a package are reported at once, with stable codes (``CODES``).
"""

from __future__ import annotations

from trellis.metadata.loader._demo_spec import (
    SPEC_PATH as DEMO_SPEC_PATH,
)
from trellis.metadata.loader._demo_spec import (
    WORDS_PATH as DEMO_WORDS_PATH,
)
from trellis.metadata.loader._demo_spec import has_demo_spec, load_demo_spec
from trellis.metadata.loader._expressions import ExpressionChecker, RuleFileChecker
from trellis.metadata.loader._field_checks import APPLIES_TO, TARGETED
from trellis.metadata.loader._package import (
    PackageReport,
    load_package,
    package_digest,
    validate_package,
)
from trellis.metadata.loader.codes import CODES
from trellis.metadata.loader.positions import NodePath, NodePosition, PositionMap, to_pointer
from trellis.metadata.loader.yaml_source import YamlDocument, load_yaml

__all__ = [
    "APPLIES_TO",
    "CODES",
    "DEMO_SPEC_PATH",
    "DEMO_WORDS_PATH",
    "TARGETED",
    "ExpressionChecker",
    "NodePath",
    "NodePosition",
    "PackageReport",
    "PositionMap",
    "RuleFileChecker",
    "YamlDocument",
    "has_demo_spec",
    "load_demo_spec",
    "load_package",
    "load_yaml",
    "package_digest",
    "to_pointer",
    "validate_package",
]
