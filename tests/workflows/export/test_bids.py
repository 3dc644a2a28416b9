"""``physiocap export bids``: the demo study as Motion-BIDS, checked by the official BIDS
validator [E3] (npm package ``bids-validator``, installed into the pytest cache and run
with node; skipped with a message where node or npm is missing or the registry cannot be
reached), and against the session files: samples, times, events and what may identify a
person."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from physiocap.cli.main import main
from physiocap.storage import SessionReader
from physiocap.workflows.export.bids import age_band

pytestmark = pytest.mark.slow
VALIDATOR = "bids-validator@1.15.0"


@pytest.fixture(scope="module")
def bids_dataset(demo_study: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bids") / "dataset"
    assert main(["export", "bids", "--study", str(demo_study), "-o", str(out),
                 "--age-band-years", "10"]) == 0
    return out


@pytest.fixture(scope="module")
def validator(request: pytest.FixtureRequest) -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the official BIDS validator")
    cache = request.config.cache.mkdir("bids-validator")
    program = cache / "node_modules" / "bids-validator" / "bin" / "bids-validator"
    if not program.is_file():
        result = subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit",
                                 "--no-fund", VALIDATOR], capture_output=True, text=True,
                                timeout=600, check=False)
        if result.returncode != 0:
            pytest.skip(f"could not install {VALIDATOR} from npm: {result.stderr[-300:]}")
    return program


def test_official_validator_finds_no_error(bids_dataset: Path, validator: Path) -> None:
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run([node, str(validator), str(bids_dataset), "--json"],
                            capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(result.stdout)
    errors = [(issue["key"], [f.get("reason") for f in issue["files"][:3]])
              for issue in report["issues"]["errors"]]
    assert errors == []
    assert report["summary"]["subjects"] == ["P01", "P02"]
    assert set(report["summary"]["tasks"]) == {"tug", "gaitspeed", "sittostand", "grip",
                                                "kneeextension"}


def test_imported_apdm_walk_with_two_sensors_and_magnetometers_validates(
        tmp_path: Path, validator: Path) -> None:
    from tests.workflows.importers.test_apdm_h5 import write_format5

    from physiocap.core.records import Participant, TestKind
    from physiocap.workflows.analyze import analyze_session
    from physiocap.workflows.importers.apdm_h5 import import_apdm_h5

    source = tmp_path / "opal.h5"
    write_format5(source)
    session = import_apdm_h5(source, tmp_path / "study" / "P-APDM" / "walk.h5",
                             Participant("P-APDM"), TestKind.GAIT_SPEED)
    analyze_session(session)
    out = tmp_path / "bids"
    assert main(["export", "bids", "--study", str(tmp_path / "study"), "-o", str(out)]) == 0
    motion = out / "sub-PAPDM" / "ses-import" / "motion"
    names = sorted(p.name for p in motion.glob("*_channels.tsv"))
    assert names == ["sub-PAPDM_ses-import_task-gaitspeed_tracksys-imuFootRight_run-1_"
                     "channels.tsv",
                     "sub-PAPDM_ses-import_task-gaitspeed_tracksys-imuLowerBack_run-1_"
                     "channels.tsv"]
    channels = pd.read_csv(motion / names[1], sep="\t")
    assert list(channels["type"]) == ["LATENCY"] + ["ACCEL"] * 3 + ["GYRO"] * 3 + ["MAGN"] * 3
    events = pd.read_csv(motion / "sub-PAPDM_ses-import_task-gaitspeed_run-1_events.tsv",
                         sep="\t")
    assert "timed_walk" in set(events["trial_type"])
    assert events["trial_type"].str.startswith("initial_contact").sum() >= 6
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run([node, str(validator), str(out), "--json"], capture_output=True,
                            text=True, timeout=600, check=False)
    assert json.loads(result.stdout)["issues"]["errors"] == []


def test_signals_times_and_events_match_the_session_file(demo_study: Path,
                                                         bids_dataset: Path) -> None:
    (path,) = sorted((demo_study / "P02").glob("*.h5"))
    motion = bids_dataset / "sub-P02" / "ses-baseline" / "motion"
    stem = motion / "sub-P02_ses-baseline_task-tug_tracksys-imuLowerBack_run-1"
    channels = pd.read_csv(f"{stem}_channels.tsv", sep="\t")
    data = np.loadtxt(f"{stem}_motion.tsv", delimiter="\t")
    assert list(channels["type"]) == ["LATENCY"] + ["ACCEL"] * 3 + ["GYRO"] * 3
    assert data.shape[1] == len(channels)
    with SessionReader(path) as reader:
        trial = reader.trial("tug-01")
        device = next(d for d in reader.devices if d.startswith("SIM-IMU"))
        times = reader.sample_times_s("tug-01", device, "acc") - trial.t_start_s
        acc = reader.samples_si("tug-01", device, "acc")
        run = reader.analysis_runs("tug-01")[-1]
    np.testing.assert_allclose(data[:, 0], times, atol=1e-6)
    np.testing.assert_allclose(data[:, 1:4], acc, rtol=1e-6, atol=1e-6)
    events = pd.read_csv(motion / "sub-P02_ses-baseline_task-tug_run-1_events.tsv", sep="\t")
    phases = run.record["trials"][0]["phases"]
    expected = sorted((p["start_s"] - trial.t_start_s, f"tug_{p['name']}") for p in phases)
    assert list(events["trial_type"]) == [name for _, name in expected]
    np.testing.assert_allclose(events["onset"], [onset for onset, _ in expected], atol=1e-4)
    scans = pd.read_csv(bids_dataset / "sub-P02" / "ses-baseline" /
                        "sub-P02_ses-baseline_scans.tsv", sep="\t")
    assert f"motion/{stem.name}_motion.tsv" in set(scans["filename"])
    force = pd.read_csv(motion / "sub-P02_ses-baseline_task-grip_tracksys-dynamometer"
                                 "Unspecified_run-1_channels.tsv", sep="\t")
    assert list(force["type"]) == ["LATENCY", "MISC"]
    assert list(force["units"]) == ["s", "N"]


def test_nothing_identifies_a_person_beyond_the_pseudonymous_id(demo_study: Path,
                                                                bids_dataset: Path) -> None:
    participants = pd.read_csv(bids_dataset / "participants.tsv", sep="\t")
    assert list(participants.columns) == ["participant_id", "group", "age_band"]
    with SessionReader(sorted((demo_study / "P01").glob("*.h5"))[0]) as reader:
        person, started = reader.participant, reader.session.started_utc
    assert person.birth_year is not None
    band = participants.set_index("participant_id").loc["sub-P01", "age_band"]
    assert band == age_band(person.birth_year, started.year, 10)
    low, high = (int(x) for x in band.split("-"))
    assert low <= started.year - person.birth_year <= high
    described = [p.read_text(encoding="utf-8") for p in bids_dataset.rglob("*")
                 if p.is_file() and (p.suffix == ".json" or p.name.startswith("participants")
                                     or p.name.endswith("_scans.tsv") or p.name == "README")]
    for text in described:
        assert str(person.birth_year) not in text
        assert "female" not in text
        assert "height" not in text


def test_age_band_edges() -> None:
    assert age_band(1964, 2026, 10) == "60-69"
    assert age_band(1957, 2026, 5) == "65-69"
    assert age_band(None, 2026, 10) == "n/a"
