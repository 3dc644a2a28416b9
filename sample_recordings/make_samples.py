"""Regenerate the sample session files from the simulated demo (never edit them by hand).

    python sample_recordings/make_samples.py

Writes ``sample_recordings/study/DEMO-0001/*.h5``: the standard demo visit, and a short
visit whose IMU link drops packets, duplicates some, drifts and disconnects for 2 s. Both
run in virtual time with fixed seeds, so the samples (not the creation timestamps) are the
same on every run.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from physiocap.core.clock import VirtualClock
from physiocap.core.records import Side, TestKind
from physiocap.devices.sim.faults import FaultConfig
from physiocap.workflows.demo import run_demo

HERE = Path(__file__).resolve().parent
STUDY = HERE / "study"
START_UTC = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

#: The faulty recording: 2 % of packets lost, 1 % duplicated, the device clock 60 ppm fast,
#: and the link lost for 2 s during the second TUG (host time 55 s on the virtual clock).
FAULTS = FaultConfig(drop_probability=0.02, duplicate_probability=0.01, clock_drift_ppm=60.0,
                     disconnect_at_s=55.0, reconnect_after_s=2.0)
FAULTY_PLAN = ((TestKind.TUG, {}, Side.NONE),) * 3


def main() -> int:
    shutil.rmtree(STUDY, ignore_errors=True)
    visit = run_demo(STUDY, clock=VirtualClock(start_utc=START_UTC), seed=0,
                     visit_label="baseline")
    faulty = run_demo(STUDY, clock=VirtualClock(start_utc=START_UTC), seed=1,
                      plan=FAULTY_PLAN, imu_faults=FAULTS, visit_label="link-faults")
    for report in (visit, faulty):
        size_kb = report.path.stat().st_size / 1024
        print(f"{report.path.relative_to(HERE)}: {len(report.trials)} trials, {size_kb:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
