"""Upgrade a tenant's template: merge, resolve, then validate and plan like any publish."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trellis.platform.app_packages.archive import PackageError, TemplatePackage
from trellis.platform.app_packages.canonical import parse_yaml
from trellis.platform.app_packages.install import check_newer, package_folder, remember
from trellis.platform.app_packages.installs import TemplateInstall, latest_install
from trellis.platform.app_packages.merge import MergeResult, merge_packages
from trellis.platform.i18n import Translator

if TYPE_CHECKING:
    from trellis.platform.publish import PublishResult
    from trellis.platform.runtime import Runtime
    from trellis.tenants.registry import TenantInfo

RESOLUTION_WORDS = ("ours", "theirs")


@dataclass(frozen=True, slots=True)
class UpgradeResult:
    """An upgrade's merge and, when no conflict is left, its publish (or dry run)."""

    tenant: str
    installed: TemplateInstall
    package: TemplatePackage
    merge: MergeResult
    publish: PublishResult | None

    @property
    def blocked(self) -> bool:
        """True while a conflict has no resolution (nothing was applied)."""
        return bool(self.merge.unresolved)

    def as_json(self) -> dict[str, Any]:
        """The report as ``--json`` prints it."""
        plan = self.publish.plan.render() if self.publish is not None else None
        return {
            "tenant": self.tenant,
            "template": self.package.name,
            "from": self.installed.version,
            "to": self.package.version,
            "conflicts": [c.as_json() for c in self.merge.conflicts],
            "unresolved": len(self.merge.unresolved),
            "plan": plan,
            "dry_run": self.publish.dry_run if self.publish is not None else None,
            "applied": self.publish is not None and not self.publish.dry_run,
            "version": self.publish.version_no if self.publish is not None else None,
        }

    def render(self, t: Translator | None = None) -> str:
        """The report as text: conflicts (path, base, theirs, ours), then the plan, in
        ``t``'s language (English without one; ``base``/``theirs``/``ours`` are the
        resolution words and stay as they are)."""
        t = t or Translator()
        lines = [
            t.gettext(
                "Upgrade of '%(tenant)s': %(name)s %(old)s -> %(new)s",
                tenant=self.tenant,
                name=self.package.name,
                old=self.installed.version,
                new=self.package.version,
            )
        ]
        for c in self.merge.conflicts:
            state = (
                t.gettext("resolved: %(how)s", how=c.resolution)
                if c.resolution
                else t.gettext("UNRESOLVED")
            )
            lines.append(
                t.gettext(
                    "conflict (%(kind)s, %(state)s): %(path)s",
                    kind=c.kind,
                    state=state,
                    path=c.path,
                )
            )
            for side, value in (("base", c.base), ("theirs", c.theirs), ("ours", c.ours)):
                lines.append(f"  {side}: {_short(value)}")
        if self.blocked:
            lines.append(
                t.ngettext(
                    "%(num)s unresolved conflict: nothing was applied. Resolve each path as "
                    "ours, theirs or {value: ...} in a file given with --resolutions.",
                    "%(num)s unresolved conflicts: nothing was applied. Resolve each path as "
                    "ours, theirs or {value: ...} in a file given with --resolutions.",
                    len(self.merge.unresolved),
                )
            )
        elif self.publish is not None:
            lines.append(self.publish.render(t))
        return "\n".join(lines)


def _short(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def read_resolutions(text: str, path: str) -> dict[str, Any]:
    """A resolutions file: ``path: ours | theirs | {value: ...}`` (YAML or JSON).

    Raises:
        PackageError: not a mapping of paths to resolutions.
        MetadataError: not valid YAML.
    """
    data = parse_yaml(text, path) or {}
    if not isinstance(data, dict):
        raise PackageError(f"{path}: expected a mapping of conflict paths to resolutions.")
    for key, choice in data.items():
        if choice not in RESOLUTION_WORDS and not (isinstance(choice, dict) and "value" in choice):
            raise PackageError(
                f"{path}: '{key}' must be resolved as ours, theirs or {{value: ...}}."
            )
    return {str(k): v for k, v in data.items()}


def installed_base(runtime: Runtime, info: TenantInfo) -> TemplateInstall:
    """The template version the tenant runs: its install record, or else the first
    published version (a tenant created from a template folder before installs were
    recorded)."""
    install = latest_install(runtime, info)
    if install is not None:
        return install
    first = runtime.registry.get_version(info.id, 1)
    if first is None:
        raise PackageError(f"Tenant '{info.name}' has no template to upgrade.")
    return TemplateInstall(first.app_name, first.app_version, "install", first.files, 1)


def upgrade_template(
    runtime: Runtime,
    tenant: str,
    package: TemplatePackage,
    *,
    resolutions: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    upgraded_by: str | None = None,
) -> UpgradeResult:
    """Merge ``package`` with the tenant's changes; publish unless blocked or a dry run.

    Raises:
        PackageError: another template, the same version or a downgrade.
        MetadataError: the merged metadata is invalid (nothing applied).
        SchemaSyncError: the plan cannot be applied.
    """
    from trellis.platform.app_packages.export import current_version
    from trellis.platform.publish import publish

    info = runtime.tenant(tenant, fresh=True)
    installed = installed_base(runtime, info)
    check_newer(installed, package)
    ours = current_version(runtime, tenant).files
    merged = merge_packages(installed.files, package.files, ours, resolutions)
    if merged.unresolved:
        return UpgradeResult(tenant, installed, package, merged, None)
    with package_folder(merged.files) as folder:
        result = publish(
            runtime,
            tenant,
            folder,
            dry_run=dry_run,
            published_by=upgraded_by,
            expected_version=info.current_version,
        )
    if not dry_run:
        detail = {
            "from": installed.version,
            "conflicts": [c.as_json() for c in merged.conflicts][:50],
            "plan": result.plan.render()[:2000],
        }
        remember(runtime, info, package, "upgrade", upgraded_by, detail)
    return UpgradeResult(tenant, installed, package, merged, result)


__all__ = ["UpgradeResult", "installed_base", "read_resolutions", "upgrade_template"]
