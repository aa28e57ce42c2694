"""Fuzzing the package loader: whatever the files hold, only positioned diagnostics.

Packages are generated from the meta-schemas, or taken from the CRM template,
then mutated (see ``metadata_fuzz_support``). ``validate_package`` (what
``trellis metadata validate`` runs) must never raise, must place every problem
at ``file:line:col`` with a code, and must return a model exactly when there is
no error. Examples are derandomized so CI runs the same inputs every time.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metadata_fuzz_support import (
    assert_positioned,
    crm_files,
    data_mutation,
    dump,
    fuzz_settings,
    schema_packages,
    text_mutation,
    write_package,
)

from trellis.metadata.loader import PackageReport, validate_package
from trellis.rules.checker import RuleExpressionChecker

FUZZ = settings(
    fuzz_settings(30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CRM_FILES = crm_files()
CRM_YAML = sorted(p for p in CRM_FILES if p.endswith(".yaml"))


def _check(texts: dict[str, Any]) -> PackageReport:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pkg"
        write_package(root, texts)
        report = validate_package(root, checker=RuleExpressionChecker())
        assert_positioned(report.diagnostics, root)
        assert (report.model is None) == bool(report.errors), [str(d) for d in report.errors]
        return report


@FUZZ
@given(schema_packages())
def test_schema_generated_packages_give_positioned_diagnostics_or_a_model(
    package: dict[str, str],
) -> None:
    _check(package)


@FUZZ
@given(schema_packages(), st.data())
def test_mutated_generated_packages_give_positioned_diagnostics(
    package: dict[str, str], data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(sorted(package)))
    mutated = data.draw(data_mutation(yaml.safe_load(package[path])))
    package[path] = dump(mutated)
    _check(package)


@FUZZ
@given(st.sampled_from(CRM_YAML), st.data())
def test_crm_with_one_mutated_value_gives_positioned_diagnostics(
    path: str, data: st.DataObject
) -> None:
    texts: dict[str, Any] = dict(CRM_FILES)
    original = yaml.safe_load(texts[path])
    texts[path] = dump(data.draw(data_mutation(copy.deepcopy(original))))
    report = _check(texts)
    if texts[path] == dump(original):
        assert report.errors == []


@FUZZ
@given(st.sampled_from(sorted(CRM_FILES)), st.data())
def test_crm_with_one_broken_file_gives_positioned_diagnostics(
    path: str, data: st.DataObject
) -> None:
    texts: dict[str, Any] = dict(CRM_FILES)
    texts[path] = data.draw(text_mutation(texts[path]))
    _check(texts)
