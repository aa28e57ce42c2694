"""New passwords and roles for ``trellis user create`` and ``trellis tenant create``.

A password comes from ``--password-stdin`` (the first line of standard input), from
a prompt asked twice when standard input is a terminal, or from ``--password``
(visible in process lists and shell history, so a warning is printed). It must pass
the same policy as a password chosen on the account screen. An account that exists
keeps its password unless ``--reset-password`` is given.
"""

from __future__ import annotations

import argparse
import difflib
import getpass
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TextIO

from trellis.cli_text import cli_translator

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime

#: The role every tenant has besides those of its ``roles.yaml``.
BUILTIN_ROLES = ("admin",)
Ask = Callable[[str], str]


class PasswordInputError(ValueError):
    """No usable password was given; the message says how to give one."""


def add_password_options(parser: argparse.ArgumentParser, *, who: str) -> None:
    """``--password``, ``--password-stdin`` (exclusive) and ``--reset-password``."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--password",
        help=f"the {who}'s password (shown in process lists and shell history: "
        "prefer --password-stdin or the prompt)",
    )
    source.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    parser.add_argument(
        "--reset-password",
        action="store_true",
        help=f"set a new password when the {who} already has an account",
    )


def _given(args: argparse.Namespace) -> bool:
    return args.password is not None or bool(args.password_stdin)


def read_new_password(
    args: argparse.Namespace,
    email: str,
    *,
    stdin: TextIO | None = None,
    ask: Ask = getpass.getpass,
    warn: Callable[[str], None] | None = None,
) -> str:
    """The new password from the options, standard input or a prompt, policy-checked.

    Raises:
        PasswordInputError: nothing given and no terminal to ask, or two different
            answers at the prompt.
        PasswordPolicyError: the password is too short, common or breached, or holds
            the email's name.
    """
    from trellis.tenants.registry.passwords import check_new_password

    stdin = stdin if stdin is not None else sys.stdin
    if args.password_stdin:
        password = stdin.readline().rstrip("\r\n")
        if not password:
            raise PasswordInputError(
                cli_translator().gettext("--password-stdin: standard input held no password.")
            )
    elif args.password is not None:
        password = args.password
        if warn is not None:
            warn(
                cli_translator().gettext(
                    "warning: --password shows the password in process lists and shell "
                    "history; prefer --password-stdin or the prompt."
                )
            )
    elif stdin.isatty():
        t = cli_translator()
        password = ask(t.gettext("Password for %(email)s: ", email=email))
        if ask(t.gettext("Repeat the password: ")) != password:
            raise PasswordInputError(
                cli_translator().gettext("The two passwords differ; nothing was changed.")
            )
    else:
        raise PasswordInputError(
            cli_translator().gettext(
                "No password given and standard input is not a terminal to ask for one: "
                "send it on one line with --password-stdin."
            )
        )
    check_new_password(password, email=email)
    return password


def password_for(
    runtime: Runtime,
    args: argparse.Namespace,
    email: str,
    tenant: str,
    *,
    warn: Callable[[str], None] | None = None,
) -> str | None:
    """The password to set for ``email`` joining ``tenant``, or None to keep theirs.

    A new account needs one. An existing account keeps its password unless
    ``--reset-password`` is given: then a member of ``tenant`` is refused (nothing
    to create), and so is a password given for an account of another tenant.

    Raises:
        RegistryError: the account exists and ``--reset-password`` is missing.
        PasswordInputError, PasswordPolicyError: see :func:`read_new_password`.
    """
    from trellis.tenants.registry import RegistryError
    from trellis.tenants.registry.members import get_member

    if runtime.registry.user_id(email) is None or args.reset_password:
        return read_new_password(args, email, warn=warn)
    try:
        get_member(runtime.registry, tenant, email)
    except RegistryError:
        pass
    else:
        raise RegistryError(
            cli_translator().gettext(
                "User '%(email)s' is already a member of tenant '%(tenant)s'; nothing was "
                "changed. Pass --reset-password to set a new password; 'trellis user roles' "
                "and 'trellis user set' change roles, teams and attributes.",
                email=email,
                tenant=tenant,
            )
        )
    if _given(args):
        raise RegistryError(
            cli_translator().gettext(
                "User '%(email)s' already has an account (in another tenant) and keeps its "
                "password: leave out the password to add it to '%(tenant)s', or pass "
                "--reset-password to replace it.",
                email=email,
                tenant=tenant,
            )
        )
    return None


def check_known_roles(runtime: Runtime, tenant: str, roles: Iterable[str]) -> None:
    """Refuse roles that neither are built in nor in the tenant's ``roles.yaml``.

    Raises:
        RegistryError: naming the unknown role, the known ones and the closest match.
        TenantNotFoundError: unknown tenant or nothing published.
    """
    from trellis.tenants.registry import RegistryError

    known = sorted({*BUILTIN_ROLES, *runtime.app(tenant).model.roles})
    for role in roles:
        if role not in known:
            close = difflib.get_close_matches(role, known, n=1)
            t = cli_translator()
            hint = " " + t.gettext("(did you mean '%(name)s'?)", name=close[0]) if close else ""
            raise RegistryError(
                t.gettext(
                    "Unknown role '%(role)s' in tenant '%(tenant)s': known roles are "
                    "%(known)s%(hint)s.",
                    role=role,
                    tenant=tenant,
                    known=", ".join(known),
                    hint=hint,
                )
            )


__all__ = [
    "BUILTIN_ROLES",
    "PasswordInputError",
    "add_password_options",
    "check_known_roles",
    "password_for",
    "read_new_password",
]
