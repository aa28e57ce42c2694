"""The `GET _meta/export` operation of the OpenAPI document (tenant admins only)."""

from __future__ import annotations

from typing import Any

ZIP = "application/zip"


def meta_export_paths(base: str, errors: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI path item of ``GET {base}/_meta/export``."""
    return {
        f"{base}/_meta/export": {
            "get": {
                "tags": ["Metadata"],
                "summary": "Export the application as an app package zip (tenant admins)",
                "operationId": "exportMetadata",
                "responses": {
                    "200": {
                        "description": "Canonical YAML files and trellis.lock.yaml, zipped.",
                        "content": {ZIP: {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **errors,
                },
            }
        }
    }


__all__ = ["ZIP", "meta_export_paths"]
