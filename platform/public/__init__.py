"""Public, unauthenticated features under ``/p/{tenant}/``: forms and signed links.

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

__all__ = [
    "IssuedLink",
    "LinkRefusedError",
    "OpenedLink",
    "PublicForm",
    "PublicForms",
    "SignedLinks",
    "UnknownPublicPageError",
    "origin_allowed",
]
