"""Start-up: wall time from `kiosk run --offscreen --demo --screenshot` to the first screen,
the whole command's wall time, peak RSS, and `import kiosk.app` alone, over N runs (medians).

Writes bench/results/startup.json. Times are from the process's spawn to the log line on its
stderr: `ready` is `app.ready` (window shown), `first_screen` is `app.screenshot` (the first
screen rendered into the PNG: what a resident would see); `whole_command` also shuts down.
Peak RSS is the kiosk process's own (wait4), without the face matcher's child process.
Python writes and reuses its bytecode here, as the installed package does (compileall in
packaging/build_deb.py), even where PYTHONDONTWRITEBYTECODE is set for development.
Uses the global pcscd and vpcd port 35963: run it under `flock /tmp/kiosk-pcscd.lock`.

    python -m bench.startup [--runs N] [--repo OTHER_TREE]

`--repo` measures another checkout of the kiosk (e.g. `git archive main` unpacked, with its
translations built) with this script, to compare before and after on the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parent.parent
MARKS = {"ready": '"event": "app.ready"', "first_screen": '"event": "app.screenshot"'}


def _env(repo: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(repo))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def one_run(data: Path, shot: Path, repo: Path = REPO) -> dict[str, float]:
    """One start on an existing data dir to the first screen and out; seconds and MiB."""
    cmd = [sys.executable, "-m", "kiosk", "--data-dir", str(data), "run", "--offscreen",
           "--demo", "--screenshot", str(shot)]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=repo, env=_env(repo), stderr=subprocess.PIPE, text=True)
    seen: dict[str, float] = {}
    assert proc.stderr is not None
    for line in proc.stderr:
        for name, mark in MARKS.items():
            if name not in seen and mark in line:
                seen[name] = time.perf_counter() - t0
    _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or len(seen) != len(MARKS) or not shot.exists():
        raise SystemExit(f"kiosk run failed (exit {proc.returncode}, seen {sorted(seen)})")
    return {**{f"{k}_s": v for k, v in seen.items()}, "total_s": total,
            "peak_rss_mib": usage.ru_maxrss / 1024}  # fmt: skip


def import_time(repo: Path = REPO) -> float:
    code = "import time; t = time.perf_counter(); import kiosk.app; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, env=_env(repo), check=True,
                         capture_output=True, text=True)  # fmt: skip
    return float(out.stdout.strip())


def _summary(samples: list[float], unit: str, scale: float = 1.0) -> dict[str, float]:
    s = sorted(v * scale for v in samples)
    return {f"median_{unit}": round(statistics.median(s), 3), f"min_{unit}": round(s[0], 3),
            f"max_{unit}": round(s[-1], 3), "n": len(s)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.startup")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--repo", type=Path, default=REPO, help="the kiosk tree to measure")
    args = p.parse_args(argv)
    repo = args.repo.resolve()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as t:
        data = Path(t) / "data"
        one_run(data, Path(t) / "warm.png", repo)  # fills the page cache; makes the keys
        for i in range(args.runs):
            runs.append(one_run(data, Path(t) / f"run{i}.png", repo))
        imports = [import_time(repo) for _ in range(args.runs)]
    result = {
        "command": "kiosk run --offscreen --demo --screenshot",
        "tree": str(repo),
        "ready": _summary([r["ready_s"] for r in runs], "s"),
        "first_screen": _summary([r["first_screen_s"] for r in runs], "s"),
        "whole_command": _summary([r["total_s"] for r in runs], "s"),
        "peak_rss": _summary([r["peak_rss_mib"] for r in runs], "mib"),
        "import_kiosk_app": _summary(imports, "s"),
        "cpus": os.cpu_count(),
    }
    RESULTS.mkdir(exist_ok=True)
    name = "startup.json" if repo == REPO else f"startup-{repo.name}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
