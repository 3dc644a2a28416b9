"""``physiocap reanalyze``: a study made by the demo re-analysed with a recipe, locally and on
a local Dask cluster. The truth is the session files themselves: which runs exist before
and after, with which algorithm, version and parameters, and raw samples bit for bit."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import h5py
import pytest

from physiocap.cli.main import main
from physiocap.storage import SessionReader
from physiocap.workflows.reanalyze import Recipe, reanalyze_study

pytestmark = pytest.mark.slow

VISITS = (("P01", "baseline", "2026-01-12", "0"), ("P02", "baseline", "2026-02-02", "2"))
#: A parameter override (gait speed's turn filter) so every gait trial gets a new run and
#: no other trial does.
RECIPE = Recipe("turn-filter", "1", parameters={"gait_speed": {"turn_cutoff_hz": 0.5}})


@pytest.fixture(scope="module")
def analysed_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("study")
    for participant, label, date, seed in VISITS:
        assert main(["demo", "--out", str(root), "--speed", "max", "--participant", participant,
                     "--visit-label", label, "--date", date, "--seed", seed]) == 0
    assert main(["reanalyze", "--study", str(root), "--workers", "1"]) == 0  # up to date
    return root


@pytest.fixture
def study(analysed_study: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "study"
    shutil.copytree(analysed_study, copy)
    return copy


def _runs(study: Path) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    found = {}
    for path in sorted(study.glob("*/*.h5")):
        with SessionReader(path) as reader:
            for trial in reader.trials:
                found[(path.name, trial.trial_id)] = [
                    (run.algorithm, run.algorithm_version, json.dumps(run.params,
                                                                      sort_keys=True))
                    for run in reader.analysis_runs(trial.trial_id)]
    return found


def _raw_digest(study: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(study.glob("*/*.h5")):
        with h5py.File(path, "r") as f:
            def visit(name: str, item: object) -> None:
                if isinstance(item, h5py.Dataset) and "/streams/" in name:
                    digest.update(name.encode())
                    digest.update(item[()].tobytes())
            f.visititems(visit)
    return digest.hexdigest()


def test_recipe_adds_one_run_per_changed_trial_and_resumes(study: Path) -> None:
    before, raw = _runs(study), _raw_digest(study)
    seen: list[int] = []
    report = reanalyze_study(study, RECIPE, workers=2,
                             progress=lambda done, total, result: seen.append(done))
    assert seen == [1, 2]
    assert report.failed_files == ()
    after = _runs(study)
    gait = {key for key in before if key[1].startswith("gait_speed")}
    assert report.stored == len(gait) == 4
    for key, runs in after.items():
        added = runs[len(before[key]):]
        if key in gait:
            (added_run,) = added
            assert json.loads(added_run[2])["turn_cutoff_hz"] == 0.5
        else:
            assert added == []
    assert _raw_digest(study) == raw
    again = reanalyze_study(study, RECIPE, workers=2)
    assert (again.resumed, again.stored) == (2, 0)
    restarted = reanalyze_study(study, RECIPE, workers=1, resume=False)
    assert restarted.stored == 0
    assert sum(r.unchanged for r in restarted.results) == len(after)


def test_interrupted_run_resumes_with_the_sessions_left(study: Path) -> None:
    def stop(done: int, total: int, result: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reanalyze_study(study, RECIPE, workers=1, progress=stop)
    report = reanalyze_study(study, RECIPE, workers=1)
    assert report.resumed == 1
    assert len(report.results) == 1
    assert sum(len(runs) for runs in _runs(study).values()) == 36 + 4


def test_a_broken_file_is_reported_and_the_others_done(
        study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (study / "P03").mkdir()
    (study / "P03" / "2026-03-01_baseline.h5").write_bytes(b"not a session file")
    assert main(["reanalyze", "--study", str(study), "--workers", "2", "--recipe",
                 str(_recipe_file(study.parent))]) == 1
    output = capsys.readouterr().out
    assert "1 files failed" in output
    assert "2026-03-01_baseline.h5" in output
    assert "4 new runs stored" in output


def test_recipe_pinning_another_version_stores_nothing(study: Path) -> None:
    with SessionReader(sorted(study.glob("P01/*.h5"))[0]) as reader:
        version = reader.analysis_runs("gait_speed-01")[-1].algorithm_version
    pinned = Recipe("old", "1", algorithms={"gait_speed_lower_back": version + ".0"})
    before = _runs(study)
    report = reanalyze_study(study, pinned, workers=1)
    assert report.stored == 0
    assert _runs(study) == before
    failures = [f for r in report.results for f in r.failures]
    assert len(failures) == 4
    assert all("expects gait_speed_lower_back" in f for f in failures)


def test_runs_on_a_local_dask_cluster(study: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        report = reanalyze_study(study, RECIPE, scheduler=cluster.scheduler_address)
    assert report.failed_files == ()
    assert report.stored == 4


def _recipe_file(folder: Path) -> Path:
    path = folder / "recipe.json"
    path.write_text(json.dumps({"recipe": RECIPE.name, "version": RECIPE.version,
                                "parameters": RECIPE.parameters}), encoding="utf-8")
    return path


def test_progress_line_gives_rate_eta_and_failures() -> None:
    import io

    from physiocap.cli.progress_bar import ProgressBar
    from physiocap.cli.reanalyze_command import session_progress
    from physiocap.workflows.reanalyze import SessionResult

    stream = io.StringIO()
    bar = ProgressBar(unit="sessions", stream=stream, show_after_s=0.0)
    bar.started -= 10.0  # ten seconds in
    progress = session_progress(bar)
    progress(2, 4, SessionResult("a.h5"))
    progress(3, 4, SessionResult("b.h5", error="b.h5: damaged"))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "2/4 sessions, 0.20/s, ETA 10 s"
    assert lines[-1] == "failed: b.h5: damaged"
