"""Canonical YAML: one spelling per document, so exports diff and compare byte for byte.

Keys keep the order the metadata has (the order of fields, stages and sections is
meaningful); formatting is fixed: block style, two-space indent (lists at their key's
indent), no line folding,
multi-line text as literal blocks, one trailing newline. Other files keep their text
with ``\\n`` line ends and one trailing newline.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import yaml

YAML_SUFFIXES = (".yaml", ".yml")


_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[valid-type,misc]
    """Safe dumper (libyaml's when present) with literal blocks for multi-line text."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and value == value.strip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def canonical_yaml(data: Any) -> str:
    """``data`` (plain YAML values) as canonical YAML text."""
    if data is None:
        return ""
    text = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
        indent=2,
    )
    return text


@functools.lru_cache(maxsize=4096)
def _cached_parse(text: str) -> Any:
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # a safe loader


def read_yaml(text: str) -> Any:
    """Parse text already checked by the loader, fast and cached: do not change the result."""
    return _cached_parse(text)


def clear_parse_cache() -> None:
    """Forget parsed texts (benchmarks measure a cold merge)."""
    _cached_parse.cache_clear()


def canonical_text(text: str) -> str:
    """A non-YAML file: ``\\n`` line ends, trailing spaces kept, one final newline."""
    body = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    return body + "\n" if body else ""


def parse_yaml(text: str, path: str) -> Any:
    """Parse one package file the way the metadata loader does (raises ``MetadataError``)."""
    from trellis.metadata.loader import load_yaml

    return load_yaml(text, path).data


def canonical_file(path: str, text: str) -> str:
    """One file of a package in its canonical spelling."""
    if path.endswith(YAML_SUFFIXES):
        return canonical_yaml(read_yaml(text))
    return canonical_text(text)


def canonical_files(files: Mapping[str, str]) -> dict[str, str]:
    """Every file of a package in its canonical spelling, sorted by path."""
    return {path: canonical_file(path, files[path]) for path in sorted(files)}


__all__ = [
    "YAML_SUFFIXES",
    "canonical_file",
    "canonical_files",
    "canonical_text",
    "canonical_yaml",
    "clear_parse_cache",
    "parse_yaml",
    "read_yaml",
]
