"""A tenant's people as its admins manage them: invitations, deactivation, two-factor
reset, teams and manager (the ``/t/{t}/admin/users`` screen calls these)."""

from trellis.platform.people.invitations import (
    INVITE_DAYS,
    Invitation,
    InvitationRefusedError,
    Invitations,
)
from trellis.platform.people.roster import PersonView, Roster

__all__ = [
    "INVITE_DAYS",
    "Invitation",
    "InvitationRefusedError",
    "Invitations",
    "PersonView",
    "Roster",
]
