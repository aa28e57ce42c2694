"""``trellis tenant create``: a new tenant from a template, with its first admin and,
on ``--demo``, the template's demo data (docs/demo-data.md).

Commands import what they use when they run, so that ``trellis --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.cli_text import CliError, cli_translator
from trellis.jobs_cli import add_tenant_job_commands
from trellis.members_cli import add_password_options
from trellis.platform.config import check_tenant_name, config_from_env
from trellis.seed.crm import PACKAGE_PATH as CRM_PACKAGE

if TYPE_CHECKING:
    from trellis.platform.publish import PublishResult
    from trellis.platform.runtime import Runtime

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]

#: The templates known by name; any other value is the folder of an app package.
TEMPLATES = {"crm": CRM_PACKAGE}

#: Where a template keeps its demo data spec (docs/demo-data.md).
DEMO_SPEC_PATH = "data/demo/spec.yaml"


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _template_path(template: str) -> Path:
    if template in TEMPLATES:
        return Path(str(TEMPLATES[template]))
    path = Path(template)
    if not (path / "app.yaml").exists():
        raise CliError(
            cli_translator().gettext(
                "Unknown template '%(template)s': use one of %(known)s or the path of an app "
                "package folder.",
                template=template,
                known=sorted(TEMPLATES),
            )
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
        raise CliError(
            cli_translator().gettext(
                "Template '%(template)s' has no demo data (%(path)s).",
                template=args.template,
                path=DEMO_SPEC_PATH,
            )
        )
    from trellis.platform.runtime import Runtime

    runtime = Runtime(config_from_env(args.data_dir))
    try:
        if runtime.registry.get_tenant(args.name) is not None:
            raise RegistryError(
                cli_translator().gettext("Tenant '%(tenant)s' already exists.", tenant=args.name)
            )
        password = password_for(runtime, args, args.admin, args.name, warn=_err)
        result = _create_tenant(runtime, args.name, args.template, args.admin, password)
        demo = _demo(runtime, args) if args.demo else None
    finally:
        runtime.close()
    if args.verbose:
        _out(result.render())
    t = cli_translator()
    kept = "" if password is not None else t.gettext(" (existing account, password kept)")
    count = len(result.model.entities)
    entities = t.ngettext("%(num)s entity", "%(num)s entities", count)
    app = f"{result.model.name} {result.model.version}, {entities}"
    _out(
        t.gettext(
            "Tenant '%(tenant)s' created from %(app)s; admin: %(admin)s%(kept)s.",
            tenant=args.name,
            app=app,
            admin=args.admin,
            kept=kept,
        )
    )
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
    return cli_translator().gettext(
        "Demo data: %(users)s users, %(records)s records, %(saves)s history saves; "
        "%(suppressed)s e-mails and webhooks not sent.",
        users=result.users,
        records=result.total,
        saves=result.history_saves,
        suppressed=suppressed,
    )


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 100:
        raise argparse.ArgumentTypeError(
            cli_translator().gettext("'%(text)s' is not a scale above 0 and at most 100", text=text)
        )
    return value


def _anchor(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            cli_translator().gettext("'%(text)s' is not a date (YYYY-MM-DD)", text=text)
        ) from None


def add_tenant_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], with_data_dir: WithDataDir
) -> None:
    """Add ``trellis tenant create`` and the tenant's job commands."""
    tenant = sub.add_parser("tenant", help="manage tenants").add_subparsers(
        dest="tenant_command", required=True
    )
    create = with_data_dir(tenant.add_parser("create", help="create a tenant"))
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
    add_tenant_job_commands(tenant, with_data_dir)


__all__ = ["DEMO_SPEC_PATH", "TEMPLATES", "add_tenant_commands", "create_tenant"]
