"""The ``trellis`` command line: serve, tenants, publish, tokens, metadata checks.

It sits above the six layers, so it may wire all of them together.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.access_cli import add_access_commands, add_profile_options
from trellis.backup_cli import add_backup_commands
from trellis.cli_text import CliError, cli_translator, error_text
from trellis.data_cli import add_data_commands
from trellis.db_cli import add_db_commands
from trellis.dedup_cli import add_dedup_commands
from trellis.gdpr_cli import add_gdpr_commands
from trellis.import_cli import add_import_commands
from trellis.jobs_cli import add_job_commands
from trellis.keys_cli import add_keys_commands
from trellis.links_cli import add_link_commands
from trellis.members_cli import add_password_options
from trellis.packages_cli import add_package_commands
from trellis.platform.config import ConfigError, config_from_env
from trellis.rates_cli import add_rates_commands
from trellis.search_cli import add_search_commands
from trellis.serve_cli import add_serve_command
from trellis.tenants_cli import add_tenant_commands, create_tenant

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime

# Only the standard library and the light modules above are imported at start, so that
# ``trellis --help`` answers at once; each command imports what it uses when it runs.

_DURATION = re.compile(r"^(\d+)([dhm])$")

#: Exit code of a bad ``TRELLIS_*`` value (nothing started, nothing written).
EXIT_CONFIG = 2


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _runtime(args: argparse.Namespace) -> Runtime:
    from trellis.platform.runtime import Runtime

    return Runtime(config_from_env(args.data_dir))


def cmd_publish(args: argparse.Namespace) -> None:
    from trellis.platform.drafts import DestructiveChangeError, DraftError
    from trellis.platform.drafts.data_steps import DataStepError, cli_data_steps
    from trellis.platform.drafts.package import publish_package

    runtime = _runtime(args)
    try:
        result, changes, backup = publish_package(
            runtime,
            args.tenant,
            Path(args.path),
            dry_run=args.dry_run,
            allow_destructive=args.allow_destructive,
            data_steps=cli_data_steps(args.fill, args.map_option),
        )
    except DestructiveChangeError as exc:
        t = cli_translator()
        note = t.gettext("Nothing was applied; add --allow-destructive to go ahead.")
        raise CliError(f"{exc.translated(t)}\n{note}") from None
    except (DraftError, DataStepError) as exc:
        raise CliError(str(exc)) from None
    finally:
        runtime.close()
    t = cli_translator()
    _out(result.render(t))
    for change in changes:
        _out(t.gettext("data: %(change)s", change=t.message(change)))
    if backup:
        _out(t.gettext("backup: %(path)s", path=str(backup)))


def cmd_migrate(args: argparse.Namespace) -> None:
    from trellis.platform.publish import publish

    runtime = _runtime(args)
    try:
        info = runtime.tenant(args.tenant, fresh=True)
        if info.current_version is None:
            raise CliError(
                cli_translator().gettext(
                    "Tenant '%(tenant)s' has nothing published yet.", tenant=args.tenant
                )
            )
        version = runtime.registry.get_version(info.id, info.current_version)
        if version is None:
            raise CliError(
                cli_translator().gettext(
                    "Version %(version)s of '%(tenant)s' is missing.",
                    version=info.current_version,
                    tenant=args.tenant,
                )
            )
        runtime.app(args.tenant)  # writes the stored package out and checks it
        folder = runtime.package_cache_dir(args.tenant, version)
        result = publish(runtime, args.tenant, folder, dry_run=args.dry_run, published_by="migrate")
        _out(result.render(cli_translator()))
    finally:
        runtime.close()


def _duration(text: str | None) -> timedelta | None:
    if text is None:
        return None
    match = _DURATION.match(text)
    if match is None:
        raise CliError(
            cli_translator().gettext(
                "--expires '%(text)s' is not a duration: use e.g. 30d, 12h or 90m.", text=text
            )
        )
    amount, unit = int(match.group(1)), match.group(2)
    return {
        "d": timedelta(days=amount),
        "h": timedelta(hours=amount),
        "m": timedelta(minutes=amount),
    }[unit]


def cmd_token_create(args: argparse.Namespace) -> None:
    from trellis.platform.identity.two_factor_policy import (
        TwoFactorRequiredError,
        check_token_allowed,
    )

    expires_in = _duration(args.expires)
    runtime = _runtime(args)
    try:
        check_token_allowed(runtime, args.tenant, args.email)
        token = runtime.registry.create_token(args.tenant, args.email, expires_in=expires_in)
    except TwoFactorRequiredError as exc:
        raise CliError(str(exc)) from None
    finally:
        runtime.close()
    _out(
        cli_translator().gettext(
            "API token for %(email)s in tenant '%(tenant)s' (shown once):",
            email=args.email,
            tenant=args.tenant,
        )
    )
    _out(token)


def cmd_user_create(args: argparse.Namespace) -> None:
    from trellis.access_cli import apply_profile_options, store_member_roles
    from trellis.members_cli import check_known_roles, password_for

    t = cli_translator()
    runtime = _runtime(args)
    try:
        info = runtime.tenant(args.tenant, fresh=True)
        check_known_roles(runtime, args.tenant, args.role or [])
        existed = runtime.registry.user_id(args.email) is not None
        password = password_for(runtime, args, args.email, args.tenant, warn=_err)
        user_id = runtime.registry.ensure_user(args.email, password)
        if existed and password is not None:
            target = f"user:{args.email.strip().lower()}"
            runtime.registry.audit.record(info.id, "auth.password.reset", target=target)
            _out(t.gettext("The password of %(email)s was reset.", email=args.email))
        runtime.registry.add_membership(args.tenant, user_id, args.role or [])
        store_member_roles(runtime, args.tenant, args.email)
        apply_profile_options(runtime, args)
    finally:
        runtime.close()
    _out(
        t.gettext(
            "User %(email)s is a member of '%(tenant)s' with roles: %(roles)s.",
            email=args.email,
            tenant=args.tenant,
            roles=", ".join(args.role or []) or t.gettext("(none)"),
        )
    )


def cmd_metadata_validate(args: argparse.Namespace) -> None:
    from trellis.metadata.loader import load_package
    from trellis.rules.checker import RuleExpressionChecker

    model = load_package(args.path, checker=RuleExpressionChecker())
    _out(
        cli_translator().ngettext(
            "OK: %(name)s %(version)s, %(num)s entity, no errors.",
            "OK: %(name)s %(version)s, %(num)s entities, no errors.",
            len(model.entities),
            name=model.name,
            version=model.version,
        )
    )


def _with_data_dir(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--data-dir",
        default=None,
        help="data directory (default: $TRELLIS_DATA_DIR or ./trellis-data)",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog="trellis", description="Trellis low-code platform.")
    sub = parser.add_subparsers(dest="command", required=True)

    add_serve_command(sub, _with_data_dir)

    add_tenant_commands(sub, _with_data_dir)

    pub = _with_data_dir(sub.add_parser("publish", help="publish an app package to a tenant"))
    pub.add_argument("tenant", help="the tenant's name")
    pub.add_argument("path", help="the app package folder")
    pub.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    pub.add_argument(
        "--allow-destructive",
        action="store_true",
        help="go ahead with changes that hide or invalidate stored data",
    )
    pub.add_argument(
        "--fill",
        action="append",
        default=[],
        metavar="ENTITY.FIELD=VALUE",
        help="data step: set a newly required field where it is empty (repeatable)",
    )
    pub.add_argument(
        "--map-option",
        action="append",
        default=[],
        metavar="ENTITY.FIELD:OLD=NEW",
        help="data step: move rows off a removed enum option (repeatable)",
    )
    pub.set_defaults(func=cmd_publish)

    mig = _with_data_dir(sub.add_parser("migrate", help="re-sync a tenant's schema"))
    mig.add_argument("--tenant", required=True, help="the tenant's name")
    mig.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    mig.set_defaults(func=cmd_migrate)

    token = sub.add_parser("token", help="API tokens").add_subparsers(
        dest="token_command", required=True
    )
    tcreate = _with_data_dir(token.add_parser("create", help="create an API token"))
    tcreate.add_argument("tenant", help="the tenant's name")
    tcreate.add_argument("email", help="the member the token acts as")
    tcreate.add_argument("--expires", default=None, help="e.g. 30d, 12h, 90m")
    tcreate.set_defaults(func=cmd_token_create)

    user = sub.add_parser("user", help="users").add_subparsers(dest="user_command", required=True)
    ucreate = _with_data_dir(user.add_parser("create", help="create a user in a tenant"))
    ucreate.add_argument("tenant", help="the tenant's name")
    ucreate.add_argument("email", help="the user's e-mail (their sign-in name)")
    add_password_options(ucreate, who="user")
    ucreate.add_argument("--role", action="append", help="a role (repeatable)")
    add_profile_options(ucreate)
    ucreate.set_defaults(func=cmd_user_create)
    add_access_commands(token, user, _with_data_dir)

    meta = sub.add_parser("metadata", help="app package tools").add_subparsers(
        dest="metadata_command", required=True
    )
    validate = _with_data_dir(meta.add_parser("validate", help="check an app package"))
    validate.add_argument("path", help="the app package folder")
    validate.set_defaults(func=cmd_metadata_validate)
    add_package_commands(meta, sub, _with_data_dir)
    add_job_commands(sub, _with_data_dir)
    add_data_commands(sub, _with_data_dir)
    add_import_commands(sub, _with_data_dir)
    add_link_commands(sub, _with_data_dir)
    add_rates_commands(sub, _with_data_dir)
    add_search_commands(sub, _with_data_dir)
    add_dedup_commands(sub, _with_data_dir)
    add_backup_commands(sub, _with_data_dir)
    add_gdpr_commands(sub, _with_data_dir)
    add_keys_commands(sub, _with_data_dir)
    add_db_commands(sub, _with_data_dir)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    from trellis.metadata.diagnostics import MetadataError
    from trellis.platform.db.sync import SchemaSyncError
    from trellis.platform.runtime import TenantNotFoundError
    from trellis.tenants.registry import PasswordPolicyError, RegistryError

    try:
        code = args.func(args)
    except ConfigError as exc:  # before ValueError: a bad TRELLIS_* value
        for problem in exc.problems:
            _err(f"error: {problem}")
        return EXIT_CONFIG
    except MetadataError as exc:
        for diagnostic in exc.diagnostics:
            _err(str(diagnostic))
        errors = len(exc.errors)
        _err(
            cli_translator().ngettext(
                "%(num)s error; nothing was applied.",
                "%(num)s errors; nothing was applied.",
                errors,
            )
        )
        return 1
    except SchemaSyncError as exc:
        _err(f"error: {exc}")
        return 1
    except (CliError, RegistryError, TenantNotFoundError, PasswordPolicyError, ValueError) as exc:
        _err(f"error: {error_text(exc)}")
        return 1
    return code if isinstance(code, int) else 0


__all__ = ["CliError", "build_parser", "create_tenant", "main"]


if __name__ == "__main__":
    sys.exit(main())
