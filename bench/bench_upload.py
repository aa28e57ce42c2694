"""Peak memory of the server while a 10 MB upload streams through it (issue 14, item 4).

    python bench/bench_upload.py [--mb 10] [--rounds 3]

A tenant with a file field (local file store, SQLite) is served by ``uvicorn`` in a
child process. Before each request the child's peak RSS is reset (``5`` written to
``/proc/<pid>/clear_refs``, Linux); after it, the peak (``VmHWM``) minus the resident
size before (``VmRSS``) is the growth the request caused. Measured in the same run:

* ``upload 100 KB``: the baseline (parsing, the save, the change row);
* ``upload <mb> MB``: multipart streamed by the client (no Content-Length), streamed by
  the server to a temporary file, sniffed, put in the store, saved;
* ``download <mb> MB``: the same file streamed back;
* ``control: JSON body``: a ``<mb>`` MB JSON body without Content-Length to the record
  API, which reads JSON whole (up to its 5 MiB limit, then 413): it shows the method
  sees a body held in memory.

The budget is a growth of at most 20 MiB for the upload. Figures are per round and the
largest of the rounds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

TENANT = "uploads"
BOUNDARY = "benchboundary"
ENTITY = """fields:
  title: {type: string}
  document: {type: file, max_size_mb: 50}
"""
CHUNK = 64 * 1024
BUDGET_MIB = 20


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _status(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` size in bytes (``VmRSS``, ``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def _prepare(data: Path) -> str:
    runtime = Runtime(RuntimeConfig(data_dir=data))
    pkg = data.parent / "pkg"
    (pkg / "entities").mkdir(parents=True)
    (pkg / "app.yaml").write_text("name: bench\nversion: 1.0.0\nlabel: Bench\n", "utf-8")
    (pkg / "entities" / "doc.yaml").write_text(ENTITY, "utf-8")
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, pkg)
    user = runtime.registry.ensure_user("admin@uploads.test", "correct horse battery")
    runtime.registry.add_membership(TENANT, user, ["admin"])
    token = runtime.registry.create_token(TENANT, "admin@uploads.test")
    runtime.close()
    return token


def _body(size: int) -> Iterator[bytes]:
    """A multipart body with one text file of ``size`` bytes, in chunks."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    line = b"0123456789abcdef" * 4096  # 64 KiB of text
    sent = 0
    while sent < size:
        part = line[: min(CHUNK, size - sent)]
        sent += len(part)
        yield part
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _measured(pid: int, action: object) -> int:
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _status(pid, "VmRSS")
    # The reset took: the peak is back at the resident size (else the figure means nothing).
    if _status(pid, "VmHWM") > before + 2**20:
        raise SystemExit("could not reset the server's peak RSS (/proc/<pid>/clear_refs)")
    action()  # type: ignore[operator]
    return _status(pid, "VmHWM") - before


def _serve(data: str, port: str) -> None:
    runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
    uvicorn.run(create_web_app(runtime), host="127.0.0.1", port=int(port), log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", nargs=2, metavar=("DATA", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(*args.serve)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        token = _prepare(data)
        port = 8765 + os.getpid() % 1000
        child = subprocess.Popen([sys.executable, __file__, "--serve", str(data), str(port)])
        try:
            _run(child.pid, port, token, args.mb, args.rounds)
        finally:
            child.terminate()
            child.wait(timeout=30)


def _run(pid: int, port: int, token: str, mb: int, rounds: int) -> None:
    base = f"http://127.0.0.1:{port}/t/{TENANT}/api"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers, timeout=120) as client:
        for _ in range(300):
            try:
                if client.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        record = client.post(f"{base}/doc", json={"title": "bench"}).json()["id"]
        upload = f"{base}/doc/{record}/_files/document"
        kind = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

        def send(size: int) -> None:
            answer = client.post(upload, content=_body(size), headers=kind)
            assert answer.status_code == 201, answer.text

        def fetch() -> None:
            file_id = client.get(f"{base}/doc/{record}").json()["document"]["id"]
            with client.stream("GET", f"{upload}/{file_id}") as answer:
                got = sum(len(c) for c in answer.iter_bytes())
            assert got == mb * 1024 * 1024, got

        def buffered() -> None:
            blob = (b'{"title": "' + b"x" * (mb * 1024 * 1024) + b'"}',)
            answer = client.post(
                f"{base}/doc", content=iter(blob), headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 413, answer.status_code

        send(100 * 1024)  # warm-up: imports, caches, the first save
        _say(f"server pid {pid}, rss {_status(pid, 'VmRSS') / 2**20:.1f} MiB after warm-up")
        rows: dict[str, list[float]] = {}
        for _ in range(rounds):
            for name, action in (
                ("upload 100 KB", lambda: send(100 * 1024)),
                (f"upload {mb} MB", lambda: send(mb * 1024 * 1024)),
                (f"download {mb} MB", fetch),
                ("control: JSON body", buffered),
            ):
                rows.setdefault(name, []).append(_measured(pid, action) / 2**20)
    _say("| request | peak RSS growth per round (MiB) | largest |")
    _say("|---|---|---:|")
    for name, values in rows.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        _say(f"| {name} | {shown} | {max(values):.1f} |")
    worst = max(rows[f"upload {mb} MB"])
    verdict = "met" if worst <= BUDGET_MIB else "NOT met"
    _say(f"budget: upload growth <= {BUDGET_MIB} MiB: {verdict} ({worst:.1f} MiB)")


if __name__ == "__main__":
    main()
