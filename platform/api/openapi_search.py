"""The ``_search`` operation of the OpenAPI document (docs/search.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trellis.platform.authz.read_paths import DEFAULT_LIMIT, MAX_LIMIT
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.views import JSON
from trellis.platform.search.fields import indexed_fields
from trellis.platform.search.text import MAX_QUERY_LENGTH

#: Query parameters ``_search`` reads.
SEARCH_PARAMS = ("q", "limit")


def search_schemas(
    app: CompiledApp, visible: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, Any]:
    """``Trellis_SearchHit`` and ``Trellis_SearchResult``; ``visible`` (entity -> fields a
    member may see) narrows them to one member's answers."""
    if visible is None:
        visible = {n: indexed_fields(e) for n, e in app.entities.items() if indexed_fields(e)}
    entities = sorted(visible)
    fields = sorted({f for names in visible.values() for f in names})
    nullable_text = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    hit = {
        "type": "object",
        "required": ["entity", "id", "title", "rank", "snippet", "field"],
        "additionalProperties": False,
        "properties": {
            "entity": {"enum": entities} if entities else {"type": "string"},
            "id": {"type": "integer", "minimum": 1},
            "title": {"type": "string"},
            "rank": {
                "type": "number",
                "description": "Relevance: higher is better (bm25 on SQLite, ts_rank on "
                "PostgreSQL); compare ranks of one answer only.",
            },
            "snippet": {
                **nullable_text,
                "description": "HTML: a piece of the field's text, escaped, with the matched "
                "words in <mark>.",
            },
            "field": {
                "anyOf": [{"enum": fields} if fields else {"type": "string"}, {"type": "null"}],
                "description": "The field the snippet comes from.",
            },
        },
    }
    result = {
        "type": "object",
        "required": ["items"],
        "additionalProperties": False,
        "properties": {
            "items": {
                "type": "array",
                "maxItems": MAX_LIMIT,
                "items": {"$ref": "#/components/schemas/Trellis_SearchHit"},
            }
        },
    }
    return {"Trellis_SearchHit": hit, "Trellis_SearchResult": result}


def search_paths(base: str, read_errors: dict[str, Any]) -> dict[str, Any]:
    """``GET {base}/_search``."""
    parameters = [
        {
            "name": "q",
            "in": "query",
            "required": True,
            "description": "Words to find, each as the start of a word (case and accents "
            "ignored); quotes, *, -, parentheses and NEAR are plain text. At most 8 words "
            "are used; empty or NUL: 400.",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH},
        },
        {
            "name": "limit",
            "in": "query",
            "description": f"Most hits, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        },
    ]
    return {
        f"{base}/_search": {
            "get": {
                "tags": ["Search"],
                "summary": "Search every entity the caller may read",
                "operationId": "search",
                "parameters": parameters,
                "responses": {
                    "200": {
                        "description": "Records holding every word in a field the caller "
                        "may see, inside the caller's record scope, best first.",
                        "content": {
                            JSON: {"schema": {"$ref": "#/components/schemas/Trellis_SearchResult"}}
                        },
                    },
                    **read_errors,
                },
            }
        }
    }


__all__ = ["SEARCH_PARAMS", "search_paths", "search_schemas"]
