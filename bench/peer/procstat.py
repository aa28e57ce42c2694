"""Readers of ``/proc``: a process's CPU time and memory, machine-wide CPU shares."""

from __future__ import annotations

import contextlib
import os
import platform
import threading
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _status(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB."""
    return _status(pid, "VmRSS")


def hwm_mib(pid: int) -> float:
    """The kernel's resident high-water mark of ``pid`` in MiB."""
    return _status(pid, "VmHWM")


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        with contextlib.suppress(OSError):
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
    return found


def cpu_times() -> list[int]:
    """Machine-wide jiffies: user nice system idle iowait irq softirq steal."""
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:9]]


def cpu_share(before: list[int], after: list[int]) -> dict[str, float]:
    """Busy, iowait and steal percentages between two ``cpu_times()``."""
    d = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(d) or 1
    return {
        "busy_pct": round(100 * (total - d[3] - d[4]) / total, 1),
        "iowait_pct": round(100 * d[4] / total, 1),
        "steal_pct": round(100 * d[7] / total, 1),
    }


class RssSampler(threading.Thread):
    """The largest summed RSS of a process tree, sampled every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.max_mib = pid, every, 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            with contextlib.suppress(OSError):
                self.max_mib = max(self.max_mib, sum(rss_mib(p) for p in tree(self.pid)))
            self._halt.wait(self.every)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._halt.set()
        self.join()


def machine() -> dict[str, Any]:
    """Facts of this machine that make figures comparable (or not)."""
    facts: dict[str, Any] = {"nproc": os.cpu_count(), "kernel": platform.release()}
    facts["python"] = platform.python_version()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            facts["cpu"] = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            facts["mem_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    facts["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    return facts
