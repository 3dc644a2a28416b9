"""Issue 16 proof: property-based fuzzing (Hypothesis [R4]) of the newer importers' inputs.
An APDM file with any dataset or attribute altered, a Mobilise-D ``data.mat`` with any
struct field deleted or replaced (written by ``scipy.io.savemat``), a mapped CSV with lines
or columns mangled: each import ends in a session file or a one-line error naming the
file, never a traceback, and never changes the input.

Each base file is a genuine short recording (a simulated walk) that imports. Cases per
test: ``PHYSIOCAP_FUZZ_EXAMPLES`` (150 by default, to keep CI short; the larger run is in
docs/reliability.md).
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.io import savemat
from tests.analysis.simulated import render
from tests.reliability.test_fuzz_readers import ARRAYS, VALUES, _damage, _digest, _objects, _run

from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk

EXAMPLES = int(os.environ.get("PHYSIOCAP_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])
G = 9.80665
START_US = 1_678_786_013_000_000  # 2023-03-14 09:26:53 UTC
SAMPLES = 300  # 3 s at 100 Hz: short, so that each case is fast

pytestmark = pytest.mark.slow

T, ACC, GYRO = (part[:SAMPLES] for part in render(
    GaitSpeedWalk(walking_speed_m_per_s=1.0, cadence_steps_per_min=105.0,
                  acceleration_distance_m=0.0, deceleration_distance_m=1.0,
                  variability_seed=4), "lower_back", seed=9))


def _write_apdm(path: Path) -> None:
    with h5py.File(path, "w") as f:
        f.attrs["FileFormatVersion"] = np.int32(5)
        group = f.create_group("Sensors/1383")
        group["Accelerometer"] = ACC
        group["Gyroscope"] = GYRO
        group["Magnetometer"] = np.tile([20.0, -5.0, 43.0], (SAMPLES, 1))
        group["Time"] = (START_US + np.round(T * 1e6)).astype(np.uint64)
        config = group.create_group("Configuration")
        config.attrs["Label 0"] = b"Lumbar"
        config.attrs["Sample Rate"] = np.uint16(100)
        f["Annotations"] = np.array([(START_US + 1_000_000, b"1383", b"start walk")],
                                    dtype=[("Time", "<u8"), ("SensorID", "S8"),
                                           ("Annotation", "S64")])


def _trial() -> dict[str, Any]:
    return {"StartDateTime": "2021-02-03T10:00:00+01:00",
            "SU": {"LowerBack": {"Timestamp": 1_612_342_800.0 + T, "Acc": ACC / G,
                                 "Gyr": np.degrees(GYRO), "Fs": {"Acc": 100}}},
            "Standards": {"INDIP": {"MicroWB": {"Start": 0.5, "End": 2.5,
                                                "WalkingSpeed": 1.0, "Length": 2.0}}}}


def _leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not isinstance(value, dict):
        return [path]
    return [path] + [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]


FIELDS = [path for path in _leaves(_trial()) if path]


def _apdm_objects(tmp: Path) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    path = tmp / "base.h5"
    _write_apdm(path)
    return _objects(path)


@pytest.fixture(scope="module")
def apdm_damage(tmp_path_factory: pytest.TempPathFactory) -> st.SearchStrategy[Any]:
    groups, datasets, attributes = _apdm_objects(tmp_path_factory.mktemp("base"))
    return st.one_of(
        st.tuples(st.just("delete"), st.sampled_from(groups + datasets), st.none()),
        st.tuples(st.just("replace"), st.sampled_from(datasets), ARRAYS),
        st.tuples(st.just("scale"), st.sampled_from(datasets),
                  st.sampled_from([-1.0, 0.0, 1e3, 1e9, np.nan])),
        st.tuples(st.just("attribute"), st.sampled_from(attributes), VALUES),
        st.tuples(st.just("drop attribute"), st.sampled_from(attributes), st.none()))


def _check(source: Path, out: Path, argv: list[str], case: object) -> None:
    before = _digest(source)
    code, error = _run(["import", argv[0], str(source), "-o", str(out), *argv[1:]])
    assert code in (0, 2), f"{case}: {code}: {error}"
    assert "\n" not in error, f"{case}: {error}"
    if code == 2:
        assert str(source) in error or str(out) in error, f"{case}: {error}"
    else:
        assert out.is_file(), case
    assert _digest(source) == before, case


#: Found by this fuzzing, each an internal error before: a negative declared rate, an
#: infinite file format version.
APDM_FOUND = [("attribute", ("Sensors/1383/Configuration", "Sample Rate"), -1),
              ("attribute", ("/", "FileFormatVersion"), np.inf)]


@pytest.mark.parametrize("damage", APDM_FOUND)
def test_apdm_alterations_found_by_fuzzing(tmp_path: Path, damage: tuple[str, Any, Any]) -> None:
    source = tmp_path / "walk.h5"
    _write_apdm(source)
    _damage(source, *damage)
    _check(source, tmp_path / "out.h5", ["apdm-h5", "--test", "gait_speed"], damage)


@FUZZ
@given(data=st.data())
def test_any_alteration_of_an_apdm_file(tmp_path_factory: pytest.TempPathFactory,
                                        apdm_damage: st.SearchStrategy[Any],
                                        data: st.DataObject) -> None:
    damage = data.draw(apdm_damage)
    folder = tmp_path_factory.mktemp("apdm")
    source = folder / "walk.h5"
    _write_apdm(source)
    try:
        _damage(source, *damage)
    except (TypeError, ValueError, KeyError, OSError):
        return  # h5py cannot store that value: nothing to read
    _check(source, folder / "out.h5", ["apdm-h5", "--test", "gait_speed"], damage)


@FUZZ
@given(where=st.sampled_from(FIELDS),
       change=st.one_of(st.just(("delete", None)), st.tuples(st.just("replace"), VALUES),
                        st.tuples(st.just("replace"), ARRAYS),
                        st.tuples(st.just("scale"),
                                  st.sampled_from([-1.0, 0.0, 1e3, 1e9, np.nan]))))
@example(where=("SU", "LowerBack", "Timestamp"), change=("scale", 1e3))  # found: internal error
@example(where=("Standards", "INDIP", "MicroWB", "Length"), change=("replace", 1.0))  # 10 000
def test_any_alteration_of_a_mobilised_struct(tmp_path_factory: pytest.TempPathFactory,
                                              where: tuple[str, ...],
                                              change: tuple[str, Any]) -> None:
    trial = _trial()
    parent = trial
    for key in where[:-1]:
        parent = parent[key]
    kind, value = change
    if kind == "delete":
        del parent[where[-1]]
    elif kind == "replace":
        parent[where[-1]] = value
    elif isinstance(parent[where[-1]], np.ndarray | float | int):
        parent[where[-1]] = np.asarray(parent[where[-1]], dtype=float) * value
    folder = tmp_path_factory.mktemp("mobilised") / "HA" / "009"
    folder.mkdir(parents=True)
    source = folder / "data.mat"
    try:
        savemat(source, {"data": {"TimeMeasure1": {"Test5": {"Trial1": trial}}}})
    except (TypeError, ValueError):
        return  # savemat cannot store that value: nothing to read
    _check(source, folder.parent.parent / "out.h5", ["mobilised-mat"], (where, change))


def _csv_text() -> str:
    out = io.StringIO()
    out.write("timestamp,ax,ay,az,gx,gy,gz\n")
    for i in range(SAMPLES):
        out.write(",".join([f"{START_US / 1000 + T[i] * 1000:.3f}",
                            *(f"{v / G:.5f}" for v in ACC[i]),
                            *(f"{math.degrees(v):.4f}" for v in GYRO[i])]) + "\n")
    return out.getvalue()


CSV_LINES = _csv_text().splitlines(keepends=True)
CSV_ARGS = ["csv", "--test", "gait_speed", "--time", "timestamp:unix_ms",
            "--acc", "ax,ay,az:g", "--gyro", "gx,gy,gz:deg/s"]
LINE = st.integers(0, len(CSV_LINES) - 1)
CSV_MANGLING = st.one_of(
    st.tuples(st.just("delete line"), LINE, st.none()),
    st.tuples(st.just("duplicate line"), LINE, st.none()),
    st.tuples(st.just("swap lines"), LINE, LINE),
    st.tuples(st.just("replace line"), LINE, st.text(max_size=60)),
    st.tuples(st.just("swap cells"), LINE, st.tuples(st.integers(0, 6), st.integers(0, 6))),
    st.tuples(st.just("replace cell"), LINE,
              st.tuples(st.integers(0, 6), st.one_of(
                  st.text(max_size=12), st.floats().map(repr),
                  st.sampled_from(["", "nan", "inf", "-1e308", "1e400", "0x10"])))),
    st.tuples(st.just("bytes"), st.integers(0, len(CSV_LINES[0]) * 40),
              st.tuples(st.integers(0, 200), st.binary(max_size=40))))


def _mangle(kind: str, at: int, value: Any) -> bytes:
    lines = list(CSV_LINES)
    if kind == "delete line":
        del lines[at]
    elif kind == "duplicate line":
        lines.insert(at, lines[at])
    elif kind == "swap lines":
        lines[at], lines[value] = lines[value], lines[at]
    elif kind == "replace line":
        lines[at] = value + "\n"
    elif kind in ("swap cells", "replace cell"):
        cells = lines[at].rstrip("\n").split(",")
        if kind == "swap cells":
            cells[value[0]], cells[value[1]] = cells[value[1]], cells[value[0]]
        else:
            cells[value[0]] = value[1]
        lines[at] = ",".join(cells) + "\n"
    text = "".join(lines).encode("utf-8")
    if kind == "bytes":
        cut, insert = value
        text = text[:at] + insert + text[at + cut:]
    return text


@FUZZ
@given(mangling=CSV_MANGLING)
@example(mangling=("replace cell", 1, (1, "1.833136835578221e+307")))  # found at 2000 cases
def test_any_mangling_of_a_mapped_csv(tmp_path_factory: pytest.TempPathFactory,
                                      mangling: tuple[str, int, Any]) -> None:
    folder = tmp_path_factory.mktemp("csv")
    source = folder / "walk.csv"
    source.write_bytes(_mangle(*mangling))
    _check(source, folder / "out.h5", CSV_ARGS, mangling)


def test_the_base_files_import(tmp_path: Path) -> None:
    """The fuzzing starts from files that import: otherwise every case would be refused."""
    source = tmp_path / "walk.h5"
    _write_apdm(source)
    assert _run(["import", "apdm-h5", str(source), "-o", str(tmp_path / "a.h5"),
                 "--test", "gait_speed"])[0] == 0
    folder = tmp_path / "HA" / "009"
    folder.mkdir(parents=True)
    savemat(folder / "data.mat", {"data": {"TimeMeasure1": {"Test5": {"Trial1": _trial()}}}})
    assert _run(["import", "mobilised-mat", str(folder / "data.mat"),
                 "-o", str(tmp_path / "m.h5")])[0] == 0
    (tmp_path / "walk.csv").write_bytes(_mangle("swap lines", 1, 1))
    assert _run(["import", *CSV_ARGS[:1], str(tmp_path / "walk.csv"),
                 "-o", str(tmp_path / "c.h5"), *CSV_ARGS[1:]])[0] == 0
