"""Public portals under ``/p/{tenant}/{portal}``: a searchable list, a page per record and
a "was this helpful?" vote (docs/portals.md).

Like the other public pages: no session, no script; an unknown tenant, portal or record,
and a record the portal's condition does not make public, answer the very same 404 page.
Votes are origin-checked (this server only) and rate-limited per address and tenant like
form posts; a vote answers ``303`` back to the record's page and remembers the record in
a signed cookie (:mod:`trellis.platform.public.portal_votes`): one vote per visitor.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import Redirect

from trellis.metadata.model import PublicText, pick_text
from trellis.platform.i18n import N_, Translator
from trellis.platform.public import FoundPortal, PublicPortals, UnknownPublicPageError
from trellis.platform.public.portal_votes import read_votes, vote_cookie_name, write_votes
from trellis.platform.public.portals import MAX_PAGE
from trellis.platform.records.errors import BadRequestError
from trellis.platform.search import query_words
from trellis.platform.search.text import MAX_QUERY_LENGTH
from trellis.ui.screens.public_portal_view import (
    filter_choices,
    portal_locale,
    record_view,
    translation_links,
)
from trellis.ui.screens.public_routes import PublicPages
from trellis.ui.screens.public_web import SUBMISSION, Posted, Submission, origin_ok
from trellis.ui.screens.session_cookie import cookie_is_secure
from trellis.ui.screens.web import UiServices

#: The vote values a form may post.
VOTES = {"yes": True, "no": False}
#: What the filter links keep of the list's query (besides the other filters).
BASE = ("q", "lang")


class PortalPages:
    """The portal handlers' shared parts: the service, the limit and page rendering."""

    def __init__(self, services: UiServices, public: PublicPages) -> None:
        self.portals = PublicPortals(services.runtime)
        self.public = public
        self.services = services

    def voted(self, request: Request[Any, Any, Any], found: FoundPortal) -> list[int]:
        """The ids this visitor already voted on in ``found`` (its signed cookie)."""
        name = found.portal.name
        value = request.cookies.get(vote_cookie_name(name))
        return read_votes(self.services.runtime.config, found.tenant, name, value)

    @staticmethod
    def translator(request: Request[Any, Any, Any], found: FoundPortal | None) -> Translator:
        """The page's language (``?lang``, ``Accept-Language``, the tenant's, English) and
        the tenant's time zone."""
        default = found.default_locale if found is not None else None
        header = request.headers.get("accept-language")
        zone = found.rt.app.model.timezone if found is not None else "UTC"
        return Translator(portal_locale(request.query_params.get("lang"), header, default), zone)

    def message(
        self,
        request: Request[Any, Any, Any],
        status: int,
        heading: str,
        text: str,
        found: FoundPortal | None = None,
    ) -> Response[Any]:
        """A page with one translated sentence (errors)."""
        t = self.translator(request, found)
        context = {"lang": t.locale, "heading": t.gettext(heading), "message": text}
        return self.public.render("message.html", context, status)

    def not_found(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The one 404 of a portal: unknown tenant, portal or record, or not public."""
        t = self.translator(request, None)
        return self.message(request, 404, N_("Not found"), t.gettext("This page does not exist."))

    def bad(self, request: Request[Any, Any, Any], found: FoundPortal, text: str) -> Response[Any]:
        """400 with the reason, in the page's language."""
        return self.message(request, 400, N_("Bad request"), text, found)

    def _base(self, found: FoundPortal, t: Translator) -> dict[str, Any]:
        p = found.portal
        entity = found.entity.entity
        path = f"/p/{found.tenant}/{p.name}"
        return {
            "lang": t.locale,
            "i18n": t,
            "portal_title": _text(t, p.title) or t.label(entity.plural_label),
            "portal_path": path,
            "searchable": bool(p.search),
            "max_query": MAX_QUERY_LENGTH,
        }

    def list_page(self, request: Request[Any, Any, Any], found: FoundPortal) -> Response[Any]:
        """The public records, or those matching ``?q=``; ``?page=`` from 1."""
        t = self.translator(request, found)
        q = (request.query_params.get("q") or "").strip()
        raw_page = request.query_params.get("page") or "1"
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
            return self.bad(request, found, t.gettext("The page number is not valid."))
        words: list[str] = []
        if q:
            try:
                words = query_words(q)
            except BadRequestError:
                text = t.gettext(
                    "The search text may be at most %(count)s characters long.",
                    count=MAX_QUERY_LENGTH,
                )
                return self.bad(request, found, text)
            if not words:  # punctuation only: nothing can match
                words = ["\u2205"]
        chosen: dict[str, str] = {}
        for name in found.portal.filters:
            value = request.query_params.get(name)
            if value:
                if value not in found.entity.entity.fields[name].options:
                    return self.bad(request, found, t.gettext("The filter value is not valid."))
                chosen[name] = value
        listing = self.portals.listing(found, words, t.locale, int(raw_page), chosen)
        context = self._base(found, t)
        keep = {"q": q} if q else {}
        keep.update(chosen)
        if request.query_params.get("lang"):
            keep["lang"] = t.locale

        def page_link(page: int) -> str:
            return f"{context['portal_path']}?{urlencode({**keep, 'page': page})}"

        context.update(
            heading=context["portal_title"],
            intro=_text(t, found.portal.description),
            query=q,
            filters=filter_choices(
                t, found, chosen, {k: keep[k] for k in ("q", "lang") if k in keep}
            ),
            items=[record_view(t, found, row) for row in listing.rows],
            suffix=f"?{urlencode({'lang': t.locale})}" if "lang" in keep else "",
            next=page_link(listing.page + 1) if listing.more else None,
            previous=page_link(listing.page - 1) if listing.page > 1 else None,
        )
        return self.public.render("portal_list.html", context)

    def record_page(
        self, request: Request[Any, Any, Any], found: FoundPortal, item: str
    ) -> Response[Any]:
        """One public record: heading, fields, body and the vote buttons."""
        if not item.isdigit() or len(item) > 18:
            return self.not_found(request)
        try:
            row = self.portals.record(found, int(item))
        except UnknownPublicPageError:
            return self.not_found(request)
        t = self.translator(request, found)
        context = self._base(found, t)
        record = record_view(t, found, row)
        lang = request.query_params.get("lang")
        again = request.query_params.get("voted") == "again"
        context.update(
            heading=record["heading"],
            record=record,
            translations=translation_links(t, found, self.portals.translations(found, row)),
            voted=request.query_params.get("voted") == "1",
            again=again or (int(item) in self.voted(request, found)),
            vote_action=f"{context['portal_path']}/{item}/vote"
            + (f"?{urlencode({'lang': t.locale})}" if lang else ""),
            back=context["portal_path"] + (f"?{urlencode({'lang': t.locale})}" if lang else ""),
        )
        return self.public.render("portal_record.html", context)

    def vote(
        self, request: Request[Any, Any, Any], found: FoundPortal, item: str, posted: Submission
    ) -> Response[Any]:
        """Count a vote (``helpful=yes|no``) once per visitor, then back to the record's
        page; a second vote on the same record is ignored and the page says so."""
        t = self.translator(request, found)
        if not origin_ok(request, ()):
            text = t.gettext("This vote cannot be sent from the page you used.")
            return self.message(request, 403, N_("Not allowed"), text, found)
        client = request.client.host if request.client else None
        retry = self.public.limiter.check(found.tenant, client)
        if retry is not None:
            text = t.gettext(
                "Too many requests from your address. Please try again in %(seconds)s seconds.",
                seconds=retry,
            )
            response = self.message(request, 429, N_("Please wait"), text, found)
            response.headers["Retry-After"] = str(retry)
            return response
        if not item.isdigit() or len(item) > 18:
            return self.not_found(request)
        value = posted.values.get("helpful") if posted.json else posted.posted.get("helpful")
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if posted.malformed or value not in VOTES:
            return self.bad(request, found, t.gettext("Answer yes or no."))
        record_id = int(item)
        done = self.voted(request, found)
        if record_id not in done:
            try:
                self.portals.vote(found, record_id, VOTES[str(value)])
            except UnknownPublicPageError:
                return self.not_found(request)
        lang = {"lang": t.locale} if request.query_params.get("lang") else {}
        query = {"voted": "again" if record_id in done else "1", **lang}
        path = f"/p/{found.tenant}/{found.portal.name}"
        response = Redirect(path=f"{path}/{item}?{urlencode(query)}", status_code=303)
        if record_id not in done:
            name = found.portal.name
            config = self.services.runtime.config
            response.set_cookie(
                vote_cookie_name(name),
                write_votes(config, found.tenant, name, [*done, record_id]),
                path=path,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="lax",
                secure=cookie_is_secure(self.services, request),
            )
        return response


def _text(t: Translator, text: PublicText) -> str:
    return pick_text(text, [t.locale]) if text else ""


def portal_routes(services: UiServices, public: PublicPages) -> list[Any]:
    """``GET /p/{t}/{portal}``, ``GET /p/{t}/{portal}/{id}``, ``POST …/{id}/vote``."""
    pages = PortalPages(services, public)

    def found_or_none(tenant: str, portal: str) -> FoundPortal | None:
        try:
            return pages.portals.find(tenant, portal)
        except UnknownPublicPageError:
            return None

    @get("/p/{tenant:str}/{portal:str}", sync_to_thread=True)
    def portal_list(
        request: Request[Any, Any, Any], tenant: FromPath[str], portal: FromPath[str]
    ) -> Response[Any]:
        found = found_or_none(tenant, portal)
        return pages.not_found(request) if found is None else pages.list_page(request, found)

    @get("/p/{tenant:str}/{portal:str}/{item:str}", sync_to_thread=True)
    def portal_record(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        portal: FromPath[str],
        item: FromPath[str],
    ) -> Response[Any]:
        found = found_or_none(tenant, portal)
        if found is None:
            return pages.not_found(request)
        return pages.record_page(request, found, item)

    @post(
        "/p/{tenant:str}/{portal:str}/{item:str}/vote", sync_to_thread=True, dependencies=SUBMISSION
    )
    def portal_vote(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        portal: FromPath[str],
        item: FromPath[str],
        submission: Posted,
    ) -> Response[Any]:
        found = found_or_none(tenant, portal)
        if found is None:
            return pages.not_found(request)
        return pages.vote(request, found, item, submission)

    return [portal_list, portal_record, portal_vote]


__all__ = ["PortalPages", "portal_routes"]
