"""Bluetooth throughput: devices × rate through the emulated BlueZ, bleak, capture and HDF5.

For each configuration N emulated Movesense sensors stream acc + gyro (IMU6) at R Hz, from a
separate emulator process, through a private dbus-daemon and bleak's BlueZ backend into the
drivers and the capture engine, which records one trial to an HDF5 session file. We report:

* loss — samples the emulated firmware sent vs samples stored in the trial (must be 0), and
  the gaps capture detected;
* CPU — this process's CPU time per wall second while streaming, per device (bleak, D-Bus
  parsing, drivers, capture, writer thread; the emulator and dbus-daemon run elsewhere and
  are reported apart);
* latency — from the moment the emulated sensor handed a packet to D-Bus to the moment its
  block sat in the capture ring buffer (median and 99th percentile). Movesense blocks wait
  for the next packet (its timestamp gives the sample step), so that latency includes one
  packet period; ``transport`` is the part up to the driver's notification callback and
  ``capture`` the time capture takes to take in one block.

A laptop adapter holds about 7-10 links (issue 5; adapters differ in connection slots
[D24]), so 8 devices is the realistic top. Usage::

    python benchmarks/ble.py [--json] [--seconds 5] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.capture import CaptureEngine
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo
from physiocap.core.streams import SampleBlock
from physiocap.devices.ble.decoders.movesense import MovesenseResource
from physiocap.devices.ble.drivers.movesense import MovesenseDriver
from physiocap.devices.ble.emulator.bus import PrivateSystemBus
from physiocap.devices.ble.emulator.firmware.movesense import samples_per_packet
from physiocap.storage import SessionReader, SessionWriter

CONFIGURATIONS = [(1, 52), (1, 104), (1, 208), (4, 52), (4, 104), (4, 208),
                  (8, 52), (8, 104), (8, 208)]
QUICK = [(1, 104), (8, 104)]


class TimedMovesense(MovesenseDriver):
    """Records, per packet, when its block had passed through capture into the ring buffer."""

    def __init__(self, address: str, **options: Any) -> None:
        super().__init__(address, **options)
        self.delivered: dict[int, tuple[float, float]] = {}
        self.capture_s: list[float] = []

    def _emit(self, block: SampleBlock) -> None:
        handed_s = time.monotonic()
        super()._emit(block)
        done_s = time.monotonic()
        self.capture_s.append(done_s - handed_s)
        if block.stream == "acc" and block.device_time_raw is not None:
            self.delivered[block.device_time_raw] = (block.host_time_s, done_s)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_configuration(n_devices: int, rate_hz: int, seconds: float, bus: PrivateSystemBus,
                      workdir: Path) -> dict[str, Any]:
    addresses = [f"AA:BB:CC:00:{n_devices:02X}:{k:02X}" for k in range(1, n_devices + 1)]
    report = workdir / f"emulator-{n_devices}-{rate_hz}.json"
    emulator = subprocess.Popen(
        [sys.executable, "-m", "physiocap.devices.ble.emulator.serve",
         *(f"movesense:{a}" for a in addresses), "--report", str(report)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert emulator.stdout is not None
    assert emulator.stdin is not None
    assert emulator.stdout.readline().strip() == "ready"
    path = workdir / f"P001/S-{n_devices}-{rate_hz}.h5"
    path.parent.mkdir(exist_ok=True)
    writer = SessionWriter.create(path, Participant("P001", birth_year=1960),
                                  SessionInfo(f"S-{n_devices}-{rate_hz}", "benchmark",
                                              datetime.now(UTC)))
    drivers = [TimedMovesense(address, rate_hz=rate_hz) for address in addresses]
    with CaptureEngine() as engine:
        ids = [engine.add_device(driver) for driver in drivers]
        for device_id in ids:
            engine.start_streaming(device_id, ["acc", "gyro"])
        engine.open_session(writer)
        time.sleep(0.5)
        engine.start_trial(TrialInfo("stream", TestKind.CALIBRATION))
        cpu0, emulator_cpu0, daemon_cpu0 = (time.process_time(), cpu_seconds(emulator.pid),
                                            cpu_seconds(bus.pid))
        wall0 = time.monotonic()
        time.sleep(seconds)
        wall = time.monotonic() - wall0
        cpu = time.process_time() - cpu0
        emulator_cpu = cpu_seconds(emulator.pid) - emulator_cpu0
        daemon_cpu = cpu_seconds(bus.pid) - daemon_cpu0
        for device_id in ids:
            engine.stop_streaming(device_id)
        time.sleep(0.3)
        summary = engine.stop_trial()
        engine.close_session()
    emulator.stdin.close()
    emulator.wait(10)
    sent = json.loads(report.read_text())
    # A packet counts as lost when the sensor sent it before the last packet that arrived
    # and it never arrived; packets sent while the unsubscribe was on its way are "in flight".
    per_packet = samples_per_packet(MovesenseResource.IMU6, rate_hz)
    sent_packets = lost_packets = in_flight = 0
    for driver in drivers:
        keys = [int(raw) for raw, _ in sent[driver.address]["sent"]]
        last = max(driver.delivered)
        sent_packets += sum(raw <= last for raw in keys)
        lost_packets += sum(raw <= last and raw not in driver.delivered for raw in keys)
        in_flight += sum(raw > last for raw in keys)
    sent_samples, lost_samples = per_packet * sent_packets, per_packet * lost_packets
    with SessionReader(path) as reader:
        stored = sum(len(reader.samples("stream", device_id, "acc")) for device_id in ids)
    transport, delivery = [], []
    for driver in drivers:
        send_times = dict((int(k), t) for k, t in sent[driver.address]["sent"])
        for raw, (arrived, delivered) in driver.delivered.items():
            if raw in send_times:
                transport.append(arrived - send_times[raw])
                delivery.append(delivered - send_times[raw])
    return {
        "devices": n_devices, "rate_hz": rate_hz, "streams_per_device": 2,
        "samples_per_s_total": 2 * n_devices * rate_hz,
        "samples_sent": sent_samples, "samples_lost": lost_samples,
        "packets_in_flight_at_stop": in_flight, "gaps": len(summary.gaps),
        "stored_acc_samples_in_trial": stored,
        "malformed": sum(d.stats.packets_malformed for d in drivers),
        "cpu_fraction_per_device": cpu / wall / n_devices,
        "cpu_fraction_total": cpu / wall,
        "emulator_cpu_fraction": emulator_cpu / wall,
        "dbus_daemon_cpu_fraction": daemon_cpu / wall,
        "transport_latency_ms_median": 1e3 * float(np.median(transport)),
        "transport_latency_ms_p99": 1e3 * float(np.percentile(transport, 99)),
        "capture_ms_per_block_median": 1e3 * float(np.median(
            np.concatenate([d.capture_s for d in drivers]))),
        "delivery_latency_ms_median": 1e3 * float(np.median(delivery)),
        "delivery_latency_ms_p99": 1e3 * float(np.percentile(delivery, 99)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("--seconds", type=float, default=5.0, help="streaming time per run")
    parser.add_argument("--quick", action="store_true", help=f"only {QUICK}")
    args = parser.parse_args()
    from bleak.backends.bluezdbus.version import BlueZFeatures

    BlueZFeatures.checked_bluez_version = True  # no bluetoothd here: nothing to ask
    BlueZFeatures.supported_version = True
    results = []
    with PrivateSystemBus() as bus, tempfile.TemporaryDirectory() as tmp:
        for n_devices, rate_hz in QUICK if args.quick else CONFIGURATIONS:
            results.append(run_configuration(n_devices, rate_hz, args.seconds, bus, Path(tmp)))
            if not args.json:
                r = results[-1]
                print(f"{r['devices']} × Movesense IMU6 @ {r['rate_hz']:>3} Hz: "
                      f"lost {r['samples_lost']}/{r['samples_sent']} samples, "
                      f"{r['gaps']} gaps, CPU {100 * r['cpu_fraction_per_device']:.1f} %/device "
                      f"({100 * r['cpu_fraction_total']:.1f} % total; emulator "
                      f"{100 * r['emulator_cpu_fraction']:.0f} %, dbus-daemon "
                      f"{100 * r['dbus_daemon_cpu_fraction']:.0f} %), latency to ring buffer "
                      f"median {r['delivery_latency_ms_median']:.1f} ms, p99 "
                      f"{r['delivery_latency_ms_p99']:.1f} ms (transport "
                      f"{r['transport_latency_ms_median']:.1f} ms, capture "
                      f"{r['capture_ms_per_block_median']:.2f} ms/block)", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
