"""``trellis metadata export`` and ``trellis template pack|install|upgrade`` (docs/templates.md).

``metadata export TENANT DIR`` writes the tenant's effective metadata as an app package in
canonical YAML with its lock file; ``template pack DIR -o FILE.zip`` makes a checked
template package; ``template install`` publishes one; ``template upgrade`` merges a newer
version with the tenant's own changes (exit code 3 while conflicts are unresolved).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.cli_text import cli_translator
from trellis.platform.config import check_tenant_name, config_from_env

if TYPE_CHECKING:
    from collections.abc import Mapping

    from trellis.platform.app_packages.archive import TemplatePackage
    from trellis.platform.runtime import Runtime

# Commands import what they use when they run, so that ``trellis --help`` stays fast.

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
#: Exit code of an upgrade blocked by unresolved conflicts (the report is printed).
EXIT_CONFLICTS = 3


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


@contextmanager
def _runtime(args: argparse.Namespace) -> Iterator[Runtime]:
    """The runtime for ``args.tenant``; package and export errors become CLI errors."""
    from trellis.cli import CliError
    from trellis.platform.app_packages.archive import PackageError
    from trellis.platform.app_packages.export import ExportError
    from trellis.platform.runtime import Runtime

    check_tenant_name(args.tenant)
    runtime = Runtime(config_from_env(args.data_dir))
    try:
        yield runtime
    except (PackageError, ExportError) as exc:
        raise CliError(str(exc)) from None
    finally:
        runtime.close()


def _package(path: str) -> TemplatePackage:
    from trellis.cli import CliError
    from trellis.platform.app_packages.archive import PackageError, read_package_file

    try:
        return read_package_file(Path(path))
    except PackageError as exc:
        raise CliError(str(exc)) from None


def cmd_metadata_export(args: argparse.Namespace) -> None:
    from trellis.platform.app_packages.export import export_files, write_package

    with _runtime(args) as runtime:
        files = export_files(runtime, args.tenant)
        write_package(files, Path(args.dir))
    _out(
        cli_translator().gettext(
            "Exported '%(tenant)s' to %(dir)s: %(count)s files.",
            tenant=args.tenant,
            dir=args.dir,
            count=len(files),
        )
    )


def cmd_template_pack(args: argparse.Namespace) -> None:
    from trellis.platform.app_packages.archive import pack

    package = pack(Path(args.dir), Path(args.output))
    _out(
        cli_translator().gettext(
            "Packed %(package)s (%(count)s files) into %(path)s.",
            package=package.label(),
            count=len(package.files),
            path=args.output,
        )
    )


def cmd_template_install(args: argparse.Namespace) -> None:
    from trellis.cli import CliError, create_tenant
    from trellis.platform.app_packages.install import install_template

    package = _package(args.package)
    with _runtime(args) as runtime:
        exists = runtime.registry.get_tenant(args.tenant) is not None
        if not exists and args.admin is None:
            raise CliError(
                cli_translator().gettext(
                    "No tenant '%(tenant)s': name its first admin with --admin.",
                    tenant=args.tenant,
                )
            )

        def create(folder: Path) -> object:
            from trellis.members_cli import password_for

            password = password_for(runtime, args, args.admin, args.tenant)
            return create_tenant(runtime, args.tenant, str(folder), args.admin, password)

        install_template(
            runtime, args.tenant, package, installed_by=args.admin or "cli", create=create
        )
        demo = _load_demo(runtime, args, package.files) if args.demo else 0
    t = cli_translator()
    extra = t.gettext(", %(count)s sample records", count=demo) if args.demo else ""
    _out(
        t.gettext(
            "Installed %(package)s into '%(tenant)s'%(extra)s.",
            package=package.label(),
            tenant=args.tenant,
            extra=extra,
        )
    )


def _load_demo(runtime: Runtime, args: argparse.Namespace, files: Mapping[str, str]) -> int:
    from trellis.data_cli import _member_call
    from trellis.platform.app_packages.demo import load_sample_data
    from trellis.platform.services.bundle import Services

    call = _member_call(runtime, args.tenant, args.admin)
    return load_sample_data(Services(runtime).records, call, files)


def cmd_template_upgrade(args: argparse.Namespace) -> int:
    import json

    from trellis.cli import CliError
    from trellis.platform.app_packages.archive import PackageError
    from trellis.platform.app_packages.upgrade import read_resolutions, upgrade_template

    package = _package(args.package)
    resolutions = None
    if args.resolutions is not None:
        try:
            text = Path(args.resolutions).read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(
                cli_translator().gettext(
                    "Cannot read '%(path)s': %(reason)s.",
                    path=args.resolutions,
                    reason=exc.strerror,
                )
            ) from None
        try:
            resolutions = read_resolutions(text, args.resolutions)
        except PackageError as exc:
            raise CliError(str(exc)) from None
    with _runtime(args) as runtime:
        result = upgrade_template(
            runtime,
            args.tenant,
            package,
            resolutions=resolutions,
            dry_run=args.dry_run,
            upgraded_by="cli",
        )
    if args.json:
        _out(json.dumps(result.as_json(), ensure_ascii=False, indent=2, default=str))
    else:
        _out(result.render(cli_translator()))
    return EXIT_CONFLICTS if result.blocked else 0


def add_package_commands(
    meta: argparse._SubParsersAction[argparse.ArgumentParser],
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    with_data_dir: WithDataDir,
) -> None:
    """``metadata export`` and ``template pack|install|upgrade``."""
    from trellis.members_cli import add_password_options

    export = with_data_dir(meta.add_parser("export", help="export a tenant's metadata"))
    export.add_argument("tenant", help="the tenant's name")
    export.add_argument("dir", help="a new (or empty) folder to write the package into")
    export.set_defaults(func=cmd_metadata_export)

    template = sub.add_parser("template", help="template packages").add_subparsers(
        dest="template_command", required=True
    )
    pack = template.add_parser("pack", help="check a package folder and zip it")
    pack.add_argument("dir", help="the app package folder")
    pack.add_argument("-o", "--output", required=True, help="the zip to write, e.g. crm-1.1.0.zip")
    pack.set_defaults(func=cmd_template_pack)

    install = with_data_dir(template.add_parser("install", help="install a template package"))
    install.add_argument("tenant", help="the tenant's name (created when it does not exist)")
    install.add_argument("package", help="the template package (.zip)")
    install.add_argument("--demo", action="store_true", help="also load the sample data")
    install.add_argument("--admin", default=None, help="the first admin of a new tenant")
    add_password_options(install, who="admin")
    install.set_defaults(func=cmd_template_install)

    upgrade = with_data_dir(
        template.add_parser("upgrade", help="merge a newer template version with the tenant's")
    )
    upgrade.add_argument("tenant", help="the tenant's name")
    upgrade.add_argument("package", help="the newer template package (.zip)")
    upgrade.add_argument("--dry-run", action="store_true", help="print the report, change nothing")
    upgrade.add_argument(
        "--resolutions", default=None, help="YAML or JSON: conflict path -> ours | theirs | {value}"
    )
    upgrade.add_argument("--json", action="store_true", help="print the report as JSON")
    upgrade.set_defaults(func=cmd_template_upgrade)


__all__ = ["EXIT_CONFLICTS", "add_package_commands"]
