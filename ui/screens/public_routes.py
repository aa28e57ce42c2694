"""Public pages under ``/p/{tenant}/``: forms (``forms/<name>``) and signed links (``s/``).

No session and no CSRF token: nothing a cookie carries grants anything here. Posts are
origin-checked instead (``Origin``/``Referer`` must be this server or one of the form's
``allowed_origins``: 403 otherwise), rate-limited per address and tenant (429), and a
filled honeypot field gets the success page with nothing stored. An unknown tenant and
an unknown form answer the very same 404 page. Pages carry no script at all; a form's
``frame-ancestors`` lists its allowed origins, so only those sites may embed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import HttpMethod, Request, Response, get, post, route
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import Redirect, Template

from trellis.metadata.model import LinkDef
from trellis.platform.api.errors import localized_body
from trellis.platform.i18n import N_
from trellis.platform.public import (
    LinkRefusedError,
    PublicForm,
    PublicForms,
    SignedLinks,
    UnknownPublicPageError,
)
from trellis.platform.records.errors import ConflictError, ValidationFailedError
from trellis.platform.records.values import to_json
from trellis.ui.screens import public_messages as say
from trellis.ui.screens.forms import form_values
from trellis.ui.screens.public_limits import PublicLimiter
from trellis.ui.screens.public_page_fields import form_languages, link_languages, page_fields
from trellis.ui.screens.public_preflight import preflight
from trellis.ui.screens.public_text import PageText
from trellis.ui.screens.public_web import (
    SUBMISSION,
    Posted,
    Submission,
    origin_of,
    origin_ok,
    page_policy,
    placed,
)
from trellis.ui.screens.web import UiServices

#: The honeypot: hidden from people, irresistible to form-filling bots. Field names
#: never start with ``_``, so it cannot clash with a form's fields.
TRAP = "_homepage"
#: A transparent 1x1 GIF: what an ``open`` (tracking pixel) link answers.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


class PublicPages:
    """The handlers' shared parts: forms, links, the limit, page rendering."""

    def __init__(self, services: UiServices) -> None:
        self.runtime = services.runtime
        self.forms = PublicForms(services.runtime, services.app)
        self.links = SignedLinks(services.runtime)
        self.limiter = PublicLimiter(services.runtime)

    @staticmethod
    def render(
        template: str, context: Mapping[str, Any], status: int = 200, policy: str | None = None
    ) -> Template:
        """A public page with its own policy (no script; not embeddable by default)."""
        headers = {"Content-Security-Policy": policy or page_policy()}
        return Template(
            template_name=f"public/{template}",
            context=dict(context),
            status_code=status,
            headers=headers,
        )

    def message(
        self,
        request: Request[Any, Any, Any],
        status: int,
        heading: str,
        text: str,
        **params: Any,
    ) -> Response[Any]:
        """A page with one platform sentence (errors), or its JSON for JSON posts: the
        msgids ``heading`` and ``text`` (filled from ``params``) in the reader's language."""
        reader = PageText(request.headers.get("accept-language"), None)
        t = reader.translator
        sentence = t.gettext(text, **params)
        if request.headers.get("content-type", "").startswith("application/json"):
            key = "message" if status < 400 else "error"
            return Response(content={key: sentence}, status_code=status)
        context = reader.context(lang=t.locale, heading=t.gettext(heading), message=sentence)
        return self.render("message.html", context, status)

    def not_found(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The one 404 of every public path: unknown tenant, form or link alike."""
        return self.message(request, 404, N_("Not found"), say.NOT_FOUND)

    def too_many(self, request: Request[Any, Any, Any], retry: int) -> Response[Any]:
        """429 with ``Retry-After``."""
        text = N_(
            "Too many submissions from your address. Please try again in %(seconds)s seconds."
        )
        response = self.message(request, 429, N_("Please wait"), text, seconds=retry)
        response.headers["Retry-After"] = str(retry)
        return response

    # forms --------------------------------------------------------------------------
    def form_page(
        self,
        request: Request[Any, Any, Any],
        found: PublicForm,
        *,
        values: Mapping[str, Any] | None = None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> Response[Any]:
        """The form, empty or again with the visitor's values and inline errors (422)."""
        form = found.form
        entity = found.rt.app.model.entities[form.entity]
        text = PageText(
            request.headers.get("accept-language"), found.default_locale, form_languages(form)
        )
        t = text.translator
        context = text.context(
            heading=text(form.title, t.label(entity.label)),
            intro=text(form.description),
            submit=text(form.submit_label, t.gettext(say.SEND)),
            fields=page_fields(entity, form.fields, text),
            values=values or {},
            errors=errors or {},
            problem=t.gettext(say.PROBLEM),
            trap=TRAP,
            action=f"/p/{found.tenant}/forms/{form.name}",
        )
        redirect = form.success_redirect
        targets = [origin_of(redirect)] if redirect else []
        policy = page_policy(frame_ancestors=form.allowed_origins, form_action=targets)
        return self.render("form.html", context, 422 if errors else 200, policy)

    def form_done(self, request: Request[Any, Any, Any], found: PublicForm) -> Response[Any]:
        """After a save (or a caught bot): the redirect, or the success message."""
        form = found.form
        if form.success_redirect and not request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return Redirect(path=form.success_redirect, status_code=303)
        text = PageText(
            request.headers.get("accept-language"), found.default_locale, form_languages(form)
        )
        entity = found.rt.app.model.entities[form.entity]
        t = text.translator
        heading = text(form.title, t.label(entity.label))
        thanks = text(form.success_message, t.gettext(say.THANKS))
        if request.headers.get("content-type", "").startswith("application/json"):
            return Response(content={"message": thanks}, status_code=201)
        context = text.context(heading=heading, message=thanks)
        policy = page_policy(frame_ancestors=form.allowed_origins)
        return self.render("message.html", context, 200, policy)

    def submit(
        self, request: Request[Any, Any, Any], tenant: str, name: str, body: Submission
    ) -> Response[Any]:
        """Check origin, limit and honeypot; save through the pipeline; answer.

        A script of an allowed site may read the answer (``Access-Control-Allow-Origin``);
        a JSON post from it is preflighted first (``public_preflight``).
        """
        try:
            found = self.forms.find(tenant, name)
        except UnknownPublicPageError:
            return self.not_found(request)
        response = self._submit(request, tenant, found, body)
        origin = request.headers.get("origin")
        if origin and origin.lower() in {o.lower() for o in found.form.allowed_origins}:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    def _submit(
        self, request: Request[Any, Any, Any], tenant: str, found: PublicForm, body: Submission
    ) -> Response[Any]:
        if not origin_ok(request, found.form.allowed_origins):
            return self.message(request, 403, N_("Not allowed"), say.BAD_ORIGIN)
        retry = self.limiter.check(tenant, request.client.host if request.client else None)
        if retry is not None:
            return self.too_many(request, retry)
        if body.malformed:
            malformed = N_("Send a JSON object of fields.")
            return self.message(request, 400, N_("Bad request"), malformed)
        if body.filled(TRAP):
            return self.form_done(request, found)
        entity = found.rt.app.model.entities[found.form.entity]
        names = [f.name for f in found.form.fields]
        if body.json:
            values = {k: v for k, v in body.values.items() if k in names}
        else:
            values = form_values(entity, body.posted, names)
        try:
            self.forms.submit(found, values)
        except ValidationFailedError as exc:
            if body.json:
                locale = PageText(request.headers.get("accept-language"), None).translator.locale
                return Response(
                    content=localized_body({"errors": exc.errors}, locale), status_code=422
                )
            return self.form_page(request, found, values=values, errors=placed(exc.errors, names))
        return self.form_done(request, found)

    # links --------------------------------------------------------------------------
    def refused(self, request: Request[Any, Any, Any], exc: LinkRefusedError) -> Response[Any]:
        """The clear page of a link that cannot be used."""
        status, text = say.LINK_REFUSED.get(exc.reason, say.LINK_REFUSED["invalid"])
        return self.message(request, status, N_("Link"), text)

    def link_get(self, request: Request[Any, Any, Any], tenant: str, token: str) -> Response[Any]:
        """A link fetched: tracking links store their values and answer a pixel or a
        redirect; the others show their page."""
        try:
            opened = self.links.open(tenant, token, consume_view=False)
        except LinkRefusedError as exc:
            return self.refused(request, exc)
        if opened.kind.action not in ("open", "redirect"):
            return self.link_page(request, tenant, token)
        query = request.query_params
        try:
            _done, target = self.links.track(tenant, token, query.get("to"), query.get("sig"))
        except LinkRefusedError as exc:
            return self.refused(request, exc)
        if target is not None:
            return Redirect(path=target, status_code=303, headers={"Cache-Control": "no-store"})
        return Response(
            content=PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"}
        )

    def link_page(
        self,
        request: Request[Any, Any, Any],
        tenant: str,
        token: str,
        *,
        values: Mapping[str, Any] | None = None,
        errors: Mapping[str, list[str]] | None = None,
        opened: Any = None,
        status: int = 422,
    ) -> Response[Any]:
        """What the link shows: the record's fields, the answer form or the confirmation."""
        if opened is None:
            try:
                opened = self.links.open(tenant, token)
            except LinkRefusedError as exc:
                return self.refused(request, exc)
        kind: LinkDef = opened.kind
        entity = opened.entity.entity
        default = getattr(opened.app.model, "locale", None)
        text = PageText(
            request.headers.get("accept-language"),
            default if isinstance(default, str) else None,
            link_languages(kind),
        )
        fields = page_fields(entity, kind.fields, text)
        record = opened.record
        shown = []
        if kind.action in ("view", "set"):  # a set link shows what the holder confirms
            shown = [
                {
                    "label": f["label"],
                    "value": to_json(record.get(f["name"]), entity.fields[f["name"]]),
                }
                for f in fields
            ]
        current = {f["name"]: record.get(f["name"]) for f in fields}
        t = text.translator
        button = say.CONFIRM if kind.action == "set" else say.SEND
        context = text.context(
            heading=text(kind.title, t.label(entity.label)),
            intro=text(kind.description),
            action=kind.action,
            shown=shown,
            fields=fields,
            values=values if values is not None else current,
            errors=errors or {},
            problem=t.gettext(say.PROBLEM),
            submit=text(kind.submit_label, t.gettext(button)),
            form_action=f"/p/{tenant}/s/{token}",
        )
        return self.render("link.html", context, status if errors else 200)

    def link_act(
        self, request: Request[Any, Any, Any], tenant: str, token: str, body: Submission
    ) -> Response[Any]:
        """Use the link: store the answer or the declared values; answer a clear page."""
        if not origin_ok(request, ()):
            return self.message(request, 403, N_("Not allowed"), say.BAD_ORIGIN)
        retry = self.limiter.check(tenant, request.client.host if request.client else None)
        if retry is not None:
            return self.too_many(request, retry)
        try:
            opened = self.links.open(tenant, token, consume_view=False)
        except LinkRefusedError as exc:
            return self.refused(request, exc)
        names = [f.name for f in opened.kind.fields]
        if body.json:
            values = {k: v for k, v in body.values.items() if k in names}
        else:
            values = form_values(opened.entity.entity, body.posted, names)
        try:
            done = self.links.act(tenant, token, values)
        except LinkRefusedError as exc:
            return self.refused(request, exc)
        except ValidationFailedError as exc:
            errors = placed(exc.errors, names)
            return self.link_page(
                request, tenant, token, values=values, errors=errors, opened=opened
            )
        except ConflictError as exc:  # e.g. a workflow guard: nothing changed, the reason shown
            reason = {"__all__": [exc.message]}
            return self.link_page(
                request, tenant, token, values=values, errors=reason, opened=opened, status=409
            )
        text = PageText(request.headers.get("accept-language"), None, link_languages(done.kind))
        t = text.translator
        message = text(done.kind.done_message, t.gettext(say.LINK_DONE))
        context = text.context(
            heading=text(done.kind.title, t.label(done.entity.entity.label)), message=message
        )
        return self.render("message.html", context, 200)


def public_routes(services: UiServices, pages: PublicPages | None = None) -> list[Any]:
    """``GET``/``POST /p/{tenant}/forms/{form}`` and ``GET``/``POST /p/{tenant}/s/{token}``."""
    public = pages or PublicPages(services)

    @get("/p/{tenant:str}/forms/{form:str}", sync_to_thread=True)
    def form_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: FromPath[str]
    ) -> Response[Any]:
        try:
            found = public.forms.find(tenant, form)
        except UnknownPublicPageError:
            return public.not_found(request)
        return public.form_page(request, found)

    @post("/p/{tenant:str}/forms/{form:str}", sync_to_thread=True, dependencies=SUBMISSION)
    def form_submit(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        form: FromPath[str],
        submission: Posted,
    ) -> Response[Any]:
        return public.submit(request, tenant, form, submission)

    @route(
        "/p/{tenant:str}/forms/{form:str}", http_method=[HttpMethod.OPTIONS], sync_to_thread=True
    )
    def form_preflight(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: FromPath[str]
    ) -> Response[Any]:
        try:
            found = public.forms.find(tenant, form)
        except UnknownPublicPageError:
            return preflight(request, ())
        return preflight(request, found.form.allowed_origins)

    @get("/p/{tenant:str}/s/{token:str}", sync_to_thread=True)
    def link_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], token: FromPath[str]
    ) -> Response[Any]:
        return public.link_get(request, tenant, token)

    @post("/p/{tenant:str}/s/{token:str}", sync_to_thread=True, dependencies=SUBMISSION)
    def link_act(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        token: FromPath[str],
        submission: Posted,
    ) -> Response[Any]:
        return public.link_act(request, tenant, token, submission)

    # The preflight first: Litestar keeps the OPTIONS handler of the first handler of a path.
    return [form_preflight, form_page, form_submit, link_page, link_act]


__all__ = ["TRAP", "PublicPages", "page_policy", "public_routes"]
