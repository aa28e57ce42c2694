"""The peer workload: creates, bulk load, list pages, reads by id and RSS, every answer checked.

The same phases, counts, seed and data as the shared Directus recipe (bench_peer.py):
(a) single creates at 1 then 8 concurrent clients, (b) bulk load in batches, (c) the list
``score > 50 and email contains "x"``, sorted ``-score``, pages 1-10 at 1 then 8 clients,
(d) reads by id picked from the first rows, (e) the server's RSS. Per phase it records wall
time, this client's CPU and the server process's CPU (``/proc/PID/stat``).

Every answer is checked against what the client sent and what the server acknowledged: a
record with a wrong id or wrong values, a list row that does not match the filter, a page
out of order or of the wrong length. Any such error marks the run invalid. A phase that
reaches its time cap stops there and says so, which also marks the run invalid.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.peer import procstat
from bench.peer.apis import Api, matches_filter

FIRST = ["Alex", "Maria", "John", "Xena", "Peter", "Linda", "Max", "Sara", "Felix", "Anna"]
FIRST += ["Tom", "Dexter", "Laura", "Paul", "Nora", "Rex", "Emma", "Hugo", "Ivy", "Omar"]
LAST = ["Smith", "Jones", "Baxter", "Brown", "Miller", "Cox", "Davis", "Garcia", "Wilson"]
LAST += ["Moore", "Taylor", "Fox", "Clark", "Lewis", "Walker", "Hall", "Young", "King"]
DOMAINS = ["mail.test", "corp.org", "inbox.net"]
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Counts:
    """How much each phase does."""

    creates: int = 2000
    bulk_rows: int = 100_000
    bulk_batch: int = 1000
    requests: int = 200
    list_limit: int = 50
    pages: int = 10
    id_pool: int = 5000
    warmups: int = 10
    cap_s: float = 600.0
    seed: int = 42


FULL = Counts()
QUICK = Counts(
    creates=10, bulk_rows=200, bulk_batch=100, requests=6, list_limit=5, pages=3, id_pool=40,
    warmups=2, cap_s=60.0,
)  # fmt: skip


def make_row(rng: random.Random, i: int) -> dict[str, Any]:
    """Row ``i`` of the seeded data set (the shared recipe's ``make_row``, same values)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    stamp = T0 + timedelta(seconds=rng.randint(0, 365 * 86400))
    return {
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}{i}@{rng.choice(DOMAINS)}",
        "score": rng.randint(0, 100),
        "created_at": stamp.strftime("%Y-%m-%dT%H:%M:%S"),
    }


class Ledger:
    """What the server acknowledged: id -> (email, score), and every error found."""

    def __init__(self) -> None:
        self.known: dict[int, tuple[str, int]] = {}

    def learn(self, record: dict[str, Any], sent: dict[str, Any]) -> str | None:
        """Record an acknowledged row; an error text when it differs from what was sent."""
        rid = record.get("id")
        if not isinstance(rid, int) or rid in self.known:
            return f"create answered id {rid!r} (missing, not a number or already used)"
        if record.get("email") != sent["email"] or record.get("score") != sent["score"]:
            return f"record {rid} came back with other values than were sent"
        self.known[rid] = (sent["email"], sent["score"])
        return None

    def check_row(self, row: dict[str, Any]) -> str | None:
        """A listed or read row must be one the server acknowledged, with its values."""
        rid = row.get("id")
        if rid not in self.known:
            return f"row id {rid!r} was never created"
        if (row.get("email"), row.get("score")) != self.known[rid]:
            return f"row {rid} holds other values than were stored"
        return None

    def expected_scores(self) -> list[int]:
        """Scores of the rows matching the list filter, in list order."""
        return sorted(
            (s for e, s in self.known.values() if matches_filter({"email": e, "score": s})),
            reverse=True,
        )


def check_page(ledger: Ledger, rows: list[dict[str, Any]], want: list[int]) -> str | None:
    """One list page: known rows, the filter holds, sorted, exactly the expected scores."""
    for row in rows:
        problem = ledger.check_row(row)
        if problem:
            return problem
        if not matches_filter(row):
            return f"row {row.get('id')} does not match the filter"
    scores = [row["score"] for row in rows]
    if scores != sorted(scores, reverse=True):
        return "page not sorted by -score"
    if scores != want:
        return f"page holds {len(rows)} rows with other scores than the {len(want)} expected"
    return None


@dataclass(slots=True)
class PhaseResult:
    """Timing and correctness of one phase."""

    name: str
    operations: int = 0
    planned: int = 0
    errors: int = 0
    first_error: str = ""
    cut_short: bool = False
    wall_s: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    median_ms: float = 0.0
    p95_ms: float = 0.0

    def fail(self, text: str) -> None:
        """Count an error, keeping the first one's text."""
        self.errors += 1
        self.first_error = self.first_error or text

    @property
    def cpu_ms_per_op(self) -> float:
        """Server CPU milliseconds per operation (per row for the bulk load)."""
        return 1000 * self.server_cpu_s / self.operations if self.operations else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON form, with the per-operation CPU."""
        return {**asdict(self), "server_cpu_ms_per_op": round(self.cpu_ms_per_op, 4)}


class Timer:
    """Wall, client CPU and server CPU over a block."""

    def __init__(self, pid: int, result: PhaseResult) -> None:
        self.pid, self.result = pid, result

    def __enter__(self) -> Timer:
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        self.s0 = procstat.cpu_seconds(self.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.result.wall_s = round(time.perf_counter() - self.t0, 4)
        self.result.client_cpu_s = round(time.process_time() - self.c0, 4)
        self.result.server_cpu_s = round(procstat.cpu_seconds(self.pid) - self.s0, 4)


def _latencies(result: PhaseResult, seconds: list[float]) -> None:
    if seconds:
        ms = sorted(s * 1000 for s in seconds)
        result.median_ms = round(ms[len(ms) // 2], 3)
        result.p95_ms = round(ms[max(0, -(-95 * len(ms) // 100) - 1)], 3)


async def _workers(
    result: PhaseResult, n: int, concurrency: int, one: Callable[[int], Awaitable[str | None]],
    cap_s: float,
) -> list[float]:  # fmt: skip
    """Run ``one(i)`` for i < n on ``concurrency`` workers; stops at the cap and says so."""
    latencies: list[float] = []
    counter = iter(range(n))
    deadline = time.perf_counter() + cap_s

    async def worker() -> None:
        for i in counter:
            if time.perf_counter() > deadline:
                if not result.cut_short:
                    result.cut_short = True
                    result.fail(f"phase stopped at its {cap_s:.0f} s cap")
                return
            began = time.perf_counter()
            problem = await one(i)
            latencies.append(time.perf_counter() - began)
            if problem:
                result.fail(problem)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.operations = len(latencies)
    return latencies


def _status(response: httpx.Response) -> str | None:
    if response.is_success:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


class Workload:
    """One run of every phase against one server process."""

    def __init__(self, api: Api, pid: int, counts: Counts, timed: bool = True) -> None:
        self.api, self.pid, self.counts, self.timed = api, pid, counts, timed
        self.rng = random.Random(counts.seed)
        self.ledger = Ledger()
        self.cursors: list[str | None] = []

    def client(self, concurrency: int = 1) -> httpx.AsyncClient:
        """A keep-alive client for ``concurrency`` workers."""
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        return httpx.AsyncClient(
            base_url=self.api.base, headers=self.api.headers, limits=limits, timeout=300
        )

    async def creates(self, name: str, concurrency: int, start: int) -> PhaseResult:
        """(a) ``counts.creates`` single POSTs."""
        result = PhaseResult(name, planned=self.counts.creates)
        rows = [make_row(self.rng, start + i) for i in range(self.counts.creates)]
        async with self.client(concurrency) as client:

            async def one(i: int) -> str | None:
                response = await client.post(self.api.create_path(), json=self.api.payload(rows[i]))
                return _status(response) or self.ledger.learn(
                    self.api.created(response.json()), rows[i]
                )

            with Timer(self.pid, result):
                lat = await _workers(result, len(rows), concurrency, one, self.counts.cap_s)
        _latencies(result, lat)
        return result

    async def bulk(self, start: int) -> PhaseResult:
        """(b) ``counts.bulk_rows`` rows in sequential batches; answers checked afterwards."""
        c = self.counts
        batches = [
            [make_row(self.rng, start + b * c.bulk_batch + j) for j in range(c.bulk_batch)]
            for b in range(c.bulk_rows // c.bulk_batch)
        ]
        result = PhaseResult("b_bulk", planned=c.bulk_rows)
        answers: list[httpx.Response] = []
        async with self.client() as client:

            async def one(i: int) -> str | None:
                body = [self.api.payload(r) for r in batches[i]]
                answers.append(await client.post(self.api.bulk_path(), json=body))
                return None

            with Timer(self.pid, result):
                lat = await _workers(result, len(batches), 1, one, c.cap_s)
        for sent, response in zip(batches, answers, strict=False):
            problem = _status(response)
            records = [] if problem else self.api.bulk_created(response.json())
            if not problem and len(records) != len(sent):
                problem = f"bulk answer acknowledges {len(records)} rows, {len(sent)} sent"
            for record, row in zip(records, sent, strict=False):
                problem = problem or self.ledger.learn(record, row)
            if problem:
                result.fail(problem)
        result.operations = len(answers) * c.bulk_batch
        _latencies(result, lat)
        return result

    def _pages(self) -> list[list[int]]:
        scores, limit = self.ledger.expected_scores(), self.counts.list_limit
        pages = [scores[p * limit : (p + 1) * limit] for p in range(self.counts.pages)]
        return [p for p in pages if p]

    async def walk(self) -> PhaseResult:
        """The list warm-up: pages 1..N in order, keeping each page's cursor; not timed."""
        result = PhaseResult("c_list_walk")
        expected = self._pages()
        result.planned = len(expected)
        if not expected:
            result.fail("no acknowledged row matches the list filter")
            return result
        self.cursors = [None]
        seen: set[int] = set()
        async with self.client() as client:
            for p, want in enumerate(expected):
                params = self.api.list_params(self.counts.list_limit, p + 1, self.cursors[p])
                response = await client.get(self.api.list_path(), params=params)
                problem = _status(response)
                if problem:
                    result.fail(f"page {p + 1}: {problem}")
                    break
                body = response.json()
                rows = self.api.rows(body)
                problem = check_page(self.ledger, rows, want)
                ids = {row["id"] for row in rows}
                if problem is None and (seen & ids or len(ids) != len(rows)):
                    problem = "repeats rows of an earlier page"
                seen |= ids
                if problem:
                    result.fail(f"page {p + 1}: {problem}")
                result.operations += 1
                if p + 1 < len(expected):
                    self.cursors.append(self.api.next_cursor(body))
        return result

    async def lists(self, name: str, concurrency: int) -> PhaseResult:
        """(c) ``counts.requests`` list requests cycling over the walked pages."""
        expected = self._pages()
        result = PhaseResult(name, planned=self.counts.requests)
        if len(self.cursors) != len(expected):
            result.fail("the warm-up walk did not reach every page")
            return result
        async with self.client(concurrency) as client:

            async def one(i: int) -> str | None:
                p = i % len(expected)
                params = self.api.list_params(self.counts.list_limit, p + 1, self.cursors[p])
                response = await client.get(self.api.list_path(), params=params)
                return _status(response) or check_page(
                    self.ledger, self.api.rows(response.json()), expected[p]
                )

            with Timer(self.pid, result):
                lat = await _workers(
                    result, self.counts.requests, concurrency, one, self.counts.cap_s
                )
        _latencies(result, lat)
        return result

    async def first_ids(self, client: httpx.AsyncClient) -> list[int]:
        """The first ``counts.id_pool`` ids in id order, 500 a request."""
        ids: list[int] = []
        cursor: str | None = None
        page = 1
        while len(ids) < self.counts.id_pool:
            limit = min(500, self.counts.id_pool - len(ids))
            params = self.api.ids_params(limit, page, cursor)
            response = await client.get(self.api.list_path(), params=params)
            response.raise_for_status()
            body = response.json()
            got = [row["id"] for row in self.api.rows(body)]
            ids += got
            cursor, page = self.api.next_cursor(body), page + 1
            if len(got) < limit:
                break
        return ids

    async def reads(self) -> PhaseResult:
        """(d) ``counts.requests`` reads of ids picked from the first rows."""
        result = PhaseResult("d_read", planned=self.counts.requests)
        async with self.client() as client:
            ids = await self.first_ids(client)
            if ids != sorted(self.ledger.known)[: len(ids)] or not ids:
                result.fail("the id list is not the first acknowledged ids in order")
                return result
            picks = [self.rng.choice(ids) for _ in range(self.counts.requests)]
            warm = [self.rng.choice(ids) for _ in range(self.counts.warmups)]

            async def one_of(pool: list[int], i: int) -> str | None:
                response = await client.get(self.api.read_path(pool[i]))
                problem = _status(response)
                if problem:
                    return problem
                record = self.api.record(response.json())
                if record.get("id") != pool[i]:
                    return f"asked for id {pool[i]}, got {record.get('id')!r}"
                return self.ledger.check_row(record)

            warm_result = PhaseResult("d_read_warmup")
            await _workers(warm_result, len(warm), 1, lambda i: one_of(warm, i), 60)
            with Timer(self.pid, result):
                lat = await _workers(
                    result, len(picks), 1, lambda i: one_of(picks, i), self.counts.cap_s
                )
            if warm_result.errors:
                result.fail(f"warm-up: {warm_result.first_error}")
        _latencies(result, lat)
        return result

    async def run(self, say: Callable[[str], None]) -> dict[str, Any]:
        """Every phase in order; returns the run's JSON (phases, RSS, machine load, validity)."""
        c = self.counts
        idle = procstat.rss_mib(self.pid)
        sampler = procstat.RssSampler(self.pid)
        sampler.start()
        load0 = procstat.cpu_times()
        phases: list[PhaseResult] = []
        try:
            for step in (
                lambda: self.creates("a_create_c1", 1, 0),
                lambda: self.creates("a_create_c8", 8, c.creates),
                lambda: self.bulk(2 * c.creates),
                self.walk,
                lambda: self.lists("c_list_c1", 1),
                lambda: self.lists("c_list_c8", 8),
                self.reads,
            ):
                phase = await step()
                phases.append(phase)
                say(_line(phase, self.timed))
        finally:
            sampler.stop()
        problems = [f"{p.name}: {p.first_error} ({p.errors} errors)" for p in phases if p.errors]
        problems += [
            f"{p.name}: {p.operations} of {p.planned} done"
            for p in phases
            if p.planned and p.operations < p.planned and not p.errors
        ]
        return {
            "phases": {p.name: p.as_dict() for p in phases},
            "rss": {
                "idle_mib": round(idle, 1),
                "max_sampled_mib": round(sampler.max_mib, 1),
                "vmhwm_mib": round(procstat.hwm_mib(self.pid), 1),
            },
            "machine_during_run": procstat.cpu_share(load0, procstat.cpu_times()),
            "rows_acknowledged": len(self.ledger.known),
            "rows_matching_filter": len(self.ledger.expected_scores()),
            "valid": not problems,
            "problems": problems,
        }


def _line(phase: PhaseResult, timed: bool) -> str:
    status = "ok" if not phase.errors else f"{phase.errors} errors, first: {phase.first_error}"
    if not timed or not phase.wall_s:
        return f"    {phase.name}: {phase.operations}/{phase.planned} {status}"
    return (
        f"    {phase.name}: {phase.operations} ops in {phase.wall_s:.1f} s, server "
        f"{phase.cpu_ms_per_op:.3f} ms CPU/op, p50 {phase.median_ms:.1f} ms; {status}"
    )
