"""Sample data of a template (``data/<entity>.yaml``: a list of records), saved as a member."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trellis.platform.app_packages.archive import PackageError
from trellis.platform.app_packages.canonical import parse_yaml

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.services.records import RecordsService


def sample_records(files: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """``(entity, values)`` of every sample record, file by file in path order."""
    out: list[tuple[str, dict[str, Any]]] = []
    # Only files directly in data/: data/demo/ holds the generator spec (demo_data).
    top = (p for p in files if p.startswith("data/") and p.count("/") == 1)
    for path in sorted(p for p in top if p.endswith(".yaml")):
        entity = path[len("data/") : -len(".yaml")]
        rows = parse_yaml(files[path], path)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise PackageError(f"'{path}' must be a list of records (field: value).")
        out.extend((entity, dict(row)) for row in rows)
    return out


def load_sample_data(records: RecordsService, call: Call, files: Mapping[str, str]) -> int:
    """Save every sample record through the save pipeline; returns how many.

    Raises:
        PackageError: a data file names no entity of the app or is not a list of records.
        RecordError: a record is refused (its entity's rules apply as to any save).
    """
    saved = 0
    for name, values in sample_records(files):
        entity = call.app.entities.get(name)
        if entity is None:
            raise PackageError(f"'data/{name}.yaml' names no entity of the app.")
        records.create(call, entity, values)
        saved += 1
    return saved


__all__ = ["load_sample_data", "sample_records"]
