"""Still-period drift surveillance of a study's clinical recordings, per device serial.

Every TUG and sit-to-stand trial of every session file in the study is measured by
:class:`~physiocap.analysis.calibration.StillPeriodSurveillance` (gravity-norm error and
gyroscope bias while the participant sits or stands still) and added to the registry of
the IMU's serial; a trial already measured is skipped, so it can run after every visit.
:mod:`~physiocap.workflows.qa.status` reports a device whose recordings drift beyond the
limits of its last check. The signals are measured as analysis sees them: corrected by
the device's latest passing check before the recording (its offsets within specification
are no drift); only a change since that check shows.
"""

from __future__ import annotations

from pathlib import Path

from physiocap.analysis.calibration import StillPeriodSurveillance
from physiocap.core.errors import AnalysisError, PhysiocapError
from physiocap.core.records import TestKind
from physiocap.storage import SessionReader
from physiocap.storage.calibration_registry import CalibrationRegistry, SurveillanceEntry
from physiocap.workflows.qa.corrections import corrected_imu, correction_for
from physiocap.workflows.study import StudyFolder
from physiocap.workflows.trial_signals import read_imu

SURVEYED_TESTS = frozenset({TestKind.TUG, TestKind.SIT_TO_STAND})


def survey_session(path: Path, study_dir: Path) -> list[SurveillanceEntry]:
    """Still-period measures of each TUG and sit-to-stand trial in one session file."""
    surveillance = StillPeriodSurveillance()
    entries = []
    with SessionReader(path) as reader:
        for trial in reader.trials:
            if trial.info.test not in SURVEYED_TESTS:
                continue
            try:
                imu = read_imu(reader, trial)
            except AnalysisError:
                continue
            recorded = trial.started_utc or reader.session.started_utc
            applied = correction_for(study_dir, imu.device, recorded)
            if applied is not None:
                imu = corrected_imu(imu, applied)
            result = surveillance.measure(imu.time_s, imu.acc_m_per_s2, imu.gyro_rad_per_s)
            if result.n_periods == 0:
                continue
            entries.append(SurveillanceEntry(imu.device.serial or imu.device.device_id,
                                             recorded, str(path.relative_to(study_dir)),
                                             trial.trial_id, result.as_dict()))
    return entries


def survey_study(study_dir: Path | str) -> tuple[int, list[SurveillanceEntry]]:
    """Measure every session of the study; returns (new entries, all measured)."""
    root = Path(study_dir)
    study = StudyFolder(root)
    entries: list[SurveillanceEntry] = []
    for participant in study.participants():
        for session in study.sessions(participant.participant_id):
            try:
                entries += survey_session(session.path, root)
            except PhysiocapError:
                continue  # an unreadable or busy file is passed over, as elsewhere
    added = CalibrationRegistry(root).add_surveillance(entries)
    return added, entries
