"""A trial far longer than any test (a recording left running) is analysed window by
window in bounded memory (issue 16), and finds what the same tests recorded alone give:
simulated TUGs and grip efforts embedded at known times in a long quiet recording, one of
each straddling a window boundary and one a core boundary, against the simulation's
truth and against the same samples analysed as a short trial."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.records import (
    Participant,
    SessionInfo,
    Side,
    TestKind,
    TrialInfo,
    TrialStatus,
)
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.devices.sim.force import Effort, EffortSequence
from physiocap.devices.sim.kinematics.tug import TugScenario
from physiocap.storage import PACKET_DTYPE, SessionReader, SessionWriter
from physiocap.workflows.analyze import analyze_session
from physiocap.workflows.windowed_analysis import STRENGTH_PLAN, Window, WindowPlan

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)
ACC = StreamSpec("acc", ("x", "y", "z"), ("m/s^2",) * 3, 100.0, dtype="float32")
GYRO = StreamSpec("gyro", ("x", "y", "z"), ("rad/s",) * 3, 100.0, dtype="float32")
FORCE = StreamSpec("force", ("force",), ("N",), 80.0, dtype="float32",
                   timing=DeviceTiming.PER_SAMPLE)
IMU_HZ, FORCE_HZ = 100.0, 80.0
LONG_S = 2400.0
#: TUG windows (120 s longest TUG, 34 s around it): 924 s long, 616 s apart; cores meet at
#: 770 s, 1386 s, 2002 s. Starts: inside a core, 5 s before a core boundary (the TUG
#: crosses it), 5 s before the end of the first window's second neighbour (it straddles
#: the end of the window at 1540 s).
TUG_STARTS_S = (300.0, 765.0, 1535.0)
#: Strength windows (96 s set, 5 s rest): 606 s long, 404 s apart; cores meet at 505 s,
#: 909 s, ... Onsets: inside a core, 2 s before a core boundary, 2 s before the first
#: window's end (606 s), and late in the trial.
EFFORT_ONSETS_S = (200.0, 503.0, 604.0, 1500.0)
EFFORT_PEAKS_N = (300.0, 280.0, 320.0, 310.0)


def _packets(first_row: int, count: int, per_packet: int, rate_hz: float,
             t0_s: float) -> np.ndarray:
    rows = np.zeros(count // per_packet, PACKET_DTYPE)
    rows["sample_index"] = first_row + np.arange(len(rows)) * per_packet
    rows["n_samples"] = per_packet
    rows["t_s"] = t0_s + rows["sample_index"] / rate_hz
    rows["host_time_s"] = rows["t_s"]
    return rows


def _tug_snippet(seed: int) -> tuple[TugScenario, np.ndarray, np.ndarray]:
    scenario = TugScenario(quiet_before_s=3.0, quiet_after_s=3.0, variability_seed=seed)
    _, acc, gyro = render(scenario, "lower_back", seed=seed, random_mounting=False)
    return scenario, acc, gyro


def _effort_snippet(peak_n: float, rng: np.random.Generator) -> tuple[EffortSequence,
                                                                      np.ndarray]:
    scenario = EffortSequence((Effort(onset_s=5.0, peak_n=peak_n, side=Side.RIGHT),),
                              lead_out_s=5.0)
    t = np.arange(0.0, scenario.duration_s, 1.0 / FORCE_HZ)
    return scenario, scenario.force_n(t) + rng.normal(0, 0.5, len(t))


def _write(path: Path, imu: tuple[np.ndarray, np.ndarray] | None,
           force: np.ndarray | None) -> Path:
    """A session with a TUG trial of ``imu`` (acc, gyro at 100 Hz) and a grip trial of
    ``force`` (80 Hz), written ten seconds per append as a recording is."""
    clock = [0.0]
    writer = SessionWriter.create(path, Participant("P001"), SessionInfo("S01", "long", MOMENT),
                                  monotonic=lambda: clock[0])
    writer.add_device(DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM", "1",
                                 placement=Placement.LOWER_BACK, simulated=True))
    writer.add_device(DeviceInfo("dyn1", "sim-dyn", DeviceKind.DYNAMOMETER, "SIM", "2",
                                 placement=Placement.GRIP_DYNAMOMETER, simulated=True))
    if imu is not None:
        acc, gyro = imu
        writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=MOMENT, t_start_s=0.0,
                           streams=[("imu1", ACC), ("imu1", GYRO)])
        for row in range(0, len(acc), 1000):
            clock[0] = row / IMU_HZ
            chunk = slice(row, min(row + 1000, len(acc)))
            count = chunk.stop - chunk.start
            for spec, values in ((ACC, acc), (GYRO, gyro)):
                writer.append("T01", "imu1", spec.name, values[chunk].astype(np.float32),
                              _packets(row, count, 10, IMU_HZ, 0.0))
        writer.end_trial("T01", status=TrialStatus.COMPLETED, t_end_s=len(acc) / IMU_HZ,
                         ended_utc=MOMENT)
    if force is not None:
        grip = TrialInfo("T02", TestKind.GRIP, {"protocol": "southampton"}, side=Side.RIGHT)
        t0 = 10_000.0
        writer.begin_trial(grip, started_utc=MOMENT, t_start_s=t0, streams=[("dyn1", FORCE)])
        for row in range(0, len(force), 800):
            clock[0] = t0 + row / FORCE_HZ
            count = min(800, len(force) - row)
            writer.append("T02", "dyn1", "force",
                          force[row:row + count].astype(np.float32)[:, None],
                          _packets(row, count, 4, FORCE_HZ, t0),
                          device_time_s=(row + np.arange(count)) / FORCE_HZ)
        writer.end_trial("T02", status=TrialStatus.COMPLETED,
                         t_end_s=t0 + len(force) / FORCE_HZ, ended_utc=MOMENT)
    writer.close()
    return path


@pytest.fixture(scope="module")
def long_session(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("long")
    rng = np.random.default_rng(7)
    tugs = [_tug_snippet(seed) for seed in range(len(TUG_STARTS_S))]
    _, first_acc, first_gyro = tugs[0]
    seated_acc, seated_gyro = first_acc[:100].mean(axis=0), first_gyro[:100].mean(axis=0)
    n = round(LONG_S * IMU_HZ)
    acc = seated_acc + rng.normal(0, 0.02, (n, 3))
    gyro = seated_gyro + rng.normal(0, 0.005, (n, 3))
    for start_s, (_, snippet_acc, snippet_gyro) in zip(TUG_STARTS_S, tugs, strict=True):
        row = round(start_s * IMU_HZ)
        acc[row:row + len(snippet_acc)] = snippet_acc
        gyro[row:row + len(snippet_gyro)] = snippet_gyro
    efforts = [_effort_snippet(peak, rng) for peak in EFFORT_PEAKS_N]
    force = rng.normal(0, 0.5, round(LONG_S * FORCE_HZ))
    for onset_s, (_, snippet) in zip(EFFORT_ONSETS_S, efforts, strict=True):
        row = round((onset_s - 5.0) * FORCE_HZ)  # the snippet's effort starts at 5 s
        force[row:row + len(snippet)] = snippet
    path = _write(folder / "long.h5", (acc, gyro), force)
    alone_tugs = [_write(folder / f"tug{k}.h5", (a, g), None)
                  for k, (_, a, g) in enumerate(tugs)]
    alone_efforts = [_write(folder / f"effort{k}.h5", None, f)
                     for k, (_, f) in enumerate(efforts)]
    return {"path": path, "tugs": tugs, "efforts": efforts, "alone_tugs": alone_tugs,
            "alone_efforts": alone_efforts,
            "outcomes": {o.trial_id: o for o in analyze_session(path, store=False)}}


def test_every_tug_is_found_once_at_its_true_times(long_session: dict) -> None:
    outcome = long_session["outcomes"]["T01"]
    assert outcome.error == ""
    trials = outcome.result.trials
    assert len(trials) == len(TUG_STARTS_S)
    for trial, start_s, (scenario, _, _) in zip(trials, TUG_STARTS_S, long_session["tugs"],
                                                strict=True):
        truth = scenario.events()
        assert abs(trial.total_time_s - scenario.total_time_s) <= 0.1
        assert abs(trial.events["sit_to_stand_start_s"]
                   - (start_s + truth["sit_to_stand_start"])) <= 0.1
        assert abs(trial.events["sit_end_s"] - (start_s + truth["sit_end"])) <= 0.1
    assert outcome.headline["tug_total_time_s"] == trials[0].total_time_s


def test_each_tug_equals_the_same_tug_recorded_alone(long_session: dict) -> None:
    trials = long_session["outcomes"]["T01"].result.trials
    for trial, start_s, path in zip(trials, TUG_STARTS_S, long_session["alone_tugs"],
                                    strict=True):
        (alone,) = [o for o in analyze_session(path, store=False) if o.trial_id == "T01"]
        assert alone.algorithm is not None
        assert "windows" not in alone.algorithm.parameters
        reference = alone.result.primary
        assert trial.total_time_s == pytest.approx(reference.total_time_s, abs=0.011)
        for name, value in reference.events.items():
            assert trial.events[name] - start_s == pytest.approx(value, abs=0.011), name
        assert trial.steps == reference.steps
        assert trial.turn_direction == reference.turn_direction


def test_every_effort_is_found_once_at_its_true_onset_and_peak(long_session: dict) -> None:
    outcome = long_session["outcomes"]["T02"]
    assert outcome.error == ""
    efforts = outcome.result.efforts
    assert [e.number for e in efforts] == [1, 2, 3, 4]
    for effort, onset_s, (scenario, _) in zip(efforts, EFFORT_ONSETS_S,
                                              long_session["efforts"], strict=True):
        (truth,) = scenario.effort_events()
        assert abs(effort.onset_s - 10_000.0 - (onset_s - 5.0 + truth.onset_s)) <= 0.05
        assert effort.peak_force_n == pytest.approx(truth.peak_n, rel=0.02)
    assert outcome.headline["peak_force_n"] == max(e.peak_force_n for e in efforts)
    # every effort of the long trial is right-handed (a per-trial protocol)
    assert {e.side for e in efforts} == {"right"}


def test_each_effort_equals_the_same_effort_recorded_alone(long_session: dict) -> None:
    efforts = long_session["outcomes"]["T02"].result.efforts
    for effort, onset_s, path in zip(efforts, EFFORT_ONSETS_S,
                                     long_session["alone_efforts"], strict=True):
        (alone,) = [o for o in analyze_session(path, store=False) if o.trial_id == "T02"]
        (reference,) = alone.result.efforts
        shift = onset_s - 5.0  # where the snippet lies in the long trial
        assert effort.peak_force_n == pytest.approx(reference.peak_force_n, abs=0.05)
        assert effort.onset_s - shift == pytest.approx(reference.onset_s, abs=0.013)
        assert effort.time_to_peak_s == pytest.approx(reference.time_to_peak_s, abs=0.013)


def test_the_stored_run_says_the_trial_was_windowed(long_session: dict,
                                                    tmp_path: Path) -> None:
    copy = tmp_path / "long.h5"
    copy.write_bytes(long_session["path"].read_bytes())
    analyze_session(copy)
    with SessionReader(copy) as reader:
        for trial_id, plan_windows in (("T01", 924.0), ("T02", STRENGTH_PLAN.window_s)):
            (run,) = reader.analysis_runs(trial_id)
            assert run.params["windows"]["window_s"] == pytest.approx(plan_windows)
            assert run.record["algorithm"]["parameters"]["windows"] == run.params["windows"]


def test_a_trial_shorter_than_a_window_is_analysed_whole(long_session: dict) -> None:
    (alone,) = [o for o in analyze_session(long_session["alone_tugs"][0], store=False)]
    assert alone.algorithm is not None
    assert "windows" not in alone.algorithm.parameters


def test_windows_tile_the_trial_with_cores_that_hold_any_test_whole() -> None:
    plan = WindowPlan(longest_test_s=120.0, context_s=34.0)
    windows = plan.windows(0.0, 5000.0)
    assert windows[0].core_s[0] == -np.inf
    assert windows[-1].core_s[1] == np.inf
    for first, second in itertools.pairwise(windows):
        assert first.core_s[1] == second.core_s[0]
    assert windows[-1].span_s[1] > 5000.0
    for window in windows:
        _assert_holds_whole(plan, window)
    assert plan.windows(0.0, plan.window_s) == []


def _assert_holds_whole(plan: WindowPlan, window: Window) -> None:
    """A test of the longest length starting anywhere in the core, with its context on
    both sides, lies inside the window (edges of the recording aside)."""
    lo = max(window.core_s[0], window.span_s[0])
    hi = min(window.core_s[1], window.span_s[1])
    for start in np.linspace(lo, hi, 50, endpoint=False):
        inside_left = start - plan.context_s >= window.span_s[0] or window.core_s[0] == -np.inf
        inside_right = (start + plan.longest_test_s + plan.context_s <= window.span_s[1]
                        or window.core_s[1] == np.inf)
        assert inside_left
        assert inside_right


def test_windowed_reads_equal_the_whole_stream(long_session: dict) -> None:
    with SessionReader(long_session["path"]) as reader:
        for trial_id, device_id, stream in (("T01", "imu1", "acc"), ("T02", "dyn1", "force")):
            times = reader.sample_times_s(trial_id, device_id, stream)
            values = reader.samples_si(trial_id, device_id, stream)
            for start_s, stop_s in ((times[0] + 12.34, times[0] + 700.0),
                                    (times[-1] - 5.0, times[-1] + 1.0)):
                rows = reader.rows_between(trial_id, device_id, stream, start_s, stop_s)
                assert times[rows[0]] <= start_s
                assert rows[1] == len(times) or times[rows[1]] >= stop_s
                window_times = reader.sample_times_s(trial_id, device_id, stream, rows=rows)
                if rows[1] < len(times):  # a packet follows: every step is a measured one
                    assert np.array_equal(window_times, times[rows[0]:rows[1]])
                else:  # the last packet's step is the median of the packets read
                    assert np.allclose(window_times, times[rows[0]:rows[1]], rtol=0,
                                       atol=1e-9)
                assert np.array_equal(reader.samples_si(trial_id, device_id, stream,
                                                        rows=rows), values[rows[0]:rows[1]])
