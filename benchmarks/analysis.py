"""Analyse 1 h of synthetic 100 Hz IMU data and print the ratio to real time.

Goal (issue 3): one hour analysed in under 1 s. The signal repeats a TUG-like pattern
(rest, walking with turns) so every stage (resampling, frame, turns, contacts, sit-to-stand
transitions) works on realistic content. Each analysis runs ``--repeat`` times and the
median is reported (the machine is shared). Usage:
``python benchmarks/analysis.py [--json] [--hours H] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numpy as np

from physiocap.analysis.gait import LowerBackContactDetector, WalkingBoutDetector
from physiocap.analysis.sit_to_stand import SitToStandAnalyzer
from physiocap.analysis.tug import TugAnalyzer


def synthetic_imu(duration_s: float, rate_hz: float = 100.0,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(0, duration_s, 1 / rate_hz)
    phase = t % 30.0  # 30 s cycle: 10 s rest, 20 s walking with two turns
    walking = phase >= 10.0
    vertical = np.where(walking, 2.0 * np.sin(2 * np.pi * 1.8 * t), 0.0)
    yaw = np.where((phase > 15) & (phase < 17), np.pi / 2, 0.0)
    yaw += np.where((phase > 23) & (phase < 25), -np.pi / 2, 0.0)
    acc = np.column_stack([0.3 * np.sin(2 * np.pi * 0.9 * t) * walking,
                           np.zeros_like(t), 9.81 + vertical])
    gyro = np.column_stack([0.5 * np.sin(2 * np.pi * 0.9 * t) * walking,
                            np.zeros_like(t), yaw])
    acc += rng.normal(0, 0.05, acc.shape)
    gyro += rng.normal(0, 0.01, gyro.shape)
    return t, acc, gyro


def _median_time_s(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per analysis (median)")
    args = parser.parse_args()
    duration_s = args.hours * 3600.0
    t, acc, gyro = synthetic_imu(duration_s)

    def contacts_and_bouts() -> None:
        WalkingBoutDetector().detect(LowerBackContactDetector().detect(t, acc, gyro).times_s)

    timings = {
        "tug_s": _median_time_s(lambda: TugAnalyzer("lower_back").analyze(t, acc, gyro),
                                args.repeat),
        "contacts_and_bouts_s": _median_time_s(contacts_and_bouts, args.repeat),
        "sit_to_stand_s": _median_time_s(
            lambda: SitToStandAnalyzer("lower_back").analyze(t, acc, gyro), args.repeat),
    }
    total = sum(timings.values())
    result = {"recording_s": duration_s, "rate_hz": 100.0, "repeat": args.repeat, **timings,
              "total_s": total, "ratio_to_real_time": total / duration_s,
              "seconds_per_hour": total / args.hours, "goal_met": total / args.hours < 1.0}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{args.hours:g} h of 100 Hz IMU analysed in {total:.2f} s "
              f"(TUG {timings['tug_s']:.2f} s, contacts+bouts "
              f"{timings['contacts_and_bouts_s']:.2f} s, sit-to-stand "
              f"{timings['sit_to_stand_s']:.2f} s; median of {args.repeat}); ratio to real "
              f"time {total / duration_s:.2e} (goal: < 1 s per hour)")


if __name__ == "__main__":
    main()
