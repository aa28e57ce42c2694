"""The tile form's ``having``, ``compare`` and ``series_label`` inputs, both ways.

``having`` is edited as rows (``having_1_entity``, ``having_1_field``, ``having_1_where``
… up to five): the related records each aggregated record must have. ``compare`` is a
line chart's second series (``compare_label_en``, ``compare_entity``, ``compare_agg``,
``compare_field``, ``compare_group_by``, ``compare_where``); its keys the form does not
show (its own ``having``) are kept. ``series_label`` names the tile's own series. What
the form cannot mean is refused here, naming the input; the rest (unknown entities and
fields, rule-language errors, a bucket other than the tile's) is the loader's to report.
"""

from __future__ import annotations

from typing import Any

from trellis.metadata.model import TIME_BUCKETS
from trellis.platform.i18n.catalogue import N_

#: Rows of ``having`` the form offers (the schema's limit).
HAVING_ROWS = 5
HAVING_KEYS = ("entity", "field", "where")
#: The compared series' inputs (``compare_<key>``); its label is two inputs.
COMPARE_KEYS = ("entity", "agg", "field", "group_by", "where")


class TileOptionError(ValueError):
    """A ``having``/``compare`` input the form cannot mean: the message and the input."""

    def __init__(self, field: str, msgid: str, **params: Any) -> None:
        self.field = field
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % params if params else msgid)


def _text(values: dict[str, str], key: str) -> str | None:
    return values.get(key, "").strip() or None


def _label(values: dict[str, str], prefix: str) -> dict[str, str] | None:
    en, es = _text(values, f"{prefix}_en"), _text(values, f"{prefix}_es")
    if en is None and es is None:
        return None
    if en is None:
        raise TileOptionError(f"{prefix}_en", N_("Give this name in English too."))
    return {"en": en, "es": es} if es else {"en": en}


def having_update(values: dict[str, str]) -> list[dict[str, str]] | None:
    """The ``having`` rows the form gives (None when none).

    Raises:
        TileOptionError: a row without its entity or its reference field.
    """
    rows: list[dict[str, str]] = []
    for n in range(1, HAVING_ROWS + 1):
        given = {k: _text(values, f"having_{n}_{k}") for k in HAVING_KEYS}
        if not any(given.values()):
            continue
        for key in ("entity", "field"):
            if given[key] is None:
                raise TileOptionError(
                    f"having_{n}_{key}",
                    N_("Related records %(n)s: name their entity and their reference field."),
                    n=n,
                )
        rows.append({k: v for k, v in given.items() if v is not None})
    return rows or None


def _period(group_by: str) -> None:
    """Refuse a compared grouping that is not ``<date field>:<period>``."""
    field, _, period = group_by.partition(":")
    if not period or not field:
        raise TileOptionError(
            "compare_group_by",
            N_("Group the compared series by a date and a period, like month:month."),
        )
    if period not in TIME_BUCKETS:
        raise TileOptionError(
            "compare_group_by",
            N_("'%(period)s' is not a period: use day, week, month, quarter or year."),
            period=period,
        )


def compare_update(values: dict[str, str], previous: Any) -> dict[str, Any] | None:
    """The ``compare`` series the form gives (None when its inputs are empty).

    Raises:
        TileOptionError: no entity, no English name, or a grouping without a known period.
    """
    given = {k: _text(values, f"compare_{k}") for k in COMPARE_KEYS}
    label = _label(values, "compare_label")
    typed = [v for k, v in given.items() if k != "agg"]
    if label is None and not any(typed):
        return None
    if given["entity"] is None:
        raise TileOptionError("compare_entity", N_("Name the entity of the compared series."))
    if label is None:
        raise TileOptionError("compare_label_en", N_("Name the compared series in English."))
    if given["group_by"] is None:
        raise TileOptionError(
            "compare_group_by",
            N_("Group the compared series by a date and a period, like month:month."),
        )
    _period(given["group_by"])
    kept = {k: v for k, v in (previous if isinstance(previous, dict) else {}).items()}
    for key in ("label", *COMPARE_KEYS):
        kept.pop(key, None)
    found = {k: v for k, v in given.items() if v is not None}
    return {"label": label, **found, **kept}


def option_updates(values: dict[str, str], previous: dict[str, Any] | None) -> dict[str, Any]:
    """``having``, ``compare`` and ``series_label`` as the form gives them (None clears).

    Raises:
        TileOptionError: an input the form cannot mean.
    """
    old = previous or {}
    if values.get("kind", "").strip() == "ratio":
        return {"having": None, "compare": None, "series_label": None}
    return {
        "having": having_update(values),
        "compare": compare_update(values, old.get("compare")),
        "series_label": _label(values, "series_label"),
    }


def _names(value: Any) -> dict[str, str]:
    names = value if isinstance(value, dict) else {"en": value or ""}
    return {"en": str(names.get("en") or ""), "es": str(names.get("es") or "")}


def option_form(tile: dict[str, Any]) -> dict[str, str]:
    """The form's values for a tile's options (the inverse of :func:`option_updates`)."""
    values: dict[str, str] = {}
    rows = tile.get("having")
    for n, row in enumerate(rows if isinstance(rows, list) else [], start=1):
        for key in HAVING_KEYS:
            found = row.get(key) if isinstance(row, dict) else None
            values[f"having_{n}_{key}"] = str(found or "")
    compare = tile.get("compare")
    if isinstance(compare, dict):
        for key in COMPARE_KEYS:
            values[f"compare_{key}"] = str(compare.get(key) or "")
        label = _names(compare.get("label"))
        values["compare_label_en"], values["compare_label_es"] = label["en"], label["es"]
    if tile.get("series_label"):
        label = _names(tile.get("series_label"))
        values["series_label_en"], values["series_label_es"] = label["en"], label["es"]
    return values


def having_rows(values: dict[str, str]) -> int:
    """How many ``having`` rows the form shows: those filled and one empty (at most 5)."""
    filled = [
        n
        for n in range(1, HAVING_ROWS + 1)
        if any(values.get(f"having_{n}_{k}", "").strip() for k in HAVING_KEYS)
    ]
    return min(HAVING_ROWS, (max(filled) if filled else 0) + 1)


__all__ = [
    "COMPARE_KEYS",
    "HAVING_KEYS",
    "HAVING_ROWS",
    "TileOptionError",
    "compare_update",
    "having_rows",
    "having_update",
    "option_form",
    "option_updates",
]
