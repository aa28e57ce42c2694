"""CLI commands for members, roles and tokens.

``user roles``, ``user set`` (teams, manager, attributes), ``user show``,
``token list``, ``token revoke``; plus the ``--team``/``--manager``/``--attr``
options of ``user create``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from trellis.cli_text import cli_translator

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime
    from trellis.tenants.registry.members import MemberProfile

# Commands import what they use when they run, so that ``trellis --help`` stays fast.

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _runtime(args: argparse.Namespace) -> Runtime:
    from trellis.platform.config import config_from_env
    from trellis.platform.runtime import Runtime

    return Runtime(config_from_env(args.data_dir))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else "-"


def cmd_user_roles(args: argparse.Namespace) -> None:
    """Add or remove roles of a member; prints the resulting roles."""
    from trellis.members_cli import check_known_roles
    from trellis.tenants.registry import RegistryError
    from trellis.tenants.registry.access_admin import change_roles

    if not args.add and not args.remove:
        raise RegistryError(cli_translator().gettext("Give --add ROLE or --remove ROLE."))
    runtime = _runtime(args)
    try:
        check_known_roles(runtime, args.tenant, args.add or [])
        roles = change_roles(
            runtime.registry,
            args.tenant,
            args.email,
            add=tuple(args.add or ()),
            remove=tuple(args.remove or ()),
        )
        store_member_roles(runtime, args.tenant, args.email)
    finally:
        runtime.close()
    t = cli_translator()
    _out(
        t.gettext(
            "User %(email)s in '%(tenant)s' has roles: %(roles)s.",
            email=args.email,
            tenant=args.tenant,
            roles=", ".join(roles) or t.gettext("(none)"),
        )
    )


def store_member_roles(runtime: Runtime, tenant: str, email: str) -> None:
    """Write the member's current roles to the policy store (Casbin ``g`` rows)."""
    from trellis.platform.authz.enforcers import store_roles
    from trellis.tenants.registry.members import get_member

    member = get_member(runtime.registry, tenant, email)
    store_roles(runtime.policies, tenant, member.user_id, member.roles)


def add_profile_options(parser: argparse.ArgumentParser) -> None:
    """``--team T`` (repeatable), ``--manager EMAIL``, ``--attr NAME=VALUE`` (repeatable)."""
    parser.add_argument("--team", action="append", metavar="TEAM", help="a team (repeatable)")
    parser.add_argument("--manager", metavar="EMAIL", help="the member's manager")
    parser.add_argument(
        "--attr", action="append", metavar="NAME=VALUE", help="an attribute, e.g. region=EU"
    )


def apply_profile_options(runtime: Runtime, args: argparse.Namespace) -> MemberProfile | None:
    """Apply ``--team``, ``--manager`` and ``--attr`` of ``user create`` (if any given)."""
    from trellis.tenants.registry.members import parse_attributes, update_member

    if not (args.team or args.manager is not None or args.attr):
        return None
    return update_member(
        runtime.registry,
        args.tenant,
        args.email,
        teams=list(args.team) if args.team else None,
        manager=args.manager,
        attributes=parse_attributes(args.attr),
    )


def _describe(runtime: Runtime, tenant: str, member: MemberProfile) -> str:
    from trellis.tenants.registry.members import list_members

    manager = "-"
    if member.manager_id is not None:
        info = runtime.registry.get_tenant(tenant)
        found = list_members(runtime.registry, info.id) if info is not None else []
        manager = next((p.email for p in found if p.user_id == member.manager_id), "-")
    attributes = ", ".join(f"{k}={v}" for k, v in sorted(member.attributes.items()))
    t = cli_translator()
    none = t.gettext("(none)")
    return t.gettext(
        "%(email)s  roles: %(roles)s  teams: %(teams)s  manager: %(manager)s  "
        "attributes: %(attributes)s",
        email=member.email,
        roles=", ".join(member.roles) or none,
        teams=", ".join(member.teams) or none,
        manager=manager,
        attributes=attributes or none,
    )


def cmd_user_set(args: argparse.Namespace) -> None:
    """Change a member's teams, manager or attributes; prints the resulting profile."""
    from trellis.tenants.registry import RegistryError
    from trellis.tenants.registry.members import parse_attributes, update_member

    given = (
        args.team,
        args.add_team,
        args.remove_team,
        args.manager,
        args.attr,
        args.no_teams,
    )
    if not any(v for v in given) and args.manager is None:
        raise RegistryError(
            cli_translator().gettext(
                "Give --team, --add-team, --remove-team, --no-teams, --manager or --attr."
            )
        )
    runtime = _runtime(args)
    try:
        member = update_member(
            runtime.registry,
            args.tenant,
            args.email,
            teams=[] if args.no_teams else (list(args.team) if args.team else None),
            add_teams=args.add_team,
            remove_teams=args.remove_team,
            manager=args.manager,
            attributes=parse_attributes(args.attr),
        )
        _out(_describe(runtime, args.tenant, member))
    finally:
        runtime.close()
    _out(cli_translator().gettext("Effective within 2 seconds."))


def cmd_user_show(args: argparse.Namespace) -> None:
    """Print a member's roles, teams, manager and attributes."""
    from trellis.tenants.registry.members import get_member

    runtime = _runtime(args)
    try:
        _out(_describe(runtime, args.tenant, get_member(runtime.registry, args.tenant, args.email)))
    finally:
        runtime.close()


def cmd_token_list(args: argparse.Namespace) -> None:
    """One line per token: id, user, created, expires, last used (and revoked)."""
    from trellis.tenants.registry.access_admin import list_tokens

    runtime = _runtime(args)
    try:
        rows = list_tokens(runtime.registry, args.tenant)
    finally:
        runtime.close()
    t = cli_translator()
    for row in rows:
        revoked = ""
        if row.revoked_at:
            revoked = "  " + t.gettext("revoked %(when)s", when=_when(row.revoked_at))
        line = t.gettext(
            "%(id)s  %(email)s  created %(created)s  expires %(expires)s  last used %(used)s",
            id=row.id,
            email=row.email,
            created=_when(row.created_at),
            expires=_when(row.expires_at),
            used=_when(row.last_used_at),
        )
        _out(line + revoked)


def cmd_token_revoke(args: argparse.Namespace) -> None:
    """Revoke a token given itself or its id."""
    from trellis.tenants.registry.access_admin import revoke_token

    runtime = _runtime(args)
    try:
        token_id = revoke_token(runtime.registry, args.tenant, args.token)
    finally:
        runtime.close()
    _out(
        cli_translator().gettext(
            "Token %(id)s of '%(tenant)s' is revoked (effective within 2 seconds).",
            id=token_id,
            tenant=args.tenant,
        )
    )


def add_access_commands(
    token: argparse._SubParsersAction,  # type: ignore[type-arg]
    user: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_data_dir: WithDataDir,
) -> None:
    """Register ``user roles``, ``token list`` and ``token revoke``."""
    roles = with_data_dir(user.add_parser("roles", help="add or remove a member's roles"))
    roles.add_argument("tenant", help="the tenant's name")
    roles.add_argument("email", help="the member's e-mail")
    roles.add_argument("--add", action="append", metavar="ROLE", help="a role to add (repeatable)")
    roles.add_argument(
        "--remove", action="append", metavar="ROLE", help="a role to remove (repeatable)"
    )
    roles.set_defaults(func=cmd_user_roles)
    change = with_data_dir(
        user.add_parser("set", help="change a member's teams, manager or attributes")
    )
    change.add_argument("tenant", help="the tenant's name")
    change.add_argument("email", help="the member's e-mail")
    change.add_argument("--team", action="append", metavar="TEAM", help="replace the teams")
    change.add_argument(
        "--add-team", action="append", metavar="TEAM", help="join a team (repeatable)"
    )
    change.add_argument(
        "--remove-team", action="append", metavar="TEAM", help="leave a team (repeatable)"
    )
    change.add_argument("--no-teams", action="store_true", help="leave every team")
    change.add_argument("--manager", metavar="EMAIL", help='the manager ("" clears it)')
    change.add_argument(
        "--attr",
        action="append",
        metavar="NAME=VALUE",
        help="set an attribute (NAME= removes it)",
    )
    change.set_defaults(func=cmd_user_set)
    show = with_data_dir(user.add_parser("show", help="show a member's profile"))
    show.add_argument("tenant", help="the tenant's name")
    show.add_argument("email", help="the member's e-mail")
    show.set_defaults(func=cmd_user_show)
    listing = with_data_dir(token.add_parser("list", help="list a tenant's API tokens"))
    listing.add_argument("tenant", help="the tenant's name")
    listing.set_defaults(func=cmd_token_list)
    revoke = with_data_dir(token.add_parser("revoke", help="revoke an API token"))
    revoke.add_argument("tenant", help="the tenant's name")
    revoke.add_argument("token", help="the token itself or its id")
    revoke.set_defaults(func=cmd_token_revoke)


__all__ = ["add_access_commands", "add_profile_options", "apply_profile_options"]
