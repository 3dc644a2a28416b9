"""Leave-one-subject-out estimates of the analyses whose constants were chosen on data.

Runs ``physiocap validate DATASET PATH --loso`` for uji-tug (thigh; wrist pooled with
tug-watch) and ipol-gait and prints each table (or one JSON document with ``--json``).
Every (recording, constant value) is analysed once and cached, so a fold only looks
results up; the whole run takes a few minutes on one core. Usage:
``python benchmarks/loso.py [--json] [--data ../shared/data]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from physiocap.cli.validate_command import format_loso
from physiocap.workflows.validation.loso import run_loso

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not (args.data / "uji-tug").is_dir():
        print(f"{args.data}: no uji-tug folder (the datasets are not here)", file=sys.stderr)
        return 2
    reports = []
    for dataset in ("uji-tug", "ipol-gait"):
        started = time.perf_counter()

        def progress(label: str, done: int, total: int, started: float = started) -> None:
            elapsed = time.perf_counter() - started
            eta = elapsed / done * (total - done)
            print(f"\r{label:<11} fold {done}/{total}, {elapsed:.0f} s, ETA {eta:.0f} s",
                  end="" if done < total else "\n", file=sys.stderr, flush=True)

        report = run_loso(dataset, args.data / dataset, tug_watch_path=args.data / "tug-watch",
                          progress=progress)
        report["runtime_s"] = time.perf_counter() - started
        reports.append(report)
    if args.json:
        print(json.dumps(reports, indent=2, default=float))
    else:
        print("\n\n".join(format_loso(report) for report in reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
