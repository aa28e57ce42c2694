"""Idle memory of ``trellis serve``: resident set after start-up and a few requests.

Three processes are started in one run over the same data directory (the demo tenant,
created by a first start): ``trellis serve`` as it is; the same with the optional heavy
libraries imported up front (alembic, openpyxl, redis, segno, and since stop 27
jsonschema, cryptography, pyotp, smtplib: how every serving process was before they
loaded on first use); and a bare Litestar + SQLAlchemy app answering one
route (the floor any Python server of this stack pays). Each answers a sign-in page and
an API list five times; then its VmRSS is read from /proc. Rounds alternate the three::

    python bench/bench_idle_memory.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

EAGER = (
    "import alembic.autogenerate, alembic.operations, openpyxl, redis, segno\n"
    "import cryptography.fernet, cryptography.hazmat.primitives.ciphers.aead\n"
    "import jsonschema, pyotp, smtplib\n"
)
SERVE = "from trellis.cli import main\nmain(['serve', '--data-dir', {dir!r}, '--port', '{port}'])\n"
BARE = """
import sqlalchemy, uvicorn
from litestar import Litestar, get

@get("/t/demo/login")
async def login() -> str:
    return "ok"

@get("/t/demo/api/account")
async def accounts() -> dict:
    return {{"items": []}}

uvicorn.run(Litestar([login, accounts]), port={port}, log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, token: str | None = None) -> None:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def _rss_mib(code: str, token: str | None) -> float:
    """Start ``code``, wait until it answers, send the requests, read its VmRSS."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", code.replace("{port}", str(port))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                _get(f"{base}/t/demo/login")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        for _ in range(5):
            _get(f"{base}/t/demo/login")
            if token:
                _get(f"{base}/t/demo/api/account", token)
        status = Path(f"/proc/{process.pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        assert found is not None
        return int(found.group(1)) / 1024
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="trellis-idle-")
    serve = SERVE.replace("{dir!r}", repr(data_dir))
    _rss_mib(serve, None)  # the first start creates the demo tenant and its credentials
    credentials = (Path(data_dir) / "demo-credentials.txt").read_text()
    token = re.search(r"^token: (\S+)$", credentials, re.M)
    assert token is not None
    figures: dict[str, list[float]] = {"trellis serve": [], "eager imports": [], "bare": []}
    for _ in range(args.rounds):
        figures["trellis serve"].append(_rss_mib(serve, token.group(1)))
        figures["eager imports"].append(_rss_mib(EAGER + serve, token.group(1)))
        figures["bare"].append(_rss_mib(BARE.replace("{{", "{").replace("}}", "}"), None))
    bare = statistics.median(figures["bare"])
    out = sys.stdout.write
    out("| process | idle RSS, MiB (median) | rounds | ratio to bare |\n|---|---:|---|---:|\n")
    for name, values in figures.items():
        median = statistics.median(values)
        shown = ", ".join(f"{v:.1f}" for v in values)
        out(f"| {name} | {median:.1f} | {shown} | {median / bare:.2f}x |\n")


if __name__ == "__main__":
    main()
