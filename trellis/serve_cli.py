"""``trellis serve``: the embedded server with its demo tenant, access log and job thread."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.cli_text import cli_translator
from trellis.platform.api.access_log import ACCESS_LOGGER
from trellis.platform.config import config_from_env

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
LOG_LEVELS = ("debug", "info", "warning", "error")
DEMO_TENANT = "demo"
DEMO_ADMIN = "admin@demo.test"
#: Where ``trellis serve`` writes the demo admin's password and API token (mode 0600).
DEMO_CREDENTIALS = "demo-credentials.txt"


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def ensure_demo(runtime: Runtime) -> Path | None:
    """Create the demo tenant on first start; returns its credentials file when created.

    The tenant gets the CRM's demo data at ``config.demo_scale`` (``TRELLIS_DEMO_SCALE``).

    The admin's password and an API token go to ``<data dir>/demo-credentials.txt``,
    readable by its owner only (0600), never to the output or the logs (ASVS 13.3).
    """
    from sqlalchemy.exc import IntegrityError

    from trellis.cli import create_tenant
    from trellis.platform.demo_data import create_demo, demo_files
    from trellis.seed.crm import PACKAGE_PATH as CRM_PACKAGE
    from trellis.tenants.registry import RegistryError

    if runtime.registry.get_tenant(DEMO_TENANT) is not None:
        return None
    password = secrets.token_urlsafe(12)
    try:
        create_tenant(runtime, DEMO_TENANT, "crm", DEMO_ADMIN, password)
    except (RegistryError, IntegrityError):
        # Several servers started together on one fresh data store: one creates the demo
        # tenant (and its credentials file), the others serve it.
        if runtime.registry.get_tenant(DEMO_TENANT) is None:
            raise
        return None
    scale = runtime.config.demo_scale
    if scale > 0:
        files = demo_files(Path(str(CRM_PACKAGE)))
        create_demo(runtime, DEMO_TENANT, files, admin=DEMO_ADMIN, scale=scale)
    token = runtime.registry.create_token(DEMO_TENANT, DEMO_ADMIN)
    path = runtime.config.data_dir / DEMO_CREDENTIALS
    text = f"tenant: {DEMO_TENANT}\nadmin: {DEMO_ADMIN}\npassword: {password}\ntoken: {token}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when an older file was there with wider rights
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


#: uvicorn's HTTP/1.1 implementations and event loops ("auto" takes the C ones if installed).
HTTP_PARSERS = ("auto", "httptools", "h11")
EVENT_LOOPS = ("auto", "uvloop", "asyncio")


def cmd_serve(args: argparse.Namespace) -> None:
    """Run the web server (and the embedded job thread) until stopped."""
    import uvicorn

    from trellis.jobs_cli import start_embedded_worker
    from trellis.platform.api.access_log import AccessLog
    from trellis.platform.api.http_protocol import http_protocol
    from trellis.platform.api.hygiene import MAX_HEADER_BYTES
    from trellis.platform.runtime import Runtime
    from trellis.ui.screens.app import create_web_app

    # The whole configuration is read and checked first: a bad TRELLIS_* value stops here
    # (exit 2), before any file is written or the port is opened.
    config = config_from_env(args.data_dir)
    # The embedded mode has its demo tenant: browsers opening / go to its sign-in.
    runtime = Runtime(config.with_overrides(home_tenant=DEMO_TENANT))
    first = ensure_demo(runtime)
    url = f"http://{args.host}:{args.port}"
    for line in startup_lines(url, runtime.config.data_dir, first):
        _out(line)
    sys.stdout.flush()
    configure_logging(args.log_level, access_log=not args.no_access_log)
    start_embedded_worker(runtime)  # outbox rows stay the source of truth
    uvicorn.run(
        AccessLog(create_web_app(runtime)),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,  # ours names the route, the tenant and the duration
        http=http_protocol(args.http),
        loop=args.loop,
        # Room above the app's own 431 limit, so oversized headers get its JSON answer.
        h11_max_incomplete_event_size=4 * MAX_HEADER_BYTES,
    )


def startup_lines(url: str, data_dir: Path, first: Path | None) -> list[str]:
    """What ``serve`` prints before it listens, in the command line's language.

    ``first`` is the file with the demo admin's secrets when the demo tenant was just
    created (None when it already existed).
    """
    t = cli_translator()
    lines = [t.gettext("Trellis is serving %(url)s (data in %(dir)s).", url=url, dir=data_dir)]
    if first:
        lines.append(
            t.gettext(
                "Demo tenant created. Admin: %(admin)s; the password and an API token",
                admin=DEMO_ADMIN,
            )
        )
        lines.append(t.gettext("are in %(path)s (readable by you only).", path=first))
        token_hint = t.gettext("<the token in that file>")
    else:
        lines.append(
            t.gettext(
                "Make an API token with: trellis token create %(tenant)s %(admin)s",
                tenant=DEMO_TENANT,
                admin=DEMO_ADMIN,
            )
        )
        token_hint = t.gettext("<token>")
    lines.append(t.gettext("Sign in at %(url)s", url=f"{url}/t/{DEMO_TENANT}/login"))
    curl = f"curl -H 'Authorization: Bearer {token_hint}' {url}/t/{DEMO_TENANT}/api/account"
    lines.append(t.gettext("Try: %(command)s", command=curl))
    return lines


def configure_logging(level: str, *, access_log: bool) -> None:
    """Log lines on standard error: libraries at ``level``, the access log at INFO."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    access = logging.getLogger(ACCESS_LOGGER)
    access.setLevel(logging.INFO if access_log else logging.WARNING)


def add_serve_command(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_data_dir: WithDataDir,
) -> None:
    """Register ``serve``."""
    serve = with_data_dir(sub.add_parser("serve", help="run the web server"))
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="warning",
        help="level of the libraries' log lines (default: warning)",
    )
    serve.add_argument("--no-access-log", action="store_true", help="no log line per request")
    serve.add_argument(
        "--http",
        choices=HTTP_PARSERS,
        default="auto",
        help="HTTP/1.1 parser: httptools (C, the default when installed) or h11 (pure Python)",
    )
    serve.add_argument(
        "--loop",
        choices=EVENT_LOOPS,
        default="auto",
        help="event loop: uvloop (the default when installed) or asyncio",
    )
    serve.set_defaults(func=cmd_serve)


__all__ = ["DEMO_ADMIN", "DEMO_TENANT", "add_serve_command", "cmd_serve", "ensure_demo"]
