"""Read and check a demo data spec (``data/demo/spec.yaml`` and ``data/demo/words.yaml``).

The spec is checked against its meta-schema (``schemas/demo_data.schema.json``), then
against the app: entities, fields, options, word lists, teams and roles. Every problem
is reported at once as ``path:line:col: error CODE: message (did you mean …)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from trellis.metadata.diagnostics import Diagnostic, MetadataError, did_you_mean
from trellis.metadata.loader._schema_check import schema_diagnostics
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import load_yaml
from trellis.metadata.model.defs import AppModel, EntityDef
from trellis.metadata.model.demo_data import (
    GENERATOR_KINDS,
    DemoSpec,
    Generator,
    HistorySpec,
    PerParent,
    RecordSpec,
    TeamSpec,
)
from trellis.metadata.model.source import SourceSpan
from trellis.metadata.model.type_names import FieldType

SPEC_PATH = "data/demo/spec.yaml"
WORDS_PATH = "data/demo/words.yaml"
#: Field types a generator cannot fill (computed, or kept by the platform).
_COMPUTED = (FieldType.AUTONUMBER,)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_STANDARD = ("owner_id",)


def has_demo_spec(files: Mapping[str, str]) -> bool:
    """Whether a package (``path -> text``) has a demo data spec."""
    return SPEC_PATH in files


def load_demo_spec(files: Mapping[str, str], model: AppModel, root: str = "") -> DemoSpec:
    """The checked demo spec of a package given as ``path -> text``.

    ``root`` prefixes the paths in diagnostics (the package folder as the user named it).

    Raises:
        MetadataError: every problem of the spec and its word lists at once.
    """
    prefix = f"{root.rstrip('/')}/" if root else ""
    if SPEC_PATH not in files:
        span = SourceSpan(prefix + SPEC_PATH, 1, 1)
        raise MetadataError([Diagnostic("MD390", "the package has no demo data spec", span)])
    words, problems = _words(files.get(WORDS_PATH), prefix + WORDS_PATH)
    doc = load_yaml(files[SPEC_PATH], prefix + SPEC_PATH)
    problems.extend(doc.diagnostics)
    problems.extend(schema_diagnostics("demo_data", doc.data, doc.positions))
    if problems:
        raise MetadataError(problems)
    checker = _SpecChecker(model, doc.positions, words)
    spec = checker.build(doc.data)
    if checker.problems:
        raise MetadataError(checker.problems)
    return spec


def demo_spec_diagnostics(root: Path, display: str, model: AppModel) -> list[Diagnostic]:
    """Every problem of the package's demo spec (none when it has no spec)."""
    files = {}
    for path in (SPEC_PATH, WORDS_PATH):
        file = root / path
        if file.is_file():
            files[path] = file.read_text(encoding="utf-8")
    if SPEC_PATH not in files:
        return []
    try:
        load_demo_spec(files, model, display)
    except MetadataError as exc:
        return list(exc.diagnostics)
    return []


def _words(
    text: str | None, path: str
) -> tuple[dict[str, dict[str, tuple[str, ...]]], list[Diagnostic]]:
    """Word lists: ``name: [..]`` (any language) or ``name: {en: [..], es: [..]}``."""
    if text is None:
        return {}, []
    doc = load_yaml(text, path)
    problems = list(doc.diagnostics)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    if not isinstance(doc.data, dict):
        problems.append(
            Diagnostic(
                "MD390", "word lists must be a mapping of list names", doc.positions.value(())
            )
        )
        return out, problems
    for name, value in doc.data.items():
        by_lang = value if isinstance(value, dict) else {"*": value}
        good = all(
            isinstance(items, list) and items and all(isinstance(i, str) for i in items)
            for items in by_lang.values()
        )
        if not good:
            message = f"word list '{name}' must be a non-empty list of text, or one per language"
            problems.append(Diagnostic("MD390", message, doc.positions.value((name,))))
            continue
        out[name] = {lang: tuple(items) for lang, items in by_lang.items()}
    return out, problems


class _SpecChecker:
    """Builds the frozen spec, collecting every problem against the app."""

    def __init__(self, model: AppModel, positions: PositionMap, words: Mapping[str, Any]) -> None:
        self.model, self.positions, self.words = model, positions, words
        self.problems: list[Diagnostic] = []
        self.made: set[str] = set()

    def problem(
        self, code: str, message: str, path: NodePath, near: str | None = None, *, key: bool = False
    ) -> None:
        """Note a problem at the value of ``path`` (at its key when ``key``)."""
        span = self.positions.anchor(path) if key else self.positions.value(path)
        self.problems.append(Diagnostic(code, message, span, near))

    def build(self, data: dict[str, Any]) -> DemoSpec:
        users = data.get("users") or {"domain": "demo.test", "teams": []}
        teams = tuple(
            TeamSpec(t["name"], t["size"], tuple(t["roles"]), tuple(t.get("lead_roles", ())))
            for t in users["teams"]
        )
        for i, t in enumerate(users["teams"]):
            for key in ("roles", "lead_roles"):
                for j, role in enumerate(t.get(key, ())):
                    if role != "admin" and role not in self.model.roles:
                        near = did_you_mean(role, self.model.roles)
                        path = ("users", "teams", i, key, j)
                        self.problem(
                            "MD397", f"team '{t['name']}': unknown role '{role}'", path, near
                        )
        self.teams = {t.name for t in teams}
        anchor = data.get("anchor", "today")
        records = tuple(self._records(i, r) for i, r in enumerate(data["records"]))
        languages = tuple((k, float(v)) for k, v in (data.get("languages") or {"en": 1}).items())
        return DemoSpec(
            seed=data["seed"],
            anchor=None if anchor == "today" else date.fromisoformat(anchor),
            languages=languages,
            domain=users["domain"],
            teams=teams,
            records=tuple(r for r in records if r is not None),
            words={k: dict(v) for k, v in self.words.items()},
            rates=tuple((r["from"], r["to"], float(r["rate"])) for r in data.get("rates", ())),
        )

    def _records(self, i: int, data: dict[str, Any]) -> RecordSpec | None:
        at: NodePath = ("records", i)
        name = data["entity"]
        entity = self.model.entities.get(name)
        if entity is None:
            near = did_you_mean(name, self.model.entities)
            self.problem("MD392", f"unknown entity '{name}'", (*at, "entity"), near)
            return None
        per = None
        if "per" in data:
            p = data["per"]
            self._parent(entity, p, (*at, "per"))
            per = PerParent(p["parent"], p["field"], int(p["count"][0]), int(p["count"][1]))
        elif "count" not in data:
            self.problem("MD391", f"records of '{name}': give 'count' or 'per'", (*at, "entity"))
        for j, team in enumerate(data.get("owners", ())):
            if team not in self.teams:
                near = did_you_mean(team, self.teams)
                self.problem("MD397", f"unknown team '{team}'", (*at, "owners", j), near)
        fields = self._fields(entity, data.get("fields", {}), (*at, "fields"))
        history = (
            self._history(entity, data["history"], (*at, "history")) if "history" in data else None
        )
        self.made.add(name)
        low, high = data.get("created_days", (0, 0))
        return RecordSpec(
            entity=name,
            count=int(data.get("count", 0)),
            per=per,
            owners=tuple(data.get("owners", ())),
            created_days=(float(low), float(high)),
            fields=fields,
            history=history,
            source=self.positions.anchor(at),
        )

    def _parent(self, entity: EntityDef, p: dict[str, Any], at: NodePath) -> None:
        if p["parent"] not in self.made:
            self.problem(
                "MD396",
                f"'per' parent '{p['parent']}' is not generated before '{entity.name}'",
                (*at, "parent"),
                did_you_mean(p["parent"], self.made),
            )
        f = entity.fields.get(p["field"])
        if f is None or f.to != p["parent"]:
            self.problem(
                "MD393",
                f"entity '{entity.name}' has no reference field '{p['field']}' to '{p['parent']}'",
                (*at, "field"),
                did_you_mean(p["field"], [n for n, d in entity.fields.items() if d.to]),
            )

    def _fields(
        self, entity: EntityDef, data: dict[str, Any], at: NodePath
    ) -> tuple[tuple[str, Generator], ...]:
        out: list[tuple[str, Generator]] = []
        for name, spec in data.items():
            where = (*at, name)
            f = entity.fields.get(name)
            if f is None and name not in _STANDARD:
                near = did_you_mean(name, entity.fields)
                self.problem("MD393", f"entity '{entity.name}' has no field '{name}'", where, near)
                continue
            if f is not None and (f.formula or f.rollup or f.type in _COMPUTED):
                message = f"field '{entity.name}.{name}' is computed; a generator cannot fill it"
                self.problem("MD393", message, where)
                continue
            gen = self._generator(entity, name, spec, where, [n for n, _ in out])
            if gen is not None:
                out.append((name, gen))
        return tuple(out)

    def _generator(
        self, entity: EntityDef, name: str, spec: dict[str, Any], at: NodePath, before: list[str]
    ) -> Generator | None:
        kinds = [k for k in GENERATOR_KINDS if k in spec]
        if len(kinds) != 1:
            shown = ", ".join(kinds) or "none"
            kinds_text = ", ".join(GENERATOR_KINDS)
            message = f"field '{name}': give exactly one generator ({kinds_text}); got {shown}"
            self.problem("MD391", message, at)
            return None
        kind = kinds[0]
        arg = spec[kind]
        field_def = entity.fields.get(name)
        if kind == "choice" and field_def is not None and field_def.type is FieldType.INTEGER:
            arg = self._whole_numbers(name, arg, (*at, kind))
        self._check_kind(entity, name, kind, arg, spec, (*at, kind), before)
        return Generator(
            kind=kind,
            arg=arg,
            chance=float(spec.get("chance", 1.0)),
            places=int(spec.get("places", 2)),
            origin=str(spec.get("from", "anchor")),
            same=spec.get("same"),
            unique=bool(spec.get("unique", False)),
            source=self.positions.anchor(at),
        )

    def _check_kind(
        self,
        entity: EntityDef,
        name: str,
        kind: str,
        arg: Any,
        spec: dict[str, Any],
        at: NodePath,
        before: list[str],
    ) -> None:
        f = entity.fields.get(name)
        match kind:
            case "choice" if f is not None and f.options:
                for j, value in enumerate(arg):
                    if value not in f.options:
                        near = did_you_mean(str(value), f.options)
                        where = (*at, value) if isinstance(arg, dict) else (*at, j)
                        message = f"field '{name}': '{value}' is not one of its options"
                        self.problem("MD395", message, where, near, key=isinstance(arg, dict))
            case "word":
                self._word(arg, at)
            case "pattern":
                for piece in _PLACEHOLDER.findall(arg):
                    ref = piece.split("|")[0]
                    if ref.startswith("@"):
                        self._word(ref[1:], at)
                    elif ref != "#" and ref not in before:
                        message = (
                            f"field '{name}': pattern names '{ref}', which is not a field "
                            "filled before it (nor '@list' or '#')"
                        )
                        self.problem("MD393", message, at, did_you_mean(ref, before))
            case "ref":
                target = f.to if f is not None else None
                if f is not None and f.type is FieldType.ANY_REFERENCE:
                    target = arg if arg in f.targets else None
                known = arg in self.made or arg == entity.name  # earlier records of the same block
                if not known or (target is not None and target != arg):
                    message = (
                        f"field '{name}': 'ref' names '{arg}', which is not generated before "
                        f"'{entity.name}'"
                        + (f" (the field points at '{target}')" if target else "")
                    )
                    self.problem("MD396", message, at, did_you_mean(arg, self.made))
                same = spec.get("same")
                if same is not None and same not in before:
                    message = f"field '{name}': 'same' names '{same}', not a field filled before it"
                    self.problem("MD393", message, (*at[:-1], "same"), did_you_mean(same, before))
            case "copy":
                link, _, target_field = arg.partition(".")
                ref = entity.fields.get(link)
                to = self.model.entities.get(ref.to) if ref is not None and ref.to else None
                if ref is None or to is None or link not in before:
                    message = f"field '{name}': '{link}' is not a reference field filled before it"
                    self.problem("MD393", message, at, did_you_mean(link, before))
                elif target_field not in to.fields:
                    message = f"field '{name}': '{to.name}' has no field '{target_field}'"
                    self.problem("MD393", message, at, did_you_mean(target_field, to.fields))
            case _:
                pass

    def _whole_numbers(self, name: str, arg: Any, at: NodePath) -> Any:
        """The choices of an integer field as numbers (weights' keys are text in YAML)."""
        items = list(arg)
        for value in items:
            if not isinstance(value, int) and not str(value).lstrip("-").isdigit():
                message = f"field '{name}': choice '{value}' is not a whole number"
                self.problem("MD395", message, (*at, value) if isinstance(arg, dict) else at)
                return arg
        if isinstance(arg, dict):
            return {int(k): v for k, v in arg.items()}
        return [int(v) for v in items]

    def _word(self, name: str, at: NodePath) -> None:
        if name not in self.words:
            near = did_you_mean(name, self.words)
            self.problem("MD394", f"unknown word list '{name}'", at, near)

    def _history(self, entity: EntityDef, data: dict[str, Any], at: NodePath) -> HistorySpec:
        name = data["field"]
        f = entity.fields.get(name)
        options: tuple[str, ...] = f.options if f is not None else ()
        if f is None:
            near = did_you_mean(name, entity.fields)
            self.problem(
                "MD393", f"entity '{entity.name}' has no field '{name}'", (*at, "field"), near
            )
        for key in ("path", "ends"):
            for j, value in enumerate(data[key]):
                if options and value not in options:
                    where = (*at, key, value) if key == "ends" else (*at, key, j)
                    message = f"history of '{name}': '{value}' is not one of its options"
                    near = did_you_mean(value, options)
                    self.problem("MD395", message, where, near, key=key == "ends")
        sets = {
            value: self._fields(entity, fields, (*at, "set", value))
            for value, fields in (data.get("set") or {}).items()
        }
        low, high = data.get("gap_hours", (24, 240))
        return HistorySpec(
            field=name,
            path=tuple(data["path"]),
            ends=tuple((k, float(v)) for k, v in data["ends"].items()),
            gap_hours=(float(low), float(high)),
            sets=sets,
        )


__all__ = ["SPEC_PATH", "WORDS_PATH", "has_demo_spec", "load_demo_spec"]
