"""Install a checked template package into a tenant and remember it as the upgrade base."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.platform.app_packages.archive import PackageError, TemplatePackage
from trellis.platform.app_packages.export import write_package
from trellis.platform.app_packages.installs import TemplateInstall, latest_install, record_install
from trellis.platform.app_packages.lock import LOCK_FILE

if TYPE_CHECKING:
    from trellis.platform.publish import PublishResult
    from trellis.platform.runtime import Runtime
    from trellis.tenants.registry import TenantInfo

#: Creates the tenant from a package folder (the CLI's ``tenant create``) and publishes it.
CreateTenant = Callable[[Path], object]


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What an install did."""

    template: TemplatePackage
    #: The publish's outcome; None when the tenant was created from the package.
    publish: PublishResult | None


def version_key(text: str) -> object:
    """A template version as something ordered (``PackageError`` when it is not one)."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        raise PackageError(f"'{text}' is not a version such as 1.2.0.") from None


def check_newer(installed: TemplateInstall | None, package: TemplatePackage) -> None:
    """Refuse another template, the same version again, or a downgrade."""
    if installed is None:
        return
    if installed.name != package.name:
        raise PackageError(
            f"The tenant runs template '{installed.name}'; '{package.name}' cannot replace it."
        )
    old, new = version_key(installed.version), version_key(package.version)
    if new == old:
        raise PackageError(f"{package.label()} is already installed.")
    if new < old:  # type: ignore[operator]
        raise PackageError(
            f"{package.label()} is older than the installed {installed.version}: "
            "downgrades are refused."
        )


@contextmanager
def package_folder(files: Mapping[str, str]) -> Iterator[Path]:
    """``files`` written into a temporary package folder, removed afterwards.

    Metadata errors name the package's own paths (``entities/x.yaml:3:5``), not the
    temporary folder's.
    """
    from trellis.metadata.diagnostics import MetadataError

    with tempfile.TemporaryDirectory(prefix="trellis-package-") as temp:
        folder = Path(temp) / "package"
        write_package(files, folder)
        prefix = folder.as_posix() + "/"
        try:
            yield folder
        except MetadataError as exc:
            raise MetadataError(
                [
                    replace(d, span=replace(d.span, path=d.span.path.removeprefix(prefix)))
                    for d in exc.diagnostics
                ]
            ) from None


def remember(
    runtime: Runtime,
    info: TenantInfo,
    package: TemplatePackage,
    action: str,
    installed_by: str | None,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Record the template version with the ids its nodes got in the tenant."""
    current = runtime.tenant(info.name, fresh=True)
    version = (
        runtime.registry.get_version(current.id, current.current_version)
        if current.current_version
        else None
    )
    files = dict(package.files)
    if version is not None and LOCK_FILE in version.files:
        files[LOCK_FILE] = version.files[LOCK_FILE]
    number = version.version_no if version is not None else None
    install = TemplateInstall(package.name, package.version, action, files, number)
    record_install(runtime, current, install, installed_by, detail)


def install_template(
    runtime: Runtime,
    tenant: str,
    package: TemplatePackage,
    *,
    installed_by: str | None,
    create: CreateTenant | None = None,
) -> InstallResult:
    """Publish ``package`` to ``tenant`` (created by ``create`` when it does not exist).

    Raises:
        PackageError: another template or a newer version is installed already.
        MetadataError: the package's metadata is invalid (nothing applied).
        TenantNotFoundError: no such tenant and no ``create``.
    """
    from trellis.platform.publish import publish
    from trellis.platform.runtime import TenantNotFoundError

    try:
        info: TenantInfo | None = runtime.tenant(tenant, fresh=True)
    except TenantNotFoundError:
        if create is None:
            raise
        info = None
    if info is not None:
        check_newer(latest_install(runtime, info), package)
    with package_folder(package.files) as folder:
        result: PublishResult | None = None
        if info is None and create is not None:
            create(folder)
        else:
            result = publish(runtime, tenant, folder, published_by=installed_by)
    remember(runtime, runtime.tenant(tenant, fresh=True), package, "install", installed_by)
    return InstallResult(package, result)


__all__ = ["InstallResult", "check_newer", "install_template", "package_folder", "version_key"]
