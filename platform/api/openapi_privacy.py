"""The ``_gdpr`` operations of the OpenAPI document (tenant admins only)."""

from __future__ import annotations

from typing import Any

from trellis.platform.privacy.consents import BASES
from trellis.platform.records.views import JSON

_EMAIL = {
    "type": "string",
    "pattern": "^[^@\\s\\x00]{1,64}@[^@\\s\\x00]{1,189}$",
    "description": "The person's e-mail address (matched case-insensitively).",
}
_TAGS = ["Privacy"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def privacy_schemas() -> dict[str, Any]:
    """``Trellis_Erasure``, ``Trellis_ConsentInput``, ``Trellis_Consent``, ``Trellis_Consents``."""
    consent_props: dict[str, Any] = {
        "purpose": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
        "lawful_basis": {"enum": list(BASES)},
        "granted": {"type": "boolean", "description": "true: granted; false: withdrawn."},
        "source": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^\\x00]*$"},
        "evidence": {"type": ["string", "null"], "pattern": "^[^\\x00]*$"},
    }
    return {
        "Trellis_Erasure": {
            "type": "object",
            "required": ["dry_run", "already_erased", "tombstone", "records", "fields", "files"],
            "properties": {
                "dry_run": {"type": "boolean"},
                "already_erased": {
                    "type": "boolean",
                    "description": "The person was erased before: nothing changed.",
                },
                "tombstone": {
                    "anyOf": [
                        {
                            "type": "object",
                            "required": ["id", "at"],
                            "properties": {
                                "id": {"type": "integer", "minimum": 1},
                                "at": {"type": "string", "format": "date-time"},
                            },
                        },
                        {"type": "null"},
                    ]
                },
                "records": {"type": "array", "items": {"type": "string"}},
                "fields": {"type": "integer", "minimum": 0},
                "files": {"type": "integer", "minimum": 0},
            },
        },
        "Trellis_ConsentInput": {
            "type": "object",
            "required": ["email", "purpose", "granted"],
            "additionalProperties": False,
            "properties": {"email": _EMAIL, **consent_props},
        },
        "Trellis_Consent": {
            "type": "object",
            "required": ["id", *consent_props, "at", "recorded_by"],
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                **consent_props,
                "at": {"type": "string", "format": "date-time"},
                "recorded_by": {"type": ["integer", "null"]},
            },
        },
        "Trellis_Consents": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": _ref("Trellis_Consent")}},
        },
    }


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": properties,
    }
    return {"required": True, "content": {JSON: {"schema": schema}}}


def privacy_paths(
    base: str, read_errors: dict[str, Any], write_errors: dict[str, Any]
) -> dict[str, Any]:
    """``POST {base}/_gdpr/export``, ``…/erase``, ``POST`` and ``GET …/consents``."""
    email = {"email": _EMAIL}
    return {
        f"{base}/_gdpr/export": {
            "post": {
                "tags": _TAGS,
                "summary": "Export everything about a person (tenant admins; audited)",
                "description": "A zip: records/<entity>.jsonl (their records and those "
                "referencing them), history.jsonl, consents.jsonl, emails.jsonl, "
                "manifest.json. 404 when no record holds the address.",
                "operationId": "exportPerson",
                "requestBody": _body(email, ["email"]),
                "responses": {
                    "200": {
                        "description": "The archive.",
                        "content": {
                            "application/zip": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    **write_errors,
                },
            },
        },
        f"{base}/_gdpr/erase": {
            "post": {
                "tags": _TAGS,
                "summary": "Erase a person's personal data for good (tenant admins; audited)",
                "description": "Personal fields (pii: true, email, phone) become irreversible "
                "tokens, their history is purged, files removed, a tombstone kept. Erasing "
                "again answers the same tombstone. 404 when no record holds the address.",
                "operationId": "erasePerson",
                "requestBody": _body({**email, "dry_run": {"type": "boolean"}}, ["email"]),
                "responses": {
                    "200": {
                        "description": "What was (dry_run: would be) erased.",
                        "content": {JSON: {"schema": _ref("Trellis_Erasure")}},
                    },
                    **write_errors,
                },
            },
        },
        f"{base}/_gdpr/consents": {
            "get": {
                "tags": _TAGS,
                "summary": "A person's consent ledger, oldest first (tenant admins)",
                "operationId": "listConsents",
                "parameters": [
                    {"name": "email", "in": "query", "required": True, "schema": _EMAIL}
                ],
                "responses": {
                    "200": {
                        "description": "Every entry of the person.",
                        "content": {JSON: {"schema": _ref("Trellis_Consents")}},
                    },
                    **read_errors,
                },
            },
            "post": {
                "tags": _TAGS,
                "summary": "Append a consent entry (granted or withdrawn; never changed)",
                "operationId": "addConsent",
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": _ref("Trellis_ConsentInput")}},
                },
                "responses": {
                    "201": {
                        "description": "The entry as recorded.",
                        "content": {JSON: {"schema": _ref("Trellis_Consent")}},
                    },
                    **write_errors,
                },
            },
        },
    }


__all__ = ["privacy_paths", "privacy_schemas"]
