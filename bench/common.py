"""What both benchmarks share: statistics, child processes, CPU accounting, machine notes, results files."""

import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PYTHON = sys.executable
LOOPBACK = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------------------------- statistics


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def spread(values):
    """(min, max) of the repeats, so a reader can see how noisy the median is."""
    values = [v for v in values if v is not None]
    return [min(values), max(values)] if values else None


# ------------------------------------------------------------------------------------------ child processes

_children: list[subprocess.Popen] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"process {proc.args!r} exited with {proc.returncode} before listening on {port}"
            )
        try:
            socket.create_connection((LOOPBACK, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on {LOOPBACK}:{port} within {timeout:g}s")


def start(args, **kwargs) -> subprocess.Popen:
    """Start a child in its own process group, remembered so that `stop_all` ends it whatever happens."""
    proc = subprocess.Popen(args, start_new_session=True, **kwargs)  # noqa: S603 - our own programs
    _children.append(proc)
    return proc


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the child's process group, then SIGKILL it if it has not gone within `timeout` seconds."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)
    if proc in _children:
        _children.remove(proc)


def stop_all() -> None:
    for proc in list(_children):
        stop(proc, timeout=5)


def run(args, *, env, timeout, log: Path | None = None) -> subprocess.CompletedProcess:
    """Run a child to completion (bounded), output to `log` if given; raise with the log's tail on failure."""
    out = open(log, "ab") if log else subprocess.PIPE  # noqa: SIM115
    try:
        proc = start(args, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(proc)
            raise RuntimeError(f"{' '.join(map(str, args))} took longer than {timeout:g}s") from None
        finally:
            if proc in _children:
                _children.remove(proc)
    finally:
        if log:
            out.close()
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log else ""
        raise RuntimeError(f"{' '.join(map(str, args))} exited with {proc.returncode}\n{tail}")
    return proc


# Where the product's code comes from: None for the checkout as it is (src/, through the editable install),
# or a directory holding a snapshot of a commit's src/ (see `snapshot_source`), put first on PYTHONPATH.
SOURCE = {"dir": None, "label": None}


def snapshot_source(rev: str = "worktree") -> str:
    """Copy the product's code as it is now into a temporary directory and run the product from there.

    "worktree": src/ as it is in the checkout at the start of the run, so files edited while a long run goes
    on do not change what is measured half-way. A git revision (e.g. HEAD): that commit's src/ (read-only
    use of git), to measure a commit exactly.
    """
    target = Path(tempfile.mkdtemp(prefix="pledgecard-bench-src-"))
    if rev == "worktree":
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
        shutil.copytree(REPO / "src", target / "src", ignore=ignore)
        label = f"{_git_commit()} (snapshot of the working tree)"
    else:
        commit = _git("rev-parse", "--short", rev).decode().strip()
        archive = _git("archive", "--format=tar", rev, "src")
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)  # noqa: S603, S607
        label = f"{commit} (snapshot of {rev})"
    SOURCE.update(dir=str(target / "src"), label=label)
    return label


def product_env(workdir: Path, **overrides) -> dict:
    """The environment the product's processes run with: development settings, DEBUG off, files in `workdir`.

    DEBUG is off because a deployment runs with it off, and DEBUG changes what is measured (Jinja2 checks
    every template's file on each render, and Django keeps a log of every SQL query).
    """
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "EMAIL_URL", "SITE_URL", "PORT"}}
    env.update(
        DJANGO_SETTINGS_MODULE="pledgecard.settings",
        PLEDGECARD_VAR_DIR=str(workdir / "var"),
        PLEDGECARD_ASSETS_DIR=str(REPO / "assets"),
        DEBUG="0",
        PYTHONUNBUFFERED="1",
        PLEDGECARD_BENCH="1",  # the bare view, the baseline (404 without it)
    )
    if SOURCE["dir"]:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (SOURCE["dir"], os.environ.get("PYTHONPATH")) if p)
    env.update({k: str(v) for k, v in overrides.items()})
    return env


_workdirs: list[Path] = []


def workdir(prefix: str) -> Path:
    """A temporary directory for a benchmark (logs, SQLite database, var/), removed after a clean run."""
    path = Path(tempfile.mkdtemp(prefix=f"pledgecard-bench-{prefix}-"))
    _workdirs.append(path)
    return path


def remove_workdirs() -> None:
    for path in _workdirs:
        shutil.rmtree(path, ignore_errors=True)
    if SOURCE["dir"]:
        shutil.rmtree(Path(SOURCE["dir"]).parent, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ CPU time


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (its own, not its children's)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree.extend(frontier)
    return tree


def tree_cpu_seconds(pid: int) -> float:
    return sum(process_cpu_seconds(p) for p in process_tree(pid))


def machine_cpu() -> tuple[float, float]:
    """(busy seconds, total seconds) summed over all cores since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already inside user time
    return (total - idle) / CLK_TCK, total / CLK_TCK


def busy_share(before, after) -> float | None:
    """Share of the whole machine (all cores) that was busy between two `machine_cpu()` readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else None


# ---------------------------------------------------------------------------------------------- the machine


def _first_line_matching(path: str, prefix: str) -> str:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # noqa: BLE001 - a missing package is reported as "?"
        return "?"


def _git(*args) -> bytes:
    """Read-only git commands on this checkout."""
    command = ["git", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, check=True, timeout=60).stdout  # noqa: S603, S607


def _git_commit() -> str:
    try:
        head = _git("rev-parse", "--short", "HEAD").decode().strip()
        dirty = _git("status", "--porcelain", "src").strip()
        return head + ("+uncommitted src changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine_info() -> dict:
    mem_kib = _first_line_matching("/proc/meminfo", "MemTotal").split()[0]
    return {
        "when_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": SOURCE["label"] or _git_commit(),
        "cpu_model": _first_line_matching("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem_kib) / 1024 / 1024, 1) if mem_kib.isdigit() else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": _version("django"),
        "gunicorn": _version("gunicorn"),
        "psycopg": _version("psycopg"),
        "aiosmtpd": _version("aiosmtpd"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# ------------------------------------------------------------------------------------------------- results


def write_results(name: str, data: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    tmp.replace(path)
    return path


def fmt(value, digits=1, suffix=""):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value:,}{suffix}"


def table(headers, rows) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        pairs = enumerate(zip(row, widths, strict=True))
        padded = [cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in pairs]
        lines.append("  ".join(padded))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)
