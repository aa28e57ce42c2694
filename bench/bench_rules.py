"""Rule-language costs, each as a ratio measured in one run.

    python bench/bench_rules.py [--saves 2000] [--rounds 3] [--evals 200000]

1. A typical expression evaluated by the compiled closures beside the tree-walking
   interpreter (same typed tree, same record).
2. A create on an entity with 20 validations and 20 trigger rules beside the same create
   on the same entity with none, through ``ApiGate`` and the records service in-process
   on SQLite (no HTTP), alternating rounds so machine noise hits both. Budget: ≤ 2x.

Results are appended to bench/RESULTS.md under their own heading.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trellis.metadata.loader import load_package
from trellis.platform.api.gate import ApiGate
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services.caller import readable_entity
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.expr import EvalContext, compile_expression, interpret

TYPICAL = 'amount > 10000 and stage in ("proposal", "negotiation")'
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Rule language: closures vs interpreter, save with 20 validations + 20 rules"

ENTITY = """fields:
  name: {type: string, required: true}
  amount: {type: money}
  stage: {type: enum, options: [new, proposal, negotiation, won, lost]}
  score: {type: integer}
  note: {type: string}
"""


def _write_package(root: Path, *, loaded: bool) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: rulesbench\nversion: 1.0.0\nlabel: Rules bench\n")
    entity = ENTITY
    if loaded:
        entity += "validations:\n" + "".join(
            f'  - {{when: "amount > {1_000_000 + i}", field: amount, '
            f'message: "Amount over limit {i}."}}\n'
            for i in range(20)
        )
        rules = "".join(
            f'rule "r{i}"\n  on deal created, updated\n'
            f"  when amount > {i * 100} and changed(amount)\n"
            f"  then set score = {i}\nend\n\n"
            for i in range(20)
        )
        (root / "rules").mkdir()
        (root / "rules" / "deal.rules").write_text(rules)
    (root / "entities" / "deal.yaml").write_text(entity)
    return root


def _best_per_call(fn: Callable[[], Any], calls: int, rounds: int = 5) -> float:
    """Fastest of ``rounds`` timings, in microseconds per call."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def expression_costs(evals: int) -> tuple[float, float]:
    """(closure µs, interpreter µs) for the typical expression."""
    with tempfile.TemporaryDirectory() as tmp:
        model = load_package(
            _write_package(Path(tmp), loaded=False), checker=RuleExpressionChecker()
        )
    entity = model.entity("deal")
    compiled = compile_expression(TYPICAL, entity, model)
    record = {
        "amount": Decimal("25000"),
        "stage": "proposal",
        "name": "x",
        "score": None,
        "note": None,
    }
    ctx = EvalContext(now=datetime.now(UTC))
    closure = _best_per_call(lambda: compiled.evaluate(record, ctx), evals)
    tree = _best_per_call(lambda: interpret(compiled, record, ctx), max(evals // 10, 1000))
    return closure, tree


def save_costs(saves: int, rounds: int) -> tuple[float, float]:
    """(plain ms CPU per create, loaded ms CPU per create), medians of alternating rounds."""
    tmp = Path(tempfile.mkdtemp())
    try:
        runtime = Runtime(RuntimeConfig(data_dir=tmp / "data"))
        api = ApiGate(runtime)
        headers = {}
        for tenant, loaded in (("plain", False), ("loaded", True)):
            runtime.registry.create_tenant(tenant)
            publish(runtime, tenant, _write_package(tmp / tenant, loaded=loaded))
            user = runtime.registry.ensure_user(f"a@{tenant}.test", "bench password")
            runtime.registry.add_membership(tenant, user, ["admin"])
            headers[tenant] = "Bearer " + runtime.registry.create_token(tenant, f"a@{tenant}.test")

        def run(tenant: str) -> float:
            call = api.call(tenant, headers[tenant])
            entity = readable_entity(call, "deal")
            start = time.process_time()
            for _ in range(saves):
                api.services.records.create(
                    call, entity, {"name": "Deal", "amount": "5000.00", "stage": "new"}
                )
            return (time.process_time() - start) / saves * 1000

        run("plain")
        run("loaded")  # warm both
        plain, loaded = [], []
        for i in range(rounds):
            order = ("plain", "loaded") if i % 2 == 0 else ("loaded", "plain")
            for tenant in order:
                (plain if tenant == "plain" else loaded).append(run(tenant))
        runtime.close()
        return statistics.median(plain), statistics.median(loaded)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_results(text: str) -> None:
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if HEADING in current:
        start = current.index(HEADING)
        end = current.find("\n## ", start + len(HEADING))
        current = current[:start] + current[end + 1 :] if end != -1 else current[:start]
    RESULTS.write_text(current.rstrip("\n") + "\n\n" + text)


def main(argv: list[str] | None = None) -> int:
    """Run both measurements, print them and record them in RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--evals", type=int, default=200_000)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args(argv)
    closure, tree = expression_costs(args.evals)
    plain, loaded = save_costs(args.saves, args.rounds)
    command = "python bench/bench_rules.py" + (
        f" --saves {args.saves} --rounds {args.rounds} --evals {args.evals}"
    )
    text = (
        f"{HEADING}\n\nDate: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Python "
        f"{platform.python_version()}, SQLite, in-process (no HTTP). Command: `{command}`\n\n"
        "| measure | value | baseline | ratio | budget |\n|---|---:|---:|---:|---|\n"
        f"| typical expression, closures (µs) | {closure:.2f} | interpreter {tree:.2f} | "
        f"{closure / tree:.2f}x | ≤ 10 µs: {'PASS' if closure <= 10 else 'FAIL'} |\n"
        f"| create with 20 validations + 20 rules (ms CPU) | {loaded:.3f} | none {plain:.3f} | "
        f"{loaded / plain:.2f}x | ≤ 2x: {'PASS' if loaded <= 2 * plain else 'FAIL'} |\n\n"
        f"Expression: `{TYPICAL}`. The rules are `on deal created, updated when amount > N "
        "and changed(amount) then set score = N`; the validations never fail.\n"
    )
    sys.stdout.write(text)
    if not args.no_results:
        _write_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
