"""Re-analyse a whole study with the current algorithms or a versioned recipe.

Every session file of the study is analysed again (:func:`workflows.analyze` entry points,
never raw HDF5 writes) and each trial's result stored as a new run, unless the trial already
holds a run of the same algorithm name, version and parameters (as stored): such a trial is
skipped, so a repeated or resumed re-analysis adds nothing twice. Raw data are never
touched.

A **recipe** (JSON) pins what the re-analysis may use::

    {"recipe": "trial-2027-speed", "version": "1",
     "algorithms": {"gait_speed_lower_back": "1.12"},
     "parameters": {"gait_speed": {"min_walk_s": 2.0}},
     "include_rejected": false}

``algorithms`` are the versions the recipe was written for: a result of another version is
not stored and the trial is reported (a study is never silently mixed across versions).
``parameters`` override analyzer keyword parameters per test; the trials of an overridden
test are analysed one by one (:func:`analyze_stored_trial` opens the file for each), the
others in one pass over the session (``docs/performance.md`` has both rates).

Sessions run in parallel (local processes, or the workers of an existing Dask cluster). The
driver appends each finished session to a journal (``<study>/.reanalyze/<recipe
key>.jsonl``); a resumed run skips sessions the journal lists with the same file size and
modification time. A failure is reported per file and never stops the others.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from physiocap.core.errors import ConfigurationError, PhysiocapError
from physiocap.core.records import TestKind
from physiocap.storage import SessionReader
from physiocap.workflows.analyze import (
    TrialOutcome,
    analyze_session,
    analyze_stored_trial,
    store_outcomes,
)
from physiocap.workflows.export.study_files import study_session_files

JOURNAL_FOLDER = ".reanalyze"


@dataclass(frozen=True, slots=True)
class Recipe:
    """Algorithm versions a re-analysis expects and parameter overrides per test."""

    name: str = "current"
    version: str = ""
    algorithms: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    include_rejected: bool = False

    def __post_init__(self) -> None:
        known = {str(test) for test in TestKind}
        unknown = sorted(set(self.parameters) - known)
        if unknown:
            raise ConfigurationError(f"recipe {self.name}: unknown test(s) {unknown} in "
                                     f"parameters (tests: {', '.join(sorted(known))})")

    @property
    def key(self) -> str:
        """A short digest naming this recipe's journal (same recipe, same journal)."""
        text = json.dumps(asdict(self), sort_keys=True)
        return f"{self.name}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def load_recipe(path: Path) -> Recipe:
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: recipe file does not exist") from None
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{path}: line {error.lineno}: recipe is not valid JSON "
                                 f"({error.msg})") from None
    if not isinstance(values, dict):
        raise ConfigurationError(f"{path}: a recipe is a JSON object")
    allowed = {"recipe", "version", "algorithms", "parameters", "include_rejected"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ConfigurationError(f"{path}: unknown recipe field(s) {unknown} (allowed: "
                                 f"{', '.join(sorted(allowed))})")
    return Recipe(str(values.get("recipe", path.stem)), str(values.get("version", "")),
                  {str(k): str(v) for k, v in (values.get("algorithms") or {}).items()},
                  {str(k): dict(v) for k, v in (values.get("parameters") or {}).items()},
                  bool(values.get("include_rejected", False)))


@dataclass(frozen=True, slots=True)
class SessionResult:
    """What re-analysing one session file did."""

    path: str
    stored: int = 0
    unchanged: int = 0
    failures: tuple[str, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def _signature(name: str, version: str, params: Mapping[str, Any]) -> str:
    return json.dumps([name, version, params], sort_keys=True, default=str)


def _analysed(path: Path, recipe: Recipe) -> list[TrialOutcome]:
    """Every trial's outcome: the whole session in one pass, then the trials whose test
    the recipe overrides again, one by one, with its parameters."""
    outcomes = analyze_session(path, store=False, include_rejected=recipe.include_rejected)
    if not recipe.parameters:
        return outcomes
    with SessionReader(path) as reader:
        tests = {trial.trial_id: str(trial.info.test) for trial in reader.trials}
    return [analyze_stored_trial(path, outcome.trial_id,
                                 parameters=recipe.parameters[tests[outcome.trial_id]])
            if tests[outcome.trial_id] in recipe.parameters else outcome
            for outcome in outcomes]


def reanalyze_session(path: Path | str, recipe: Recipe) -> SessionResult:
    """Re-analyse one session file; never raises for a problem of the file."""
    path = Path(path)
    try:
        with SessionReader(path) as reader:
            stored = {trial.trial_id: {_signature(run.algorithm, run.algorithm_version,
                                                  run.params)
                                       for run in reader.analysis_runs(trial.trial_id)}
                      for trial in reader.trials}
        outcomes = _analysed(path, recipe)
        new, failures, unchanged = [], [], 0
        for outcome in outcomes:
            algorithm = outcome.algorithm
            if algorithm is None:
                failures.append(f"{outcome.trial_id}: {outcome.error}")
                continue
            expected = recipe.algorithms.get(algorithm.name)
            if expected is not None and expected != algorithm.version:
                failures.append(f"{outcome.trial_id}: recipe {recipe.name} expects "
                                f"{algorithm.name} {expected}, this physiocap has "
                                f"{algorithm.version}; not stored")
                continue
            if _signature(algorithm.name, algorithm.version,
                          algorithm.parameters) in stored[outcome.trial_id]:
                unchanged += 1
            else:
                new.append(outcome)
        if new:
            store_outcomes(path, new)
        return SessionResult(str(path), len(new), unchanged, tuple(failures))
    except PhysiocapError as error:
        return SessionResult(str(path), error=str(error))
    except (OSError, ValueError, KeyError) as error:
        return SessionResult(str(path), error=f"{path}: {type(error).__name__}: {error}")


# -- journal ------------------------------------------------------------------------------
def _fingerprint(path: Path) -> list[int]:
    status = path.stat()
    return [status.st_size, status.st_mtime_ns]


class Journal:
    """Sessions a recipe has finished, with the size and mtime of the file after it."""

    def __init__(self, study: Path, recipe: Recipe) -> None:
        self.path = study / JOURNAL_FOLDER / f"{recipe.key}.jsonl"
        self.done: dict[str, list[int]] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self.done[entry["file"]] = entry["fingerprint"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # a line cut short by an interruption

    def finished(self, study: Path, path: Path) -> bool:
        key = str(path.relative_to(study))
        return key in self.done and self.done[key] == _fingerprint(path)

    def record(self, study: Path, path: Path) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"file": str(path.relative_to(study)),
                           "fingerprint": _fingerprint(path)})
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())


# -- running ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StudyReport:
    sessions: int
    resumed: int
    results: tuple[SessionResult, ...]

    @property
    def stored(self) -> int:
        return sum(result.stored for result in self.results)

    @property
    def failed_files(self) -> tuple[SessionResult, ...]:
        return tuple(result for result in self.results if not result.ok)


Progress = Callable[[int, int, SessionResult], None]


def _local(paths: list[Path], recipe: Recipe, workers: int) -> Iterator[SessionResult]:
    if workers <= 1:
        for path in paths:
            yield reanalyze_session(path, recipe)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures: list[Future[SessionResult]] = [pool.submit(reanalyze_session, path, recipe)
                                                for path in paths]
        for future in as_completed(futures):
            yield future.result()


def _dask(paths: list[Path], recipe: Recipe, scheduler: str) -> Iterator[SessionResult]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise ConfigurationError(f"cannot reach the Dask scheduler at {scheduler} "
                                 f"({error})") from None
    with client:
        futures = [client.submit(reanalyze_session, str(path), recipe, pure=False)
                   for path in paths]
        for future in dask_completed(futures):
            yield future.result()


def reanalyze_study(study: Path, recipe: Recipe | None = None, *, workers: int | None = None,
                    scheduler: str | None = None, progress: Progress | None = None,
                    resume: bool = True) -> StudyReport:
    """Re-analyse every session file of ``study``; ``progress(done, total, result)`` is
    called as each session finishes."""
    recipe = recipe or Recipe()
    study = Path(study)
    files = study_session_files(study)
    journal = Journal(study, recipe)
    todo = [p for p in files.paths if not (resume and journal.finished(study, p))]
    chosen = workers if workers is not None else (os.cpu_count() or 1)
    if chosen < 1:
        raise ConfigurationError(f"--workers {chosen}: at least one worker is needed")
    runner = (_dask(todo, recipe, scheduler) if scheduler
              else _local(todo, recipe, min(chosen, max(len(todo), 1))))
    results = [SessionResult(item.split(": ", 1)[0], error=item) for item in files.skipped]
    for done, result in enumerate(runner, start=1):
        if result.ok:
            journal.record(study, Path(result.path))
        results.append(result)
        if progress is not None:
            progress(done, len(todo), result)
    total = len(files.paths) + len(files.skipped)
    return StudyReport(total, len(files.paths) - len(todo), tuple(results))
