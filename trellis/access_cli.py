"""CLI commands for roles and tokens: ``user roles``, ``token list``, ``token revoke``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime

from trellis.platform.config import config_from_env
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import RegistryError
from trellis.tenants.registry.access_admin import change_roles, list_tokens, revoke_token

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _runtime(args: argparse.Namespace) -> Runtime:
    return Runtime(config_from_env(args.data_dir))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else "-"


def cmd_user_roles(args: argparse.Namespace) -> None:
    """Add or remove roles of a member; prints the resulting roles."""
    if not args.add and not args.remove:
        raise RegistryError("Give --add ROLE or --remove ROLE.")
    runtime = _runtime(args)
    try:
        roles = change_roles(
            runtime.registry,
            args.tenant,
            args.email,
            add=tuple(args.add or ()),
            remove=tuple(args.remove or ()),
        )
    finally:
        runtime.close()
    _out(f"User {args.email} in '{args.tenant}' has roles: {', '.join(roles) or '(none)'}.")


def cmd_token_list(args: argparse.Namespace) -> None:
    """One line per token: id, user, created, expires, last used (and revoked)."""
    runtime = _runtime(args)
    try:
        rows = list_tokens(runtime.registry, args.tenant)
    finally:
        runtime.close()
    for row in rows:
        revoked = f"  revoked {_when(row.revoked_at)}" if row.revoked_at else ""
        _out(
            f"{row.id}  {row.email}  created {_when(row.created_at)}  "
            f"expires {_when(row.expires_at)}  last used {_when(row.last_used_at)}{revoked}"
        )


def cmd_token_revoke(args: argparse.Namespace) -> None:
    """Revoke a token given itself or its id."""
    runtime = _runtime(args)
    try:
        token_id = revoke_token(runtime.registry, args.tenant, args.token)
    finally:
        runtime.close()
    _out(f"Token {token_id} of '{args.tenant}' is revoked (effective within 2 seconds).")


def add_access_commands(
    token: argparse._SubParsersAction,  # type: ignore[type-arg]
    user: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_data_dir: WithDataDir,
) -> None:
    """Register ``user roles``, ``token list`` and ``token revoke``."""
    roles = with_data_dir(user.add_parser("roles", help="add or remove a member's roles"))
    roles.add_argument("tenant")
    roles.add_argument("email")
    roles.add_argument("--add", action="append", metavar="ROLE")
    roles.add_argument("--remove", action="append", metavar="ROLE")
    roles.set_defaults(func=cmd_user_roles)
    listing = with_data_dir(token.add_parser("list", help="list a tenant's API tokens"))
    listing.add_argument("tenant")
    listing.set_defaults(func=cmd_token_list)
    revoke = with_data_dir(token.add_parser("revoke", help="revoke an API token"))
    revoke.add_argument("tenant")
    revoke.add_argument("token", help="the token itself or its id")
    revoke.set_defaults(func=cmd_token_revoke)


__all__ = ["add_access_commands"]
