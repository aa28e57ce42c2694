"""``kill -9`` of ``trellis serve`` under load and of ``trellis publish`` (issue 12, deliver 3).

Client threads create deals one by one and in bulk batches while the server is
killed. Afterwards every acknowledged write is there with its change row, rule run
and outbox rows; an unacknowledged one is wholly there or wholly absent; and the
tenant's schema is exactly what its metadata version describes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from crash_support import kill, process_env, schema_agrees, server, start, table_rows

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from jobs_helpers import make_jobs_tenant

pytestmark = pytest.mark.slow

THREADS = 4
BATCH = 5
ACKED_BEFORE_KILL = 40


@pytest.fixture
def token(config: RuntimeConfig, tmp_path: Path) -> str:
    runtime = Runtime(config)
    try:
        return make_jobs_tenant(runtime, tmp_path)
    finally:
        runtime.close()


class Load:
    """Client threads saving deals; which writes were acknowledged (2xx) and which not."""

    def __init__(self, base: str, token: str) -> None:
        self.url = f"{base}/t/jobs/api/deal"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.acked: list[list[str]] = []  # names per acknowledged request
        self.unacked: list[list[str]] = []  # names per request without an answer
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self, index: int) -> None:
        with httpx.Client(headers=self.headers, timeout=60) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                bulk = n % 3 == 0
                names = [f"t{index}-{n}-{i}" for i in range(BATCH if bulk else 1)]
                items = [{"name": name, "amount": 5000} for name in names]
                try:
                    if bulk:
                        answer = http.post(f"{self.url}/bulk", json=items)
                        ok = answer.status_code == 200 and answer.json()["created"] == BATCH
                    else:
                        answer = http.post(self.url, json=items[0])
                        ok = answer.status_code == 201
                    assert ok, answer.text
                except httpx.TransportError:  # the server died: no answer
                    with self.lock:
                        self.unacked.append(names)
                    return
                with self.lock:
                    self.acked.append(names)

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def _saved(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """Each saved deal by name, with its change, rule-run and outbox row counts."""
    changes = Counter(
        r["record_id"] for r in table_rows(runtime, "jobs", "_changes") if r["op"] == "create"
    )
    runs = Counter(r["record_id"] for r in table_rows(runtime, "jobs", "_rule_runs"))
    outbox = Counter(
        (r["payload"]["record_id"], r["kind"]) for r in table_rows(runtime, "jobs", "_outbox")
    )
    saved: dict[str, dict[str, Any]] = {}
    for deal in table_rows(runtime, "jobs", "deal"):
        rid = deal["id"]
        assert deal["name"] not in saved, f"{deal['name']} saved twice"
        saved[str(deal["name"])] = {
            "changes": changes[rid],
            "runs": runs[rid],
            "email": outbox[(rid, "email")],
            "webhook": outbox[(rid, "webhook")],
        }
    return saved


def test_kill_9_of_the_server_under_load_keeps_every_acknowledged_write_whole(
    config: RuntimeConfig, token: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with server(config, log) as (process, base):
        load = Load(base, token)
        threads = [threading.Thread(target=load.run, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while load.count() < ACKED_BEFORE_KILL and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.01)
        kill(process)  # kill -9 while the clients are sending
        load.stop.set()
        for thread in threads:
            thread.join(90)
        assert not any(t.is_alive() for t in threads)
    assert load.count() >= ACKED_BEFORE_KILL
    runtime = Runtime(config)
    try:
        saved = _saved(runtime)
    finally:
        runtime.close()
    whole = {"changes": 1, "runs": 1, "email": 1, "webhook": 1}
    # Every saved deal is whole: no record without its change row, rule run or outbox rows.
    assert {name: row for name, row in saved.items() if row != whole} == {}
    for names in load.acked:
        assert [n for n in names if n not in saved] == []  # every acknowledged write is there
    for names in load.unacked:
        present = [n for n in names if n in saved]
        assert present in ([], names)  # a request without an answer: all or nothing
    sent = {n for names in load.acked + load.unacked for n in names}
    assert set(saved) <= sent
    version, drift = schema_agrees(config, "jobs")
    assert (version, drift) == (1, [])
    # The server comes back over the same data and serves what was saved.
    with server(config, log) as (_, base):
        listed = httpx.get(
            f"{base}/t/jobs/api/deal?limit=1", headers={"Authorization": f"Bearer {token}"}
        )
        assert listed.status_code == 200, listed.text


INVOICE = """
    label: Invoice
    fields:
      number: {type: string, required: true}
      total: {type: money}
      due: {type: date}
      paid: {type: boolean}
"""


def _package(tmp_path: Path, extra: int) -> Path:
    """The jobs package plus ``extra`` invoice-like entities (more DDL for one publish)."""
    root = tmp_path / "pkg-jobs"
    for i in range(extra):
        path = root / "entities" / f"invoice{i}.yaml"
        path.write_text(textwrap.dedent(INVOICE).lstrip(), encoding="utf-8")
    (root / "app.yaml").write_text("name: jobsapp\nversion: 1.1.0\nlabel: Jobs\n")
    return root


def test_kill_9_during_a_publish_leaves_schema_and_version_in_agreement(
    config: RuntimeConfig, token: str, tmp_path: Path
) -> None:
    assert token
    package = _package(tmp_path, 12)
    log = tmp_path / "publish.log"
    outcomes: list[tuple[float, int | None]] = []
    delay = 0.3
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        process = start(config, log, "publish", "jobs", str(package))
        started = time.monotonic()
        while process.poll() is None and time.monotonic() - started < delay:
            time.sleep(0.01)
        finished = process.poll() is not None
        kill(process)
        version, drift = schema_agrees(config, "jobs")
        assert drift == [], (version, drift)  # the schema is exactly the version's
        outcomes.append((delay, version))
        if finished or version == 2:
            break
        delay *= 1.5
    assert outcomes[-1][1] == 2, outcomes  # at last a publish went through whole
    assert any(version == 1 for _, version in outcomes), outcomes  # and one was cut short


def test_a_crash_right_after_the_first_commit_of_a_publish(
    config: RuntimeConfig, token: str, tmp_path: Path
) -> None:
    """PostgreSQL: the schema and its version commit as one. SQLite (two files): the
    schema commits first with a note of its version, and the next start records that
    version, so after the restart schema and version agree on both backends."""
    assert token
    package = _package(tmp_path, 2)
    child = Path(__file__).with_name("crash_publish_child.py")
    log = tmp_path / "publish.log"
    with log.open("wb") as out:
        died = subprocess.run(
            [sys.executable, str(child), "jobs", str(package)],
            env=process_env(config),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=180,
            check=False,
        )
    assert died.returncode == -signal.SIGKILL, log.read_text()
    assert schema_agrees(config, "jobs") == (2, [])  # the restart finished it on SQLite
    runtime = Runtime(config)
    try:
        info = runtime.tenant("jobs", fresh=True)
        publishes = runtime.registry.audit.entries(info.id, action="metadata.publish")
        details = [e.as_json()["detail"] for e in publishes]
        assert sorted(d["version"] for d in details) == [1, 2]
        assert [d.get("recovered", False) for d in details if d["version"] == 2] == [
            config.database_url is None
        ]
        assert not (config.data_dir / "publishing").exists() or not any(
            (config.data_dir / "publishing").iterdir()
        )
        assert publish(runtime, "jobs", package).unchanged  # nothing left to apply
    finally:
        runtime.close()
    assert schema_agrees(config, "jobs") == (2, [])
