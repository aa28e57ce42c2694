"""Published versions written out under ``packages/<tenant>/`` appear whole or not at all.

A server once loaded ``v1-…/app.yaml`` while another writer had just truncated it
(``MD004 … got nothing``) and answered 500. Readers here are separate runtimes
(as separate processes would be) and a raw folder reader, racing a publisher.
"""

from __future__ import annotations

import threading
from pathlib import Path

from trellis.metadata.loader import load_package
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.runtime.package_folders import COMPLETE_MARKER, TEMP_PREFIX

from helpers import PackageWriter

THING = "fields:\n  name: {type: string}\n"
PUBLISHES = 12


def _folders(runtime: Runtime, tenant: str) -> Path:
    return runtime.config.data_dir / "packages" / tenant


def test_readers_never_see_a_half_written_version_while_a_writer_publishes(
    runtime: Runtime, config: RuntimeConfig, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("acme")
    packages = [
        write_package(
            {"thing": THING, **{f"extra{j}": THING for j in range(i % 4)}}, version=f"1.{i}.0"
        )
        for i in range(PUBLISHES + 1)
    ]
    publish(runtime, "acme", packages[0])
    done = threading.Event()
    errors: list[BaseException] = []
    loads = [0]

    def load_through_a_runtime() -> None:
        reader = Runtime(config)
        try:
            while not done.is_set():
                app = reader.app("acme")
                assert "thing" in app.model.entities
                loads[0] += 1
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            reader.close()

    def load_final_folders() -> None:
        try:
            while not done.is_set():
                root = _folders(runtime, "acme")
                names = sorted(p.name for p in root.iterdir()) if root.exists() else []
                for name in (n for n in names if n.startswith("v")):
                    model = load_package(root / name, checker=runtime.checker)
                    assert "thing" in model.entities
                    loads[0] += 1
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=load_through_a_runtime) for _ in range(3)]
    readers.append(threading.Thread(target=load_final_folders))
    for reader in readers:
        reader.start()
    try:
        for package in packages[1:]:
            publish(runtime, "acme", package)
            runtime.app("acme")  # the writer's own runtime writes its folder out too
    finally:
        done.set()
        for reader in readers:
            reader.join(timeout=60)
    assert errors == []
    assert loads[0] > 0
    assert runtime.app("acme").model.version == f"1.{PUBLISHES}.0"
    left = [p.name for p in _folders(runtime, "acme").iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert left == []


def test_a_crashed_writers_temp_folder_is_ignored_and_cleaned(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_package({"thing": THING}))
    info = runtime.tenant("acme", fresh=True)
    version = runtime.registry.get_version(info.id, 1)
    assert version is not None
    final = runtime.package_cache_dir("acme", version)
    crashed = final.parent / f"{TEMP_PREFIX}{final.name}-deadbeef"
    (crashed / "entities").mkdir(parents=True)
    (crashed / "app.yaml").write_text("", encoding="utf-8")  # killed mid-write
    legacy_partial = final  # an older release's writer killed inside the final folder
    (legacy_partial / "entities").mkdir(parents=True)
    (legacy_partial / "app.yaml").write_text("", encoding="utf-8")

    app = runtime.app("acme")

    assert "thing" in app.model.entities
    assert not crashed.exists()
    assert (final / COMPLETE_MARKER).read_text(encoding="utf-8") == version.digest
    assert (final / "app.yaml").read_text(encoding="utf-8").startswith("name: testapp")
    assert sorted(p.name for p in final.parent.iterdir()) == [".lock", final.name]
