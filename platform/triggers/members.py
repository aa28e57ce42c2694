"""Who can be assigned: members of the tenant by role, for ``round_robin("role")``.

The runtime builds each compiled app with its tenant's member lookup, so the trigger
hook (built from the app alone) can ask for the members of a role.
"""

from __future__ import annotations

from trellis.platform.records.compiled import CompiledApp, MemberLookup


def member_lookup(app: CompiledApp) -> MemberLookup | None:
    """The member lookup the app was built with, if any."""
    return app.members


__all__ = ["MemberLookup", "member_lookup"]
