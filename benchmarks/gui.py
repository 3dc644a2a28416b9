"""Live-plot benchmark: frames per second with six live streams at 200 Hz, and GUI-thread CPU.

Three simulated IMUs stream accelerometer and gyroscope at 200 Hz (six streams, three
channels each) through the real capture engine; the GUI's :class:`LivePlotPanel` shows all
six, pulling the ring buffers on its 40 Hz timer, in a 1366×768 window. We report the
frames actually painted per second (the slowest plot), the timer updates per second, the
CPU time of the GUI thread per wall second (``time.thread_time`` of the main thread) and
the samples capture lost meanwhile (acquisition must never wait for the GUI: 0).

    python benchmarks/gui.py [--seconds 10] [--json]

Runs offscreen unless QT_QPA_PLATFORM says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer

from physiocap.capture.engine import CaptureEngine
from physiocap.core.device_info import Placement
from physiocap.gui.app import application
from physiocap.gui.widgets.live_plot import LivePlotPanel, LiveStream

RATE_HZ = 200.0
IMUS = 3  # × (acc, gyro) = six streams


def _wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def run(seconds: float) -> dict[str, float]:
    app = application()
    engine = CaptureEngine().start()
    try:
        streams = []
        for index in range(IMUS):
            device_id = engine.add_device("sim-imu", f"SIM-IMU-{index + 1:04d}",
                                          rate_hz=RATE_HZ, seed=index,
                                          placement=Placement.LOWER_BACK)
            for spec in engine.start_streaming(device_id):
                ring = engine.ring_buffer(device_id, spec.name)
                streams.append(LiveStream(f"{device_id}/{spec.name}",
                                          f"{device_id} · {spec.name}", spec.channels,
                                          spec.units[0], ring.latest))
        panel = LivePlotPanel(columns=2)
        panel.set_streams(streams)
        panel.resize(1366 - 190, 768 - 60)
        panel.show()
        _wait(1000)  # buffers fill, first frames
        frames0, updates0 = panel.frames_painted, panel.updates
        stats0 = {s.key: engine.stream_stats(*s.key.split("/")) for s in streams}
        cpu0, wall0 = time.thread_time(), time.monotonic()
        panel.start()
        _wait(int(seconds * 1000))
        panel.stop()
        cpu, wall = time.thread_time() - cpu0, time.monotonic() - wall0
        stats = {s.key: engine.stream_stats(*s.key.split("/")) for s in streams}
        lost = sum(stats[key].lost_samples - stats0[key].lost_samples for key in stats)
        received = sum(stats[key].samples - stats0[key].samples for key in stats)
        panel.close()
        app.processEvents()
    finally:
        engine.shutdown()
    return {"streams": len(streams), "rate_hz": RATE_HZ, "seconds": round(wall, 2),
            "frames_per_s": round((panel.frames_painted - frames0) / wall, 1),
            "updates_per_s": round((panel.updates - updates0) / wall, 1),
            "gui_thread_cpu_pct": round(100.0 * cpu / wall, 1),
            "update_cpu_ms_per_frame": round(1000.0 * panel.update_cpu_s
                                             / max(1, panel.updates), 2),
            "samples_received": received, "samples_lost": lost,
            "platform": os.environ.get("QT_QPA_PLATFORM", "")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.seconds)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"GUI live plots: {result['streams']} streams × {result['rate_hz']:.0f} Hz, "
          f"{result['seconds']} s, QT_QPA_PLATFORM={result['platform']}")
    rows = (("frames painted per second (slowest plot)", result["frames_per_s"], "≥ 30"),
            ("timer updates per second", result["updates_per_s"], "≤ 40 (timer)"),
            ("GUI thread CPU, % of one core", result["gui_thread_cpu_pct"], ""),
            ("data pull + setData per frame, ms", result["update_cpu_ms_per_frame"], ""),
            ("samples received by capture", result["samples_received"], ""),
            ("samples lost by capture", result["samples_lost"], "0"))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'measure':<{width}}  {'value':>10}  goal")
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:>10}  {goal}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    sys.exit(main())
