"""Start-up time of the command line, as a ratio to importing Python, numpy and h5py.

Issue 16: ``physiocap --help`` and ``physiocap info FILE`` took 1.1-1.5 s, about ten
times the cost of ``python -c "import numpy, h5py"``, because building the parser imported
every subcommand and scipy with them. Goal: at most 2x that baseline (a command imports
only its own module, which imports heavy dependencies when it runs). Each command runs
``--repeat`` times in a fresh interpreter; the median is reported (the machine is
shared). Usage: ``python benchmarks/startup.py [--json] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "sample_recordings" / "real" / "tug-watch_ll_01.h5"
GOAL_RATIO = 2.0

COMMANDS: dict[str, list[str]] = {
    "python -c 'import numpy, h5py' (baseline)": ["-c", "import numpy, h5py"],
    "physiocap --help": ["-m", "physiocap.cli.main", "--help"],
    "physiocap info SAMPLE": ["-m", "physiocap.cli.main", "info", str(SAMPLE)],
    "physiocap analyze --help": ["-m", "physiocap.cli.main", "analyze", "--help"],
}


def wall_time_s(arguments: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, *arguments], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--repeat", type=int, default=7, help="runs per command (default 7)")
    args = parser.parse_args()
    measured = {name: wall_time_s(arguments, args.repeat)
                for name, arguments in COMMANDS.items()}
    baseline = next(iter(measured.values()))
    rows = [{"command": name, "median_s": seconds, "ratio_to_baseline": seconds / baseline}
            for name, seconds in measured.items()]
    if args.json:
        print(json.dumps({"goal_ratio": GOAL_RATIO, "rows": rows}, indent=2))
        return
    print(f"{'command':<44}{'median':>9}{'ratio':>8}")
    for row in rows:
        print(f"{row['command']:<44}{row['median_s']:8.3f}s{row['ratio_to_baseline']:7.2f}x")
    print(f"goal: at most {GOAL_RATIO:g}x the baseline")


if __name__ == "__main__":
    main()
