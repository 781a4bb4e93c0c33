"""The report at scale: peak memory of `write_report` at 10^4, 10^5 and 10^6 runs, and the
time of `geosim run` with the report against without it at 10^4.

Usage (from the repository root; `make bench` runs the default)::

    python benchmarks/report.py                      # 10^4, 10^5, 10^6 runs + the time ratio
    python benchmarks/report.py --runs 10000 100000  # some sizes only
    python benchmarks/report.py --skip-ratio

Each size runs the reference scenario into a temporary results folder with `geosim run
--no-report` (series every day up to 10^5 runs, every 30 days at 10^6), then writes the
report in a fresh process and reads that process's peak resident set size (getrusage).
The ratio runs `geosim run --runs 10000` with and without `--no-report` (best of two each).
The machine is shared: the load average is printed beside every figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "iraq-2014.yaml"
GEOSIM = [sys.executable, "-m", "sim.cli"]
REPORT_PEAK = """
import resource, sys, time
t = time.perf_counter()
from sim.analysis.report import write_report
write_report(sys.argv[1])
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def run(runs: int, out: Path, every: int, report: bool) -> float:
    cmd = [*GEOSIM, "run", str(SCENARIO), "--runs", str(runs), "--seed", "7", "--quiet",
           "--series-every", str(every), "--out", str(out)]
    if not report:
        cmd.append("--no-report")
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def peak(runs: int, every: int, tmp: Path) -> None:
    out = tmp / f"r{runs}"
    seconds = run(runs, out, every, report=False)
    res = subprocess.run([sys.executable, "-c", REPORT_PEAK, str(out)], check=True, cwd=ROOT,
                         capture_output=True, text=True)
    took, mb = (float(v) for v in res.stdout.split())
    print(f"{runs:>9,} runs (series every {every} d): run {seconds:7.1f} s, report "
          f"{took:5.1f} s, report peak RSS {mb:7.0f} MB   load {load()}", flush=True)
    shutil.rmtree(out, ignore_errors=True)


def ratio(tmp: Path, runs: int = 10_000) -> None:
    times = {True: [], False: []}
    for i in range(2):
        for report in (False, True):
            out = tmp / f"ratio-{report}-{i}"
            times[report].append(run(runs, out, 1, report))
            shutil.rmtree(out, ignore_errors=True)
    with_, without = min(times[True]), min(times[False])
    print(f"{runs:,} runs: with report {with_:.1f} s, without {without:.1f} s, ratio "
          f"{with_ / without:.2f} (target <= 1.2)   load {load()}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--skip-ratio", action="store_true")
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load {load()}")
    with tempfile.TemporaryDirectory(prefix="geosim-bench-") as tmp:
        for runs in args.runs:
            peak(runs, 30 if runs >= 1_000_000 else 1, Path(tmp))
        if not args.skip_ratio:
            ratio(Path(tmp))


if __name__ == "__main__":
    main()
