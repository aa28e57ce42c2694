"""``python -m bench run --quick``: the peer harness end to end, and what it refuses.

The quick runs start real servers (Trellis on SQLite and PostgreSQL, the hand-written
baseline) as subprocesses and check every answer; nothing is timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from bench.peer import report
from bench.peer.apis import TrellisApi
from bench.peer.targets import Server, StartError, Target, wait_ready
from bench.peer.workload import QUICK, Ledger, check_page

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TRELLIS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m bench ARGS`` from the repository root."""
    env = {k: v for k, v in os.environ.items() if k != "PEER_DIRECTUS"}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def runs_of(folder: Path) -> dict[str, dict[str, object]]:
    """The JSON of each run under ``folder``, by target name."""
    files = sorted(folder.glob("*/*.json"))
    return {json.loads(p.read_text())["target"]: json.loads(p.read_text()) for p in files}


def assert_all_checked(run: dict[str, object]) -> None:
    """A valid run in which every phase did all it planned."""
    assert run["valid"] is True, run["problems"]
    planned_rows = 2 * QUICK.creates + QUICK.bulk_rows
    assert run["rows_acknowledged"] == planned_rows
    phases = run["phases"]
    assert isinstance(phases, dict)
    for name, phase in phases.items():
        assert phase["errors"] == 0, name
        assert phase["operations"] == phase["planned"] > 0, name


@pytest.mark.slow
def test_quick_run_checks_every_answer_on_sqlite(tmp_path: Path) -> None:
    done = bench("run", "--quick", "--targets", "trellis-sqlite,baseline,directus",
                 "--runs-dir", str(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "skipping directus: no Directus install folder" in done.stdout
    runs = runs_of(tmp_path)
    assert set(runs) == {"trellis-sqlite", "baseline"}
    for run in runs.values():
        assert_all_checked(run)
    assert "ms CPU/op" not in done.stdout  # nothing timed
    assert (
        runs["trellis-sqlite"]["rows_matching_filter"] == runs["baseline"]["rows_matching_filter"]
    )
    # `report` writes the section from saved runs (taken as full runs here, for the layout)
    saved = tmp_path / "saved"
    saved.mkdir()
    for name, run in runs.items():
        (saved / f"{name}.json").write_text(json.dumps({**run, "quick": False}))
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Other\n\nkept\n")
    again = bench("report", str(saved), "--results", str(results))
    assert again.returncode == 0, again.stdout + again.stderr
    text = results.read_text()
    assert "## Other\n\nkept" in text
    assert "| create, 1 client | trellis-sqlite ÷ baseline |" in text
    assert "No ratio: no valid Directus run." in text


@pytest.mark.slow
@pytest.mark.postgres
def test_quick_run_on_postgresql(tmp_path: Path) -> None:
    done = bench("run", "--quick", "--targets", "trellis-pg", "--pg-url", PG_URL,
                 "--runs-dir", str(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert_all_checked(runs_of(tmp_path)["trellis-pg"])


def test_a_non_loopback_target_is_refused(tmp_path: Path) -> None:
    done = bench("run", "--quick", "--targets", "baseline", "--host", "10.1.2.3",
                 "--runs-dir", str(tmp_path))  # fmt: skip
    assert done.returncode == 2
    assert "refusing non-loopback target" in done.stdout
    assert not list(tmp_path.glob("*/*.json"))
    with pytest.raises(ValueError, match="non-loopback"):
        TrellisApi("http://192.0.2.1:80", "t", "bench")


def test_a_target_that_fails_to_start_shows_its_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    script = "import sys; print('cannot open the data dir: boom'); sys.exit(3)"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", script], stdout=out)
    server = Server("trellis-sqlite", TrellisApi("http://127.0.0.1:9", "t", "b"), process, log)
    with pytest.raises(
        StartError, match=r"exited with code 3(.|\n)*cannot open the data dir: boom"
    ):
        wait_ready(server, "/", timeout=30)


def test_directus_without_its_install_folder_is_skipped_clearly(tmp_path: Path) -> None:
    done = bench("run", "--quick", "--targets", "directus", "--directus", str(tmp_path),
                 "--runs-dir", str(tmp_path))  # fmt: skip
    assert done.returncode == 0
    assert f"skipping directus: {tmp_path} holds no Directus install" in done.stdout
    assert Target("directus").directus_dir is None


def test_wrong_answers_are_caught() -> None:
    ledger = Ledger()
    for i, (email, score) in enumerate([("a.x@inbox.net", 90), ("b@mail.test", 80)], start=1):
        sent = {"email": email, "score": score}
        assert ledger.learn({"id": i, **sent}, sent) is None
    reused = {"email": "c", "score": 1}
    assert "already used" in str(ledger.learn({"id": 1, **reused}, reused))
    assert "other values" in str(ledger.learn({"id": 3, "email": "d", "score": 2}, reused))
    good = {"id": 1, "email": "a.x@inbox.net", "score": 90}
    assert check_page(ledger, [good], ledger.expected_scores()) is None
    no_match = {"id": 2, "email": "b@mail.test", "score": 80}
    assert "does not match the filter" in str(check_page(ledger, [good, no_match], [90]))
    assert "never created" in str(check_page(ledger, [{**good, "id": 77}], [90]))
    assert "other values" in str(check_page(ledger, [{**good, "score": 91}], [90]))
    assert "other scores" in str(check_page(ledger, [], [90]))  # a short page


def test_an_invalid_run_gives_no_ratio() -> None:
    invalid = {"target": "directus", "round": 1, "valid": False, "problems": ["c_list_c1: x"]}
    figs = {"directus": report.figures("directus", [invalid])}
    body = report.render(figs, [invalid], "python -m bench run", {}, asdict(QUICK))
    assert "No ratio: no valid Directus run." in body
    assert "| 1 | directus | **no** |" in body
