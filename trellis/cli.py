"""The ``trellis`` command line: serve, tenants, publish, tokens, metadata checks.

It sits above the six layers, so it may wire all of them together.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.access_cli import add_access_commands, add_profile_options
from trellis.backup_cli import add_backup_commands
from trellis.cli_text import error_text
from trellis.data_cli import add_data_commands
from trellis.dedup_cli import add_dedup_commands
from trellis.gdpr_cli import add_gdpr_commands
from trellis.import_cli import add_import_commands
from trellis.jobs_cli import add_job_commands, add_tenant_job_commands
from trellis.keys_cli import add_keys_commands
from trellis.links_cli import add_link_commands
from trellis.members_cli import add_password_options
from trellis.packages_cli import add_package_commands
from trellis.platform.config import ConfigError, check_tenant_name, config_from_env
from trellis.rates_cli import add_rates_commands
from trellis.search_cli import add_search_commands
from trellis.seed.crm import PACKAGE_PATH as CRM_PACKAGE
from trellis.serve_cli import add_serve_command

if TYPE_CHECKING:
    from trellis.platform.publish import PublishResult
    from trellis.platform.runtime import Runtime

# Only the standard library and the light modules above are imported at start, so that
# ``trellis --help`` answers at once; each command imports what it uses when it runs.

TEMPLATES = {"crm": CRM_PACKAGE}
_DURATION = re.compile(r"^(\d+)([dhm])$")


#: Where a template keeps its demo data spec (docs/demo-data.md).
DEMO_SPEC_PATH = "data/demo/spec.yaml"

#: Exit code of a bad ``TRELLIS_*`` value (nothing started, nothing written).
EXIT_CONFIG = 2


class CliError(Exception):
    """A command failed with a message for the user (exit code 1)."""


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _runtime(args: argparse.Namespace) -> Runtime:
    from trellis.platform.runtime import Runtime

    return Runtime(config_from_env(args.data_dir))


def _template_path(template: str) -> Path:
    if template in TEMPLATES:
        return Path(str(TEMPLATES[template]))
    path = Path(template)
    if not (path / "app.yaml").exists():
        raise CliError(
            f"Unknown template '{template}': use one of {sorted(TEMPLATES)} or the "
            "path of an app package folder."
        )
    return path


def create_tenant(
    runtime: Runtime, name: str, template: str, admin: str, password: str | None
) -> str:
    """Create tenant ``name`` from ``template`` with an admin user; returns the plan text.

    ``password`` None keeps the password of an existing account.
    """
    return _create_tenant(runtime, name, template, admin, password).render()


def _create_tenant(
    runtime: Runtime, name: str, template: str, admin: str, password: str | None
) -> PublishResult:
    from trellis.access_cli import store_member_roles
    from trellis.metadata.loader import load_package
    from trellis.platform.publish import publish
    from trellis.rules.checker import RuleExpressionChecker

    check_tenant_name(name)
    package = _template_path(template)
    load_package(package, checker=RuleExpressionChecker())
    user_id = runtime.registry.ensure_user(admin, password)
    runtime.registry.create_tenant(name)
    runtime.registry.add_membership(name, user_id, ["admin"])
    store_member_roles(runtime, name, admin)
    return publish(runtime, name, package, published_by=admin)


def cmd_tenant_create(args: argparse.Namespace) -> None:
    from trellis.members_cli import password_for
    from trellis.tenants.registry import RegistryError

    check_tenant_name(args.name)
    folder = _template_path(args.template)
    if args.demo and not (folder / DEMO_SPEC_PATH).is_file():
        raise CliError(f"Template '{args.template}' has no demo data ({DEMO_SPEC_PATH}).")
    runtime = _runtime(args)
    try:
        if runtime.registry.get_tenant(args.name) is not None:
            raise RegistryError(f"Tenant '{args.name}' already exists.")
        password = password_for(runtime, args, args.admin, args.name, warn=_err)
        result = _create_tenant(runtime, args.name, args.template, args.admin, password)
        demo = _demo(runtime, args) if args.demo else None
    finally:
        runtime.close()
    if args.verbose:
        _out(result.render())
    kept = "" if password is not None else " (existing account, password kept)"
    count = len(result.model.entities)
    app = f"{result.model.name} {result.model.version}, {count} entit{'y' if count == 1 else 'ies'}"
    _out(f"Tenant '{args.name}' created from {app}; admin: {args.admin}{kept}.")
    if demo is not None:
        _out(demo)


def _demo(runtime: Runtime, args: argparse.Namespace) -> str:
    """Fill the new tenant with its template's demo data; the summary line."""
    from trellis.platform.demo_data import create_demo, demo_files

    folder = _template_path(args.template)
    result = create_demo(
        runtime,
        args.name,
        demo_files(folder),
        admin=args.admin,
        scale=args.scale,
        seed=args.seed,
        anchor=args.anchor,
        root=str(folder),
    )
    suppressed = result.emails_suppressed + result.webhooks_suppressed
    return (
        f"Demo data: {result.users} users, {result.total} records, "
        f"{result.history_saves} history saves; {suppressed} e-mails and webhooks not sent."
    )


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(f"'{text}' is not a scale above 0 and at most 100")
    return value


def _anchor(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


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
        raise CliError(
            f"{exc}\nNothing was applied; add --allow-destructive to go ahead."
        ) from None
    except (DraftError, DataStepError) as exc:
        raise CliError(str(exc)) from None
    finally:
        runtime.close()
    _out(result.render())
    for change in changes:
        _out(f"data: {change}")
    if backup:
        _out(f"backup: {backup}")


def cmd_migrate(args: argparse.Namespace) -> None:
    from trellis.platform.publish import publish

    runtime = _runtime(args)
    info = runtime.tenant(args.tenant, fresh=True)
    if info.current_version is None:
        raise CliError(f"Tenant '{args.tenant}' has nothing published yet.")
    version = runtime.registry.get_version(info.id, info.current_version)
    if version is None:
        raise CliError(f"Version {info.current_version} of '{args.tenant}' is missing.")
    runtime.app(args.tenant)  # writes the stored package out and checks it
    folder = runtime.package_cache_dir(args.tenant, version)
    result = publish(runtime, args.tenant, folder, dry_run=args.dry_run, published_by="migrate")
    _out(result.render())


def _duration(text: str | None) -> timedelta | None:
    if text is None:
        return None
    match = _DURATION.match(text)
    if match is None:
        raise CliError(f"--expires '{text}' is not a duration: use e.g. 30d, 12h or 90m.")
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

    runtime = _runtime(args)
    try:
        check_token_allowed(runtime, args.tenant, args.email)
    except TwoFactorRequiredError as exc:
        raise CliError(str(exc)) from None
    token = runtime.registry.create_token(
        args.tenant, args.email, expires_in=_duration(args.expires)
    )
    _out(f"API token for {args.email} in tenant '{args.tenant}' (shown once):")
    _out(token)


def cmd_user_create(args: argparse.Namespace) -> None:
    from trellis.access_cli import apply_profile_options, store_member_roles
    from trellis.members_cli import check_known_roles, password_for

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
            _out(f"The password of {args.email} was reset.")
        runtime.registry.add_membership(args.tenant, user_id, args.role or [])
        store_member_roles(runtime, args.tenant, args.email)
        apply_profile_options(runtime, args)
    finally:
        runtime.close()
    _out(
        f"User {args.email} is a member of '{args.tenant}' with roles: "
        f"{', '.join(args.role or []) or '(none)'}."
    )


def cmd_metadata_validate(args: argparse.Namespace) -> None:
    from trellis.metadata.loader import load_package
    from trellis.rules.checker import RuleExpressionChecker

    model = load_package(args.path, checker=RuleExpressionChecker())
    _out(f"OK: {model.name} {model.version}, {len(model.entities)} entities, no errors.")


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

    tenant = sub.add_parser("tenant", help="manage tenants").add_subparsers(
        dest="tenant_command", required=True
    )
    create = _with_data_dir(tenant.add_parser("create", help="create a tenant"))
    create.add_argument("name", help="the new tenant's name (lowercase)")
    create.add_argument(
        "--template", default="crm", help="crm (default) or the folder of an app package"
    )
    create.add_argument("--admin", required=True, help="the e-mail of the tenant's first admin")
    create.add_argument(
        "--verbose", action="store_true", help="also print the plan (tables, columns, indexes)"
    )
    create.add_argument("--demo", action="store_true", help="also generate the demo data")
    create.add_argument(
        "--scale", type=_scale, default=1.0, help="demo size, e.g. 0.05 for 5%% (default 1)"
    )
    create.add_argument("--seed", type=int, default=None, help="demo seed (default: the spec's)")
    create.add_argument(
        "--anchor", type=_anchor, default=None, help="demo anchor date YYYY-MM-DD (default today)"
    )
    add_password_options(create, who="admin")
    create.set_defaults(func=cmd_tenant_create)
    add_tenant_job_commands(tenant, _with_data_dir)

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
        _err(f"{errors} error{'s' if errors != 1 else ''}; nothing was applied.")
        return 1
    except SchemaSyncError as exc:
        _err(f"error: {exc}")
        return 1
    except (CliError, RegistryError, TenantNotFoundError, PasswordPolicyError, ValueError) as exc:
        _err(f"error: {error_text(exc)}")
        return 1
    return code if isinstance(code, int) else 0


__all__ = ["build_parser", "main"]


if __name__ == "__main__":
    sys.exit(main())
