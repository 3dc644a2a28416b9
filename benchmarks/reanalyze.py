"""Re-analyse a study of demo visits and print sessions per second against the workers.

Goal (issue 14): re-analysis scales with workers, so a consortium's study re-analyses in
hours on the cluster it has. The study (``--sessions`` demo visits of 18 trials, recorded
once in virtual time) is copied fresh for every configuration and every trial re-analysed
with the current algorithms (``--restart``: runs identical to stored ones are not stored
again) on local processes (1, 2, 4 workers) and a local Dask cluster (``--dask-workers``
processes); last, two recipes that change a parameter of gait speed only and of every
test (the overridden trials are analysed one by one, opening the file for each, and
stored). The machine is
shared: read the ratios, not the absolute rates. Usage:
``python benchmarks/reanalyze.py [--json] [--sessions N] [--dask-workers N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from physiocap.cli.main import main as physiocap
from physiocap.workflows.reanalyze import Recipe, reanalyze_study

#: Every test's analysis gets another parameter value, so every trial gets a new run.
OVERRIDES = Recipe("benchmark", "1", parameters={
    "tug": {"turn_cutoff_hz": 0.55}, "gait_speed": {"turn_cutoff_hz": 0.55},
    "sit_to_stand": {"posture_cutoff_hz": 1.4}, "grip": {"min_hold_s": 0.45},
    "knee_extension": {"min_hold_s": 0.45}})


def make_study(root: Path, sessions: int) -> None:
    for index in range(sessions):
        participant = f"B{index // 2:03d}"
        label = "baseline" if index % 2 == 0 else "month-3"
        date = "2026-01-05" if index % 2 == 0 else "2026-04-06"
        with contextlib.redirect_stdout(io.StringIO()):
            code = physiocap(["demo", "--out", str(root), "--speed", "max", "--participant",
                              participant, "--visit-label", label, "--date", date,
                              "--seed", str(index)])
        if code != 0:
            raise SystemExit(f"demo visit {index} failed")


def timed(study: Path, work: Path, recipe: Recipe, **options: object) -> tuple[float, int]:
    copy = work / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(study, copy)
    started = time.perf_counter()
    report = reanalyze_study(copy, recipe, resume=False, **options)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    if report.failed_files:
        raise SystemExit(f"failed: {report.failed_files[0].error}")
    return elapsed, report.stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--dask-workers", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        study = work / "study"
        make_study(study, args.sessions)
        for workers in (1, 2, 4):
            elapsed, stored = timed(study, work, Recipe(), workers=workers)
            rows.append({"runner": f"local, {workers} worker{'s' if workers > 1 else ''}",
                         "seconds": elapsed, "sessions_per_s": args.sessions / elapsed,
                         "runs_stored": stored})
        from distributed import LocalCluster

        with LocalCluster(n_workers=args.dask_workers, threads_per_worker=1,
                          processes=True, dashboard_address=None) as cluster:
            elapsed, stored = timed(study, work, Recipe(),
                                    scheduler=cluster.scheduler_address)
        rows.append({"runner": f"Dask LocalCluster, {args.dask_workers} processes",
                     "seconds": elapsed, "sessions_per_s": args.sessions / elapsed,
                     "runs_stored": stored})
        gait_only = Recipe("gait", "1", parameters={"gait_speed": OVERRIDES.parameters[
            "gait_speed"]})
        for recipe, what in ((gait_only, "gait speed"), (OVERRIDES, "every test")):
            elapsed, stored = timed(study, work, recipe, workers=2)
            rows.append({"runner": f"local, 2 workers, recipe overriding {what}",
                         "seconds": elapsed, "sessions_per_s": args.sessions / elapsed,
                         "runs_stored": stored})
    base = rows[0]["sessions_per_s"]
    for row in rows:
        row["speed_up"] = row["sessions_per_s"] / base
    if args.json:
        print(json.dumps({"sessions": args.sessions, "cpus": os.cpu_count(), "rows": rows},
                         indent=2))
        return
    print(f"{args.sessions} sessions of 18 trials, {os.cpu_count()} CPUs")
    print("| runner | time | sessions/s | speed-up | runs stored |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['runner']} | {row['seconds']:.1f} s | {row['sessions_per_s']:.2f} | "
              f"{row['speed_up']:.2f} | {row['runs_stored']} |")


if __name__ == "__main__":
    main()
