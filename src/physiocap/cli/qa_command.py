"""``physiocap qa``: device calibration checks, the registry's state, certificates.

* ``qa demo --out DIR [--json]`` — checks of simulated devices with known injected
  errors, each estimate beside the truth, then a short visit flagged for the failed one;
* ``qa dyn|imu [--device DRIVER] --study DIR [options]`` — record and evaluate a check:
  any registered driver, walked through step by step in the terminal (found by
  discovery unless ``--address`` is given); the default simulated device is checked by a
  simulated operator in virtual time (injected errors, wrongly done steps) unless
  ``--guided``;
* ``qa status --study DIR [--json]`` — every device's state (ok, overdue, failed, ...);
* ``qa certificate --study DIR --serial S [--check ID] --out FILE.pdf`` — a PDF of a check;
* ``qa add-certificate`` — an external calibration certificate with its due date;
* ``qa surveil --study DIR`` — still-period drift measures of the study's recordings.
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import date
from pathlib import Path
from typing import Any

_SIMULATED = {"dyn": "sim-dyn", "imu": "sim-imu"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "qa", help="device calibration checks and the calibration registry",
        description="Calibration checks of dynamometers (known loads) and IMUs (static "
                    "positions), kept per device serial in the study's calibration registry.")
    commands = parser.add_subparsers(dest="qa_command", metavar="QA_COMMAND", required=True)
    demo = commands.add_parser("demo", help="simulated checks with known injected errors")
    demo.add_argument("--out", type=Path, required=True, help="study folder to write into")
    demo.add_argument("--json", action="store_true", help="print a JSON document")
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)
    for name, what in (("dyn", "dynamometer, known loads"), ("imu", "IMU, static positions")):
        check = commands.add_parser(name, help=f"record and evaluate a check ({what})")
        check.add_argument("--device", default=_SIMULATED[name], metavar="DRIVER",
                           help=f"device driver (default {_SIMULATED[name]}); a real device "
                                "is walked through each step in the terminal")
        check.add_argument("--address", default="",
                           help="device address (default: the first one discovered)")
        check.add_argument("--guided", action="store_true",
                           help="walk a simulated device through the steps in the terminal "
                                "too (Enter per step; its simulated operator does the "
                                "step), in real time")
        check.add_argument("--certificate", type=Path, default=None, metavar="FILE.pdf",
                           help="also write the registered check's PDF certificate")
        check.add_argument("--study", type=Path, required=True, help="study folder")
        check.add_argument("--operator", default="", help="operator ID")
        check.add_argument("--seed", type=int, default=0)
        check.add_argument("--gravity", type=float, default=9.80665, metavar="M_PER_S2",
                           help="local gravity (default standard gravity 9.80665)")
        check.add_argument("--mistake", action="append", default=[], metavar="STEP=KIND",
                           help="simulate a wrongly done step (KIND swing for loads, shake "
                                "for poses), e.g. c1-load-20kg=swing or pose-x-up=shake")
        check.add_argument("--json", action="store_true")
        if name == "dyn":
            check.add_argument("--masses", type=float, nargs="+", default=None, metavar="KG",
                               help="masses hung (default 5 10 20 30)")
            check.add_argument("--gain-error-pct", type=float, default=0.0)
            check.add_argument("--offset-n", type=float, default=0.0)
            check.add_argument("--drift-n-per-min", type=float, default=0.0)
            check.add_argument("--nonlinearity-pct", type=float, default=0.0)
        else:
            check.add_argument("--faces", nargs="+", default=None, metavar="FACE",
                               help="poses, e.g. 'z up' 'x down' (default the six faces)")
            check.add_argument("--acc-bias", type=float, nargs=3, default=None,
                               metavar=("X", "Y", "Z"), help="injected offset, m/s²")
            check.add_argument("--acc-scale-pct", type=float, nargs=3, default=None,
                               metavar=("X", "Y", "Z"), help="injected scale error, %%")
            check.add_argument("--gyro-bias", type=float, nargs=3, default=None,
                               metavar=("X", "Y", "Z"), help="injected gyro bias, rad/s")
            check.add_argument("--clock-drift-ppm", type=float, default=0.0)
        check.set_defaults(func=_check, kind=name)
    status = commands.add_parser("status", help="every device's calibration state")
    status.add_argument("--study", type=Path, required=True)
    status.add_argument("--interval-days", type=float, default=365.0,
                        help="a check older than this is overdue (default 365)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    cert = commands.add_parser("certificate", help="PDF certificate of a check")
    cert.add_argument("--study", type=Path, required=True)
    cert.add_argument("--serial", required=True)
    cert.add_argument("--check", default=None, help="check ID (default: the latest)")
    cert.add_argument("--out", type=Path, required=True, help="PDF file to write")
    cert.set_defaults(func=_certificate)
    add = commands.add_parser("add-certificate", help="enter an external certificate")
    add.add_argument("--study", type=Path, required=True)
    add.add_argument("--serial", required=True)
    add.add_argument("--id", required=True, dest="certificate_id")
    add.add_argument("--issued", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    add.add_argument("--due", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    add.add_argument("--issuer", required=True)
    add.add_argument("--reference", default="")
    add.set_defaults(func=_add_certificate)
    surveil = commands.add_parser("surveil", help="still-period drift of recordings")
    surveil.add_argument("--study", type=Path, required=True)
    surveil.set_defaults(func=_surveil)


def _number(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:+.{digits}g}"


def _demo(args: argparse.Namespace) -> int:
    from physiocap.workflows.qa.demo import run_qa_demo

    report = run_qa_demo(args.out, seed=args.seed)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
        return 0
    for check in report.checks:
        print(f"{check.kind} {check.device_id} check {check.check_id}: "
              f"{check.verdict.upper()}")
        print(f"  {'quantity':36s} {'estimate':>12s} {'injected':>12s} {'resolution':>11s}")
        for key, truth in check.injected.items():
            print(f"  {key:36s} {_number(check.estimates[key]):>12s} {_number(truth):>12s} "
                  f"{_number(check.resolutions[key], 2):>11s}")
        for failure in check.failures:
            print(f"  outside tolerance: {failure}")
    print(f"Visit with these devices: {report.visit_path}")
    for warning in report.visit_warnings:
        print(f"  VISIT FLAGGED: {warning}")
    for item in report.corrections:
        print(f"  {item['trial_id']} {item['measure']}: raw {_number(item['raw'])}, corrected "
              f"with {item['check_id']} {_number(item['corrected'])}, truth "
              f"{_number(item['truth'])}")
    for row in report.surveillance:
        print(f"  still periods of {row['trial_id']} ({row['still_s']:.1f} s): {row['serial']} "
              f"gravity-norm error {_number(row['gravity_norm_error_m_per_s2'], 3)} m/s²")
    return 0


def _mistakes(items: list[str]) -> dict[str, str]:
    from physiocap.core.errors import ConfigurationError

    found = {}
    for item in items:
        step, _, kind = item.partition("=")
        if kind not in ("swing", "shake"):
            raise ConfigurationError(f"--mistake {item!r}: use STEP=swing or STEP=shake")
        found[step] = kind
    return found


def _check(args: argparse.Namespace) -> int:
    from physiocap.core.errors import ConfigurationError
    from physiocap.devices.sim.faults import FaultConfig
    from physiocap.workflows.qa.procedures import (
        DEFAULT_MASSES_KG,
        SIX_FACES,
        dynamometer_procedure,
        imu_procedure,
    )
    from physiocap.workflows.qa.simulated import run_simulated_check

    guided = args.guided or args.device != _SIMULATED[args.kind]
    if guided and args.mistake:
        raise ConfigurationError("--mistake is for the simulated operator's unguided check "
                                 f"of {_SIMULATED[args.kind]}; in a guided check the "
                                 "operator makes the mistakes")
    options: dict[str, Any] = {}
    faults = None
    if args.kind == "dyn":
        procedure = dynamometer_procedure(tuple(args.masses or DEFAULT_MASSES_KG),
                                          gravity_m_per_s2=args.gravity)
        options = {"gain_error_pct": args.gain_error_pct, "zero_offset_n": args.offset_n,
                   "zero_drift_n_per_min": args.drift_n_per_min,
                   "nonlinearity_pct": args.nonlinearity_pct}
    else:
        procedure = imu_procedure(tuple(args.faces or SIX_FACES),
                                  gravity_m_per_s2=args.gravity)
        for key, value in (("acc_bias_m_per_s2", args.acc_bias),
                           ("acc_scale_error_pct", args.acc_scale_pct),
                           ("gyro_bias_rad_per_s", args.gyro_bias)):
            if value is not None:
                options[key] = list(value)
        faults = FaultConfig(clock_drift_ppm=args.clock_drift_ppm)
    injected = {key: value for key, value in options.items() if value} | (
        {"clock_drift_ppm": args.clock_drift_ppm} if args.kind == "imu"
        and args.clock_drift_ppm else {})
    if args.device != _SIMULATED[args.kind] and injected:
        raise ConfigurationError(
            f"{', '.join(sorted(injected))}: injected errors are for the simulated "
            f"{_SIMULATED[args.kind]}; a real {args.device} device brings its own")
    if guided:
        outcome = _guided_check(args, procedure, options, faults)
    else:
        outcome = run_simulated_check(args.study, procedure, address=args.address,
                                      seed=args.seed, options=options, faults=faults,
                                      mistakes=_mistakes(args.mistake),
                                      operator=args.operator).outcome
    entry = outcome.entry
    if args.certificate is not None:
        from physiocap.storage.calibration_registry import CalibrationRegistry
        from physiocap.workflows.qa.certificate import write_certificate

        certificate = write_certificate(CalibrationRegistry(args.study), entry,
                                        args.certificate)
    if args.json:
        print(json.dumps({"check_id": entry.check_id, "serial": entry.serial,
                          "kind": entry.kind, "verdict": entry.verdict,
                          "results": entry.results, "failures": list(entry.failures),
                          "recording": str(outcome.path),
                          "certificate": str(certificate) if args.certificate else None},
                         indent=2))
        return 0 if entry.verdict != "refused" else 1
    print(f"{entry.kind} check {entry.check_id} of {entry.serial}: {entry.verdict.upper()}")
    if outcome.refusal is not None:
        print(f"  reason: {outcome.refusal.reason}")
        print(f"  what to do: {outcome.refusal.remedy}")
    else:
        evaluation = outcome.evaluation
        assert evaluation is not None
        for key, value in evaluation.estimates.items():
            print(f"  {key:36s} {_number(value):>12s}  "
                  f"±{_number(evaluation.resolutions.get(key), 2)}")
        for failure in entry.failures:
            print(f"  outside tolerance: {failure}")
    print(f"  recording: {outcome.path}")
    if args.certificate is not None:
        print(f"  certificate: {certificate}")
    return 0 if outcome.refusal is None else 1


def _guided_check(args: argparse.Namespace, procedure: Any, options: dict[str, Any],
                  faults: Any) -> Any:
    """The terminal walk-through; an abandoned check is a clear error, not a traceback."""
    import sys

    from physiocap.core.errors import CaptureError
    from physiocap.workflows.qa.terminal_check import CheckAbandoned, run_terminal_check

    # with --json the document alone goes to stdout; the walk-through to stderr
    out = sys.stderr if args.json else sys.stdout
    try:
        return run_terminal_check(args.study, procedure, args.device, stdin=sys.stdin,
                                  out=out, address=args.address, operator=args.operator,
                                  seed=args.seed, sim_options=options, faults=faults)
    except CheckAbandoned as abandoned:
        raise CaptureError(str(abandoned)) from None


def _status(args: argparse.Namespace) -> int:
    from physiocap.workflows.qa.status import study_device_table

    rows = study_device_table(args.study, interval_days=args.interval_days)
    if args.json:
        print(json.dumps([{"serial": r.serial, "kind": r.kind, "model": r.model,
                           "state": r.state, "message": r.message,
                           "latest_check": r.last_check_id or None,
                           "last_check_date": _iso(r.last_check), "verdict": r.verdict or None,
                           "due_date": _iso(r.due), "last_used": _iso(r.last_used)}
                          for r in rows], indent=2))
        return 0
    if not rows:
        print(f"No devices in {args.study}: no calibration registry and no recorded visit")
        return 0
    header = ("device", "model", "serial", "last check", "verdict", "due", "state")
    table = [header] + [(r.kind or "—", r.model or "—", r.serial,
                         _iso(r.last_check) or "never", r.verdict or "—",
                         _iso(r.due) or ("now" if r.state in ("failed", "never checked")
                                         else "—"),
                         r.state if r.state == "ok" else r.state.upper()) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print(f"Calibration of {len(rows)} device(s) in {args.study} (check interval "
          f"{args.interval_days:g} days)")
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths,
                                                                strict=True)).rstrip())
    warnings = [r for r in rows if r.state != "ok"]
    if warnings:
        print()
    for row in warnings:
        print(f"{row.state.upper()}: {row.message}")
    return 0


def _iso(day: Any) -> str:
    return day.isoformat() if day is not None else ""


def _certificate(args: argparse.Namespace) -> int:
    from physiocap.storage.calibration_registry import CalibrationRegistry
    from physiocap.workflows.qa.certificate import write_certificate

    registry = CalibrationRegistry(args.study)
    checks = registry.checks(args.serial)
    entry = registry.check(args.serial, args.check) if args.check else (
        checks[-1] if checks else None)
    if entry is None:
        from physiocap.core.errors import ConfigurationError
        raise ConfigurationError(f"device {args.serial} has no check in {args.study}")
    print(write_certificate(registry, entry, args.out))
    return 0


def _add_certificate(args: argparse.Namespace) -> int:
    from physiocap.storage.calibration_registry import CalibrationRegistry, CertificateEntry

    CalibrationRegistry(args.study).add_certificate(CertificateEntry(
        args.certificate_id, args.serial, args.issued, args.due, args.issuer, args.reference))
    print(f"certificate {args.certificate_id} of {args.serial} registered, due {args.due}")
    return 0


def _surveil(args: argparse.Namespace) -> int:
    from physiocap.workflows.qa.surveillance import survey_study

    added, rows = survey_study(args.study)
    for row in rows:
        norm = row.results.get("gravity_norm_error_m_per_s2")
        print(f"{row.serial} {row.session_file} {row.trial_id}: gravity-norm error "
              f"{_number(norm, 3)} m/s², still {row.results.get('still_s', 0):.0f} s")
    print(f"{added} new still-period measure(s) registered")
    return 0
