"""What languages cost the list screen: Spanish labels and formats against no i18n at all.

Run: ``python bench/bench_i18n.py [--rows 5000] [--rounds 6] [--requests 40]``.

One tenant from ``tests/e2e/i18n_pkg`` (``locale: es``; per-locale entity, field, enum
option and pipeline stage labels; money, date, enum and pipeline columns), ``--rows``
deals, ``GET /t/ventas/e/deal?sort=-amount`` (50 rows) through two apps of one runtime
in this process (Litestar's TestClient, no network):

- **i18n**: the real screen: the member's locale looked up, Accept-Language parsed, every
  column label, enum option and stage shown by its Spanish label, gettext in the
  templates, dates, numbers and money formatted by Babel;
- **formats**: locale lookup and label resolution taken out (a fixed Spanish translator,
  raw values and labels, identity gettext and filters) but values still formatted for
  Spanish: i18n / formats is what the lookup and the labels cost (the 5% budget);
- **baseline**: the same with English formats as before languages (``1,234.50``, raw
  dates): what the screen did before languages.

Rounds rotate which goes first; the figures are medians per request (wall and this
process's CPU time, which load on a shared machine disturbs least) and their ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from litestar import Litestar
from litestar.testing import TestClient

from trellis.metadata.model import EntityDef, FieldDef, FieldType
from trellis.platform.api.gate import ApiGate
from trellis.platform.config import RuntimeConfig
from trellis.platform.i18n import Translator
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens import list_view, present, web
from trellis.ui.screens.app import create_web_app

PASSWORD = "correct horse battery"
PACKAGE = Path(__file__).resolve().parents[1] / "tests" / "e2e" / "i18n_pkg"
URL = "/t/ventas/e/deal?sort=-amount"
HEADERS = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.8"}


def out(text: str) -> None:
    """Write a line of the report."""
    sys.stdout.write(text + "\n")


def _load(runtime: Runtime, rows: int) -> None:
    runtime.registry.create_tenant("ventas")
    publish(runtime, "ventas", PACKAGE)
    user = runtime.registry.ensure_user("admin@ventas.test", PASSWORD)
    runtime.registry.add_membership("ventas", user, ["admin"])
    api = ApiGate(runtime)
    identity = runtime.registry.member_identity("ventas", user)
    if identity is None:
        raise RuntimeError("admin missing")
    call = api.call_as("ventas", identity)
    stages, priorities = ("new", "proposal", "won", "lost"), ("low", "high")
    items = [
        {
            "name": f"Deal {i}",
            "priority": priorities[i % 2],
            "stage": stages[i % 4],
            "amount": str(1000 + i),
            "currency": "EUR",
            "close_date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }
        for i in range(rows)
    ]
    for start in range(0, rows, 500):
        api.services.records.bulk(call, call.app.entities["deal"], items[start : start + 500])


def _raw_value(
    self: Any, entity: EntityDef, f: FieldDef | None, record: Any, value: Any, name: str
) -> str:
    """The value as the screen showed it before languages (raw options, English formats)."""
    if value is None or value == "" or value == []:
        return ""
    kind = f.type if f is not None else (FieldType.DATETIME if name.endswith("_at") else "")
    if kind == FieldType.BOOLEAN:
        return "Yes" if value else "No"
    if kind == FieldType.MONEY:
        return f"{float(value):,.2f}"
    if kind == FieldType.PERCENT:
        return f"{float(value):g} %"
    if kind == FieldType.DATETIME and isinstance(value, str):
        return value.replace("T", " ")[:16]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _raw_label(entity: EntityDef, name: str, t: Any) -> str:
    return present.label_of(entity, name)


def _raw_label_of_value(self: Any, entity: EntityDef, f: FieldDef, value: Any) -> str:
    return str(value)


@contextmanager
def _without_i18n(app: Litestar, *, formats: bool = False) -> Iterator[None]:
    """Take locale lookup and label resolution out of the screens (and, unless
    ``formats``, the Spanish formats too)."""
    fixed = Translator("es") if formats else web.ENGLISH
    value_text = present.Presenter._value_text if formats else _raw_value
    with (
        mock.patch.object(web, "request_translator", return_value=fixed),
        mock.patch.object(present.Presenter, "_value_text", value_text),
        mock.patch.object(present.Presenter, "_value_label", _raw_label_of_value),
        mock.patch.object(present, "localized_label", _raw_label),
        mock.patch.object(list_view, "localized_label", _raw_label),
    ):
        yield


def _plain_templates(app: Litestar) -> None:
    env = app.template_engine.engine  # type: ignore[union-attr]
    env.install_gettext_callables(
        lambda s, **k: s % k if k else s, lambda s, p, n, **k: s if n == 1 else p, newstyle=False
    )
    for name in ("label", "msg"):
        env.filters[name] = lambda value: value
    env.filters["value_label"] = lambda value, field: value


def _client(app: Litestar) -> TestClient[Any]:
    client: TestClient[Any] = TestClient(app=app)
    client.__enter__()
    form = client.get("/t/ventas/login")
    csrf = form.text.split('name="_csrf_token" value="')[1].split('"')[0]
    client.post(
        "/t/ventas/login",
        data={"email": "admin@ventas.test", "password": PASSWORD, "_csrf_token": csrf},
    )
    return client


def _time(client: TestClient[Any], n: int) -> list[tuple[float, float]]:
    """(wall ms, process CPU ms) of ``n`` requests; CPU time is what load on a shared
    machine disturbs least (client and server run in this one process)."""
    times = []
    for _ in range(n):
        start, cpu = time.perf_counter(), time.process_time()
        response = client.get(URL, headers=HEADERS)
        wall_ms = (time.perf_counter() - start) * 1000
        times.append((wall_ms, (time.process_time() - cpu) * 1000))
        if response.status_code != 200:
            raise RuntimeError(f"{URL} answered {response.status_code}")
    return times


def main() -> None:
    """Measure and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
        _load(runtime, args.rows)
        i18n_app, plain_app = create_web_app(runtime), create_web_app(runtime)
        _plain_templates(plain_app)
        i18n_client, plain_client = _client(i18n_app), _client(plain_app)
        assert "Propuesta" in i18n_client.get(URL, headers=HEADERS).text
        with _without_i18n(plain_app):
            assert ">proposal<" in plain_client.get(URL, headers=HEADERS).text
        samples: dict[str, list[tuple[float, float]]] = {"i18n": [], "formats": [], "baseline": []}

        def run_i18n() -> None:
            samples["i18n"].extend(_time(i18n_client, args.requests))

        def run_formats() -> None:
            with _without_i18n(plain_app, formats=True):
                samples["formats"].extend(_time(plain_client, args.requests))

        def run_plain() -> None:
            with _without_i18n(plain_app):
                samples["baseline"].extend(_time(plain_client, args.requests))

        steps = [run_i18n, run_formats, run_plain]
        for step in steps:  # warm all three
            step()
        for values in samples.values():
            values.clear()
        for r in range(args.rounds):
            for step in steps[r % 3 :] + steps[: r % 3]:
                step()
        for client in (i18n_client, plain_client):
            client.__exit__(None, None, None)
        runtime.close()
    out(f"rows={args.rows} rounds={args.rounds} requests/round={args.requests}")
    out("| list screen, 50 rows | wall p50 ms | wall p95 ms | CPU p50 ms | CPU mean ms |")
    out("|---|---:|---:|---:|---:|")
    for name in ("baseline", "formats", "i18n"):
        wall = [w for w, _ in samples[name]]
        cpu = [c for _, c in samples[name]]
        p95 = statistics.quantiles(wall, n=20)[18]
        out(
            f"| {name} | {statistics.median(wall):.2f} | {p95:.2f} | "
            f"{statistics.median(cpu):.2f} | {statistics.fmean(cpu):.2f} |"
        )
    for what, index in (("wall", 0), ("CPU", 1)):
        p50 = {k: statistics.median(v[index] for v in vs) for k, vs in samples.items()}
        lookup = p50["i18n"] / p50["formats"]
        verdict = "PASS" if lookup <= 1.05 else "FAIL"
        out(
            f"{what} p50: i18n / formats (locale lookup + labels) {lookup:.3f}x, budget 1.05x: "
            f"{verdict}; formats / baseline {p50['formats'] / p50['baseline']:.3f}x; "
            f"i18n / baseline {p50['i18n'] / p50['baseline']:.3f}x"
        )


if __name__ == "__main__":
    main()
