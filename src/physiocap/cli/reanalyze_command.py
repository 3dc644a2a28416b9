"""``physiocap reanalyze --study DIR``: re-analyse every session of a study, in parallel."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from physiocap.cli.progress_bar import ProgressBar

if TYPE_CHECKING:  # the workflow (and Dask under it) loads when the command runs
    from physiocap.workflows.reanalyze import SessionResult


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "reanalyze", help="re-analyse a whole study (local processes or a Dask cluster)",
        description="Apply the current algorithms, or a versioned recipe, to every session "
                    "file of a study and store new analysis runs (raw data never touched). "
                    "Trials that already hold a run of the same algorithm, version and "
                    "parameters are skipped; an interrupted run resumes where it stopped; a "
                    "file that fails is reported and the others go on.")
    parser.add_argument("--study", type=Path, required=True, help="study folder")
    parser.add_argument("--recipe", type=Path, default=None,
                        help="recipe (JSON): expected algorithm versions, parameter overrides")
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes (default: one per CPU)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on an existing Dask distributed cluster, e.g. "
                             "tcp://10.0.0.5:8786 (the study folder must be visible to its "
                             "workers at the same path)")
    parser.add_argument("--restart", action="store_true",
                        help="ignore what an earlier run of the same recipe finished")
    parser.set_defaults(func=_run)


def session_progress(bar: ProgressBar) -> Callable[[int, int, SessionResult], None]:
    """The reanalysis' ``progress(done, total, result)`` on the shared bar; a failing file
    gets a line of its own."""

    def report(done: int, total: int, result: SessionResult) -> None:
        bar(done, total)
        if not result.ok:
            bar.message(f"failed: {result.error}")

    return report


def _run(args: argparse.Namespace) -> int:
    from physiocap.workflows.reanalyze import Recipe, load_recipe, reanalyze_study

    recipe = load_recipe(args.recipe) if args.recipe else Recipe()
    bar = ProgressBar(unit="sessions", show_after_s=0.0)
    report = reanalyze_study(args.study, recipe, workers=args.workers,
                             scheduler=args.scheduler, progress=session_progress(bar),
                             resume=not args.restart)
    trial_failures = [f"{Path(r.path).name}: {failure}" for r in report.results
                      for failure in r.failures]
    for failure in trial_failures:
        print(f"not analysed: {failure}")
    unchanged = sum(r.unchanged for r in report.results)
    print(f"{report.sessions} sessions ({report.resumed} finished earlier, skipped): "
          f"{report.stored} new runs stored, {unchanged} trials already up to date, "
          f"{len(trial_failures)} trials not analysed, {len(report.failed_files)} files failed")
    for result in report.failed_files:
        print(f"failed: {result.error}")
    return 1 if report.failed_files else 0
