"""Hypothesis strategies for fuzzing the package loader.

Documents are generated from the JSON meta-schemas in ``metadata/loader/schemas``
(names and expressions drawn from small pools so that cross-references sometimes
resolve), written as a package, then mutated at the data level (wrong types,
unknown or missing keys, deep nesting, huge strings) or at the text level
(duplicate keys, alias bombs, unsafe tags, invalid UTF-8, BOMs, tabs, truncation).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from hypothesis import settings
from hypothesis import strategies as st

from trellis.metadata.diagnostics import Diagnostic
from trellis.metadata.model import FIELD_TYPES

S = st.SearchStrategy
#: Set to a number of examples for a deeper, randomized run (default: derandomized).
EXAMPLES_ENV = "TRELLIS_FUZZ_EXAMPLES"


def fuzz_settings(examples: int) -> settings:
    """Derandomized settings with ``examples`` examples, or a deep random run.

    ``TRELLIS_FUZZ_EXAMPLES=2000`` runs that many fresh random examples instead
    (no example database either way, so runs never depend on earlier ones).
    """
    deep = os.environ.get(EXAMPLES_ENV, "")
    return settings(
        max_examples=int(deep) if deep.isdigit() else examples,
        derandomize=not deep.isdigit(),
        database=None,
        deadline=None,
    )


SCHEMA_DIR = files("trellis.metadata.loader") / "schemas"
SCHEMAS: dict[str, dict[str, Any]] = {
    p.name.removesuffix(".schema.json"): json.loads(p.read_text("utf-8"))
    for p in SCHEMA_DIR.iterdir()
    if p.name.endswith(".schema.json")
}
REPO_ROOT = Path(__file__).resolve().parents[3]
CRM = REPO_ROOT / "seed" / "crm"

#: Names that appear in several files, so references between files sometimes resolve.
NAMES = ("name", "amount", "stage", "status", "account", "deal", "owner", "close_date", "x")
EXPRESSIONS = (
    "amount > 10",
    "name is empty",
    'stage == "won"',
    "true",
    "len(name) + 1",
    "today() + 3",
    "amount >",
    "unknown_name == 1",
    'concat(name, "!")',
    "not (status in (1, 2)",
    "days_between(close_date, today()) <= 7",
    'account.name contains "a"',
)

#: Values that have the wrong type almost anywhere in a package.
WRONG_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    1.5,
    10**30,
    "text",
    "",
    [],
    {},
    [[[]]],
    {"a": {"b": None}},
    date(2026, 1, 31),
    "1e400",
)
UNSAFE_TAGS = (
    "!!python/object/apply:os.system ['true']",
    "!!python/object:builtins.dict {}",
    "!!python/object/new:builtins.int [1]",
    "!!python/name:builtins.print",
    "!!python/module:os",
    "!<tag:yaml.org,2002:python/object/apply:os.system> ['true']",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!pairs [a: 1]",
    "!custom value",
    "!!str",
    "!!int not-a-number",
    "!!float x",
    "!!timestamp 2026-02-30",
    "!!bool maybe",
    "!!null x",
    "!!map [1]",
    "!!seq {a: 1}",
)
ALIAS_BOMB = "\n".join(
    ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 9)]
)


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    result: dict[str, Any] = node
    return result


def from_schema(schema: dict[str, Any], root: dict[str, Any], key: str = "") -> S[Any]:
    """Values valid for ``schema`` (a node of meta-schema ``root``), kept small."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name == "expression":
            return st.sampled_from(EXPRESSIONS)
        if name == "name":
            return st.one_of(st.sampled_from(NAMES), st.from_regex(r"\A[a-z][a-z0-9_]{0,8}\Z"))
        return st.deferred(lambda: from_schema(_resolve(schema["$ref"], root), root, key))
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of(
            *(from_schema(s, root, key) for s in schema.get("anyOf", schema.get("oneOf")))
        )
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if key == "type" and schema.get("type") == "string":
        return st.sampled_from(sorted(FIELD_TYPES))
    kind = schema.get("type")
    if kind == "object":
        return _objects(schema, root)
    if kind == "array":
        items = from_schema(schema.get("items", {}), root, key)
        low = schema.get("minItems", 0)
        unique = json.dumps if schema.get("uniqueItems") else None
        return st.lists(items, min_size=low, max_size=low + 2, unique_by=unique)
    if kind == "string":
        return _strings(schema)
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", -1000), schema.get("maximum", 1000)
        if "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + 1
        ints = st.integers(low, high)
        if kind == "integer":
            return ints
        return st.one_of(ints, st.floats(low, high, allow_nan=False, allow_infinity=False))
    if kind == "boolean":
        return st.booleans()
    return st.sampled_from(WRONG_VALUES)


def _strings(schema: dict[str, Any]) -> S[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 20)
    if "pattern" in schema:
        pattern = schema["pattern"]
        return st.from_regex(pattern, fullmatch=True).filter(lambda s: low <= len(s) <= high * 4)
    alphabet = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
    return st.text(alphabet, min_size=low, max_size=min(high, 20))


def _objects(schema: dict[str, Any], root: dict[str, Any]) -> S[dict[str, Any]]:
    props: dict[str, Any] = schema.get("properties", {})
    required = [k for k in schema.get("required", []) if k in props]
    optional = sorted(set(props) - set(required))
    extra = schema.get("additionalProperties")
    names: S[str] = st.sampled_from(NAMES)
    if isinstance(schema.get("propertyNames"), dict):
        key_schema = {"type": "string", **schema["propertyNames"]}
        names = st.one_of(names, from_schema(key_schema, root))
    at_least = schema.get("minProperties", 0)
    values = {k: from_schema(v, root, k) for k, v in props.items()}
    extras = from_schema(extra, root) if isinstance(extra, dict) else None

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out = {k: draw(values[k]) for k in required}
        for k in draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []:
            out[k] = draw(values[k])
        if extras is not None:
            count = draw(st.integers(at_least, at_least + 2))
            for name in draw(st.lists(names, min_size=count, max_size=count, unique=True)):
                out.setdefault(name, draw(extras))
        while len(out) < at_least and optional:
            k = draw(st.sampled_from(optional))
            out[k] = draw(values[k])
        return out

    return build()


#: Documents valid for each meta-schema (``entity``, ``app``, ``roles`` …), built once.
DOCUMENTS: dict[str, S[Any]] = {kind: from_schema(s, s) for kind, s in SCHEMAS.items()}


# -- packages ------------------------------------------------------------------------

#: Where each kind of document lives in a package (``{}`` is the file's stem).
LOCATIONS = {
    "entity": "entities/{}.yaml",
    "pipeline": "pipelines/{}.yaml",
    "workflow": "workflows/{}.yaml",
    "dashboard": "dashboards/{}.yaml",
    "sla": "sla/{}.yaml",
    "reminder": "reminders/{}.yaml",
}


def dump(data: Any) -> str:
    """YAML text of ``data`` as an author would write it (block style, unicode kept)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


@st.composite
def schema_packages(draw: st.DrawFn) -> dict[str, str]:
    """A package (relative path -> text) whose every file fits its meta-schema."""
    out = {"app.yaml": dump(draw(DOCUMENTS["app"]))}
    for kind in draw(st.lists(st.sampled_from(sorted(LOCATIONS)), max_size=4, unique=True)):
        stem = draw(st.sampled_from(NAMES))
        data = draw(DOCUMENTS[kind])
        if kind == "entity" and isinstance(data, dict) and draw(st.booleans()):
            data["entity"] = stem
        out[LOCATIONS[kind].format(stem)] = dump(data)
    if draw(st.booleans()):
        out["roles.yaml"] = dump(draw(DOCUMENTS["roles"]))
    return out


def crm_files() -> dict[str, str]:
    """The CRM template's YAML and rule files (relative path -> text)."""
    return {
        p.relative_to(CRM).as_posix(): p.read_text("utf-8")
        for p in sorted(CRM.rglob("*"))
        if p.is_file() and p.suffix in (".yaml", ".rules")
    }


def write_package(root: Path, texts: dict[str, str | bytes]) -> None:
    """Write ``texts`` under ``root``; the CRM's e-mail templates come along."""
    for relative, content in texts.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    shutil.copytree(CRM / "email_templates", root / "email_templates", dirs_exist_ok=True)


# -- mutations -----------------------------------------------------------------------


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _replace(data: Any, path: tuple[Any, ...], new: Callable[[Any], Any]) -> Any:
    if not path:
        return new(data)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = new(parent[path[-1]])
    return data


def _nest(value: Any, depth: int, as_list: bool) -> Any:
    for _ in range(depth):
        value = [value] if as_list else {"k": value}
    return value


@st.composite
def data_mutation(draw: st.DrawFn, data: Any) -> Any:
    """``data`` with one node replaced, removed, nested or given an unknown key."""
    path = draw(st.sampled_from(_paths(data)))
    how = draw(st.sampled_from(["wrong", "unknown", "nest", "huge", "drop", "huge_key"]))
    if how == "wrong":
        wrong = draw(st.sampled_from(WRONG_VALUES))
        return _replace(data, path, lambda _: wrong)
    if how == "nest":
        depth, as_list = draw(st.integers(1, 120)), draw(st.booleans())
        return _replace(data, path, lambda v: _nest(v, depth, as_list))
    if how == "huge":
        size = draw(st.sampled_from([1_000, 70_000, 300_000]))
        return _replace(data, path, lambda _: "x" * size)
    holder = [p for p in _paths(data) if isinstance(_get(data, p), dict)]
    if not holder:
        return data
    mapping = _get(data, draw(st.sampled_from(holder)))
    if how == "drop" and mapping:
        del mapping[draw(st.sampled_from(sorted(mapping, key=str)))]
    elif how == "huge_key":
        mapping["k" * draw(st.sampled_from([100, 5_000, 100_000]))] = 1
    else:
        mapping[draw(st.from_regex(r"\A[a-z_]{1,12}\Z"))] = draw(st.sampled_from(WRONG_VALUES))
    return data


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


_KEY_LINE = re.compile(r"^(\s*)([A-Za-z_][\w-]*):(\s+\S.*)?$")


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> str | bytes:
    """``text`` broken at the YAML or byte level."""
    lines = text.splitlines(keepends=True) or ["\n"]
    at = draw(st.integers(0, len(lines) - 1))
    how = draw(
        st.sampled_from(
            ["duplicate", "bomb", "tag", "utf8", "bom", "tab", "truncate", "chars", "alias_key"]
        )
    )
    if how == "duplicate":
        keyed = [i for i, line in enumerate(lines) if _KEY_LINE.match(line.rstrip("\n"))]
        if keyed:
            i = draw(st.sampled_from(keyed))
            lines.insert(i + 1, lines[i] if lines[i].endswith("\n") else lines[i] + "\n")
        return "".join(lines)
    if how == "bomb":
        bomb = ALIAS_BOMB + "\n" if draw(st.booleans()) else "bomb: *lol8\n"
        prefix = ALIAS_BOMB + "\n" if not bomb.startswith("lol0") else ""
        return prefix + bomb + text if draw(st.booleans()) else text + "\n" + prefix + bomb
    if how == "tag":
        tag = draw(st.sampled_from(UNSAFE_TAGS))
        match = _KEY_LINE.match(lines[at].rstrip("\n"))
        if match:
            lines[at] = f"{match.group(1)}{match.group(2)}: {tag}\n"
        else:
            lines.insert(at, f"tagged: {tag}\n")
        return "".join(lines)
    raw = text.encode("utf-8")
    cut = draw(st.integers(0, len(raw)))
    if how == "utf8":
        bad = draw(
            st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"])
        )
        return raw[:cut] + bad + raw[cut:]
    if how == "bom":
        bom = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe"]))
        return bom + raw if draw(st.booleans()) else raw[:cut] + bom + raw[cut:]
    if how == "tab":
        line = lines[at]
        lines[at] = "\t" + line.lstrip(" ") if draw(st.booleans()) else line.replace(": ", ":\t", 1)
        return "".join(lines)
    if how == "truncate":
        return raw[:cut]
    if how == "alias_key":
        return text + "\nanchor: &k {a: 1}\n? *k\n: value\n"
    odd = draw(
        st.sampled_from(
            ["\x00", "\x07", "\x85", "\u2028", "\ufeff", "\x1b", "\ud7ff", "\U0001f600"]
        )
    )
    chars = text[: len(text) * cut // max(len(raw), 1)]
    return chars + odd + text[len(chars) :]


# -- the property --------------------------------------------------------------------

_LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (error|warning) (MD|RL)\d{3}: \S"
)


def assert_positioned(diagnostics: tuple[Diagnostic, ...], root: Path) -> None:
    """Every diagnostic is ``path:line:col: error CODE: message`` inside the package.

    An ``RL099`` (an internal error turned into a diagnostic) is a crash in disguise.
    """
    for diagnostic in diagnostics:
        text = str(diagnostic)
        match = _LINE.match(text)
        assert match is not None, text
        assert diagnostic.code != "RL099", text
        path = Path(match.group("path"))
        assert path == root or root in path.parents, text
        if path.is_file():
            content = path.read_bytes().decode("utf-8", "replace")
            breaks = sum(content.count(c) for c in "\n\r\x85\u2028\u2029")
            assert int(match.group("line")) <= breaks + 2, text
