"""``/t/{t}/api/_meta/…``: a tenant admin's draft, plan, publish, history and rollback.

The domain lives in platform/drafts; this module only reads requests and shapes
answers. Draft files travel as plain text (``GET``/``PUT``), with the draft revision
as ``ETag`` and ``If-Match``.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.hygiene import UnsupportedMediaTypeError, is_json_media_type
from trellis.platform.api.meta_errors import meta_errors
from trellis.platform.api.meta_rename import rename_request
from trellis.platform.api.requests import check_query_params, parse_if_match, parse_object
from trellis.platform.drafts import (
    DraftStore,
    check_path,
    diff_versions,
    list_versions,
    plan_draft,
    publish_draft,
    read_file,
    rename_in_draft,
    rollback,
    save_file,
)
from trellis.platform.records.errors import (
    BadRequestError,
    NotFoundError,
    ValidationFailedError,
)

TEXT = "text/plain; charset=utf-8"
Json = dict[str, Any]
#: Longest publish comment kept.
MAX_COMMENT = 2000


def _tagged(body: Json, revision: object) -> Response[Json]:
    """``body`` with the draft revision as its ``ETag``."""
    return Response(body, headers={"ETag": f'"{revision}"'})


def _expected(request: Request[Any, Any, Any]) -> int:
    header = request.headers.get("if-match")
    if header is None:
        message = 'Send If-Match with the draft version you read (the ETag, e.g. "3").'
        raise BadRequestError(message, {"If-Match": [message]})
    return parse_if_match(header) or 0


def _json_body(request: Request[Any, Any, Any], body: bytes) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if body.strip() and not is_json_media_type(content_type):
        message = "Send the body as JSON with Content-Type: application/json."
        raise UnsupportedMediaTypeError(message, {"Content-Type": [message]})
    return parse_object(body) if body.strip() else {}


def _check_keys(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = {k: [f"Unknown key; send {', '.join(allowed)}."] for k in body if k not in allowed}
    if unknown:
        raise ValidationFailedError(unknown)


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise ValidationFailedError({key: ["Must be true or false."]})
    return value


def _comment(body: dict[str, Any]) -> str | None:
    value = body.get("comment")
    if value is not None and (not isinstance(value, str) or len(value) > MAX_COMMENT):
        raise ValidationFailedError(
            {"comment": [f"Must be text of at most {MAX_COMMENT} characters."]}
        )
    return value


class MetaController(Controller):
    """``_meta``: tenant admins only."""

    path = "/_meta"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "change the application's metadata"}

    @get("/draft", sync_to_thread=True)
    def show_draft(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> Response[Json]:
        check_query_params(request.query_params, ())
        info = services.runtime.tenant(call.tenant, fresh=True)
        draft = DraftStore(services.runtime.registry).load(info.id)
        return _tagged(draft.as_json(), draft.revision)

    @get("/draft/plan", sync_to_thread=True)
    def plan(self, request: Request[Any, Any, Any], services: AppServices, call: Caller) -> Json:
        check_query_params(request.query_params, ())
        with meta_errors():
            return plan_draft(services.runtime, call.tenant)

    @post("/draft/publish", status_code=200, sync_to_thread=True)
    def publish(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller, body: RawBody
    ) -> Json:
        check_query_params(request.query_params, ())
        data = _json_body(request, body)
        _check_keys(data, ("comment", "confirm_destructive", "data_steps"))
        with meta_errors():
            answer = publish_draft(
                services.runtime,
                call.tenant,
                actor=call.identity.email,
                comment=_comment(data) or "",
                confirm=_flag(data, "confirm_destructive"),
                data_steps=data.get("data_steps"),
            )
        return answer

    @post("/draft/rename", status_code=200, sync_to_thread=True)
    def rename(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller, body: RawBody
    ) -> Response[Json]:
        check_query_params(request.query_params, ())
        data = _json_body(request, body)
        _check_keys(data, ("entity", "from", "to"))
        header = request.headers.get("if-match")
        expected = None if header is None else parse_if_match(header) or 0
        with meta_errors():
            answer = rename_in_draft(
                services.runtime,
                call.tenant,
                rename_request(data),
                expected=expected,
                actor=call.identity.email,
            )
        return _tagged(answer, answer["draft_version"])

    @get("/draft/{path:path}", sync_to_thread=True)
    def read(self, services: AppServices, call: Caller, path: FromPath[str]) -> Response[bytes]:
        with meta_errors():
            text, revision = read_file(services.runtime, call.tenant, check_path(path))
        return Response(
            content=text.encode("utf-8"),
            status_code=200,
            media_type=TEXT,
            headers={"ETag": f'"{revision}"'},
        )

    @put("/draft/{path:path}", sync_to_thread=True)
    def save(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        call: Caller,
        path: FromPath[str],
        body: RawBody,
    ) -> Response[Json]:
        expected = _expected(request)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError(Translatable("The file must be UTF-8 text.")) from None
        with meta_errors():
            relative = check_path(path)
            revision = save_file(
                services.runtime, call.tenant, relative, text, expected, call.identity.email
            )
        answer = {"path": relative, "draft_version": revision}
        return _tagged(answer, revision)

    @delete("/draft/{path:path}", sync_to_thread=True, status_code=200)
    def remove(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        call: Caller,
        path: FromPath[str],
    ) -> Response[Json]:
        expected = _expected(request)
        with meta_errors():
            relative = check_path(path)
            revision = save_file(
                services.runtime, call.tenant, relative, None, expected, call.identity.email
            )
        answer = {"path": relative, "deleted": True, "draft_version": revision}
        return _tagged(answer, revision)

    @get("/versions", sync_to_thread=True)
    def versions(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> Json:
        check_query_params(request.query_params, ())
        return list_versions(services.runtime, call.tenant)

    @get("/versions/{a:str}/diff/{b:str}", sync_to_thread=True)
    def diff(self, services: AppServices, call: Caller, a: FromPath[str], b: FromPath[str]) -> Json:
        if not (a.isdigit() and b.isdigit() and len(a) < 10 and len(b) < 10):
            raise NotFoundError(Translatable("Versions are numbers, e.g. _meta/versions/1/diff/2."))
        with meta_errors():
            return diff_versions(services.runtime, call.tenant, int(a), int(b))

    @post("/rollback", status_code=200, sync_to_thread=True)
    def rollback(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller, body: RawBody
    ) -> Json:
        check_query_params(request.query_params, ())
        data = _json_body(request, body)
        _check_keys(data, ("version", "comment", "dry_run", "confirm_destructive"))
        version = data.get("version")
        if isinstance(version, float) and version.is_integer():
            version = int(version)  # 3.0 is the whole number 3 in JSON
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 2**31:
            raise ValidationFailedError({"version": ["Must be the number of a published version."]})
        with meta_errors():
            answer = rollback(
                services.runtime,
                call.tenant,
                version,
                actor=call.identity.email,
                comment=_comment(data),
                dry_run=_flag(data, "dry_run"),
                confirm=_flag(data, "confirm_destructive"),
            )
        return answer


__all__ = ["MetaController"]
