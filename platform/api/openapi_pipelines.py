"""The pipeline and dashboard operations of the OpenAPI document.

``GET …/_stages`` (stage statistics), ``GET …/_forecast`` (the weighted forecast),
``GET …/{entity}/{id}/_stages`` (one record's stays) and ``GET …/_dashboards[/{name}]``
(tiles), each also ``as_of`` a past moment where the server accepts it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.platform.api.openapi_schemas import class_name
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.views import JSON

Errors = Callable[[Collection[str]], dict[str, Any]]
_READ = ("400", "401", "403", "414", "429", "503")
_RECORD_READ = ("400", "401", "403", "404", "414", "429", "503")
#: Years a month may name (0001 to 9998: the month after the last one is still a date).
_YEAR = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_TEXT = {"type": "string"}
_NULL_TEXT = {"type": ["string", "null"]}
_DECIMAL = {"type": "string", "description": "A decimal number as a string."}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: Collection[str] | None = None) -> dict[str, Any]:
    names = list(properties) if required is None else list(required)
    return {"type": "object", "properties": properties, "required": names}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema or _TEXT}


def _as_of(what: str) -> dict[str, Any]:
    return _query(
        "as_of",
        f"{what} as they were at this moment (RFC 3339, e.g. 2026-10-01T00:00:00Z), "
        "rebuilt from the field history; a moment before any record gives empty figures, "
        "one in the future today's.",
        {"type": "string", "format": "date-time"},
    )


def _binding(app: CompiledApp) -> list[dict[str, Any]]:
    names = ", ".join(sorted(app.model.pipelines)) or "(none)"
    return [
        _query("pipeline", f"The pipeline ({names}); optional when there is only one."),
        _query("entity", "The entity whose field follows the pipeline, when several do."),
        _query("field", "The field that follows the pipeline, when several do."),
    ]


def pipeline_schemas() -> dict[str, Any]:
    """``Trellis_StageReport``, ``Trellis_Forecast``, ``Trellis_RecordStages`` and the
    dashboard schemas."""
    stage = _object(
        {
            "stage": _TEXT,
            "label": _TEXT,
            "probability": {**_NULL_TEXT, "description": "A percentage, as a string."},
            "won": {"type": "boolean"},
            "lost": {"type": "boolean"},
            "entered": {"type": "integer", "minimum": 0},
            "current": {"type": "integer", "minimum": 0},
            "avg_seconds": {"type": ["number", "null"]},
            "converted": {"type": "integer", "minimum": 0},
            "conversion": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        }
    )
    head = {"pipeline": _TEXT, "entity": _TEXT, "field": _TEXT}
    report = _object({**head, "stages": {"type": "array", "items": stage}})
    figures = {"amount": _DECIMAL, "weighted": _DECIMAL, "count": {"type": "integer"}}
    month = _object({"month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, **figures})
    missing = _object(
        {"currency": _TEXT, "date": {"type": "string", "format": "date"}, "message": _TEXT}
    )
    forecast = _object(
        {
            **head,
            "amount": _TEXT,
            "date": _TEXT,
            "months": {"type": "array", "items": month},
            "total": _object(figures),
            "currency": {
                **_TEXT,
                "description": "With a money amount in several "
                "currencies: the base currency the sums are in.",
            },
            "missing_rates": {
                "type": "array",
                "items": missing,
                "description": "Amounts left out for want of an exchange rate.",
            },
        },
        [*head, "amount", "date", "months", "total"],
    )
    stay = _object(
        {
            "field": _TEXT,
            "stage": _TEXT,
            "entered_at": {"type": "string", "format": "date-time"},
            "left_at": {"type": ["string", "null"], "format": "date-time"},
            "seconds": {"type": "number"},
            "user_id": {"type": ["integer", "null"]},
        }
    )
    per_field = {"type": "object", "additionalProperties": {"type": "number"}}
    stays = _object(
        {
            "entity": _TEXT,
            "id": {"type": "integer"},
            "items": {"type": "array", "items": stay},
            "time_in_stage": {"type": "object", "additionalProperties": per_field},
        }
    )
    return {
        "Trellis_StageReport": report,
        "Trellis_Forecast": forecast,
        "Trellis_RecordStages": stays,
        **dashboard_schemas(missing),
    }


def dashboard_schemas(missing: dict[str, Any]) -> dict[str, Any]:
    """``Trellis_DashboardList``, ``Trellis_Dashboard`` and ``Trellis_Tile``."""
    group = _object({"key": {}, "label": _TEXT, "value": _DECIMAL})
    tile = _object(
        {
            "kind": _TEXT,
            "label": _TEXT,
            "entity": _TEXT,
            "agg": _TEXT,
            "field": _NULL_TEXT,
            "group_by": _NULL_TEXT,
            "unavailable": {**_NULL_TEXT, "description": "Why the caller may not see it."},
            "value": {"type": ["string", "null"], "description": "A KPI's number."},
            "groups": {"type": "array", "items": group},
            "currency": _NULL_TEXT,
            "missing_rates": {"type": "array", "items": missing},
            "compare": {"anyOf": [_ref("Trellis_Tile"), {"type": "null"}]},
        }
    )
    summary = _object({"name": _TEXT, "label": _TEXT, "description": _NULL_TEXT})
    board = _object(
        {
            "dashboard": _TEXT,
            "label": _TEXT,
            "as_of": {"type": ["string", "null"], "format": "date-time"},
            "tiles": {"type": "array", "items": _ref("Trellis_Tile")},
        }
    )
    listing = _object({"items": {"type": "array", "items": summary}})
    return {"Trellis_Tile": tile, "Trellis_Dashboard": board, "Trellis_DashboardList": listing}


def _get(
    tag: str, summary: str, op: str, params: list[Any], schema: str, errors: dict[str, Any]
) -> dict[str, Any]:
    ok = {"description": summary, "content": {JSON: {"schema": _ref(schema)}}}
    return {
        "get": {
            "tags": [tag],
            "summary": summary,
            "operationId": op,
            "parameters": params,
            "responses": {"200": ok, **errors},
        }
    }


def pipeline_paths(app: CompiledApp, base: str, errors: Errors) -> dict[str, Any]:
    """``_stages``, ``_forecast`` and the dashboards, under ``base``."""
    month = "^(" + _YEAR + "-(0[1-9]|1[0-2]))?$"
    bounds = [
        _query(
            key,
            f"{word} month (YYYY-MM, inclusive), in the tenant's time zone.",
            {"type": "string", "pattern": month},
        )
        for key, word in (("from", "First"), ("to", "Last"))
    ]
    amount = _query(
        "amount",
        "The amount field (money, decimal or integer); default: the "
        "entity's first money field, else its first number field.",
    )
    when = _query(
        "date",
        "The date or datetime field that places a record in a month; "
        "default: the entity's first date field.",
    )
    name = {"name": "name", "in": "path", "required": True, "schema": _TEXT}
    read = errors(_READ)
    return {
        f"{base}/_stages": _get(
            "Pipelines",
            "Per stage: records that entered it, are in it, the average stay "
            "and conversion, inside the caller's record scope",
            "pipelineStages",
            [*_binding(app), _as_of("The figures")],
            "Trellis_StageReport",
            read,
        ),
        f"{base}/_forecast": _get(
            "Pipelines",
            "Per month, the amount and the amount weighted by the stage's "
            "probability of the open records inside the caller's record scope",
            "pipelineForecast",
            [*_binding(app), amount, when, *bounds, _as_of("The sums")],
            "Trellis_Forecast",
            read,
        ),
        f"{base}/_dashboards": _get(
            "Dashboards",
            "The dashboards with a tile the caller may read",
            "listDashboards",
            [],
            "Trellis_DashboardList",
            errors(("401", "414", "429", "503")),
        ),
        f"{base}/_dashboards/{{name}}": _get(
            "Dashboards",
            "A dashboard's tiles, computed through the caller's access",
            "dashboardTiles",
            [name, _as_of("The tiles' records")],
            "Trellis_Dashboard",
            errors(_RECORD_READ),
        ),
    }


def record_stages_path(entity: CompiledEntity, base: str, errors: Errors) -> dict[str, Any]:
    """``GET {base}/{entity}/{id}/_stages`` (empty for an entity without a pipeline)."""
    record_id = {"$ref": "#/components/parameters/RecordId"}
    label = entity.entity.label
    return {
        f"{base}/{entity.name}/{{id}}/_stages": _get(
            label,
            f"Every stay of a {label.lower()} in a pipeline stage, oldest first",
            f"stages{class_name(entity.name)}",
            [record_id],
            "Trellis_RecordStages",
            errors(_RECORD_READ),
        ),
    }


__all__ = ["pipeline_paths", "pipeline_schemas", "record_stages_path"]
