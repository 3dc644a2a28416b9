"""``physiocap validate DATASET PATH [--json]``: run the mobility analyses on a public
dataset and report agreement with its independent reference."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from physiocap.workflows.validation.datasets import DATASET_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate", help="validate the analyses on a public reference dataset",
        description="Run the TUG / gait analyses on every recording of a public dataset "
                    "(folder laid out like ../shared/data/DATASET) and compare with its "
                    "reference, without any per-recording tuning.")
    parser.add_argument("dataset", choices=DATASET_NAMES, metavar="DATASET",
                        help=f"one of: {', '.join(DATASET_NAMES)}")
    parser.add_argument("path", type=Path, metavar="PATH", help="dataset folder")
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    parser.add_argument("--loso", action="store_true",
                        help="leave-one-subject-out: choose each constant tuned on data on "
                             "all subjects but one, score the one left out, rotate "
                             "(uji-tug, ipol-gait; minutes)")
    parser.add_argument("--tug-watch", type=Path, default=None, metavar="PATH",
                        help="with --loso on uji-tug: pool the wrist with this tug-watch "
                             "folder as a thirteenth subject (its constants were set on both)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.loso:
        return _run_loso(args)
    from physiocap.workflows.validation.runner import run_validation  # scipy: when it runs

    report = run_validation(args.dataset, args.path)
    if args.json:
        print(json.dumps(report, indent=2, default=float))
    else:
        print(format_report(report))
    return 0


def _run_loso(args: argparse.Namespace) -> int:
    import time

    from physiocap.cli.progress_bar import ProgressBar
    from physiocap.workflows.validation.loso import run_loso

    started = time.perf_counter()
    bars: dict[str, ProgressBar] = {}

    def progress(label: str, done: int, total: int) -> None:
        bars.setdefault(label, ProgressBar(label, "folds", show_after_s=0.0))(done, total)

    report = run_loso(args.dataset, args.path, tug_watch_path=args.tug_watch,
                      progress=progress)
    report["runtime_s"] = time.perf_counter() - started
    print(json.dumps(report, indent=2, default=float) if args.json
          else format_loso(report))
    return 0


def _mae(block: dict[str, Any]) -> str:
    return f"{block['mae']:9.3f}" if block.get("n") else f"{'—':>9}"


def _loso_rows(metrics: dict[str, dict[str, Any]]) -> list[str]:
    width = max([len("metric"), *map(len, metrics)]) + 2
    lines = [f"{'metric':<{width}}{'n':>5}{'in-sample':>10}{'LOSO':>9}{'bias LOSO':>10}"
             f"{'missing':>8}  verdict (LOSO)"]
    for name, row in metrics.items():
        left_out = row["loso"]
        bias = f"{left_out['bias']:+10.3f}" if left_out.get("n") else f"{'':>10}"
        found = row.get("verdict_loso")
        judged = ("no goal" if found is None else
                  f"goal {found['goal']}: {'met' if found['met'] else 'NOT MET'}")
        lines.append(f"{name:<{width}}{left_out.get('n', 0):>5} {_mae(row['in_sample'])}"
                     f"{_mae(left_out)}{bias}{row['missing_loso']:>8}  {judged}")
    return lines


def format_loso(report: dict[str, Any]) -> str:
    """The leave-one-subject-out report: per group, in-sample and LOSO MAE per metric and
    the constants with the range of values the folds chose."""
    lines = [f"dataset {report['dataset']}: leave-one-subject-out, "
             f"{report.get('runtime_s', 0.0):.0f} s", ""]
    for group, block in report["groups"].items():
        lines += [f"{group} ({len(block['subjects'])} subjects):",
                  *_loso_rows(block["metrics"]), ""]
        for part, rows in block.get("parts", {}).items():
            lines += [f"{group}, {part} subjects only:", *_loso_rows(rows), ""]
        lines.append("constants chosen on data    shipped   folds chose   chosen on")
        for constant in block["constants"]:
            low, high = constant["fold_range"]
            lines.append(f"  {constant['name']:<26}{constant['shipped']:8.3g}   "
                         f"{low:5.3g}-{high:<6.3g} {', '.join(constant['targets'])}")
        lines.append("")
    return "\n".join(line.rstrip() for line in lines).rstrip()


def _goal(verdicts: dict[str, dict[str, Any]], name: str) -> str:
    """``  goal MAE ≤ 0.3 s: met`` / ``not met`` / ``no goal``."""
    found = verdicts.get(name)
    if found is None:
        return "  no goal"
    return f"  goal {found['goal']}: {'met' if found['met'] else 'NOT MET'}"


def _metric_table(metrics: dict[str, dict[str, Any]],
                  verdicts: dict[str, dict[str, Any]] | None = None) -> list[str]:
    shown = {name: m for name, m in metrics.items() if m.get("n")}
    width = max([len("metric"), *map(len, shown)]) + 2
    lines = [f"{'metric':<{width}}{'n':>5}{'MAE':>9}{'bias':>9}{'LoA low':>9}"
             f"{'LoA high':>9}{'ICC':>7}" + ("  verdict" if verdicts is not None else "")]
    for name, m in shown.items():
        icc = f"{m['icc']:7.2f}" if "icc" in m else f"{'':>7}"
        lines.append(f"{name:<{width}}{m['n']:>5}{m['mae']:9.3f}{m['bias']:+9.3f}"
                     f"{m['loa_low']:+9.3f}{m['loa_high']:+9.3f}{icc}"
                     + (_goal(verdicts, name) if verdicts is not None else ""))
    return lines


def _detection_table(detection: dict[str, dict[str, Any]],
                     verdicts: dict[str, dict[str, Any]]) -> list[str]:
    width = max([len("detection"), *map(len, detection)]) + 2
    lines = [f"{'detection':<{width}}{'precision':>10}{'recall':>8}{'F1':>7}{'tol (s)':>9}"
             "  verdict"]
    lines += [f"{name:<{width}}{d['precision']:10.3f}{d['recall']:8.3f}{d['f1']:7.3f}"
              f"{d['tolerance_s']:9.2f}{_goal(verdicts, name)}" for name, d in detection.items()]
    return lines


def _side_table(sides: dict[str, dict[str, Any]],
                verdicts: dict[str, dict[str, Any]]) -> list[str]:
    lines = [f"{'left/right of matched contacts':<34}{'matched':>8}{'correct':>8}"
             f"{'accuracy':>9}  verdict"]
    lines += [f"{name:<34}{s['matched']:8d}{s['correct']:8d}{s['accuracy']:9.3f}"
              f"{_goal(verdicts, f'sides/{name}')}" for name, s in sides.items()]
    return lines


def format_report(report: dict[str, Any]) -> str:
    verdicts = report.get("verdicts", {})
    bad = report.get("bad_references", [])
    missing = report.get("missing", [])
    lines = [f"dataset {report['dataset']}: {report['n_recordings']} recordings, "
             f"{len(report['failures'])} failures, {len(report['skipped'])} skipped"
             + (f", {len(bad)} bad references" if bad else "")
             + (f", {len(missing)} missing estimates" if missing else "")
             + f", {report['runtime_s']:.1f} s", ""]
    judged = list(verdicts.values())
    if judged:
        unmet = [name for name, v in verdicts.items() if not v["met"]]
        lines += [f"goals: {len(judged) - len(unmet)} of {len(judged)} met"
                  + (f"; not met: {', '.join(unmet)}" if unmet else ""), ""]
    if report["metrics"]:
        lines += [*_metric_table(report["metrics"], verdicts), ""]
    if report["detection"]:
        lines += [*_detection_table(report["detection"], verdicts), ""]
    if report.get("side_accuracy"):
        lines += [*_side_table(report["side_accuracy"], verdicts), ""]
    for placement, block in report.get("by_placement", {}).items():
        lines += [f"placement {placement}:",
                  *_metric_table(block["metrics"], block.get("verdicts", {})), ""]
    for name, block in report.get("by_quality_flag", {}).items():
        title = ("trials with a quality flag" if name == "flagged"
                 else "trials without a quality flag")
        lines += [f"{title}:", *_metric_table(block["metrics"]), ""]
    for entry in bad:
        lines.append(f"bad reference {entry['recording']}: {entry['reason']}")
    for entry in missing:
        lines.append(f"missing {entry['recording']} ({entry['metric']}): the reference has "
                     "it, the analysis gave none")
    for failure in report["failures"]:
        lines.append(f"failure {failure['recording']}: {failure['reason']}")
    for skip in report["skipped"]:
        what = f" ({skip['metric']})" if "metric" in skip else ""
        lines.append(f"skipped {skip['recording']}{what}: {skip['reason']}")
    return "\n".join(line.rstrip() for line in lines).rstrip()
