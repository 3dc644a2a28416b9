"""``physiocap progress``: a participant's outcomes over every visit, or the group view."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from physiocap.workflows.progress import GroupProgress, ParticipantProgress

def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "progress", help="a participant's outcomes over every visit, or the group view",
        description="Every outcome of one participant over every visit, with change from "
                    "baseline and from the previous visit against the outcome's MDC and "
                    "MCID (with sources) and a verdict per visit; visits done differently "
                    "(protocol, device model, placement) are not compared. With --by group: "
                    "per group and visit the mean, SD, n, mean change from baseline with its "
                    "95 %% CI, and the share with a meaningful change.")
    parser.add_argument("participant", nargs="?", default=None,
                        help="pseudonymous participant ID (omit with --by)")
    parser.add_argument("--study", required=True, help="study folder")
    parser.add_argument("--by", choices=("group", "sex"), default=None,
                        help="group view: aggregate participants by this attribute")
    parser.add_argument("--up-to", default=None, metavar="SESSION",
                        help="only visits up to and including this session ID")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from physiocap.cli.progress_bar import ProgressBar
    from physiocap.storage.study_index import StudyIndex
    from physiocap.workflows.progress import (
        group_progress,
        participant_progress,
        progress_to_json,
    )

    study = Path(args.study)
    if not study.is_dir():
        print(f"physiocap progress: {study}: no such study folder", file=sys.stderr)
        return 2
    if (args.by is None) == (args.participant is None):
        print("physiocap progress: name a participant, or use --by group (not both)",
              file=sys.stderr)
        return 2
    with StudyIndex(study, on_progress=ProgressBar("indexing the study", "files")) as index:
        index.refresh()
        index.on_progress = None
        if args.by is not None:
            groups = group_progress(study, args.by, index=index,
                                    on_progress=ProgressBar("analysing participants"))
            if args.json:
                print(json.dumps(group_to_json(groups), indent=2))
            else:
                print_group(groups)
            return 0
        progress = participant_progress(study, args.participant, up_to_session=args.up_to,
                                        on_progress=ProgressBar("analysing visits"), index=index)
    if args.json:
        print(json.dumps(progress_to_json(progress), indent=2))
    else:
        print_progress(progress)
    return 0


def _number(value: float | None, digits: int, signed: bool = False) -> str:
    if value is None:
        return "—"
    rounded = round(value, digits) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0
    return f"{rounded:+.{digits}f}" if signed else f"{rounded:.{digits}f}"


def _digits(unit: str) -> int:
    return {"m/s": 2, "s": 2, "N": 0}.get(unit, 2)


def _threshold(reference: Any, unit: str) -> str:
    if reference.value is None:
        return f"{reference.kind}: none published"
    shown = f"{reference.value:.{_digits(unit)}f} {unit}"
    if reference.published and not reference.published.endswith(unit):
        shown += f" ({reference.published})"
    return f"{reference.kind} {shown} — {reference.source}; {reference.population}"


def print_progress(progress: ParticipantProgress) -> None:
    from physiocap.core.units import n_to_kgf

    group = f" (group {progress.group})" if progress.group else ""
    print(f"Participant {progress.participant_id}{group}")
    for outcome in progress.outcomes:
        better = "higher" if outcome.direction == "increase" else "lower"
        digits = _digits(outcome.unit)
        grip = outcome.measure == "grip_peak_force_n"
        print(f"\n{outcome.label} ({outcome.unit}, {better} is better)")
        print(f"  {_threshold(outcome.mdc, outcome.unit)}")
        print(f"  {_threshold(outcome.mcid, outcome.unit)}")
        kgf_header = f"{'kgf':>7}" if grip else ""
        print(f"  {'date':<11}{'visit':<14}{'value':>9}{kgf_header}"
              f"{'n':>4}{'CV %':>7}{'Δ baseline':>12}{'%':>7}{'Δ previous':>12}  verdict")
        for point in outcome.visits:
            in_kgf = None if point.value is None else float(n_to_kgf(point.value))
            kgf = f"{_number(in_kgf, 1):>7}" if grip else ""
            print(f"  {point.date.isoformat():<11}{point.visit_label[:13]:<14}"
                  f"{_number(point.value, digits):>9}{kgf}{point.n:>4}"
                  f"{_number(point.cv_pct, 1):>7}"
                  f"{_number(point.change_from_baseline, digits, True):>12}"
                  f"{_number(point.change_from_baseline_pct, 1, True):>7}"
                  f"{_number(point.change_from_previous, digits, True):>12}  {point.verdict}")
            details = []
            if point.per_side:
                details.append("best per side: " + ", ".join(
                    f"{side} {value:.0f} N"
                    + (f" ({float(n_to_kgf(value)):.1f} kgf)" if grip else "")
                    for side, value in point.per_side))
            if point.not_comparable_reason:
                details.append(point.not_comparable_reason)
            if point.verdict_note:
                details.append(point.verdict_note)
            if point.flagged_trials:
                details.append("flagged: " + "; ".join(point.flagged_trials))
            if point.reanalysed_from:
                details.append(f"re-analysed with {point.algorithm} (stored: "
                               f"{point.reanalysed_from})")
            for detail in details:
                print(f"      {detail}")
    for note in progress.skipped:
        print(f"\nleft out: {note}")


def group_to_json(groups: GroupProgress) -> dict[str, Any]:
    cells = []
    for cell in groups.cells:
        stats = cell.statistics
        cells.append({
            groups.by: cell.group, "visit_number": cell.visit_number,
            "visit": cell.visit_label, "measure": cell.measure, "unit": cell.unit,
            "n": stats.n, "mean": stats.mean, "sd": stats.sd, "n_change": stats.n_change,
            "mean_change": stats.mean_change,
            "ci95_change": list(stats.ci95_change) if stats.ci95_change else None,
            "proportion_meaningful": stats.proportion_meaningful,
            "n_improved": cell.n_improved, "n_declined": cell.n_declined,
            "n_not_comparable": cell.n_not_comparable})
    return {"by": groups.by, "participants": groups.participants, "cells": cells,
            "skipped": list(groups.skipped)}


def print_group(groups: GroupProgress) -> None:
    print(f"{groups.participants} participants by {groups.by}")
    current = None
    for cell in groups.cells:
        if (cell.group, cell.measure) != current:
            current = (cell.group, cell.measure)
            print(f"\n{groups.by} {cell.group}: {cell.label} ({cell.unit})")
            print(f"  {'visit':<16}{'n':>4}{'mean':>9}{'SD':>8}{'n Δ':>5}{'mean Δ':>9}"
                  f"{'95 % CI of Δ':>20}{'meaningful':>12}  improved/declined")
        stats = cell.statistics
        digits = _digits(cell.unit)
        ci = ("—" if stats.ci95_change is None else
              f"{stats.ci95_change[0]:+.{digits}f} to {stats.ci95_change[1]:+.{digits}f}")
        share = ("—" if stats.proportion_meaningful is None
                 else f"{100 * stats.proportion_meaningful:.0f} %")
        print(f"  {cell.visit_number}. {cell.visit_label[:12]:<13}{stats.n:>4}"
              f"{_number(stats.mean, digits):>9}{_number(stats.sd, digits):>8}"
              f"{stats.n_change:>5}{_number(stats.mean_change, digits, True):>9}{ci:>20}"
              f"{share:>12}  {cell.n_improved}/{cell.n_declined}")
    for note in groups.skipped:
        print(f"\nleft out: {note}")
