"""The import direction between the six folders stays as DESIGN.md §1 draws it.

Beyond the folder table, three finer rules hold:

- the domain packages (metadata/, rules/, tenants/ and every platform/ package but
  platform/api) never import the HTTP layer (``trellis.platform.api``) or the screens
  (``trellis.ui``): the API and the screens call the domain, never the other way;
- nothing below the command line imports the top-level ``trellis`` modules (``trellis/*.py``,
  the CLI entry points);
- a route module (``*_routes.py``, or an API ``*_controller.py``) is imported only inside
  its own package, where the app wires it; logic another package needs lives in a domain
  module the routes call.

Size rules keep modules small enough to read: no module over 400 lines, no class in an
``__init__.py`` over 40 lines.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {
    "metadata": set(),
    "rules": {"metadata"},
    "tenants": {"metadata"},
    "platform": {"metadata", "rules", "tenants"},
    "ui": {"metadata", "rules", "tenants", "platform"},
    "seed": set(),
}
SOURCE_FOLDERS = tuple(ALLOWED)
DOMAIN_FORBIDDEN = ("trellis.platform.api", "trellis.ui")
MAX_MODULE_LINES = 400
MAX_INIT_CLASS_LINES = 40


@dataclass(frozen=True)
class Module:
    """One source file: its path in the tree and its dotted package."""

    path: Path
    folder: str
    package: str

    @property
    def is_domain(self) -> bool:
        """True for metadata/, rules/, tenants/ and platform/ outside platform/api."""
        if self.folder in {"metadata", "rules", "tenants"}:
            return True
        return self.folder == "platform" and not _within(self.package, "trellis.platform.api")


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _modules(root: Path) -> list[Module]:
    found: list[Module] = []
    for folder in SOURCE_FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            package = ".".join(("trellis", *parts[:-1]))
            found.append(Module(path, folder, package))
    return found


def _imports(path: Path, package: str = "trellis") -> set[str]:
    """Every module a file names in an import, relative ones resolved against ``package``.

    ``from a.b import c`` yields both ``a.b`` and ``a.b.c`` (``c`` may be a module).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base:
                continue
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _cli_modules(root: Path) -> set[str]:
    return {f"trellis.{path.stem}" for path in (root / "trellis").glob("*.py")}


def _route_package(name: str) -> str | None:
    """The package of the route module ``name`` names (or lies in), None when there is none."""
    parts = name.split(".")
    for index, part in enumerate(parts[1:], start=1):
        if part.endswith(("_routes", "_controller")):
            return ".".join(parts[:index])
    return None


def layer_violations(root: Path) -> list[str]:
    """Every import in the tree below ``root`` that breaks a layer rule, one line each."""
    wrong: set[str] = set()
    cli = _cli_modules(root)
    for module in _modules(root):
        where = module.path.relative_to(root).as_posix()
        allowed = ALLOWED[module.folder]
        for name in _imports(module.path, module.package):
            parts = name.split(".")
            if parts[0] != "trellis" or len(parts) < 2:
                continue
            target = parts[1]
            if target in ALLOWED and target != module.folder and target not in allowed:
                wrong.add(f"{where} imports {name} (folder {module.folder} may not use {target})")
            if module.is_domain and any(_within(name, bad) for bad in DOMAIN_FORBIDDEN):
                wrong.add(f"{where} imports {name} (domain code may not use the API or the UI)")
            if any(_within(name, entry) for entry in cli):
                wrong.add(f"{where} imports {name} (nothing below the CLI imports it)")
            route_package = _route_package(name)
            if route_package is not None and route_package != module.package:
                wrong.add(f"{where} imports {name} (a route module from another package)")
    return sorted(wrong)


def long_modules(root: Path) -> list[str]:
    """Modules in the source folders over MAX_MODULE_LINES lines."""
    wrong: list[str] = []
    for module in _modules(root):
        count = len(module.path.read_text(encoding="utf-8").splitlines())
        if count > MAX_MODULE_LINES:
            wrong.append(f"{module.path.relative_to(root).as_posix()}: {count} lines")
    return wrong


def long_init_classes(root: Path) -> list[str]:
    """Classes defined in an ``__init__.py`` over MAX_INIT_CLASS_LINES lines."""
    wrong: list[str] = []
    for module in _modules(root):
        if module.path.name != "__init__.py":
            continue
        for node in ast.walk(ast.parse(module.path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                count = node.end_lineno - node.lineno + 1
                if count > MAX_INIT_CLASS_LINES:
                    where = module.path.relative_to(root).as_posix()
                    wrong.append(f"{where}: class {node.name} has {count} lines")
    return wrong


def test_imports_point_down_the_layers() -> None:
    assert layer_violations(REPO_ROOT) == []


def test_no_module_is_over_the_line_limit() -> None:
    assert long_modules(REPO_ROOT) == []


def test_no_long_class_hides_in_an_init_module() -> None:
    assert long_init_classes(REPO_ROOT) == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for folder in SOURCE_FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "trellis").mkdir(exist_ok=True)
    (root / "trellis" / "cli.py").write_text('"""Entry point."""\n')
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


CLEAN_TREE = {
    "metadata/model/core.py": "import json\n",
    "rules/expr/ast.py": "from trellis.metadata.model import core\n",
    "platform/records/service.py": "from trellis.rules.expr import ast\n",
    "platform/api/record_routes.py": "from trellis.platform.records.service import x\n",
    "platform/api/app.py": "from trellis.platform.api.record_routes import routes\n",
    "platform/api/serialize.py": "from . import record_routes\n",
    "ui/screens/app.py": "from trellis.platform.api.app import create_app\n",
    "trellis/jobs_cli.py": "from trellis.platform.api.app import create_app\n",
}


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    assert layer_violations(_tree(tmp_path, CLEAN_TREE)) == []


def test_the_checker_catches_each_kind_of_wrong_import(tmp_path: Path) -> None:
    planted = {
        **CLEAN_TREE,
        "metadata/model/up.py": "from trellis.rules.expr.ast import Node\n",
        "platform/activity/service.py": "from trellis.platform.api.tenant_api import Call\n",
        "platform/authz/scope.py": "from trellis.platform import api\n",
        "tenants/registry/view.py": "import trellis.ui.screens.present\n",
        "rules/expr/late.py": "def f():\n    from trellis.ui.screens import web\n",
        "platform/db/cli_use.py": "from trellis.cli import main\n",
        "ui/screens/version.py": "from trellis import cli\n",
        "ui/screens/admin.py": "from trellis.platform.api.record_routes import change\n",
        "platform/jobs/change.py": "from ..api import record_routes\n",
    }
    assert layer_violations(_tree(tmp_path, planted)) == sorted(
        [
            "metadata/model/up.py imports trellis.rules.expr.ast"
            " (folder metadata may not use rules)",
            "metadata/model/up.py imports trellis.rules.expr.ast.Node"
            " (folder metadata may not use rules)",
            "platform/activity/service.py imports trellis.platform.api.tenant_api"
            " (domain code may not use the API or the UI)",
            "platform/activity/service.py imports trellis.platform.api.tenant_api.Call"
            " (domain code may not use the API or the UI)",
            "platform/authz/scope.py imports trellis.platform.api"
            " (domain code may not use the API or the UI)",
            "platform/db/cli_use.py imports trellis.cli (nothing below the CLI imports it)",
            "platform/db/cli_use.py imports trellis.cli.main (nothing below the CLI imports it)",
            "platform/jobs/change.py imports trellis.platform.api"
            " (domain code may not use the API or the UI)",
            "platform/jobs/change.py imports trellis.platform.api.record_routes"
            " (a route module from another package)",
            "platform/jobs/change.py imports trellis.platform.api.record_routes"
            " (domain code may not use the API or the UI)",
            "rules/expr/late.py imports trellis.ui.screens (folder rules may not use ui)",
            "rules/expr/late.py imports trellis.ui.screens"
            " (domain code may not use the API or the UI)",
            "rules/expr/late.py imports trellis.ui.screens.web (folder rules may not use ui)",
            "rules/expr/late.py imports trellis.ui.screens.web"
            " (domain code may not use the API or the UI)",
            "tenants/registry/view.py imports trellis.ui.screens.present"
            " (folder tenants may not use ui)",
            "tenants/registry/view.py imports trellis.ui.screens.present"
            " (domain code may not use the API or the UI)",
            "ui/screens/admin.py imports trellis.platform.api.record_routes"
            " (a route module from another package)",
            "ui/screens/admin.py imports trellis.platform.api.record_routes.change"
            " (a route module from another package)",
            "ui/screens/version.py imports trellis.cli (nothing below the CLI imports it)",
        ]
    )


def test_the_size_checks_catch_long_code(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_INIT_CLASS_LINES))
    root = _tree(
        tmp_path,
        {
            "platform/db/__init__.py": f"class Big:\n{body}",
            "platform/db/small.py": "class Small:\n    x = 1\n",
            "rules/expr/long.py": "x = 1\n" * (MAX_MODULE_LINES + 1),
            "rules/expr/fits.py": "x = 1\n" * MAX_MODULE_LINES,
        },
    )
    assert long_init_classes(root) == [
        f"platform/db/__init__.py: class Big has {MAX_INIT_CLASS_LINES + 1} lines"
    ]
    assert long_modules(root) == [f"rules/expr/long.py: {MAX_MODULE_LINES + 1} lines"]
