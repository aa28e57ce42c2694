"""Public, unauthenticated features under ``/p/{tenant}/``: forms, signed links, portals.

Both answer an unknown tenant exactly like an unknown form or link, so nothing reveals
whether another tenant or record exists.
"""

from trellis.platform.public.forms import PublicForm, PublicForms, UnknownPublicPageError
from trellis.platform.public.links import (
    IssuedLink,
    LinkRefusedError,
    OpenedLink,
    SignedLinks,
)
from trellis.platform.public.origins import origin_allowed
from trellis.platform.public.portals import FoundPortal, Listing, PublicPortals

__all__ = [
    "FoundPortal",
    "IssuedLink",
    "LinkRefusedError",
    "Listing",
    "OpenedLink",
    "PublicForm",
    "PublicForms",
    "PublicPortals",
    "SignedLinks",
    "UnknownPublicPageError",
    "origin_allowed",
]
