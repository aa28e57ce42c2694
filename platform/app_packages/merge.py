"""Three-way merge of app packages on metadata nodes by stable id (not on text lines).

``base`` is the template version the tenant installed, ``theirs`` the new template
version, ``ours`` the tenant's current metadata. A change on one side only is taken; the
same change on both sides is taken once; anything else is a :class:`Conflict` until a
resolution names ``ours``, ``theirs`` or an edited value for its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trellis.platform.app_packages.lock import LOCK_FILE, lock_files, read_lock
from trellis.platform.app_packages.tree import (
    KIND,
    NAME,
    NODE_ID,
    Resolved,
    display_key,
    package_tree,
    plain,
    tree_files,
)


class _Missing:
    """A node one side does not have."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class Conflict:
    """A node both sides changed differently, one removed and the other changed, or a
    new upstream name that clashes with the tenant's. Values are plain (None: absent)."""

    path: str
    kind: str
    base: Any
    theirs: Any
    ours: Any
    resolution: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The conflict as the JSON report shows it."""
        return {
            "path": self.path,
            "kind": self.kind,
            "base": self.base,
            "theirs": self.theirs,
            "ours": self.ours,
            "resolution": self.resolution,
        }


@dataclass
class MergeResult:
    """The merged files and every conflict met (resolved ones carry their resolution)."""

    files: dict[str, str]
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def unresolved(self) -> list[Conflict]:
        """Conflicts that block the upgrade."""
        return [c for c in self.conflicts if c.resolution is None]


def _shown(value: Any) -> Any:
    return None if value is MISSING else plain(value)


class _Merger:
    def __init__(self, resolutions: Mapping[str, Any]) -> None:
        self.resolutions = resolutions
        self.conflicts: list[Conflict] = []

    def conflict(self, path: str, kind: str, b: Any, t: Any, o: Any) -> Any:
        choice = self.resolutions.get(path)
        label = None
        result = MISSING
        if choice == "ours":
            label, result = "ours", o
        elif choice == "theirs":
            label, result = "theirs", t
        elif isinstance(choice, dict) and "value" in choice:
            label, result = "edited", Resolved(choice["value"])
        self.conflicts.append(Conflict(path, kind, _shown(b), _shown(t), _shown(o), label))
        return o if label is None else result

    def merge(self, path: str, b: Any, t: Any, o: Any) -> Any:
        if t == o:
            return t
        if b == t:
            return o
        if b == o:
            return t
        dicts = all(isinstance(x, dict) for x in (t, o)) and (b is MISSING or isinstance(b, dict))
        if not dicts:
            kind = "removed upstream, changed here" if t is MISSING else "both changed"
            if o is MISSING:
                kind = "removed here, changed upstream"
            return self.conflict(path, kind, b, t, o)
        if b is MISSING and t.get(NODE_ID) != o.get(NODE_ID):
            return self.conflict(path, "name clash", b, t, o)
        return self.merge_dicts(path, {} if b is MISSING else b, t, o)

    def merge_dicts(
        self, path: str, b: Mapping[str, Any], t: Mapping[str, Any], o: Mapping[str, Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in _key_order(t, o):
            bv, tv, ov = b.get(key, MISSING), t.get(key, MISSING), o.get(key, MISSING)
            if key in (KIND, NAME, NODE_ID) and tv == ov:
                out[key] = tv
                continue
            shown = display_key(key, (ov, tv, bv)) if key != NAME else "name"
            if key == "@value":
                child = path
            elif not path:
                child = shown
            else:
                child = f"{path}.{shown}" if ":" in path else f"{path}:{shown}"
            merged = self.merge(child, bv, tv, ov)
            if merged is not MISSING:
                out[key] = merged
        self.clashes(path, b, t, o, out)
        return out

    def clashes(
        self,
        path: str,
        b: Mapping[str, Any],
        t: Mapping[str, Any],
        o: Mapping[str, Any],
        out: dict[str, Any],
    ) -> None:
        """A node upstream added whose name one of the tenant's own nodes has."""
        if out.get(KIND) not in ("map", "list"):
            return
        ours_names = {_name(v): k for k, v in o.items() if k != KIND and k not in b}
        for key, value in t.items():
            if key == KIND or key in b or key in o:
                continue
            name = _name(value)
            mine = ours_names.get(name)
            if name is None or mine is None:
                continue
            shown = f"{path}.{name}" if ":" in path else f"{path}:{name}"
            out.pop(key, None)
            kept = self.conflict(shown, "name clash", MISSING, value, o[mine])
            if kept is MISSING:
                out.pop(mine, None)
            elif kept is value:
                out.pop(mine, None)
                out[key] = value
            elif isinstance(kept, Resolved):
                out[mine] = kept


def _name(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get(NAME), str):
        return str(node[NAME])
    value = plain(node)
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return str(value["name"])
    return value if isinstance(value, str) else None


def _key_order(t: Mapping[str, Any], o: Mapping[str, Any]) -> list[str]:
    """Ours' order, with keys only upstream has placed after their upstream predecessor."""
    order = list(o)
    previous: str | None = None
    for key in t:
        if key not in order:
            index = order.index(previous) + 1 if previous in order else len(order)
            order.insert(index, key)
        previous = key
    return order


def merge_packages(
    base: Mapping[str, str],
    theirs: Mapping[str, str],
    ours: Mapping[str, str],
    resolutions: Mapping[str, Any] | None = None,
) -> MergeResult:
    """Merge ``theirs`` into ``ours`` over ``base`` (each a package's files with a lock).

    ``theirs`` without a lock gets the base's ids by path and ``renamed_from``; its new
    nodes get ids derived from their paths. The result carries a lock with the ids of
    both sides.
    """
    from trellis.platform.app_packages.lock import derived_id

    if LOCK_FILE not in base:  # ids by path from the tenant's lock
        base = lock_files(base, read_lock(ours.get(LOCK_FILE)), new_id=derived_id)
    base_ids = read_lock(base[LOCK_FILE])
    if LOCK_FILE not in ours:
        ours = lock_files(ours, base_ids, new_id=derived_id)
    theirs_declared = set(read_lock(theirs.get(LOCK_FILE)).values())
    if theirs_declared and not theirs_declared & set(base_ids.values()):
        # Its lock comes from elsewhere (the template's own tenant): match by path instead.
        theirs = {p: t for p, t in theirs.items() if p != LOCK_FILE}
    theirs = lock_files(theirs, base_ids, new_id=derived_id)
    theirs_ids, ours_ids = read_lock(theirs[LOCK_FILE]), read_lock(ours.get(LOCK_FILE))
    merger = _Merger(resolutions or {})
    ours_tree = package_tree(ours, ours_ids)
    merged = merger.merge_dicts(
        "", package_tree(base, base_ids), package_tree(theirs, theirs_ids), ours_tree
    )
    files = tree_files(merged, ours_tree, ours)
    declared = {**theirs_ids, **ours_ids}
    from trellis.platform.app_packages.lock import package_nodes, render_lock

    nodes = package_nodes(files)
    taken = {n.path: declared[n.path] for n in nodes if n.path in declared}
    files[LOCK_FILE] = render_lock(taken)
    return MergeResult(lock_files(files, new_id=derived_id), merger.conflicts)


__all__ = ["Conflict", "MergeResult", "merge_packages"]
