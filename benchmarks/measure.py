"""Measuring tools for the benchmark: peak RSS of a whole process tree (the Python driver, its JVM and the
JVM's Python workers) sampled from /proc in a thread, folder sizes and file counts, the machine and its load.

Linux only (/proc); no third-party package."""

from __future__ import annotations

import os
import platform
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


def _ppids() -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        # the command name is in parentheses and may hold spaces: the fields follow the last ')'
        fields = stat[stat.rfind(b")") + 2 :].split()
        out[int(entry.name)] = int(fields[1])
    return out


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def tree(root: int) -> list[int]:
    """`root` and all its descendants, less the transient copies a JVM makes when it forks to run a command
    (Hadoop's local file system runs `chmod`, `ls`…): between fork and exec such a child is a copy of the
    JVM whose RSS counts the JVM's pages a second time. A child is left out while its executable is its
    parent's and that is a `java`."""
    ppids = _ppids()
    children: dict[int, list[int]] = {}
    for pid, ppid in ppids.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid != root:
            exe = _exe(pid)
            if exe and exe.endswith("/java") and exe == _exe(ppids.get(pid, 0)):
                continue
        found.append(pid)
        todo += children.get(pid, [])
    return found


def rss(pid: int) -> int:
    """Resident set size of one process, in bytes (0 if it ended)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def pss(pid: int) -> int:
    """Proportional set size in bytes: pages shared with other processes (a forked Python worker and its
    daemon) are divided between them, so the PSS of a tree sums to the memory it really holds."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def tree_rss(root: int, exclude: frozenset[int] = frozenset()) -> int:
    return sum(rss(p) for p in tree(root) if p not in exclude)


def tree_breakdown(root: int, exclude: frozenset[int] = frozenset()) -> dict[str, list[int]]:
    """RSS and PSS of the tree by command name: {name: [processes, rss bytes, pss bytes]} (java, python…)."""
    out: dict[str, list[int]] = {}
    for pid in tree(root):
        if pid in exclude:
            continue
        entry = out.setdefault(_comm(pid), [0, 0, 0])
        entry[0] += 1
        entry[1] += rss(pid)
        entry[2] += pss(pid)
    return out


@dataclass
class Phase:
    name: str
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    peak_rss: int = 0
    peak_pss: int = 0
    peak_breakdown: dict = field(default_factory=dict)  # {command: [processes, rss, pss]} at the RSS peak

    def breakdown_mib(self) -> dict[str, dict]:
        return _breakdown_mib(self.peak_breakdown)


def _breakdown_mib(breakdown: dict[str, list[int]]) -> dict[str, dict]:
    return {
        k: {"processes": n, "rss_mib": round(r / MIB, 1), "pss_mib": round(p / MIB, 1)}
        for k, (n, r, p) in breakdown.items()
    }


class TreeSampler:
    """Samples the summed RSS of the process trees under `roots` every `interval` seconds in a daemon thread.
    `phase(name)` yields a `Phase` whose `peak_rss` is the highest sample taken while it ran (plus one sample
    at its start and one at its end, so even a short phase has a figure)."""

    def __init__(self, roots: list[int] | None = None, interval: float = 0.2):
        self.roots = roots or [os.getpid()]
        self.interval = interval
        self.exclude: set[int] = set()  # e.g. a helper process of the benchmark itself
        self.peak = 0
        self.peak_pss = 0
        self.peak_breakdown: dict[str, list[int]] = {}
        self._open: list[Phase] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def sample(self) -> int:
        breakdown: dict[str, list[int]] = {}
        for root in self.roots:
            for name, values in tree_breakdown(root, frozenset(self.exclude)).items():
                entry = breakdown.setdefault(name, [0, 0, 0])
                for i, v in enumerate(values):
                    entry[i] += v
        value = sum(v[1] for v in breakdown.values())
        proportional = sum(v[2] for v in breakdown.values())
        with self._lock:
            if value > self.peak:
                self.peak, self.peak_breakdown = value, breakdown
            self.peak_pss = max(self.peak_pss, proportional)
            for phase in self._open:
                if value > phase.peak_rss:
                    phase.peak_rss, phase.peak_breakdown = value, breakdown
                phase.peak_pss = max(phase.peak_pss, proportional)
        return value

    def breakdown_mib(self) -> dict[str, dict]:
        return _breakdown_mib(self.peak_breakdown)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> TreeSampler:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @contextmanager
    def phase(self, name: str):
        phase = Phase(name)
        with self._lock:
            self._open.append(phase)
        self.sample()
        try:
            yield phase
        finally:
            self.sample()
            with self._lock:
                self._open.remove(phase)
            phase.seconds = time.monotonic() - phase.started


@dataclass(frozen=True)
class FolderStats:
    bytes: int
    files: int

    def as_dict(self) -> dict:
        return {"bytes": self.bytes, "files": self.files}


def folder_stats(path: Path) -> FolderStats:
    """Bytes and number of files under `path` (0, 0 when it does not exist); symlinks are not followed."""
    size = count = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                size += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
            count += 1
    return FolderStats(size, count)


def lake_stats(lake_dir: Path) -> dict[str, dict]:
    """Per layer (and per table under each layer): bytes, files, and how many of them are Parquet data files."""
    out: dict[str, dict] = {}
    if not lake_dir.exists():
        return out
    for layer in sorted(p for p in lake_dir.iterdir() if p.is_dir()):
        stats = folder_stats(layer)
        parquet = sum(1 for _ in layer.rglob("*.parquet"))
        out[layer.name] = {**stats.as_dict(), "parquet_files": parquet}
    return out


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict:
    mem_total = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_total = int(line.split()[1]) * 1024
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_total / 1024**3, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
