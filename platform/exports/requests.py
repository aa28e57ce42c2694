"""The body of ``POST …/{entity}/_export_jobs`` and the answers of ``GET …/_exports/{id}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.config import RuntimeConfig
from trellis.platform.exports.links import download_path
from trellis.platform.records.errors import BadRequestError

#: Keys of an export job's body, each optional.
BODY_KEYS = ("format", "filter", "fields", "ids")


def parse_job_body(body: Any) -> tuple[str | None, str | None, str | None, bool]:
    """(format, filter, fields, ids) of a job's JSON body (400 naming a bad key)."""
    if not isinstance(body, dict):
        message = Translatable("Send a JSON object.")
        raise BadRequestError(message, {"__all__": [message]})
    for key in body:
        if key not in BODY_KEYS:
            message = Translatable(
                "Unknown key '%(key)s'. Use %(keys)s.", key=str(key)[:40], keys=", ".join(BODY_KEYS)
            )
            raise BadRequestError(message, {str(key)[:40]: [message]})
    texts: list[str | None] = []
    for key in BODY_KEYS[:2]:
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise BadRequestError(
                Translatable("%(key)s must be a string.", key=key),
                {key: [Translatable("Must be a string.")]},
            )
        texts.append(value)
    fields = body.get("fields")
    if fields is not None and (
        not isinstance(fields, list)
        or not fields
        or not all(isinstance(f, str) and f.strip() and "," not in f for f in fields)
    ):
        message = Translatable('fields must be a list of field names, e.g. ["name", "amount"].')
        raise BadRequestError(message, {"fields": [message]})
    ids = body.get("ids", False)
    if not isinstance(ids, bool):
        raise BadRequestError(
            Translatable("ids must be true or false."),
            {"ids": [Translatable("Use true or false.")]},
        )
    return texts[0], texts[1], None if fields is None else ",".join(fields), ids


def job_json(
    config: RuntimeConfig, tenant: str, state: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """What ``GET _exports/{id}`` answers: the state, and a signed link when done."""
    expires = state.get("expires_at")
    expired = isinstance(expires, str) and datetime.fromisoformat(expires) <= now
    shown = "expired" if expired and state["state"] == "done" else state["state"]
    body = {
        key: state.get(key)
        for key in ("id", "entity", "format", "filter", "fields", "ids", "user_id", "rows",
                    "file_name", "message", "created_at", "finished_at", "expires_at")
    }  # fmt: skip
    fields = state.get("fields")
    body["fields"] = fields.split(",") if isinstance(fields, str) else None
    body["state"] = shown
    body["download_url"] = None
    if shown == "done" and isinstance(expires, str):
        until = datetime.fromisoformat(expires)
        body["download_url"] = download_path(config, tenant, state["id"], until)
    return body


__all__ = ["BODY_KEYS", "job_json", "parse_job_body"]
