"""Compiled role sets of one app version, kept on its ``AppRuntime`` (not a side table).

A role set is compiled once per (roles, values of the user attributes that the app's
role conditions read); the table lives and dies with the app version's runtime.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

from trellis.platform.authz.access import RoleSet, compile_role_set, condition_attributes
from trellis.platform.records.compiled import CompiledApp

if TYPE_CHECKING:
    from trellis.platform.runtime.app_runtime import AppRuntime, PartKey

#: Role sets compiled per app version: distinct role combinations times distinct values
#: of the user attributes that role conditions read (oldest dropped first).
MAX_ROLE_SETS = 256
RoleKey = tuple[tuple[str, ...], tuple[tuple[str, str], ...]]


class RoleSets:
    """The role sets of one app version, compiled on first use (bounded)."""

    def __init__(self, app: CompiledApp) -> None:
        self.app = app
        #: The user attributes the app's role conditions read.
        self.attribute_names = condition_attributes(app.model)
        self._sets: dict[RoleKey, RoleSet] = {}
        self._lock = threading.Lock()

    def get(self, roles: tuple[str, ...], attributes: Mapping[str, str] | None) -> RoleSet:
        """The compiled access of ``roles`` for a user with ``attributes``."""
        values = attributes or {}
        bound = tuple(sorted((n, values[n]) for n in self.attribute_names if n in values))
        key: RoleKey = (tuple(sorted(set(roles))), bound)
        with self._lock:
            found = self._sets.get(key)
        if found is None:
            found = compile_role_set(self.app, key[0], dict(key[1]))
            with self._lock:
                if len(self._sets) >= MAX_ROLE_SETS:
                    self._sets.pop(next(iter(self._sets)))
                self._sets[key] = found
        return found


@cache
def _part_key() -> PartKey[RoleSets]:
    # Imported here: the runtime package imports authz (through search) at start-up.
    from trellis.platform.runtime.app_runtime import PartKey

    return PartKey("authz.role_sets")


def role_sets(rt: AppRuntime) -> RoleSets:
    """The role-set table of the app version ``rt``."""
    return rt.part(_part_key(), lambda r: RoleSets(r.app))


__all__ = ["MAX_ROLE_SETS", "RoleSets", "role_sets"]
