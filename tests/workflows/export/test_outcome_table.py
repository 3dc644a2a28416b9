"""``physiocap export outcomes`` read back with pandas and checked against the session files
(read here with h5py alone, as a statistician without physiocap would) and against the
visit summary's scoring rules (mean of trials; Southampton: maximum of all efforts)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from physiocap.cli.main import main

pytestmark = pytest.mark.slow


def _file_truth(study: Path) -> dict[tuple[str, str, str], dict]:
    """(participant, visit label, trial) → test, status and latest stored record."""
    truth = {}
    for path in sorted(study.glob("*/*.h5")):
        with h5py.File(path, "r") as f:
            participant = f["participant"].attrs["participant_id"].decode()
            visit = f["session"].attrs["visit_label"].decode()
            for trial_id, trial in f["trials"].items():
                runs = [run for algorithm in trial["analysis"].values()
                        for run in algorithm.values()]
                latest = max(runs, key=lambda run: run.attrs["created_utc"])
                version = latest.attrs["algorithm_version"]
                truth[(participant, visit, trial_id)] = {
                    "test": trial.attrs["test"].decode(),
                    "status": trial.attrs["status"].decode(),
                    "version": version.decode() if isinstance(version, bytes) else version,
                    "record": json.loads(latest["record_json"][()].decode())}
    return truth


def _export(study: Path, out: Path, *options: str) -> pd.DataFrame:
    assert main(["export", "outcomes", "--study", str(study), "-o", str(out), *options]) == 0
    return pd.read_csv(out) if out.suffix == ".csv" else pd.read_parquet(out)


def test_one_row_per_trial_outcome_matching_the_session_files(demo_study: Path,
                                                             tmp_path: Path) -> None:
    table = _export(demo_study, tmp_path / "outcomes.csv")
    truth = _file_truth(demo_study)
    trials = table[table["level"] == "trial"]
    keys = set(zip(trials["participant_id"], trials["visit_label"], trials["trial_id"],
                   strict=True))
    assert keys == set(truth)
    assert len(truth) == 3 * 18  # the demo visit: 18 trials
    assert not trials.duplicated(["participant_id", "visit_label", "trial_id", "outcome"]).any()
    by_key = trials.set_index(["participant_id", "visit_label", "trial_id", "outcome"])["value"]
    for (participant, visit, trial_id), item in truth.items():
        record = item["record"]
        if item["test"] == "gait_speed":
            expected = record["speed_m_per_s"]
            name = "gait_speed_m_per_s"
        elif item["test"] == "tug":
            expected, name = record["trials"][0]["total_time_s"], "tug_total_time_s"
        elif item["test"] == "sit_to_stand":
            expected, name = record["total_time_s"], "sit_to_stand_time_s"
        else:
            expected = max(e["peak_force_n"] for e in record["efforts"])
            name = "peak_force_n"
        assert by_key[(participant, visit, trial_id, name)] == pytest.approx(expected,
                                                                            rel=1e-12)
        # read with pandas' defaults, a version such as 1.10 must not become the number 1.1
        versions = set(trials[trials["trial_id"] == trial_id]["algorithm_version"])
        assert f"v{item['version']}" in versions
    units = dict(zip(trials["outcome"], trials["unit"], strict=False))
    assert units["gait_speed_m_per_s"] == "m/s"
    assert units["peak_force_n"] == "N"
    assert units["tug_total_time_s"] == "s"
    assert set(trials["visit_date"]) == {"2026-01-12", "2026-04-13", "2026-02-02"}
    assert set(trials["protocol_distance_m"].dropna()) == {4.0}
    for column in ("birth_year", "sex", "height_m", "body_mass_kg", "site", "operator_id"):
        assert column not in table.columns


def test_visit_scores_follow_the_summary_rules(demo_study: Path, tmp_path: Path) -> None:
    table = _export(demo_study, tmp_path / "outcomes.parquet", "--visit-scores")
    for _, rows in table.groupby(["participant_id", "visit_label"]):
        trials, scores = rows[rows["level"] == "trial"], rows[rows["level"] == "visit"]
        overall = scores[scores["side"].fillna("") == ""].set_index("test")["value"]
        gait = trials[trials["outcome"] == "gait_speed_m_per_s"]["value"]
        assert overall["gait_speed"] == pytest.approx(gait.mean())
        tug = trials[trials["outcome"] == "tug_total_time_s"]["value"]
        assert overall["tug"] == pytest.approx(tug.mean())
        grip = trials[(trials["test"] == "grip") & (trials["outcome"] == "peak_force_n")]
        assert overall["grip"] == pytest.approx(grip["value"].max())  # Southampton
        for side, values in grip.groupby("side"):
            side_score = scores[(scores["test"] == "grip") & (scores["side"] == side)]
            assert side_score["value"].item() == pytest.approx(values["value"].max())


def test_accepted_only_leaves_out_rejected_trials_and_their_scores(demo_study: Path,
                                                                   tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(demo_study, study)
    path = sorted((study / "P02").glob("*.h5"))[0]
    with h5py.File(path, "r+") as f:
        f["trials/gait_speed-01"].attrs["status"] = np.bytes_(b"rejected")
    everything = _export(study, tmp_path / "all.csv", "--visit-scores")
    accepted = _export(study, tmp_path / "accepted.csv", "--accepted-only", "--visit-scores")
    p2 = accepted[accepted["participant_id"] == "P02"]
    assert "gait_speed-01" in set(everything["trial_id"])
    assert "gait_speed-01" not in set(p2["trial_id"])
    remaining = p2[(p2["level"] == "trial") & (p2["outcome"] == "gait_speed_m_per_s")]
    assert len(remaining) == 1
    score = p2[(p2["level"] == "visit") & (p2["test"] == "gait_speed")]["value"].item()
    assert score == pytest.approx(remaining["value"].item())


def test_refuses_other_suffix_and_empty_folder(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["export", "outcomes", "--study", str(tmp_path / "empty"), "-o",
                 str(tmp_path / "o.csv")]) == 2
    assert "holds no session file" in capsys.readouterr().err
    assert main(["export", "outcomes", "--study", str(tmp_path), "-o",
                 str(tmp_path / "o.xlsx")]) == 2
    assert ".csv or .parquet" in capsys.readouterr().err
