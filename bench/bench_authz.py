"""Authorization costs with many tenants' policies loaded, measured in one run.

    python bench/bench_authz.py [--rows 1000000] [--tenants 1000] [--rounds 5] [--pages 200]

1. An authorization check on a warm tenant: the Casbin decision alone
   (``Access.can``), and the whole per-request step (``Authorizer.access`` — enforcer
   lookup in the LRU, the user's role rows, team and attributes, compiled role set —
   then ``can``), with ``--tenants`` tenants' enforcers loaded (the CRM seed's roles
   in each tenant's domain, three members each, stored by the policy store in
   ``casbin_rule`` and loaded with the tenant's filter). Budget: ≤ 0.1 ms.
2. Listing 50 records (by id, with the capped count) through ``ApiGate`` and the records service
   in-process on SQLite, on a table of ``--rows`` rows, as a rep under ``own`` scope
   (1 % of the rows are theirs; ``owner_id`` is indexed) beside the same list as the
   tenant admin, alternating rounds. Budget: own ≤ 1.2x admin.

Results are appended to bench/RESULTS.md under their own heading (replacing an
earlier run of this benchmark only).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trellis.metadata.loader import load_package
from trellis.platform.api.gate import ApiGate
from trellis.platform.api.records_controller import list_page
from trellis.platform.authz import EnforcerCache
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.records.views import encode
from trellis.platform.runtime import Runtime
from trellis.platform.services.caller import readable_entity
from trellis.rules.checker import RuleExpressionChecker

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
CRM = Path(__file__).resolve().parent.parent / "seed" / "crm"
HEADING = "## Authorization: checks with 1,000 tenants loaded, own-scope list vs admin"
TENANT = "authz"
ENTITY = """fields:
  name: {type: string, required: true}
  amount: {type: integer}
  status: {type: enum, options: [open, closed]}
"""
ROLES = """roles:
  rep:
    entities:
      item: {actions: [create, read, update, delete], scope: own}
"""


def _write_package(root: Path) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: authzbench\nversion: 1.0.0\nlabel: Authz bench\n")
    (root / "entities" / "item.yaml").write_text(ENTITY)
    (root / "roles.yaml").write_text(ROLES)
    return root


def _rss_mib() -> float:
    """Current resident set size of this process (Linux), in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _per_call_us(fn: Callable[[], Any], calls: int, rounds: int = 5) -> float:
    """Best of ``rounds`` of the mean wall time per call, in microseconds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls * 1e6)
    return best


def _fill(runtime: Runtime, rows: int, rep_id: int) -> None:
    """``rows`` items; every 100th is the rep's, the others belong to 1,000 other users."""
    table = runtime.app(TENANT).table("item")
    now = datetime.now(UTC)
    batch = 50_000
    with runtime.engines.tenant_connection(TENANT, write=True) as conn:
        for start in range(0, rows, batch):
            chunk = [
                {
                    "created_at": now,
                    "updated_at": now,
                    "owner_id": rep_id if i % 100 == 0 else 1_000_000 + i % 1000,
                    "version": 1,
                    "name": f"item {i}",
                    "amount": i % 10_000,
                    "status": "open" if i % 3 else "closed",
                }
                for i in range(start, min(start + batch, rows))
            ]
            conn.execute(table.insert(), chunk)
            conn.commit()
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def load_enforcers(api: ApiGate, tenants: int) -> dict[str, float]:
    """Load ``tenants`` tenants' enforcers (CRM roles, 3 members each); seconds and MiB."""
    crm = load_package(CRM, checker=RuleExpressionChecker())
    authz = api.services.authz
    # Backed by the policy store, as in production: each tenant's rows are written to
    # ``casbin_rule`` on first use and every enforcer is loaded from them.
    authz.enforcers = EnforcerCache(max_entries=tenants + 16, store=api.runtime.policies)
    started = time.perf_counter()
    rss_before = _rss_mib()
    for i in range(tenants):
        enforcer = authz.enforcers.get(f"tenant{i:04d}", 1, crm)
        for user, role in ((1, "sales_rep"), (2, "sales_manager"), (3, "read_only")):
            enforcer.sync_user(user, (role,))
            enforcer.allowed(user, "opportunity", "read")
    return {"load_s": time.perf_counter() - started, "rss_mib": _rss_mib() - rss_before}


def check_costs(api: ApiGate, rep_id: int) -> dict[str, float]:
    """Casbin decision and full per-request authorization (µs) on the warm bench tenant."""
    authz = api.services.authz
    app = api.runtime.app(TENANT)
    access = authz.access(TENANT, app, rep_id, ("rep",))
    assert access.can("item", "read") and not access.can("item", "export")
    decision = _per_call_us(lambda: access.can("item", "read"), 20_000)
    denied = _per_call_us(lambda: access.can("item", "export"), 20_000)

    def full() -> None:
        authz.access(TENANT, app, rep_id, ("rep",)).require("item", "read")

    per_request = _per_call_us(full, 5_000)
    return {
        "decision_us": decision,
        "denied_us": denied,
        "per_request_us": per_request,
        "enforcers": float(len(authz.enforcers)),
    }


def list_costs(api: ApiGate, headers: dict[str, str], pages: int, rounds: int) -> dict[str, Any]:
    """Median CPU ms per list page (own scope and admin), the two interleaved page by page.

    CPU time of this process (not wall time) and strict alternation keep the noise of
    a shared machine out of the ratio as far as possible.
    """
    params = {"limit": "50"}
    times: dict[str, list[float]] = {"rep": [], "admin": []}
    medians: dict[str, list[float]] = {"rep": [], "admin": []}

    def one(who: str) -> float:
        start = time.process_time()
        call = api.call(TENANT, headers[who])
        entity = readable_entity(call, "item")
        encode(list_page(api.services, call, entity, params).as_json())
        return (time.process_time() - start) * 1000

    for who in ("rep", "admin", "rep", "admin"):
        one(who)  # warm both
    for r in range(rounds):
        batch: dict[str, list[float]] = {"rep": [], "admin": []}
        for i in range(pages):
            order = ("rep", "admin") if (i + r) % 2 == 0 else ("admin", "rep")
            for who in order:
                batch[who].append(one(who))
        for who, values in batch.items():
            times[who].extend(values)
            medians[who].append(statistics.median(values))
    rep, admin = statistics.median(times["rep"]), statistics.median(times["admin"])
    return {"rep_ms": rep, "admin_ms": admin, "ratio": rep / admin, "runs": medians}


def _join(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def _write_results(text: str) -> None:
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if HEADING in current:
        start = current.index(HEADING)
        end = current.find("\n## ", start + len(HEADING))
        current = current[:start] + (current[end + 1 :] if end != -1 else "")
    RESULTS.write_text(current.rstrip("\n") + "\n\n" + text)


def main(argv: list[str] | None = None) -> int:
    """Run both measurements, print them and record them in RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp())
    try:
        runtime = Runtime(RuntimeConfig(data_dir=tmp / "data"))
        api = ApiGate(runtime)
        reg = runtime.registry
        reg.create_tenant(TENANT)
        publish(runtime, TENANT, _write_package(tmp / "pkg"))
        headers: dict[str, str] = {}
        for who, roles in (("admin", ["admin"]), ("rep", ["rep"])):
            user = reg.ensure_user(f"{who}@authz.test", "bench password")
            reg.add_membership(TENANT, user, roles)
            headers[who] = "Bearer " + reg.create_token(TENANT, f"{who}@authz.test")
        rep_id = reg.user_id("rep@authz.test") or 0
        loaded = load_enforcers(api, args.tenants)
        started = time.perf_counter()
        _fill(runtime, args.rows, rep_id)
        fill_s = time.perf_counter() - started
        checks = {**loaded, **check_costs(api, rep_id)}
        lists = list_costs(api, headers, args.pages, args.rounds)
        runtime.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check_ok = checks["per_request_us"] <= 100
    list_ok = lists["ratio"] <= 1.2
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python bench/bench_authz.py", *(a for a in given if a != "--no-write")])
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    text = (
        f"{HEADING}\n\nDate: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, SQLite; load average at the end "
        f"{load} (the machine is shared, so absolute times are noisy; the ratio is "
        "measured in alternating rounds of one run).\n\n"
        f"Command:\n\n```sh\n{command}\n```\n\n"
        f"Workload: {args.tenants:,} tenants' enforcers loaded in the LRU (the CRM seed's "
        "roles in each tenant's domain, 3 members each, written to `casbin_rule` through "
        "the policy store and loaded with the tenant's filter; synthetic tenants sharing "
        f"one compiled model, built in {checks['load_s']:.1f} s, about "
        f"{checks['rss_mib']:.0f} MiB more RSS) plus the bench tenant; table `item` "
        f"with {args.rows:,} rows ({fill_s:.0f} s to load), 1 % owned by the rep, "
        "`owner_id` indexed (with `deleted_at`). Lists: `limit=50` (by id) with the capped "
        "count, through "
        "`ApiGate` and the records service in-process (no HTTP), rep and admin pages "
        "interleaved one by one, "
        f"{args.rounds} rounds of {args.pages} pages each; CPU time of the process per "
        "page, medians.\n\n"
        "| measurement | value | budget | verdict |\n|---|---:|---:|---|\n"
        f"| Casbin decision, granted (`Access.can`) | {checks['decision_us']:.1f} µs | | |\n"
        f"| Casbin decision, denied | {checks['denied_us']:.1f} µs | | |\n"
        f"| authorization per request (`Authorizer.access` + `require`) | "
        f"{checks['per_request_us']:.1f} µs | ≤ 100 µs | {'PASS' if check_ok else 'FAIL'} |\n"
        f"| list page, rep (`own` scope), CPU | {lists['rep_ms']:.2f} ms | | |\n"
        f"| list page, admin, CPU | {lists['admin_ms']:.2f} ms | | |\n"
        f"| ratio own / admin | {lists['ratio']:.2f}x | ≤ 1.2x | "
        f"{'PASS' if list_ok else 'FAIL'} |\n\n"
        f"Round medians (CPU ms per page): rep {_join(lists['runs']['rep'])}; "
        f"admin {_join(lists['runs']['admin'])}.\n"
    )
    sys.stdout.write(text)
    if not args.no_write:
        _write_results(text)
    return 0 if check_ok and list_ok else 1


if __name__ == "__main__":
    sys.exit(main())
