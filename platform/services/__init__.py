"""The application layer: typed services the JSON API and the screens both call.

A service takes the caller (a :class:`~trellis.platform.authz.call.Call`: identity,
app version and access) and plain values, and returns domain values
(services/values.py) or raises the errors of platform/records/errors.py. Services never
build status codes, headers or JSON bodies; the HTTP layer (platform/api, ui/screens)
turns their answers into responses.
"""

from __future__ import annotations

from trellis.platform.services.bundle import Services
from trellis.platform.services.values import ExportFile, IdempotencyKey, ListArgs, Page, RecordBody

__all__ = ["ExportFile", "IdempotencyKey", "ListArgs", "Page", "RecordBody", "Services"]
